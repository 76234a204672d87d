//! The request inspector (`Ctrl-O`): its keys, its text and its measures: the gauge's detail,
//! then exactly what the next request will send, segment by segment, each headed by its token count. Only the
//! visible lines are built, so a request with a megabyte of code scrolls as fast as a small one.

use ratatui::text::{Line, Span};

use std::borrow::Cow;

use super::conversation::{Counted, Message};
use super::keymap::{Action, KeyCombo};
use super::scroll::{OverlayKey, overlay_key};
use super::{Cmd, Model, Overlay, Pane, confirm};
use crate::llm::Role;
use crate::llm::context::{SegmentKind, fmt_tokens};
use crate::render::gauge::{self, GaugeProps};
use crate::theme::scope;

/// One segment of the next request: its kind, tokens, and text in pieces (the history is
/// its messages, each with a role line).
struct Segment<'a> {
    kind: SegmentKind,
    tokens: u32,
    pieces: Vec<Cow<'a, str>>,
}

impl Segment<'_> {
    /// The segment's text lines.
    fn lines(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().flat_map(|p| p.lines())
    }

    /// Rows in the inspector: a blank, the heading, then the text (or "(empty)").
    fn rows(&self) -> usize {
        2 + self.lines().count().max(1)
    }
}

/// A part of the request that is one text.
fn part(kind: SegmentKind, c: &Counted) -> Segment<'_> {
    Segment {
        kind,
        tokens: c.tokens,
        pieces: vec![Cow::Borrowed(c.text.as_str())],
    }
}

fn segments(model: &Model) -> Vec<Segment<'_>> {
    let conv = &model.conversation;
    let mut history = Vec::new();
    for m in conv.history_messages() {
        history.push(Cow::Borrowed(match m.role {
            Role::User => "[user]",
            Role::Assistant => "[assistant]",
        }));
        history.push(Cow::Borrowed(m.text.as_str()));
        history.extend(tool_pieces(m));
    }
    // In the request's own order (a fresh session ends its seed with the spec); lessons only
    // where a fresh session has them.
    let mut history = Some(history);
    conv.order()
        .iter()
        .filter(|&&kind| kind != SegmentKind::Lessons || conv.seeded)
        .map(|&kind| match conv.part(kind) {
            Some(c) => part(kind, c),
            None => Segment {
                kind,
                tokens: conv.history_tokens(),
                pieces: history.take().unwrap_or_default(),
            },
        })
        .collect()
}

/// The tool calls of a reply and their results, as the history carries them.
fn tool_pieces(m: &Message) -> impl Iterator<Item = Cow<'_, str>> {
    m.tools.iter().flat_map(|t| {
        let call = format!(
            "[tool call {}] {} {}",
            t.call.id,
            t.call.name,
            t.call.arguments.trim()
        );
        let result = match &t.result {
            Some(r) => Cow::Borrowed(r.content.as_str()),
            None => Cow::Borrowed(crate::llm::tools::NOT_RUN),
        };
        [
            Cow::Owned(call),
            Cow::Owned(format!("[tool result {}]", t.call.id)),
            result,
        ]
    })
}

/// The gauge detail at the top, then where its figures came from.
fn header(model: &Model) -> Vec<Line<'static>> {
    let theme = &model.theme;
    let conv = &model.conversation;
    let props = GaugeProps {
        usage: conv.context_use(model.config.model.max_output_tokens),
        thresholds: model.thresholds(),
        code: model.gauge_code(),
    };
    let figure = conv.figure(conv.raw_segments().total());
    let mut out = gauge::detail(props, &figure.basis.describe(), theme);
    out.extend(provenance(model));
    out.extend(context_lines(model));
    out
}

