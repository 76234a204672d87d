//! The Spec pane: the lines the model built (`render::spec_lines`), the selected clause
//! highlighted, and the pin and drift in the title.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::widgets::{draw_scrollbar, pane_block, placeholder};
use crate::model::{Loaded, Model, Pane, SpecPane};
use crate::theme::{Theme, scope};

/// The title's right-hand note: the pin and a one-line drift summary, as long as fits `width`.
pub fn title_note(pane: &SpecPane, width: usize, theme: &Theme) -> Line<'static> {
    let dim = theme.style(scope::TEXT_DIM);
    let Some(pinned) = &pane.pinned else {
        let text = if pane.pinning {
            format!(" {} · pinning… ", pane.path.display())
        } else {
            format!(" {} ", pane.path.display())
        };
        return Line::styled(text, dim);
    };
    let c = pane.eval.counts();
    let counts = [
        (
            c.holds,
            if c.holds == 1 { "holds" } else { "hold" },
            "✓",
            scope::SPEC_HOLDS,
        ),
        (c.violated, "violated", "✗", scope::SPEC_VIOLATED),
        (c.untested, "untested", "?", scope::SPEC_UNTESTED),
        (c.pending, "pending", "…", scope::SPEC_PENDING),
        (c.invalid, "invalid", "!", scope::SPEC_INVALID),
    ];
    let version = format!("v{}", pinned.pin.version);
    let edited = pane.changed_on_disk();
    // From the most to the least detailed; the first that fits wins.
    for level in 0..4 {
        let mut spans = vec![Span::styled(format!(" {version}"), dim)];
        if level == 0 {
            spans.push(Span::styled(format!(" {}", pinned.pin.short_hash()), dim));
        }
        for &(n, word, glyph, style) in &counts {
            if n == 0 {
                continue;
            }
            let text = if level < 2 {
                format!(" · {n} {word}")
            } else {
                format!(" {n}{glyph}")
            };
            spans.push(Span::styled(text, theme.style(style)));
        }
        if edited {
            let text = if level < 3 {
                " · spec edited"
            } else {
                " · edited"
            };
            spans.push(Span::styled(text, theme.style(scope::SPEC_CHANGED)));
        }
        spans.push(Span::raw(" "));
        let line = Line::from(spans);
        if line.width() <= width || level == 3 {
            return line;
        }
    }
    Line::default()
}

/// Draws the Spec pane.
pub fn draw(frame: &mut Frame, model: &Model, rect: Rect, focused: bool) {
    let theme = &model.theme;
    // Room left of the title " n Spec " and the corners.
    let room = (rect.width as usize).saturating_sub(Pane::Spec.title().len() + 8);
    let note = title_note(&model.spec, room, theme);
    frame.render_widget(pane_block(Pane::Spec, focused, Some(note), theme), rect);
    let Some(body) = model.body_area(Pane::Spec) else {
        return;
    };
    let spec = &model.spec;
    if spec.pinned.is_none() && matches!(spec.disk, Loaded::Ready(ref t) if t.trim().is_empty()) {
        let msg = format!(
            "{} is empty: write the task as a spec first.",
            spec.path.display()
        );
        frame.render_widget(placeholder(vec![Line::raw(msg)], theme), body);
        return;
    }
    let rows = spec.wrapped.slice(spec.scroll, body.height as usize);
    let selection = theme.style(scope::SELECTION);
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let clause = spec
                .wrapped
                .origin(spec.scroll + i)
                .and_then(|o| spec.line_clause.get(o).copied().flatten());
            if focused && clause == Some(spec.selected) {
                line.clone().patch_style(selection)
            } else {
                line.clone()
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
    draw_scrollbar(frame, rect, body, spec.wrapped.len(), spec.scroll, theme);
}
