//! The status bar's transient notices.

use std::time::Duration;

use unicode_width::UnicodeWidthStr;

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

/// How many notices the list of recent ones keeps.
pub const RECENT_NOTICES: usize = 50;

/// The most rows the status bar grows to for a long notice.
const STATUS_MAX_ROWS: u16 = 3;

impl super::Model {
    /// The status bar's rows: one, or more when the notice does not fit beside the mode, the
    /// workspace and the stepper (it then takes the rows under them, whole).
    pub fn status_rows(&self) -> u16 {
        let Some(notice) = &self.notice else {
            return 1;
        };
        let cols = usize::from(self.size.0);
        let text = format!("│ {}", notice.text);
        if text.width() <= notice_room(cols, &self.label) {
            return 1;
        }
        let line = ratatui::text::Line::from(text);
        let rows = crate::render::wrap::wrap_line(&line, cols.max(1)).len();
        1 + (rows as u16).clamp(1, STATUS_MAX_ROWS - 1)
    }

    /// Records a notice in the list of recent ones.
    pub(crate) fn remember_notice(&mut self, notice: &Notice) {
        if self.recent_notices.len() == RECENT_NOTICES {
            self.recent_notices.pop_front();
        }
        self.recent_notices.push_back(notice.clone());
    }
}

/// The columns a notice has on the status bar's first row: the row less the mode (at its
/// widest), the workspace label and the most the stepper takes.
pub fn notice_room(cols: usize, label: &str) -> usize {
    let lead = " COMPOSE ".len() + label.width() + 2;
    cols.saturating_sub(cols * 2 / 5).saturating_sub(lead)
}
