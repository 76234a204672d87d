//! The Conversation pane: the context gauge, the messages, and the composer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::widgets::draw_scrollbar;
use super::widgets::{pane_block, placeholder};
use crate::model::keymap::{Action, Context};
use crate::model::{Mode, Model, Pane};
use crate::render::gauge::{self, GaugeProps};
use crate::render::wrap::wrap_line;
use crate::theme::scope;

/// Draws the Conversation pane.
pub fn draw(frame: &mut Frame, model: &Model, rect: Rect, focused: bool) {
    let theme = &model.theme;
    let tools = if model.conversation.tools.off.is_some() {
        " · tools off"
    } else {
        ""
    };
    let note = Line::styled(
        format!(" {}{tools} ", model.config.model.model),
        theme.style(scope::TEXT_DIM),
    );
    frame.render_widget(
        pane_block(Pane::Conversation, focused, Some(note), theme),
        rect,
    );
    let Some(areas) = model.layout.areas(Pane::Conversation) else {
        return;
    };
    let props = GaugeProps {
        usage: model
            .conversation
            .context_use(model.config.model.max_output_tokens),
        thresholds: model.thresholds(),
        code: model.gauge_code(),
    };
    let [gauge_row, loop_row] = areas.header.layout(&ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Length(1),
    ]));
    frame.render_widget(gauge::line(props, gauge_row.width, theme), gauge_row);
    frame.render_widget(super::stepper::loop_line(model, loop_row.width), loop_row);

    let conv = &model.conversation;
    if conv.messages.is_empty() {
        let compose_key = model
            .keymap
            .key_for(Context::Normal(None), Action::Compose)
            .unwrap_or_default();
        let empty = vec![
            Line::raw("No messages yet."),
            Line::raw(format!("Press {compose_key} to write one.")),
        ];
        frame.render_widget(placeholder(empty, theme), areas.body);
    } else {
        draw_messages(frame, model, rect, areas.body);
    }

    let composing = model.mode == Mode::Compose;
    let border = if composing {
        scope::BORDER_FOCUSED
    } else {
        scope::BORDER
    };
    let suggestion = composing && model.is_suggestion();
    let title = match (composing, model.session.marked) {
        _ if suggestion => " suggested · Enter sends · Tab edits · type to replace ",
        (true, true) => " correction · Enter send · Ctrl-R unmark · Esc done ",
        (true, false) => " message · Enter send · Alt-Enter new line · Esc done ",
        (false, true) => " correction ",
        (false, false) => " message ",
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.style(border))
        .title(Line::styled(
            title,
            theme.style(if composing {
                scope::TITLE_FOCUSED
            } else {
                scope::TITLE
            }),
        ));
    let inner = block.inner(areas.footer);
    frame.render_widget(block, areas.footer);
    // A suggestion, and a draft out of compose mode, wrap with the panes' word wrapper (no
    // leading space on a wrapped row); the text box draws the draft being edited.
    let wrapped = |style: ratatui::style::Style| -> Vec<Line<'static>> {
        model
            .composer
            .lines()
            .iter()
            .flat_map(|l| wrap_line(&Line::styled(l.clone(), style), usize::from(inner.width)))
            .collect()
    };
    if suggestion {
        let style = theme.style(scope::COMPOSER_PLACEHOLDER);
        frame.render_widget(Paragraph::new(wrapped(style)).style(style), inner);
    } else if composing {
        frame.render_widget(&model.composer, inner);
    } else if model.composer.is_empty() {
        frame.render_widget(
            Paragraph::new(model.composer.placeholder_text().to_string())
                .style(theme.style(scope::COMPOSER_PLACEHOLDER)),
            inner,
        );
    } else {
        let style = theme.style(scope::COMPOSER);
        frame.render_widget(Paragraph::new(wrapped(style)).style(style), inner);
    }
}

/// Draws only the visible slice of the messages: the lines were rendered once per message and
/// width by the layout pass, so the cost does not grow with the conversation.
fn draw_messages(frame: &mut Frame, model: &Model, rect: Rect, body: Rect) {
    let conv = &model.conversation;
    let height = body.height as usize;
    let first = conv.scroll;
    // The first message that reaches the visible window.
    let start = conv
        .starts
        .partition_point(|&s| s <= first)
        .saturating_sub(1);
    let mut lines: Vec<Line> = Vec::with_capacity(height);
    for (i, m) in conv.messages.iter().enumerate().skip(start) {
        let Some(&at) = conv.starts.get(i) else { break };
        let skip = first.saturating_sub(at);
        for line in m.lines().iter().skip(skip) {
            if lines.len() == height {
                break;
            }
            lines.push(line.clone());
        }
        if lines.len() == height {
            break;
        }
    }
    frame.render_widget(Paragraph::new(lines), body);
    draw_scrollbar(
        frame,
        rect,
        body,
        conv.total_lines,
        conv.scroll,
        &model.theme,
    );
}
