//! The status bar: the mode, the workspace, and either a notice or the focused pane's key hints.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::model::keymap::Context;
use crate::model::{Mode, Model, NoticeKind};
use crate::theme::scope;

/// Draws the status bar: the stepper on the right, the rest on the left; a notice too long
/// for the first row takes the rows under it, whole.
pub fn draw(frame: &mut Frame, model: &Model, area: Rect) {
    let [area, below] = area.layout(&ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Fill(1),
    ]));
    if below.height > 0
        && let Some(notice) = &model.notice
    {
        let line = Line::styled(
            format!("│ {}", notice.text),
            notice_style(model, notice.kind),
        );
        let lines = crate::render::wrap::wrap_line(&line, usize::from(below.width).max(1));
        frame.render_widget(
            Paragraph::new(lines).style(model.theme.style(scope::STATUSBAR)),
            below,
        );
    }
    let stepper = super::stepper::stepper(model, usize::from(area.width) * 2 / 5);
    let width: u16 = stepper.iter().map(|s| s.width() as u16).sum();
    let [left, right] = area.layout(&ratatui::layout::Layout::horizontal([
        ratatui::layout::Constraint::Fill(1),
        ratatui::layout::Constraint::Length(width),
    ]));
    frame.render_widget(
        Paragraph::new(Line::from(stepper)).style(model.theme.style(scope::STATUSBAR)),
        right,
    );
    draw_left(frame, model, left);
}

/// The mode, the workspace, and a notice or the key hints.
fn draw_left(frame: &mut Frame, model: &Model, area: Rect) {
    let theme = &model.theme;
    let bar = theme.style(scope::STATUSBAR);
    // While the fix loop runs, the loop has the floor, not the composer.
    let (mode, mode_style) = match (model.session.fix, model.mode) {
        (Some(fix), _) => (
            format!(" FIX {}/{} ", fix.round, fix.max),
            scope::MODE_COMPOSE,
        ),
        (None, Mode::Normal) => (" NORMAL ".to_string(), scope::MODE_NORMAL),
        (None, Mode::Compose) => (" COMPOSE ".to_string(), scope::MODE_COMPOSE),
    };
    let mut left = vec![
        Span::styled(mode, theme.style(mode_style)),
        Span::styled(format!(" {} ", model.label), bar),
    ];
    if let Some(query) = &model.search.editing {
        left.push(Span::styled(
            format!("│ /{query}▏ Enter find · Esc cancel"),
            theme.style(scope::STATUS_KEY),
        ));
        frame.render_widget(Paragraph::new(Line::from(left)).style(bar), area);
        return;
    }
    // A notice with rows of its own is drawn there.
    let notice = model
        .notice
        .as_ref()
        .filter(|_| model.layout.screen.status.height <= 1);
    match notice {
        Some(notice) => {
            left.push(Span::styled(
                format!("│ {}", notice.text),
                notice_style(model, notice.kind),
            ));
        }
        None if model.conversation.turn.is_some() || model.session.fix.is_some() => {
            left.push(Span::styled(
                reply_status(model),
                theme.style(scope::STATUS_INFO),
            ));
        }
        None => {
            left.push(Span::styled("│", bar));
            let contexts: &[Context] = match model.mode {
                Mode::Normal => &[Context::Normal(Some(model.focus)), Context::Normal(None)],
                Mode::Compose => &[Context::Compose],
            };
            for (key, word) in model.keymap.hints(contexts) {
                left.push(Span::styled(
                    format!(" {key}"),
                    theme.style(scope::STATUS_KEY),
                ));
                left.push(Span::styled(format!(" {word}"), bar));
            }
        }
    }
    frame.render_widget(Paragraph::new(Line::from(left)).style(bar), area);
}

/// A notice's style by its kind.
fn notice_style(model: &Model, kind: NoticeKind) -> ratatui::style::Style {
    model.theme.style(match kind {
        NoticeKind::Info => scope::STATUS_INFO,
        NoticeKind::Error => scope::STATUS_ERROR,
    })
}

/// What the reply in flight is doing: streaming, or waiting to retry (with the countdown).
fn reply_status(model: &Model) -> String {
    if model.beat().is_some() {
        return "│ ⏸ the story waits · Space goes on".to_string();
    }
    let Some(turn) = &model.conversation.turn else {
        return match model.session.fix {
            // The mode says the round.
            Some(_) => "│ ● retesting the fix · Esc stops".to_string(),
            None => String::new(),
        };
    };
    if turn.running {
        let labels: Vec<&str> = model
            .conversation
            .messages
            .get(turn.message)
            .map(|m| m.tools.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|t| t.running)
            .map(|t| t.label.as_str())
            .collect();
        return format!("│ ● running {} · Esc cancels", labels.join(", "));
    }
    match &turn.retry {
        Some((attempt, of, until, reason)) => {
            let left = model.now.map_or(0.0, |now| {
                until.saturating_duration_since(now).as_secs_f32()
            });
            format!("│ ⟳ retry {attempt}/{of} in {left:.0}s · {reason} · Esc cancels")
        }
        None if model.config.model.replay_step => {
            "│ ● replaying step by step · Ctrl-N next line · Esc cancels".to_string()
        }
        None if model.session.fix.is_some() => "│ ● the model answers · Esc stops".to_string(),
        None => "│ ● the model is replying · Esc cancels".to_string(),
    }
}
