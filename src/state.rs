//! The workspace's state directory, `.specbench/`, and what specbench keeps in it: the log,
//! sessions, pins, checkpoints and the draft. Directories are walked from the workspace root one
//! component at a time and files are opened relative to their directory, never through a
//! symlink: a state directory or file that is a symlink, of the wrong kind, or owned by another
//! user is refused with an error naming it. Directories are created 0700 and files 0600; looser
//! modes on existing ones are tightened.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

/// The workspace's state directory.
pub const STATE_DIR: &str = ".specbench";

/// What `.specbench/.gitignore` holds: the folder stays out of version control.
const GITIGNORE: &str = "# specbench's state: pins, sessions, checkpoints, log\n*\n";

/// Why a state directory or file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A symlink where a state directory or file belongs.
    #[error(
        "{} is a symlink; specbench will not follow it for its state (remove the link)",
        path.display()
    )]
    Symlink { path: PathBuf },
    /// A state directory or file owned by someone else.
    #[error(
        "{} belongs to uid {owner}, not to you (uid {uid}); specbench will not use it",
        path.display()
    )]
    NotOwned { path: PathBuf, owner: u32, uid: u32 },
    /// A file where a directory belongs, or the other way round (or a FIFO, a device...).
    #[error("{} is not a {expected}", path.display())]
    WrongKind {
        path: PathBuf,
        expected: &'static str,
    },
    /// The filesystem refused.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl From<StateError> for io::Error {
    fn from(e: StateError) -> Self {
        io::Error::other(e)
    }
}

/// The effective user id: state must belong to it.
fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Refuses state owned by anyone but `uid`.
fn check_owner(path: &Path, owner: u32, uid: u32) -> Result<(), StateError> {
    if owner == uid {
        Ok(())
    } else {
        Err(StateError::NotOwned {
            path: path.to_path_buf(),
            owner,
            uid,
        })
    }
}

/// A directory of specbench's state, checked and held open: everything in it is reached
/// through this handle, so a symlink swapped in for a parent is never followed.
#[derive(Debug)]
pub struct StateDir {
    path: PathBuf,
    fd: OwnedFd,
}

/// Whether to create what is missing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Missing {
    Create,
    Absent,
}

impl StateDir {
    /// `.specbench/<sub...>` of the workspace at `root` (canonical), each directory created
    /// (0700) when missing, `.specbench/.gitignore` too.
    pub fn create(root: &Path, sub: &[&str]) -> Result<StateDir, StateError> {
        let state = Self::root(root)?
            .child(STATE_DIR, Missing::Create)?
            .ok_or_else(|| gone(&root.join(STATE_DIR)))?;
        if !state.has(".gitignore")
            && let Err(e) = state.write_new(".gitignore", GITIGNORE.as_bytes())
        {
            tracing::warn!(error = %e, "cannot write .specbench/.gitignore");
        }
        let mut dir = state;
        for name in sub {
            let path = dir.join(name);
            dir = dir
                .child(name, Missing::Create)?
                .ok_or_else(|| gone(&path))?;
        }
        Ok(dir)
    }

    /// `.specbench/<sub...>` of the workspace at `root` if it exists (`None` if not).
    pub fn existing(root: &Path, sub: &[&str]) -> Result<Option<StateDir>, StateError> {
        let mut dir = match Self::root(root) {
            Err(StateError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                return Ok(None);
            }
            other => other?,
        };
        for name in std::iter::once(&STATE_DIR).chain(sub) {
            match dir.child(name, Missing::Absent)? {
                Some(next) => dir = next,
                None => return Ok(None),
            }
        }
        Ok(Some(dir))
    }

    /// The workspace root itself: canonical, so opened as it is.
    fn root(root: &Path) -> Result<StateDir, StateError> {
        let flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC;
        let fd = rustix::fs::open(root, flags, Mode::empty()).map_err(io_error(root))?;
        Ok(StateDir {
            path: root.to_path_buf(),
            fd,
        })
    }

