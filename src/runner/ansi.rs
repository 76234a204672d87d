//! Removing terminal escape sequences (colours, cursor moves, hyperlinks, titles, clipboard
//! writes, screen switches) from text: from output lines, and from a model's reply on its way to
//! a terminal, where a sequence may be cut between two pieces of the stream.

use std::borrow::Cow;

/// `line` without ANSI escape sequences; borrowed when there are none. Other control
/// characters stay.
pub fn strip(line: &str) -> Cow<'_, str> {
    if !line.contains('\x1b') {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    Stripper::default().push(line, &mut out);
    Cow::Owned(out)
}

/// `text` safe to print on a terminal: escape sequences and control characters removed, but
/// line breaks, tabs and carriage returns.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    Stripper::printable().push(text, &mut out);
    Cow::Owned(out)
}

/// Where the text stands between escape sequences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum State {
    #[default]
    Text,
    /// After ESC.
    Escape,
    /// A control sequence: parameters and intermediates, then one final byte.
    Csi,
    /// A charset selection: one more character.
    Charset,
    /// OSC, DCS, SOS, PM or APC: a string up to BEL or ST.
    Str,
    /// ESC inside a string: `\` makes it ST.
    StrEscape,
}

/// Removes escape sequences from text that arrives in pieces: a sequence cut between two
/// pieces is removed whole. A string sequence (OSC and kin) that never ends stops at the end of
/// its line, so an unterminated one costs at most that line.
#[derive(Debug, Default)]
pub struct Stripper {
    state: State,
    /// Remove the other control characters too (all but `\n`, `\t`, `\r`), C1 ones included.
    controls: bool,
}

impl Stripper {
    /// A stripper for text bound for a terminal: no sequences, no other control characters.
    pub fn printable() -> Self {
        Self {
            state: State::Text,
            controls: true,
        }
    }

    /// Appends `piece` to `out` without its escape sequences.
    pub fn push(&mut self, piece: &str, out: &mut String) {
        for c in piece.chars() {
            self.state = match self.state {
                State::Text => self.text(c, out),
                State::Escape => match c {
                    '[' => State::Csi,
                    ']' | 'P' | 'X' | '^' | '_' => State::Str,
                    '(' | ')' | '*' | '+' | '-' | '.' | '/' => State::Charset,
                    _ => State::Text,
                },
                State::Charset => State::Text,
                State::Csi => match c {
                    '\x20'..='\x3f' => State::Csi,
                    '\x40'..='\x7e' => State::Text,
                    // Not part of a control sequence: the sequence is over, the text goes on.
                    _ => self.text(c, out),
                },
                State::Str => match c {
                    '\x07' | '\u{9c}' => State::Text,
                    '\x1b' => State::StrEscape,
                    '\n' => {
                        out.push('\n');
                        State::Text
                    }
                    _ => State::Str,
                },
                State::StrEscape => match c {
                    '\\' => State::Text,
                    '\x1b' => State::StrEscape,
                    _ => State::Str,
                },
            };
        }
    }

    /// One character of text: kept, or the start of a sequence, or (in printable mode) a
    /// control character dropped.
    fn text(&self, c: char, out: &mut String) -> State {
        match c {
            '\x1b' => State::Escape,
            '\u{9b}' if self.controls => State::Csi,
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' if self.controls => State::Str,
            '\n' | '\t' | '\r' => {
                out.push(c);
                State::Text
            }
            c if self.controls && c.is_control() => State::Text,
            c => {
                out.push(c);
                State::Text
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Stripper, printable, strip};

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
            let _ = printable(s);
        }
    }

    #[test]
    fn printable_text_keeps_no_sequence_and_no_control_but_the_layout() {
        let reply = "Done.\x1b]52;c;ZWNobyBoaQ==\x07\x1b[?1049l\x1b]0;pwned\x1b\\\x07\x08\
                     \u{9b}2J\u{9d}0;t\u{9c}\n\tkeep\r\n";
        assert_eq!(printable(reply), "Done.\n\tkeep\r\n");
        assert_eq!(printable("plain ✓ text"), "plain ✓ text");
    }

    #[test]
    fn a_sequence_cut_between_pieces_is_removed_whole() {
        let reply = "a\x1b]52;c;aGVsbG8=\x07b\x1b[?1049lc\x1b]0;title\x1b\\d";
        // Every way of cutting the reply in two gives the same text.
        for cut in (0..=reply.len()).filter(|&i| reply.is_char_boundary(i)) {
            let mut stripper = Stripper::printable();
            let mut out = String::new();
            stripper.push(&reply[..cut], &mut out);
            stripper.push(&reply[cut..], &mut out);
            assert_eq!(out, "abcd", "cut at {cut}");
        }
    }

    #[test]
    fn an_unterminated_string_sequence_costs_only_its_line() {
        assert_eq!(printable("x\x1b]0;never ends\nnext line"), "x\nnext line");
        // Text that cannot be part of a control sequence ends it.
        assert_eq!(printable("\x1b[12\u{e9}t\u{e9}"), "\u{e9}t\u{e9}");
    }
}
