//! Word wrapping of styled lines, done once per width and cached in the model, so drawing only
//! slices the visible rows.

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// Wrapped lines for one width; rebuilt only when the width or the source changes.
#[derive(Debug, Clone, Default)]
pub struct WrapCache {
    width: u16,
    lines: Vec<Line<'static>>,
    valid: bool,
}

impl WrapCache {
    /// Rewraps `source` if the width changed or the cache was invalidated.
    pub fn ensure(&mut self, source: &[Line<'static>], width: u16) {
        if self.valid && self.width == width {
            return;
        }
        self.width = width;
        self.lines = source
            .iter()
            .flat_map(|line| wrap_line(line, width as usize))
            .collect();
        self.valid = true;
    }

    /// Marks the source as changed.
    pub fn invalidate(&mut self) {
        self.valid = false;
    }

    /// The number of wrapped lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether there are no lines.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The wrapped lines from `start`, at most `count` of them.
    pub fn slice(&self, start: usize, count: usize) -> &[Line<'static>] {
        let start = start.min(self.lines.len());
        let end = start.saturating_add(count).min(self.lines.len());
        &self.lines[start..end]
    }
}

/// Wraps one styled line at word boundaries to `width` columns. Continuation lines are indented
/// like the first line's leading whitespace plus the width of a list marker (`- `, `1. `), so
/// list items hang. Words longer than a line are broken.
pub fn wrap_line(line: &Line<'static>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let total: usize = line.spans.iter().map(|s| s.content.width()).sum();
    if total <= width {
        return vec![line.clone()];
    }
    let plain: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let indent = hanging_indent(&plain).min(width / 2);
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    let mut at_line_start = true;
    // Ends a visual line; spaces where the line breaks are dropped.
    let new_line = |out: &mut Vec<Line<'static>>, current: &mut Vec<Span<'static>>| {
        while let Some(last) = current.last_mut() {
            let trimmed = last.content.trim_end().len();
            if trimmed == last.content.len() {
                break;
            }
            if trimmed == 0 {
                current.pop();
            } else {
                last.content.to_mut().truncate(trimmed);
                break;
            }
        }
        let mut l = Line::from(std::mem::take(current));
        l.style = line.style;
        l.alignment = line.alignment;
        out.push(l);
    };
    for span in &line.spans {
        for piece in split_words(&span.content) {
            let is_space = piece.starts_with(char::is_whitespace);
            let w = piece.width();
            if used + w <= width {
                current.push(Span::styled(piece.to_string(), span.style));
                used += w;
                at_line_start = false;
                continue;
            }
            if is_space {
                // The break happens here; the space is dropped.
                new_line(&mut out, &mut current);
                push_indent(&mut current, indent);
                used = indent;
                at_line_start = true;
                continue;
            }
            if !at_line_start && indent + w <= width {
                new_line(&mut out, &mut current);
                push_indent(&mut current, indent);
                current.push(Span::styled(piece.to_string(), span.style));
                used = indent + w;
                at_line_start = false;
                continue;
            }
            // A word longer than a line: break it by characters.
            let mut chunk = String::new();
            for ch in piece.chars() {
                let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
                if used + cw > width && used > indent {
                    current.push(Span::styled(std::mem::take(&mut chunk), span.style));
                    new_line(&mut out, &mut current);
                    push_indent(&mut current, indent);
                    used = indent;
                }
                chunk.push(ch);
                used += cw;
            }
            current.push(Span::styled(chunk, span.style));
            at_line_start = false;
        }
    }
    if !current.is_empty() {
        let mut l = Line::from(current);
        l.style = line.style;
        l.alignment = line.alignment;
        out.push(l);
    }
    out
}

fn push_indent(current: &mut Vec<Span<'static>>, indent: usize) {
    if indent > 0 {
        current.push(Span::raw(" ".repeat(indent)));
    }
}

/// Splits text into alternating runs of non-space and space characters.
fn split_words(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let space = first.is_whitespace();
        let end = rest
            .char_indices()
            .find(|(_, c)| c.is_whitespace() != space)
            .map_or(rest.len(), |(i, _)| i);
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
}

/// Leading whitespace plus a list marker's width, for hanging indents.
fn hanging_indent(text: &str) -> usize {
    let trimmed = text.trim_start();
    let lead = text.len() - trimmed.len();
    let marker = ["- ", "* ", "+ "]
        .iter()
        .find(|m| trimmed.starts_with(*m))
        .map(|m| m.len())
        .or_else(|| {
            let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
            (digits > 0 && trimmed[digits..].starts_with(". ")).then_some(digits + 2)
        })
        .unwrap_or(0);
    lead + marker
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Style};

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn short_lines_are_untouched() {
        let line = Line::from("hello world");
        assert_eq!(wrap_line(&line, 20), vec![line]);
    }

    #[test]
    fn wraps_at_word_boundaries() {
        let line = Line::from("the quick brown fox jumps");
        assert_eq!(
            texts(&wrap_line(&line, 10)),
            ["the quick", "brown fox", "jumps"]
        );
    }

    #[test]
    fn list_items_hang() {
        let line = Line::from("- [R1] one two three four");
        assert_eq!(
            texts(&wrap_line(&line, 12)),
            ["- [R1] one", "  two three", "  four"]
        );
    }

    #[test]
    fn long_words_are_broken() {
        let line = Line::from("abcdefghijkl");
        assert_eq!(texts(&wrap_line(&line, 5)), ["abcde", "fghij", "kl"]);
    }

    #[test]
    fn styles_survive_wrapping() {
        let red = Style::new().fg(Color::Red);
        let line = Line::from(vec![Span::raw("aaa "), Span::styled("bbb ccc", red)]);
        let wrapped = wrap_line(&line, 5);
        assert_eq!(texts(&wrapped), ["aaa", "bbb", "ccc"]);
        assert_eq!(wrapped[2].spans[0].style, red);
    }

    #[test]
    fn wide_characters_count_double() {
        let line = Line::from("日本語 日本語");
        assert_eq!(texts(&wrap_line(&line, 6)), ["日本語", "日本語"]);
    }

    #[test]
    fn cache_rewraps_only_on_change() {
        let source = vec![Line::from("one two three")];
        let mut cache = WrapCache::default();
        cache.ensure(&source, 7);
        assert_eq!(cache.len(), 2);
        cache.ensure(&[], 7);
        assert_eq!(cache.len(), 2, "same width: cached");
        cache.invalidate();
        cache.ensure(&[], 7);
        assert!(cache.is_empty());
    }
}
