//! The request inspector (`Ctrl-O`): the gauge's detail, then exactly what the next request
//! will send, segment by segment, each headed by its token count.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::gauge::{self, GaugeProps};
use crate::llm::context::SegmentKind;
use crate::model::Model;
use crate::theme::scope;

/// The segments of the next request in order: kind, token count, text.
fn segments(model: &Model) -> Vec<(SegmentKind, u32, String)> {
    let conv = &model.conversation;
    let history: String = conv
        .history()
        .iter()
        .map(|m| {
            let who = match m.role {
                crate::llm::Role::User => "user",
                crate::llm::Role::Assistant => "assistant",
            };
            format!("[{who}]\n{}\n", m.content)
        })
        .collect();
    let history_tokens = conv.history_tokens();
    vec![
        (
            SegmentKind::System,
            conv.system.tokens,
            conv.system.text.clone(),
        ),
        (SegmentKind::Spec, conv.spec.tokens, conv.spec.text.clone()),
        (SegmentKind::Code, conv.code.tokens, conv.code.text.clone()),
        (
            SegmentKind::Tests,
            conv.tests.tokens,
            conv.tests.text.clone(),
        ),
        (SegmentKind::History, history_tokens, history),
        (
            SegmentKind::Message,
            conv.draft.tokens,
            conv.draft.text.clone(),
        ),
        (
            SegmentKind::Reanchor,
            conv.reanchor.tokens,
            conv.reanchor.text.clone(),
        ),
    ]
}

/// Every line of the inspector.
fn lines(model: &Model) -> Vec<Line<'static>> {
    let theme = &model.theme;
    let props = GaugeProps {
        usage: model
            .conversation
            .context_use(model.config.model.max_output_tokens),
        thresholds: model.thresholds(),
    };
    let mut out = gauge::detail(props, model.conversation.encoding, theme);
    let (window, source) = model.conversation.window;
    out.push(Line::styled(
        format!(
            "window {} ({}) · model {}",
            gauge::fmt_tokens(window),
            source.label(),
            model.config.model.model
        ),
        theme.style(scope::TEXT_DIM),
    ));
    for (kind, tokens, text) in segments(model) {
        out.push(Line::default());
        let approx = if model.conversation.tokenizer_ready {
            ""
        } else {
            "~"
        };
        out.push(Line::from(vec![
            Span::styled(format!("── {} ", kind.label()), theme.style(kind.scope())),
            Span::styled(
                format!("· {approx}{tokens} tokens ──"),
                theme.style(scope::TEXT_DIM),
            ),
        ]));
        if text.is_empty() {
            out.push(Line::styled("(empty)", theme.style(scope::TEXT_DIM)));
        }
        for line in text.lines() {
            out.push(Line::styled(
                line.replace('\t', "    "),
                theme.style(scope::TEXT),
            ));
        }
    }
    out
}

/// How many lines the inspector holds.
pub fn line_count(model: &Model) -> usize {
    lines(model).len()
}

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
    let visible: Vec<Line> = lines(model)
        .into_iter()
        .skip(scroll)
        .take(inner.height as usize)
        .collect();
    frame.render_widget(Paragraph::new(visible), inner);
}
