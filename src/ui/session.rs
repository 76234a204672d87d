//! The loop on screen: the stepper in the status bar, the line under the context gauge (the
//! step's verdict, the fix round, the corrections per class, or the poisoning banner), and the
//! lessons review before a fresh session.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::centered;
use crate::llm::context::fmt_tokens;
use crate::model::Model;
use crate::session::Step;
use crate::theme::scope;

/// The stepper, `Spec ✓ › Tests › Implement › Verify`, in at most `width` columns: the current
/// step named in full, the others shortened to their initial when room is short.
pub fn stepper(model: &Model, width: usize) -> Vec<Span<'static>> {
    let theme = &model.theme;
    let current = model.session.step;
    let done = |s: Step| (s as usize) < (current as usize);
    let build = |short: bool| {
        let mut spans = Vec::new();
        for (i, step) in Step::ALL.into_iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled("›", theme.style(scope::LOOP_STEP)));
            }
            let name = if short && step != current {
                step.label()[..1].to_string()
            } else {
                step.label().to_string()
            };
            let (text, style) = if step == current {
                let mark = match &model.session.verdict {
                    Some(v) if v.ok => " ✓",
                    _ => "",
                };
                (format!(" {name}{mark} "), scope::LOOP_STEP_CURRENT)
            } else if done(step) {
                (format!(" {name} ✓ "), scope::LOOP_STEP_DONE)
            } else {
                (format!(" {name} "), scope::LOOP_STEP)
            };
            spans.push(Span::styled(text, theme.style(style)));
        }
        spans
    };
    let spans_width = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
    let full = build(false);
    if spans_width(&full) <= width {
        return full;
    }
    let short = build(true);
    if spans_width(&short) <= width {
        short
    } else {
        Vec::new()
    }
}

/// The line under the gauge: the poisoning banner, or the step's verdict, the fix round and
/// the corrections per class.
pub fn loop_line(model: &Model, width: u16) -> Line<'static> {
    let theme = &model.theme;
    let session = &model.session;
    if let Some(class) = &session.poisoned {
        let count = session.count(class);
        let fresh = model
            .keymap
            .key_for(
                crate::model::keymap::Context::Normal(None),
                crate::model::keymap::Action::FreshSession,
            )
            .unwrap_or_else(|| "F".into());
        let text = format!(" ⚠ Likely poisoned: {class} ×{count} · {fresh} fresh session ");
        let text = fit(&text, usize::from(width));
        let pad =
            usize::from(width).saturating_sub(unicode_width::UnicodeWidthStr::width(text.as_str()));
        return Line::from(vec![
            Span::styled(text, theme.style(scope::LOOP_BANNER)),
            Span::styled(" ".repeat(pad), theme.style(scope::LOOP_BANNER)),
        ]);
    }
    let mut spans = Vec::new();
    let dim = theme.style(scope::TEXT_DIM);
    if let Some(v) = &session.verdict {
        let (mark, style) = if v.ok {
            ("✓", scope::SPEC_HOLDS)
        } else {
            ("✗", scope::SPEC_VIOLATED)
        };
        spans.push(Span::styled(
            format!("{}: ", session.step.label()),
            theme.style(scope::GAUGE_LABEL),
        ));
        spans.push(Span::styled(format!("{mark} "), theme.style(style)));
        spans.push(Span::styled(v.text.clone(), dim));
    }
    if let Some(fix) = &session.fix {
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", dim));
        }
        spans.push(Span::styled(
            format!("fix round {}/{}", fix.round, fix.max),
            theme.style(scope::CONVERSATION_FIX),
        ));
    }
    if !session.corrections.is_empty() {
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", dim));
        }
        let limit = model.config.loop_.fresh_after.max(1);
        let classes: Vec<String> = session
            .corrections
            .iter()
            .map(|(sig, n)| format!("{sig} {n}/{limit}"))
            .collect();
        spans.push(Span::styled(
            format!("✎ {}", classes.join(", ")),
            theme.style(scope::LOOP_CORRECTION),
        ));
    }
    truncate(spans, usize::from(width))
}

