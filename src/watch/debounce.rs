//! Debouncing: raw events gathered into bursts on a dedicated thread (a trailing quiet period, a
//! longest wait, a slower pace during an event storm), each burst reported once with the files
//! whose content changed. The thread blocks on its channel without a timeout while nothing is
//! pending: no idle wake-ups.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::EventKind;
use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RemoveKind, RenameMode};
use tokio::sync::mpsc::UnboundedSender;

use super::events::WatchEvent;
use super::fingerprint::began;
use super::tree::{LIMIT_REASON, Tree, is_watch_limit, lock};

/// The status-bar sentence when the kernel's event queue overflowed.
const OVERFLOW_REASON: &str =
    "The file watcher's event queue overflowed, so some changes may have been missed.";

/// A burst of raw events being debounced.
#[derive(Default)]
pub(super) struct Burst {
    pub(super) paths: BTreeSet<PathBuf>,
    pub(super) first: Option<Instant>,
    pub(super) last: Option<Instant>,
    /// Events were lost during the burst: it ends with a `Rescan` rather than a `Changed`.
    pub(super) rescan: Option<String>,
    /// A `.gitignore` changed during the burst.
    pub(super) gitignore_changed: bool,
    /// Files that appeared during the burst: if they vanish again before it ends, they were
    /// temporary (`sed -i`, an editor's save-by-rename) and are not reported at all.
    pub(super) created: BTreeSet<PathBuf>,
}

impl Burst {
    pub(super) fn touch(&mut self, now: Instant) {
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    pub(super) fn add(&mut self, rel: PathBuf, now: Instant) {
        if rel.file_name().is_some_and(|name| name == ".gitignore") {
            self.gitignore_changed = true;
        }
        self.paths.insert(rel);
        self.touch(now);
    }

    pub(super) fn rescan(&mut self, reason: &str, now: Instant) {
        self.rescan.get_or_insert_with(|| reason.to_string());
        self.touch(now);
    }

    /// When the burst ends, or `None` when nothing is pending.
    pub(super) fn deadline(&self, quiet: Duration, max_wait: Duration) -> Option<Instant> {
        let first = self.first?;
        let last = self.last.unwrap_or(first);
        match (last.checked_add(quiet), first.checked_add(max_wait)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (Some(a), None) | (None, Some(a)) => Some(a),
            (None, None) => Some(last),
        }
    }
}

pub(super) enum Msg {
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
pub(super) struct Worker {
    pub(super) tree: Tree,
    pub(super) burst: Burst,
    pub(super) quiet: Duration,
    pub(super) max_wait: Duration,
    /// When the last event was sent, and how many paths it had.
    pub(super) last_sent: Option<(Instant, usize)>,
    /// The pending burst continues a storm.
    pub(super) storm: bool,
    /// Files outside the root watched by name.
    pub(super) extra: BTreeSet<PathBuf>,
    pub(super) tx: UnboundedSender<WatchEvent>,
}

impl Worker {
    pub(super) fn run(mut self, rx: mpsc::Receiver<Msg>) {
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
    pub(super) fn flush(&mut self) -> bool {
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

    pub(super) fn rel(&self, abs: &Path) -> Option<PathBuf> {
        let rel = abs.strip_prefix(&self.tree.shared.root).ok()?;
        (!rel.as_os_str().is_empty()).then(|| rel.to_path_buf())
    }

    pub(super) fn on_event(&mut self, event: notify::Event, now: Instant) {
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
    pub(super) fn changed(&mut self, rel: PathBuf, now: Instant) {
        if self.burst.paths.contains(&rel) {
            // A save gives several raw events for one path: match the rules once.
            self.burst.touch(now);
        } else if !self.tree.shared.rules().is_ignored(&rel, false) {
            self.burst.add(rel, now);
        }
    }

    /// A file or directory was created or moved in.
    pub(super) fn appeared(&mut self, rel: PathBuf, is_dir: Option<bool>, now: Instant) {
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
    pub(super) fn vanished(&mut self, rel: PathBuf, is_dir: Option<bool>, now: Instant) {
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
