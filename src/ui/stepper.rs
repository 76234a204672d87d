//! The loop on screen: the stepper in the status bar, and the line under the context gauge (the
//! step's verdict, the fix round, the corrections per class, or the poisoning banner).

use ratatui::text::{Line, Span};

use crate::model::Model;
use crate::session::Step;
use crate::theme::scope;

/// The stepper, `Spec ✓ › Tests › Implement › Verify`, in at most `width` columns: the current
/// step named in full, the others shortened to their initial when room is short.
pub fn stepper(model: &Model, width: usize) -> Vec<Span<'static>> {
    let theme = &model.theme;
    let current = model.session.step;
    // Behind the current step, and still holding: code that broke again takes the ✓ back.
    let done = |s: Step| (s as usize) < (current as usize) && model.step_holds(s);
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
