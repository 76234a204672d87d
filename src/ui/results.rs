//! The Results pane: the test command and, once runs exist, their outcome.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::pane_block;
use crate::model::{Model, Pane};
use crate::theme::scope;

/// Draws the Results pane.
pub fn draw(frame: &mut Frame, model: &Model, rect: Rect, focused: bool) {
    let theme = &model.theme;
    let note = Line::styled(" no run yet ", theme.style(scope::TEXT_DIM));
    frame.render_widget(pane_block(Pane::Results, focused, Some(note), theme), rect);
    let Some(body) = model.body_area(Pane::Results) else {
        return;
    };
    let tests = &model.config.tests;
    let lines = vec![
        Line::styled("No run yet.", theme.style(scope::RESULTS_SUMMARY)),
        Line::raw(""),
        Line::from(vec![
            Span::styled("command  ", theme.style(scope::TEXT_DIM)),
            Span::styled(tests.command.clone(), theme.style(scope::TEXT)),
        ]),
        Line::from(vec![
            Span::styled("timeout  ", theme.style(scope::TEXT_DIM)),
            Span::styled(
                format!("{} s", tests.timeout_secs),
                theme.style(scope::TEXT),
            ),
        ]),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((model.results.scroll as u16, 0)),
        body,
    );
}
