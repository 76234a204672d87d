//! Markdown for the Conversation pane: our own span renderer over pulldown-cmark.
//!
//! [`render`] turns a (possibly still streaming) reply into owned lines for one width. Prose is
//! wrapped at word boundaries by display width; fenced code is highlighted and hard-broken,
//! never reflowed. The caller caches the result per message and width.
//!
//! Long file: one CommonMark-to-lines renderer whose block and inline handlers share one
//! writer state (indent, quote, list and style stacks).

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::wrap::{Token, TokenKind, break_lines, hard_break};
use crate::code::highlight::Highlighter;
use crate::theme::{Theme, scope};

/// Bullets by list depth (the last repeats).
const BULLETS: [&str; 3] = ["• ", "◦ ", "▪ "];
/// The block quote bar.
const QUOTE_BAR: &str = "▎ ";
/// The gutter in front of code lines.
const GUTTER: &str = "│ ";
/// The gutter in front of the rest of a code line too wide for the pane.
const GUTTER_WRAPPED: &str = "┆ ";
/// Indentation is sliced from here to avoid an allocation per line.
const SPACES: &str = "                                                                ";

/// Renders Markdown `text` into lines at most `width` display columns wide (none when `width`
/// is 0). The text may be cut anywhere, as while a reply streams: an unclosed fence renders as
/// code to the end and a partial last line is shown.
pub fn render(text: &str, width: u16, theme: &Theme, hl: &Highlighter) -> Vec<Line<'static>> {
    if width == 0 {
        return Vec::new();
    }
    let mut renderer = Renderer::new(usize::from(width), theme, hl);
    let text = fence_edit_blocks(text);
    for event in Parser::new_ext(&text, Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS) {
        renderer.event(event);
    }
    renderer.finish()
}

/// Search/replace edit blocks written outside a code fence, fenced for display: as Markdown
/// their markers would read as quotes and headings. The path line before a block goes in too.
fn fence_edit_blocks(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("<<<<<<< SEARCH") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out: Vec<&str> = Vec::new();
    let mut in_fence = false;
    let mut in_block = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if !in_block && (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
            in_fence = !in_fence;
        }
        if !in_fence && !in_block && trimmed == "<<<<<<< SEARCH" {
            // The path line, when the line before names one, opens the fence with it.
            let path = out
                .last()
                .filter(|l| !l.trim().is_empty() && !l.trim().contains(' '))
                .is_some();
            let at = if path { out.len() - 1 } else { out.len() };
            out.insert(at, "```\n");
            in_block = true;
        }
        out.push(line);
        if in_block && trimmed.starts_with(">>>>>>> REPLACE") {
            if !line.ends_with('\n') {
                out.push("\n");
            }
            out.push("```\n");
            in_block = false;
        }
    }
    std::borrow::Cow::Owned(out.concat())
}

/// Theme styles looked up once per render.
struct Styles {
    base: Style,
    heading: Style,
    emphasis: Style,
    strong: Style,
    code: Style,
    code_block: Style,
    fence: Style,
    link: Style,
    url: Style,
    quote: Style,
    list: Style,
    rule: Style,
}

impl Styles {
    fn new(theme: &Theme) -> Self {
        let base = theme.style(scope::CONVERSATION_ASSISTANT);
        Self {
            base,
            heading: theme.style(scope::MD_HEADING),
            emphasis: theme.style(scope::MD_EMPHASIS),
            strong: theme.style(scope::MD_STRONG),
            code: theme.style(scope::MD_CODE),
            code_block: base.patch(theme.style(scope::MD_CODE_BLOCK)),
            fence: base.patch(theme.style(scope::MD_CODE_FENCE)),
            link: theme.style(scope::MD_LINK),
            url: theme.style(scope::TEXT_DIM),
            quote: theme.style(scope::MD_QUOTE),
            list: base.patch(theme.style(scope::MD_LIST)),
            rule: base.patch(theme.style(scope::MD_RULE)),
        }
    }
}

/// A block that puts something in front of each of its lines.
enum Container {
    Quote,
    /// A list item: its marker on the first line, as many spaces on the others.
    Item {
        marker: String,
        used: bool,
    },
}

