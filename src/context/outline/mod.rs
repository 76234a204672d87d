//! The outline of a source file: its top-level definitions (classes, functions, methods, types,
//! traits, interfaces, modules) with their signatures, and the names it refers to. The map of
//! the repository is built from these.
//!
//! A hand-written scanner per language over [`super::lex`]'s tokens, chosen over tree-sitter
//! and syntect's scopes by measurement (README, *Context*): as accurate as tree-sitter's tags
//! on real packages, 50 times faster than syntect, and no grammar in the binary. A definition
//! inside a function body is not part of the outline.

use std::collections::HashMap;

use super::lang::Lang;
use super::lex::{LexToken, Tok, tokens};

/// What a definition defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefKind {
    Function,
    /// A function inside a class, impl, trait or interface.
    Method,
    Class,
    Struct,
    Enum,
    Trait,
    Interface,
    /// A type alias or a Go type.
    Type,
    /// A Rust `impl` block: a container of methods, named after its type.
    Impl,
    /// A Rust `mod`, a TypeScript `namespace`.
    Module,
    Macro,
}

impl DefKind {
    /// Whether the kind holds other definitions (its members are shown under it).
    pub fn is_container(self) -> bool {
        matches!(
            self,
            DefKind::Class | DefKind::Trait | DefKind::Interface | DefKind::Impl | DefKind::Module
        )
    }
}

/// One definition of the outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Def {
    pub name: String,
    pub kind: DefKind,
    /// The 1-based line of its name.
    pub line: u32,
    /// Its header as one line: `def send(self, request, stream=False):`,
    /// `pub fn parse(text: &str) -> Result<Spec, Error>`.
    pub signature: String,
    /// The index of the container it is a member of, in the same outline.
    pub parent: Option<usize>,
}

/// A file's definitions, in source order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    pub defs: Vec<Def>,
}

/// The longest signature kept, in bytes; a longer one ends with `…`.
pub const MAX_SIGNATURE: usize = 200;

/// The outline of `text`, a file in `lang`.
pub fn outline(lang: Lang, text: &str) -> Outline {
    scan(lang, text).0
}

/// The outline of `text` and how often it names each identifier (keywords aside).
pub fn scan(lang: Lang, text: &str) -> (Outline, HashMap<&str, u32>) {
    let toks = tokens(lang, text);
    let mut scanner = Scanner {
        s: text,
        t: &toks,
        defs: Vec::new(),
    };
    match lang {
        Lang::Python => scanner.python(),
        Lang::Rust => scanner.rust(),
        Lang::Go => scanner.go(),
        Lang::JavaScript | Lang::TypeScript => scanner.js(lang == Lang::TypeScript),
    }
    let mut refs: HashMap<&str, u32> = HashMap::new();
    for t in toks.iter().filter(|t| t.kind == Tok::Ident) {
        let word = t.text(text);
        if word.len() > 1 && !lang.is_keyword(word) {
            *refs.entry(word).or_default() += 1;
        }
    }
    (Outline { defs: scanner.defs }, refs)
}

struct Scanner<'a> {
    s: &'a str,
    t: &'a [LexToken],
    defs: Vec<Def>,
}

/// What an opening brace of a braced language opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Definitions here are part of the outline (a module, an impl, a class body...), members
    /// of this definition if any.
    Holds(Option<usize>, Body),
    /// A function body, a struct's fields, an expression: nothing inside is outlined.
    Other,
}

/// The syntax of the members of a [`Scope::Holds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Statements: a file, a Rust module, impl or trait, a TypeScript namespace.
    Items,
    /// A JavaScript class body.
    Class,
    /// A TypeScript interface body.
    Interface,
    /// An object literal assigned at the top level (`module.exports = {…}`).
    Object,
}

impl<'a> Scanner<'a> {
    /// The identifier at `k`, or `""`.
    fn w(&self, k: usize) -> &'a str {
        match self.t.get(k) {
            Some(t) if t.kind == Tok::Ident => t.text(self.s),
            _ => "",
        }
    }

    /// Whether the token at `k` is the punctuation `c`.
    fn is(&self, k: usize, c: u8) -> bool {
        self.t.get(k).is_some_and(|t| t.is(c))
    }

    fn ident(&self, k: usize) -> bool {
        self.t.get(k).is_some_and(|t| t.kind == Tok::Ident)
    }

    /// The index of the bracket closing the one at `k` (or the end).
    fn close(&self, k: usize) -> usize {
        let mut depth = 0i32;
        for (j, t) in self.t.iter().enumerate().skip(k) {
            match t.kind {
                Tok::Punct(b'(' | b'[' | b'{') => depth += 1,
                Tok::Punct(b')' | b']' | b'}') => {
                    depth -= 1;
                    if depth <= 0 {
                        return j;
                    }
                }
                _ => {}
            }
        }
        self.t.len()
    }

    /// The first token from `k` at bracket depth 0 that `stop` accepts (or the end).
    fn find(&self, k: usize, stop: impl Fn(&LexToken) -> bool) -> usize {
        let mut depth = 0i32;
        for (j, t) in self.t.iter().enumerate().skip(k) {
            if depth == 0 && stop(t) {
                return j;
            }
            match t.kind {
                Tok::Punct(b'(' | b'[') => depth += 1,
                Tok::Punct(b'{') if depth > 0 => depth += 1,
                Tok::Punct(b')' | b']') => depth -= 1,
                Tok::Punct(b'}') if depth > 0 => depth -= 1,
                _ => {}
            }
        }
        self.t.len()
    }

    /// The tokens `from..to` as one line: a space where the source had space, a line break
    /// or a comment.
    fn signature(&self, from: usize, to: usize) -> String {
        let mut out = String::new();
        for (j, t) in self.t[from..to.min(self.t.len())].iter().enumerate() {
            if j > 0 && t.space {
                out.push(' ');
            }
            let text = t.text(self.s);
            if t.kind == Tok::Str && text.len() > 40 {
                let cut = floor(text, 37);
                out.push_str(&text[..cut]);
                out.push('…');
            } else {
                out.push_str(text);
            }
            if out.len() > MAX_SIGNATURE {
                let cut = floor(&out, MAX_SIGNATURE - 3);
                out.truncate(cut);
                out.push('…');
                break;
            }
        }
        out
    }

    fn push(&mut self, name: usize, kind: DefKind, sig: (usize, usize), parent: Option<usize>) {
        let def = Def {
            name: self.t[name].text(self.s).to_string(),
            kind,
            line: self.t[name].line,
            signature: self.signature(sig.0, sig.1),
            parent,
        };
        self.defs.push(def);
    }
}

/// The largest character boundary of `s` at or below `at`.
fn floor(s: &str, at: usize) -> usize {
    (0..=at.min(s.len()))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

mod go;
mod js;
mod python;
mod rust;

#[cfg(test)]
mod tests;
