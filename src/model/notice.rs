//! The status bar's transient notices.

use std::time::Duration;

/// How a transient status-bar message looks and how long it stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Error,
}

impl NoticeKind {
    /// How long a notice of this kind stays in the status bar.
    pub fn lifetime(self) -> Duration {
        match self {
            NoticeKind::Info => Duration::from_secs(4),
            NoticeKind::Error => Duration::from_secs(12),
        }
    }
}

/// A transient status-bar message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: u64,
    pub kind: NoticeKind,
    pub text: String,
}

/// How many notices the list of recent ones (`!`) keeps.
pub const RECENT_NOTICES: usize = 50;
