//! The lessons review before a fresh session (`F`): one lesson per corrected class, edited
//! in place, with the seed's size; `Enter` starts the fresh session (`session`), `Esc` cancels.
//! The editor is kept in `Model::session`. `ui/lessons.rs` draws it.

use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use super::keymap::KeyCombo;
use super::workflow::lessons_part;
use super::{Cmd, Model, NoticeKind, Overlay, confirm};
use crate::session::signature::{self, Signature};
use crate::theme::scope;

/// `F`: review the lessons before a fresh session starts.
pub(crate) fn open(model: &mut Model) -> Vec<Cmd> {
    if model.conversation.streaming() {
        return vec![model.notify(
            NoticeKind::Info,
            "A reply is streaming: Esc cancels it before a fresh session",
        )];
    }
    let mut editor = TextArea::from(model.lessons_prefill());
    editor.set_style(model.theme.style(scope::COMPOSER));
    editor.set_cursor_line_style(model.theme.style(scope::COMPOSER));
    editor.set_cursor_style(model.theme.style(scope::COMPOSER_CURSOR));
    editor.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    editor.move_cursor(ratatui_textarea::CursorMove::Bottom);
    editor.move_cursor(ratatui_textarea::CursorMove::End);
    model.session.lessons_editor = Some(editor);
    recount_seed(model);
    model.overlay = Some(Overlay::Fresh);
    Vec::new()
}

/// Keys in the lessons review of a fresh session: `Enter` starts it, `Esc` cancels, the rest
/// edits the lessons (`Alt-Enter` / `Shift-Enter` for a new line).
pub(crate) fn on_key(model: &mut Model, combo: KeyCombo) -> Vec<Cmd> {
    use crossterm::event::{KeyCode as K, KeyModifiers as M};
    if combo == KeyCombo::ctrl('c') {
        confirm::ask_to_quit(model);
        return Vec::new();
    }
    match (combo.code, combo.modifiers) {
        (K::Enter, M::NONE) => return model.confirm_fresh(),
        (K::Esc, _) => {
            model.overlay = None;
            model.session.lessons_editor = None;
        }
        (K::Enter, _) => {
            if let Some(editor) = &mut model.session.lessons_editor {
                editor.insert_newline();
            }
        }
        (code, modifiers) => {
            if let Some(editor) = &mut model.session.lessons_editor
                && editor.input(KeyEvent::new(code, modifiers))
            {
                recount_seed(model);
            }
        }
    }
    Vec::new()
}

/// Recounts the seed after the lessons changed, for the review to show.
pub(crate) fn recount_seed(model: &mut Model) {
    model.session.seed_tokens = model.seed_tokens();
}

impl Model {
    /// One lesson per corrected class, most corrected first: what broke, what the spec says.
    pub fn lessons_prefill(&self) -> Vec<String> {
        let failures = self.known_failures();
        let clauses = self.spec.pinned.as_ref().map(|p| &p.spec.clauses);
        let mut classes: Vec<&(Signature, u32)> = self.session.corrections.iter().collect();
        classes.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let mut lessons: Vec<String> = self.session.lessons.clone();
        for (sig, count) in classes {
            let subject = signature::short_name(&sig.subject);
            let failure = failures.iter().find(|f| f.signature == *sig);
            let mut lesson = match failure {
                Some(f) => format!(
                    "{subject}: {} (corrected {count}×)",
                    f.message.lines().collect::<Vec<_>>().join("; ")
                ),
                None => format!("{subject}: {} (corrected {count}×)", sig.kind),
            };
            let clause_ids: Vec<&String> = match failure {
                Some(f) => f.clauses.iter().collect(),
                None => vec![&sig.subject],
            };
            for id in clause_ids {
                if let Some(c) = clauses.and_then(|cs| cs.iter().find(|c| c.id == *id)) {
                    lesson.push_str(&format!("; the spec says: {}", c.text));
                }
            }
            if !lessons.contains(&lesson) {
                lessons.push(lesson);
            }
        }
        lessons
    }

    /// The lessons as the editor holds them, one per non-empty line.
    pub fn edited_lessons(&self) -> Vec<String> {
        self.session
            .lessons_editor
            .as_ref()
            .map(|e| {
                e.lines()
                    .iter()
                    .map(|l| l.trim().trim_start_matches("- ").trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The seed's tokens with the lessons being edited: the parts already counted, plus the
    /// lessons (counted here, so call it when they change, not per frame).
    pub fn seed_tokens(&self) -> u32 {
        let conv = &self.conversation;
        let lessons = conv.count(&lessons_part(&self.edited_lessons()));
        [
            conv.code.tokens,
            conv.tests.tokens,
            conv.spec.tokens,
            lessons,
        ]
        .iter()
        .fold(0u32, |sum, &n| sum.saturating_add(n))
    }
}