/// Who counts and where the window came from: the exact counter (or none) and the estimate
/// between its counts, why the last count failed, the window's source, the reserve rule.
fn provenance(model: &Model) -> Vec<Line<'static>> {
    let theme = &model.theme;
    let (dim, warn) = (theme.style(scope::TEXT_DIM), theme.style(scope::GAUGE_WARN));
    let conv = &model.conversation;
    let counting = &conv.counting;
    let estimate = conv.estimator().label();
    let mut out = vec![Line::styled(
        match counting.plan.exact {
            Some(counter) if counter.on_server() => format!(
                "counter: {} when the request changes; ~ {estimate} until it answers",
                counter.label()
            ),
            Some(counter) => format!("counter: {}", counter.label()),
            None => format!(
                "counter: none exact for this server; ~ {estimate}, calibrated by the server's \
                 reported usage"
            ),
        },
        dim,
    )];
    if let Some((expected, reported)) = counting.last {
        out.push(Line::styled(
            format!(
                "last request: {}{} expected ({}); the server counted {}",
                if expected.basis.approximate() {
                    "~"
                } else {
                    ""
                },
                gauge::grouped(expected.tokens),
                expected.basis.describe(),
                gauge::grouped(reported)
            ),
            dim,
        ));
    }
    if let Some(failure) = &counting.failure {
        out.push(Line::styled(
            format!("last count failed, the estimate stands: {failure}"),
            warn,
        ));
    }
    let (window, _) = conv.window;
    out.push(Line::styled(
        format!(
            "window {} ({}) · model {}",
            fmt_tokens(window),
            conv.window_source(),
            model.config.model.model
        ),
        dim,
    ));
    if let Some(warning) = conv
        .reserve(model.config.model.max_output_tokens)
        .warning(window)
    {
        out.push(Line::styled(format!("⚠ {warning}"), warn));
    }
    out
}

/// The context set, file by file with its tokens and why, the files that cannot go in and
/// why, the files the user dropped, then the map's files. Nothing while all the code goes
/// (the code segment below shows it all).
fn context_lines(model: &Model) -> Vec<Line<'static>> {
    let Some(chosen) = model.context.chosen.as_ref().filter(|c| !c.set.all) else {
        return Vec::new();
    };
    let theme = &model.theme;
    let (dim, text) = (theme.style(scope::TEXT_DIM), theme.style(scope::TEXT));
    let code = theme.style(SegmentKind::Code.scope());
    let critical = theme.style(scope::GAUGE_CRITICAL);
    let set = &chosen.set;
    let heading = |title: String, style| {
        vec![
            Line::default(),
            Line::styled(format!("── {title} ──"), style),
        ]
    };
    let mut out = heading(
        format!(
            "context set · {} file{} · {} tokens, budget {}",
            set.members.len(),
            if set.members.len() == 1 { "" } else { "s" },
            fmt_tokens(set.tokens()),
            fmt_tokens(set.budget)
        ),
        code,
    );
    let width = set
        .members
        .iter()
        .map(|m| m.path.display().to_string().chars().count())
        .max()
        .unwrap_or(0);
    let over = set.overflow().len();
    let first_over = set.members.len() - over;
    for (i, m) in set.members.iter().enumerate() {
        let reasons: Vec<&str> = m.reasons.iter().map(|r| r.label()).collect();
        let mut spans = vec![
            Span::styled(
                format!(
                    "  {:<width$} {:>7}  ",
                    m.path.display(),
                    fmt_tokens(m.tokens)
                ),
                text,
            ),
            Span::styled(reasons.join(", "), dim),
        ];
        if i >= first_over {
            spans.push(Span::styled(" · over budget", critical));
        }
        out.push(Line::from(spans));
    }
    if set.members.is_empty() {
        out.push(Line::styled("  (no file)", dim));
    }
    if !set.unavailable.is_empty() {
        out.push(Line::styled("not included:", dim));
        for (path, reasons, why) in &set.unavailable {
            let reasons: Vec<&str> = reasons.iter().map(|r| r.label()).collect();
            out.push(Line::from(vec![
                Span::styled(format!("  ✗ {}  ", path.display()), text),
                Span::styled(format!("{why} ({})", reasons.join(", ")), critical),
            ]));
        }
    }
    if !set.dropped.is_empty() {
        let names: Vec<String> = set
            .dropped
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        out.push(Line::styled(
            format!("dropped by you: {}", names.join(", ")),
            dim,
        ));
    }
    let map = &chosen.map;
    out.extend(heading(
        format!(
            "map · {} file{} · {} tokens",
            map.files.len(),
            if map.files.len() == 1 { "" } else { "s" },
            fmt_tokens(map.tokens)
        ),
        code,
    ));
    out.extend(
        map.files
            .iter()
            .map(|p| Line::styled(format!("  {}", p.display()), text)),
    );
    if map.files.is_empty() {
        out.push(Line::styled("  (nothing outlined)", dim));
    }
    out
}

