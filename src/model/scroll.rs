//! Scrolling: by lines, pages and to the ends, in the focused pane or the one under the mouse;
//! the test list moves its selection instead; and after every message (and before every frame)
//! each offset is kept within what its pane holds.

use super::keymap::{Action, KeyCombo};
use super::results::list_height;
use super::{Model, Pane};

/// What a key does in a scrolled overlay (help, inspector, recent notices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OverlayKey {
    /// Stay open at this offset (not yet clamped to the overlay's length).
    Scroll(usize),
    /// Close the overlay: its own key, `q` or `Esc`.
    Close,
    /// `Ctrl-C`: ask to quit.
    Quit,
}

/// The scroll keys every overlay shares, for `action` (the key's meaning, if any), `combo`
/// (the key itself), the overlay's `own` action (which toggles it) and its `page` of rows.
pub(crate) fn overlay_key(
    action: Option<Action>,
    combo: KeyCombo,
    own: Action,
    scroll: usize,
    page: usize,
) -> OverlayKey {
    match action {
        Some(Action::ScrollDown) => OverlayKey::Scroll(scroll + 1),
        Some(Action::ScrollUp) => OverlayKey::Scroll(scroll.saturating_sub(1)),
        Some(Action::PageDown) => OverlayKey::Scroll(scroll + page),
        Some(Action::PageUp) => OverlayKey::Scroll(scroll.saturating_sub(page)),
        Some(Action::Top) => OverlayKey::Scroll(0),
        Some(Action::Bottom) => OverlayKey::Scroll(usize::MAX),
        Some(Action::Quit) if combo == KeyCombo::ctrl('c') => OverlayKey::Quit,
        Some(Action::Quit) => OverlayKey::Close,
        Some(a) if a == own => OverlayKey::Close,
        _ if combo.code == crossterm::event::KeyCode::Esc => OverlayKey::Close,
        _ => OverlayKey::Scroll(scroll),
    }
}

impl Model {
    /// The scroll offset of `pane`.
    fn scroll_mut(&mut self, pane: Pane) -> &mut usize {
        match pane {
            Pane::Spec => &mut self.spec.scroll,
            Pane::Conversation => &mut self.conversation.scroll,
            Pane::Code => &mut self.code.scroll,
            Pane::Results => &mut self.results.scroll,
        }
    }

    /// Scrolls `pane` by `delta` lines (kept in range after the message).
    pub(crate) fn scroll_by(&mut self, pane: Pane, delta: isize) {
        let scroll = self.scroll_mut(pane);
        *scroll = scroll.saturating_add_signed(delta);
        if pane == Pane::Conversation {
            // The user's own scrolling decides whether the view follows the end: away from the
            // end it stops, back at the end it follows again.
            let len = self.content_len(pane);
            let height = self.body_area(pane).map_or(0, |r| r.height as usize);
            self.conversation.follow = self.conversation.scroll >= len.saturating_sub(height);
        }
    }

    /// A page: the pane body's height less one line of overlap.
    pub(crate) fn page_size(&self, pane: Pane) -> usize {
        self.body_area(pane)
            .map_or(1, |r| (r.height as usize).saturating_sub(1).max(1))
    }

    /// Moves the test list's selection, which the list keeps in sight.
    pub(crate) fn move_selection(&mut self, action: Action) {
        let rows = self.results.rows();
        let page = self.page_size(Pane::Results);
        let sel = self.results.selected;
        self.results.selected = match action {
            Action::ScrollUp => sel.saturating_sub(1),
            Action::ScrollDown => sel + 1,
            Action::PageUp => sel.saturating_sub(page),
            Action::PageDown => sel + page,
            Action::Top => 0,
            _ => rows,
        }
        .min(rows.saturating_sub(1));
    }

    /// Rewraps cached lines for the current widths and clamps every scroll offset (after every
    /// message, and before every frame).
    pub(crate) fn keep_in_view(&mut self) {
        if let Some(body) = self.body_area(Pane::Spec) {
            self.spec.wrapped.ensure(&self.spec.lines, body.width);
        }
        let rows = self.results.rows();
        self.results.selected = self.results.selected.min(rows.saturating_sub(1));
        if let Some(body) = self.body_area(Pane::Results) {
            let height = list_height(body.height) as usize;
            let sel = self.results.selected;
            let scroll = &mut self.results.scroll;
            if sel < *scroll {
                *scroll = sel;
            } else if height > 0 && sel >= *scroll + height {
                *scroll = sel + 1 - height;
            }
        }
        for pane in [Pane::Spec, Pane::Conversation, Pane::Code] {
            let len = self.content_len(pane);
            let height = self.body_area(pane).map_or(0, |r| r.height as usize);
            let scroll = self.scroll_mut(pane);
            *scroll = (*scroll).min(len.saturating_sub(height));
        }
    }
}

#[cfg(test)]
mod overlay_key_tests {
    use super::*;
    use crossterm::event::KeyCode;

    #[test]
    fn an_overlay_scrolls_closes_on_its_own_key_q_or_esc_and_asks_before_quitting() {
        let key = |c| KeyCombo::plain(KeyCode::Char(c));
        let esc = KeyCombo::plain(KeyCode::Esc);
        let own = Action::Help;
        let at = |a: Option<Action>, combo| overlay_key(a, combo, own, 10, 5);
        assert_eq!(
            at(Some(Action::ScrollDown), key('j')),
            OverlayKey::Scroll(11)
        );
        assert_eq!(at(Some(Action::PageUp), key('u')), OverlayKey::Scroll(5));
        assert_eq!(at(Some(Action::Top), key('g')), OverlayKey::Scroll(0));
        assert_eq!(at(Some(Action::Help), key('?')), OverlayKey::Close);
        assert_eq!(at(Some(Action::Quit), key('q')), OverlayKey::Close);
        assert_eq!(at(None, esc), OverlayKey::Close);
        assert_eq!(
            at(Some(Action::Quit), KeyCombo::ctrl('c')),
            OverlayKey::Quit
        );
        assert_eq!(
            at(Some(Action::Inspector), key('x')),
            OverlayKey::Scroll(10)
        );
    }
}
