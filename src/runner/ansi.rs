//! Removing terminal escape sequences (colours, cursor moves, hyperlinks) from output lines.

use std::borrow::Cow;

/// `line` without ANSI escape sequences; borrowed when there are none.
pub fn strip(line: &str) -> Cow<'_, str> {
    if !line.contains('\x1b') {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters and intermediates, then one final byte in @..~.
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // OSC (hyperlinks, titles): up to BEL or ST (ESC \).
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' {
                        break;
                    }
                    if c == '\x1b' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            // Two-byte escapes (charset selection takes one more).
            Some('(' | ')') => {
                chars.next();
            }
            Some(_) | None => {}
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::strip;

    #[test]
    fn removes_colours_cursor_moves_and_links() {
        assert_eq!(strip("plain"), "plain");
        assert_eq!(strip("\x1b[1;31mFAILED\x1b[0m x"), "FAILED x");
        assert_eq!(strip("a\x1b[2Kb\x1b[1Gc"), "abc");
        assert_eq!(
            strip("\x1b]8;;https://x.invalid\x1b\\link\x1b]8;;\x1b\\"),
            "link"
        );
        assert_eq!(strip("\x1b(Bok\x1b=\x07"), "ok\x07");
    }

    #[test]
    fn truncated_sequences_do_not_panic() {
        for s in ["\x1b", "\x1b[", "\x1b[31", "\x1b]8;;", "x\x1b("] {
            let _ = strip(s);
        }
    }
}
