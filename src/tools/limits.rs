//! The caps on what the tools return, and the shortening of echoed arguments.

/// The most bytes of one result the model gets back.
pub const MAX_RESULT_BYTES: usize = 16 * 1024;
/// The most lines `read_file` returns at once.
pub const MAX_READ_LINES: usize = 400;
/// The most paths `list_files` returns.
pub const MAX_LISTED: usize = 400;
/// The most hits `search` returns.
pub const MAX_HITS: usize = 100;
/// The most files a listing or a search walks through.
pub const MAX_WALKED: usize = 20_000;
/// A line of a result longer than this (in characters) is cut.
pub const MAX_LINE_CHARS: usize = 400;

/// `text` on one line, at most `max` characters, `…` when cut.
pub(super) fn one_line(text: &str, max: usize) -> String {
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = words.chars().filter(|c| !c.is_control());
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}
