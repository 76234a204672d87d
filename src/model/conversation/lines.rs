//! The conversation as lines: each message rendered for the pane's width (Markdown for replies,
//! wrapped text for the user's), sized whole but kept only for the messages on or near the
//! screen, so a long conversation costs what the screen shows.

use ratatui::text::{Line, Span};

use super::message::{Message, MessageStatus};
use super::pane::ConversationPane;
use super::tool_use::ToolUse;
use crate::code::highlight::Highlighter;
use crate::llm::Role;
use crate::llm::context::fmt_tokens;
use crate::render::wrap::wrap_line;
use crate::session::PromptKind;
use crate::theme::{Theme, scope};

impl ConversationPane {
    /// Lays out every message for `width` and keeps the scroll position in range (following
    /// the end unless the user scrolled away). Only what changed is sized again, plain (the
    /// cost of highlighting changes no line break); only the messages on or near the screen
    /// keep their lines, highlighted, so a long conversation costs what the screen shows.
    pub fn layout(&mut self, width: u16, height: usize, theme: &Theme) {
        let width = width.max(8);
        let plain = self.highlighter.plain();
        let mut total = 0;
        self.starts.clear();
        for m in &mut self.messages {
            let key = (width, m.revision);
            if m.rendered != Some(key) {
                // What was on screen is rendered whole again (a streaming reply grows there);
                // the rest only sized.
                let hl = if m.full { &self.highlighter } else { &plain };
                let lines = render_message(m, width, theme, hl, self.tools.expanded);
                m.height = lines.len();
                m.lines = lines;
                m.rendered = Some(key);
            }
            self.starts.push(total);
            total += m.height;
        }
        self.total_lines = total;
        self.width = width;
        let max = total.saturating_sub(height);
        if self.follow || self.scroll > max {
            self.scroll = max;
        }
        // The window that keeps its lines: the screen and a screen either side.
        let (lo, hi) = (self.scroll.saturating_sub(height), self.scroll + 2 * height);
        let mut moved = false;
        for (m, &start) in self.messages.iter_mut().zip(&self.starts) {
            if start + m.height > lo && start < hi {
                if !m.full {
                    let lines =
                        render_message(m, width, theme, &self.highlighter, self.tools.expanded);
                    moved |= lines.len() != m.height;
                    m.height = lines.len();
                    m.lines = lines;
                    m.full = true;
                }
            } else if !m.lines.is_empty() {
                m.lines = Vec::new();
                m.full = false;
            }
        }
        // Highlighting never changes a break; should it, the offsets follow.
        if moved {
            self.starts.clear();
            let mut total = 0;
            for m in &self.messages {
                self.starts.push(total);
                total += m.height;
            }
            self.total_lines = total;
        }
    }
}

/// A reply's body: while it streams, the finished blocks are rendered once (extended as more
/// finish) and only the growing block is rendered again.
fn render_body(m: &mut Message, width: u16, theme: &Theme, hl: &Highlighter) -> Vec<Line<'static>> {
    let streaming = m.status == MessageStatus::Streaming;
    m.stream.render(&m.text, streaming, width, theme, hl)
}

