//! The context gauge: one line showing how full the usable context window is, segment by
//! segment, and the inspector's detailed view of the same numbers.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::llm::context::fmt_tokens;
use crate::llm::context::{ContextUse, SEGMENTS, SegmentKind, Thresholds, Zone};
use crate::theme::{Theme, scope};

/// What the gauge shows: a small `Copy` props struct in, a line out.
#[derive(Debug, Clone, Copy)]
pub struct GaugeProps {
    /// The request's context use.
    pub usage: ContextUse,
    /// Where the warning and critical zones begin.
    pub thresholds: Thresholds,
    /// The code part as a context set and a map (`None`: all the code goes).
    pub code: Option<GaugeCode>,
}

/// The code part when it is a context set and a map: what the gauge says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GaugeCode {
    /// Files in the set, in full.
    pub files: usize,
    /// Files outlined in the map.
    pub map: usize,
    /// Files of the set past its budget (the code segment turns the critical colour).
    pub over: usize,
}

/// The smallest bar worth drawing.
const MIN_BAR: usize = 6;
/// The widest bar.
const MAX_BAR: usize = 24;
/// A used cell of the bar.
const USED_CELL: &str = "█";
/// A free cell of the bar.
const FREE_CELL: &str = "░";
/// Between the texts after the bar.
const SEPARATOR: &str = " · ";
/// Partial cells, filled from the left: one to seven eighths.
const PARTIAL: [&str; 7] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/// The gauge as one line of at most `width` columns: the percentage in the zone's colour, a bar
/// of the request's segments, a mismatch marker if any, then as much description as fits. The
/// bar's width depends on `width` alone, so it never jumps when the texts around it change.
pub fn line(props: GaugeProps, width: u16, theme: &Theme) -> Line<'static> {
    let width = usize::from(width);
    let usage = props.usage;
    let label = theme.style(scope::GAUGE_LABEL);
    let head = vec![
        Span::styled(percent_text(&usage), zone_style(props, theme)),
        Span::styled(" ", label),
    ];
    let fixed = spans_width(&head);
    if fixed + MIN_BAR > width {
        // Not even the smallest bar fits: the percentage alone, if it does.
        return if fixed <= width {
            Line::from(head)
        } else {
            Line::default()
        };
    }
    let bar = bar_width(width);
    let room = width - fixed - bar;
    let markers = marker_variants(&usage, theme);
    let tails = tail_variants(&usage, props.code, theme);
    // Every description with the longest marker, then the shorter markers alone: the marker
    // outlives the descriptions.
    let candidates = (0..tails.len())
        .map(|t| (0, t))
        .chain((1..markers.len()).map(|m| (m, tails.len() - 1)));
    let (marker, tail) = candidates
        .map(|(m, t)| (&markers[m], &tails[t]))
        .find(|(marker, tail)| spans_width(marker) + spans_width(tail) <= room)
        .map(|(marker, tail)| (marker.clone(), tail.clone()))
        .unwrap_or_default();
    let mut spans = head;
    spans.extend(bar_spans(&usage, props.code, bar, theme));
    spans.extend(marker);
    spans.extend(tail);
    Line::from(spans)
}

/// The bar's width on a line `width` columns wide: a sixth of it, between [`MIN_BAR`] and
/// [`MAX_BAR`].
fn bar_width(width: usize) -> usize {
    (width / 6).clamp(MIN_BAR, MAX_BAR)
}