impl Container {
    fn width(&self) -> usize {
        match self {
            Container::Quote => QUOTE_BAR.width(),
            Container::Item { marker, .. } => marker.width(),
        }
    }
}

/// A styled stretch of the inline buffer, ending at byte `end` (it starts where the previous
/// run ends). Spaces in an atomic run (inline code) do not break lines.
struct Run {
    end: usize,
    style: Style,
    atomic: bool,
}

/// A code block being collected.
struct CodeBlock {
    info: String,
    text: String,
}

struct Renderer<'a> {
    width: usize,
    hl: &'a Highlighter,
    st: Styles,
    out: Vec<Line<'static>>,
    containers: Vec<Container>,
    /// One per open list: the next number of an ordered list.
    lists: Vec<Option<u64>>,
    /// Inline styles, innermost last.
    styles: Vec<Style>,
    /// The inline text of the current block, and its style runs.
    buf: String,
    runs: Vec<Run>,
    /// Open links: where their text starts in `buf`, and their destination.
    links: Vec<(usize, String)>,
    code: Option<CodeBlock>,
    /// Cells seen in the current table row.
    cells: usize,
    /// A blank line goes before the next block.
    pending_blank: bool,
}

impl<'a> Renderer<'a> {
    fn new(width: usize, theme: &Theme, hl: &'a Highlighter) -> Self {
        let st = Styles::new(theme);
        Self {
            width,
            hl,
            styles: vec![st.base],
            st,
            out: Vec::new(),
            containers: Vec::new(),
            lists: Vec::new(),
            buf: String::new(),
            runs: Vec::new(),
            links: Vec::new(),
            code: None,
            cells: 0,
            pending_blank: false,
        }
    }

