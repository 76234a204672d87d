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

    /// Python: `def`, `async def` and `class` at the start of a logical line, not inside a
    /// function (by indentation).
    fn python(&mut self) {
        // The open def and class blocks: indentation, is a function, definition index.
        let mut blocks: Vec<(u32, bool, Option<usize>)> = Vec::new();
        let mut depth = 0i32;
        let mut k = 0;
        while k < self.t.len() {
            let t = self.t[k];
            if t.first && depth == 0 {
                while blocks.last().is_some_and(|b| b.0 >= t.indent) {
                    blocks.pop();
                }
                let kw = if self.w(k) == "async" && self.w(k + 1) == "def" {
                    k + 1
                } else {
                    k
                };
                let word = self.w(kw);
                if (word == "def" || word == "class") && self.ident(kw + 1) {
                    let end = self.find(kw + 1, |t| t.is(b':') || t.first);
                    let end = if self.t.get(end).is_some_and(|t| t.is(b':')) {
                        end + 1
                    } else {
                        end
                    };
                    let is_fn = word == "def";
                    let nested = blocks.iter().any(|b| b.1);
                    let class = blocks.last().filter(|b| !b.1).and_then(|b| b.2);
                    let index = (!nested).then(|| {
                        let kind = match (is_fn, class) {
                            (false, _) => DefKind::Class,
                            (true, Some(_)) => DefKind::Method,
                            (true, None) => DefKind::Function,
                        };
                        self.push(kw + 1, kind, (k, end), class);
                        self.defs.len() - 1
                    });
                    blocks.push((t.indent, is_fn, index));
                    k = end.max(k + 1);
                    continue;
                }
            }
            match t.kind {
                Tok::Punct(b'(' | b'[' | b'{') => depth += 1,
                Tok::Punct(b')' | b']' | b'}') => depth = (depth - 1).max(0),
                _ => {}
            }
            k += 1;
        }
    }

    /// Rust: items in the file, in inline modules, impls and traits.
    fn rust(&mut self) {
        let mut stack: Vec<Scope> = Vec::new();
        let mut pending = Scope::Other;
        let mut start = true;
        let mut k = 0;
        while k < self.t.len() {
            let t = self.t[k];
            // Attributes (`#[…]`, `#![…]`) leave a statement's start where it is.
            if t.is(b'#') && (self.is(k + 1, b'[') || self.is(k + 1, b'!') && self.is(k + 2, b'['))
            {
                k = self.close(k + 1 + usize::from(self.is(k + 1, b'!'))) + 1;
                continue;
            }
            let holds = stack.iter().all(|s| matches!(s, Scope::Holds(..)));
            if start && holds {
                let parent = match stack.last() {
                    Some(Scope::Holds(parent, _)) => *parent,
                    _ => None,
                };
                if let Some((end, scope)) = self.rust_item(k, parent) {
                    pending = scope;
                    start = false;
                    k = end;
                    continue;
                }
            }
            match t.kind {
                Tok::Punct(b'{') => {
                    stack.push(std::mem::replace(&mut pending, Scope::Other));
                    start = true;
                }
                Tok::Punct(b'}') => {
                    stack.pop();
                    start = true;
                }
                Tok::Punct(b';') => {
                    pending = Scope::Other;
                    start = true;
                }
                _ => start = false,
            }
            k += 1;
        }
    }

    /// The Rust item starting at `k`, recorded; the index of its `{` or `;` and what its
    /// braces hold. `None` when no item starts there.
    fn rust_item(&mut self, k: usize, parent: Option<usize>) -> Option<(usize, Scope)> {
        let mut j = k;
        if self.w(j) == "pub" {
            j += 1;
            if self.is(j, b'(') {
                j = self.close(j) + 1;
            }
        }
        loop {
            match self.w(j) {
                "default" | "async" | "unsafe" => j += 1,
                "const" if matches!(self.w(j + 1), "fn" | "unsafe" | "async" | "extern") => j += 1,
                "extern" if self.w(j + 1) != "crate" => {
                    j += 1;
                    if self.t.get(j).is_some_and(|t| t.kind == Tok::Str) {
                        j += 1;
                    }
                }
                _ => break,
            }
        }
        let header_end = |s: &Self| s.find(j, |t| t.is(b'{') || t.is(b';'));
        let in_impl =
            parent.is_some_and(|p| matches!(self.defs[p].kind, DefKind::Impl | DefKind::Trait));
        let (name, kind) = match self.w(j) {
            "fn" if self.ident(j + 1) => {
                let kind = if in_impl {
                    DefKind::Method
                } else {
                    DefKind::Function
                };
                (j + 1, kind)
            }
            "struct" if self.ident(j + 1) => (j + 1, DefKind::Struct),
            "union" if self.ident(j + 1) && !self.is(j + 2, b'(') => (j + 1, DefKind::Struct),
            "enum" if self.ident(j + 1) => (j + 1, DefKind::Enum),
            "trait" if self.ident(j + 1) => (j + 1, DefKind::Trait),
            "type" if self.ident(j + 1) => (j + 1, DefKind::Type),
            "mod" if self.ident(j + 1) => (j + 1, DefKind::Module),
            "macro_rules" if self.is(j + 1, b'!') && self.ident(j + 2) => {
                self.push(j + 2, DefKind::Macro, (k, j + 3), parent);
                return Some((j + 3, Scope::Other));
            }
            "impl" => {
                let end = header_end(self);
                // Named after its type: what follows `for`, else what follows the generics.
                let mut name = j + 1;
                if self.is(name, b'<') {
                    let mut depth = 0;
                    while name < end {
                        if self.is(name, b'<') {
                            depth += 1;
                        } else if self.is(name, b'>') {
                            depth -= 1;
                            if depth == 0 {
                                name += 1;
                                break;
                            }
                        }
                        name += 1;
                    }
                }
                if let Some(f) = (name..end).find(|&x| self.w(x) == "for") {
                    name = f + 1;
                }
                while name < end && (!self.ident(name) || matches!(self.w(name), "dyn" | "crate")) {
                    name += 1;
                }
                // The last segment of a path: `fmt::Display for a::B` is named `B`.
                while self.is(name + 1, b':') && self.is(name + 2, b':') && self.ident(name + 3) {
                    name += 3;
                }
                if name >= end {
                    return None;
                }
                self.push(name, DefKind::Impl, (k, end), parent);
                let index = self.defs.len() - 1;
                return Some((end, Scope::Holds(Some(index), Body::Items)));
            }
            _ => return None,
        };
        let end = header_end(self);
        self.push(name, kind, (k, end), parent);
        let index = self.defs.len() - 1;
        let scope = match kind {
            DefKind::Trait | DefKind::Module => Scope::Holds(Some(index), Body::Items),
            _ => Scope::Other,
        };
        Some((end, scope))
    }

    /// Go: functions, methods and types at the top level.
    fn go(&mut self) {
        let mut depth = 0i32;
        let mut k = 0;
        while k < self.t.len() {
            let t = self.t[k];
            if depth == 0 && t.first {
                match self.w(k) {
                    "func" => {
                        let mut name = k + 1;
                        if self.is(name, b'(') {
                            name = self.close(name) + 1;
                        }
                        if self.ident(name) {
                            let kind = if name == k + 1 {
                                DefKind::Function
                            } else {
                                DefKind::Method
                            };
                            let end = self.find(name, |t| t.is(b'{') || t.first);
                            self.push(name, kind, (k, end), None);
                            k = end;
                            continue;
                        }
                    }
                    "type" if self.is(k + 1, b'(') => {
                        let close = self.close(k + 1);
                        let mut j = k + 2;
                        while j < close {
                            if self.t[j].first && self.ident(j) {
                                let end = self.find(j + 1, |t| t.is(b'{') || t.first || t.is(b')'));
                                self.push(j, DefKind::Type, (j, end.min(close)), None);
                                j = end.max(j + 1);
                            } else {
                                j += 1;
                            }
                        }
                    }
                    "type" if self.ident(k + 1) => {
                        let end = self.find(k + 1, |t| t.is(b'{') || t.first);
                        self.push(k + 1, DefKind::Type, (k, end), None);
                        k = end;
                        continue;
                    }
                    _ => {}
                }
            }
            match t.kind {
                Tok::Punct(b'(' | b'[' | b'{') => depth += 1,
                Tok::Punct(b')' | b']' | b'}') => depth = (depth - 1).max(0),
                _ => {}
            }
            k += 1;
        }
    }

    /// JavaScript and TypeScript: functions, classes and their methods, functions assigned
    /// at the top level, and (TypeScript) interfaces, types, enums and namespaces.
    fn js(&mut self, ts: bool) {
        // Each open brace: what it holds, and the parentheses open inside it.
        let mut stack: Vec<(Scope, i32)> = vec![(Scope::Holds(None, Body::Items), 0)];
        let mut pending = Scope::Other;
        let mut start = true;
        let mut k = 0;
        while k < self.t.len() {
            let t = self.t[k];
            let (scope, parens) = *stack.last().unwrap_or(&(Scope::Other, 0));
            let holds = stack.iter().all(|(s, _)| matches!(s, Scope::Holds(..)));
            if (start || t.first)
                && parens == 0
                && holds
                && let Scope::Holds(parent, body) = scope
                && let Some((end, next)) = self.js_member(k, parent, body, ts)
            {
                pending = next;
                start = false;
                k = end;
                continue;
            }
            start = false;
            // A named function expression outside any function: `f(function named() {…})`.
            if holds && self.w(k) == "function" {
                let name = if self.is(k + 1, b'*') { k + 2 } else { k + 1 };
                if self.ident(name) {
                    let parent = match scope {
                        Scope::Holds(parent, _) => parent,
                        Scope::Other => None,
                    };
                    let end = self.find(name, |t| t.is(b'{'));
                    self.push(name, DefKind::Function, (k, end), parent);
                    pending = Scope::Other;
                    k = end;
                    continue;
                }
            }
            match t.kind {
                Tok::Punct(b'{') => {
                    stack.push((std::mem::replace(&mut pending, Scope::Other), 0));
                    start = true;
                }
                Tok::Punct(b'}') => {
                    if stack.len() > 1 {
                        stack.pop();
                    }
                    start = true;
                }
                Tok::Punct(b'(' | b'[') => {
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                }
                Tok::Punct(b')' | b']') => {
                    if let Some(top) = stack.last_mut() {
                        top.1 = (top.1 - 1).max(0);
                    }
                }
                Tok::Punct(b';') => {
                    pending = Scope::Other;
                    start = true;
                }
                Tok::Punct(b',') => start = matches!(scope, Scope::Holds(_, Body::Object)),
                _ => {}
            }
            k += 1;
        }
    }

    /// The JavaScript definition at `k` in a scope whose members are `body`, recorded; the
    /// index to go on from and what a brace there opens.
    fn js_member(
        &mut self,
        k: usize,
        parent: Option<usize>,
        body: Body,
        ts: bool,
    ) -> Option<(usize, Scope)> {
        let mut j = k;
        // Decorators.
        while self.is(j, b'@') && self.ident(j + 1) {
            j += 2;
            while self.is(j, b'.') && self.ident(j + 1) {
                j += 2;
            }
            if self.is(j, b'(') {
                j = self.close(j) + 1;
            }
        }
        match body {
            Body::Items => self.js_statement(k, j, parent, ts),
            Body::Class | Body::Interface | Body::Object => self.js_property(k, j, parent, body),
        }
    }

    fn js_statement(
        &mut self,
        k: usize,
        mut j: usize,
        parent: Option<usize>,
        ts: bool,
    ) -> Option<(usize, Scope)> {
        while matches!(self.w(j), "export" | "default" | "declare" | "abstract")
            || self.w(j) == "async" && self.w(j + 1) == "function"
        {
            j += 1;
        }
        let brace_or_semi = |t: &LexToken| t.is(b'{') || t.is(b';');
        match self.w(j) {
            "function" => {
                let name = if self.is(j + 1, b'*') { j + 2 } else { j + 1 };
                if !self.ident(name) {
                    return None;
                }
                let end = self.find(name, brace_or_semi);
                self.push(name, DefKind::Function, (k, end), parent);
                Some((end, Scope::Other))
            }
            "class" if self.ident(j + 1) && self.w(j + 1) != "extends" => {
                let end = self.find(j + 1, |t| t.is(b'{'));
                self.push(j + 1, DefKind::Class, (k, end), parent);
                Some((end, Scope::Holds(Some(self.defs.len() - 1), Body::Class)))
            }
            "interface" if ts && self.ident(j + 1) => {
                let end = self.find(j + 1, |t| t.is(b'{'));
                self.push(j + 1, DefKind::Interface, (k, end), parent);
                Some((
                    end,
                    Scope::Holds(Some(self.defs.len() - 1), Body::Interface),
                ))
            }
            "global" if ts && self.is(j + 1, b'{') => {
                Some((j + 1, Scope::Holds(parent, Body::Items)))
            }
            "namespace" | "module" if ts && self.ident(j + 1) => {
                let end = self.find(j + 1, |t| t.is(b'{'));
                self.push(j + 1, DefKind::Module, (k, end), parent);
                Some((end, Scope::Holds(Some(self.defs.len() - 1), Body::Items)))
            }
            "type" if ts && self.ident(j + 1) && (self.is(j + 2, b'=') || self.is(j + 2, b'<')) => {
                let end = self.find(j + 2, |t| t.is(b'=') || t.is(b';') || t.first);
                self.push(j + 1, DefKind::Type, (k, end), parent);
                Some((end, Scope::Other))
            }
            "enum" if ts && self.ident(j + 1) => {
                let end = self.find(j + 1, |t| t.is(b'{'));
                self.push(j + 1, DefKind::Enum, (k, end), parent);
                Some((end, Scope::Other))
            }
            "const" if ts && self.w(j + 1) == "enum" && self.ident(j + 2) => {
                let end = self.find(j + 2, |t| t.is(b'{'));
                self.push(j + 2, DefKind::Enum, (k, end), parent);
                Some((end, Scope::Other))
            }
            "const" | "let" | "var" if self.ident(j + 1) => {
                let mut eq = j + 2;
                if self.is(eq, b':') {
                    eq = self.find(eq, |t| t.is(b'=') || t.is(b';'));
                }
                if !self.is(eq, b'=') {
                    return None;
                }
                self.js_assigned(k, j + 1, eq, parent)
            }
            _ if self.ident(j) && j == k => {
                // `a.b.c = function…` / `exports.x = (…) => …` / `module.exports = {…}`.
                let mut name = j;
                while self.is(name + 1, b'.') && self.ident(name + 2) {
                    name += 2;
                }
                if !self.is(name + 1, b'=') || self.is(name + 2, b'=') {
                    return None;
                }
                self.js_assigned(k, name, name + 1, parent)
            }
            _ => None,
        }
    }

    /// `name = value` at `eq`: a definition when the value is a function; an object literal
    /// assigned at the top level holds definitions too.
    fn js_assigned(
        &mut self,
        k: usize,
        name: usize,
        eq: usize,
        parent: Option<usize>,
    ) -> Option<(usize, Scope)> {
        if self.is(eq + 1, b'{') && parent.is_none() {
            return Some((eq + 1, Scope::Holds(None, Body::Object)));
        }
        // `var a = exports.b = function…`: the last name assigned.
        if self.ident(eq + 1) {
            let mut last = eq + 1;
            while self.is(last + 1, b'.') && self.ident(last + 2) {
                last += 2;
            }
            let assigns = self.is(last + 1, b'=') && !self.is(last + 2, b'=');
            if assigns && !self.is(last + 2, b'>') {
                return self.js_assigned(k, last, last + 1, parent);
            }
        }
        let body = self.js_function_value(eq + 1)?;
        self.push(name, DefKind::Function, (k, body), parent);
        Some((body, Scope::Other))
    }

    /// When the expression at `v` is a function (`function…`, `async (…) => …`, `x => …`),
    /// the index where its signature ends (its `{` or `=>`).
    fn js_function_value(&self, mut v: usize) -> Option<usize> {
        if self.w(v) == "async" {
            v += 1;
        }
        if self.w(v) == "function" {
            return Some(self.find(v, |t| t.is(b'{')));
        }
        if self.is(v, b'<') {
            v = (v..self.t.len().min(v + 30)).find(|&x| self.is(x, b'('))?;
        }
        let after = if self.is(v, b'(') {
            self.close(v) + 1
        } else if self.ident(v) {
            v + 1
        } else {
            return None;
        };
        let arrow = |x: usize| self.is(x, b'=') && self.is(x + 1, b'>');
        if arrow(after) {
            return Some(after + 2);
        }
        if self.is(after, b':') {
            // A return type, then the arrow.
            let end = self.find(after, |t| t.is(b';') || t.is(b'{') || t.is(b'=') || t.first);
            if arrow(end) {
                return Some(end + 2);
            }
        }
        None
    }

    /// A member of a class body, an interface or a top-level object literal.
    fn js_property(
        &mut self,
        k: usize,
        mut j: usize,
        parent: Option<usize>,
        body: Body,
    ) -> Option<(usize, Scope)> {
        let modifier = |s: &Self, x: usize| {
            matches!(
                s.w(x),
                "static"
                    | "async"
                    | "get"
                    | "set"
                    | "public"
                    | "private"
                    | "protected"
                    | "readonly"
                    | "abstract"
                    | "override"
                    | "declare"
                    | "accessor"
            ) && (s.ident(x + 1) || s.is(x + 1, b'#') || s.is(x + 1, b'*') || s.is(x + 1, b'['))
        };
        while modifier(self, j) || self.is(j, b'*') {
            j += 1;
        }
        if self.is(j, b'#') && self.ident(j + 1) {
            j += 1;
        }
        if !(self.ident(j) || self.t.get(j).is_some_and(|t| t.kind == Tok::Str)) {
            return None;
        }
        let name = j;
        let mut after = j + 1;
        if self.is(after, b'?') || self.is(after, b'!') {
            after += 1;
        }
        if self.is(after, b'<') {
            after = (after..self.t.len().min(after + 30)).find(|&x| self.is(x, b'('))?;
        }
        let kind = if parent.is_some() {
            DefKind::Method
        } else {
            DefKind::Function
        };
        if self.is(after, b'(') {
            let end = self.find(after, |t| t.is(b'{') || t.is(b';') || t.is(b',') || t.first);
            let construct = body == Body::Interface && self.w(name) == "new";
            if self.t[name].kind == Tok::Ident && !construct {
                self.push(name, kind, (k, end), parent);
            }
            return Some((end, Scope::Other));
        }
        let value = match (body, self.t.get(after).map(|t| t.kind)) {
            (Body::Object, Some(Tok::Punct(b':'))) => after + 1,
            (Body::Class, Some(Tok::Punct(b'='))) => after + 1,
            _ => return None,
        };
        let end = self.js_function_value(value)?;
        if self.t[name].kind == Tok::Ident {
            self.push(name, kind, (k, end), parent);
        }
        Some((end, Scope::Other))
    }
}

/// The largest character boundary of `s` at or below `at`.
fn floor(s: &str, at: usize) -> usize {
    (0..=at.min(s.len()))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
