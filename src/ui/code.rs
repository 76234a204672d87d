//! The Code pane: the workspace's code files and the selected file with line numbers.

use std::path::Path;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::widgets::{draw_scrollbar, pane_block, placeholder};
use crate::code::changes::{ChangeState, DiffTag};
use crate::model::layout::PaneAreas;
use crate::model::review::ChangeView;
use crate::model::{Loaded, Model, Pane};
use crate::runner::result::TestStatus;
use crate::theme::scope;

/// Draws the Code pane.
pub fn draw(frame: &mut Frame, model: &Model, rect: Rect, focused: bool) {
    let theme = &model.theme;
    let code = &model.code;
    let plain = match &code.highlighted {
        Loaded::Failed(why) => format!("plain: {why} · "),
        _ => String::new(),
    };
    let note = match &code.files {
        // The keys that decide proposed changes, while there are some.
        _ if code.changes.is_some() => Some(Line::styled(
            " a apply · A all · d discard · Enter diff/full ",
            theme.style(scope::TEXT_ACCENT),
        )),
        Loaded::Ready(files) if !files.is_empty() => Some(Line::styled(
            format!(
                " {plain}{}{}/{} ",
                mark_note(model, files.get(code.selected)),
                code.selected + 1,
                files.len()
            ),
            theme.style(scope::TEXT_DIM),
        )),
        _ => None,
    };
    frame.render_widget(pane_block(Pane::Code, focused, note, theme), rect);
    let Some(areas) = model.layout.areas(Pane::Code) else {
        return;
    };
    let files = match &code.files {
        Loaded::Loading => {
            frame.render_widget(
                placeholder(vec![Line::raw("Looking for code files…")], theme),
                areas.inner,
            );
            return;
        }
        Loaded::Failed(e) => {
            frame.render_widget(placeholder(vec![Line::raw(e.clone())], theme), areas.inner);
            return;
        }
        Loaded::Ready(files) if files.is_empty() => {
            let globs = model.config.code.include.join(", ");
            let lines = vec![
                Line::raw("No code files yet."),
                Line::raw(format!("[code].include: {globs}")),
            ];
            frame.render_widget(placeholder(lines, theme), areas.inner);
            return;
        }
        Loaded::Ready(files) => files,
    };
    if let Some(view) = &code.changes {
        draw_changes(frame, model, view, rect, &areas);
        return;
    }
    frame.render_widget(
        file_list(model, files, code.selected, areas.header.width),
        areas.header,
    );
    match &code.content {
        Loaded::Loading => {}
        Loaded::Failed(e) => {
            frame.render_widget(placeholder(vec![Line::raw(e.clone())], theme), areas.body)
        }
        Loaded::Ready(file) => {
            if let Some(note) = &file.note {
                frame.render_widget(
                    placeholder(vec![Line::raw(note.clone())], theme),
                    areas.body,
                );
                return;
            }
            let digits = file.lines.len().max(1).to_string().len();
            // The highlighted lines, once the background highlighter has them.
            let highlighted = match &code.highlighted {
                Loaded::Ready(lines) if lines.len() == file.lines.len() => Some(lines),
                _ => None,
            };
            let markers = files
                .get(code.selected)
                .map(|path| forbid_markers(model, path))
                .unwrap_or_default();
            let failures = files
                .get(code.selected)
                .map(|path| failure_markers(model, path))
                .unwrap_or_default();
            let rows = file
                .lines
                .iter()
                .enumerate()
                .skip(code.scroll)
                .take(areas.body.height as usize)
                .map(|(i, text)| {
                    let number = i + 1;
                    let ids: Vec<&str> = markers
                        .iter()
                        .filter(|(line, _)| *line == number)
                        .map(|(_, id)| *id)
                        .collect();
                    let failed: Vec<&str> = failures
                        .iter()
                        .filter(|(line, _)| *line == number)
                        .map(|(_, name)| *name)
                        .collect();
                    let number_style = if ids.is_empty() && failed.is_empty() {
                        theme.style(scope::LINENR)
                    } else {
                        theme.style(scope::CODE_MARKER)
                    };
                    let mut spans = vec![Span::styled(format!("{number:>digits$} "), number_style)];
                    let base = theme.style(scope::CODE_TEXT);
                    match highlighted.and_then(|h| h.get(i)) {
                        Some(line) => spans.extend(
                            line.spans
                                .iter()
                                .map(|s| Span::styled(s.content.as_ref(), base.patch(s.style))),
                        ),
                        None => spans.push(Span::styled(text.as_str(), base)),
                    }
                    if !ids.is_empty() {
                        spans.push(Span::styled(
                            format!("  ✗ {} forbids this", ids.join(", ")),
                            theme.style(scope::CODE_MARKER),
                        ));
                    }
                    if !failed.is_empty() {
                        spans.push(Span::styled(
                            format!("  ✗ {} failed here", failed.join(", ")),
                            theme.style(scope::RESULTS_FAIL),
                        ));
                    }
                    if code.mark == Some(number) {
                        // The jump target is highlighted across the whole row.
                        let used: usize = spans.iter().map(|s| s.width()).sum();
                        let rest = (areas.body.width as usize).saturating_sub(used);
                        spans.push(Span::raw(" ".repeat(rest)));
                        Line::from(spans).style(theme.style(scope::SELECTION))
                    } else {
                        Line::from(spans)
                    }
                })
                .collect::<Vec<_>>();
            frame.render_widget(Paragraph::new(rows), areas.body);
            draw_scrollbar(
                frame,
                rect,
                areas.body,
                file.lines.len(),
                code.scroll,
                theme,
            );
        }
    }
}

