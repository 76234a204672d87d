//! Syntax highlighting with syntect, shared by the conversation and the Code pane.
//!
//! The syntax set (two-face's superset of syntect's defaults, with TOML, TypeScript,
//! Dockerfile...) and the theme sets are loaded once per process, lazily; [`preload`] forces
//! them from a background task at startup. Only the foreground colour and bold are kept from
//! syntect, so the specbench theme decides backgrounds and the other modifiers.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::LazyLock;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use syntect::easy::HighlightLines;
use syntect::highlighting::{self, FontStyle, HighlightState, ThemeSet};
use syntect::parsing::{ParseState, SyntaxReference, SyntaxSet};
use two_face::theme::{EmbeddedLazyThemeSet, EmbeddedThemeName};

/// Lines longer than this (in bytes) are shown plain, to bound the cost of one line.
const MAX_HIGHLIGHT_BYTES: usize = 4_000;

/// What a tab expands to.
const TAB: &str = "    ";

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(two_face::syntax::extra_newlines);

/// two-face's themes; each theme is deserialized on first use.
static EXTRA_THEMES: LazyLock<EmbeddedLazyThemeSet> = LazyLock::new(two_face::theme::extra);

/// syntect's own themes, consulted only for a name two-face does not have.
static DEFAULT_THEMES: LazyLock<ThemeSet> = LazyLock::new(ThemeSet::load_defaults);

/// specbench's own syntect themes.
static OWN_THEMES: LazyLock<Vec<highlighting::Theme>> =
    LazyLock::new(|| vec![super::projector::theme()]);

/// syntect's state between lines; `None` once highlighting failed (the rest is plain).
type State = Option<(HighlightState, ParseState)>;

/// Code blocks remembered, at most this many...
const MEMO_BLOCKS: usize = 256;
/// ...holding at most this many bytes of code.
const MEMO_BYTES: usize = 2 << 20;

thread_local! {
    /// Recently highlighted code blocks, most recent last, shared by the highlighters of a
    /// thread (syntect's parse state cannot move between threads).
    static MEMO: RefCell<VecDeque<Memo>> = const { RefCell::new(VecDeque::new()) };
}

/// Highlighted complete lines of one code block, and syntect's state after them. Since
/// highlighting a line depends only on the lines before it, a remembered block that is a
/// prefix of new code is a valid start for it.
struct Memo {
    theme: &'static highlighting::Theme,
    syntax: &'static SyntaxReference,
    /// Whole lines, each ending in `\n`.
    code: String,
    lines: Vec<Line<'static>>,
    state: State,
}

impl Memo {
    fn matches(&self, theme: &highlighting::Theme, syntax: &SyntaxReference) -> bool {
        std::ptr::eq(self.theme, theme) && std::ptr::eq(self.syntax, syntax)
    }
}

/// The longest remembered start of `code`: its length, lines and the state after it.
fn recall(
    theme: &highlighting::Theme,
    syntax: &SyntaxReference,
    code: &str,
) -> Option<(usize, Vec<Line<'static>>, State)> {
    MEMO.with_borrow_mut(|memos| {
        let (index, _) = memos
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                m.matches(theme, syntax) && !m.code.is_empty() && code.starts_with(&m.code)
            })
            .max_by_key(|(_, m)| m.code.len())?;
        let memo = memos.remove(index)?;
        let recalled = (memo.code.len(), memo.lines.clone(), memo.state.clone());
        memos.push_back(memo);
        Some(recalled)
    })
}

/// Remembers `memo`, dropping the blocks it extends and the oldest beyond the limits.
fn remember(memo: Memo) {
    if memo.code.is_empty() || memo.code.len() > MEMO_BYTES {
        return;
    }
    MEMO.with_borrow_mut(|memos| {
        memos.retain(|m| {
            !(m.matches(memo.theme, memo.syntax) && memo.code.starts_with(m.code.as_str()))
        });
        memos.push_back(memo);
        let mut bytes: usize = memos.iter().map(|m| m.code.len()).sum();
        while memos.len() > MEMO_BLOCKS || bytes > MEMO_BYTES {
            match memos.pop_front() {
                Some(old) => bytes -= old.code.len(),
                None => break,
            }
        }
    });
}

/// Loads the syntax set and the theme set now (they load on first use otherwise).
pub fn preload() {
    LazyLock::force(&SYNTAXES);
    LazyLock::force(&EXTRA_THEMES);
}

