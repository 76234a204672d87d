//! The watcher's handle: it walks the workspace and places the watches, starts the debouncing
//! thread, puts new ignore globs in force, and stops watching when dropped.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use notify::{RecursiveMode, Watcher as _};
use tokio::sync::mpsc::UnboundedSender;

use super::debounce::{Burst, Msg, Worker};
use super::error::WatchError;
use super::events::WatchEvent;
use super::ignore::{Rules, config_rules};
use super::tree::{LIMIT_REASON, Shared, Tree, Walk, is_watch_limit, lock};

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

/// Watches a workspace and sends [`WatchEvent`]s. Watching stops when this is dropped.
pub struct Watcher {
    shared: Arc<Shared>,
    pub(super) stop: mpsc::Sender<Msg>,
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
    pub(super) fn watched_dirs(&self) -> Vec<PathBuf> {
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
