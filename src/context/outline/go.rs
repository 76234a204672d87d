//! Go functions, methods and types at the top level.

use super::{DefKind, Scanner};
use crate::context::lex::Tok;

impl Scanner<'_> {
    /// Go: functions, methods and types at the top level.
    pub(super) fn go(&mut self) {
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
}