/// The inspector's view of the gauge: a line per segment, then the exact totals, the reserve,
/// where the spec sits, how the figure was obtained (`provenance`: which counter, or the
/// estimate and its calibration), and the truncation alarm when there is one.
pub fn detail(props: GaugeProps, provenance: &str, theme: &Theme) -> Vec<Line<'static>> {
    let usage = props.usage;
    let label = theme.style(scope::GAUGE_LABEL);
    let dim = theme.style(scope::TEXT_DIM);
    let warn = theme.style(scope::GAUGE_WARN);
    // Styled text only, never the rest of the row.
    let text = |s: String, style: Style| Line::from(Span::styled(s, style));
    let usable = usage.usable();
    let mut lines: Vec<Line<'static>> = usage
        .segments
        .iter()
        // Lessons exist only in a fresh session.
        .filter(|&(kind, tokens)| kind != SegmentKind::Lessons || tokens > 0)
        .map(|(kind, tokens)| {
            let share = if usable == 0 {
                "—".to_string()
            } else {
                format!("{:.1}%", f64::from(tokens) * 100.0 / f64::from(usable))
            };
            let (cell, cell_style) = if tokens == 0 {
                (FREE_CELL, theme.style(scope::GAUGE_FREE))
            } else {
                (USED_CELL, theme.style(kind.scope()))
            };
            Line::from(vec![
                Span::styled(cell, cell_style),
                Span::styled(format!(" {:<10}", kind.label()), theme.style(kind.scope())),
                Span::styled(format!("{:>10}  {share:>6}", grouped(tokens)), label),
            ])
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled(
            format!(
                "{} / {} / {} tokens",
                grouped(usage.used()),
                grouped(usable),
                grouped(usage.window)
            ),
            label,
        ),
        Span::styled(" (used / usable / window) ", dim),
        Span::styled(percent_text(&usage), zone_style(props, theme)),
    ]));
    if usage.over() > 0 {
        lines.push(text(
            format!("{} tokens over the usable window", grouped(usage.over())),
            theme.style(scope::GAUGE_CRITICAL),
        ));
    }
    lines.push(text(
        format!("output reserve: {} tokens", grouped(usage.reserve)),
        label,
    ));
    lines.push(match usage.spec_span() {
        Some((start, end)) => Line::from(vec![
            Span::styled("spec", theme.style(scope::GAUGE_SPEC)),
            Span::styled(
                format!(
                    ": tokens {}–{} of the request; {} tokens follow it",
                    grouped(start),
                    grouped(end),
                    grouped(usage.after_spec())
                ),
                label,
            ),
        ]),
        None => text("spec: not in the request".into(), warn),
    });
    lines.push(text(format!("count: {provenance}"), dim));
    if let Some(mismatch) = usage.mismatch {
        lines.push(text(format!("⚠ {}", mismatch.describe()), warn));
    }
    lines
}

/// `45%`, `~45%` for an estimate, `>999%` past that; an empty request reads `0%`.
fn percent_text(usage: &ContextUse) -> String {
    let percent = usage.percent();
    if percent == 0 && usage.used() == 0 {
        return "0%".into();
    }
    let tilde = if usage.exact { "" } else { "~" };
    if percent > 999 {
        format!("{tilde}>999%")
    } else {
        format!("{tilde}{percent}%")
    }
}

/// The style of the zone the request falls in.
fn zone_style(props: GaugeProps, theme: &Theme) -> Style {
    theme.style(match props.usage.zone(props.thresholds) {
        Zone::Ok => scope::GAUGE_OK,
        Zone::Warn => scope::GAUGE_WARN,
        Zone::Critical => scope::GAUGE_CRITICAL,
    })
}

/// The mismatch marker, longest first; a single empty variant when there is no mismatch.
fn marker_variants(usage: &ContextUse, theme: &Theme) -> Vec<Vec<Span<'static>>> {
    let Some(mismatch) = usage.mismatch else {
        return vec![Vec::new()];
    };
    let warn = theme.style(scope::GAUGE_WARN);
    let long = if mismatch.truncated() {
        " ⚠ truncated?"
    } else {
        " ⚠ count off"
    };
    vec![
        vec![Span::styled(long, warn)],
        vec![Span::styled(" ⚠", warn)],
    ]
}