    /// The path of `name` in this directory, for messages.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Whether this directory has an entry `name` (of any kind, a symlink included).
    fn has(&self, name: &str) -> bool {
        rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW).is_ok()
    }

    /// The subdirectory `name`, checked.
    fn child(&self, name: &str, missing: Missing) -> Result<Option<StateDir>, StateError> {
        plain(&self.path, name)?;
        let path = self.join(name);
        let flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) if missing == Missing::Create => {
                match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o700)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(self.explain(name, e, "directory")),
                }
                rustix::fs::openat(&self.fd, name, flags, Mode::empty())
                    .map_err(|e| self.explain(name, e, "directory"))?
            }
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(self.explain(name, e, "directory")),
        };
        vet(&fd, &path, FileType::Directory)?;
        Ok(Some(StateDir { path, fd }))
    }

    /// Why opening `name` failed: a symlink or the wrong kind of file says so.
    fn explain(&self, name: &str, e: Errno, expected: &'static str) -> StateError {
        let path = self.join(name);
        if let Ok(stat) = rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            match FileType::from_raw_mode(stat.st_mode) {
                FileType::Symlink => return StateError::Symlink { path },
                _ if e == Errno::NOTDIR || e == Errno::ISDIR => {
                    return StateError::WrongKind { path, expected };
                }
                _ => {}
            }
        }
        StateError::Io {
            path,
            source: e.into(),
        }
    }

    /// Opens the file `name` with `flags` (never through a symlink, never blocking on a FIFO)
    /// and checks it; `None` when it does not exist and `flags` do not create it.
    fn open(&self, name: &str, flags: OFlags) -> Result<Option<File>, StateError> {
        plain(&self.path, name)?;
        let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        let fd = match rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(0o600)) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(self.explain(name, e, "regular file")),
        };
        vet(&fd, &self.join(name), FileType::RegularFile)?;
        Ok(Some(File::from(fd)))
    }

    /// The file `name` opened for reading and appending, created (0600) when missing.
    pub fn append(&self, name: &str) -> Result<File, StateError> {
        let flags = OFlags::RDWR | OFlags::APPEND | OFlags::CREATE;
        self.open(name, flags)?
            .ok_or_else(|| gone(&self.join(name)))
    }

    /// The file `name` opened for reading, `None` if there is none.
    pub fn open_read(&self, name: &str) -> Result<Option<File>, StateError> {
        self.open(name, OFlags::RDONLY)
    }

    /// The bytes of the file `name`, `None` if there is none.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>, StateError> {
        let Some(mut file) = self.open_read(name)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|source| StateError::Io {
                path: self.join(name),
                source,
            })?;
        Ok(Some(bytes))
    }

    /// Replaces the file `name` with `bytes` atomically: a temp file (0600) in this directory,
    /// synced, renamed over `name` (a symlink there is replaced, never followed), then the
    /// directory synced.
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), StateError> {
        let tmp = self.temp(name, bytes)?;
        if let Err(e) = rustix::fs::renameat(&self.fd, &tmp, &self.fd, name) {
            let _ = rustix::fs::unlinkat(&self.fd, &tmp, AtFlags::empty());
            return Err(io_error(&self.join(name))(e));
        }
        self.sync()
    }

    /// Writes `bytes` as the new file `name`, never replacing one: `false` when `name` exists.
    pub fn write_new(&self, name: &str, bytes: &[u8]) -> Result<bool, StateError> {
        let tmp = self.temp(name, bytes)?;
        let linked = rustix::fs::linkat(&self.fd, &tmp, &self.fd, name, AtFlags::empty());
        let _ = rustix::fs::unlinkat(&self.fd, &tmp, AtFlags::empty());
        match linked {
            Ok(()) => self.sync().map(|()| true),
            Err(Errno::EXIST) => Ok(false),
            Err(e) => Err(io_error(&self.join(name))(e)),
        }
    }

    /// A new temp file beside `name` holding `bytes`, synced; its name.
    fn temp(&self, name: &str, bytes: &[u8]) -> Result<String, StateError> {
        plain(&self.path, name)?;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let flags = OFlags::WRONLY
            | OFlags::CREATE
            | OFlags::EXCL
            | OFlags::NOFOLLOW
            | OFlags::CLOEXEC
            | OFlags::NONBLOCK;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut attempt = 0;
        loop {
            let salt = u64::from(nanos) ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(32);
            let tmp = crate::files::temp_name(name, salt);
            match rustix::fs::openat(&self.fd, &tmp, flags, Mode::from_raw_mode(0o600)) {
                Ok(fd) => {
                    let mut file = File::from(fd);
                    let written = file.write_all(bytes).and_then(|()| file.sync_all());
                    if let Err(source) = written {
                        let _ = rustix::fs::unlinkat(&self.fd, &tmp, AtFlags::empty());
                        return Err(StateError::Io {
                            path: self.join(&tmp),
                            source,
                        });
                    }
                    return Ok(tmp);
                }
                Err(Errno::EXIST) if attempt < 16 => attempt += 1,
                Err(e) => return Err(io_error(&self.join(&tmp))(e)),
            }
        }
    }

    /// Removes the file `name` (a symlink itself, not what it points to); gone already is fine.
    pub fn remove(&self, name: &str) -> Result<(), StateError> {
        plain(&self.path, name)?;
        match rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(io_error(&self.join(name))(e)),
        }
    }

    /// The names in this directory (UTF-8 ones), unsorted.
    pub fn names(&self) -> Result<Vec<String>, StateError> {
        let dir = rustix::fs::Dir::read_from(&self.fd).map_err(io_error(&self.path))?;
        let mut names = Vec::new();
        for entry in dir {
            let entry = entry.map_err(io_error(&self.path))?;
            if let Ok(name) = entry.file_name().to_str()
                && name != "."
                && name != ".."
            {
                names.push(name.to_string());
            }
        }
        Ok(names)
    }

    /// Removes the temp files a write in this directory left when specbench was stopped
    /// midway (see [`crate::files::leftover_temp`]).
    pub fn sweep_temp_files(&self, sweep: &mut crate::files::Sweep) {
        for name in self.names().unwrap_or_default() {
            let Some(verdict) = crate::files::leftover_temp(&name) else {
                continue;
            };
            let is_file = rustix::fs::statat(&self.fd, name.as_str(), AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|s| FileType::from_raw_mode(s.st_mode) == FileType::RegularFile);
            if !is_file {
                continue;
            }
            let path = self.join(&name);
            match verdict.and_then(|()| self.remove(&name).map_err(|e| e.to_string())) {
                Ok(()) => sweep.removed.push(path),
                Err(why) => sweep.kept.push((path, why)),
            }
        }
    }

    /// Flushes the directory's entries to the disk.
    pub fn sync(&self) -> Result<(), StateError> {
        rustix::fs::fsync(&self.fd).map_err(io_error(&self.path))
    }
}

