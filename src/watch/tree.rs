//! The watched tree: the notify watcher and the directories it watches (each kept directory its
//! own non-recursive watch, so an ignored `target/` costs no watches), walked and resynced, and
//! what each file held, to tell a change of content from a rewrite of the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;

use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};

use super::events::{Content, ContentChange};
use super::fingerprint::fingerprint;
use super::ignore::Rules;

/// The status-bar sentence when the inotify watch limit is reached.
pub(super) const LIMIT_REASON: &str = "The inotify watch limit (fs.inotify.max_user_watches) was reached, \
so some directories are not watched and changes may be missed: raise it with \
`sudo sysctl fs.inotify.max_user_watches=524288` (and add `fs.inotify.max_user_watches=524288` \
to /etc/sysctl.conf to keep it).";

/// The most bytes the first walk reads for its baseline; files past it are `Unknown` until they
/// change once.
const BASELINE_BUDGET: u64 = 64 << 20;

/// Whether placing a watch failed on the inotify watch limit (ENOSPC).
pub(super) fn is_watch_limit(err: &notify::Error) -> bool {
    match &err.kind {
        notify::ErrorKind::MaxFilesWatch => true,
        notify::ErrorKind::Io(io) => io.kind() == io::ErrorKind::StorageFull,
        _ => false,
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// State shared by the [`Watcher`] handle and its thread.
pub(super) struct Shared {
    pub(super) root: PathBuf,
    pub(super) rules: RwLock<Rules>,
    /// The directories under watch, relative to the root (`""` for the root).
    pub(super) watched: Mutex<BTreeSet<PathBuf>>,
}

impl Shared {
    pub(super) fn rules(&self) -> std::sync::RwLockReadGuard<'_, Rules> {
        self.rules.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn abs(&self, rel: &Path) -> PathBuf {
        if rel.as_os_str().is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }
}

/// The result of walking a directory tree and placing watches on it.
#[derive(Default)]
pub(super) struct Walk {
    /// The kept directories visited (watched, or already watched).
    pub(super) dirs: Vec<PathBuf>,
    /// The kept files found.
    pub(super) files: Vec<PathBuf>,
    /// A watch could not be placed because of the inotify watch limit; the walk stopped there.
    pub(super) limit_hit: bool,
}

/// The files of a burst whose content changed.
pub(super) struct Compared {
    pub(super) paths: Vec<PathBuf>,
    pub(super) content: Vec<ContentChange>,
    /// When the earliest of them was last written.
    pub(super) written: Option<SystemTime>,
}

/// The watched tree: the notify watcher, what it watches, and what its files held.
pub(super) struct Tree {
    pub(super) shared: Arc<Shared>,
    pub(super) notify: RecommendedWatcher,
    /// What each file held when it was last read (by the first walk or when reported), by
    /// path relative to the root (absolute outside it). A file not listed was absent, unless
    /// `complete` is false.
    pub(super) known: BTreeMap<PathBuf, Content>,
    /// Whether `known` lists every file there is (false after events were lost).
    pub(super) complete: bool,
    /// Bytes the first walk may still read for its baseline.
    pub(super) budget: u64,
    /// Scratch space for reading files.
    pub(super) buf: Vec<u8>,
}

impl Tree {
    pub(super) fn new(shared: Arc<Shared>, notify: RecommendedWatcher) -> Tree {
        Tree {
            shared,
            notify,
            known: BTreeMap::new(),
            complete: true,
            budget: BASELINE_BUDGET,
            buf: Vec::new(),
        }
    }

    /// Records what `rel` holds now, as the baseline of the first walk (within its budget).
    pub(super) fn baseline(&mut self, rel: PathBuf) {
        let content = if self.budget > 0 {
            fingerprint(&self.shared.abs(&rel), &mut self.buf).0
        } else {
            Content::Unknown
        };
        if let Content::Bytes { len, .. } = content {
            self.budget = self.budget.saturating_sub(len);
        }
        self.known.insert(rel, content);
    }

    /// Keeps the paths of a burst whose content changed, with what each held before and after
    /// and when the earliest of them was written, and remembers what they hold now.
    pub(super) fn compare(&mut self, paths: BTreeSet<PathBuf>) -> Compared {
        let mut kept = Vec::new();
        let mut changes = Vec::new();
        let mut earliest: Option<SystemTime> = None;
        for rel in paths {
            let (after, written) = fingerprint(&self.shared.abs(&rel), &mut self.buf);
            // A new file was absent before; a path that is not a file now (a directory moved
            // away, say) may have been anything.
            let unlisted = if self.complete && matches!(after, Content::Bytes { .. }) {
                Content::Absent
            } else {
                Content::Unknown
            };
            let before = self.known.get(&rel).copied().unwrap_or(unlisted);
            if before.same(after) {
                continue;
            }
            if !matches!(after, Content::Bytes { .. }) {
                // Gone, or a directory now: nothing known below it holds any more. (Paths sort
                // parents first, so files of a new directory in this burst come after this.)
                let below: Vec<PathBuf> = self
                    .known
                    .range::<Path, _>((
                        std::ops::Bound::Excluded(rel.as_path()),
                        std::ops::Bound::Unbounded,
                    ))
                    .map(|(path, _)| path)
                    .take_while(|path| path.starts_with(&rel))
                    .cloned()
                    .collect();
                for path in below {
                    self.known.remove(&path);
                }
            }
            match after {
                Content::Absent => self.known.remove(&rel),
                _ => self.known.insert(rel.clone(), after),
            };
            kept.push(rel);
            changes.push(ContentChange { before, after });
            earliest = match (earliest, written) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Compared {
            paths: kept,
            content: changes,
            written: earliest,
        }
    }

    /// Walks the kept directories from `start` (relative, itself kept), loading their
    /// `.gitignore` files and placing a non-recursive watch on each one not yet watched (before
    /// listing it, so nothing created meanwhile is missed); with `baseline`, reads what each
    /// file holds right after its directory is watched. Directories that vanish or cannot be
    /// read are logged and skipped; the walk stops at the watch limit.
    pub(super) fn walk(&mut self, start: &Path, baseline: bool) -> Walk {
        let mut walk = Walk::default();
        let mut stack = vec![start.to_path_buf()];
        while let Some(rel) = stack.pop() {
            let abs = self.shared.abs(&rel);
            self.shared
                .rules
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .load_nested(&rel);
            let already = lock(&self.shared.watched).contains(&rel);
            if !already {
                match self.notify.watch(&abs, RecursiveMode::NonRecursive) {
                    Ok(()) => {
                        lock(&self.shared.watched).insert(rel.clone());
                    }
                    Err(err) if is_watch_limit(&err) => {
                        tracing::warn!(dir = %abs.display(), "inotify watch limit reached: {err}");
                        walk.limit_hit = true;
                        return walk;
                    }
                    Err(err) => {
                        tracing::debug!(dir = %abs.display(), "cannot watch directory, skipped: {err}");
                        continue;
                    }
                }
            }
            let entries = match fs::read_dir(&abs) {
                Ok(entries) => entries,
                Err(err) => {
                    tracing::debug!(dir = %abs.display(), "cannot list directory, skipped: {err}");
                    continue;
                }
            };
            walk.dirs.push(rel.clone());
            let first_file = walk.files.len();
            let rules = self.shared.rules();
            for entry in entries.flatten() {
                let Ok(file_type) = entry.file_type() else {
                    continue;
                };
                let child = rel.join(entry.file_name());
                // Symbolic links are not followed: a link is reported like a file.
                let is_dir = file_type.is_dir();
                if rules.entry_ignored(&child, is_dir) {
                    continue;
                }
                if is_dir {
                    stack.push(child);
                } else {
                    walk.files.push(child);
                }
            }
            drop(rules);
            if baseline {
                for i in first_file..walk.files.len() {
                    self.baseline(walk.files[i].clone());
                }
            }
        }
        walk
    }

    /// Forgets the watched directory `rel` and those below it (notify has dropped their
    /// watches itself when they were removed or moved away). Returns whether `rel` was watched.
    pub(super) fn forget(&mut self, rel: &Path) -> bool {
        let mut watched = lock(&self.shared.watched);
        let was = watched.contains(rel);
        watched.retain(|dir| !dir.starts_with(rel));
        was
    }

    /// After a `.gitignore` changed: rereads every kept directory's `.gitignore`, watches the
    /// directories that are no longer ignored and unwatches those that now are. Returns whether
    /// the watch limit was hit.
    pub(super) fn resync(&mut self) -> bool {
        let walk = self.walk(Path::new(""), false);
        // Files now watched that were not before held something unknown all along.
        for file in &walk.files {
            if !self.known.contains_key(file) {
                self.known.insert(file.clone(), Content::Unknown);
            }
        }
        if walk.limit_hit {
            // The walk stopped short: what it did not reach is not known to be stale.
            return true;
        }
        let kept: BTreeSet<PathBuf> = walk.dirs.into_iter().collect();
        let stale: Vec<PathBuf> = lock(&self.shared.watched)
            .iter()
            .filter(|dir| !kept.contains(*dir))
            .cloned()
            .collect();
        for rel in stale {
            let abs = self.shared.abs(&rel);
            if let Err(err) = self.notify.unwatch(&abs) {
                tracing::debug!(dir = %abs.display(), "cannot unwatch directory: {err}");
            }
            lock(&self.shared.watched).remove(&rel);
        }
        self.shared
            .rules
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .nested
            .retain(|dir, _| kept.contains(dir));
        false
    }
}
