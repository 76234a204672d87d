//! The one wrapper: greedy word wrapping by display width for every text the panes show. Styled
//! lines (the spec, user messages, notices) wrap with [`wrap_line`], cached per width in the
//! model by [`WrapCache`] so drawing only slices the visible rows; Markdown's inline text wraps
//! through the same [`break_lines`] (`render::markdown`), and code is [`hard_break`]-ed.

use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

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

/// What a stretch of text is to the line breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Never broken, unless wider than a line.
    Word,
    /// Dropped where a line breaks.
    Space,
    /// Ends the line.
    Break,
}

/// A stretch of the text being wrapped: bytes `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub kind: TokenKind,
}

/// Breaks `text`, split into `tokens`, into lines at word boundaries: byte ranges of at most
/// `first` display columns on the first line and `rest` on the others. A word that does not fit
/// goes to the next line, unless it is wider than a line anyway and there is room left here: it
/// is then broken between characters. Spaces at a break are dropped.
pub fn break_lines(
    text: &str,
    tokens: impl IntoIterator<Item = Token>,
    first: usize,
    rest: usize,
) -> Vec<(usize, usize)> {
    let mut breaker = LineBreaker {
        text,
        first,
        rest,
        lines: Vec::new(),
        current: None,
        used: 0,
    };
    let mut gap = 0;
    for token in tokens {
        let piece = &text[token.start..token.end];
        match token.kind {
            TokenKind::Break => {
                let line = breaker.current.take();
                breaker
                    .lines
                    .push(line.unwrap_or((token.start, token.start)));
                breaker.used = 0;
                gap = 0;
            }
            TokenKind::Space => {
                if breaker.current.is_some() {
                    gap += piece.width();
                }
            }
            TokenKind::Word => {
                let w = piece.width();
                let room = breaker.avail().saturating_sub(breaker.used + gap);
                if breaker.current.is_some() && w > room && (w <= breaker.rest || room == 0) {
                    breaker.new_line();
                    gap = 0;
                }
                breaker.place(token.start, token.end, w, gap);
                gap = 0;
            }
        }
    }
    breaker.new_line();
    breaker.lines
}

/// Greedy line filling over byte ranges of one text.
struct LineBreaker<'t> {
    text: &'t str,
    first: usize,
    rest: usize,
    lines: Vec<(usize, usize)>,
    /// The current line's byte range; `None` before its first word.
    current: Option<(usize, usize)>,
    /// The current line's width.
    used: usize,
}

impl LineBreaker<'_> {
    /// The columns of the current line.
    fn avail(&self) -> usize {
        if self.lines.is_empty() {
            self.first
        } else {
            self.rest
        }
    }

    fn new_line(&mut self) {
        self.lines.extend(self.current.take());
        self.used = 0;
    }

    /// Appends the word `start..end` (`w` columns) after `gap` columns of space, breaking it
    /// between characters where it overflows.
    fn place(&mut self, start: usize, end: usize, w: usize, gap: usize) {
        let mut line_start = match self.current {
            Some((line_start, _)) => {
                self.used += gap;
                line_start
            }
            None => start,
        };
        if self.used + w > self.avail() {
            for (offset, _, cw) in clusters(&self.text[start..end]) {
                let at = start + offset;
                if self.used + cw > self.avail() && self.used > 0 {
                    self.lines.push((line_start, at));
                    line_start = at;
                    self.used = 0;
                }
                self.used += cw;
            }
        } else {
            self.used += w;
        }
        self.current = Some((line_start, end));
    }
}

/// Characters with their combining marks, as (start, end, columns).
pub fn clusters(s: &str) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut chars = s.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, first) = chars.next()?;
        let mut end = start + first.len_utf8();
        let mut combined = false;
        while let Some(&(i, c)) = chars.peek() {
            if UnicodeWidthChar::width(c).unwrap_or(0) != 0 {
                break;
            }
            end = i + c.len_utf8();
            combined = true;
            chars.next();
        }
        let w = if combined {
            s[start..end].width()
        } else {
            UnicodeWidthChar::width(first).unwrap_or(0)
        };
        Some((start, end, w))
    })
}

/// Breaks a line of spans into rows of at most `avail` columns, between characters (code,
/// which is never reflowed).
pub fn hard_break(spans: Vec<Span<'static>>, avail: usize) -> Vec<Vec<Span<'static>>> {
    let total: usize = spans.iter().map(|s| s.content.width()).sum();
    if total <= avail {
        return vec![spans];
    }
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut used = 0;
    for span in spans {
        let text = span.content.as_ref();
        let mut chunk = 0;
        for (cs, _, cw) in clusters(text) {
            if used + cw > avail && used > 0 {
                if cs > chunk {
                    row.push(Span::styled(text[chunk..cs].to_string(), span.style));
                }
                rows.push(std::mem::take(&mut row));
                chunk = cs;
                used = 0;
            }
            used += cw;
        }
        if chunk < text.len() {
            row.push(Span::styled(text[chunk..].to_string(), span.style));
        }
    }
    rows.push(row);
    rows
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
    // The first line keeps its leading whitespace; the others hang at `indent`.
    let lead = plain.len() - plain.trim_start().len();
    let ranges = break_lines(
        &plain,
        words(&plain, lead),
        width.saturating_sub(plain[..lead].width()),
        width - indent,
    );
    if ranges.is_empty() {
        return vec![line.clone()];
    }
    ranges
        .into_iter()
        .enumerate()
        .map(|(i, (start, end))| {
            let mut spans = Vec::new();
            if i == 0 {
                spans.extend(slice(&line.spans, 0, end));
            } else {
                if indent > 0 {
                    spans.push(Span::raw(" ".repeat(indent)));
                }
                spans.extend(slice(&line.spans, start, end));
            }
            let mut l = Line::from(spans);
            l.style = line.style;
            l.alignment = line.alignment;
            l
        })
        .collect()
}

/// The words and spaces of `text` from byte `from` on; a word continues across span
/// boundaries, so `code`. stays together.
fn words(text: &str, from: usize) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut at = from;
    for piece in split_words(&text[from..]) {
        let kind = if piece.starts_with(char::is_whitespace) {
            TokenKind::Space
        } else {
            TokenKind::Word
        };
        out.push(Token {
            start: at,
            end: at + piece.len(),
            kind,
        });
        at += piece.len();
    }
    out
}

/// The parts of `spans` that cover bytes `start..end` of their joined text.
fn slice(spans: &[Span<'static>], start: usize, end: usize) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut at = 0;
    for span in spans {
        let len = span.content.len();
        let (a, b) = (start.max(at), end.min(at + len));
        if a < b {
            out.push(Span::styled(
                span.content[a - at..b - at].to_string(),
                span.style,
            ));
        }
        at += len;
        if at >= end {
            break;
        }
    }
    out
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
    fn spaces_at_the_end_add_no_row() {
        let line = Line::from("- one two three   ");
        assert_eq!(texts(&wrap_line(&line, 9)), ["- one two", "  three"]);
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