/// A reply's proposed changes: the changed files, what was refused and why, and the selected
/// file's diff (or the whole new file).
fn draw_changes(
    frame: &mut Frame,
    model: &Model,
    view: &ChangeView,
    rect: Rect,
    areas: &PaneAreas,
) {
    let theme = &model.theme;
    let mut tabs = vec![Span::styled("changes ", theme.style(scope::TEXT_ACCENT))];
    for (i, f) in view.set.files.iter().enumerate() {
        let glyph = match f.state {
            ChangeState::Pending => "●",
            ChangeState::Applied => "✓",
            ChangeState::Discarded => "✗",
        };
        let style = if i == view.selected {
            theme.style(scope::CODE_FILE_SELECTED)
        } else {
            theme.style(scope::CODE_FILE)
        };
        tabs.push(Span::styled(
            format!(" {glyph} {} +{} −{} ", f.rel.display(), f.added, f.removed),
            style,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(tabs)), areas.header);
    // The warning and the refusals are sentences: wrapped, so the reason is never cut off.
    let notes = view
        .warning
        .iter()
        .cloned()
        .chain(view.set.refused.iter().map(|r| format!("✗ {r}")));
    let width = usize::from(areas.body.width);
    let notes: Vec<Line> = notes
        .flat_map(|note| {
            let line = Line::styled(note, theme.style(scope::CODE_MARKER));
            crate::render::wrap::wrap_line(&line, width)
        })
        .collect();
    let (scroll, height) = (model.code.scroll, usize::from(areas.body.height));
    // Only the rows on screen are built: a large file replaced has hundreds of thousands.
    let (len, visible): (usize, Vec<Line>) = match view.set.files.get(view.selected) {
        None => (
            notes.len(),
            notes.into_iter().skip(scroll).take(height).collect(),
        ),
        Some(f) => {
            let lines = |text: &str| memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
            let digits = lines(&f.after)
                .max(f.before.as_deref().map_or(1, lines))
                .to_string()
                .len();
            if view.full {
                let len = notes.len() + f.after.lines().count();
                let rows = f.after.lines().enumerate().map(|(i, text)| {
                    Line::from(vec![
                        Span::styled(format!("{:>digits$} ", i + 1), theme.style(scope::LINENR)),
                        Span::styled(text.replace('\t', "    "), theme.style(scope::CODE_TEXT)),
                    ])
                });
                let shown = notes.into_iter().chain(rows).skip(scroll).take(height);
                (len, shown.collect())
            } else {
                let len = notes.len() + f.diff.len();
                let rows = f.diff.iter().map(|l| {
                    let (sign, style) = match l.tag {
                        DiffTag::Added => ("+", theme.style(scope::DIFF_PLUS)),
                        DiffTag::Removed => ("-", theme.style(scope::DIFF_MINUS)),
                        DiffTag::Context => (" ", theme.style(scope::CODE_TEXT)),
                        DiffTag::Gap => (" ", theme.style(scope::TEXT_DIM)),
                    };
                    let number = l.new.or(l.old).map(|n| n.to_string()).unwrap_or_default();
                    Line::from(vec![
                        Span::styled(format!("{number:>digits$} "), theme.style(scope::LINENR)),
                        Span::styled(format!("{sign} {}", l.text), style),
                    ])
                });
                let shown = notes.into_iter().chain(rows).skip(scroll).take(height);
                (len, shown.collect())
            }
        }
    };
    frame.render_widget(Paragraph::new(visible), areas.body);
    draw_scrollbar(frame, rect, areas.body, len, model.code.scroll, theme);
}

/// The lines of `path` that break a `forbid` clause, with the clause ids.
fn forbid_markers<'a>(model: &'a Model, path: &Path) -> Vec<(usize, &'a str)> {
    let Some(spec) = model.spec.pinned.as_ref().map(|p| &p.spec) else {
        return Vec::new();
    };
    spec.clauses
        .iter()
        .zip(&model.spec.eval.clauses)
        .flat_map(|(clause, report)| {
            report
                .forbidden
                .iter()
                .filter(|hit| hit.file == path)
                .map(|hit| (hit.line, clause.id.as_str()))
        })
        .collect()
}

