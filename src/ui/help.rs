//! The help overlay: the keymap's text (`model::help`) in a scrolling dialog.

use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::widgets::centered;
use crate::model::Model;
use crate::model::help::{lines, visible_rows, width};
use crate::theme::scope;

/// Draws the help overlay scrolled by `scroll` lines.
pub fn draw(frame: &mut Frame, model: &Model, scroll: usize) {
    let theme = &model.theme;
    let text = lines(&model.keymap, theme);
    let rows = visible_rows(model.size);
    let height = (text.len() as u16).min(rows) + 2;
    let rect = centered(
        frame.area(),
        width(&model.keymap, theme, model.size),
        height,
    );
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
