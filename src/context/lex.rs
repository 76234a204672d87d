//! A small lexer shared by the outline scanners: identifiers, punctuation, strings and numbers,
//! with comments and string contents skipped, each token knowing its line, whether it starts
//! its line (and the line's indentation) and whether space or a comment comes before it.
//!
//! It knows just enough of each language to never mistake a string, a comment, a Rust
//! lifetime, a JavaScript template or regex literal for code: that is what makes a definition
//! found at the start of a statement a real one.

use super::lang::Lang;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// A name or a keyword.
    Ident,
    /// One punctuation byte.
    Punct(u8),
    /// A string, character, template or regex literal (its text is the whole literal).
    Str,
    /// A number.
    Num,
    /// A Rust lifetime (`'a`).
    Lifetime,
}

/// One token: a byte range of the text and where it sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LexToken {
    pub kind: Tok,
    pub start: u32,
    pub end: u32,
    /// The 1-based line the token starts on.
    pub line: u32,
    /// The first token of its logical line (a Python line continued by `\` is one line).
    pub first: bool,
    /// The indentation (bytes of leading blanks) of the token's line, when `first`.
    pub indent: u32,
    /// Space, a line break or a comment separates it from the token before.
    pub space: bool,
}

impl LexToken {
    /// The token's text in `text`.
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }

    /// Whether the token is the punctuation `c`.
    pub fn is(&self, c: u8) -> bool {
        self.kind == Tok::Punct(c)
    }
}

/// Splits `text` into tokens for `lang`. Never fails: an unterminated string or comment ends
/// at the end of the text (or of the line, for the literals that cannot span lines).
pub fn tokens(lang: Lang, text: &str) -> Vec<LexToken> {
    let mut lexer = Lexer {
        lang,
        b: text.as_bytes(),
        i: 0,
        line: 1,
        line_start: true,
        indent: 0,
        space: false,
        out: Vec::with_capacity(text.len() / 5),
    };
    lexer.run();
    lexer.out
}

struct Lexer<'a> {
    lang: Lang,
    b: &'a [u8],
    i: usize,
    line: u32,
    /// No token yet on the current logical line.
    line_start: bool,
    /// The current line's indentation.
    indent: u32,
    /// Space or a comment since the last token.
    space: bool,
    out: Vec<LexToken>,
}

fn is_ident_start(c: u8, lang: Lang) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 || (c == b'$' && lang.is_js())
}

fn is_ident_char(c: u8, lang: Lang) -> bool {
    is_ident_start(c, lang) || c.is_ascii_digit()
}