/// The descriptions after the bar, longest first, the last one empty.
fn tail_variants(
    usage: &ContextUse,
    code: Option<GaugeCode>,
    theme: &Theme,
) -> Vec<Vec<Span<'static>>> {
    let label = theme.style(scope::GAUGE_LABEL);
    let usable = fmt_tokens(usage.usable());
    let window = fmt_tokens(usage.window);
    if usage.used() == 0 {
        let texts = [
            format!(
                "empty · {usable} usable ({window} window − {} reply reserve)",
                fmt_tokens(usage.reserve)
            ),
            format!("empty · {usable} usable of {window}"),
            format!("empty · {usable} usable"),
            "empty".to_string(),
        ];
        return texts
            .into_iter()
            .map(|t| vec![Span::styled(format!(" {t}"), label)])
            .chain(std::iter::once(Vec::new()))
            .collect();
    }
    // (priority, text, style) in display order; the lowest priority is dropped first.
    let mut pieces: Vec<(u8, String, Style)> =
        vec![(1, format!("{}/{usable}", fmt_tokens(usage.used())), label)];
    if usage.over() > 0 {
        pieces.push((
            0,
            format!("{} over", fmt_tokens(usage.over())),
            theme.style(scope::GAUGE_CRITICAL),
        ));
    }
    if let Some((start, end)) = usage.spec_span() {
        pieces.push((
            2,
            format!("spec {}", span_text(start, end)),
            theme.style(scope::GAUGE_SPEC),
        ));
        pieces.push((
            4,
            format!("{} after spec", fmt_tokens(usage.after_spec())),
            label,
        ));
    }
    pieces.extend(code_piece(code, theme));
    pieces.push((5, format!("{window} window"), label));
    let mut priorities: Vec<u8> = pieces.iter().map(|p| p.0).collect();
    priorities.sort_unstable();
    priorities
        .iter()
        .rev()
        .map(|&cut| {
            let mut spans = Vec::new();
            for (priority, text, style) in &pieces {
                if *priority <= cut {
                    let sep = if spans.is_empty() { " " } else { SEPARATOR };
                    spans.push(Span::styled(sep, label));
                    spans.push(Span::styled(text.clone(), *style));
                }
            }
            spans
        })
        .chain(std::iter::once(Vec::new()))
        .collect()
}

/// The code's piece of the description: `code 3 files · map 41` (kept after the spec's span,
/// before what follows the spec), an overflow in the critical colour (kept as long as the
/// used tokens).
fn code_piece(code: Option<GaugeCode>, theme: &Theme) -> Option<(u8, String, Style)> {
    let code = code?;
    let files = |n: usize| format!("{n} file{}", if n == 1 { "" } else { "s" });
    Some(if code.over > 0 {
        (
            1,
            format!(
                "code {} ({} over budget) · map {}",
                files(code.files),
                code.over,
                code.map
            ),
            theme.style(scope::GAUGE_CRITICAL),
        )
    } else {
        (
            3,
            format!("code {} · map {}", files(code.files), code.map),
            theme.style(scope::GAUGE_LABEL),
        )
    })
}

/// A segment's colour in the bar: the code's turns critical when the set overflows.
fn segment_scope(kind: SegmentKind, code: Option<GaugeCode>) -> &'static str {
    if kind == SegmentKind::Code && code.is_some_and(|c| c.over > 0) {
        scope::GAUGE_CRITICAL
    } else {
        kind.scope()
    }
}

/// `1–9.3k` (one unit when both ends share it), `850–9.3k`, `0–1.2k`.
fn span_text(start: u32, end: u32) -> String {
    let (start, end) = (fmt_tokens(start), fmt_tokens(end));
    let unit = |s: &str| s.chars().last().filter(|c| c.is_alphabetic());
    match (unit(&start), unit(&end)) {
        (Some(a), Some(b)) if a == b => {
            format!("{}–{end}", start.trim_end_matches(a))
        }
        _ => format!("{start}–{end}"),
    }
}