/// The lines of `path` where a test of the latest run failed, with the test's short name.
fn failure_markers<'a>(model: &'a Model, path: &Path) -> Vec<(usize, &'a str)> {
    let Some(run) = &model.results.last else {
        return Vec::new();
    };
    run.report
        .results
        .iter()
        .filter(|r| r.status == TestStatus::Failed)
        .filter_map(|r| {
            let file = Path::new(r.file.as_deref()?);
            let line = usize::try_from(r.line?).ok()?;
            let short = r.name.rsplit(['.', ':', '/']).next().unwrap_or(&r.name);
            (file == path).then_some((line, short))
        })
        .collect()
}

/// Where the shown file stands in the next request, for the pane's title: `set: spec · `,
/// `map only · `, `out · `; nothing while all the code goes.
fn mark_note(model: &Model, path: Option<&std::path::PathBuf>) -> String {
    let words = path.map(|p| model.file_mark(p).words()).unwrap_or_default();
    if words.is_empty() {
        words
    } else {
        format!("{words} · ")
    }
}

/// The file names on one line, each after its context mark (● in the set, ◐ in the map only,
/// ○ out, ✗ dropped or unavailable; none while all the code goes), the selected one
/// highlighted and kept in view.
fn file_list<'a>(
    model: &Model,
    files: &'a [std::path::PathBuf],
    selected: usize,
    width: u16,
) -> Line<'a> {
    let theme = &model.theme;
    let names: Vec<String> = files.iter().map(|f| model.file_label(f)).collect();
    // Start early enough that the selected name fits (where a click finds them too).
    let widths: Vec<usize> = names.iter().map(|n| n.width()).collect();
    let start = crate::model::mouse::file_list_start(&widths, selected, width as usize);
    let mut spans = Vec::new();
    if start > 0 {
        spans.push(Span::styled("… ", theme.style(scope::TEXT_DIM)));
    }
    for (i, name) in names.into_iter().enumerate().skip(start) {
        let style = if i == selected {
            theme.style(scope::CODE_FILE_SELECTED)
        } else {
            theme.style(scope::CODE_FILE)
        };
        spans.push(Span::styled(format!(" {name} "), style));
    }
    Line::from(spans)
}
