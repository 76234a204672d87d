//! The file watcher: reports debounced bursts of changed files under the workspace root.
//!
//! A change is a change of content: the watcher keeps a fingerprint (length and hash) of each
//! file it reports and of each file its first walk finds, and drops a file from a burst when it
//! holds what it held before (a command that rewrites a file with the same bytes changes
//! nothing). Each reported file comes with what it held before and after.
//!
//! Ignored directories (`.git/`, `.specbench/`, `.gitignore`d ones, the built-in noise list and
//! `[tests].ignore`) are pruned before any watch is placed: the tree is walked here and each kept
//! directory gets its own non-recursive notify watch, so a huge `target/` or `node_modules/`
//! costs neither inotify watches nor events. Raw events are debounced on a dedicated thread that
//! blocks on its channel without a timeout while nothing is pending (no idle wake-ups).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::hash::Hasher as _;
use std::io::{self, Read as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RemoveKind, RenameMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::mpsc::UnboundedSender;

/// What the watcher reports on its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// One burst of changes, debounced: the changed paths relative to the root (sorted, deduped;
    /// a watched file outside the root by its absolute path), what each held before and after
    /// (`content[i]` is `paths[i]`'s), and when the burst began and its last raw event arrived.
    /// It began when its first raw event arrived, or when the earliest of its files was written
    /// if that is earlier (by at most [`MAX_EVENT_DELAY`]: the thread that receives events may
    /// be scheduled late on a busy machine, after a short command that wrote a file has ended).
    Changed {
        paths: Vec<PathBuf>,
        content: Vec<ContentChange>,
        first: Instant,
        last: Instant,
    },
    /// Events may have been lost (inotify queue overflow, or a watch could not be placed):
    /// the consumer should do a full rerun. `reason` is a sentence for the status bar; for the
    /// watch limit (ENOSPC) it names `fs.inotify.max_user_watches` and how to raise it.
    Rescan { reason: String },
}

/// What a file held, as far as the watcher can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// No file there.
    Absent,
    /// A regular file of `len` bytes whose bytes hash to `hash`.
    Bytes { len: u64, hash: u64 },
    /// Not known: not read, larger than [`MAX_FINGERPRINT`], not a regular file (a directory, a
    /// symbolic link, a FIFO), or unreadable. It is never the same as anything.
    Unknown,
}

impl Content {
    /// Whether both are known to hold the same bytes (or both to be absent).
    pub fn same(self, other: Content) -> bool {
        match (self, other) {
            (Content::Absent, Content::Absent) => true,
            (a @ Content::Bytes { .. }, b @ Content::Bytes { .. }) => a == b,
            _ => false,
        }
    }

    /// A regular file with nothing in it (a file being rewritten often looks like this between
    /// its truncation and its write).
    pub fn is_empty(self) -> bool {
        matches!(self, Content::Bytes { len: 0, .. })
    }
}

/// What one reported file held before the burst and holds after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentChange {
    pub before: Content,
    pub after: Content,
}

/// How far a file's modification time may date a burst before its first raw event arrived.
pub const MAX_EVENT_DELAY: Duration = Duration::from_secs(1);

/// Files larger than this are not read to fingerprint them: each change to one is reported.
pub const MAX_FINGERPRINT: u64 = 1 << 20;
/// The most bytes the first walk reads for its baseline; files past it are `Unknown` until they
/// change once.
const BASELINE_BUDGET: u64 = 64 << 20;

/// Reads what `path` holds now, and when it was last written, without following a symbolic
/// link or blocking on a FIFO; `buf` is scratch space.
fn fingerprint(path: &Path, buf: &mut Vec<u8>) -> (Content, Option<SystemTime>) {
    let file = match fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return (Content::Absent, None),
        Err(_) => return (Content::Unknown, None),
    };
    let meta = match file.metadata() {
        Ok(meta) => meta,
        Err(_) => return (Content::Unknown, None),
    };
    let written = meta.modified().ok();
    if !meta.is_file() || meta.len() > MAX_FINGERPRINT {
        return (Content::Unknown, written);
    }
    buf.clear();
    match (&file).take(MAX_FINGERPRINT + 1).read_to_end(buf) {
        Ok(_) if buf.len() as u64 <= MAX_FINGERPRINT => {}
        _ => return (Content::Unknown, written),
    }
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(buf);
    let content = Content::Bytes {
        len: buf.len() as u64,
        hash: hasher.finish(),
    };
    (content, written)
}

/// When a burst that `arrived` began: earlier if one of its files was `written` before that,
/// by at most [`MAX_EVENT_DELAY`].
fn began(arrived: Instant, written: Option<SystemTime>) -> Instant {
    let Some(written) = written else {
        return arrived;
    };
    // The file's age now, on the wall clock, dates the write on the monotonic one.
    let age = SystemTime::now()
        .duration_since(written)
        .unwrap_or_default()
        .saturating_sub(arrived.elapsed())
        .min(MAX_EVENT_DELAY);
    arrived.checked_sub(age).unwrap_or(arrived)
}

/// How to watch a workspace.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub root: PathBuf,
    /// Extra ignore globs (`[tests].ignore`, gitignore-style globs like "*.log", "out/").
    pub ignore: Vec<String>,
    /// Files outside the root to watch too (the user's config file), by absolute path; they are
    /// reported by that path.
    pub extra: Vec<PathBuf>,
    /// Trailing quiet period that ends a burst (default 5 ms).
    pub quiet: Duration,
    /// A burst is reported at the latest this long after its first event (default 250 ms).
    pub max_wait: Duration,
}

impl WatchConfig {
    /// A config with the default quiet period (5 ms) and maximum wait (250 ms).
    pub fn new(root: PathBuf, ignore: Vec<String>) -> Self {
        Self {
            root,
            ignore,
            extra: Vec::new(),
            quiet: Duration::from_millis(5),
            max_wait: Duration::from_millis(250),
        }
    }
}

