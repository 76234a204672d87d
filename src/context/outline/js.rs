//! JavaScript and TypeScript definitions: functions, classes and their members, functions
//! assigned at the top level, interfaces, types, enums and namespaces.

use super::{Body, DefKind, Scanner, Scope};
use crate::context::lex::{LexToken, Tok};

impl Scanner<'_> {
    /// JavaScript and TypeScript: functions, classes and their methods, functions assigned
    /// at the top level, and (TypeScript) interfaces, types, enums and namespaces.
    pub(super) fn js(&mut self, ts: bool) {
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