/// The bar's spans: each segment in its own colour, then the free cells, to an eighth of a
/// cell. A cell two segments share shows the first as a partial block over the second's
/// colour (a third one in the same cell is not drawn); a tiny segment is a thin sliver, never
/// a whole cell.
fn bar_spans(
    usage: &ContextUse,
    code: Option<GaugeCode>,
    bar: usize,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let eighths = cells(usage, bar);
    // The runs in order: (segment index, or FREE, and its eighths).
    let runs: Vec<(usize, usize)> = eighths
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, &n)| (i, n))
        .collect();
    let order = usage.segments.order();
    let color = |run: usize| {
        if run == FREE {
            theme.style(scope::GAUGE_FREE)
        } else {
            theme.style(segment_scope(order[run], code))
        }
    };
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut push = |text: &str, style: Style| match spans.last_mut() {
        Some(last) if last.style == style => last.content.to_mut().push_str(text),
        _ => spans.push(Span::styled(text.to_string(), style)),
    };
    // Walk the cells, each the eighths [8c, 8c + 8).
    let (mut run, mut used) = (0, 0);
    for _ in 0..bar {
        let mut portions: Vec<(usize, usize)> = Vec::new();
        let mut need = EIGHTHS;
        while need > 0 && run < runs.len() {
            let (id, n) = runs[run];
            let take = (n - used).min(need);
            portions.push((id, take));
            need -= take;
            used += take;
            if used == n {
                run += 1;
                used = 0;
            }
        }
        match portions.as_slice() {
            [] => {}
            [(id, _)] if *id == FREE => push(FREE_CELL, color(FREE)),
            [(id, _)] => push(USED_CELL, color(*id)),
            [(first, k), (second, _), ..] => {
                let mut style = color(*first);
                if *second != FREE
                    && let Some(fg) = color(*second).fg
                {
                    style = style.bg(fg);
                }
                push(PARTIAL[k - 1], style);
            }
        }
    }
    spans
}

/// The index of the free eighths in [`cells`]' answer, after the segments.
const FREE: usize = SEGMENTS;
/// The bar's resolution: eighths of a cell.
const EIGHTHS: usize = 8;

/// Splits a bar of `bar` cells, in eighths, among the segments (in request order) and the free
/// tokens, in proportion to their tokens against the usable window (against the request when
/// it is larger), by largest remainder so the eighths add up to exactly `8 × bar`. The spec
/// gets at least one eighth; a segment smaller than half an eighth may get none.
fn cells(usage: &ContextUse, bar: usize) -> [usize; SEGMENTS + 1] {
    let mut weights = [0u64; SEGMENTS + 1];
    for (w, &t) in weights.iter_mut().zip(usage.segments.tokens()) {
        *w = u64::from(t);
    }
    weights[FREE] = u64::from(usage.free());
    // The spec always shows, if only as a sliver: where it sits is the point of the gauge.
    let mut min = [0usize; SEGMENTS + 1];
    let spec = usage.segments.position(SegmentKind::Spec);
    min[spec] = usize::from(weights[spec] > 0);
    let mut out = [0usize; SEGMENTS + 1];
    if weights.iter().all(|&w| w == 0) {
        out[FREE] = bar * EIGHTHS;
        return out;
    }
    out.copy_from_slice(&apportion(&weights, bar * EIGHTHS, &min));
    out
}

/// `cells` split in proportion to `weights` by largest remainder (ties to the larger weight,
/// then the earlier), each getting at least its `min` (which must add up to at most `cells`).
/// With no weight at all, nothing is given.
fn apportion(weights: &[u64], cells: usize, min: &[usize]) -> Vec<usize> {
    let total: u64 = weights.iter().sum();
    let mut out = vec![0usize; weights.len()];
    if total == 0 {
        return out;
    }
    let n = cells as u64;
    let mut remainders = vec![0u64; weights.len()];
    for (i, &w) in weights.iter().enumerate() {
        // The quotient is at most `cells`.
        out[i] = usize::try_from(w * n / total).unwrap_or(cells);
        remainders[i] = w * n % total;
        if out[i] < min[i] {
            out[i] = min[i];
            remainders[i] = 0;
        }
    }
    let mut sum: usize = out.iter().sum();
    while sum < cells {
        let Some(i) = (0..weights.len())
            .filter(|&i| weights[i] > 0)
            .max_by_key(|&i| (remainders[i], weights[i], std::cmp::Reverse(i)))
        else {
            break;
        };
        out[i] += 1;
        remainders[i] = 0;
        sum += 1;
    }
    while sum > cells {
        let Some(i) = (0..weights.len())
            .filter(|&i| out[i] > min[i])
            .max_by_key(|&i| (out[i], std::cmp::Reverse(remainders[i]), i))
        else {
            break;
        };
        out[i] -= 1;
        sum -= 1;
    }
    out
}

