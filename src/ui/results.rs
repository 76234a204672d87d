//! The Results pane: a summary of the last run, a history sparkline, and each test's fate
//! (failures first) with a detail view; a spinner and the live output tail while tests run.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::widgets::{draw_scrollbar, pane_block};
use crate::model::results::{FinishedRun, HEADER_LINES, LiveRun, RunSummary, list_height};
use crate::model::{Model, Pane};
use crate::runner::result::{TestResult, TestStatus};
use crate::theme::{Theme, scope};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const BARS: [&str; 8] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/// Draws the Results pane.
pub fn draw(frame: &mut Frame, model: &Model, rect: Rect, focused: bool) {
    let theme = &model.theme;
    let results = &model.results;
    let mut note = match (&results.running, &results.last) {
        (Some(run), _) => Line::styled(
            format!(
                " #{} running {} ",
                run.number,
                elapsed(model, run).map_or(String::new(), fmt_duration)
            ),
            theme.style(scope::RESULTS_RUNNING),
        ),
        (None, Some(last)) => Line::styled(
            format!(
                " #{} · {} ",
                last.number,
                fmt_duration(last.report.duration)
            ),
            theme.style(scope::TEXT_DIM),
        ),
        (None, None) => Line::styled(" no run yet ", theme.style(scope::TEXT_DIM)),
    };
    if !model.reruns.paused.is_empty() {
        note.push_span(Span::styled(
            "· auto-rerun paused ",
            theme.style(scope::RESULTS_FAIL),
        ));
    }
    frame.render_widget(pane_block(Pane::Results, focused, Some(note), theme), rect);
    let Some(body) = model.body_area(Pane::Results) else {
        return;
    };
    if let Some(run) = &results.running {
        draw_running(frame, model, run, body);
    } else if let Some(last) = &results.last {
        if results.detail {
            draw_detail(frame, last, results.selected, body, theme);
        } else {
            draw_finished(frame, model, last, rect, body);
        }
    } else {
        draw_idle(frame, model, body);
    }
}

/// Why auto-rerun is paused and how it resumes, while it is.
fn paused_line(model: &Model) -> Option<Line<'static>> {
    let paused = &model.reruns.paused;
    if paused.is_empty() {
        return None;
    }
    let files: Vec<String> = paused.iter().map(|p| p.display().to_string()).collect();
    let theme = &model.theme;
    Some(Line::from(vec![
        Span::styled("⏸ auto-rerun paused", theme.style(scope::RESULTS_FAIL)),
        Span::styled(
            format!(
                ": each run rewrites {} · r runs · a save resumes",
                files.join(", ")
            ),
            theme.style(scope::TEXT_DIM),
        ),
    ]))
}

fn elapsed(model: &Model, run: &LiveRun) -> Option<Duration> {
    Some(model.now?.saturating_duration_since(run.started?))
}

fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 10.0 {
        format!("{secs:.2} s")
    } else if secs < 600.0 {
        format!("{secs:.1} s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

fn draw_idle(frame: &mut Frame, model: &Model, body: Rect) {
    let theme = &model.theme;
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
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
}

fn counts_spans(counts: crate::runner::process::Counts, theme: &Theme) -> Vec<Span<'static>> {
    vec![
        Span::styled(
            format!("✓ {} passed", counts.passed),
            theme.style(scope::RESULTS_PASS),
        ),
        Span::raw("  "),
        Span::styled(
            format!("✗ {} failed", counts.failed),
            if counts.failed > 0 {
                theme.style(scope::RESULTS_FAIL)
            } else {
                theme.style(scope::TEXT_DIM)
            },
        ),
        Span::raw("  "),
        Span::styled(
            format!("○ {} skipped", counts.skipped),
            theme.style(scope::RESULTS_SKIP),
        ),
    ]
}

fn draw_running(frame: &mut Frame, model: &Model, run: &LiveRun, body: Rect) {
    let theme = &model.theme;
    let since = elapsed(model, run).unwrap_or_default();
    let spin = SPINNER[(since.as_millis() / 100) as usize % SPINNER.len()];
    let mut head = vec![Span::styled(
        format!("{spin} running "),
        theme.style(scope::RESULTS_RUNNING),
    )];
    head.push(Span::styled(
        format!("{} · ", run.trigger.describe()),
        theme.style(scope::TEXT_DIM),
    ));
    head.extend(counts_spans(run.progress.counts, theme));
    let mut lines = vec![Line::from(head), paused_line(model).unwrap_or_default()];
    let room = list_height(body.height) as usize;
    let tail = &run.progress.tail;
    lines.extend(
        tail[tail.len().saturating_sub(room)..]
            .iter()
            .map(|l| Line::styled(l.clone(), theme.style(scope::TEXT_DIM))),
    );
    frame.render_widget(Paragraph::new(lines), body);
}

/// The one-line verdict of a finished run.
fn summary(model: &Model, last: &FinishedRun) -> Line<'static> {
    let theme = &model.theme;
    let report = &last.report;
    let trailer = Span::styled(
        format!(
            "  {} · {}",
            fmt_duration(report.duration),
            last.trigger.describe()
        ),
        theme.style(scope::TEXT_DIM),
    );
    let verdict = |text: String, s: &str| {
        Line::from(vec![Span::styled(text, theme.style(s)), trailer.clone()])
    };
    if let Some(error) = &report.error
        && report.results.is_empty()
    {
        let text = if report.timed_out {
            format!(
                "timed out after {} s; {error}",
                model.config.tests.timeout_secs
            )
        } else {
            error.clone()
        };
        return verdict(text, scope::RESULTS_FAIL);
    }
    if report.timed_out {
        return verdict(
            format!(
                "timed out after {} s: process group killed",
                model.config.tests.timeout_secs
            ),
            scope::RESULTS_FAIL,
        );
    }
    if report.cancelled {
        return verdict(
            "cancelled: process group killed".into(),
            scope::RESULTS_SKIP,
        );
    }
    if report.results.is_empty() {
        // Never green: a run that found no test says so, whatever its exit code.
        return match (report.exit_code, report.format) {
            (None, _) => verdict("killed by a signal".into(), scope::RESULTS_FAIL),
            (Some(0), Some(_)) => verdict(
                "no tests ran (exit 0): is [tests].command right?".into(),
                scope::RESULTS_FAIL,
            ),
            (Some(0), None) => verdict(
                "no tests ran (exit 0): output not recognised".into(),
                scope::RESULTS_FAIL,
            ),
            (Some(code), Some(_)) => {
                verdict(format!("no tests ran (exit {code})"), scope::RESULTS_FAIL)
            }
            (Some(code), None) => verdict(
                format!("failed with exit code {code}; output not recognised"),
                scope::RESULTS_FAIL,
            ),
        };
    }
    let mut spans = counts_spans(report.counts(), theme);
    if report.counts().failed == 0 && report.exit_code != Some(0) {
        spans.push(Span::styled(
            format!(
                "  exit code {}",
                report.exit_code.map_or("-".into(), |c| c.to_string())
            ),
            theme.style(scope::RESULTS_FAIL),
        ));
    }
    spans.push(trailer);
    // What went wrong besides the tests (a process that left the group holding the output).
    if let Some(error) = &report.error {
        spans.push(Span::styled(
            format!("  {error}"),
            theme.style(scope::RESULTS_FAIL),
        ));
    }
    Line::from(spans)
}

/// `line` cut to `width` columns, ending in `…` where something was cut.
fn ellipsized(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width || width == 0 {
        return line;
    }
    let mut room = width - 1;
    let mut spans = Vec::new();
    let mut last_style = line.style;
    for span in line.spans {
        if room == 0 {
            break;
        }
        let mut text = String::new();
        for c in span.content.chars() {
            let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if w > room {
                room = 0;
                break;
            }
            room -= w;
            text.push(c);
        }
        last_style = span.style;
        spans.push(Span::styled(text, span.style));
    }
    spans.push(Span::styled("…", last_style));
    Line::from(spans).style(line.style)
}

fn history(runs: &[RunSummary], theme: &Theme) -> Line<'static> {
    let max = runs
        .iter()
        .map(|r| r.counts.total())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut spans = vec![Span::styled("runs ", theme.style(scope::TEXT_DIM))];
    for run in runs {
        let level = (run.counts.total() * (BARS.len() - 1)).div_ceil(max);
        let style = if run.passed {
            theme.style(scope::RESULTS_PASS)
        } else {
            theme.style(scope::RESULTS_FAIL)
        };
        spans.push(Span::styled(BARS[level.min(BARS.len() - 1)], style));
    }
    Line::from(spans)
}

fn status_icon(status: TestStatus, theme: &Theme) -> Span<'static> {
    match status {
        TestStatus::Passed => Span::styled("✓ ", theme.style(scope::RESULTS_PASS)),
        TestStatus::Failed => Span::styled("✗ ", theme.style(scope::RESULTS_FAIL)),
        TestStatus::Skipped => Span::styled("○ ", theme.style(scope::RESULTS_SKIP)),
    }
}

