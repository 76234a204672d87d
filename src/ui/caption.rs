//! The presenter's caption (`demo --present`): what the audience is looking at, and what
//! `Space` does next, above the status bar.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::model::Model;
use crate::render::wrap::wrap_line;
use crate::theme::scope;

/// Draws the caption in `area` (nothing outside a beat).
pub fn draw(frame: &mut Frame, model: &Model, area: Rect) {
    let Some(text) = model.caption() else {
        return;
    };
    if area.height == 0 {
        return;
    }
    let style = model.theme.style(scope::TITLE_FOCUSED);
    let lines = wrap_line(&Line::from(text), usize::from(area.width).max(1));
    frame.render_widget(Paragraph::new(lines).style(style), area);
}