    fn finish(mut self) -> Vec<Line<'static>> {
        self.flush();
        if let Some(code) = self.code.take() {
            self.code_block(&code);
        }
        self.out
    }

    /// The current inline style.
    fn top(&self) -> Style {
        self.styles.last().copied().unwrap_or(self.st.base)
    }

    fn push_style(&mut self, style: Style) {
        let patched = self.top().patch(style);
        self.styles.push(patched);
    }

    fn pop_style(&mut self) {
        if self.styles.len() > 1 {
            self.styles.pop();
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => match &mut self.code {
                Some(code) => code.text.push_str(&text),
                None => self.push_text(&text, self.top(), false),
            },
            Event::Code(text) => {
                let style = self.top().patch(self.st.code);
                self.push_text(&text, style, true);
            }
            Event::Html(text) | Event::InlineHtml(text) => self.push_text(&text, self.top(), false),
            Event::SoftBreak => self.push_text(" ", self.top(), false),
            Event::HardBreak => self.push_text("\n", self.top(), false),
            Event::Rule => {
                self.begin_block();
                let columns = self.width - self.prefix_width();
                self.emit(vec![Span::styled("─".repeat(columns), self.st.rule)]);
                self.pending_blank = true;
            }
            Event::TaskListMarker(done) => {
                if let Some(Container::Item {
                    marker,
                    used: false,
                }) = self.containers.last_mut()
                {
                    marker.push_str(if done { "[x] " } else { "[ ] " });
                }
            }
            // Footnotes, math and metadata are not enabled.
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph | Tag::HtmlBlock | Tag::Table(_) => self.begin_block(),
            Tag::Heading { level, .. } => {
                self.begin_block();
                self.push_style(self.st.heading);
                let hashes = &"###### "[6 - level as usize..];
                self.push_text(hashes, self.top(), false);
            }
            Tag::BlockQuote(_) => {
                self.begin_block();
                self.containers.push(Container::Quote);
                self.push_style(self.st.quote);
            }
            Tag::CodeBlock(kind) => {
                self.begin_block();
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.trim().to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some(CodeBlock {
                    info,
                    text: String::new(),
                });
            }
            Tag::List(start) => {
                self.begin_block();
                self.lists.push(start);
            }
            Tag::Item => {
                self.begin_block();
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let marker = format!("{n}. ");
                        *n += 1;
                        marker
                    }
                    _ => BULLETS[depth.min(BULLETS.len() - 1)].to_string(),
                };
                self.containers.push(Container::Item {
                    marker,
                    used: false,
                });
            }
            Tag::TableHead => {
                self.cells = 0;
                self.push_style(self.st.strong);
            }
            Tag::TableRow => self.cells = 0,
            Tag::TableCell => {
                if self.cells > 0 {
                    self.push_text(" | ", self.st.rule, false);
                }
                self.cells += 1;
            }
            Tag::Emphasis => self.push_style(self.st.emphasis),
            Tag::Strong => self.push_style(self.st.strong),
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                self.push_style(self.st.link);
                self.links.push((self.buf.len(), dest_url.to_string()));
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::HtmlBlock => {
                self.flush();
                self.pending_blank = true;
            }
            TagEnd::Heading(_) => {
                self.flush();
                self.pop_style();
                self.pending_blank = true;
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.containers.pop();
                self.pop_style();
                self.pending_blank = true;
            }
            TagEnd::CodeBlock => {
                if let Some(code) = self.code.take() {
                    self.code_block(&code);
                }
                self.pending_blank = true;
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
                // A list nested in a tight item continues that item: no gap.
                self.pending_blank =
                    !matches!(self.containers.last(), Some(Container::Item { .. }));
            }
            TagEnd::Item => {
                self.flush();
                if matches!(
                    self.containers.last(),
                    Some(Container::Item { used: false, .. })
                ) {
                    // An empty item (or one still streaming in) still shows its marker.
                    self.emit(Vec::new());
                }
                self.containers.pop();
            }
            TagEnd::TableHead => {
                self.flush();
                self.pop_style();
            }
            TagEnd::TableRow => self.flush(),
            TagEnd::Table => self.pending_blank = true,
            TagEnd::Emphasis | TagEnd::Strong => self.pop_style(),
            TagEnd::Link | TagEnd::Image => {
                self.pop_style();
                if let Some((start, dest)) = self.links.pop() {
                    let text = self.buf.get(start..).unwrap_or("");
                    if !dest.is_empty()
                        && text != dest
                        && dest.strip_prefix("mailto:") != Some(text)
                    {
                        let style = self.top().patch(self.st.url);
                        self.push_text(" (", style, false);
                        self.push_text(&dest, style, false);
                        self.push_text(")", style, false);
                    }
                }
            }
            _ => {}
        }
    }

    /// Ends the inline text before a new block, with a blank line after a previous block.
    fn begin_block(&mut self) {
        self.flush();
        if self.pending_blank && !self.out.is_empty() {
            let mut spans = self.prefix(false);
            while spans.last().is_some_and(|s| s.content.trim().is_empty()) {
                spans.pop();
            }
            if let Some(last) = spans.last_mut() {
                let trimmed = last.content.trim_end().len();
                if trimmed < last.content.len() {
                    last.content.to_mut().truncate(trimmed);
                }
            }
            self.out.push(Line::from(spans));
        }
        self.pending_blank = false;
    }

    /// Appends inline text: `\n` is a line break, tabs become spaces, other control characters
    /// are dropped (the terminal would not show them).
    fn push_text(&mut self, text: &str, style: Style, atomic: bool) {
        if text.is_empty() {
            return;
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            for ch in text.chars() {
                match ch {
                    '\t' => self.buf.push(' '),
                    '\n' => self.buf.push('\n'),
                    c if c.is_control() => {}
                    c => self.buf.push(c),
                }
            }
        } else {
            self.buf.push_str(text);
        }
        let end = self.buf.len();
        match self.runs.last_mut() {
            Some(run) if run.style == style && run.atomic == atomic => run.end = end,
            _ => self.runs.push(Run { end, style, atomic }),
        }
    }

    /// Wraps the inline buffer into lines under the current containers.
    fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let mut buf = std::mem::take(&mut self.buf);
        let mut runs = std::mem::take(&mut self.runs);
        let text = buf.trim_end_matches(['\n', ' ']);
        let avail = self.width - self.prefix_width();
        let mut run_index = 0;
        for (start, end) in wrap(text, &runs, avail) {
            let spans = spans_in(&buf, &runs, start, end, &mut run_index);
            self.emit(spans);
        }
        // Keep the allocations for the next block.
        buf.clear();
        runs.clear();
        self.buf = buf;
        self.runs = runs;
    }

    /// Emits a code block: a fence line with the info string, then the highlighted code with a
    /// gutter, hard-broken at the width (the rest of a broken line behind a dotted gutter), then
    /// a closing corner. Below four columns the frame is left out.
    fn code_block(&mut self, code: &CodeBlock) {
        let inner = self.width - self.prefix_width();
        let framed = inner >= 4;
        let avail = if framed {
            inner - GUTTER.width()
        } else {
            inner
        };
        if framed {
            let fence = if code.info.is_empty() {
                "╭─".to_string()
            } else {
                format!("╭─ {}", code.info)
            };
            for row in hard_break(vec![Span::styled(fence, self.st.fence)], inner) {
                self.emit(row);
            }
        }
        let lang = code
            .info
            .split(|c: char| c.is_whitespace() || c == ',')
            .next()
            .unwrap_or("");
        for line in self.hl.lines(lang, &code.text) {
            let mut spans = line.spans;
            for span in &mut spans {
                span.style = self.st.code_block.patch(span.style);
            }
            for (i, row) in hard_break(spans, avail).into_iter().enumerate() {
                let mut with_gutter = Vec::with_capacity(row.len() + 1);
                if framed {
                    let gutter = if i == 0 { GUTTER } else { GUTTER_WRAPPED };
                    with_gutter.push(Span::styled(gutter, self.st.fence));
                }
                with_gutter.extend(row);
                self.emit(with_gutter);
            }
        }
        if framed {
            self.emit(vec![Span::styled("╰─", self.st.fence)]);
        }
    }

    /// How many containers (the innermost ones) fit in half the width.
    fn shown_containers(&self) -> (usize, usize) {
        let cap = self.width / 2;
        let mut first = self.containers.len();
        let mut total = 0;
        for (i, c) in self.containers.iter().enumerate().rev() {
            let w = c.width();
            if total + w > cap {
                break;
            }
            total += w;
            first = i;
        }
        (first, total)
    }

    /// The columns the containers take in front of each line.
    fn prefix_width(&self) -> usize {
        self.shown_containers().1
    }

    /// The spans in front of a line; `content` lines show (and use up) pending item markers.
    /// Containers that do not fit in half the width are left out, outermost first.
    fn prefix(&mut self, content: bool) -> Vec<Span<'static>> {
        let (first, _) = self.shown_containers();
        let (quote, list) = (self.st.quote, self.st.list);
        let mut spans = Vec::with_capacity(self.containers.len() - first);
        for (i, c) in self.containers.iter_mut().enumerate() {
            let shown = i >= first;
            match c {
                Container::Quote if shown => spans.push(Span::styled(QUOTE_BAR, quote)),
                Container::Quote => {}
                Container::Item { marker, used } => {
                    if shown {
                        if content && !*used {
                            spans.push(Span::styled(marker.clone(), list));
                        } else {
                            spans.push(Span::raw(spaces(marker.width())));
                        }
                    }
                    if content {
                        *used = true;
                    }
                }
            }
        }
        spans
    }

    fn emit(&mut self, content: Vec<Span<'static>>) {
        let mut spans = self.prefix(true);
        spans.extend(content);
        self.out.push(Line::from(spans));
    }
}

