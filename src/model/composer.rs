//! The composer at the bottom of the Conversation pane: compose mode, the draft and its token
//! count, the messages sent before (`Up`/`Down` in an empty composer), and the prompts offered
//! in an empty composer (the current step's, then a replay cassette's).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keymap::Action;
use super::{Cmd, Mode, Model, Pane};
use crate::llm::Role;
use crate::theme::scope;

impl Model {
    /// Re-counts the draft if it changed.
    pub fn recount_draft(&mut self) {
        let draft = self.draft();
        if draft != self.conversation.draft.text {
            self.conversation.draft = self.conversation.counted(draft);
            self.conversation.revision += 1;
        }
    }

    /// Offers a message in an empty composer (or in place of an untouched offer): the current
    /// step's prompt while this conversation has not sent it, else the next prompt a replay
    /// cassette holds.
    pub(crate) fn offer_next(&mut self) {
        if self.draft_is_own() || self.conversation.streaming() {
            return;
        }
        let said = |text: &str| {
            self.conversation
                .messages
                .iter()
                .any(|m| m.role == Role::User && m.text.trim() == text.trim())
        };
        let step_prompt = self
            .session
            .step
            .prompt()
            .map(|p| p.trim_end().to_string())
            .filter(|p| !said(p));
        // A cassette's other prompts, in order; never a step's prompt out of its step.
        let step_prompts: Vec<&str> = crate::session::Step::ALL
            .iter()
            .filter_map(|s| s.prompt())
            .map(str::trim_end)
            .collect();
        let next = step_prompt.or_else(|| {
            self.conversation
                .offered
                .iter()
                .find(|p| {
                    !said(p)
                        && !self.conversation.sent.contains(p)
                        && !step_prompts.contains(&p.trim_end())
                })
                .cloned()
        });
        match next {
            Some(text) => {
                if self.draft() != text {
                    self.set_draft(&text);
                }
                self.conversation.offer = Some(text);
            }
            None if self.conversation.offer.is_some() => {
                self.set_draft("");
                self.conversation.offer = None;
            }
            None => {}
        }
    }

    /// Replaces the composer's text.
    pub fn set_draft(&mut self, text: &str) {
        let mut composer = ratatui_textarea::TextArea::from(text.lines().map(str::to_string));
        composer.set_style(self.composer.style());
        composer.set_cursor_line_style(self.composer.cursor_line_style());
        composer.set_cursor_style(self.composer.cursor_style());
        composer.set_placeholder_style(self.theme.style(scope::COMPOSER_PLACEHOLDER));
        composer.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
        composer.move_cursor(ratatui_textarea::CursorMove::Bottom);
        composer.move_cursor(ratatui_textarea::CursorMove::End);
        self.composer = composer;
        self.sync_composer_placeholder();
        self.recount_draft();
    }

    /// Whether the composer holds an untouched offer: a suggestion that typing replaces.
    pub fn is_suggestion(&self) -> bool {
        !self.composer.is_empty() && self.conversation.offer.as_deref() == Some(&self.draft())
    }

    /// A key on a suggestion: `Tab` takes it (it becomes a draft to edit), `Backspace` or
    /// `Delete` clears it, a typed character replaces it (the character is then typed as
    /// always); `None` for keys that act as always (`Enter` sends it).
    pub(crate) fn suggestion_key(&mut self, key: KeyEvent) -> Option<Vec<Cmd>> {
        if self.mode != Mode::Compose || !self.is_suggestion() {
            return None;
        }
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match key.code {
            KeyCode::Tab if key.modifiers.is_empty() => {
                self.conversation.offer = None;
                Some(Vec::new())
            }
            KeyCode::Backspace | KeyCode::Delete => {
                self.set_draft("");
                Some(Vec::new())
            }
            KeyCode::Char(_) if plain => {
                self.set_draft("");
                None
            }
            _ => None,
        }
    }

    /// The readline keys of the composer (`Ctrl-A`, `End`, `Ctrl-W`, `Ctrl-U`, `Ctrl-K`).
    pub(crate) fn edit_line(&mut self, action: Action) {
        use ratatui_textarea::CursorMove;
        match action {
            Action::LineStart => self.composer.move_cursor(CursorMove::Head),
            Action::LineEnd => self.composer.move_cursor(CursorMove::End),
            Action::DeleteWord => {
                self.composer.delete_word();
            }
            Action::ClearToLineStart => {
                self.composer.delete_line_by_head();
            }
            Action::ClearToLineEnd => {
                self.composer.delete_line_by_end();
            }
            _ => {}
        }
        self.recount_draft();
    }

    /// Whether the draft is something the user wrote (not an untouched offer).
    pub fn draft_is_own(&self) -> bool {
        !self.composer.is_empty() && self.conversation.offer.as_deref() != Some(&self.draft())
    }

    /// `Up`/`Down` in an empty (or browsing) composer: the messages sent before.
    /// Returns false when the key should move the cursor instead.
    pub fn browse_sent(&mut self, older: bool) -> bool {
        let conv = &self.conversation;
        let browsing = conv
            .browsing
            .is_some_and(|i| conv.sent.get(i) == Some(&self.draft()));
        if !(self.composer.is_empty() || browsing) || conv.sent.is_empty() {
            return false;
        }
        let last = conv.sent.len() - 1;
        let next = match (conv.browsing.filter(|_| browsing), older) {
            (None, true) => Some(last),
            (None, false) => return true,
            (Some(0), true) => Some(0),
            (Some(i), true) => Some(i - 1),
            (Some(i), false) if i >= last => None,
            (Some(i), false) => Some(i + 1),
        };
        self.conversation.browsing = next;
        let text = next
            .map(|i| self.conversation.sent[i].clone())
            .unwrap_or_default();
        self.set_draft(&text);
        true
    }

    /// Starts in compose mode on the Conversation pane (the demo: Enter sends the offer).
    pub fn start_composing(&mut self) {
        self.enter_compose();
    }

    /// `i` (or `Enter` on the Conversation pane): the composer takes the keyboard.
    pub(crate) fn enter_compose(&mut self) {
        self.mode = Mode::Compose;
        self.set_focus(Pane::Conversation);
        self.sync_composer_placeholder();
    }

    /// Pasted text goes into the composer (unless an overlay is up).
    pub(crate) fn paste(&mut self, text: &str) -> Vec<Cmd> {
        if self.overlay.is_some() {
            return Vec::new();
        }
        self.enter_compose();
        // A paste replaces a suggestion, as typing does.
        if self.is_suggestion() {
            self.set_draft("");
        }
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        self.composer.insert_str(text);
        self.recount_draft();
        Vec::new()
    }

    /// The composer's draft as one string.
    pub fn draft(&self) -> String {
        self.composer.lines().join("\n")
    }

    /// The composer's placeholder says how to start writing, or that it has the keyboard.
    pub(crate) fn sync_composer_placeholder(&mut self) {
        let text = match self.mode {
            Mode::Compose => "Write your message",
            Mode::Normal => "Press i to write a message",
        };
        self.composer.set_placeholder_text(text);
    }
}
