//! The file picker (`f`): every code file in scope, filtered fuzzily as the user types, each
//! marked with where it stands in the next request; `Enter` adds the selected file to the
//! context set (or drops it, when it is in already). `ui/picker.rs` draws it.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyModifiers};

use super::context::FileMark;
use super::keymap::KeyCombo;
use super::{Cmd, Loaded, Model, Overlay, confirm};
use crate::context::fuzzy::{self, Match};

/// The most rows the picker lists.
pub const MAX_ROWS: usize = 200;

/// `f`: opens the picker on every file.
pub(crate) fn open(model: &mut Model) {
    model.overlay = Some(Overlay::Picker {
        query: String::new(),
        selected: 0,
    });
}

/// The files the picker chooses from: the code files in scope.
pub fn candidates(model: &Model) -> &[PathBuf] {
    match &model.code.files {
        Loaded::Ready(files) => files,
        _ => &[],
    }
}

/// The files `query` matches, best first, at most [`MAX_ROWS`].
pub fn matches(model: &Model, query: &str) -> Vec<Match> {
    let names: Vec<String> = candidates(model)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut found = fuzzy::filter(query, &names);
    found.truncate(MAX_ROWS);
    found
}

/// Keys in the picker: type to filter, `↑`/`↓` to move, `Enter` to add (or drop) the file,
/// `Esc` to close, `Ctrl-C` to quit.
pub(crate) fn on_key(
    model: &mut Model,
    mut query: String,
    selected: usize,
    combo: KeyCombo,
) -> Vec<Cmd> {
    let found = matches(model, &query);
    let last = found.len().saturating_sub(1);
    let mut selected = selected.min(last);
    let plain = combo.modifiers.difference(KeyModifiers::SHIFT).is_empty();
    match combo.code {
        KeyCode::Esc => {
            model.overlay = None;
            return Vec::new();
        }
        KeyCode::Char('c') if combo == KeyCombo::ctrl('c') => {
            confirm::ask_to_quit(model);
            return Vec::new();
        }
        KeyCode::Enter => {
            model.overlay = None;
            let Some(path) = found
                .get(selected)
                .and_then(|m| candidates(model).get(m.index))
                .cloned()
            else {
                return Vec::new();
            };
            return match model.file_mark(&path) {
                FileMark::InSet(_) => model.drop_from_context(path),
                _ => model.add_to_context(path),
            };
        }
        KeyCode::Up => selected = selected.saturating_sub(1),
        KeyCode::Down => selected = (selected + 1).min(last),
        KeyCode::PageUp => selected = selected.saturating_sub(10),
        KeyCode::PageDown => selected = (selected + 10).min(last),
        KeyCode::Backspace => {
            query.pop();
            selected = 0;
        }
        KeyCode::Char(c) if plain => {
            query.push(c);
            selected = 0;
        }
        _ => {}
    }
    model.overlay = Some(Overlay::Picker { query, selected });
    Vec::new()
}
