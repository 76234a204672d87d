//! Python definitions: by indentation, outside function bodies.

use super::{DefKind, Scanner};
use crate::context::lex::Tok;

impl Scanner<'_> {
    /// Python: `def`, `async def` and `class` at the start of a logical line, not inside a
    /// function (by indentation).
    pub(super) fn python(&mut self) {
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
}