fn draw_finished(frame: &mut Frame, model: &Model, last: &FinishedRun, rect: Rect, body: Rect) {
    let theme = &model.theme;
    let results = &model.results;
    // While auto-rerun is paused, that is worth more than the history.
    let paused = paused_line(model);
    let mut head = paused
        .clone()
        .unwrap_or_else(|| history(&results.history, theme));
    if paused.is_none() && !last.prefix().is_empty() {
        // The names below are shown without their common prefix: say which.
        let prefix = last.prefix().trim_end_matches(['.', ':', '/', ' ', '>']);
        head.push_span(Span::styled(
            format!(" · tests in {prefix}"),
            theme.style(scope::TEXT_DIM),
        ));
    }
    if last.order.is_empty() {
        // Nothing parsed: the verdict (a sentence when something went wrong: wrapped, so the
        // reason is never cut off) and the output are all there is.
        let mut lines =
            crate::render::wrap::wrap_line(&summary(model, last), usize::from(body.width));
        lines.push(head);
        let room = usize::from(body.height).saturating_sub(lines.len());
        let out: Vec<&str> = last.report.output.last(room);
        lines.extend(
            out.into_iter()
                .map(|l| Line::styled(l.to_string(), theme.style(scope::TEXT_DIM))),
        );
        frame.render_widget(Paragraph::new(lines), body);
        return;
    }
    let width = usize::from(body.width);
    let mut lines = vec![
        ellipsized(summary(model, last), width),
        ellipsized(head, width),
    ];
    let room = list_height(body.height) as usize;
    for (row, &i) in last
        .order
        .iter()
        .enumerate()
        .skip(results.scroll)
        .take(room)
    {
        let test = &last.report.results[i];
        let mut spans = vec![
            status_icon(test.status, theme),
            Span::styled(last.short_name(i).to_string(), theme.style(scope::TEXT)),
        ];
        if let Some(message) = &test.message {
            spans.push(Span::styled(
                format!("  {message}"),
                theme.style(scope::TEXT_DIM),
            ));
        }
        let mut line = ellipsized(Line::from(spans), width);
        if row == results.selected {
            line = line.style(theme.style(scope::SELECTION));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), body);
    let list = Rect {
        y: body.y + HEADER_LINES,
        height: list_height(body.height),
        ..body
    };
    draw_scrollbar(frame, rect, list, last.order.len(), results.scroll, theme);
}

fn draw_detail(frame: &mut Frame, last: &FinishedRun, selected: usize, body: Rect, theme: &Theme) {
    let Some(test) = last.order.get(selected).map(|&i| &last.report.results[i]) else {
        return;
    };
    frame.render_widget(
        Paragraph::new(detail_lines(test, theme)).wrap(Wrap { trim: false }),
        body,
    );
}

/// The detail view of one test: name, status, location, message and output.
fn detail_lines(test: &TestResult, theme: &Theme) -> Vec<Line<'static>> {
    let status = match test.status {
        TestStatus::Passed => "passed",
        TestStatus::Failed => "failed",
        TestStatus::Skipped => "skipped",
    };
    let mut head = vec![
        status_icon(test.status, theme),
        Span::styled(test.name.clone(), theme.style(scope::RESULTS_SUMMARY)),
    ];
    let mut facts = vec![status.to_string()];
    if let Some(ms) = test.duration_ms {
        facts.push(format!("{ms} ms"));
    }
    if let Some(suite) = &test.suite {
        facts.push(suite.clone());
    }
    head.push(Span::styled(
        format!("  ({})", facts.join(", ")),
        theme.style(scope::TEXT_DIM),
    ));
    let mut lines = vec![Line::from(head)];
    if let Some(file) = &test.file {
        let at = match test.line {
            Some(line) => format!("at {file}:{line}"),
            None => format!("at {file}"),
        };
        lines.push(Line::styled(at, theme.style(scope::TEXT_ACCENT)));
    }
    if let Some(message) = &test.message {
        lines.push(Line::styled(
            message.clone(),
            theme.style(scope::RESULTS_FAIL),
        ));
    }
    if !test.output.is_empty() {
        lines.push(Line::raw(""));
        lines.extend(
            test.output
                .lines()
                .map(|l| Line::styled(l.to_string(), Style::default())),
        );
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Enter: back to the list",
        theme.style(scope::TEXT_DIM),
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_line_ends_in_an_ellipsis_and_a_whole_one_is_kept() {
        let line = Line::from(vec![
            Span::raw("✓ 11 passed"),
            Span::raw("  0.41 s · on open"),
        ]);
        assert_eq!(ellipsized(line.clone(), 40).to_string(), line.to_string());
        let cut = ellipsized(line, 15);
        assert_eq!(cut.to_string(), "✓ 11 passed  0…");
        assert_eq!(cut.width(), 15);
    }
}