/// Checks what `fd` (opened as `path`) is: of `kind` and owned by this user; a looser mode
/// than 0700 (directories) or 0600 (files) is tightened.
fn vet(fd: &OwnedFd, path: &Path, kind: FileType) -> Result<(), StateError> {
    let stat = rustix::fs::fstat(fd).map_err(io_error(path))?;
    if FileType::from_raw_mode(stat.st_mode) != kind {
        let expected = if kind == FileType::Directory {
            "directory"
        } else {
            "regular file"
        };
        return Err(StateError::WrongKind {
            path: path.to_path_buf(),
            expected,
        });
    }
    check_owner(path, stat.st_uid, euid())?;
    let allowed = if kind == FileType::Directory {
        0o700
    } else {
        0o600
    };
    let mode = stat.st_mode & 0o7777;
    if mode & !allowed != 0 {
        tracing::info!(path = %path.display(), "mode {mode:o} tightened to {:o}", mode & allowed);
        rustix::fs::fchmod(fd, Mode::from_raw_mode(mode & allowed)).map_err(io_error(path))?;
    }
    Ok(())
}

fn io_error(path: &Path) -> impl FnOnce(Errno) -> StateError + '_ {
    move |e| StateError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    }
}

/// Refuses a name that is not one plain entry of a directory (`a/b`, `..`): every step of a
/// path is walked and checked on its own.
fn plain(dir: &Path, name: &str) -> Result<(), StateError> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(StateError::Io {
            path: dir.join(name),
            source: io::Error::new(io::ErrorKind::InvalidInput, "not a plain file name"),
        });
    }
    Ok(())
}

