//! The request inspector (`Ctrl-O`): what the next request holds (`model::inspector`), over
//! the panes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use crate::model::Model;
use crate::model::inspector::visible;
use crate::theme::scope;

/// Draws the inspector over the panes, scrolled by `scroll` lines.
pub fn draw(frame: &mut Frame, model: &Model, scroll: usize) {
    let theme = &model.theme;
    let area = frame.area();
    let rect = Rect::new(
        area.x + 1,
        area.y + 1,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    );
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.style(scope::HELP_BORDER))
        .style(theme.style(scope::HELP))
        .title(" Next request · Ctrl-O/Esc close · ↑↓ PgUp/PgDn scroll ");
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let lines = visible(model, scroll, inner.height as usize);
    frame.render_widget(Paragraph::new(lines), inner);
}
