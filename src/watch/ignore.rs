//! The ignore rules (bacon's ignorer): `.git/` and `.specbench/` always, then `[tests].ignore`,
//! the workspace's `.gitignore` files and `.git/info/exclude`, then the built-in noise list.
//! Ignored directories are pruned before any watch is placed.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::error::WatchError;

/// Noise that is never worth a rerun, as gitignore lines. It has the lowest precedence: a
/// workspace's `.gitignore` or `[tests].ignore` can re-include a path with `!`.
const BUILTIN_IGNORES: &[&str] = &[
    "target/",
    "node_modules/",
    "__pycache__/",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    ".tox/",
    ".venv/",
    "venv/",
    "*.pyc",
    // Editor swap, backup and temporary files.
    "*.swp",
    "*.swo",
    "*.swx",
    "*~",
    ".#*",
    "\\#*#",
    "4913",
    "*.tmp",
    ".DS_Store",
    // specbench's own atomic writes: the temp file before its rename.
    ".*.specbench-tmp",
];

/// Directory names that are always ignored, whatever the rules say.
const HARD_IGNORES: &[&str] = &[".git", ".specbench"];

/// The ignore rules, from the highest precedence to the lowest: `.git/` and `.specbench/`,
/// `[tests].ignore`, the workspace's `.gitignore` files (deepest first, then those above the
/// root up to the git repository's root), `.git/info/exclude`, then the built-in noise list.
/// As in git, a path inside an ignored directory is ignored.
pub(super) struct Rules {
    pub(super) root: PathBuf,
    pub(super) config: Gitignore,
    /// `.gitignore` matchers by directory relative to the root (`""` for the root).
    pub(super) nested: BTreeMap<PathBuf, Gitignore>,
    /// `.gitignore` files between the root (exclusive) and its git repository's root, deepest
    /// first.
    pub(super) outer: Vec<Gitignore>,
    pub(super) exclude: Option<Gitignore>,
    pub(super) builtin: Gitignore,
}

impl Rules {
    pub(super) fn new(root: &Path, extra: &[String]) -> Result<Rules, WatchError> {
        let mut builtin = GitignoreBuilder::new(root);
        for line in BUILTIN_IGNORES {
            builtin
                .add_line(None, line)
                .map_err(|e| bad_glob(line, &e))?;
        }
        let builtin = builtin
            .build()
            .map_err(|e| bad_glob(&BUILTIN_IGNORES.join(", "), &e))?;

        let config = config_rules(root, extra)?;

        // The root may sit inside a git repository: git applies that repository's
        // info/exclude and the .gitignore files above the root too.
        let mut outer = Vec::new();
        let mut exclude = None;
        if let Some(git_root) = root.ancestors().find(|dir| dir.join(".git").exists()) {
            for dir in root.ancestors().skip(1) {
                if !dir.starts_with(git_root) {
                    break;
                }
                if let Some(gi) = load_gitignore_file(dir, &dir.join(".gitignore")) {
                    outer.push(gi);
                }
            }
            let exclude_path = git_root.join(".git").join("info").join("exclude");
            exclude = load_gitignore_file(git_root, &exclude_path);
        }

        Ok(Rules {
            root: root.to_path_buf(),
            config,
            nested: BTreeMap::new(),
            outer,
            exclude,
            builtin,
        })
    }

    /// Whether `rel` or any of its parent directories is ignored.
    pub(super) fn is_ignored(&self, rel: &Path, is_dir: bool) -> bool {
        let mut components = rel.components().peekable();
        let mut prefix = PathBuf::new();
        while let Some(component) = components.next() {
            match component {
                Component::Normal(name) => prefix.push(name),
                // Not a plain relative path: nothing under the root to match.
                _ => return false,
            }
            let prefix_is_dir = components.peek().is_some() || is_dir;
            if self.entry_ignored(&prefix, prefix_is_dir) {
                return true;
            }
        }
        false
    }

    /// Whether `rel` itself is ignored, assuming its parent directories are not.
    pub(super) fn entry_ignored(&self, rel: &Path, is_dir: bool) -> bool {
        if let Some(name) = rel.file_name()
            && HARD_IGNORES.iter().any(|hard| name == *hard)
        {
            return true;
        }
        let abs = self.root.join(rel);
        let decided = |m: Match<&ignore::gitignore::Glob>| match m {
            Match::None => None,
            Match::Ignore(_) => Some(true),
            Match::Whitelist(_) => Some(false),
        };
        if let Some(ignored) = decided(self.config.matched(&abs, is_dir)) {
            return ignored;
        }
        let parent = rel.parent().unwrap_or(Path::new(""));
        for dir in parent.ancestors() {
            if let Some(gi) = self.nested.get(dir)
                && let Some(ignored) = decided(gi.matched(&abs, is_dir))
            {
                return ignored;
            }
        }
        for gi in self.outer.iter().chain(&self.exclude) {
            if let Some(ignored) = decided(gi.matched(&abs, is_dir)) {
                return ignored;
            }
        }
        decided(self.builtin.matched(&abs, is_dir)).unwrap_or(false)
    }

    /// (Re)reads the `.gitignore` of the directory `rel`, or forgets it if there is none.
    pub(super) fn load_nested(&mut self, rel: &Path) {
        let dir = self.root.join(rel);
        match load_gitignore_file(&dir, &dir.join(".gitignore")) {
            Some(gi) => {
                self.nested.insert(rel.to_path_buf(), gi);
            }
            None => {
                self.nested.remove(rel);
            }
        }
    }
}

/// The `[tests].ignore` globs as gitignore rules relative to `root`.
pub(super) fn config_rules(root: &Path, globs: &[String]) -> Result<Gitignore, WatchError> {
    let mut config = GitignoreBuilder::new(root);
    for glob in globs {
        config
            .add_line(None, glob)
            .map_err(|e| bad_glob(glob, &e))?;
    }
    config.build().map_err(|e| bad_glob(&globs.join(", "), &e))
}

fn bad_glob(glob: &str, err: &ignore::Error) -> WatchError {
    WatchError::BadIgnoreGlob {
        glob: glob.to_string(),
        reason: err.to_string(),
    }
}

/// Reads a gitignore-format file whose patterns are relative to `dir`; `None` when it does not
/// exist or holds no usable pattern. Bad lines are logged and skipped, as git does.
fn load_gitignore_file(dir: &Path, file: &Path) -> Option<Gitignore> {
    if !file.is_file() {
        return None;
    }
    let mut builder = GitignoreBuilder::new(dir);
    if let Some(err) = builder.add(file) {
        tracing::warn!(file = %file.display(), "skipping bad ignore lines: {err}");
    }
    match builder.build() {
        Ok(gi) if !gi.is_empty() => Some(gi),
        Ok(_) => None,
        Err(err) => {
            tracing::warn!(file = %file.display(), "ignoring ignore file: {err}");
            None
        }
    }
}
