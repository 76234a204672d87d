//! What the watcher reports: bursts of changed files, each with what it held before and after
//! (a change is a change of content), or that events were lost.

use std::path::PathBuf;
use std::time::{Duration, Instant};

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