/// The syntect theme called `name`, if there is one.
fn find_theme(name: &str) -> Option<&'static highlighting::Theme> {
    if let Some(own) = OWN_THEMES.iter().find(|t| t.name.as_deref() == Some(name)) {
        return Some(own);
    }
    let extra: &'static EmbeddedLazyThemeSet = &EXTRA_THEMES;
    if let Some(&embedded) = EmbeddedLazyThemeSet::theme_names()
        .iter()
        .find(|t| t.as_name() == name)
    {
        return Some(extra.get(embedded));
    }
    DEFAULT_THEMES.themes.get(name)
}

/// Whether there is a syntect theme called `name` (what a theme file's `syntax` names).
pub fn has_theme(name: &str) -> bool {
    // The embedded names first: no theme is loaded for them.
    name == super::projector::NAME
        || EmbeddedLazyThemeSet::theme_names()
            .iter()
            .any(|t| t.as_name() == name)
        || DEFAULT_THEMES.themes.contains_key(name)
}

/// The names of the syntect themes, sorted, for an error that says which exist.
pub fn theme_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = EmbeddedLazyThemeSet::theme_names()
        .iter()
        .map(|t| t.as_name())
        .chain(DEFAULT_THEMES.themes.keys().map(String::as_str))
        .chain([super::projector::NAME])
        .collect();
    names.sort_unstable_by_key(|n| n.to_lowercase());
    names.dedup();
    names
}

/// Highlights code with one syntect theme. Cheap to create: the theme is shared.
#[derive(Clone, Copy)]
pub struct Highlighter {
    theme: &'static highlighting::Theme,
    /// Lines come out plain, with the same text and breaks (for sizing what is off screen).
    plain: bool,
}

impl std::fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Highlighter")
            .field("theme", &self.theme.name)
            .finish()
    }
}

impl Highlighter {
    /// A highlighter with the syntect theme `theme_name`, or `base16-ocean.dark` if unknown.
    pub fn new(theme_name: &str) -> Highlighter {
        let theme = find_theme(theme_name)
            .unwrap_or_else(|| EXTRA_THEMES.get(EmbeddedThemeName::Base16OceanDark));
        Highlighter {
            theme,
            plain: false,
        }
    }

    /// Whether lines come out plain.
    pub fn is_plain(&self) -> bool {
        self.plain
    }

    /// This highlighter, but giving plain lines: the same text, so the same line breaks, for a
    /// fraction of the cost.
    pub fn plain(self) -> Highlighter {
        Highlighter {
            plain: true,
            ..self
        }
    }

    /// `code` as lines highlighted for `lang` (a token such as `py`, `rust` or `toml`). An
    /// unknown or empty language gives plain lines (unstyled spans). `\r` is dropped, tabs
    /// become four spaces, other control characters show as their Unicode control pictures.
    /// Spans carry at most a foreground colour and bold.
    ///
    /// Highlighting is remembered per block and thread: the same code again (a resize) costs
    /// no parsing, and code that grows line by line (a streaming reply) is parsed only from its
    /// first new line.
    pub fn lines(&self, lang: &str, code: &str) -> Vec<Line<'static>> {
        let Some(syntax) = self.syntax(lang).filter(|_| !self.plain) else {
            return code.lines().map(plain_line).collect();
        };
        // Complete lines are remembered; a partial last line is highlighted every time.
        let (complete, partial) = code.split_at(code.rfind('\n').map_or(0, |i| i + 1));
        let (done, mut out, mut state) = match recall(self.theme, syntax, complete) {
            Some(recalled) => recalled,
            None => (
                0,
                Vec::new(),
                Some(HighlightLines::new(syntax, self.theme).state()),
            ),
        };
        if done < complete.len() {
            state = self.highlight_into(&mut out, &complete[done..], state);
            remember(Memo {
                theme: self.theme,
                syntax,
                code: complete.to_string(),
                lines: out.clone(),
                state: state.clone(),
            });
        }
        if !partial.is_empty() {
            self.highlight_into(&mut out, partial, state);
        }
        out
    }

    /// Highlights the lines of `text` from `state` onto `out`; returns the state after them.
    /// No state means highlighting failed earlier: the rest is plain.
    fn highlight_into(&self, out: &mut Vec<Line<'static>>, text: &str, state: State) -> State {
        let Some((highlight_state, parse_state)) = state else {
            out.extend(text.lines().map(plain_line));
            return None;
        };
        let mut highlighter = HighlightLines::from_state(self.theme, highlight_state, parse_state);
        let default_fg = self.theme.settings.foreground;
        // The syntax set is built for lines that end in `\n`.
        let mut with_newline = String::new();
        let mut lines = text.lines();
        for line in lines.by_ref() {
            if line.len() > MAX_HIGHLIGHT_BYTES {
                out.push(plain_line(line));
                continue;
            }
            with_newline.clear();
            with_newline.push_str(line);
            with_newline.push('\n');
            match highlighter.highlight_line(&with_newline, &SYNTAXES) {
                Ok(regions) => {
                    let spans = regions
                        .into_iter()
                        .filter_map(|(style, text)| {
                            let text = text.strip_suffix('\n').unwrap_or(text);
                            (!text.is_empty())
                                .then(|| Span::styled(clean(text), convert(style, default_fg)))
                        })
                        .collect::<Vec<_>>();
                    out.push(Line::from(spans));
                }
                Err(err) => {
                    tracing::debug!("highlighting failed, the rest is plain: {err}");
                    out.push(plain_line(line));
                    out.extend(lines.map(plain_line));
                    return None;
                }
            }
        }
        Some(highlighter.state())
    }

    /// The syntax for a language token, unless it is unknown, empty, or plain text.
    fn syntax(&self, lang: &str) -> Option<&'static SyntaxReference> {
        let lang = lang.trim();
        if lang.is_empty() {
            return None;
        }
        let syntaxes: &'static SyntaxSet = &SYNTAXES;
        let syntax = syntaxes
            .find_syntax_by_token(lang)
            .or_else(|| syntaxes.find_syntax_by_token(&lang.to_ascii_lowercase()))?;
        (syntax.name != "Plain Text").then_some(syntax)
    }
}