impl Lexer<'_> {
    fn peek(&self, at: usize) -> u8 {
        self.b.get(self.i + at).copied().unwrap_or(0)
    }

    fn push(&mut self, kind: Tok, start: usize, line: u32) {
        let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        self.out.push(LexToken {
            kind,
            start: to_u32(start),
            end: to_u32(self.i),
            line,
            first: self.line_start,
            indent: self.indent,
            space: self.space,
        });
        self.line_start = false;
        self.space = false;
    }

    /// Moves past a line break at `self.i`.
    fn newline(&mut self) {
        self.i += 1;
        self.line += 1;
        self.line_start = true;
        self.space = true;
        let mut n = 0;
        while let Some(&c) = self.b.get(self.i + n) {
            if c == b' ' || c == b'\t' {
                n += 1;
            } else {
                break;
            }
        }
        self.indent = u32::try_from(n).unwrap_or(u32::MAX);
    }

    /// Counts the line breaks in `self.b[from..self.i]` (a literal or comment just skipped).
    fn count_lines(&mut self, from: usize) {
        let end = self.i.min(self.b.len());
        let breaks = memchr::memchr_iter(b'\n', &self.b[from.min(end)..end]).count();
        self.line += u32::try_from(breaks).unwrap_or(0);
    }

    fn run(&mut self) {
        // The first line's indentation.
        self.i = 0;
        while matches!(self.peek(0), b' ' | b'\t') {
            self.i += 1;
        }
        self.indent = u32::try_from(self.i).unwrap_or(u32::MAX);
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b'\n' => self.newline(),
                b' ' | b'\t' | b'\r' | 0x0c => {
                    self.i += 1;
                    self.space = true;
                }
                b'\\' if matches!(self.peek(1), b'\n' | b'\r') => {
                    // A continued line: one logical line.
                    self.i += 1;
                    if self.peek(0) == b'\r' {
                        self.i += 1;
                    }
                    if self.peek(0) == b'\n' {
                        self.i += 1;
                        self.line += 1;
                    }
                    self.space = true;
                }
                b'#' if self.lang == Lang::Python => self.line_comment(),
                b'/' if self.lang != Lang::Python && self.peek(1) == b'/' => self.line_comment(),
                b'/' if self.lang != Lang::Python && self.peek(1) == b'*' => self.block_comment(),
                b'/' if self.lang.is_js() && self.regex_allowed() => self.regex(),
                b'"' | b'\'' => self.quoted(c),
                b'`' if self.lang.is_js() => self.template(),
                b'`' if self.lang == Lang::Go => self.raw_go(),
                b'0'..=b'9' => self.number(),
                _ if is_ident_start(c, self.lang) => self.ident(),
                _ => {
                    let (start, line) = (self.i, self.line);
                    self.i += 1;
                    self.push(Tok::Punct(c), start, line);
                }
            }
        }
    }

    fn line_comment(&mut self) {
        match memchr::memchr(b'\n', &self.b[self.i..]) {
            Some(n) => self.i += n,
            None => self.i = self.b.len(),
        }
        self.space = true;
    }

    fn block_comment(&mut self) {
        let start = self.i;
        self.i += 2;
        let nested = self.lang == Lang::Rust;
        let mut depth = 1;
        while self.i < self.b.len() {
            if self.b[self.i] == b'*' && self.peek(1) == b'/' {
                self.i += 2;
                depth -= 1;
                if depth == 0 {
                    break;
                }
            } else if nested && self.b[self.i] == b'/' && self.peek(1) == b'*' {
                self.i += 2;
                depth += 1;
            } else {
                self.i += 1;
            }
        }
        self.count_lines(start);
        self.space = true;
    }

    fn number(&mut self) {
        let (start, line) = (self.i, self.line);
        while self.i < self.b.len() {
            let c = self.b[self.i];
            let exponent_sign = matches!(c, b'+' | b'-')
                && matches!(self.b[self.i - 1], b'e' | b'E')
                && !self.b[start..self.i].starts_with(b"0x");
            let fraction = c == b'.' && self.peek(1).is_ascii_digit();
            if c.is_ascii_alphanumeric() || c == b'_' || exponent_sign || fraction {
                self.i += 1;
            } else {
                break;
            }
        }
        self.push(Tok::Num, start, line);
    }

    fn ident(&mut self) {
        let (start, line) = (self.i, self.line);
        while self.i < self.b.len() && is_ident_char(self.b[self.i], self.lang) {
            self.i += 1;
        }
        let word = &self.b[start..self.i];
        let next = self.peek(0);
        match self.lang {
            Lang::Python if word.len() <= 3 && (next == b'"' || next == b'\'') => {
                let prefix = word.iter().all(|c| b"rRbBuUfFtT".contains(c));
                if prefix {
                    return self.python_string(start, line);
                }
            }
            Lang::Rust => {
                // Raw identifiers, raw strings, byte and C strings, byte characters.
                if word == b"r" && next == b'#' && is_ident_start(self.peek(1), self.lang) {
                    self.i += 1;
                    while self.i < self.b.len() && is_ident_char(self.b[self.i], self.lang) {
                        self.i += 1;
                    }
                } else if matches!(word, b"r" | b"br" | b"cr") && matches!(next, b'"' | b'#') {
                    if self.raw_rust(start, line) {
                        return;
                    }
                } else if matches!(word, b"b" | b"c") && next == b'"' {
                    self.quoted_from(b'"', start, line);
                    return;
                } else if word == b"b" && next == b'\'' {
                    self.quoted_from(b'\'', start, line);
                    return;
                }
            }
            _ => {}
        }
        self.push(Tok::Ident, start, line);
    }

    /// A Rust raw string `r#"…"#` from its `r` (already consumed up to `self.i`); false (and
    /// nothing consumed) when what follows is no raw string.
    fn raw_rust(&mut self, start: usize, line: u32) -> bool {
        let mut j = self.i;
        let mut hashes = 0;
        while self.b.get(j) == Some(&b'#') {
            hashes += 1;
            j += 1;
        }
        if self.b.get(j) != Some(&b'"') {
            return false;
        }
        j += 1;
        loop {
            match memchr::memchr(b'"', &self.b[j.min(self.b.len())..]) {
                None => {
                    j = self.b.len();
                    break;
                }
                Some(n) => {
                    j += n + 1;
                    let closing = self.b[j.min(self.b.len())..]
                        .iter()
                        .take(hashes)
                        .take_while(|&&c| c == b'#')
                        .count();
                    if closing == hashes {
                        j += hashes;
                        break;
                    }
                }
            }
        }
        self.i = j.min(self.b.len());
        self.count_lines(start);
        self.push(Tok::Str, start, line);
        true
    }

    /// A quoted literal at `self.i`: a string, or in Rust a character or a lifetime.
    fn quoted(&mut self, quote: u8) {
        let (start, line) = (self.i, self.line);
        match self.lang {
            Lang::Python => self.python_string(start, line),
            Lang::Rust if quote == b'\'' => {
                // `'a'`, `'\n'`, `'\u{1F600}'` are characters; `'a` is a lifetime.
                let next = self.peek(1);
                if next == b'\\' || self.peek(1 + utf8_len(next)) == b'\'' {
                    self.quoted_from(quote, start, line);
                } else {
                    self.i += 1;
                    while self.i < self.b.len() && is_ident_char(self.b[self.i], self.lang) {
                        self.i += 1;
                    }
                    self.push(Tok::Lifetime, start, line);
                }
            }
            _ => self.quoted_from(quote, start, line),
        }
    }

    /// A literal closed by `quote`, from `self.i` (at or before the opening quote); backslash
    /// escapes the next byte. Rust strings span lines; other languages' end at the line.
    fn quoted_from(&mut self, quote: u8, start: usize, line: u32) {
        while self.i < self.b.len() && self.b[self.i] != quote {
            self.i += 1;
        }
        self.i += 1;
        let multiline = self.lang == Lang::Rust && quote == b'"';
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'\n' if !multiline => break,
                c if c == quote => {
                    self.i += 1;
                    break;
                }
                _ => self.i += 1,
            }
        }
        self.i = self.i.min(self.b.len());
        self.count_lines(start);
        self.push(Tok::Str, start, line);
    }

    /// A Python string from its prefix at `start`: single or triple quoted.
    fn python_string(&mut self, start: usize, line: u32) {
        let quote = self.b[self.i];
        let triple = self.peek(1) == quote && self.peek(2) == quote;
        if !triple {
            return self.quoted_from(quote, start, line);
        }
        self.i += 3;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                c if c == quote && self.peek(1) == quote && self.peek(2) == quote => {
                    self.i += 3;
                    break;
                }
                _ => self.i += 1,
            }
        }
        self.i = self.i.min(self.b.len());
        self.count_lines(start);
        self.push(Tok::Str, start, line);
    }

    /// A Go raw string: backticks, no escapes, may span lines.
    fn raw_go(&mut self) {
        let (start, line) = (self.i, self.line);
        self.i += 1;
        match memchr::memchr(b'`', &self.b[self.i..]) {
            Some(n) => self.i += n + 1,
            None => self.i = self.b.len(),
        }
        self.count_lines(start);
        self.push(Tok::Str, start, line);
    }

    /// A JavaScript template literal, `${…}` substitutions (with their own strings and
    /// templates) included.
    fn template(&mut self) {
        let (start, line) = (self.i, self.line);
        self.i = skip_template(self.b, self.i);
        self.count_lines(start);
        self.push(Tok::Str, start, line);
    }

    /// Whether a `/` here starts a regex literal rather than a division: it does after an
    /// operator, an opening bracket, a comma, a keyword like `return`, or at the start.
    fn regex_allowed(&self) -> bool {
        let Some(prev) = self.out.last() else {
            return true;
        };
        match prev.kind {
            Tok::Num | Tok::Str | Tok::Lifetime => false,
            Tok::Punct(c) => !matches!(c, b')' | b']' | b'}'),
            Tok::Ident => {
                let word = &self.b[prev.start as usize..prev.end as usize];
                matches!(
                    word,
                    b"return"
                        | b"typeof"
                        | b"instanceof"
                        | b"in"
                        | b"of"
                        | b"new"
                        | b"delete"
                        | b"void"
                        | b"throw"
                        | b"case"
                        | b"do"
                        | b"else"
                        | b"yield"
                        | b"await"
                )
            }
        }
    }

    /// A regex literal: to the closing `/` outside a character class, then its flags; it
    /// never spans lines.
    fn regex(&mut self) {
        let (start, line) = (self.i, self.line);
        self.i += 1;
        let mut class = false;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'\n' => break,
                b'[' => {
                    class = true;
                    self.i += 1;
                }
                b']' => {
                    class = false;
                    self.i += 1;
                }
                b'/' if !class => {
                    self.i += 1;
                    while self.i < self.b.len() && self.b[self.i].is_ascii_alphabetic() {
                        self.i += 1;
                    }
                    break;
                }
                _ => self.i += 1,
            }
        }
        self.i = self.i.min(self.b.len());
        self.push(Tok::Str, start, line);
    }
}