/// How many lines the inspector holds.
pub fn line_count(model: &Model) -> usize {
    header(model).len() + segments(model).iter().map(Segment::rows).sum::<usize>()
}

/// The lines from `skip` on, at most `take` of them.
pub fn visible(model: &Model, skip: usize, take: usize) -> Vec<Line<'static>> {
    let theme = &model.theme;
    // Parts are counted here: exact only with OpenAI's tables for OpenAI's models.
    let conv = &model.conversation;
    let tables = matches!(conv.counting.plan.exact, Some(c) if !c.on_server());
    let approx = if tables && conv.tokenizer_ready {
        ""
    } else {
        "~"
    };
    let header = header(model);
    let mut to_skip = skip.saturating_sub(header.len());
    let mut out: Vec<Line<'static>> = header.into_iter().skip(skip).take(take).collect();
    let text = theme.style(scope::TEXT);
    for seg in segments(model) {
        if out.len() >= take {
            break;
        }
        let rows = seg.rows();
        if to_skip >= rows {
            to_skip -= rows;
            continue;
        }
        let heading = Line::from(vec![
            Span::styled(
                format!("── {} ", seg.kind.label()),
                theme.style(seg.kind.scope()),
            ),
            Span::styled(
                format!("· {approx}{} tokens ──", seg.tokens),
                theme.style(scope::TEXT_DIM),
            ),
        ]);
        let empty = (seg.lines().next().is_none())
            .then(|| Line::styled("(empty)", theme.style(scope::TEXT_DIM)));
        let body = seg
            .lines()
            .map(|l| Line::styled(l.replace('\t', "    "), text));
        let need = take - out.len();
        out.extend(
            [Line::default(), heading]
                .into_iter()
                .chain(empty)
                .chain(body)
                .skip(to_skip)
                .take(need),
        );
        to_skip = 0;
    }
    out
}

/// Keys in the inspector: scroll it, close it (`Ctrl-O`, `Esc`, `q`), or quit (`Ctrl-C`).
pub(crate) fn on_key(model: &mut Model, scroll: usize, combo: KeyCombo) -> Vec<Cmd> {
    // It pages as the help overlay does.
    let page = super::help::page(model.size);
    let action = model.keymap.normal(combo, Pane::Spec);
    let new_scroll = match overlay_key(action, combo, Action::Inspector, scroll, page) {
        OverlayKey::Scroll(s) => s,
        OverlayKey::Close => {
            model.overlay = None;
            return Vec::new();
        }
        OverlayKey::Quit => {
            confirm::ask_to_quit(model);
            return Vec::new();
        }
    };
    let max = line_count(model).saturating_sub(page);
    model.overlay = Some(Overlay::Inspector {
        scroll: new_scroll.min(max),
    });
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::{Msg, update};
    use std::path::PathBuf;

    #[test]
    fn pages_through_the_request_line_by_line_and_end_with_the_reanchor() {
        let theme = crate::theme::ThemeSource::default()
            .load("default")
            .unwrap();
        let mut m = Model::new(PathBuf::from("/w"), "w".into(), Config::default(), theme);
        update(&mut m, Msg::Resize(120, 40));
        m.on_code_context(
            "# The code in scope\n\n```py path=a.py\nx = 1\n```\n".into(),
            12,
        );
        m.conversation.reanchor.text = "(Reminder: R1 holds.)".into();
        m.set_draft("two\nlines");
        let text = |lines: Vec<Line>| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        let total = line_count(&m);
        let all = text(visible(&m, 0, usize::MAX));
        assert_eq!(all.len(), total);
        let mut paged = Vec::new();
        for start in (0..total).step_by(7) {
            paged.extend(text(visible(&m, start, 7)));
        }
        assert_eq!(paged, all);
        assert_eq!(
            all.last().map(String::as_str),
            Some("(Reminder: R1 holds.)")
        );
        assert!(all.iter().any(|l| l == "x = 1"));
        assert!(all.iter().any(|l| l.starts_with("── tests · ")));
        assert_eq!(
            text(visible(&m, total - 1, 5)),
            vec!["(Reminder: R1 holds.)"]
        );
    }
}
