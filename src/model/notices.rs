//! The recent notices (`!`): every status-bar notice of this run, newest last, in a scrolling
//! overlay, so one that went by too fast (or stood behind another) can still be read whole
//! (`ui/notices.rs` draws it); and the status bar's rows for the notice shown.

use unicode_width::UnicodeWidthStr;

use super::keymap::{Action, KeyCombo};
use super::notice::{Notice, RECENT_NOTICES};
use super::scroll::{OverlayKey, overlay_key};
use super::{Cmd, Model, Overlay, confirm};

/// The most rows the status bar grows to for a long notice.
const STATUS_MAX_ROWS: u16 = 3;

impl Model {
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

/// Rows the list shows at once on a terminal of `size` (the dialog's border and margin off).
pub fn visible_rows(size: (u16, u16)) -> usize {
    usize::from(size.1.saturating_sub(6).max(1))
}

/// `!`: the list opens on its newest notices.
pub(crate) fn open(model: &mut Model) {
    let scroll = model
        .recent_notices
        .len()
        .saturating_sub(visible_rows(model.size));
    model.overlay = Some(Overlay::Notices { scroll });
}

/// Keys in the list: scroll it, close it (`Esc`, `!`, `q`), or quit (`Ctrl-C`).
pub(crate) fn on_key(model: &mut Model, scroll: usize, combo: KeyCombo) -> Vec<Cmd> {
    let page = visible_rows(model.size);
    let action = model
        .keymap
        .anywhere(combo)
        .or(model.keymap.normal(combo, model.focus));
    let scroll = match overlay_key(action, combo, Action::Notices, scroll, page) {
        OverlayKey::Scroll(s) => s,
        OverlayKey::Close => {
            model.overlay = None;
            return Vec::new();
        }
        OverlayKey::Quit => {
            confirm::ask_to_quit(model);
            return Vec::new();
        }
    };
    let max = model.recent_notices.len().saturating_sub(page);
    model.overlay = Some(Overlay::Notices {
        scroll: scroll.min(max),
    });
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::{Msg, NoticeKind, update};
    use crate::theme::ThemeSource;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn press(m: &mut Model, code: KeyCode) {
        update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    #[test]
    fn the_list_keeps_the_recent_notices_and_scrolls_from_the_newest() {
        let theme = ThemeSource::default().load("default").unwrap();
        let mut m = Model::new("/ws".into(), "ws".into(), Config::default(), theme);
        update(&mut m, Msg::Resize(80, 24));
        for i in 0..RECENT_NOTICES + 5 {
            m.notify(NoticeKind::Info, format!("notice {i}"));
        }
        assert_eq!(m.recent_notices.len(), RECENT_NOTICES);
        assert_eq!(m.recent_notices[0].text, "notice 5", "the oldest go first");
        press(&mut m, KeyCode::Char('!'));
        let last_page = RECENT_NOTICES - visible_rows(m.size);
        assert_eq!(m.overlay, Some(Overlay::Notices { scroll: last_page }));
        press(&mut m, KeyCode::Up);
        assert_eq!(
            m.overlay,
            Some(Overlay::Notices {
                scroll: last_page - 1
            })
        );
        press(&mut m, KeyCode::End);
        assert_eq!(m.overlay, Some(Overlay::Notices { scroll: last_page }));
        press(&mut m, KeyCode::Esc);
        assert_eq!(m.overlay, None);
    }
}
