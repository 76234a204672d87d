//! The help overlay, generated from the keymap so it always shows the bindings in force.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::centered;
use crate::model::Model;
use crate::model::keymap::{Context, KeyCombo, Keymap};
use crate::theme::{Theme, scope};

const KEY_COLUMN: usize = 27;
const WIDTH: u16 = 76;

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

/// Draws the help overlay scrolled by `scroll` lines.
pub fn draw(frame: &mut Frame, model: &Model, scroll: usize) {
    let theme = &model.theme;
    let text = lines(&model.keymap, theme);
    let rows = visible_rows(model.size);
    let height = (text.len() as u16).min(rows) + 2;
    let rect = centered(frame.area(), WIDTH, height);
    frame.render_widget(Clear, rect);
    let more = text.len().saturating_sub(scroll + rows as usize);
    let footer = if more > 0 {
        format!(" ↓ {more} more · Esc close ")
    } else {
        " Esc close ".to_string()
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.style(scope::HELP_BORDER))
        .style(theme.style(scope::HELP))
        .title(Line::styled(" Keys ", theme.style(scope::HELP_SECTION)))
        .title_bottom(Line::styled(footer, theme.style(scope::TEXT_DIM)).right_aligned());
    frame.render_widget(
        Paragraph::new(text).block(block).scroll((scroll as u16, 0)),
        rect,
    );
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
