//! Safe places to write: paths proposed by the model are checked against the workspace before
//! anything touches the disk, and files are replaced atomically.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use crate::files::{TEMP_RANDOM, TEMP_SUFFIX};

/// Why a path from the model is refused, in words a user reads (the caller names the path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `/etc/passwd`, `\x`.
    #[error("an absolute path; edits stay inside the workspace")]
    Absolute,
    /// `C:\x`, `\\server\share\x`.
    #[error("a drive or network-share path; edits stay inside the workspace")]
    DrivePrefix,
    /// `../x`, `a/../../x`.
    #[error("climbs out of the workspace with `..`")]
    Escapes,
    /// A component (or the file itself) is a symlink leading outside the workspace, or nowhere.
    #[error(
        "goes through the symlink {}, which leads outside the workspace (or nowhere)",
        link.display()
    )]
    ThroughSymlink {
        /// The symlink, relative to the workspace.
        link: PathBuf,
    },
    /// Inside `.git/` or `.specbench/` (any case), as written or once symlinks are resolved.
    #[error("inside {dir}/, which holds git's or specbench's own state")]
    StateDir {
        /// `.git` or `.specbench`.
        dir: String,
    },
    /// Not matched by the spec's include and test globs.
    #[error("outside the files this spec may change (its include and test globs)")]
    OutOfScope,
    /// Nothing left once `.` and separators are dropped.
    #[error("no file name")]
    Empty,
    /// A control character (newline, tab, NUL...) in the path.
    #[error("has control characters in its name")]
    InvalidName,
    /// A directory or special file is where the file (or one of its parent directories) would go.
    #[error("not a regular file (a directory or special file is in the way)")]
    NotAFile,
    /// The existing file has a NUL in its first 8 KiB or is not UTF-8.
    #[error("a binary (or non-UTF-8) file; only text files are edited")]
    Binary,
    /// The existing file is larger than [`MAX_EDIT_BYTES`].
    #[error("{bytes} bytes, over the {limit}-byte limit for edits")]
    TooLarge {
        /// The file's size.
        bytes: u64,
        /// [`MAX_EDIT_BYTES`].
        limit: u64,
    },
    /// The filesystem would not say what is there.
    #[error("cannot be read: {0}")]
    Unreadable(String),
}

/// Existing files larger than this are not edited.
pub const MAX_EDIT_BYTES: u64 = 1024 * 1024;

/// How much of a file is searched for a NUL to call it binary.
const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// Directories that belong to git or specbench, never to an edit.
const STATE_DIRS: [&str; 2] = [".git", ".specbench"];

/// A path inside the workspace: lexically clean and not through a symlink leaving it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Relative to the workspace, normalized (`/`-separated, no `.` or `..`), as the model named it.
    pub rel: PathBuf,
    /// Where writing really lands: the workspace root joined with `rel`, symlinks resolved.
    pub abs: PathBuf,
}

/// A checked place to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Relative to the workspace, normalized, as the model named it.
    pub rel: PathBuf,
    /// Where writing really lands (symlinks inside the workspace resolved).
    pub abs: PathBuf,
    /// The file's current content; `None` if it does not exist yet.
    pub existing: Option<String>,
}

/// Checks `path` (as the model wrote it) against the canonical workspace `root`: the checks of
/// [`locate`], then `allowed` (include and test globs, matched on the relative path both as
/// written and where it really lands; `None` allows the whole workspace), then an existing file
/// must be UTF-8 text of at most [`MAX_EDIT_BYTES`], whose content is returned.
pub fn check(
    root: &Path,
    path: &str,
    allowed: Option<&globset::GlobSet>,
) -> Result<Target, Refusal> {
    let Place { rel, abs } = locate(root, path)?;
    if let Some(globs) = allowed {
        let real = abs.strip_prefix(root).unwrap_or(&rel);
        if !globs.is_match(&rel) || !globs.is_match(real) {
            return Err(Refusal::OutOfScope);
        }
    }
    let existing = read_existing(&abs)?;
    Ok(Target { rel, abs, existing })
}

