//! The file picker (`model::picker` has its keys): the query, then the matching files, each
//! with its mark (● in the set, ◐ in the map, ○ out, ✗ dropped or unavailable) and the
//! matched characters highlighted.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::widgets::{centered, dialog_frame};
use crate::model::Model;
use crate::model::picker::{candidates, matches};
use crate::theme::scope;

/// Draws the picker over the panes: `query` typed so far, `selected` match highlighted.
pub fn draw(frame: &mut Frame, model: &Model, query: &str, selected: usize) {
    let theme = &model.theme;
    let area = frame.area();
    let width = area.width.saturating_sub(4).clamp(30, 90);
    let height = area.height.saturating_sub(2).clamp(8, 24);
    let rect = centered(area, width, height);
    let inner = dialog_frame(frame, rect, "Add a file to the context set", theme);
    let files = candidates(model);
    let found = matches(model, query);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("> ", theme.style(scope::TEXT_ACCENT)),
            Span::styled(query.to_string(), theme.style(scope::DIALOG)),
            Span::styled("▏", theme.style(scope::TEXT_ACCENT)),
            Span::styled(
                format!("  {}/{}", found.len(), files.len()),
                theme.style(scope::TEXT_DIM),
            ),
        ]),
        Line::raw(""),
    ];
    // The footer keeps two rows; the list scrolls to keep the selection in view.
    let rows = usize::from(inner.height).saturating_sub(lines.len() + 2);
    let start = selected.saturating_sub(rows.saturating_sub(1));
    for (i, m) in found.iter().enumerate().skip(start).take(rows) {
        let Some(path) = files.get(m.index) else {
            continue;
        };
        let mark = model.file_mark(path);
        let glyph = match mark.glyph() {
            "" => " ",
            g => g,
        };
        let mut spans = vec![Span::styled(
            format!("{glyph} "),
            theme.style(scope::TEXT_DIM),
        )];
        let base = if i == selected {
            theme.style(scope::SELECTION)
        } else {
            theme.style(scope::DIALOG)
        };
        let hit = base.patch(theme.style(scope::TEXT_ACCENT));
        for (at, c) in path.display().to_string().chars().enumerate() {
            let style = if m.positions.contains(&at) { hit } else { base };
            spans.push(Span::styled(c.to_string(), style));
        }
        let words = mark.words();
        if !words.is_empty() {
            spans.push(Span::styled(
                format!("  {words}"),
                theme.style(scope::TEXT_DIM),
            ));
        }
        lines.push(Line::from(spans));
    }
    if found.is_empty() {
        lines.push(Line::styled(
            "No file matches.",
            theme.style(scope::TEXT_DIM),
        ));
    }
    let footer = Line::from(vec![
        Span::styled("Enter", theme.style(scope::HELP_KEY)),
        Span::raw(" add (drop, if in the set)   "),
        Span::styled("↑↓", theme.style(scope::HELP_KEY)),
        Span::raw(" move   "),
        Span::styled("Esc", theme.style(scope::HELP_KEY)),
        Span::raw(" close"),
    ]);
    let body = ratatui::layout::Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    };
    frame.render_widget(Paragraph::new(lines), body);
    let foot = ratatui::layout::Rect {
        y: inner.y + inner.height.saturating_sub(1),
        height: inner.height.min(1),
        ..inner
    };
    frame.render_widget(Paragraph::new(footer), foot);
}