/// `text` cut to `width` columns with an ellipsis.
fn fit(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    if unicode_width::UnicodeWidthStr::width(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Spans cut to `width` columns, the last one ending in an ellipsis when cut.
fn truncate(spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
    let mut out = Vec::new();
    let mut used = 0;
    for span in spans {
        let w = span.width();
        if used + w <= width {
            used += w;
            out.push(span);
            continue;
        }
        let room = width - used;
        if room > 1 {
            out.push(Span::styled(fit(&span.content, room), span.style));
        }
        break;
    }
    Line::from(out)
}

/// The lessons review: what the fresh session will hold, the lessons to edit, the seed's size.
pub fn draw_fresh(frame: &mut Frame, model: &Model) {
    let theme = &model.theme;
    let Some(editor) = &model.session.lessons_editor else {
        return;
    };
    let area = frame.area();
    let width = area.width.saturating_sub(4).clamp(30, 96);
    let inner_width = width.saturating_sub(4);
    let editor_rows = editor
        .lines()
        .iter()
        .map(|l| {
            (unicode_width::UnicodeWidthStr::width(l.as_str()) as u16)
                .div_ceil(inner_width.max(1))
                .max(1)
        })
        .sum::<u16>()
        .clamp(3, 10);
    let pin = model
        .spec
        .pinned
        .as_ref()
        .map_or("the pinned spec".to_string(), |p| {
            format!("the pinned spec v{}", p.pin.version)
        });
    let intro = vec![
        Line::styled(
            "Archive this session and start a fresh one?",
            theme.style(scope::TEXT_ACCENT),
        ),
        Line::styled(
            format!(
                "The new conversation starts empty. Its requests open with the code in scope, \
                 the latest test results, these lessons, and {pin} last. Nothing the model \
                 wrote is carried over."
            ),
            theme.style(scope::DIALOG),
        ),
        Line::raw(""),
        Line::styled(
            "Lessons (edit them; one per line):",
            theme.style(scope::HELP_SECTION),
        ),
    ];
    let intro_rows: u16 =
        1 + {
            let text = intro[1].to_string();
            (unicode_width::UnicodeWidthStr::width(text.as_str()) as u16)
                .div_ceil(inner_width.max(1))
        } + 2;
    let usable = model
        .conversation
        .context_use(model.config.model.max_output_tokens)
        .usable()
        .max(1);
    let seed = model.session.seed_tokens;
    let footer = vec![
        Line::styled(
            format!(
                "Seed: ~{} tokens, {:.1}% of the usable window",
                fmt_tokens(seed),
                f64::from(seed) * 100.0 / f64::from(usable)
            ),
            theme.style(scope::GAUGE_LABEL),
        ),
        Line::from(vec![
            Span::styled("Enter", theme.style(scope::HELP_KEY)),
            Span::styled(" start fresh   ", theme.style(scope::DIALOG)),
            Span::styled("Alt-Enter", theme.style(scope::HELP_KEY)),
            Span::styled(" new line   ", theme.style(scope::DIALOG)),
            Span::styled("Esc", theme.style(scope::HELP_KEY)),
            Span::styled(" keep this session", theme.style(scope::DIALOG)),
        ]),
    ];
    let height = intro_rows + editor_rows + 2 + 1 + footer.len() as u16 + 2;
    let rect = centered(area, width, height);
    let inner = super::dialog_frame(frame, rect, "Fresh session", theme)
        .inner(ratatui::layout::Margin::new(1, 0));
    let [intro_area, editor_area, _, footer_area] =
        inner.layout(&ratatui::layout::Layout::vertical([
            ratatui::layout::Constraint::Length(intro_rows),
            ratatui::layout::Constraint::Length(editor_rows + 2),
            ratatui::layout::Constraint::Length(1),
            ratatui::layout::Constraint::Fill(1),
        ]));
    frame.render_widget(Paragraph::new(intro).wrap(Wrap { trim: false }), intro_area);
    let frame_block = Block::bordered().border_style(theme.style(scope::BORDER_FOCUSED));
    let editor_inner = frame_block.inner(editor_area);
    frame.render_widget(frame_block, editor_area);
    frame.render_widget(editor, editor_inner);
    frame.render_widget(Paragraph::new(footer), footer_area);
}
