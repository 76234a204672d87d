//! The help overlay's text and measures: generated from the keymap, so it always shows the
//! bindings in force.

use ratatui::text::{Line, Span};

use super::keymap::{Context, KeyCombo, Keymap};
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

/// How many help lines fit on a terminal of `size`.
pub fn visible_rows(size: (u16, u16)) -> u16 {
    size.1.saturating_sub(4).saturating_sub(2).max(1)
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