/// One unstyled line, `\r` dropped.
fn plain_line(raw: &str) -> Line<'static> {
    let line = raw.strip_suffix('\r').unwrap_or(raw);
    if line.is_empty() {
        Line::default()
    } else {
        Line::from(clean(line))
    }
}

/// The text with `\r` dropped, tabs expanded and other control characters made visible.
fn clean(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        match ch {
            '\r' => {}
            '\t' => out.push_str(TAB),
            // C0 controls have pictures at U+2400..; DEL at U+2421.
            '\0'..='\x1f' => out.push(char::from_u32(0x2400 + ch as u32).unwrap_or('?')),
            '\x7f' => out.push('\u{2421}'),
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// Keeps the foreground colour (unless it is the theme's default) and bold.
fn convert(style: highlighting::Style, default_fg: Option<highlighting::Color>) -> Style {
    let mut out = Style::new();
    if Some(style.foreground) != default_fg {
        out.fg = convert_color(style.foreground);
    }
    if style.font_style.contains(FontStyle::BOLD) {
        out = out.add_modifier(Modifier::BOLD);
    }
    out
}

/// A syntect colour as a terminal colour. Like bat's ANSI themes, alpha 0 means "palette
/// index in `r`" and alpha 1 means "the terminal's default".
fn convert_color(c: highlighting::Color) -> Option<Color> {
    match c.a {
        0 => Some(match c.r {
            0 => Color::Black,
            1 => Color::Red,
            2 => Color::Green,
            3 => Color::Yellow,
            4 => Color::Blue,
            5 => Color::Magenta,
            6 => Color::Cyan,
            7 => Color::Gray,
            n => Color::Indexed(n),
        }),
        1 => None,
        _ => Some(Color::Rgb(c.r, c.g, c.b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    fn styles(lines: &[Line]) -> HashSet<Style> {
        lines
            .iter()
            .flat_map(|l| l.spans.iter().map(|s| s.style))
            .collect()
    }

    const PYTHON: &str = "import time\n\nclass Bucket:\n    def take(self, n: int) -> bool:\n        return n <= 3  # ok\n";

    #[test]
    fn known_language_gives_several_colours() {
        let hl = Highlighter::new("base16-ocean.dark");
        for lang in ["python", "py"] {
            let lines = hl.lines(lang, PYTHON);
            assert_eq!(texts(&lines), PYTHON.lines().collect::<Vec<_>>(), "{lang}");
            let colours: HashSet<_> = styles(&lines).into_iter().filter_map(|s| s.fg).collect();
            assert!(colours.len() >= 3, "{lang}: {colours:?}");
        }
    }

    #[test]
    fn two_face_languages_are_known() {
        let hl = Highlighter::new("base16-ocean.dark");
        for lang in ["toml", "ts", "rs", "sh", "Dockerfile"] {
            assert!(hl.syntax(lang).is_some(), "{lang}");
        }
    }

    #[test]
    fn unknown_language_is_plain() {
        let hl = Highlighter::new("base16-ocean.dark");
        for lang in ["", "no-such-language", "text"] {
            let lines = hl.lines(lang, PYTHON);
            assert_eq!(texts(&lines), PYTHON.lines().collect::<Vec<_>>());
            assert_eq!(
                styles(&lines),
                HashSet::from([Style::default()]),
                "{lang:?}"
            );
        }
    }

    #[test]
    fn crlf_leaves_no_carriage_returns_and_tabs_expand() {
        let hl = Highlighter::new("base16-ocean.dark");
        for lang in ["python", "unknown"] {
            let lines = hl.lines(lang, "a = 1\r\n\tb = 2\r\n\r\n");
            assert_eq!(texts(&lines), ["a = 1", "    b = 2", ""], "{lang}");
        }
    }

    #[test]
    fn control_characters_are_visible() {
        let hl = Highlighter::new("base16-ocean.dark");
        let lines = hl.lines("", "a\x1b[31mb");
        assert_eq!(texts(&lines), ["a\u{241b}[31mb"]);
    }

    #[test]
    fn only_foreground_and_bold_are_kept() {
        // Solarized marks some scopes bold; InspiredGitHub has a background and italics.
        let mut bold = false;
        for theme in ["InspiredGitHub", "Solarized (dark)", "base16-ocean.dark"] {
            let hl = Highlighter::new(theme);
            for (lang, code) in [
                ("python", PYTHON),
                ("rust", "/// doc\nfn main() { let s = \"x\"; }\n"),
                ("markdown", "# Title\n\n**bold** _it_\n"),
            ] {
                for style in styles(&hl.lines(lang, code)) {
                    assert_eq!(style.bg, None, "{theme} {lang}");
                    assert_eq!(style.underline_color, None);
                    assert!(
                        (style.add_modifier - Modifier::BOLD).is_empty(),
                        "{style:?}"
                    );
                    assert!(style.sub_modifier.is_empty());
                    bold |= style.add_modifier.contains(Modifier::BOLD);
                }
            }
        }
        assert!(bold, "some theme keeps bold");
    }

    #[test]
    fn unknown_theme_falls_back() {
        let hl = Highlighter::new("no such theme");
        assert_eq!(hl.theme.name.as_deref(), Some("Base16 Ocean Dark"));
        assert!(hl.lines("py", PYTHON).len() == 5);
    }

    #[test]
    fn shipped_theme_syntaxes_exist() {
        for name in [
            "base16-ocean.dark",
            "base16-eighties.dark",
            "InspiredGitHub",
        ] {
            assert!(find_theme(name).is_some(), "{name}");
        }
    }

    #[test]
    fn very_long_lines_are_plain() {
        let hl = Highlighter::new("base16-ocean.dark");
        let long = format!("x = \"{}\"", "a".repeat(MAX_HIGHLIGHT_BYTES));
        let lines = hl.lines("python", &format!("{long}\ny = 1\n"));
        assert_eq!(lines[0].spans.len(), 1);
        assert_eq!(lines[0].spans[0].style, Style::default());
        assert!(lines[1].spans.len() > 1);
    }

    /// Highlighting from scratch, without the memo.
    fn fresh(hl: &Highlighter, lang: &str, code: &str) -> Vec<Line<'static>> {
        let syntax = hl.syntax(lang).expect("known language");
        let mut out = Vec::new();
        let start = Some(HighlightLines::new(syntax, hl.theme).state());
        hl.highlight_into(&mut out, code, start);
        out
    }

    #[test]
    fn growing_code_matches_highlighting_from_scratch() {
        // Streaming: each call sees a longer prefix and reuses the previous one's lines.
        let hl = Highlighter::new("base16-eighties.dark");
        let code = format!("{PYTHON}s = \"\"\"multi\nline\"\"\"\nt = 'x'\r\n");
        for cut in (0..=code.len()).filter(|&i| code.is_char_boundary(i)) {
            let got = hl.lines("python", &code[..cut]);
            assert_eq!(got, fresh(&hl, "python", &code[..cut]), "cut at {cut}");
        }
        // A block seen before, and one that shares its start with it.
        assert_eq!(hl.lines("python", &code), fresh(&hl, "python", &code));
        let other = format!("{PYTHON}print('other')\n");
        assert_eq!(hl.lines("python", &other), fresh(&hl, "python", &other));
    }

    #[test]
    fn memo_is_bounded() {
        let hl = Highlighter::new("base16-ocean.dark");
        for i in 0..MEMO_BLOCKS + 10 {
            hl.lines("rust", &format!("let x = {i};\n"));
        }
        assert!(MEMO.with_borrow(VecDeque::len) <= MEMO_BLOCKS);
    }

    #[test]
    fn ansi_alpha_encoding() {
        let c = |r, a| highlighting::Color { r, g: 0, b: 0, a };
        assert_eq!(convert_color(c(2, 0)), Some(Color::Green));
        assert_eq!(convert_color(c(200, 0)), Some(Color::Indexed(200)));
        assert_eq!(convert_color(c(5, 1)), None);
        assert_eq!(convert_color(c(5, 255)), Some(Color::Rgb(5, 0, 0)));
    }
}