/// `n` spaces, borrowed when short enough.
fn spaces(n: usize) -> std::borrow::Cow<'static, str> {
    match SPACES.get(..n) {
        Some(s) => s.into(),
        None => " ".repeat(n).into(),
    }
}

/// Splits inline text into words, spaces and line breaks. Spaces inside atomic runs (inline
/// code) belong to the word, and a word continues across runs.
fn tokens(text: &str, runs: &[Run]) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut run_start = 0;
    for run in runs {
        let run_end = run.end.min(text.len());
        let Some(slice) = text.get(run_start..run_end) else {
            break;
        };
        for (i, ch) in slice.char_indices() {
            let start = run_start + i;
            let end = start + ch.len_utf8();
            let kind = match ch {
                '\n' => TokenKind::Break,
                ' ' if !run.atomic => TokenKind::Space,
                _ => TokenKind::Word,
            };
            match out.last_mut() {
                Some(last) if last.kind == kind && kind != TokenKind::Break => last.end = end,
                _ => out.push(Token { start, end, kind }),
            }
        }
        run_start = run_end;
    }
    out
}

/// Wraps inline text at word boundaries into byte ranges of at most `avail` columns (the one
/// wrapper: [`break_lines`]).
fn wrap(text: &str, runs: &[Run], avail: usize) -> Vec<(usize, usize)> {
    break_lines(text, tokens(text, runs), avail, avail)
}

