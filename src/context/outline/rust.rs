//! Rust items: in the file, inline modules, impls and traits.

use super::{Body, DefKind, Scanner, Scope};
use crate::context::lex::Tok;

impl Scanner<'_> {
    /// Rust: items in the file, in inline modules, impls and traits.
    pub(super) fn rust(&mut self) {
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
}