/// The lexical and symlink checks of [`check`], without scope or content: `path` must be
/// relative, stay inside `root` (canonical) once `.`/`..` are resolved, avoid `.git/` and
/// `.specbench/`, and every existing component must resolve inside `root`. Backslashes count as
/// separators.
pub fn locate(root: &Path, path: &str) -> Result<Place, Refusal> {
    let rel = lexical(path)?;
    let parts: Vec<Component<'_>> = rel.components().collect();
    // `here` stays canonical: the deepest existing prefix with its symlinks resolved.
    let mut here = root.to_path_buf();
    let mut walked = PathBuf::new();
    let mut missing_from = parts.len();
    for (i, part) in parts.iter().enumerate() {
        walked.push(part);
        let next = here.join(part);
        let meta = match fs::symlink_metadata(&next) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                missing_from = i;
                break;
            }
            Err(e) => return Err(Refusal::Unreadable(e.to_string())),
        };
        let resolved = if meta.file_type().is_symlink() {
            match fs::canonicalize(&next) {
                Ok(target) if target.starts_with(root) => target,
                _ => return Err(Refusal::ThroughSymlink { link: walked }),
            }
        } else {
            next
        };
        let meta = fs::metadata(&resolved).map_err(|e| Refusal::Unreadable(e.to_string()))?;
        let last = i + 1 == parts.len();
        if (last && !meta.is_file()) || (!last && !meta.is_dir()) {
            return Err(Refusal::NotAFile);
        }
        here = resolved;
    }
    for part in &parts[missing_from..] {
        here.push(part);
    }
    if let Ok(real) = here.strip_prefix(root)
        && real != rel
    {
        state_dir(real.components().filter_map(|c| c.as_os_str().to_str()))?;
    }
    Ok(Place { rel, abs: here })
}

/// The path normalized to relative components, or why it cannot be.
fn lexical(path: &str) -> Result<PathBuf, Refusal> {
    if path.trim().is_empty() {
        return Err(Refusal::Empty);
    }
    if path.chars().any(char::is_control) {
        return Err(Refusal::InvalidName);
    }
    let bytes = path.as_bytes();
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if drive || path.starts_with("\\\\") {
        return Err(Refusal::DrivePrefix);
    }
    let unified = path.replace('\\', "/");
    if unified.starts_with('/') {
        return Err(Refusal::Absolute);
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(Refusal::Escapes);
                }
            }
            name => parts.push(name),
        }
    }
    if parts.is_empty() {
        return Err(Refusal::Empty);
    }
    state_dir(parts.iter().copied())?;
    Ok(parts.iter().collect())
}

/// Refuses a path with a state directory among its components.
fn state_dir<'a>(mut parts: impl Iterator<Item = &'a str>) -> Result<(), Refusal> {
    match parts.find_map(|part| STATE_DIRS.iter().find(|dir| part.eq_ignore_ascii_case(dir))) {
        Some(dir) => Err(Refusal::StateDir {
            dir: (*dir).to_string(),
        }),
        None => Ok(()),
    }
}

/// The text of an existing file, `None` if there is none.
fn read_existing(abs: &Path) -> Result<Option<String>, Refusal> {
    let file = match fs::File::open(abs) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Refusal::Unreadable(e.to_string())),
    };
    let size = file
        .metadata()
        .map_err(|e| Refusal::Unreadable(e.to_string()))?
        .len();
    let too_large = |bytes| Refusal::TooLarge {
        bytes,
        limit: MAX_EDIT_BYTES,
    };
    if size > MAX_EDIT_BYTES {
        return Err(too_large(size));
    }
    let mut bytes = Vec::new();
    file.take(MAX_EDIT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Refusal::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_EDIT_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    if bytes[..bytes.len().min(BINARY_SNIFF_BYTES)].contains(&0) {
        return Err(Refusal::Binary);
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| Refusal::Binary)
}

