//! Word wrapping of styled lines, done once per width and cached in the model, so drawing only
//! slices the visible rows.

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// Wrapped lines for one width; rebuilt only when the width or the source changes.
#[derive(Debug, Clone, Default)]
pub struct WrapCache {
    width: u16,
    lines: Vec<Line<'static>>,
    /// For each wrapped row, the index of the source line it comes from (ascending).
    origins: Vec<usize>,
    valid: bool,
}

impl WrapCache {
    /// Rewraps `source` if the width changed or the cache was invalidated.
    pub fn ensure(&mut self, source: &[Line<'static>], width: u16) {
        if self.valid && self.width == width {
            return;
        }
        self.width = width;
        self.lines.clear();
        self.origins.clear();
        for (i, line) in source.iter().enumerate() {
            let rows = wrap_line(line, width as usize);
            self.origins.extend(std::iter::repeat_n(i, rows.len()));
            self.lines.extend(rows);
        }
        self.valid = true;
    }

    /// The source line that wrapped row `row` comes from.
    pub fn origin(&self, row: usize) -> Option<usize> {
        self.origins.get(row).copied()
    }

    /// The first wrapped row of source line `source`.
    pub fn first_row(&self, source: usize) -> Option<usize> {
        let row = self.origins.partition_point(|&o| o < source);
        (self.origins.get(row) == Some(&source)).then_some(row)
    }

    /// The last wrapped row of source line `source`.
    pub fn last_row(&self, source: usize) -> Option<usize> {
        let end = self.origins.partition_point(|&o| o <= source);
        end.checked_sub(1).filter(|&r| self.origins[r] == source)
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

/// A run of non-space (a word, possibly spanning styles) or of space.
struct Token {
    parts: Vec<Span<'static>>,
    width: usize,
    space: bool,
}

/// Splits a line's spans into words and spaces; a word continues across span boundaries, so
/// `code`. stays together.
fn tokens(line: &Line<'static>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    for span in &line.spans {
        for piece in split_words(&span.content) {
            let space = piece.starts_with(char::is_whitespace);
            let part = Span::styled(piece.to_string(), span.style);
            let width = piece.width();
            match out.last_mut() {
                Some(last) if last.space == space => {
                    last.parts.push(part);
                    last.width += width;
                }
                _ => out.push(Token {
                    parts: vec![part],
                    width,
                    space,
                }),
            }
        }
    }
    out
}

/// Wraps one styled line at word boundaries to `width` columns. Continuation lines are indented
/// like the first line's leading whitespace plus the width of a list marker (`- `, `1. `), so
/// list items hang. Words longer than a line are broken.
pub fn wrap_line(line: &Line<'static>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    if line.width() <= width {
        return vec![line.clone()];
    }
    let plain: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let indent = hanging_indent(&plain).min(width / 2);
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    let finish = |out: &mut Vec<Line<'static>>, current: Vec<Span<'static>>| {
        let mut l = Line::from(current);
        l.style = line.style;
        l.alignment = line.alignment;
        out.push(l);
    };
    for token in tokens(line) {
        if used + token.width <= width {
            current.extend(token.parts);
            used += token.width;
            continue;
        }
        if token.space {
            // The line breaks here; the space is dropped.
            finish(&mut out, std::mem::take(&mut current));
            push_indent(&mut current, indent);
            used = indent;
            continue;
        }
        let at_line_start = used <= indent;
        if !at_line_start && indent + token.width <= width {
            trim_trailing_space(&mut current);
            finish(&mut out, std::mem::take(&mut current));
            push_indent(&mut current, indent);
            current.extend(token.parts);
            used = indent + token.width;
            continue;
        }
        // A word longer than a line: break it by characters.
        for part in token.parts {
            let mut chunk = String::new();
            for ch in part.content.chars() {
                let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
                if used + cw > width && used > indent {
                    current.push(Span::styled(std::mem::take(&mut chunk), part.style));
                    finish(&mut out, std::mem::take(&mut current));
                    push_indent(&mut current, indent);
                    used = indent;
                }
                chunk.push(ch);
                used += cw;
            }
            current.push(Span::styled(chunk, part.style));
        }
    }
    if !current.is_empty() {
        finish(&mut out, current);
    }
    out
}

/// Drops the spaces at the end of a line that is about to break.
fn trim_trailing_space(current: &mut Vec<Span<'static>>) {
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

/// Clause status badges that stand in for a list marker (see `ui::spec`).
pub const BADGES: &[&str] = &["✓ ", "✗ ", "? ", "… ", "! "];

/// Leading whitespace plus a list marker's width, for hanging indents.
fn hanging_indent(text: &str) -> usize {
    let trimmed = text.trim_start();
    let lead = text.len() - trimmed.len();
    let marker = ["- ", "* ", "+ "]
        .iter()
        .chain(BADGES)
        .find(|m| trimmed.starts_with(*m))
        .map(|m| m.width())
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
    fn punctuation_after_a_styled_word_stays_with_it() {
        let red = Style::new().fg(Color::Red);
        let line = Line::from(vec![
            Span::raw("aaaa "),
            Span::styled("`bb`", red),
            Span::raw(". cc"),
        ]);
        assert_eq!(texts(&wrap_line(&line, 7)), ["aaaa", "`bb`.", "cc"]);
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
