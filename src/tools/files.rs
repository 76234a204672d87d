//! Reading workspace files for the tools: the confinement of edits (`code::safety::locate`)
//! plus gitignore, and text files only: regular, at most [`MAX_FILE_BYTES`], no NUL, UTF-8.
//! A file is opened without following a last symlink and without blocking (a FIFO swapped in
//! after the check cannot hang the read), then checked again through its handle.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use ignore::gitignore::GitignoreBuilder;

use crate::code::safety::{self, Refusal};

/// Files larger than this are not read (the limit edits have too).
pub const MAX_FILE_BYTES: u64 = safety::MAX_EDIT_BYTES;

/// How much of a file is searched for a NUL to call it binary.
const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// Why a file is not read, in words for the model (the caller names the path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// Refused by the confinement or gitignore.
    Refused(String),
    /// Binary or not UTF-8.
    Binary,
    /// Larger than [`MAX_FILE_BYTES`].
    TooLarge(u64),
    /// Nothing there.
    Missing,
    /// The filesystem would not tell.
    Unreadable(String),
}

impl Unread {
    /// The reason in words.
    pub fn words(&self) -> String {
        match self {
            Unread::Refused(why) => why.clone(),
            Unread::Binary => "a binary (or non-UTF-8) file; only text files are read".into(),
            Unread::TooLarge(bytes) => format!(
                "{bytes} bytes, over the {MAX_FILE_BYTES}-byte limit for reading; search it \
                 instead"
            ),
            Unread::Missing => "no such file (list_files shows what there is)".into(),
            Unread::Unreadable(e) => format!("cannot be read: {e}"),
        }
    }
}

/// The refusal of a path in words for reading.
fn refusal_words(refusal: &Refusal) -> String {
    match refusal {
        Refusal::Absolute | Refusal::DrivePrefix => {
            "an absolute path; the tools read only inside the workspace (give a path relative \
             to its root)"
                .into()
        }
        Refusal::NotAFile => {
            "not a regular file (a directory, FIFO, socket or device); list_files lists a \
             folder's files"
                .into()
        }
        other => other.to_string(),
    }
}

/// The text of the file `path` names (as the model wrote it), with its normalized relative
/// path; or why it is not read.
pub fn read_text(root: &Path, path: &str) -> Result<(PathBuf, String), Unread> {
    let place = safety::locate(root, path).map_err(|r| Unread::Refused(refusal_words(&r)))?;
    let real = place
        .abs
        .strip_prefix(root)
        .unwrap_or(&place.rel)
        .to_path_buf();
    if ignored(root, &place.rel) || ignored(root, &real) {
        return Err(Unread::Refused(
            "ignored by the workspace's .gitignore (or .ignore); the tools read only files \
             git would track"
                .into(),
        ));
    }
    let text = open_text(&place.abs)?;
    Ok((place.rel, text))
}

/// The text of the regular file at `abs` (no symlink at the end, no blocking open).
pub fn open_text(abs: &Path) -> Result<String, Unread> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(abs)
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Unread::Missing,
            _ if e.raw_os_error() == Some(libc::ELOOP) => {
                Unread::Refused(refusal_words(&Refusal::NotAFile))
            }
            _ => Unread::Unreadable(e.to_string()),
        })?;
    let meta = file
        .metadata()
        .map_err(|e| Unread::Unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(Unread::Refused(refusal_words(&Refusal::NotAFile)));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Unread::TooLarge(meta.len()));
    }
    read_capped(file)
}

/// At most [`MAX_FILE_BYTES`] of `file`, as text.
fn read_capped(file: File) -> Result<String, Unread> {
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Unread::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Unread::TooLarge(bytes.len() as u64));
    }
    if bytes[..bytes.len().min(BINARY_SNIFF_BYTES)].contains(&0) {
        return Err(Unread::Binary);
    }
    String::from_utf8(bytes).map_err(|_| Unread::Binary)
}

/// Whether `.gitignore`/`.ignore` files from `rel`'s folder up to `root`, or
/// `.git/info/exclude`, leave `rel` out (the nearest rule that matches decides, as git does).
pub fn ignored(root: &Path, rel: &Path) -> bool {
    let abs = root.join(rel);
    for ancestor in rel.ancestors().skip(1) {
        let dir = root.join(ancestor);
        for name in [".ignore", ".gitignore"] {
            let file = dir.join(name);
            if !file.is_file() {
                continue;
            }
            let mut builder = GitignoreBuilder::new(&dir);
            if builder.add(&file).is_some() {
                continue;
            }
            let Ok(rules) = builder.build() else { continue };
            let m = rules.matched_path_or_any_parents(&abs, false);
            if m.is_ignore() {
                return true;
            }
            if m.is_whitelist() {
                return false;
            }
        }
    }
    let exclude = root.join(".git/info/exclude");
    let mut builder = GitignoreBuilder::new(root);
    if exclude.is_file() && builder.add(&exclude).is_none() {
        return builder
            .build()
            .is_ok_and(|rules| rules.matched_path_or_any_parents(&abs, false).is_ignore());
    }
    false
}

/// The workspace's files the tools see, relative and sorted: gitignored and hidden files and
/// symlinks left out, never `.git/` or `.specbench/`; at most [`super::limits::MAX_WALKED`]. The flag
/// says whether the walk stopped there.
pub fn walk(root: &Path) -> (Vec<PathBuf>, bool) {
    let walker = crate::workspace::walk_builder(root)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    let mut files = Vec::new();
    for entry in walker {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        if files.len() == super::limits::MAX_WALKED {
            files.sort();
            return (files, true);
        }
        files.push(rel.to_path_buf());
    }
    files.sort();
    (files, false)
}

/// Which paths a `glob` argument keeps: a glob matched against relative paths (`*` crosses
/// folders), or, without wildcards, that path and everything under it (`src` is `src/**`).
pub struct PathFilter {
    glob: Option<globset::GlobMatcher>,
    prefix: Option<PathBuf>,
}

impl PathFilter {
    /// The filter `pattern` asks for; `None` keeps everything.
    pub fn new(pattern: Option<&str>) -> Result<PathFilter, String> {
        let Some(pattern) = pattern.map(str::trim) else {
            return Ok(PathFilter {
                glob: None,
                prefix: None,
            });
        };
        if !pattern.contains(['*', '?', '[', '{']) {
            let prefix = pattern.trim_start_matches("./").trim_end_matches('/');
            return Ok(PathFilter {
                glob: None,
                prefix: Some(PathBuf::from(prefix)),
            });
        }
        let glob = globset::Glob::new(pattern.trim_start_matches("./")).map_err(|e| {
            format!(
                "`{}` is not a glob: {e}",
                super::limits::one_line(pattern, 60)
            )
        })?;
        Ok(PathFilter {
            glob: Some(glob.compile_matcher()),
            prefix: None,
        })
    }

    /// Whether `rel` is kept.
    pub fn keeps(&self, rel: &Path) -> bool {
        match (&self.glob, &self.prefix) {
            (Some(glob), _) => glob.is_match(rel),
            (None, Some(prefix)) => prefix.as_os_str().is_empty() || rel.starts_with(prefix),
            (None, None) => true,
        }
    }
}