/// The width of `spans` in columns.
fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// `54,120`: a count with thousands separators.
pub fn grouped(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::Color;
    use ratatui::widgets::Widget;

    use super::*;
    use crate::llm::context::{Mismatch, Segments, scale};

    const WINDOW: u32 = 128_000;
    const RESERVE: u32 = 8192;

    fn theme() -> Theme {
        crate::theme::ThemeSource::default()
            .load("default")
            .expect("the default theme loads")
    }

    /// A request with the given history size: 53,990 tokens (45%) with 12,000 of history.
    fn request(history: u32) -> Segments {
        seven([1020, 8290, 30_000, 2000, history, 500, 180])
    }

    /// Segments of an ordinary request from the seven kinds other than lessons.
    fn seven(t: [u32; 7]) -> Segments {
        Segments::from_tokens([t[0], t[1], t[2], t[3], 0, t[4], t[5], t[6]])
    }

    fn estimate(segments: Segments) -> GaugeProps {
        GaugeProps {
            code: None,
            usage: ContextUse {
                segments,
                window: WINDOW,
                reserve: RESERVE,
                exact: false,
                mismatch: None,
            },
            thresholds: Thresholds::default(),
        }
    }

    fn exact(props: GaugeProps) -> GaugeProps {
        GaugeProps {
            code: None,
            usage: ContextUse {
                exact: true,
                ..props.usage
            },
            ..props
        }
    }

    /// The sent estimate (45%) and what the server says it received.
    fn reported(reported: u32) -> GaugeProps {
        let sent = request(12_000);
        GaugeProps {
            code: None,
            usage: ContextUse {
                segments: scale(sent, reported),
                exact: true,
                mismatch: Mismatch::check(sent.total(), reported),
                ..estimate(sent).usage
            },
            thresholds: Thresholds::default(),
        }
    }

    fn props_of(tokens: [u32; 7], window: u32, reserve: u32) -> ContextUse {
        ContextUse {
            segments: seven(tokens),
            window,
            reserve,
            exact: false,
            mismatch: None,
        }
    }

    /// The scopes a cell's style may come from, to name styles in dumps.
    const SCOPES: [&str; 13] = [
        scope::GAUGE_OK,
        scope::GAUGE_WARN,
        scope::GAUGE_CRITICAL,
        scope::GAUGE_FREE,
        scope::GAUGE_LABEL,
        scope::GAUGE_SYSTEM,
        scope::GAUGE_SPEC,
        scope::GAUGE_CODE,
        scope::GAUGE_TESTS,
        scope::GAUGE_HISTORY,
        scope::GAUGE_MESSAGE,
        scope::GAUGE_REANCHOR,
        scope::TEXT_DIM,
    ];

    /// A style as the buffer holds it: colours and modifiers.
    fn style_key(fg: Color, bg: Color, modifier: ratatui::style::Modifier) -> String {
        format!("{fg:?} {bg:?} {modifier:?}")
    }

    /// Renders `lines` into a buffer `width` wide, then dumps the text, a row of letters (one
    /// per cell, one letter per distinct style, `.` for an unstyled cell) under each line, and
    /// the legend naming the theme scopes each letter's style matches.
    fn dump(lines: &[Line<'static>], width: u16, theme: &Theme) -> String {
        let height = u16::try_from(lines.len()).expect("few lines");
        let area = Rect::new(0, 0, width, height);
        let mut buffer = Buffer::empty(area);
        for (y, line) in (0..height).zip(lines) {
            line.render(Rect::new(0, y, width, 1), &mut buffer);
        }
        let blank = style_key(
            Color::Reset,
            Color::Reset,
            ratatui::style::Modifier::empty(),
        );
        let mut styles: Vec<String> = Vec::new();
        let mut out = String::new();
        for y in 0..height {
            let text: String = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
            let mut letters = String::new();
            for x in 0..width {
                let cell = &buffer[(x, y)];
                let key = style_key(cell.fg, cell.bg, cell.modifier);
                if key == blank {
                    letters.push('.');
                    continue;
                }
                let n = styles.iter().position(|s| *s == key).unwrap_or_else(|| {
                    styles.push(key);
                    styles.len() - 1
                });
                letters.push(char::from(b'a' + u8::try_from(n).expect("few styles")));
            }
            writeln!(out, "{}|", text.trim_end()).unwrap();
            writeln!(out, "{}", letters.trim_end_matches('.')).unwrap();
        }
        writeln!(out, "--- styles").unwrap();
        for (n, key) in styles.iter().enumerate() {
            let names: Vec<&str> = SCOPES
                .iter()
                .filter(|s| {
                    let st = theme.style(s);
                    let fg = st.fg.unwrap_or(Color::Reset);
                    let bg = st.bg.unwrap_or(Color::Reset);
                    style_key(fg, bg, st.add_modifier) == *key
                })
                .copied()
                .collect();
            let letter = char::from(b'a' + u8::try_from(n).expect("few styles"));
            writeln!(out, "{letter}: {} ({key})", names.join(" = ")).unwrap();
        }
        out
    }

    /// The gauge line at the snapshot widths, one after another.
    fn widths(props: GaugeProps) -> String {
        let theme = theme();
        let mut out = String::new();
        for width in [30u16, 58, 100] {
            let line = line(props, width, &theme);
            writeln!(out, "=== width {width}").unwrap();
            out.push_str(&dump(&[line], width, &theme));
        }
        out
    }

    #[test]
    fn snapshot_empty() {
        insta::assert_snapshot!(widths(estimate(Segments::default())));
    }

    #[test]
    fn snapshot_ok_45_estimate() {
        insta::assert_snapshot!(widths(estimate(request(12_000))));
    }

    #[test]
    fn snapshot_warn_75_estimate() {
        insta::assert_snapshot!(widths(estimate(request(48_000))));
    }

    #[test]
    fn snapshot_critical_95_estimate() {
        insta::assert_snapshot!(widths(estimate(request(72_000))));
    }

    #[test]
    fn snapshot_over_110_estimate() {
        insta::assert_snapshot!(widths(estimate(request(90_000))));
    }

    #[test]
    fn snapshot_ok_45_exact() {
        insta::assert_snapshot!(widths(exact(estimate(request(12_000)))));
    }

    #[test]
    fn snapshot_exact_truncated() {
        insta::assert_snapshot!(widths(reported(30_000)));
    }

    #[test]
    fn snapshot_detail() {
        let theme = theme();
        let estimated = detail(
            estimate(request(12_000)),
            "~ o200k tokenizer, not calibrated yet",
            &theme,
        );
        let truncated = detail(reported(30_000), "reported by the server", &theme);
        let over = detail(
            estimate(request(90_000)),
            "~ cl100k tokenizer calibrated +14% by the server's last count (1.1k for ~1k)",
            &theme,
        );
        let mut out = String::from("=== estimate\n");
        out.push_str(&dump(&estimated, 100, &theme));
        out.push_str("=== reported, truncated\n");
        out.push_str(&dump(&truncated, 100, &theme));
        out.push_str("=== over\n");
        out.push_str(&dump(&over, 100, &theme));
        insta::assert_snapshot!(out);
    }

    #[test]
    fn every_line_fits_its_width() {
        let theme = theme();
        let cases = [
            estimate(Segments::default()),
            estimate(request(12_000)),
            estimate(request(90_000)),
            exact(estimate(request(48_000))),
            reported(30_000),
            reported(70_000),
            estimate(seven([0, 0, 0, 0, 0, 1, 0])),
            estimate(seven([1, 1, 1, 1, 1, 1, 1])),
            GaugeProps {
                code: None,
                usage: props_of([10, 0, 0, 0, 0, 0, 0], 100, 8192),
                thresholds: Thresholds::default(),
            },
        ];
        for props in cases {
            for width in 0..=140u16 {
                let l = line(props, width, &theme);
                assert!(l.width() <= usize::from(width), "{width}: {l}");
                if width >= 20 {
                    let glyphs =
                        |c: char| "█░".contains(c) || PARTIAL.iter().any(|p| p.starts_with(c));
                    let bar = l
                        .spans
                        .iter()
                        .filter(|s| s.content.chars().all(glyphs))
                        .map(Span::width)
                        .sum::<usize>();
                    assert!((MIN_BAR..=MAX_BAR).contains(&bar), "{width}: {l}");
                }
            }
        }
    }

    #[test]
    fn narrowing_drops_texts_before_the_mismatch_marker() {
        let theme = theme();
        let at = |props, width| line(props, width, &theme).to_string();
        let truncated = reported(30_000);
        assert_eq!(at(truncated, 20), "25% ▎▏░░░░ ⚠");
        assert!(at(truncated, 30).ends_with("⚠ truncated?"));
        assert!(at(truncated, 58).contains("⚠ truncated? 30k/119.8k · spec"));
        let off = reported(70_000);
        assert!(at(off, 30).ends_with("⚠ count off"), "{}", at(off, 30));
        let plain = estimate(request(12_000));
        assert_eq!(at(plain, 20), "~45% ▏█▏░░░");
        assert!(
            at(plain, 100).ends_with("54k/119.8k · spec 1–9.3k · 44.7k after spec · 128k window")
        );
    }

    #[test]
    fn over_the_window_shows_the_overflow_and_no_free_cells() {
        let theme = theme();
        let over = estimate(request(90_000));
        let text = line(over, 58, &theme).to_string();
        assert!(text.starts_with("~110% "), "{text}");
        assert!(text.contains("12.2k over"), "{text}");
        assert!(!text.contains(FREE_CELL), "{text}");
        assert!(line(over, 24, &theme).to_string().contains("12.2k over"));
    }

    #[test]
    fn cells_follow_the_tokens_to_an_eighth_and_add_up() {
        // The eighths without the (empty) lessons segment.
        let without_lessons =
            |c: [usize; SEGMENTS + 1]| [c[0], c[1], c[2], c[3], c[5], c[6], c[7], c[8]];
        let tiny = |tokens, bar| without_lessons(cells(&props_of(tokens, 1000, 0), bar));
        assert_eq!(tiny([0; 7], 10), [0, 0, 0, 0, 0, 0, 0, 80]);
        assert_eq!(
            tiny([0, 0, 500, 0, 0, 0, 0], 10),
            [0, 0, 40, 0, 0, 0, 0, 40]
        );
        // 2% of a 24-cell bar is 3.84 eighths: four, half a cell, never a whole one.
        assert_eq!(tiny([0, 0, 20, 0, 0, 0, 0], 24), [0, 0, 4, 0, 0, 0, 0, 188]);
        // One token of spec still shows; one token of anything else is below the resolution.
        assert_eq!(tiny([0, 1, 0, 0, 0, 0, 0], 10), [0, 1, 0, 0, 0, 0, 0, 79]);
        assert_eq!(tiny([1, 0, 0, 0, 0, 0, 0], 10), [0, 0, 0, 0, 0, 0, 0, 80]);
        // A third each: the remaining eighths go to the largest remainders.
        assert_eq!(
            tiny([0, 333, 333, 0, 0, 0, 334], 10),
            [0, 27, 26, 0, 0, 0, 27, 0]
        );
        // Over the window: all segments, in proportion to the request.
        assert_eq!(
            tiny([1000, 1000, 0, 0, 0, 0, 0], 6),
            [24, 24, 0, 0, 0, 0, 0, 0]
        );
        // The empty usable window of a request: all of it is the request.
        let empty_usable = without_lessons(cells(&props_of([5, 0, 0, 0, 0, 0, 0], 10, 20), 8));
        assert_eq!(empty_usable, [64, 0, 0, 0, 0, 0, 0, 0]);
        for bar in MIN_BAR..=MAX_BAR {
            for tokens in [
                [1, 2, 3, 4, 5, 6, 7],
                [900, 1, 0, 0, 1, 0, 1],
                [0, 0, 0, 0, 0, 0, 0],
                [u32::MAX, u32::MAX, 0, 0, 0, 0, 1],
                [100, 200, 300, 0, 0, 0, 0],
            ] {
                let c = tiny(tokens, bar);
                assert_eq!(
                    c.iter().sum::<usize>(),
                    bar * EIGHTHS,
                    "{tokens:?} in {bar}"
                );
                assert_eq!(
                    c[1] > 0,
                    tokens[1] > 0,
                    "the spec shows: {tokens:?} in {bar}"
                );
            }
        }
    }

    #[test]
    fn the_bar_is_proportional_and_fuller_means_fuller() {
        // A fresh session at 2% and a poisoned one at 4%, each with all seven segments.
        let at = |percent: u32| {
            let used = 119_808 * percent / 100;
            let part = used / 7;
            estimate(seven([part, part, part, part, part, part, used - 6 * part]))
        };
        let filled = |props: GaugeProps, bar: usize| {
            let c = cells(&props.usage, bar);
            bar * EIGHTHS - c[FREE]
        };
        for bar in MIN_BAR..=MAX_BAR {
            assert!(filled(at(2), bar) < filled(at(4), bar), "{bar}");
            let two = filled(at(2), bar) as f64 / (bar * EIGHTHS) as f64;
            assert!(
                (0.01..=0.04).contains(&two),
                "2% draws about 2% ({two}) of {bar}"
            );
        }
        let theme = theme();
        let bar_text = |props: GaugeProps, width: u16| {
            let l = line(props, width, &theme).to_string();
            l.chars()
                .filter(|c| "█░".contains(*c) || PARTIAL.iter().any(|p| p.starts_with(*c)))
                .count()
        };
        // The bar keeps its width whatever the texts beside it say.
        for width in [20u16, 40, 58, 80, 100, 200] {
            let widths: Vec<usize> = [at(2), at(4), estimate(request(12_000)), reported(30_000)]
                .into_iter()
                .map(|p| bar_text(p, width))
                .collect();
            assert!(
                widths.windows(2).all(|w| w[0] == w[1]),
                "{width}: {widths:?}"
            );
            assert_eq!(widths[0], bar_width(usize::from(width)));
        }
        // 2% at 24 cells: half a cell of code, the rest free.
        let code = estimate(seven([0, 0, 2396, 0, 0, 0, 0]));
        let text = line(code, 150, &theme).to_string();
        assert_eq!(
            text.split(' ').nth(1),
            Some("▌░░░░░░░░░░░░░░░░░░░░░░░"),
            "{text}"
        );
    }

    #[test]
    fn spans_and_counts_read_well() {
        assert_eq!(span_text(1020, 9310), "1–9.3k");
        assert_eq!(span_text(850, 9310), "850–9.3k");
        assert_eq!(span_text(0, 1200), "0–1.2k");
        assert_eq!(span_text(900_000, 1_200_000), "900k–1.2M");
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(119_808), "119,808");
        assert_eq!(grouped(u32::MAX), "4,294,967,295");
    }

    #[test]
    fn token_counts_read_compactly() {
        assert_eq!(fmt_tokens(0), "0");
        assert_eq!(fmt_tokens(950), "950");
        assert_eq!(fmt_tokens(1234), "1.2k");
        assert_eq!(fmt_tokens(119_808), "119.8k");
        assert_eq!(fmt_tokens(128_000), "128k");
        assert_eq!(fmt_tokens(999_949), "999.9k");
        assert_eq!(fmt_tokens(999_950), "1M");
        assert_eq!(fmt_tokens(1_500_000), "1.5M");
    }
}
