//! The Spec pane's lines: the spec file's text styled by its structure (headings, clause ids,
//! checks), each clause's status badge and where it breaks, what differs on disk from the pin,
//! and the tests linked to no clause. Built when the spec, the pin, the evaluation or the
//! results change, never while drawing.

use std::collections::HashMap;
use std::path::Path;

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::wrap::BADGES;
use crate::runner::result::{TestResult, TestStatus};
use crate::spec::Spec;
use crate::spec::diff::{ChangeKind, SpecDiff, WordTag};
use crate::spec::eval::{ClauseReport, Evaluation, Status};
use crate::theme::{Theme, scope};

/// What the Spec pane shows.
#[derive(Debug, Clone, Copy)]
pub enum SpecSource<'a> {
    /// The spec file at this path is being read.
    Reading(&'a Path),
    /// The spec file cannot be read and nothing is pinned: why.
    Unreadable(&'a str),
    /// A text whose clauses are not parsed yet.
    Nothing,
    Spec(ShownSpec<'a>),
}

/// A spec the pane shows: the pin's, else the file's.
#[derive(Debug, Clone, Copy)]
pub struct ShownSpec<'a> {
    /// The spec file, relative to the workspace.
    pub path: &'a Path,
    pub text: &'a str,
    pub spec: &'a Spec,
    pub eval: &'a Evaluation,
    /// The pin's version when the text is a pin's.
    pub pin: Option<u32>,
    /// Why the file cannot be read (under a pin).
    pub disk_error: Option<&'a str>,
    /// How the file differs from the pin, when it does.
    pub diff: Option<&'a SpecDiff>,
}

/// The Spec pane's lines before wrapping, with the clause each line belongs to.
pub struct SpecLines {
    pub lines: Vec<Line<'static>>,
    pub clause_of: Vec<Option<usize>>,
}

impl SpecLines {
    fn push(&mut self, line: Line<'static>, clause: Option<usize>) {
        self.lines.push(line);
        self.clause_of.push(clause);
    }
}

/// Detail lines shown under a clause, at most.
const MAX_DETAILS: usize = 3;
/// Orphan tests listed by name, at most.
const MAX_ORPHANS: usize = 8;

/// The pane's styled lines: computed in `update` when the spec, the pin, the evaluation or the
/// results change, never while drawing.
pub fn source_lines(
    source: SpecSource<'_>,
    results: Option<&[TestResult]>,
    theme: &Theme,
) -> SpecLines {
    let mut out = SpecLines {
        lines: Vec::new(),
        clause_of: Vec::new(),
    };
    let dim = theme.style(scope::TEXT_DIM);
    let shown = match source {
        SpecSource::Spec(shown) => shown,
        SpecSource::Nothing => return out,
        SpecSource::Reading(path) => {
            out.push(
                Line::styled(format!("Reading {}…", path.display()), dim),
                None,
            );
            return out;
        }
        SpecSource::Unreadable(err) => {
            out.push(
                Line::styled(err.to_string(), theme.style(scope::STATUS_ERROR)),
                None,
            );
            out.push(Line::raw(""), None);
            for hint in [
                "A spec states the task: a # title, a contract paragraph, and clauses as a list",
                "(- [R1] ... with checks such as `test: *over_limit*`). `specbench init` writes one.",
            ] {
                out.push(Line::styled(hint, dim), None);
            }
            return out;
        }
    };
    let (text, spec) = (shown.text, shown.spec);
    if let Some(version) = shown.pin {
        banner(&mut out, &shown, version, theme);
    }
    let by_line: HashMap<usize, usize> = spec
        .clauses
        .iter()
        .enumerate()
        .map(|(i, c)| (c.line, i))
        .collect();
    for (line_no, logical) in logical_lines(text) {
        let clause = by_line.get(&line_no).copied();
        match clause {
            Some(i) => {
                let report = shown.eval.clauses.get(i);
                out.push(
                    style_line(&logical, report.map(|r| r.status), theme),
                    Some(i),
                );
                if let Some(report) = report {
                    let indent = logical.len() - logical.trim_start().len() + 2;
                    for line in details(report, results, indent, theme) {
                        out.push(line, Some(i));
                    }
                }
            }
            None => out.push(style_line(&logical, None, theme), None),
        }
    }
    orphans(&mut out, &shown.eval.orphan_tests, results, theme);
    out
}

/// What differs on disk from the pin, at the top of the pane.
fn banner(out: &mut SpecLines, shown: &ShownSpec<'_>, version: u32, theme: &Theme) {
    let changed = theme.style(scope::SPEC_CHANGED);
    let next = version + 1;
    if let Some(err) = shown.disk_error {
        let text = format!("{err} Showing pinned v{version}.");
        out.push(Line::styled(text, theme.style(scope::STATUS_ERROR)), None);
        out.push(Line::raw(""), None);
        return;
    }
    let Some(diff) = shown.diff else {
        return;
    };
    let count = |kind| diff.changes.iter().filter(|c| c.kind == kind).count();
    let mut what: Vec<String> = [
        (ChangeKind::Changed, "changed"),
        (ChangeKind::Added, "added"),
        (ChangeKind::Removed, "removed"),
    ]
    .iter()
    .filter_map(|&(kind, word)| {
        let n = count(kind);
        (n > 0).then(|| format!("{n} {word}"))
    })
    .collect();
    if what.is_empty() {
        what.push("outside the clauses".to_string());
    }
    out.push(
        Line::from(vec![
            Span::styled(
                format!(
                    "{} edited since v{version}: {} · ",
                    shown.path.display(),
                    what.join(", ")
                ),
                changed.add_modifier(Modifier::BOLD),
            ),
            Span::styled("p", theme.style(scope::STATUS_KEY)),
            Span::styled(format!(" pins v{next}"), changed),
        ]),
        None,
    );
    for change in &diff.changes {
        let (sign, sign_style) = match change.kind {
            ChangeKind::Changed => ("~ ", changed),
            ChangeKind::Added => ("+ ", theme.style(scope::DIFF_PLUS)),
            ChangeKind::Removed => ("- ", theme.style(scope::DIFF_MINUS)),
        };
        let mut spans = vec![
            Span::styled(sign, sign_style),
            Span::styled(
                format!("{} ", change.id),
                theme.style(scope::SPEC_CLAUSE_ID),
            ),
        ];
        let mut previous = None;
        for (tag, words) in &change.words {
            // `100` struck out then `50` would read `10050`: keep them apart.
            if previous == Some(WordTag::Removed) && *tag == WordTag::Added {
                spans.push(Span::raw(" "));
            }
            previous = Some(*tag);
            let style = match tag {
                WordTag::Same => theme.style(scope::SPEC_TEXT),
                WordTag::Added => theme.style(scope::DIFF_PLUS),
                WordTag::Removed => theme
                    .style(scope::DIFF_MINUS)
                    .add_modifier(Modifier::CROSSED_OUT),
            };
            spans.push(Span::styled(words.clone(), style));
        }
        out.push(Line::from(spans), None);
    }
    out.push(Line::raw(""), None);
}

/// Where and why a clause does not hold, under its text.
fn details(
    report: &ClauseReport,
    results: Option<&[TestResult]>,
    indent: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let pad = " ".repeat(indent);
    let dim = theme.style(scope::TEXT_DIM);
    let mut lines = Vec::new();
    match report.status {
        Status::Holds | Status::Pending => {}
        Status::Violated => {
            let red = theme.style(scope::SPEC_VIOLATED);
            let failed: Vec<&TestResult> = results
                .map(|r| {
                    report
                        .tests
                        .iter()
                        .filter(|t| t.status == TestStatus::Failed)
                        .filter_map(|t| r.get(t.index))
                        .collect()
                })
                .unwrap_or_default();
            let shown = report.forbidden.len() + failed.len();
            for hit in report.forbidden.iter().take(MAX_DETAILS) {
                lines.push(Line::from(vec![
                    Span::raw(pad.clone()),
                    Span::styled(format!("{}:{}", hit.file.display(), hit.line), red),
                    Span::styled(format!("  {}", hit.text), theme.style(scope::CODE_TEXT)),
                ]));
            }
            for test in failed.iter().take(MAX_DETAILS.saturating_sub(lines.len())) {
                let mut spans = vec![
                    Span::raw(pad.clone()),
                    Span::styled(format!("✗ {}", last_segment(&test.name)), red),
                ];
                if let Some(message) = &test.message {
                    spans.push(Span::styled(format!("  {message}"), dim));
                }
                lines.push(Line::from(spans));
            }
            if shown > lines.len() && !lines.is_empty() {
                let more = format!("{pad}… and {} more", shown - lines.len());
                lines.push(Line::styled(more, dim));
            }
            if lines.is_empty()
                && let Some(message) = &report.message
            {
                lines.push(Line::styled(format!("{pad}{message}"), red));
            }
        }
        Status::Untested | Status::Invalid => {
            if let Some(message) = &report.message {
                let style = if report.status == Status::Invalid {
                    theme.style(scope::SPEC_INVALID)
                } else {
                    dim
                };
                lines.push(Line::styled(format!("{pad}{message}"), style));
            }
        }
    }
    lines
}

/// The tests linked to no clause, after the spec.
fn orphans(out: &mut SpecLines, orphans: &[usize], results: Option<&[TestResult]>, theme: &Theme) {
    let (Some(results), false) = (results, orphans.is_empty()) else {
        return;
    };
    let dim = theme.style(scope::TEXT_DIM);
    out.push(Line::raw(""), None);
    out.push(
        Line::styled(
            format!("Tests linked to no clause ({}):", orphans.len()),
            theme
                .style(scope::SPEC_UNTESTED)
                .add_modifier(Modifier::BOLD),
        ),
        None,
    );
    // Names shared by tests of two suites show the suite (`tests/a.rs::test_eq`).
    let collides = crate::runner::result::colliding(results);
    for &i in orphans.iter().take(MAX_ORPHANS) {
        if let Some(test) = results.get(i) {
            let name = if collides.get(i).copied().unwrap_or(false) {
                test.qualified_name()
            } else {
                test.name.as_str().into()
            };
            out.push(Line::styled(format!("  {name}"), dim), None);
        }
    }
    if orphans.len() > MAX_ORPHANS {
        let more = format!("  … and {} more", orphans.len() - MAX_ORPHANS);
        out.push(Line::styled(more, dim), None);
    }
}

/// A test name's last part (`test_over_limit` of `mod.Class.test_over_limit`).
fn last_segment(name: &str) -> &str {
    name.rsplit(['.', ':', '/', '>'])
        .find(|s| !s.is_empty())
        .map_or(name, str::trim)
}

/// The badge that replaces a clause's list marker, and its style.
fn badge(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Holds => (BADGES[0], scope::SPEC_HOLDS),
        Status::Violated => (BADGES[1], scope::SPEC_VIOLATED),
        Status::Untested => (BADGES[2], scope::SPEC_UNTESTED),
        Status::Pending => (BADGES[3], scope::SPEC_PENDING),
        Status::Invalid => (BADGES[4], scope::SPEC_INVALID),
    }
}