/// Writes `contents` to `abs` atomically: a temp file in the same directory, fsynced, with the
/// old file's permissions (new files get the default `0666 & !umask`), renamed over `abs`, then
/// the directory fsynced. Missing parent directories are created. On failure the old file is
/// intact and no temp file is left. A symlink at `abs` is replaced, not followed: pass a
/// resolved path ([`Target::abs`]).
pub fn write_atomic(abs: &Path, contents: &str) -> io::Result<()> {
    let (Some(parent), Some(name)) = (abs.parent(), abs.file_name()) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file path",
        ));
    };
    if !parent.as_os_str().is_empty() {
        fs::create_dir_all(parent)?;
    }
    let old = match fs::metadata(abs) {
        Ok(meta) => Some(meta.permissions()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let prefix = format!(".{}.{}.", name.to_string_lossy(), std::process::id());
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(&prefix)
        .suffix(TEMP_SUFFIX)
        .rand_bytes(TEMP_RANDOM);
    #[cfg(unix)]
    if old.is_none() {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let dir = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(contents.as_bytes())?;
    if let Some(permissions) = old {
        tmp.as_file().set_permissions(permissions)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(abs).map_err(|e| e.error)?;
    // The new content is in place: a directory that cannot be synced is logged, not an error.
    if let Err(e) = fs::File::open(dir).and_then(|d| d.sync_all()) {
        tracing::warn!("cannot fsync {}: {e}", dir.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::*;
    use std::collections::BTreeMap;
    use std::os::unix::fs::{PermissionsExt, symlink};

    /// Every entry under `dir` (symlinks not followed): files with content, links with target.
    fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
        fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<PathBuf, String>) {
            for entry in fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let rel = path.strip_prefix(base).unwrap().to_path_buf();
                let kind = fs::symlink_metadata(&path).unwrap().file_type();
                if kind.is_symlink() {
                    let target = fs::read_link(&path).unwrap();
                    out.insert(rel, format!("link -> {}", target.display()));
                } else if kind.is_dir() {
                    out.insert(rel, "dir".into());
                    walk(&path, base, out);
                } else {
                    let bytes = fs::read(&path).unwrap();
                    let mode = fs::metadata(&path).unwrap().permissions().mode();
                    out.insert(rel, format!("file {mode:o} {}", hash_bytes(&bytes)));
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(dir, dir, &mut out);
        out
    }

    /// A canonical temp workspace with a few files, and a canonical outside directory.
    fn setup() -> (tempfile::TempDir, PathBuf, tempfile::TempDir, PathBuf) {
        let ws = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(ws.path()).unwrap();
        let out = tempfile::tempdir().unwrap();
        let outside = fs::canonicalize(out.path()).unwrap();
        fs::create_dir_all(root.join("src")).unwrap();
        fs::write(root.join("src/main.py"), "print('hi')\n").unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::write(root.join(".git/config"), "[core]\n").unwrap();
        fs::write(outside.join("secret.txt"), "secret\n").unwrap();
        (ws, root, out, outside)
    }

    /// What an apply does: check, then write if allowed.
    fn apply(
        root: &Path,
        path: &str,
        allowed: Option<&globset::GlobSet>,
    ) -> Result<Target, Refusal> {
        let target = check(root, path, allowed)?;
        write_atomic(&target.abs, "pwned\n").unwrap();
        Ok(target)
    }

    fn globs(patterns: &[&str]) -> globset::GlobSet {
        let mut builder = globset::GlobSetBuilder::new();
        for p in patterns {
            builder.add(globset::Glob::new(p).unwrap());
        }
        builder.build().unwrap()
    }

    /// Refused with `want`, and neither tree changed.
    fn assert_refused(
        root: &Path,
        outside: &Path,
        path: &str,
        allowed: Option<&globset::GlobSet>,
        want: Refusal,
    ) {
        let before = (snapshot(root), snapshot(outside));
        assert_eq!(apply(root, path, allowed), Err(want), "{path}");
        assert_eq!((snapshot(root), snapshot(outside)), before, "{path}");
    }

    #[test]
    fn lexical_refusals_touch_nothing() {
        let (_ws, root, _out, outside) = setup();
        let cases = [
            ("../outside.txt", Refusal::Escapes),
            ("a/../../x", Refusal::Escapes),
            ("/etc/passwd", Refusal::Absolute),
            ("\\etc\\passwd", Refusal::Absolute),
            ("C:\\x", Refusal::DrivePrefix),
            ("\\\\srv\\share\\x", Refusal::DrivePrefix),
            ("", Refusal::Empty),
            ("./", Refusal::Empty),
            ("a/..", Refusal::Empty),
            ("a\nb.py", Refusal::InvalidName),
            ("a\0b.py", Refusal::InvalidName),
            (".git/config", Refusal::StateDir { dir: ".git".into() }),
            (
                ".SpecBench/x",
                Refusal::StateDir {
                    dir: ".specbench".into(),
                },
            ),
            (
                "sub/.GIT/hooks/pre-commit",
                Refusal::StateDir { dir: ".git".into() },
            ),
        ];
        for (path, want) in cases {
            assert_refused(&root, &outside, path, None, want);
        }
    }

    #[test]
    fn symlinks_leaving_the_workspace_are_refused() {
        let (_ws, root, _out, outside) = setup();
        symlink(&outside, root.join("link")).unwrap();
        symlink(outside.join("secret.txt"), root.join("src/secret.txt")).unwrap();
        symlink(root.join("nowhere"), root.join("dangling")).unwrap();
        symlink(root.join(".git"), root.join("gitlink")).unwrap();
        assert_refused(
            &root,
            &outside,
            "link/x.py",
            None,
            Refusal::ThroughSymlink {
                link: "link".into(),
            },
        );
        assert_refused(
            &root,
            &outside,
            "link/secret.txt",
            None,
            Refusal::ThroughSymlink {
                link: "link".into(),
            },
        );
        assert_refused(
            &root,
            &outside,
            "src/secret.txt",
            None,
            Refusal::ThroughSymlink {
                link: "src/secret.txt".into(),
            },
        );
        assert_refused(
            &root,
            &outside,
            "dangling",
            None,
            Refusal::ThroughSymlink {
                link: "dangling".into(),
            },
        );
        assert_refused(
            &root,
            &outside,
            "gitlink/config",
            None,
            Refusal::StateDir { dir: ".git".into() },
        );
    }

    #[test]
    fn content_and_scope_refusals_touch_nothing() {
        let (_ws, root, _out, outside) = setup();
        fs::write(root.join("src/blob.bin"), b"ab\0cd").unwrap();
        fs::write(root.join("src/latin1.txt"), b"caf\xe9\n").unwrap();
        let big = vec![b'x'; MAX_EDIT_BYTES as usize + 1];
        fs::write(root.join("src/big.txt"), &big).unwrap();
        let scope = globs(&["src/**", "tests/**"]);
        assert_refused(
            &root,
            &outside,
            "README.md",
            Some(&scope),
            Refusal::OutOfScope,
        );
        assert_refused(&root, &outside, "src/blob.bin", None, Refusal::Binary);
        assert_refused(&root, &outside, "src/latin1.txt", None, Refusal::Binary);
        assert_refused(
            &root,
            &outside,
            "src/big.txt",
            None,
            Refusal::TooLarge {
                bytes: MAX_EDIT_BYTES + 1,
                limit: MAX_EDIT_BYTES,
            },
        );
        assert_refused(&root, &outside, "src", None, Refusal::NotAFile);
        assert_refused(&root, &outside, "src/main.py/x.py", None, Refusal::NotAFile);
    }

    #[test]
    fn scope_applies_where_a_symlink_really_lands() {
        let (_ws, root, _out, outside) = setup();
        fs::create_dir_all(root.join("docs")).unwrap();
        symlink(root.join("docs"), root.join("src/docs")).unwrap();
        let scope = globs(&["src/**"]);
        assert_refused(
            &root,
            &outside,
            "src/docs/x.md",
            Some(&scope),
            Refusal::OutOfScope,
        );
        let target = apply(&root, "src/docs/x.md", None).unwrap();
        assert_eq!(target.rel, PathBuf::from("src/docs/x.md"));
        assert_eq!(target.abs, root.join("docs/x.md"));
        assert_eq!(
            fs::read_to_string(root.join("docs/x.md")).unwrap(),
            "pwned\n"
        );
    }

    #[test]
    fn allowed_paths_are_normalized_and_create_parents() {
        let (_ws, root, _out, _outside) = setup();
        let scope = globs(&["src/**", "tests/**"]);
        let target = apply(&root, "tests/unit/deep/test_x.py", Some(&scope)).unwrap();
        assert_eq!(target.rel, PathBuf::from("tests/unit/deep/test_x.py"));
        assert_eq!(target.existing, None);
        assert_eq!(
            fs::read_to_string(root.join("tests/unit/deep/test_x.py")).unwrap(),
            "pwned\n"
        );

        let target = check(&root, "src/./main.py", Some(&scope)).unwrap();
        assert_eq!(target.rel, PathBuf::from("src/main.py"));
        assert_eq!(target.abs, root.join("src/main.py"));
        assert_eq!(target.existing.as_deref(), Some("print('hi')\n"));

        let target = check(&root, "src\\x\\..\\main.py", None).unwrap();
        assert_eq!(target.rel, PathBuf::from("src/main.py"));
    }

    #[test]
    fn write_atomic_replaces_content_and_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("run.sh");
        fs::write(&file, "old\n").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o755)).unwrap();
        write_atomic(&file, "new\n").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "new\n");
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o7777,
            0o755
        );
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("run.sh")]);
    }

    #[test]
    fn write_atomic_new_file_gets_default_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a/b/new.py");
        write_atomic(&file, "x = 1\n").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "x = 1\n");
        // Like any new file (0666 & !umask), not the temp file's private 0600.
        let plain = dir.path().join("plain.py");
        fs::write(&plain, "").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode();
        assert_eq!(mode(&file), mode(&plain));
    }

    #[test]
    fn failed_writes_leave_the_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("f.txt"), "old\n").unwrap();
        fs::create_dir_all(dir.path().join("d/inner")).unwrap();
        let before = snapshot(dir.path());
        // The parent is a file.
        assert!(write_atomic(&dir.path().join("f.txt/x.py"), "new\n").is_err());
        // The target is a non-empty directory: the rename fails after the temp file is written.
        assert!(write_atomic(&dir.path().join("d"), "new\n").is_err());
        assert_eq!(snapshot(dir.path()), before);
    }

    #[test]
    fn temp_names_are_matched_exactly() {
        let name = temp_name("calc.py", 42);
        assert!(name.starts_with(&format!(".calc.py.{}.", std::process::id())));
        assert_eq!(temp_writer(&name), Some(std::process::id()));
        assert_eq!(temp_writer(".a.b.py.77.Ab3dE9.specbench-tmp"), Some(77));
        for other in [
            "calc.py",
            ".calc.py.tmp",
            ".calc.py.77.Ab3dE.specbench-tmp",
            ".calc.py.77.Ab3dE9x.specbench-tmp",
            ".calc.py.7x.Ab3dE9.specbench-tmp",
            "calc.py.77.Ab3dE9.specbench-tmp",
            "..77.Ab3dE9.specbench-tmp",
            ".calc.py.Ab3dE9.specbench-tmp",
            ".calc.py.77.Ab-dE9.specbench-tmp",
        ] {
            assert_eq!(temp_writer(other), None, "{other}");
        }
    }

    #[test]
    fn a_sweep_removes_only_the_temp_files_of_writers_that_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        let gone = std::process::Command::new("true").spawn().unwrap();
        let gone_pid = gone.id();
        let mut gone = gone;
        gone.wait().unwrap();
        let mut alive = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let write = |name: &str| fs::write(dir.path().join(name), "half\n").unwrap();
        let dead = format!(".a.py.{gone_pid}.Ab3dE9.specbench-tmp");
        let running = format!(".b.py.{}.Zz9yX8.specbench-tmp", alive.id());
        let own = temp_name("c.py", 1);
        write(&dead);
        write(&running);
        write(&own);
        write("notes.specbench-tmp");
        write(".d.py.tmp");
        symlink(
            dir.path().join("notes.specbench-tmp"),
            dir.path()
                .join(format!(".e.py.{gone_pid}.Qq1wE2.specbench-tmp")),
        )
        .unwrap();
        let mut sweep = Sweep::default();
        sweep_temp_files(dir.path(), &mut sweep);
        alive.kill().unwrap();
        alive.wait().unwrap();
        assert_eq!(sweep.removed, vec![dir.path().join(&dead)]);
        assert_eq!(sweep.kept.len(), 1);
        assert_eq!(sweep.kept[0].0, dir.path().join(&running));
        assert!(
            sweep.kept[0].1.contains("still running"),
            "{:?}",
            sweep.kept
        );
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut want = vec![
            running,
            own,
            "notes.specbench-tmp".to_string(),
            ".d.py.tmp".to_string(),
            format!(".e.py.{gone_pid}.Qq1wE2.specbench-tmp"),
        ];
        want.sort();
        assert_eq!(left, want);
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
