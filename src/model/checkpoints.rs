//! The checkpoint list (`c`): every apply, newest last, the ones in force marked; `Enter` goes
//! back (or forward) to the selected one. `ui/checkpoints.rs` draws it.

use super::keymap::{Action, KeyCombo};
use super::{CheckpointItem, Cmd, Model, NoticeKind, Overlay, Pane, confirm};

/// The checkpoint list arrived: show it, the newest applied one selected.
pub(crate) fn on_listed(
    model: &mut Model,
    listed: Result<(Vec<CheckpointItem>, usize), String>,
) -> Vec<Cmd> {
    match listed {
        Ok((items, _)) if items.is_empty() => {
            vec![model.notify(
                NoticeKind::Info,
                "No checkpoints yet: every apply makes one",
            )]
        }
        Ok((items, applied)) => {
            model.overlay = Some(Overlay::Checkpoints {
                items,
                applied,
                selected: applied.saturating_sub(1),
            });
            Vec::new()
        }
        Err(e) => vec![model.notify(NoticeKind::Error, format!("Checkpoints: {e}"))],
    }
}

/// Keys in the checkpoint list: move the selection, `Enter` travels to it, close, or quit.
pub(crate) fn on_key(
    model: &mut Model,
    items: Vec<CheckpointItem>,
    applied: usize,
    selected: usize,
    combo: KeyCombo,
) -> Vec<Cmd> {
    use crossterm::event::KeyCode as K;
    let last = items.len().saturating_sub(1);
    let selected = match model.keymap.normal(combo, Pane::Spec) {
        Some(Action::ScrollUp) => selected.saturating_sub(1),
        Some(Action::ScrollDown) => (selected + 1).min(last),
        Some(Action::Top) => 0,
        Some(Action::Bottom) => last,
        _ if combo.code == K::Enter => return travel_to(model, applied, selected),
        Some(Action::Quit) if combo == KeyCombo::ctrl('c') => {
            confirm::ask_to_quit(model);
            return Vec::new();
        }
        Some(Action::CancelReply | Action::Quit | Action::Checkpoints) => {
            model.overlay = None;
            return Vec::new();
        }
        _ => selected,
    };
    model.overlay = Some(Overlay::Checkpoints {
        items,
        applied,
        selected,
    });
    Vec::new()
}

/// `Enter` in the checkpoint list: undo or redo until the selected checkpoint is the last
/// one applied.
fn travel_to(model: &mut Model, applied: usize, selected: usize) -> Vec<Cmd> {
    model.overlay = None;
    let steps = (selected + 1) as isize - applied as isize;
    if steps == 0 {
        return Vec::new();
    }
    vec![Cmd::Travel {
        steps,
        force: false,
    }]
}
