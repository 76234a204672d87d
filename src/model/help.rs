//! The help overlay (`?`, `F1`): its keys, its text and its measures. The text is generated
//! from the keymap, so it always shows the bindings in force; `ui/help.rs` draws it.

use ratatui::text::{Line, Span};

use super::keymap::{Action, Context, KeyCombo, Keymap};
use super::scroll::{OverlayKey, overlay_key};
use super::{Cmd, Model, Overlay, confirm};
use crate::theme::{Theme, scope};

const KEY_COLUMN: usize = 27;
/// The help text: a section per context, a row per binding.
pub fn lines(keymap: &Keymap, theme: &Theme) -> Vec<Line<'static>> {
    let mut contexts: Vec<Context> = Vec::new();
    for b in keymap.bindings() {
        if !contexts.contains(&b.context) {
            contexts.push(b.context);
        }
    }
    let mut out = Vec::new();
    for context in contexts {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(Line::styled(
            context.heading(),
            theme.style(scope::HELP_SECTION),
        ));
        for b in keymap.bindings().iter().filter(|b| b.context == context) {
            let keys: Vec<String> = b.keys.iter().map(KeyCombo::label).collect();
            let keys = keys.join(" / ");
            let pad = KEY_COLUMN.saturating_sub(keys.chars().count() + 2).max(1);
            out.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(keys, theme.style(scope::HELP_KEY)),
                Span::raw(" ".repeat(pad)),
                Span::styled(b.action.describe(), theme.style(scope::HELP)),
            ]));
        }
    }
    out
}

/// How many lines the help text has.
pub fn line_count(keymap: &Keymap) -> usize {
    let mut contexts: Vec<Context> = Vec::new();
    for b in keymap.bindings() {
        if !contexts.contains(&b.context) {
            contexts.push(b.context);
        }
    }
    keymap.bindings().len() + contexts.len() * 2 - 1
}

/// How wide the help overlay is on a terminal of `size`: as wide as its longest entry (and
/// its border), within the screen less a margin.
pub fn width(keymap: &Keymap, theme: &Theme, size: (u16, u16)) -> u16 {
    let longest = lines(keymap, theme)
        .iter()
        .map(Line::width)
        .max()
        .unwrap_or(0);
    let wanted = u16::try_from(longest + 3).unwrap_or(u16::MAX);
    wanted.min(size.0.saturating_sub(4)).max(20)
}

/// How many help lines fit on a terminal of `size`.
pub fn visible_rows(size: (u16, u16)) -> u16 {
    size.1.saturating_sub(4).saturating_sub(2).max(1)
}

/// Keys in the help overlay: scroll it, close it (`Esc`, `?`, `F1`, `q`), or quit (`Ctrl-C`).
pub(crate) fn on_key(model: &mut Model, scroll: usize, combo: KeyCombo) -> Vec<Cmd> {
    let page = page(model.size);
    let action = model
        .keymap
        .anywhere(combo)
        .or(model.keymap.normal(combo, model.focus));
    let new_scroll = match overlay_key(action, combo, Action::Help, scroll, page) {
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
    let max = line_count(&model.keymap).saturating_sub(page);
    model.overlay = Some(Overlay::Help {
        scroll: new_scroll.min(max),
    });
    Vec::new()
}

/// Rows the help overlay shows at once on a terminal of `size`: a page.
pub(crate) fn page(size: (u16, u16)) -> usize {
    visible_rows(size) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::ThemeSource;

    #[test]
    fn line_count_matches_the_rendered_lines() {
        let theme = ThemeSource::default().load("default").unwrap();
        let km = Keymap::default();
        assert_eq!(lines(&km, &theme).len(), line_count(&km));
    }

    #[test]
    fn the_overlay_is_as_wide_as_its_longest_entry_within_the_screen() {
        let theme = ThemeSource::default().load("default").unwrap();
        let km = Keymap::default();
        let longest = lines(&km, &theme).iter().map(Line::width).max().unwrap();
        assert_eq!(usize::from(width(&km, &theme, (200, 60))), longest + 3);
        assert_eq!(width(&km, &theme, (80, 24)), 76);
    }

    #[test]
    fn every_binding_appears_in_the_help() {
        let theme = ThemeSource::default().load("default").unwrap();
        let km = Keymap::default();
        let text: Vec<String> = lines(&km, &theme).iter().map(|l| l.to_string()).collect();
        for b in km.bindings() {
            assert!(
                text.iter()
                    .any(|l| l.contains(b.action.describe()) && l.contains(&b.keys[0].label())),
                "{:?} missing",
                b.action
            );
        }
    }
}
