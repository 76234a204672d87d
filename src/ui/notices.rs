//! The recent notices overlay (`!`, `model::notices`): every notice of this run, newest last,
//! each whole (wrapped), in a dialog as wide as the screen allows.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::widgets::centered;
use crate::model::notices::visible_rows;
use crate::model::{Model, NoticeKind};
use crate::render::wrap::wrap_line;
use crate::theme::scope;

/// Draws the list scrolled by `scroll` notices.
pub fn draw(frame: &mut Frame, model: &Model, scroll: usize) {
    let theme = &model.theme;
    let area = frame.area();
    let width = area.width.saturating_sub(4).min(120);
    let rows = visible_rows(model.size);
    let notices = &model.recent_notices;
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let mut lines: Vec<Line> = if notices.is_empty() {
        vec![Line::styled(
            "No notices yet.",
            theme.style(scope::TEXT_DIM),
        )]
    } else {
        notices
            .iter()
            .skip(scroll)
            .take(rows)
            .flat_map(|n| {
                let (mark, style) = match n.kind {
                    NoticeKind::Info => ("· ", scope::STATUS_INFO),
                    NoticeKind::Error => ("✗ ", scope::STATUS_ERROR),
                };
                let line = Line::from(vec![
                    Span::styled(mark, theme.style(style)),
                    Span::styled(n.text.clone(), theme.style(scope::HELP)),
                ]);
                wrap_line(&line, inner)
            })
            .collect()
    };
    // Long notices wrap: the window's last notice stays whole, the first gives way.
    let overflow = lines.len().saturating_sub(rows);
    lines.drain(..overflow);
    let height = (rows as u16 + 2).min(area.height.saturating_sub(2));
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let more = notices.len().saturating_sub(scroll + rows);
    let footer = match (scroll, more) {
        (0, 0) => " Esc close ".to_string(),
        (up, down) => format!(" ↑ {up} · ↓ {down} · Esc close "),
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.style(scope::HELP_BORDER))
        .style(theme.style(scope::HELP))
        .title(Line::styled(
            " Recent notices, newest last ",
            theme.style(scope::HELP_SECTION),
        ))
        .title_bottom(Line::styled(footer, theme.style(scope::TEXT_DIM)).right_aligned());
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
