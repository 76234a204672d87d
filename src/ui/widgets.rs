//! What the views share: a pane's frame, its scrollbar, empty-state text, a centered dialog
//! and its frame.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Text};
use ratatui::widgets::{
    Block, BorderType, Borders, Clear, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState,
    Wrap,
};

use crate::model::Pane;
use crate::theme::{Theme, scope};

/// The bordered frame of a pane, with its number and title, and an optional note on the right.
pub fn pane_block<'a>(
    pane: Pane,
    focused: bool,
    note: Option<Line<'a>>,
    theme: &Theme,
) -> Block<'a> {
    let (border, title, border_type) = if focused {
        (
            scope::BORDER_FOCUSED,
            scope::TITLE_FOCUSED,
            BorderType::Thick,
        )
    } else {
        (scope::BORDER, scope::TITLE, BorderType::Plain)
    };
    let mut block = Block::new()
        .borders(Borders::ALL)
        .border_type(border_type)
        .border_style(theme.style(border))
        .title(Line::styled(
            format!(" {} {} ", pane.index() + 1, pane.title()),
            theme.style(title),
        ));
    if let Some(note) = note {
        block = block.title(note.alignment(Alignment::Right));
    }
    block
}

/// A scrollbar on the right border when `len` lines do not fit in `body`.
pub fn draw_scrollbar(
    frame: &mut Frame,
    pane_rect: Rect,
    body: Rect,
    len: usize,
    scroll: usize,
    theme: &Theme,
) {
    if len <= body.height as usize {
        return;
    }
    let track = Rect::new(pane_rect.right().saturating_sub(1), body.y, 1, body.height);
    let mut state = ScrollbarState::new(len.saturating_sub(body.height as usize)).position(scroll);
    let bar = Scrollbar::new(ScrollbarOrientation::VerticalRight)
        .begin_symbol(None)
        .end_symbol(None)
        .track_symbol(None)
        .thumb_symbol("█")
        .thumb_style(theme.style(scope::TEXT_DIM));
    frame.render_stateful_widget(bar, track, &mut state);
}

/// Lines of dim text for empty states, wrapped to the area.
pub fn placeholder<'a>(lines: Vec<Line<'a>>, theme: &Theme) -> Paragraph<'a> {
    Paragraph::new(Text::from(lines))
        .style(theme.style(scope::TEXT_DIM))
        .wrap(Wrap { trim: false })
}

/// A centered rectangle of at most `width` x `height` inside `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}

/// Clears `rect` and draws a dialog's rounded frame titled `title`; returns the inside.
pub fn dialog_frame(frame: &mut Frame, rect: Rect, title: &str, theme: &Theme) -> Rect {
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.style(scope::DIALOG_BORDER))
        .style(theme.style(scope::DIALOG))
        .title(format!(" {title} "));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}