/// A directory or file that vanished between creating and opening it.
fn gone(path: &Path) -> StateError {
    StateError::Io {
        path: path.to_path_buf(),
        source: io::ErrorKind::NotFound.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

    fn workspace() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir(&root).unwrap();
        let root = root.canonicalize().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched\n").unwrap();
        (dir, root, victim)
    }

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    #[test]
    fn directories_are_0700_files_0600_and_looser_modes_are_tightened() {
        let (_dir, root, _) = workspace();
        let sessions = StateDir::create(&root, &["sessions"]).unwrap();
        assert_eq!(
            sessions.join("s.jsonl"),
            root.join(".specbench/sessions/s.jsonl")
        );
        assert_eq!(mode(&root.join(".specbench")), 0o700);
        assert_eq!(mode(&root.join(".specbench/sessions")), 0o700);
        assert_eq!(mode(&root.join(".specbench/.gitignore")), 0o600);
        sessions.append("s.jsonl").unwrap();
        sessions.write_atomic("state.json", b"{}").unwrap();
        assert_eq!(mode(&root.join(".specbench/sessions/s.jsonl")), 0o600);
        assert_eq!(mode(&root.join(".specbench/sessions/state.json")), 0o600);

        let loose = |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
        loose(&root.join(".specbench"), 0o755).unwrap();
        loose(&root.join(".specbench/sessions/s.jsonl"), 0o644).unwrap();
        let sessions = StateDir::existing(&root, &["sessions"]).unwrap().unwrap();
        sessions.append("s.jsonl").unwrap();
        assert_eq!(mode(&root.join(".specbench")), 0o700);
        assert_eq!(mode(&root.join(".specbench/sessions/s.jsonl")), 0o600);
    }

    #[test]
    fn symlinked_state_directories_are_refused_by_name_and_nothing_is_written_through_them() {
        for link in [".specbench", ".specbench/sessions"] {
            let (dir, root, _) = workspace();
            let outside = dir.path().join("outside");
            std::fs::create_dir(&outside).unwrap();
            if link != ".specbench" {
                std::fs::create_dir_all(root.join(".specbench")).unwrap();
            }
            symlink(&outside, root.join(link)).unwrap();
            let err = StateDir::create(&root, &["sessions"]).unwrap_err();
            assert!(
                matches!(&err, StateError::Symlink { path } if *path == root.join(link)),
                "{link}: {err:?}"
            );
            assert!(err.to_string().contains(link), "{err}");
            let err = StateDir::existing(&root, &["sessions"]).unwrap_err();
            assert!(matches!(err, StateError::Symlink { .. }), "{link}: {err:?}");
            assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "{link}");
        }
    }

    #[test]
    fn symlinked_state_files_are_refused_and_their_targets_untouched() {
        let (_dir, root, victim) = workspace();
        let state = StateDir::create(&root, &[]).unwrap();
        symlink(&victim, root.join(".specbench/specbench.log")).unwrap();
        symlink(&victim, root.join(".specbench/state.json")).unwrap();
        symlink(root.join("nowhere"), root.join(".specbench/dangling")).unwrap();
        for result in [
            state.append("specbench.log").map(|_| ()),
            state.read("specbench.log").map(|_| ()),
            state.append("dangling").map(|_| ()),
        ] {
            assert!(
                matches!(result, Err(StateError::Symlink { .. })),
                "{result:?}"
            );
        }
        assert!(
            !root.join("nowhere").exists(),
            "a dangling link creates nothing"
        );
        // A replacement swaps the link out instead of writing through it.
        state.write_atomic("state.json", b"{}").unwrap();
        assert!(root.join(".specbench/state.json").is_file());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched\n");
    }

    #[test]
    fn fifos_and_directories_are_not_files() {
        let (_dir, root, _) = workspace();
        let state = StateDir::create(&root, &[]).unwrap();
        std::fs::create_dir(root.join(".specbench/specbench.log")).unwrap();
        let fifo = root.join(".specbench/pipe");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            state.append("specbench.log"),
            Err(StateError::WrongKind { .. })
        ));
        // Opened without blocking, then refused.
        assert!(matches!(
            state.read("pipe"),
            Err(StateError::WrongKind { .. })
        ));
        std::fs::write(root.join(".specbench/pins"), "").unwrap();
        assert!(matches!(
            StateDir::create(&root, &["pins"]),
            Err(StateError::WrongKind { .. })
        ));
    }

    #[test]
    fn state_owned_by_another_user_is_refused() {
        let err = check_owner(Path::new("/w/.specbench"), 1, 1000).unwrap_err();
        assert!(err.to_string().contains("/w/.specbench"), "{err}");
        assert!(err.to_string().contains("not to you"), "{err}");
        check_owner(Path::new("/w/.specbench"), 1000, 1000).unwrap();
        // With the privilege to give files away, the real thing.
        if euid() != 0 {
            return;
        }
        let (_dir, root, _) = workspace();
        StateDir::create(&root, &["pins"]).unwrap();
        let pins = root.join(".specbench/pins");
        std::os::unix::fs::chown(&pins, Some(1), Some(1)).unwrap();
        assert_eq!(std::fs::metadata(&pins).unwrap().uid(), 1);
        assert!(matches!(
            StateDir::create(&root, &["pins"]),
            Err(StateError::NotOwned { owner: 1, .. })
        ));
    }

    #[test]
    fn write_new_never_replaces_and_leaves_no_temp_file() {
        let (_dir, root, _) = workspace();
        let state = StateDir::create(&root, &["pins"]).unwrap();
        assert!(state.write_new("v1.json", b"one").unwrap());
        assert!(!state.write_new("v1.json", b"two").unwrap());
        assert_eq!(state.read("v1.json").unwrap().unwrap(), b"one");
        assert_eq!(state.names().unwrap(), vec!["v1.json".to_string()]);
        state.remove("v1.json").unwrap();
        state.remove("v1.json").unwrap();
        assert_eq!(state.read("v1.json").unwrap(), None);
    }
}