/// Why the watcher could not start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("invalid ignore glob `{glob}` in [tests].ignore: {reason}")]
    BadIgnoreGlob { glob: String, reason: String },
    #[error("cannot read the workspace root {}: {source}", root.display())]
    RootUnreadable {
        root: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot start the file watcher: {0}")]
    Notify(#[from] notify::Error),
}

/// The status-bar sentence when the inotify watch limit is reached.
const LIMIT_REASON: &str = "The inotify watch limit (fs.inotify.max_user_watches) was reached, \
so some directories are not watched and changes may be missed: raise it with \
`sudo sysctl fs.inotify.max_user_watches=524288` (and add `fs.inotify.max_user_watches=524288` \
to /etc/sysctl.conf to keep it).";

/// The status-bar sentence when the kernel's event queue overflowed.
const OVERFLOW_REASON: &str =
    "The file watcher's event queue overflowed, so some changes may have been missed.";

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
struct Rules {
    root: PathBuf,
    config: Gitignore,
    /// `.gitignore` matchers by directory relative to the root (`""` for the root).
    nested: BTreeMap<PathBuf, Gitignore>,
    /// `.gitignore` files between the root (exclusive) and its git repository's root, deepest
    /// first.
    outer: Vec<Gitignore>,
    exclude: Option<Gitignore>,
    builtin: Gitignore,
}

impl Rules {
    fn new(root: &Path, extra: &[String]) -> Result<Rules, WatchError> {
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
    fn is_ignored(&self, rel: &Path, is_dir: bool) -> bool {
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
    fn entry_ignored(&self, rel: &Path, is_dir: bool) -> bool {
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
    fn load_nested(&mut self, rel: &Path) {
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
fn config_rules(root: &Path, globs: &[String]) -> Result<Gitignore, WatchError> {
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

/// Whether placing a watch failed on the inotify watch limit (ENOSPC).
fn is_watch_limit(err: &notify::Error) -> bool {
    match &err.kind {
        notify::ErrorKind::MaxFilesWatch => true,
        notify::ErrorKind::Io(io) => io.kind() == io::ErrorKind::StorageFull,
        _ => false,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// State shared by the [`Watcher`] handle and its thread.
struct Shared {
    root: PathBuf,
    rules: RwLock<Rules>,
    /// The directories under watch, relative to the root (`""` for the root).
    watched: Mutex<BTreeSet<PathBuf>>,
}

impl Shared {
    fn rules(&self) -> std::sync::RwLockReadGuard<'_, Rules> {
        self.rules.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn abs(&self, rel: &Path) -> PathBuf {
        if rel.as_os_str().is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }
}

/// The result of walking a directory tree and placing watches on it.
#[derive(Default)]
struct Walk {
    /// The kept directories visited (watched, or already watched).
    dirs: Vec<PathBuf>,
    /// The kept files found.
    files: Vec<PathBuf>,
    /// A watch could not be placed because of the inotify watch limit; the walk stopped there.
    limit_hit: bool,
}

/// The files of a burst whose content changed.
struct Compared {
    paths: Vec<PathBuf>,
    content: Vec<ContentChange>,
    /// When the earliest of them was last written.
    written: Option<SystemTime>,
}

/// The watched tree: the notify watcher, what it watches, and what its files held.
struct Tree {
    shared: Arc<Shared>,
    notify: RecommendedWatcher,
    /// What each file held when it was last read (by the first walk or when reported), by
    /// path relative to the root (absolute outside it). A file not listed was absent, unless
    /// `complete` is false.
    known: BTreeMap<PathBuf, Content>,
    /// Whether `known` lists every file there is (false after events were lost).
    complete: bool,
    /// Bytes the first walk may still read for its baseline.
    budget: u64,
    /// Scratch space for reading files.
    buf: Vec<u8>,
}

impl Tree {
    fn new(shared: Arc<Shared>, notify: RecommendedWatcher) -> Tree {
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
    fn baseline(&mut self, rel: PathBuf) {
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
    fn compare(&mut self, paths: BTreeSet<PathBuf>) -> Compared {
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
    fn walk(&mut self, start: &Path, baseline: bool) -> Walk {
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
    fn forget(&mut self, rel: &Path) -> bool {
        let mut watched = lock(&self.shared.watched);
        let was = watched.contains(rel);
        watched.retain(|dir| !dir.starts_with(rel));
        was
    }

    /// After a `.gitignore` changed: rereads every kept directory's `.gitignore`, watches the
    /// directories that are no longer ignored and unwatches those that now are. Returns whether
    /// the watch limit was hit.
    fn resync(&mut self) -> bool {
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

/// A burst of raw events being debounced.
#[derive(Default)]
struct Burst {
    paths: BTreeSet<PathBuf>,
    first: Option<Instant>,
    last: Option<Instant>,
    /// Events were lost during the burst: it ends with a `Rescan` rather than a `Changed`.
    rescan: Option<String>,
    /// A `.gitignore` changed during the burst.
    gitignore_changed: bool,
    /// Files that appeared during the burst: if they vanish again before it ends, they were
    /// temporary (`sed -i`, an editor's save-by-rename) and are not reported at all.
    created: BTreeSet<PathBuf>,
}

impl Burst {
    fn touch(&mut self, now: Instant) {
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    fn add(&mut self, rel: PathBuf, now: Instant) {
        if rel.file_name().is_some_and(|name| name == ".gitignore") {
            self.gitignore_changed = true;
        }
        self.paths.insert(rel);
        self.touch(now);
    }

    fn rescan(&mut self, reason: &str, now: Instant) {
        self.rescan.get_or_insert_with(|| reason.to_string());
        self.touch(now);
    }

    /// When the burst ends, or `None` when nothing is pending.
    fn deadline(&self, quiet: Duration, max_wait: Duration) -> Option<Instant> {
        let first = self.first?;
        let last = self.last.unwrap_or(first);
        match (last.checked_add(quiet), first.checked_add(max_wait)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (Some(a), None) | (None, Some(a)) => Some(a),
            (None, None) => Some(last),
        }
    }
}

enum Msg {
    Raw(notify::Result<notify::Event>),
    /// The ignore rules changed: watch and unwatch directories to match.
    Resync,
    Stop,
}

/// A burst that starts this soon after a burst of at least [`STORM_MIN_PATHS`] files was sent
/// belongs to a storm (a checkout, a formatter run over the tree): it is collected with the
/// storm's longer quiet period, so a storm gives one fast event and then at most one more.
/// Small bursts never start a storm: a save followed by a test run's own output file must not
/// slow down the next save.
const STORM_GAP: Duration = Duration::from_millis(100);
/// The smallest burst that can start a storm.
const STORM_MIN_PATHS: usize = 3;
/// The quiet period that ends a storm.
const STORM_QUIET: Duration = Duration::from_millis(100);
/// A storm is reported at the latest this long after it resumed.
const STORM_MAX_WAIT: Duration = Duration::from_secs(3);

/// The debouncing thread's state.
struct Worker {
    tree: Tree,
    burst: Burst,
    quiet: Duration,
    max_wait: Duration,
    /// When the last event was sent, and how many paths it had.
    last_sent: Option<(Instant, usize)>,
    /// The pending burst continues a storm.
    storm: bool,
    /// Files outside the root watched by name.
    extra: BTreeSet<PathBuf>,
    tx: UnboundedSender<WatchEvent>,
}

impl Worker {
    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        loop {
            let deadline = if self.storm {
                self.burst.deadline(STORM_QUIET, STORM_MAX_WAIT)
            } else {
                self.burst.deadline(self.quiet, self.max_wait)
            };
            let msg = match deadline {
                // Nothing pending: block with no timeout, so an idle watcher never wakes up.
                None => match rx.recv() {
                    Ok(msg) => Some(msg),
                    Err(_) => return,
                },
                Some(deadline) => {
                    match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                        Ok(msg) => Some(msg),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            };
            // A burst whose time is up ends before the next event, which opens a new burst
            // (this also ends bursts in a steady stream of events, at `max_wait`).
            let due = deadline.is_some_and(|deadline| Instant::now() >= deadline);
            if (msg.is_none() || due) && !self.flush() {
                return;
            }
            if msg.is_some() && self.burst.first.is_none() {
                self.storm = self.last_sent.is_some_and(|(sent, paths)| {
                    paths >= STORM_MIN_PATHS && sent.elapsed() < STORM_GAP
                });
            }
            match msg {
                None => {}
                Some(Msg::Stop) => return,
                Some(Msg::Resync) if self.tree.resync() => {
                    self.burst.rescan(LIMIT_REASON, Instant::now());
                }
                Some(Msg::Resync) => {}
                Some(Msg::Raw(Ok(event))) => self.on_event(event, Instant::now()),
                Some(Msg::Raw(Err(err))) => {
                    let now = Instant::now();
                    if is_watch_limit(&err) {
                        self.burst.rescan(LIMIT_REASON, now);
                    } else {
                        tracing::warn!("file watcher error: {err}");
                        let reason = format!(
                            "The file watcher reported an error ({err}), so some changes may have been missed."
                        );
                        self.burst.rescan(&reason, now);
                    }
                }
            }
        }
    }

    /// Sends the pending burst; `false` when the receiver is gone.
    fn flush(&mut self) -> bool {
        let burst = std::mem::take(&mut self.burst);
        let (Some(first), Some(last)) = (burst.first, burst.last) else {
            return true;
        };
        let event = if let Some(reason) = burst.rescan {
            // A full rerun covers whatever else changed in the burst; events were lost, so
            // what files held is no longer known.
            self.tree.known.clear();
            self.tree.complete = false;
            Some(WatchEvent::Rescan { reason })
        } else {
            let compared = self.tree.compare(burst.paths);
            (!compared.paths.is_empty()).then(|| WatchEvent::Changed {
                paths: compared.paths,
                content: compared.content,
                first: began(first, compared.written),
                last,
            })
        };
        if let Some(event) = event {
            let paths = match &event {
                WatchEvent::Changed { paths, .. } => paths.len(),
                WatchEvent::Rescan { .. } => STORM_MIN_PATHS,
            };
            if self.tx.send(event).is_err() {
                tracing::debug!("watch receiver dropped; stopping the watcher");
                return false;
            }
            self.last_sent = Some((Instant::now(), paths));
        }
        self.storm = false;
        if burst.gitignore_changed && self.tree.resync() {
            self.burst.rescan(LIMIT_REASON, Instant::now());
        }
        true
    }

    fn rel(&self, abs: &Path) -> Option<PathBuf> {
        let rel = abs.strip_prefix(&self.tree.shared.root).ok()?;
        (!rel.as_os_str().is_empty()).then(|| rel.to_path_buf())
    }

    fn on_event(&mut self, event: notify::Event, now: Instant) {
        if event.need_rescan() {
            self.burst.rescan(OVERFLOW_REASON, now);
        }
        for abs in &event.paths {
            let Some(rel) = self.rel(abs) else {
                if self.extra.contains(abs)
                    && !matches!(
                        event.kind,
                        EventKind::Access(_)
                            | EventKind::Modify(ModifyKind::Metadata(_))
                            | EventKind::Any
                            | EventKind::Other
                    )
                {
                    self.burst.add(abs.clone(), now);
                    continue;
                }
                // The root itself (moved or deleted) or a path outside it.
                tracing::debug!(path = %abs.display(), kind = ?event.kind, "event outside the watched tree");
                continue;
            };
            match event.kind {
                EventKind::Create(CreateKind::Folder) => self.appeared(rel, Some(true), now),
                EventKind::Create(CreateKind::File) => self.appeared(rel, Some(false), now),
                EventKind::Create(_) | EventKind::Modify(ModifyKind::Name(RenameMode::To)) => {
                    self.appeared(rel, None, now)
                }
                EventKind::Modify(ModifyKind::Name(RenameMode::From)) => {
                    self.vanished(rel, None, now)
                }
                // Reported as its From and To halves.
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {}
                EventKind::Modify(ModifyKind::Name(_)) => {
                    if fs::symlink_metadata(abs).is_ok() {
                        self.appeared(rel, None, now);
                    } else {
                        self.vanished(rel, None, now);
                    }
                }
                // chmod, chown, atime: not a change worth a run.
                EventKind::Modify(ModifyKind::Metadata(_)) => {}
                EventKind::Modify(_) | EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                    self.changed(rel, now)
                }
                EventKind::Remove(RemoveKind::Folder) => self.vanished(rel, Some(true), now),
                EventKind::Remove(RemoveKind::File) => self.vanished(rel, Some(false), now),
                EventKind::Remove(_) => self.vanished(rel, None, now),
                EventKind::Access(_) | EventKind::Any | EventKind::Other => {}
            }
        }
    }

    /// A file's data changed.
    fn changed(&mut self, rel: PathBuf, now: Instant) {
        if self.burst.paths.contains(&rel) {
            // A save gives several raw events for one path: match the rules once.
            self.burst.touch(now);
        } else if !self.tree.shared.rules().is_ignored(&rel, false) {
            self.burst.add(rel, now);
        }
    }

    /// A file or directory was created or moved in.
    fn appeared(&mut self, rel: PathBuf, is_dir: Option<bool>, now: Instant) {
        let is_dir = is_dir.unwrap_or_else(|| {
            fs::symlink_metadata(self.tree.shared.abs(&rel)).is_ok_and(|m| m.is_dir())
        });
        if !is_dir {
            if !self.burst.paths.contains(&rel) {
                self.burst.created.insert(rel.clone());
            }
            return self.changed(rel, now);
        }
        if self.tree.shared.rules().is_ignored(&rel, true) {
            return;
        }
        if lock(&self.tree.shared.watched).contains(&rel) {
            // Already walked (as part of a new parent directory).
            return;
        }
        let walk = self.tree.walk(&rel, false);
        for file in walk.files {
            self.burst.add(file, now);
        }
        if walk.limit_hit {
            self.burst.rescan(LIMIT_REASON, now);
        }
    }

    /// A file or directory was removed or moved away. A vanished directory is reported by its
    /// own path: when it was moved away, no event names the files it held.
    fn vanished(&mut self, rel: PathBuf, is_dir: Option<bool>, now: Instant) {
        if is_dir != Some(true) && self.burst.created.remove(&rel) {
            // Created and gone again within one burst: a temporary file.
            self.burst.paths.remove(&rel);
            self.burst.touch(now);
            return;
        }
        let was_watched = self.tree.forget(&rel);
        let ignored = {
            let rules = self.tree.shared.rules();
            match is_dir {
                Some(is_dir) => rules.is_ignored(&rel, is_dir || was_watched),
                None if was_watched => rules.is_ignored(&rel, true),
                // Unknown kind: ignored if ignored either as a file or as a directory.
                None => rules.is_ignored(&rel, false) || rules.is_ignored(&rel, true),
            }
        };
        if !ignored {
            self.burst.add(rel.clone(), now);
        }
        if was_watched && fs::symlink_metadata(self.tree.shared.abs(&rel)).is_ok_and(|m| m.is_dir())
        {
            // Replaced by another directory (renamed over it, or removed and made anew before
            // this event was read): the new one needs watches of its own.
            self.appeared(rel, Some(true), now);
        }
    }
}

/// Watches a workspace and sends [`WatchEvent`]s. Watching stops when this is dropped.
pub struct Watcher {
    shared: Arc<Shared>,
    stop: mpsc::Sender<Msg>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("root", &self.shared.root)
            .finish_non_exhaustive()
    }
}

impl Watcher {
    /// Walks the workspace, places the watches (before returning, so any later change is
    /// seen; this blocks for as long as the walk takes) and starts the debouncing thread.
    /// Hitting the inotify watch limit is not an error: a [`WatchEvent::Rescan`] is sent.
    pub fn start(
        config: WatchConfig,
        tx: UnboundedSender<WatchEvent>,
    ) -> Result<Watcher, WatchError> {
        let unreadable = |source| WatchError::RootUnreadable {
            root: config.root.clone(),
            source,
        };
        let root = fs::canonicalize(&config.root).map_err(unreadable)?;
        fs::read_dir(&root).map_err(unreadable)?;
        let rules = Rules::new(&root, &config.ignore)?;
        let shared = Arc::new(Shared {
            root,
            rules: RwLock::new(rules),
            watched: Mutex::new(BTreeSet::new()),
        });

        let (raw_tx, raw_rx) = mpsc::channel();
        let handler_tx = raw_tx.clone();
        let notify = notify::recommended_watcher(move |res| {
            // The receiver only goes away when the watcher stops.
            let _ = handler_tx.send(Msg::Raw(res));
        })?;
        let mut tree = Tree::new(Arc::clone(&shared), notify);
        // The root first: unlike a subdirectory, failing to watch it is an error.
        let limit_hit = match tree.notify.watch(&shared.root, RecursiveMode::NonRecursive) {
            Ok(()) => {
                lock(&shared.watched).insert(PathBuf::new());
                false
            }
            Err(err) if is_watch_limit(&err) => true,
            Err(err) => return Err(WatchError::Notify(err)),
        };
        let walk = if limit_hit {
            Walk::default()
        } else {
            tree.walk(Path::new(""), true)
        };
        let mut extra = BTreeSet::new();
        for path in &config.extra {
            let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
                continue;
            };
            let Ok(dir) = fs::canonicalize(dir) else {
                tracing::debug!(path = %path.display(), "not watching a file whose directory does not exist");
                continue;
            };
            if dir.starts_with(&shared.root) {
                // Inside the tree: watched with it (unless ignored).
                continue;
            }
            if let Err(err) = tree.notify.watch(&dir, RecursiveMode::NonRecursive) {
                tracing::warn!(dir = %dir.display(), "cannot watch directory: {err}");
                continue;
            }
            let file = dir.join(name);
            tree.baseline(file.clone());
            extra.insert(file);
        }
        if limit_hit || walk.limit_hit {
            let _ = tx.send(WatchEvent::Rescan {
                reason: LIMIT_REASON.to_string(),
            });
        }
        tracing::debug!(
            root = %shared.root.display(),
            dirs = walk.dirs.len(),
            "file watcher started"
        );

        let worker = Worker {
            tree,
            burst: Burst::default(),
            quiet: config.quiet,
            max_wait: config.max_wait,
            last_sent: None,
            storm: false,
            extra,
            tx,
        };
        let thread = std::thread::Builder::new()
            .name("specbench-watch".into())
            .spawn(move || worker.run(raw_rx))
            .map_err(|e| WatchError::Notify(notify::Error::io(e)))?;
        Ok(Watcher {
            shared,
            stop: raw_tx,
            thread: Some(thread),
        })
    }

    /// Whether `rel` (relative to the root) is ignored by the rules: `.git/`, `.specbench/`,
    /// `[tests].ignore`, the workspace's `.gitignore` files, `.git/info/exclude` and the
    /// built-in noise list; a path inside an ignored directory is ignored.
    pub fn is_ignored(&self, rel: &Path, is_dir: bool) -> bool {
        self.shared.rules().is_ignored(rel, is_dir)
    }

    /// Puts new `[tests].ignore` globs in force: ignored paths are not reported from now on, and
    /// the watches are placed or removed to match, in the background.
    pub fn set_ignore(&self, globs: &[String]) -> Result<(), WatchError> {
        let config = config_rules(&self.shared.root, globs)?;
        self.shared
            .rules
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .config = config;
        let _ = self.stop.send(Msg::Resync);
        Ok(())
    }

    /// The directories under watch, relative to the root (`""` is the root), sorted.
    #[cfg(test)]
    fn watched_dirs(&self) -> Vec<PathBuf> {
        lock(&self.shared.watched).iter().cloned().collect()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.stop.send(Msg::Stop);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!("the file watcher thread panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

    const WAIT: Duration = Duration::from_secs(5);
    const SILENCE: Duration = Duration::from_millis(300);

    /// A quiet period much longer than the default, so that a test thread descheduled between
    /// two syscalls of one save (on a loaded machine) does not split the save into two bursts.
    fn config(root: &Path) -> WatchConfig {
        WatchConfig {
            quiet: Duration::from_millis(200),
            max_wait: Duration::from_secs(2),
            ..WatchConfig::new(root.to_path_buf(), Vec::new())
        }
    }

    fn start(config: WatchConfig) -> (Watcher, UnboundedReceiver<WatchEvent>) {
        let (tx, rx) = unbounded_channel();
        let watcher = Watcher::start(config, tx).expect("watcher starts");
        (watcher, rx)
    }

    async fn next(rx: &mut UnboundedReceiver<WatchEvent>) -> WatchEvent {
        tokio::time::timeout(WAIT, rx.recv())
            .await
            .expect("an event within 5 s")
            .expect("the channel is open")
    }

    async fn next_paths(rx: &mut UnboundedReceiver<WatchEvent>) -> Vec<PathBuf> {
        match next(rx).await {
            WatchEvent::Changed {
                paths,
                content,
                first,
                last,
            } => {
                assert!(first <= last);
                assert_eq!(paths.len(), content.len());
                paths
            }
            other => panic!("expected Changed, got {other:?}"),
        }
    }

    async fn assert_silent(rx: &mut UnboundedReceiver<WatchEvent>) {
        if let Ok(event) = tokio::time::timeout(SILENCE, rx.recv()).await {
            panic!("expected no event, got {event:?}");
        }
    }

    fn paths(list: &[&str]) -> Vec<PathBuf> {
        list.iter().map(PathBuf::from).collect()
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent");
        }
        fs::write(path, text).expect("write file");
    }

    #[test]
    fn config_defaults() {
        let config = WatchConfig::new(PathBuf::from("/ws"), vec!["*.log".into()]);
        assert_eq!(config.quiet, Duration::from_millis(5));
        assert_eq!(config.max_wait, Duration::from_millis(250));
        assert_eq!(config.ignore, vec!["*.log".to_string()]);
    }

    #[test]
    fn watcher_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Watcher>();
    }

    #[tokio::test]
    async fn rewriting_a_file_with_the_same_content_gives_no_event() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "gen.py", "X = 1\n");
        write(dir.path(), "SPEC.md", "# Spec\n");
        let (_watcher, mut rx) = start(config(dir.path()));
        // The first rewrite after the walk is recognised too: the walk took a baseline.
        write(dir.path(), "gen.py", "X = 1\n");
        // Truncated and written again within one burst, as `cat tmp > SPEC.md` does.
        fs::write(dir.path().join("SPEC.md"), "").expect("truncate");
        write(dir.path(), "SPEC.md", "# Spec\n");
        assert_silent(&mut rx).await;
        write(dir.path(), "gen.py", "X = 2\n");
        match next(&mut rx).await {
            WatchEvent::Changed {
                paths: p, content, ..
            } => {
                assert_eq!(p, paths(&["gen.py"]));
                let [change] = content.as_slice() else {
                    panic!("{content:?}")
                };
                assert!(matches!(change.before, Content::Bytes { len: 6, .. }));
                assert!(matches!(change.after, Content::Bytes { len: 6, .. }));
                assert!(!change.before.same(change.after));
            }
            other => panic!("expected Changed, got {other:?}"),
        }
        // And back: the same content as before the last change is a change again.
        write(dir.path(), "gen.py", "X = 1\n");
        assert_eq!(next_paths(&mut rx).await, paths(&["gen.py"]));
        write(dir.path(), "gen.py", "X = 1\n");
        assert_silent(&mut rx).await;
    }

    #[tokio::test]
    async fn created_emptied_and_removed_files_say_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "a.py", "x = 1\n");
        let (_watcher, mut rx) = start(config(dir.path()));
        let change = |event: WatchEvent| match event {
            WatchEvent::Changed { content, .. } => content[0],
            other => panic!("expected Changed, got {other:?}"),
        };
        write(dir.path(), "new.py", "y = 1\n");
        let created = change(next(&mut rx).await);
        assert_eq!(created.before, Content::Absent);
        assert!(matches!(created.after, Content::Bytes { len: 6, .. }));
        fs::write(dir.path().join("a.py"), "").expect("truncate");
        let emptied = change(next(&mut rx).await);
        assert!(emptied.after.is_empty() && !emptied.before.is_empty());
        fs::remove_file(dir.path().join("a.py")).expect("rm");
        let removed = change(next(&mut rx).await);
        assert_eq!(removed.after, Content::Absent);
        assert!(Content::Absent.same(Content::Absent));
        assert!(!Content::Unknown.same(Content::Unknown));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_fifo_is_reported_without_being_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_watcher, mut rx) = start(config(dir.path()));
        let fifo = dir.path().join("pipe.py");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: `c` is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        match next(&mut rx).await {
            WatchEvent::Changed {
                paths: p, content, ..
            } => {
                assert_eq!(p, paths(&["pipe.py"]));
                assert_eq!(content[0].after, Content::Unknown);
            }
            other => panic!("expected Changed, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn files_outside_the_root_can_be_watched_by_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("ws");
        write(&root, "a.py", "");
        write(dir.path(), "user/config.toml", "[ui]\n");
        write(dir.path(), "user/other.toml", "");
        let extra = fs::canonicalize(dir.path().join("user/config.toml")).expect("canon");
        let config = WatchConfig {
            extra: vec![extra.clone()],
            ..config(&root)
        };
        let (_watcher, mut rx) = start(config);
        write(dir.path(), "user/other.toml", "x = 1\n");
        write(dir.path(), "user/config.toml", "[ui]\n");
        assert_silent(&mut rx).await;
        write(dir.path(), "user/config.toml", "[ui]\ntheme = \"light\"\n");
        assert_eq!(next_paths(&mut rx).await, vec![extra]);
    }

    #[tokio::test]
    async fn new_ignore_rules_apply_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "gen/a.py", "");
        write(root, "src/b.py", "");
        let (watcher, mut rx) = start(config(root));
        watcher
            .set_ignore(&["gen/".to_string()])
            .expect("good globs");
        write(root, "gen/a.py", "noise\n");
        assert_silent(&mut rx).await;
        let deadline = Instant::now() + WAIT;
        while watcher.watched_dirs().contains(&PathBuf::from("gen")) {
            assert!(Instant::now() < deadline, "gen/ still watched");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        watcher.set_ignore(&[]).expect("no globs");
        let deadline = Instant::now() + WAIT;
        while !watcher.watched_dirs().contains(&PathBuf::from("gen")) {
            assert!(Instant::now() < deadline, "gen/ not watched again");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        write(root, "gen/a.py", "x\n");
        assert_eq!(next_paths(&mut rx).await, paths(&["gen/a.py"]));
        assert!(matches!(
            watcher.set_ignore(&["src/{a,b".to_string()]),
            Err(WatchError::BadIgnoreGlob { .. })
        ));
    }

    #[tokio::test]
    async fn one_save_gives_one_changed() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "src/app.py", "x = 1\n");
        let (_watcher, mut rx) = start(config(dir.path()));
        write(dir.path(), "src/app.py", "x = 2\n");
        assert_eq!(next_paths(&mut rx).await, paths(&["src/app.py"]));
        assert_silent(&mut rx).await;
    }

    #[tokio::test]
    async fn default_config_reports_a_save() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_watcher, mut rx) = start(WatchConfig::new(dir.path().to_path_buf(), Vec::new()));
        write(dir.path(), "main.py", "print()\n");
        // With the 5 ms default a preempted writer could split a save; only check the path.
        assert_eq!(next_paths(&mut rx).await, paths(&["main.py"]));
    }

    #[tokio::test]
    async fn a_storm_with_pauses_gives_one_fast_event_and_one_more() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir(dir.path().join("gen")).expect("mkdir");
        let (_watcher, mut rx) = start(WatchConfig::new(dir.path().to_path_buf(), Vec::new()));
        // Pauses longer than the 5 ms quiet period, shorter than the storm gap.
        for i in 0..200 {
            write(dir.path(), &format!("gen/f{i}.py"), "x\n");
            if i % 40 == 39 {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let mut seen = BTreeSet::new();
        let mut events = 0;
        while seen.len() < 200 {
            seen.extend(next_paths(&mut rx).await);
            events += 1;
        }
        assert!(events <= 2, "{events} events for one storm");
        assert_silent(&mut rx).await;
    }

    #[tokio::test]
    async fn temporary_files_of_a_sed_style_save_are_not_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "app.py", "x = 1\n");
        let (_watcher, mut rx) = start(config(dir.path()));
        // sed -i: write a new file beside the original, then rename it over the original.
        write(dir.path(), "sedAbC123", "x = 2\n");
        fs::rename(dir.path().join("sedAbC123"), dir.path().join("app.py")).expect("rename");
        assert_eq!(next_paths(&mut rx).await, paths(&["app.py"]));
        assert_silent(&mut rx).await;
    }

    #[tokio::test]
    async fn a_burst_of_1000_files_gives_one_changed() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir(dir.path().join("gen")).expect("mkdir");
        // Creating a file takes about a millisecond on some disks, and much longer on a loaded
        // machine: wait generously so that the burst ends on its quiet period alone.
        let config = WatchConfig {
            quiet: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            ..config(dir.path())
        };
        let (_watcher, mut rx) = start(config);
        let mut expected = Vec::new();
        for i in 0..1000 {
            let rel = format!("gen/file_{i:04}.py");
            write(dir.path(), &rel, "pass\n");
            expected.push(PathBuf::from(rel));
        }
        expected.sort();
        assert_eq!(next_paths(&mut rx).await, expected);
        assert_silent(&mut rx).await;
    }

    #[tokio::test]
    async fn max_wait_ends_a_long_burst() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = WatchConfig {
            quiet: Duration::from_secs(30),
            max_wait: Duration::from_millis(50),
            ..config(dir.path())
        };
        let (_watcher, mut rx) = start(config);
        write(dir.path(), "a.py", "pass\n");
        // Well past `max_wait`, well within `quiet`: the first burst has been cut off.
        std::thread::sleep(Duration::from_secs(1));
        write(dir.path(), "b.py", "pass\n");
        // (A writer preempted mid-save may split a save itself: only check the two stay apart.)
        let (a, b) = (PathBuf::from("a.py"), PathBuf::from("b.py"));
        loop {
            let changed = next_paths(&mut rx).await;
            assert!(
                !(changed.contains(&a) && changed.contains(&b)),
                "one burst: {changed:?}"
            );
            if changed.contains(&b) {
                break;
            }
        }
    }

    #[tokio::test]
    async fn writes_under_ignored_paths_give_no_event() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for d in [
            "target",
            ".git",
            ".specbench",
            "__pycache__",
            "build",
            "out",
        ] {
            fs::create_dir(root.join(d)).expect("mkdir");
        }
        write(root, ".gitignore", "build/\n*.dat\n");
        let config = WatchConfig {
            ignore: vec!["*.log".into(), "out/".into()],
            ..config(root)
        };
        let (_watcher, mut rx) = start(config);
        for rel in [
            "target/x",
            ".git/x",
            ".specbench/x",
            "__pycache__/x.pyc",
            "build/x.py",
            "data.dat",
            "run.log",
            "out/x.py",
            "foo.swp",
            "foo.py~",
            ".#foo.py",
            "#foo.py#",
            "4913",
            "a.tmp",
            ".a.py.4242.Ab3dE9.specbench-tmp",
            "mod.pyc",
        ] {
            write(root, rel, "noise\n");
        }
        // New ignored directories are not reported either, nor what is inside them.
        write(root, "node_modules/pkg/index.js", "noise\n");
        write(root, "sub/target/debug/x", "noise\n");
        assert_silent(&mut rx).await;
        // The watcher is alive: a real change still comes through, alone.
        write(root, "keep.py", "pass\n");
        assert_eq!(next_paths(&mut rx).await, paths(&["keep.py"]));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn access_and_metadata_changes_give_no_event() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "a.py", "pass\n");
        let (_watcher, mut rx) = start(config(dir.path()));
        let file = dir.path().join("a.py");
        fs::read_to_string(&file).expect("read");
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_silent(&mut rx).await;
    }

    #[tokio::test]
    async fn removal_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "old.py", "pass\n");
        let (_watcher, mut rx) = start(config(dir.path()));
        fs::remove_file(dir.path().join("old.py")).expect("rm");
        assert_eq!(next_paths(&mut rx).await, paths(&["old.py"]));
    }

    #[tokio::test]
    async fn new_directory_is_watched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let (watcher, mut rx) = start(config(root));
        fs::create_dir(root.join("pkg")).expect("mkdir");
        write(root, "pkg/mod.py", "pass\n");
        assert_eq!(next_paths(&mut rx).await, paths(&["pkg/mod.py"]));

        // Nested directories made at once, with a file in the deepest one.
        write(root, "a/b/c/deep.py", "pass\n");
        assert_eq!(next_paths(&mut rx).await, paths(&["a/b/c/deep.py"]));
        assert!(watcher.watched_dirs().contains(&PathBuf::from("a/b/c")));
        // The new directories are watched from now on.
        write(root, "a/b/c/later.py", "pass\n");
        assert_eq!(next_paths(&mut rx).await, paths(&["a/b/c/later.py"]));
    }

    #[tokio::test]
    async fn directory_moved_in_reports_its_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("ws");
        fs::create_dir(&root).expect("mkdir");
        write(dir.path(), "outside/lib/x.py", "pass\n");
        write(dir.path(), "outside/lib/sub/y.py", "pass\n");
        write(dir.path(), "outside/lib/__pycache__/x.pyc", "noise\n");
        let (watcher, mut rx) = start(config(&root));
        fs::rename(dir.path().join("outside/lib"), root.join("lib")).expect("mv in");
        assert_eq!(
            next_paths(&mut rx).await,
            paths(&["lib/sub/y.py", "lib/x.py"])
        );
        assert!(watcher.watched_dirs().contains(&PathBuf::from("lib/sub")));

        // Moved away again: its own path is reported and its watches are forgotten.
        fs::rename(root.join("lib"), dir.path().join("gone")).expect("mv out");
        assert_eq!(next_paths(&mut rx).await, paths(&["lib"]));
        assert!(!watcher.watched_dirs().iter().any(|d| d.starts_with("lib")));
    }

    /// Receives `Changed` events until all of `expected` have been named.
    async fn until_seen(rx: &mut UnboundedReceiver<WatchEvent>, expected: &[&str]) {
        let mut missing: BTreeSet<PathBuf> = expected.iter().map(PathBuf::from).collect();
        while !missing.is_empty() {
            for path in next_paths(rx).await {
                missing.remove(&path);
            }
        }
    }

    #[tokio::test]
    async fn replaced_directory_is_watched_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("ws");
        write(&root, "d/a.py", "pass\n");
        fs::create_dir(root.join("e")).expect("mkdir");
        write(dir.path(), "outside/n.py", "pass\n");
        let (_watcher, mut rx) = start(config(&root));

        // Removed and made anew, quickly.
        fs::remove_dir_all(root.join("d")).expect("rm -r");
        write(&root, "d/b.py", "pass\n");
        // An empty directory replaced by a rename over it.
        fs::rename(dir.path().join("outside"), root.join("e")).expect("mv over");
        until_seen(&mut rx, &["d/a.py", "d/b.py", "e/n.py"]).await;

        write(&root, "d/c.py", "pass\n");
        write(&root, "e/m.py", "pass\n");
        until_seen(&mut rx, &["d/c.py", "e/m.py"]).await;
    }

    #[tokio::test]
    async fn save_by_rename_gives_one_changed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "a.py", "x = 1\n");
        let (_watcher, mut rx) = start(config(root));
        write(root, "a.py.tmp", "x = 2\n");
        fs::rename(root.join("a.py.tmp"), root.join("a.py")).expect("rename");
        assert_eq!(next_paths(&mut rx).await, paths(&["a.py"]));
        assert_silent(&mut rx).await;
    }

    #[tokio::test]
    async fn vim_backup_dance_gives_one_changed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "a.py", "x = 1\n");
        let (_watcher, mut rx) = start(config(root));
        // vim's writability probe, then backup by rename, write anew, drop the backup.
        write(root, "4913", "");
        fs::remove_file(root.join("4913")).expect("rm probe");
        fs::rename(root.join("a.py"), root.join("a.py~")).expect("backup");
        write(root, "a.py", "x = 2\n");
        fs::remove_file(root.join("a.py~")).expect("rm backup");
        assert_eq!(next_paths(&mut rx).await, paths(&["a.py"]));
        assert_silent(&mut rx).await;
    }

    #[tokio::test]
    async fn pruned_directories_get_no_watch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for rel in [
            "src/pkg/m.py",
            "target/debug/deps/x",
            "node_modules/a/b/i.js",
            ".git/objects/ab/cd",
            ".specbench/sessions/s.json",
            "build/gen/g.py",
            "src/pkg/__pycache__/m.pyc",
            "src/generated/g.py",
            "logs/today/a",
        ] {
            write(root, rel, "");
        }
        write(root, ".gitignore", "build/\n");
        write(root, "src/.gitignore", "generated/\n");
        write(root, ".git/info/exclude", "logs/\n");
        let config = WatchConfig {
            ignore: vec!["*.log".into()],
            ..config(root)
        };
        let (watcher, mut rx) = start(config);
        assert_eq!(watcher.watched_dirs(), paths(&["", "src", "src/pkg"]));
        for rel in [
            "target",
            "node_modules",
            ".git",
            ".specbench",
            "build",
            "src/generated",
            "src/pkg/__pycache__",
            "logs",
        ] {
            assert!(watcher.is_ignored(Path::new(rel), true), "{rel} ignored");
        }
        assert!(watcher.is_ignored(Path::new("target/debug/deps/x"), false));
        assert!(watcher.is_ignored(Path::new("src/generated/g.py"), false));
        assert!(watcher.is_ignored(Path::new("a/b/c.log"), false));
        assert!(!watcher.is_ignored(Path::new("src/pkg/m.py"), false));
        // `build/` names directories only; gitignore rules are relative to their directory.
        assert!(!watcher.is_ignored(Path::new("build"), false));
        assert!(!watcher.is_ignored(Path::new("generated"), true));
        assert_silent(&mut rx).await;
    }

    #[tokio::test]
    async fn gitignore_can_reinclude_builtin_noise() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "venv/lib.py", "");
        write(root, ".gitignore", "!venv/\n");
        let config = WatchConfig {
            ignore: vec!["*.py".into(), "!keep.py".into()],
            ..config(root)
        };
        let (watcher, _rx) = start(config);
        assert!(watcher.watched_dirs().contains(&PathBuf::from("venv")));
        assert!(watcher.is_ignored(Path::new("venv/lib.py"), false));
        assert!(!watcher.is_ignored(Path::new("keep.py"), false));
    }

    #[tokio::test]
    async fn changed_gitignore_updates_the_watches() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "gen/a.py", "");
        write(root, "src/b.py", "");
        let (watcher, mut rx) = start(config(root));
        write(root, ".gitignore", "gen/\n");
        assert_eq!(next_paths(&mut rx).await, paths(&[".gitignore"]));
        // The resync runs right after the burst is sent; wait for it to show.
        let deadline = Instant::now() + WAIT;
        while watcher.watched_dirs().contains(&PathBuf::from("gen")) {
            assert!(Instant::now() < deadline, "gen/ still watched");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        write(root, "gen/a.py", "noise\n");
        assert_silent(&mut rx).await;
        fs::remove_file(root.join(".gitignore")).expect("rm");
        assert_eq!(next_paths(&mut rx).await, paths(&[".gitignore"]));
        let deadline = Instant::now() + WAIT;
        while !watcher.watched_dirs().contains(&PathBuf::from("gen")) {
            assert!(Instant::now() < deadline, "gen/ not watched again");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        write(root, "gen/a.py", "x\n");
        assert_eq!(next_paths(&mut rx).await, paths(&["gen/a.py"]));
    }

    #[tokio::test]
    async fn queue_overflow_and_watch_limit_give_rescan() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (watcher, mut rx) = start(config(dir.path()));
        let overflow = notify::Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan);
        watcher.stop.send(Msg::Raw(Ok(overflow))).expect("send");
        match next(&mut rx).await {
            WatchEvent::Rescan { reason } => assert!(reason.contains("overflowed"), "{reason}"),
            other => panic!("expected Rescan, got {other:?}"),
        }
        // Many limit errors in one burst give one Rescan naming the sysctl.
        for _ in 0..3 {
            let err = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
            watcher.stop.send(Msg::Raw(Err(err))).expect("send");
        }
        match next(&mut rx).await {
            WatchEvent::Rescan { reason } => {
                assert!(reason.contains("fs.inotify.max_user_watches"), "{reason}");
                assert!(reason.contains("sysctl"), "{reason}");
            }
            other => panic!("expected Rescan, got {other:?}"),
        }
        assert_silent(&mut rx).await;
    }

    #[test]
    fn a_burst_is_dated_by_its_files_writes_within_a_second() {
        let arrived = Instant::now();
        let wall = SystemTime::now();
        assert_eq!(began(arrived, None), arrived);
        let early = began(arrived, Some(wall - Duration::from_millis(200)));
        let by = arrived - early;
        assert!(
            by > Duration::from_millis(150) && by <= Duration::from_millis(200),
            "{by:?}"
        );
        let old = began(arrived, Some(wall - Duration::from_secs(3600)));
        assert_eq!(arrived - old, MAX_EVENT_DELAY);
        let future = began(arrived, Some(wall + Duration::from_secs(5)));
        assert_eq!(future, arrived);
    }

    #[test]
    fn limit_errors_are_recognised() {
        assert!(is_watch_limit(&notify::Error::new(
            notify::ErrorKind::MaxFilesWatch
        )));
        let enospc = io::Error::from_raw_os_error(28);
        assert!(is_watch_limit(&notify::Error::io(enospc)));
        assert!(!is_watch_limit(&notify::Error::path_not_found()));
    }

    #[test]
    fn bad_ignore_glob_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (tx, _rx) = unbounded_channel();
        let config = WatchConfig::new(
            dir.path().to_path_buf(),
            vec!["*.log".into(), "src/{a,b".into()],
        );
        match Watcher::start(config, tx) {
            Err(err @ WatchError::BadIgnoreGlob { .. }) => {
                assert!(err.to_string().contains("src/{a,b"), "{err}");
            }
            other => panic!("expected BadIgnoreGlob, got {other:?}"),
        }
    }

    #[test]
    fn unreadable_root_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (tx, _rx) = unbounded_channel();
        let config = WatchConfig::new(dir.path().join("missing"), Vec::new());
        assert!(matches!(
            Watcher::start(config, tx),
            Err(WatchError::RootUnreadable { .. })
        ));
    }

    #[tokio::test]
    async fn dropping_the_watcher_stops_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (watcher, mut rx) = start(config(dir.path()));
        drop(watcher);
        write(dir.path(), "a.py", "pass\n");
        let end = tokio::time::timeout(WAIT, rx.recv()).await.expect("closed");
        assert_eq!(end, None);
    }
}