/// Joins the hard-wrapped source lines of each paragraph and list item into one line, so the
/// pane reflows them to its width; headings, blank lines, tables and fenced code stay as they are.
/// Each logical line comes with the 1-based source line it starts on.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let mut in_fence = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
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
            out.push((line_no, raw.trim_end_matches('\r').to_string()));
        } else if list_marker_len(raw) > 0 {
            out.extend(current.replace((line_no, raw.trim_end().to_string())));
        } else if let Some((_, line)) = current.as_mut() {
            line.push(' ');
            line.push_str(trimmed);
        } else {
            current = Some((line_no, raw.trim_end().to_string()));
        }
    }
    out.extend(current);
    out
}

/// Styles one Markdown line of a spec; a clause's list marker becomes its status badge.
fn style_line(line: &str, status: Option<Status>, theme: &Theme) -> Line<'static> {
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
        match status {
            Some(status) => {
                let lead = marker.len() - marker.trim_start().len();
                let (glyph, style) = badge(status);
                spans.push(Span::raw(marker[..lead].to_string()));
                spans.push(Span::styled(glyph, theme.style(style)));
            }
            None => spans.push(Span::styled(marker.to_string(), text)),
        }
        rest = after;
        if let Some(id_len) = clause_id_len(rest) {
            let (id, after) = rest.split_at(id_len);
            let mut style = theme.style(scope::SPEC_CLAUSE_ID);
            if let Some(status) = status.filter(|s| *s != Status::Holds) {
                style = style.patch(theme.style(badge(status).1));
            }
            spans.push(Span::styled(id.to_string(), style));
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
    if digits > 0 && (rest[digits..].starts_with(". ") || rest[digits..].starts_with(") ")) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::ThemeSource;

    fn spans(line: &str) -> Vec<(String, ratatui::style::Style)> {
        let theme = ThemeSource::default().load("default").unwrap();
        style_line(line, None, &theme)
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
        let lines: Vec<String> = logical_lines(text).into_iter().map(|(_, l)| l).collect();
        assert_eq!(
            lines,
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
