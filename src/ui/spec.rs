//! The Spec pane: the spec file's text, styled by its structure (headings, clause ids, checks).

use std::path::Path;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{draw_scrollbar, pane_block, placeholder};
use crate::model::{Loaded, Model, Pane};
use crate::theme::{Theme, scope};

/// The spec's lines, styled, before wrapping: computed in `update` when the text changes.
pub fn source_lines(path: &Path, text: &Loaded<String>, theme: &Theme) -> Vec<Line<'static>> {
    match text {
        Loaded::Loading => vec![Line::styled(
            format!("Reading {}…", path.display()),
            theme.style(scope::TEXT_DIM),
        )],
        Loaded::Failed(err) => vec![
            Line::styled(err.clone(), theme.style(scope::STATUS_ERROR)),
            Line::raw(""),
            Line::styled(
                "A spec states the task: a # title, a contract paragraph, and clauses as a list",
                theme.style(scope::TEXT_DIM),
            ),
            Line::styled(
                "(- [R1] ... with checks such as `test: *over_limit*`).",
                theme.style(scope::TEXT_DIM),
            ),
        ],
        Loaded::Ready(text) => logical_lines(text)
            .iter()
            .map(|l| style_line(l, theme))
            .collect(),
    }
}

/// Joins the hard-wrapped source lines of each paragraph and list item into one line, so the
/// pane reflows them to its width; headings, blank lines, tables and fenced code stay as they are.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut in_fence = false;
    for raw in text.lines() {
        let trimmed = raw.trim();
        let verbatim = in_fence
            || trimmed.is_empty()
            || trimmed.starts_with("```")
            || trimmed.starts_with('#')
            || trimmed.starts_with('|')
            || trimmed.starts_with('>');
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
        }
        if verbatim {
            out.extend(current.take());
            out.push(raw.to_string());
        } else if list_marker_len(raw) > 0 {
            out.extend(current.replace(raw.trim_end().to_string()));
        } else if let Some(line) = current.as_mut() {
            line.push(' ');
            line.push_str(trimmed);
        } else {
            current = Some(raw.trim_end().to_string());
        }
    }
    out.extend(current);
    out
}

/// Styles one Markdown line of a spec.
fn style_line(line: &str, theme: &Theme) -> Line<'static> {
    let line = line.replace('\t', "    ");
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        let level = trimmed.bytes().take_while(|b| *b == b'#').count();
        let mut style = theme.style(scope::SPEC_HEADING);
        if level == 1 {
            style = style.add_modifier(Modifier::BOLD);
        }
        return Line::styled(line, style);
    }
    let text = theme.style(scope::SPEC_TEXT);
    let mut spans = Vec::new();
    let mut rest = line.as_str();
    // A clause id right after a list marker: `- [R1]` or `- **R1**`.
    let marker_len = list_marker_len(rest);
    if marker_len > 0 {
        let (marker, after) = rest.split_at(marker_len);
        spans.push(Span::styled(marker.to_string(), text));
        rest = after;
        if let Some(id_len) = clause_id_len(rest) {
            let (id, after) = rest.split_at(id_len);
            spans.push(Span::styled(
                id.to_string(),
                theme.style(scope::SPEC_CLAUSE_ID),
            ));
            rest = after;
        }
    }
    // Inline code spans: `kind: argument`.
    let mut in_code = false;
    for (i, part) in rest.split('`').enumerate() {
        if i > 0 {
            in_code = !in_code;
        }
        let style = if in_code {
            theme.style(scope::SPEC_CHECK)
        } else {
            text
        };
        let shown = if in_code {
            format!("`{part}`")
        } else {
            part.to_string()
        };
        if !shown.is_empty() {
            spans.push(Span::styled(shown, style));
        }
    }
    Line::from(spans)
}

/// The length of a list marker (`- `, `* `, `+ `, `1. `) with its indentation, or 0.
fn list_marker_len(line: &str) -> usize {
    let lead = line.len() - line.trim_start().len();
    let rest = &line[lead..];
    if ["- ", "* ", "+ "].iter().any(|m| rest.starts_with(m)) {
        return lead + 2;
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && rest[digits..].starts_with(". ") {
        return lead + digits + 2;
    }
    0
}

/// The length of a leading `[ID]` or `**ID**` clause id.
fn clause_id_len(text: &str) -> Option<usize> {
    let is_id = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    };
    if let Some(inner) = text.strip_prefix('[') {
        let end = inner.find(']')?;
        return is_id(&inner[..end]).then_some(end + 2);
    }
    if let Some(inner) = text.strip_prefix("**") {
        let end = inner.find("**")?;
        return is_id(&inner[..end]).then_some(end + 4);
    }
    None
}

/// Draws the Spec pane.
pub fn draw(frame: &mut Frame, model: &Model, rect: Rect, focused: bool) {
    let theme = &model.theme;
    let note = Line::styled(
        format!(" {} ", model.spec.path.display()),
        theme.style(scope::TEXT_DIM),
    );
    frame.render_widget(pane_block(Pane::Spec, focused, Some(note), theme), rect);
    let Some(body) = model.body_area(Pane::Spec) else {
        return;
    };
    let lines = model
        .spec
        .wrapped
        .slice(model.spec.scroll, body.height as usize);
    if matches!(model.spec.text, Loaded::Ready(ref t) if t.trim().is_empty()) {
        let msg = format!(
            "{} is empty: write the task as a spec first.",
            model.spec.path.display()
        );
        frame.render_widget(placeholder(vec![Line::raw(msg)], theme), body);
        return;
    }
    frame.render_widget(Paragraph::new(lines.to_vec()), body);
    draw_scrollbar(
        frame,
        rect,
        body,
        model.spec.wrapped.len(),
        model.spec.scroll,
        theme,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::ThemeSource;

    fn spans(line: &str) -> Vec<(String, ratatui::style::Style)> {
        let theme = ThemeSource::default().load("default").unwrap();
        style_line(line, &theme)
            .spans
            .into_iter()
            .map(|s| (s.content.into_owned(), s.style))
            .collect()
    }

    #[test]
    fn clause_ids_and_checks_are_styled_apart() {
        let theme = ThemeSource::default().load("default").unwrap();
        let got = spans("- [R1] Limit. `test: *over*` done");
        let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["- ", "[R1]", " Limit. ", "`test: *over*`", " done"]);
        assert_eq!(got[1].1, theme.style(scope::SPEC_CLAUSE_ID));
        assert_eq!(got[3].1, theme.style(scope::SPEC_CHECK));
    }

    #[test]
    fn bold_ids_and_numbered_items() {
        let got = spans("  1. **R-2** text");
        let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["  1. ", "**R-2**", " text"]);
    }

    #[test]
    fn paragraphs_and_items_reflow_but_structure_stays() {
        let text = "# T\n\nOne\ntwo.\n\n- [R1] a\n  b\n- [R2] c\n```\nx\ny\n```\n";
        assert_eq!(
            logical_lines(text),
            [
                "# T",
                "",
                "One two.",
                "",
                "- [R1] a b",
                "- [R2] c",
                "```",
                "x",
                "y",
                "```"
            ]
        );
    }

    #[test]
    fn links_are_not_ids() {
        let got = spans("- [a link](http://x) text");
        assert_eq!(got[1].0, "[a link](http://x) text");
    }
}
