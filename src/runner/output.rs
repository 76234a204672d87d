//! Bounded capture of a run's output: lines split from raw chunks (lossy UTF-8, oversized lines
//! cut), keeping the head and the tail and counting what was dropped in between.

use std::collections::VecDeque;

/// Longest line kept, in bytes; the rest of a longer line is dropped.
pub const MAX_LINE_BYTES: usize = 4096;
/// Lines kept from the start of the output.
pub const HEAD_LINES: usize = 200;
/// Lines kept from the end of the output.
pub const TAIL_LINES: usize = 2000;

/// Splits a byte stream into lines without ever holding more than one bounded line.
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
    /// Bytes of the current line dropped because it was too long.
    overflow: usize,
}

impl LineSplitter {
    /// Feeds a chunk; calls `emit` for each complete line (lossy UTF-8, no terminator; for
    /// lines rewritten with `\r`, the last version, as a terminal would show it).
    pub fn push(&mut self, chunk: &[u8], emit: &mut impl FnMut(&str)) {
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', chunk) {
            let line = &chunk[start..end];
            if self.partial.is_empty() && self.overflow == 0 && line.len() <= MAX_LINE_BYTES {
                // The common case: a whole line inside the chunk, emitted without a copy.
                emit_bytes(line, 0, emit);
            } else {
                self.take(line);
                self.emit_partial(emit);
            }
            start = end + 1;
        }
        self.take(&chunk[start..]);
    }

    /// Emits a last line without a terminator, if any.
    pub fn finish(&mut self, emit: &mut impl FnMut(&str)) {
        if !self.partial.is_empty() || self.overflow > 0 {
            self.emit_partial(emit);
        }
    }

    fn take(&mut self, bytes: &[u8]) {
        let room = MAX_LINE_BYTES.saturating_sub(self.partial.len());
        let kept = bytes.len().min(room);
        self.partial.extend_from_slice(&bytes[..kept]);
        self.overflow += bytes.len() - kept;
    }

    fn emit_partial(&mut self, emit: &mut impl FnMut(&str)) {
        emit_bytes(&self.partial, self.overflow, emit);
        self.partial.clear();
        self.overflow = 0;
    }
}

/// Emits one line's bytes: the text after the last `\r`, lossy UTF-8, with a note of the bytes
/// cut off an oversized line.
fn emit_bytes(mut bytes: &[u8], overflow: usize, emit: &mut impl FnMut(&str)) {
    if bytes.last() == Some(&b'\r') {
        bytes = &bytes[..bytes.len() - 1];
    }
    if let Some(cr) = memchr::memrchr(b'\r', bytes) {
        bytes = &bytes[cr + 1..];
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    if overflow > 0 {
        emit(&format!("{text}… [{overflow} more bytes]"));
    } else {
        emit(&text);
    }
}

/// The head and tail of a run's output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputLog {
    head: Vec<String>,
    tail: VecDeque<String>,
    /// Lines seen in all.
    pub total_lines: u64,
    /// Lines dropped between the head and the tail.
    pub dropped_lines: u64,
}

impl OutputLog {
    /// Records one line.
    pub fn push(&mut self, line: &str) {
        self.total_lines += 1;
        if self.head.len() < HEAD_LINES {
            self.head.push(line.to_string());
            return;
        }
        let mut kept = if self.tail.len() == TAIL_LINES {
            self.dropped_lines += 1;
            // Reuse the oldest line's buffer: no allocation per line in a long run.
            self.tail.pop_front().unwrap_or_default()
        } else {
            String::new()
        };
        kept.clear();
        kept.push_str(line);
        self.tail.push_back(kept);
    }

    /// The kept lines in order, with a marker line where lines were dropped.
    pub fn lines(&self) -> impl Iterator<Item = &str> + '_ {
        let marker = (self.dropped_lines > 0).then_some(());
        self.head
            .iter()
            .map(String::as_str)
            .chain(marker.into_iter().map(|()| "…"))
            .chain(self.tail.iter().map(String::as_str))
    }

    /// The last `n` kept lines.
    pub fn last(&self, n: usize) -> Vec<&str> {
        let kept: Vec<&str> = self.lines().collect();
        kept[kept.len().saturating_sub(n)..].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut s = LineSplitter::default();
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut |l| out.push(l.to_string()));
        }
        s.finish(&mut |l| out.push(l.to_string()));
        out
    }

    #[test]
    fn lines_split_across_chunks_with_crlf_and_cr() {
        assert_eq!(
            split(&[b"ab", b"c\r\nde", b"f\n10%\r50%\r100%\ntail"]),
            ["abc", "def", "100%", "tail"]
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_not_lost() {
        assert_eq!(split(&[b"ok \xff\xfe end\n"]), ["ok \u{fffd}\u{fffd} end"]);
        // A multi-byte character split across chunks survives.
        assert_eq!(split(&[b"caf\xc3", b"\xa9\n"]), ["café"]);
    }

    #[test]
    fn oversized_lines_are_cut_and_counted() {
        let long = vec![b'x'; MAX_LINE_BYTES + 100];
        let out = split(&[&long, b"\nnext\n"]);
        assert_eq!(out.len(), 2);
        assert!(out[0].ends_with("… [100 more bytes]"));
        assert_eq!(out[1], "next");
    }

    #[test]
    fn log_keeps_head_and_tail_in_bounded_memory() {
        let mut log = OutputLog::default();
        for i in 0..100_000 {
            log.push(&format!("line {i}"));
        }
        assert_eq!(log.total_lines, 100_000);
        assert_eq!(
            log.dropped_lines,
            100_000 - (HEAD_LINES + TAIL_LINES) as u64
        );
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), HEAD_LINES + TAIL_LINES + 1);
        assert_eq!(lines[0], "line 0");
        assert_eq!(lines[HEAD_LINES], "…");
        assert_eq!(*lines.last().unwrap(), "line 99999");
        assert_eq!(log.last(1), ["line 99999"]);
    }
}