/// One message as lines: a header, the body, a blank separator.
fn render_message(
    m: &mut Message,
    width: u16,
    theme: &Theme,
    hl: &Highlighter,
    expanded: bool,
) -> Vec<Line<'static>> {
    let approx = if m.exact_count { "" } else { "~" };
    let (who, style) = match (m.role, m.kind) {
        (Role::User, PromptKind::Fix { round, of }) => (
            format!("specbench · fix round {round}/{of}"),
            theme.style(scope::CONVERSATION_FIX),
        ),
        (Role::User, PromptKind::Message) => {
            ("you".to_string(), theme.style(scope::CONVERSATION_USER))
        }
        (Role::Assistant, _) => ("model".to_string(), theme.style(scope::CONVERSATION_SYSTEM)),
    };
    let mut header = vec![Span::styled(format!("▍{who}"), style)];
    let meta = theme.style(scope::TEXT_DIM);
    if m.role == Role::User && m.kind == PromptKind::Message && !m.corrects.is_empty() {
        let classes: Vec<String> = m
            .corrects
            .iter()
            .map(|k| crate::session::signature::Signature::from_key(k).to_string())
            .collect();
        header.push(Span::styled(
            format!(" · correction of {}", classes.join(", ")),
            theme.style(scope::LOOP_CORRECTION),
        ));
    }
    match &m.status {
        MessageStatus::Streaming if m.tokens == 0 => {
            header.push(Span::styled(" · streaming", meta));
        }
        MessageStatus::Streaming => header.push(Span::styled(
            format!(" · streaming · {approx}{} tokens", fmt_tokens(m.tokens)),
            meta,
        )),
        MessageStatus::Interrupted(why) => header.push(Span::styled(
            format!(" · interrupted: {why}"),
            theme.style(scope::CONVERSATION_INTERRUPTED),
        )),
        MessageStatus::Damaged(_) => header.push(Span::styled(
            " · damaged",
            theme.style(scope::CONVERSATION_INTERRUPTED),
        )),
        MessageStatus::Failed(_) => {
            header.push(Span::styled(
                " · failed",
                theme.style(scope::CONVERSATION_ERROR),
            ));
        }
        MessageStatus::Complete if m.tokens > 0 => header.push(Span::styled(
            format!(" · {approx}{} tokens", fmt_tokens(m.tokens)),
            meta,
        )),
        MessageStatus::Complete => {}
    }
    let mut lines = vec![Line::from(header)];
    match m.role {
        Role::User => {
            let style = theme.style(scope::TEXT);
            for line in m.text.lines() {
                let line = Line::styled(line.to_string(), style);
                lines.extend(wrap_line(&line, width as usize));
            }
        }
        Role::Assistant => {
            if m.text.is_empty() && m.tools.is_empty() && m.status == MessageStatus::Streaming {
                lines.push(Line::styled("…", theme.style(scope::TEXT_DIM)));
            }
            if !m.text.is_empty() || m.tools.is_empty() {
                lines.extend(render_body(m, width, theme, hl));
            }
            for t in &m.tools {
                lines.extend(tool_lines(t, width, theme, expanded));
            }
        }
    }
    if let MessageStatus::Failed(error) = &m.status {
        let line = Line::styled(error.clone(), theme.style(scope::CONVERSATION_ERROR));
        lines.extend(wrap_line(&line, width as usize));
    }
    if let MessageStatus::Damaged(why) = &m.status {
        let line = Line::styled(
            format!("⚠ Damaged: {why}"),
            theme.style(scope::CONVERSATION_INTERRUPTED),
        );
        lines.extend(wrap_line(&line, width as usize));
    }
    lines.push(Line::default());
    lines
}

/// The most lines of a result shown under its tool line.
const MAX_RESULT_LINES: usize = 12;

/// A tool call as one compact line (`▸ read more.py 120-180 · 1.2k tokens`), and when
/// `expanded` the start of its result under it.
fn tool_lines(t: &ToolUse, width: u16, theme: &Theme, expanded: bool) -> Vec<Line<'static>> {
    let dim = theme.style(scope::TEXT_DIM);
    let error = theme.style(scope::CONVERSATION_ERROR);
    let marker = if expanded { "▾ " } else { "▸ " };
    let (state, style) = match &t.result {
        _ if t.cut => ("cut off: not run".to_string(), error),
        Some(r) if r.is_error => {
            let first = r.content.lines().next().unwrap_or_default();
            (first.to_string(), error)
        }
        Some(_) => (format!("{} tokens", fmt_tokens(t.result_tokens)), dim),
        None if t.running => ("reading…".to_string(), dim),
        None => ("not run".to_string(), dim),
    };
    let line = Line::from(vec![
        Span::styled(marker, dim),
        Span::styled(t.label.clone(), theme.style(scope::TEXT_ACCENT)),
        Span::styled(format!(" · {state}"), style),
    ]);
    let mut out = wrap_line(&line, width as usize);
    let Some(result) = t.result.as_ref().filter(|_| expanded) else {
        return out;
    };
    let text = theme.style(scope::TEXT);
    let total = result.content.lines().count();
    for l in result.content.lines().take(MAX_RESULT_LINES) {
        let line = Line::from(vec![
            Span::styled("  │ ", dim),
            Span::styled(l.replace('\t', "    "), text),
        ]);
        out.extend(wrap_line(&line, width as usize));
    }
    if total > MAX_RESULT_LINES {
        out.push(Line::styled(
            format!(
                "  │ … {} more lines (Ctrl-O shows the whole request)",
                total - MAX_RESULT_LINES
            ),
            dim,
        ));
    }
    out
}
