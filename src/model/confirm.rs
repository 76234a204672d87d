//! The yes/no dialogs: "Really quit?" with what would be lost, and "Undo over hand edits?"
//! with the files changed since specbench wrote them. `ui/confirm.rs` draws them.

use super::keymap::KeyCombo;
use super::{Cmd, Model, Overlay};

/// `q` / `Ctrl-C`: quit now when nothing would be lost, else ask first.
pub(crate) fn ask_to_quit(model: &mut Model) {
    let reasons = model.pending_work();
    if reasons.is_empty() {
        model.should_quit = true;
    } else {
        model.overlay = Some(Overlay::ConfirmQuit { reasons });
    }
}

/// Keys in "Really quit?": `y`/`Enter`/`Ctrl-C` quit, `n`/`Esc`/`q` stay.
pub(crate) fn on_quit_key(model: &mut Model, combo: KeyCombo) -> Vec<Cmd> {
    use crossterm::event::KeyCode as K;
    match combo.code {
        K::Char('y') | K::Enter => model.should_quit = true,
        K::Char('c') if combo == KeyCombo::ctrl('c') => model.should_quit = true,
        K::Char('n') | K::Esc | K::Char('q') => model.overlay = None,
        _ => {}
    };
    Vec::new()
}

/// Keys in "Undo over hand edits?": `y`/`Enter` goes over them (and on, for a restore from the
/// checkpoint list), `n`/`Esc`/`q` keeps them.
pub(crate) fn on_undo_key(
    model: &mut Model,
    redo: bool,
    steps: usize,
    combo: KeyCombo,
) -> Vec<Cmd> {
    use crossterm::event::KeyCode as K;
    match combo.code {
        K::Char('y') | K::Enter => {
            model.overlay = None;
            if steps > 1 {
                let steps = isize::try_from(steps).unwrap_or(isize::MAX);
                let steps = if redo { steps } else { -steps };
                return vec![Cmd::Travel { steps, force: true }];
            }
            return vec![Cmd::Undo { redo, force: true }];
        }
        K::Char('n') | K::Esc | K::Char('q') => model.overlay = None,
        _ => {}
    };
    Vec::new()
}