/// The length of the UTF-8 sequence that `first` starts.
fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

/// The index just past the template literal that starts with the backtick at `at`.
fn skip_template(b: &[u8], at: usize) -> usize {
    let mut i = at + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'`' => return i + 1,
            b'$' if b.get(i + 1) == Some(&b'{') => {
                i += 2;
                let mut depth = 1;
                while i < b.len() && depth > 0 {
                    match b[i] {
                        b'{' => depth += 1,
                        b'}' => depth -= 1,
                        b'`' => {
                            i = skip_template(b, i);
                            continue;
                        }
                        q @ (b'"' | b'\'') => {
                            i += 1;
                            while i < b.len() && b[i] != q && b[i] != b'\n' {
                                i += if b[i] == b'\\' { 2 } else { 1 };
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lang: Lang, src: &str) -> Vec<String> {
        tokens(lang, src)
            .iter()
            .map(|t| t.text(src).to_string())
            .collect()
    }

    #[test]
    fn python_strings_and_comments_hide_their_contents() {
        let src = "x = 'def a'  # def b\ny = \"\"\"\ndef c():\n\"\"\"\nz = rb'\\'' + f\"{d}\"\n";
        assert_eq!(
            texts(Lang::Python, src),
            [
                "x",
                "=",
                "'def a'",
                "y",
                "=",
                "\"\"\"\ndef c():\n\"\"\"",
                "z",
                "=",
                "rb'\\''",
                "+",
                "f\"{d}\""
            ]
        );
        let toks = tokens(Lang::Python, src);
        assert_eq!(
            toks[6].line, 5,
            "lines counted through the triple-quoted string"
        );
        assert!(toks[6].first);
    }

    #[test]
    fn python_indentation_and_continuations() {
        let src = "class A:\n    def f(self, \\\n  x):\n        pass\n";
        let toks = tokens(Lang::Python, src);
        let def = toks.iter().find(|t| t.text(src) == "def").unwrap();
        assert!(def.first);
        assert_eq!(def.indent, 4);
        let x = toks.iter().find(|t| t.text(src) == "x").unwrap();
        assert!(!x.first, "a backslash continues the logical line");
        assert_eq!(x.line, 3);
        let pass = toks.iter().find(|t| t.text(src) == "pass").unwrap();
        assert_eq!((pass.indent, pass.line), (8, 4));
    }

    #[test]
    fn rust_lifetimes_chars_raw_strings_and_nested_comments() {
        let src = "fn a<'a>(x: &'a str) -> char { 'x' }\n/* /* fn b() */ */ let s = r#\"fn c() \"# ; b'\\'' ; r#type";
        assert_eq!(
            texts(Lang::Rust, src),
            [
                "fn",
                "a",
                "<",
                "'a",
                ">",
                "(",
                "x",
                ":",
                "&",
                "'a",
                "str",
                ")",
                "-",
                ">",
                "char",
                "{",
                "'x'",
                "}",
                "let",
                "s",
                "=",
                "r#\"fn c() \"#",
                ";",
                "b'\\''",
                ";",
                "r#type"
            ]
        );
        assert_eq!(tokens(Lang::Rust, "'\\u{1F600}' 'é'")[1].kind, Tok::Str);
    }

    #[test]
    fn javascript_templates_and_regexes() {
        let src = "const a = `x ${ {b: `}`} } y`; const r = /[/]function/g; x = a / 2 / c;";
        assert_eq!(
            texts(Lang::JavaScript, src),
            [
                "const",
                "a",
                "=",
                "`x ${ {b: `}`} } y`",
                ";",
                "const",
                "r",
                "=",
                "/[/]function/g",
                ";",
                "x",
                "=",
                "a",
                "/",
                "2",
                "/",
                "c",
                ";"
            ]
        );
    }

    #[test]
    fn go_raw_strings_and_runes() {
        let src = "s := `a\nfunc b()` + '\\''\nfunc c() {}";
        let toks = tokens(Lang::Go, src);
        let func = toks.iter().find(|t| t.text(src) == "func").unwrap();
        assert_eq!((func.line, func.first), (3, true));
    }

    #[test]
    fn unterminated_literals_end_without_a_panic() {
        for lang in [
            Lang::Python,
            Lang::Rust,
            Lang::Go,
            Lang::JavaScript,
            Lang::TypeScript,
        ] {
            for src in [
                "'", "\"", "`", "/*", "r#\"", "'''", "a = /x", "`${", "\\", "'\\",
            ] {
                let _ = tokens(lang, src);
            }
        }
    }
}