/// The styled spans for bytes `start..end` of the inline buffer. `run_index` is where to
/// resume in `runs` (lines come in order).
fn spans_in(
    buf: &str,
    runs: &[Run],
    start: usize,
    end: usize,
    run_index: &mut usize,
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    while let Some(run) = runs.get(*run_index) {
        let run_start = match *run_index {
            0 => 0,
            i => runs[i - 1].end,
        };
        if run_start >= end {
            break;
        }
        let (a, b) = (run_start.max(start), run.end.min(end));
        if a < b {
            spans.push(Span::styled(buf[a..b].to_string(), run.style));
        }
        if run.end > end {
            break;
        }
        *run_index += 1;
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::ThemeSource;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Modifier};
    use std::fmt::Write;

    fn theme() -> Theme {
        ThemeSource::default()
            .load("default")
            .expect("shipped theme")
    }

    fn md(text: &str, width: u16) -> Vec<Line<'static>> {
        let theme = theme();
        render(text, width, &theme, &Highlighter::new(theme.syntax()))
    }

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    /// The style of the first span whose text contains `needle`.
    fn style_of(lines: &[Line], needle: &str) -> Style {
        lines
            .iter()
            .flat_map(|l| &l.spans)
            .find(|s| s.content.contains(needle))
            .unwrap_or_else(|| panic!("no span with {needle:?}"))
            .style
    }

    fn base() -> Style {
        theme().style(scope::CONVERSATION_ASSISTANT)
    }

    #[test]
    fn paragraphs_are_separated_by_a_blank_line() {
        let lines = md("one\ntwo\n\nthree  \nfour", 40);
        assert_eq!(texts(&lines), ["one two", "", "three", "four"]);
        assert_eq!(style_of(&lines, "one"), base());
    }

    #[test]
    fn headings_keep_their_hashes() {
        let theme = theme();
        let lines = md("# Top\n\n### Third level\ntext", 40);
        assert_eq!(texts(&lines), ["# Top", "", "### Third level", "", "text"]);
        let heading = base().patch(theme.style(scope::MD_HEADING));
        assert_eq!(style_of(&lines, "###"), heading);
        assert_eq!(style_of(&lines, "Third"), heading);
        assert_eq!(style_of(&lines, "text"), base());
    }

    #[test]
    fn emphasis_and_strong_nest() {
        let lines = md("plain *it **both*** **bold**", 40);
        assert_eq!(texts(&lines), ["plain it both bold"]);
        let it = style_of(&lines, "it");
        assert!(it.add_modifier.contains(Modifier::ITALIC));
        assert!(!it.add_modifier.contains(Modifier::BOLD));
        let both = style_of(&lines, "both");
        assert!(
            both.add_modifier
                .contains(Modifier::ITALIC | Modifier::BOLD)
        );
        let bold = style_of(&lines, "bold");
        assert_eq!(bold, base().patch(theme().style(scope::MD_STRONG)));
    }

    #[test]
    fn inline_code_stays_whole_where_it_fits() {
        let lines = md("aaa `x y z` b", 8);
        assert_eq!(texts(&lines), ["aaa", "x y z b"]);
        assert_eq!(
            style_of(&lines, "x y z").fg,
            theme().style(scope::MD_CODE).fg
        );
        // Wider than the line: broken, but nothing is lost.
        let lines = md("`abcdefghij`", 4);
        assert_eq!(texts(&lines), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn punctuation_stays_with_inline_code() {
        let lines = md("aaaa `bb`. cc", 7);
        assert_eq!(texts(&lines), ["aaaa", "bb. cc"]);
    }

    #[test]
    fn links_show_the_url_when_it_differs() {
        let theme = theme();
        let lines = md(
            "see [the docs](https://e.com/d) or <https://x.org> or <me@x.org>",
            80,
        );
        assert_eq!(
            texts(&lines),
            ["see the docs (https://e.com/d) or https://x.org or me@x.org"]
        );
        assert_eq!(
            style_of(&lines, "the docs"),
            base().patch(theme.style(scope::MD_LINK))
        );
        assert_eq!(
            style_of(&lines, "e.com").fg,
            theme.style(scope::TEXT_DIM).fg
        );
    }

    #[test]
    fn block_quotes_have_a_bar_on_every_line() {
        let theme = theme();
        let lines = md("> quoted words here\n>\n> second\n\nafter", 12);
        assert_eq!(
            texts(&lines),
            ["▎ quoted", "▎ words here", "▎", "▎ second", "", "after"]
        );
        assert_eq!(lines[0].spans[0].style, theme.style(scope::MD_QUOTE));
        assert!(
            style_of(&lines, "quoted")
                .add_modifier
                .contains(Modifier::ITALIC)
        );
        assert_eq!(style_of(&lines, "after"), base());
    }

    #[test]
    fn lists_nest_and_hang() {
        let theme = theme();
        let text = "- parent item that wraps\n  - child item that wraps too\n- next\n\n1. one\n2. two words wrap";
        let lines = md(text, 16);
        assert_eq!(
            texts(&lines),
            [
                "• parent item",
                "  that wraps",
                "  ◦ child item",
                "    that wraps",
                "    too",
                "• next",
                "",
                "1. one",
                "2. two words",
                "   wrap",
            ]
        );
        assert_eq!(
            lines[0].spans[0].style,
            base().patch(theme.style(scope::MD_LIST))
        );
        assert_eq!(lines[0].spans[0].content, "• ");
    }

    #[test]
    fn loose_lists_keep_blank_lines() {
        let lines = md("- a\n\n- b\n", 20);
        assert_eq!(texts(&lines), ["• a", "", "• b"]);
    }

    #[test]
    fn task_lists_show_their_state() {
        let lines = md("- [x] done\n- [ ] todo that wraps", 14);
        assert_eq!(
            texts(&lines),
            ["• [x] done", "• [ ] todo", "      that", "      wraps"]
        );
    }

    #[test]
    fn rules_span_the_width() {
        let theme = theme();
        let lines = md("a\n\n---\n\nb", 10);
        assert_eq!(texts(&lines), ["a", "", "──────────", "", "b"]);
        assert_eq!(
            lines[2].spans[0].style,
            base().patch(theme.style(scope::MD_RULE))
        );
    }

    #[test]
    fn fenced_code_is_highlighted_and_hard_broken() {
        let theme = theme();
        let text = "Intro\n\n```python path=x.py\ndef f(x):\n    return x + 1  # a long comment\n```\n\nAfter";
        let lines = md(text, 20);
        assert_eq!(
            texts(&lines),
            [
                "Intro",
                "",
                "╭─ python path=x.py",
                "│ def f(x):",
                "│     return x + 1  ",
                "┆ # a long comment",
                "╰─",
                "",
                "After",
            ]
        );
        let fence = base().patch(theme.style(scope::MD_CODE_FENCE));
        assert_eq!(lines[2].spans[0].style, fence);
        assert_eq!(lines[3].spans[0].style, fence);
        let colours: std::collections::HashSet<_> = lines[3..6]
            .iter()
            .flat_map(|l| l.spans[1..].iter().filter_map(|s| s.style.fg))
            .collect();
        assert!(colours.len() >= 3, "{colours:?}");
        assert!(
            lines
                .iter()
                .flat_map(|l| &l.spans)
                .all(|s| s.style.bg.is_none())
        );
    }

    #[test]
    fn code_is_verbatim_not_reflowed() {
        let text = "```\n  a  b\tc\n\n   d\n```";
        assert_eq!(
            texts(&md(text, 30)),
            ["╭─", "│   a  b    c", "│ ", "│    d", "╰─"]
        );
        assert_eq!(
            texts(&md("para\n\n    indented  code\n", 30)),
            ["para", "", "╭─", "│ indented  code", "╰─"]
        );
    }

    #[test]
    fn code_in_a_list_item_is_indented() {
        let lines = md("- item\n\n  ```sh\n  ls -l\n  ```\n", 30);
        assert_eq!(
            texts(&lines),
            ["• item", "", "  ╭─ sh", "  │ ls -l", "  ╰─"]
        );
    }

    #[test]
    fn html_is_plain_text() {
        let lines = md("<div>\nhi\n</div>\n\ntext <b>bold</b>", 40);
        assert_eq!(
            texts(&lines),
            ["<div>", "hi", "</div>", "", "text <b>bold</b>"]
        );
        assert_eq!(style_of(&lines, "<b>"), base());
    }

    #[test]
    fn tables_are_rows_with_separators() {
        let lines = md("| a | b |\n|---|---|\n| 1 | `2` |\n\nafter", 40);
        assert_eq!(texts(&lines), ["a | b", "1 | 2", "", "after"]);
        assert!(style_of(&lines, "a").add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn unclosed_fence_renders_as_code_to_the_end() {
        let lines = md("Here:\n\n```rust\nfn main() {\n    let x", 30);
        assert_eq!(
            texts(&lines),
            ["Here:", "", "╭─ rust", "│ fn main() {", "│     let x", "╰─"]
        );
        // Just the opening fence so far.
        assert_eq!(
            texts(&md("Here:\n\n```py", 30)),
            ["Here:", "", "╭─ py", "╰─"]
        );
    }

    #[test]
    fn partial_last_line_is_shown() {
        assert_eq!(
            texts(&md("Hello.\n\nThis is half a sen", 40)),
            ["Hello.", "", "This is half a sen"]
        );
        assert_eq!(texts(&md("- a\n- b", 40)), ["• a", "• b"]);
        assert_eq!(texts(&md("- a\n- ", 40)), ["• a", "• "]);
        assert_eq!(texts(&md("Some **bold", 40)), ["Some **bold"]);
    }

    #[test]
    fn wide_characters_count_by_display_width() {
        assert_eq!(
            texts(&md("日本語 日本語 日本語", 7)),
            ["日本語", "日本語", "日本語"]
        );
        assert_eq!(texts(&md("😀😀😀😀😀", 5)), ["😀😀", "😀😀", "😀"]);
        assert_eq!(
            texts(&md("```\n日本語日本語\n```", 7)),
            ["╭─", "│ 日本", "┆ 語日", "┆ 本語", "╰─"]
        );
    }

    #[test]
    fn control_characters_are_dropped_from_prose() {
        assert_eq!(texts(&md("a\x1b[31mb\tc", 20)), ["a[31mb c"]);
    }

    #[test]
    fn zero_width_gives_nothing() {
        assert!(md("text", 0).is_empty());
    }

    const MIXED: &str = "# A heading that is fairly long\n\n\
        Some *emphasis*, **strong** and `inline code that is long`, a [link](https://example.com/a/very/long/path/indeed) \
        and a supercalifragilisticexpialidocious word. 日本語のテキストも少し。 Emoji 😀 too.\n\n\
        > A quote with a nested list:\n> - one item that goes on and on\n>   - deeper `code` item\n\n\
        1. First\n2. Second with [x] text\n   ```python\n   print('a long line of python code that will not fit')\n   ```\n\n\
        - [ ] a task\n\n| col | other column |\n|---|---|\n| a | b c d e f g |\n\n---\n\n\
        ```\nplain\tcode with a very long line that must be hard broken at the width\n```\n\nEnd.";

    #[test]
    fn lines_never_exceed_the_width() {
        let theme = theme();
        let hl = Highlighter::new(theme.syntax());
        for width in 1..=80u16 {
            let lines = render(MIXED, width, &theme, &hl);
            for line in &lines {
                assert!(
                    line.width() <= usize::from(width).max(2),
                    "width {width}: {:?} is {} wide",
                    line.to_string(),
                    line.width()
                );
            }
            let all: String = texts(&lines).concat();
            if width >= 10 {
                assert!(all.contains("supercal"), "width {width}");
                assert!(all.contains("End."), "width {width}");
                for line in &lines {
                    assert!(line.width() <= usize::from(width));
                }
            }
        }
    }

    #[test]
    fn streaming_prefixes_never_panic_or_overflow() {
        let theme = theme();
        let hl = Highlighter::new(theme.syntax());
        let mut cut = 0;
        while cut <= MIXED.len() {
            if MIXED.is_char_boundary(cut) {
                for line in render(&MIXED[..cut], 30, &theme, &hl) {
                    assert!(line.width() <= 30);
                }
            }
            cut += 7;
        }
    }

    /// The rendered text, then each row's runs of distinct styles, then the style legend.
    fn styled_dump(lines: &[Line], width: u16) -> String {
        let height = u16::try_from(lines.len()).expect("few lines");
        let mut buffer = Buffer::empty(Rect::new(0, 0, width, height));
        for (y, line) in (0..height).zip(lines) {
            buffer.set_line(0, y, line, width);
        }
        let mut out = String::new();
        for y in 0..height {
            let row: String = (0..width).map(|x| buffer[(x, y)].symbol()).collect();
            writeln!(out, "{:>2}|{}", y, row.trim_end()).unwrap();
        }
        writeln!(out, "--- style runs (start-end key)").unwrap();
        let mut legend: Vec<String> = Vec::new();
        for y in 0..height {
            let mut runs: Vec<(u16, u16, usize)> = Vec::new();
            for x in 0..width {
                let cell = &buffer[(x, y)];
                let name = describe(cell.fg, cell.bg, cell.modifier);
                let key = match legend.iter().position(|l| *l == name) {
                    Some(k) => k,
                    None => {
                        legend.push(name);
                        legend.len() - 1
                    }
                };
                match runs.last_mut() {
                    Some((_, end, k)) if *k == key => *end = x,
                    _ => runs.push((x, x, key)),
                }
            }
            // Unstyled cells past the end of the text are noise.
            if runs.last().is_some_and(|&(_, _, k)| legend[k] == "default") {
                runs.pop();
            }
            let runs: Vec<String> = runs
                .iter()
                .map(|&(a, b, k)| format!("{a}-{b} {}", key_name(k)))
                .collect();
            writeln!(out, "{:>2}: {}", y, runs.join(", ")).unwrap();
        }
        writeln!(out, "--- legend").unwrap();
        for (k, name) in legend.iter().enumerate() {
            writeln!(out, "{}: {name}", key_name(k)).unwrap();
        }
        out
    }

    fn key_name(k: usize) -> char {
        char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[k % 52])
    }

    fn describe(fg: Color, bg: Color, modifier: Modifier) -> String {
        let colour = |c: Color| match c {
            Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
            other => format!("{other:?}"),
        };
        let mut parts = Vec::new();
        if fg != Color::Reset {
            parts.push(format!("fg {}", colour(fg)));
        }
        if bg != Color::Reset {
            parts.push(format!("bg {}", colour(bg)));
        }
        if !modifier.is_empty() {
            parts.push(format!("{modifier:?}").to_lowercase());
        }
        if parts.is_empty() {
            "default".into()
        } else {
            parts.join(" ")
        }
    }

    const REPLY: &str =
        "The limiter is a classic **token bucket**: every client gets a bucket that \
refills at a steady rate, and a request is allowed only when a token is left.

- `capacity` bounds the size of a burst.
- `rate` is the number of tokens added per second; a *fractional* rate is fine.
- Time comes from `time.monotonic()`, so changing the wall clock cannot refill a bucket.

```python path=rate_limiter.py
import time


class RateLimiter:
    def __init__(self, capacity: int, rate: float) -> None:
        self.capacity, self.rate = capacity, rate
        self.tokens, self.updated = float(capacity), time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
```

Run `python3 -m unittest -v` to check it against the spec.";

    #[test]
    fn snapshot_realistic_reply() {
        let lines = md(REPLY, 60);
        insta::assert_snapshot!(styled_dump(&lines, 60));
    }

    #[test]
    fn unfenced_edit_blocks_render_as_code() {
        let text = "Fix:\n\nrate.py\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n\nDone.\n";
        assert_eq!(
            fence_edit_blocks(text),
            "Fix:\n\n```\nrate.py\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n```\n\nDone.\n"
        );
        let fenced = "```\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```\n";
        assert_eq!(fence_edit_blocks(fenced), fenced, "already fenced");
        let theme = crate::theme::ThemeSource::default()
            .load("default")
            .unwrap();
        let hl = Highlighter::new(theme.syntax());
        let lines: Vec<String> = render(text, 60, &theme, &hl)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert!(
            lines.iter().any(|l| l.contains(">>>>>>> REPLACE")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("=======")),
            "not a heading: {lines:?}"
        );
    }
}
