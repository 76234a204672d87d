//! The workspace on disk: its spec, its code files (gitignore-aware), and text for display.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

/// Files larger than this are not shown in full.
pub const MAX_SHOWN_BYTES: u64 = 4 * 1024 * 1024;
/// The most code files listed; a larger tree is cut with a note in the log.
pub const MAX_LISTED_FILES: usize = 20_000;

/// A file prepared for display: lines without `\r`, tabs expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileText {
    pub lines: Vec<String>,
    /// Why the content is not shown, if it is not (binary, too large).
    pub note: Option<String>,
    /// SHA-256 of the exact bytes shown (`None` with a note): what tells a hand edit from the
    /// content specbench wrote.
    pub hash: Option<String>,
}

impl FileText {
    /// Display lines for a text.
    pub fn from_text(text: &str) -> Self {
        Self {
            lines: text
                .lines()
                .map(|l| l.trim_end_matches('\r').replace('\t', "    "))
                .collect(),
            note: None,
            hash: Some(crate::files::hash(text)),
        }
    }

    fn note(note: String) -> Self {
        Self {
            lines: Vec::new(),
            note: Some(note),
            hash: None,
        }
    }
}

/// How the workspace is named in the status bar: `~/...` under the home directory.
pub fn label(root: &Path) -> String {
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from)
        && let Ok(rest) = root.strip_prefix(&home)
    {
        return format!("~/{}", rest.display());
    }
    root.display().to_string()
}

/// A spec larger than this is not read: it is parsed on the UI task and sent with every request.
pub const MAX_SPEC_BYTES: u64 = 1024 * 1024;

/// Reads the spec file.
pub fn read_spec(root: &Path, rel: &Path) -> Result<String, String> {
    let path = root.join(rel);
    if let Ok(meta) = std::fs::metadata(&path)
        && meta.len() > MAX_SPEC_BYTES
    {
        return Err(format!(
            "{} is {:.1} MiB: a spec over 1 MiB is not read (it is sent with every request).",
            rel.display(),
            meta.len() as f64 / (1024.0 * 1024.0)
        ));
    }
    match std::fs::read(&path) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(format!("No spec yet: {} does not exist.", rel.display()))
        }
        Err(e) => Err(format!("Cannot read {}: {e}", rel.display())),
    }
}

/// Reads a code file for display; binary and very large files get a note instead.
pub fn read_code_file(root: &Path, rel: &Path) -> Result<FileText, String> {
    let path = root.join(rel);
    let meta =
        std::fs::metadata(&path).map_err(|e| format!("Cannot read {}: {e}", rel.display()))?;
    if meta.len() > MAX_SHOWN_BYTES {
        return Ok(FileText::note(format!(
            "{} is {:.1} MiB: too large to show.",
            rel.display(),
            meta.len() as f64 / (1024.0 * 1024.0)
        )));
    }
    let bytes = std::fs::read(&path).map_err(|e| format!("Cannot read {}: {e}", rel.display()))?;
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return Ok(FileText::note(format!(
            "{} is a binary file.",
            rel.display()
        )));
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut shown = FileText::from_text(&text);
    if let std::borrow::Cow::Owned(_) = text {
        // Not UTF-8: the hash is of the bytes on disk, not of their repaired text.
        shown.hash = Some(crate::files::hash_bytes(&bytes));
    }
    Ok(shown)
}

/// Builds a glob set from `[code].include`-style patterns.
pub fn glob_set(patterns: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        let glob = Glob::new(p).map_err(|e| format!("bad glob `{p}` in [code].include: {e}"))?;
        builder.add(glob);
    }
    builder.build().map_err(|e| e.to_string())
}

/// A walk of the workspace as every part of specbench sees it: `.gitignore`d and hidden files
/// left out, never into `.git/` or `.specbench/`.
pub fn walk_builder(root: &Path) -> ignore::WalkBuilder {
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".specbench" && e.file_name() != ".git");
    builder
}

/// Lists the code files in scope, relative to `root`, sorted, honouring `.gitignore`
/// and skipping `.git/` and `.specbench/`.
pub fn scan_code_files(root: &Path, include: &[String]) -> Result<Vec<PathBuf>, String> {
    let set = glob_set(include)?;
    let walker = walk_builder(root).build();
    let mut files = Vec::new();
    for entry in walker {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        if set.is_match(rel) {
            files.push(rel.to_path_buf());
            if files.len() >= MAX_LISTED_FILES {
                tracing::warn!(limit = MAX_LISTED_FILES, "code file list cut");
                break;
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_honours_include_and_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        std::fs::create_dir_all(root.join("build")).unwrap();
        std::fs::create_dir_all(root.join(".specbench")).unwrap();
        for f in [
            "a.py",
            "pkg/b.py",
            "build/c.py",
            ".specbench/d.py",
            "notes.txt",
        ] {
            std::fs::write(root.join(f), "x").unwrap();
        }
        std::fs::write(root.join(".gitignore"), "build/\n").unwrap();
        let files = scan_code_files(root, &["**/*.py".into()]).unwrap();
        assert_eq!(files, [PathBuf::from("a.py"), PathBuf::from("pkg/b.py")]);
    }

    #[test]
    fn bad_include_glob_is_reported() {
        let err = scan_code_files(Path::new("."), &["a[".into()]).unwrap_err();
        assert!(err.contains("bad glob `a[`"), "{err}");
    }

    #[test]
    fn display_text_strips_cr_and_expands_tabs() {
        let t = FileText::from_text("a\r\n\tb\n");
        assert_eq!(t.lines, ["a", "    b"]);
    }

    #[test]
    fn binary_files_get_a_note() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.py"), b"ab\0cd").unwrap();
        let t = read_code_file(dir.path(), Path::new("x.py")).unwrap();
        assert!(t.note.unwrap().contains("binary"));
    }

    #[test]
    fn an_oversized_spec_is_refused_with_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let big = "x".repeat(MAX_SPEC_BYTES as usize + 1);
        std::fs::write(dir.path().join("SPEC.md"), big).unwrap();
        let err = read_spec(dir.path(), Path::new("SPEC.md")).unwrap_err();
        assert!(
            err.starts_with("SPEC.md is 1.0 MiB: a spec over 1 MiB is not read"),
            "{err}"
        );
    }

    #[test]
    fn missing_spec_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_spec(dir.path(), Path::new("SPEC.md")).unwrap_err();
        assert_eq!(err, "No spec yet: SPEC.md does not exist.");
    }
}
