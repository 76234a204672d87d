//! Server-sent events as the WHATWG spec reads them: lines end in LF, CRLF or CR, a leading BOM
//! is dropped, a line starting with `:` is a comment, `data:` lines join with a newline, and a
//! blank line ends an event. A line that is no SSE field is handed on as [`Item::Unknown`]
//! instead of being dropped in silence, and costs nothing else: the events around it are kept.
//! A line longer than [`MAX_LINE`] is skipped (and reported), so memory stays bounded.

/// The longest line (and the most data of one event) kept, in bytes.
pub const MAX_LINE: usize = 4 << 20;

/// The byte order mark a stream may start with.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What the parser found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A complete event: its `event:` name and its `data:` lines, joined.
    Event {
        event: Option<String>,
        data: Option<String>,
    },
    /// A line that is no SSE field (no API sends one; the spec would ignore it), as sent, or
    /// the words for a line skipped for its length.
    Unknown(String),
}

/// An incremental SSE parser: feed it the body's bytes as they arrive, cut anywhere.
#[derive(Debug, Default)]
pub struct SseParser {
    /// The start of a line whose end has not arrived.
    line: Vec<u8>,
    /// The current line outgrew [`MAX_LINE`]: its bytes are dropped until it ends.
    skipping: bool,
    /// The last piece ended in CR: a LF opening the next one ends no further line.
    after_cr: bool,
    /// Whether the first line was seen (it may start with a BOM).
    started: bool,
    /// The event being read.
    event: Option<String>,
    data: Option<String>,
    /// A field of the event being read was seen.
    open: bool,
}

impl SseParser {
    /// Parses `bytes`, the next piece of the body, adding what it completes to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<Item>) {
        if std::mem::take(&mut self.after_cr) && bytes.first() == Some(&b'\n') {
            bytes = &bytes[1..];
        }
        while let Some(end) = memchr::memchr2(b'\n', b'\r', bytes) {
            if self.line.is_empty() && !self.skipping {
                self.complete(&bytes[..end], out);
            } else {
                self.extend(&bytes[..end], out);
                let line = std::mem::take(&mut self.line);
                if !std::mem::take(&mut self.skipping) {
                    self.complete(&line, out);
                }
                self.line = line;
                self.line.clear();
            }
            let cr = bytes[end] == b'\r';
            bytes = &bytes[end + 1..];
            if cr {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.extend(bytes, out);
    }

    /// Adds the start of a line, unless it grew too long.
    fn extend(&mut self, bytes: &[u8], out: &mut Vec<Item>) {
        if self.skipping || bytes.is_empty() {
            return;
        }
        if self.line.len() + bytes.len() > MAX_LINE {
            self.skipping = true;
            self.line.clear();
            out.push(Item::Unknown(too_long()));
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    /// Reads one complete line (without its end).
    fn complete(&mut self, mut line: &[u8], out: &mut Vec<Item>) {
        if !std::mem::replace(&mut self.started, true) {
            line = line.strip_prefix(BOM).unwrap_or(line);
        }
        if line.len() > MAX_LINE {
            out.push(Item::Unknown(too_long()));
            return;
        }
        if line.is_empty() {
            if std::mem::take(&mut self.open) {
                let data = self.data.take().map(|mut data| {
                    data.pop();
                    data
                });
                out.push(Item::Event {
                    event: self.event.take(),
                    data,
                });
            }
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        let text = || String::from_utf8_lossy(value);
        match name {
            b"data" => {
                let data = self.data.get_or_insert_with(String::new);
                if data.len() + value.len() >= MAX_LINE {
                    out.push(Item::Unknown(too_long()));
                    return;
                }
                // Each data line ends in a newline; the last one is dropped when the event ends.
                data.push_str(&text());
                data.push('\n');
                self.open = true;
            }
            b"event" => {
                self.event = Some(text().into_owned());
                self.open = true;
            }
            b"id" | b"retry" => self.open = true,
            _ => out.push(Item::Unknown(String::from_utf8_lossy(line).into_owned())),
        }
    }
}

/// The words for a line skipped for its length.
fn too_long() -> String {
    format!("a line over {} MiB (skipped)", MAX_LINE >> 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: Option<&str>, data: &str) -> Item {
        Item::Event {
            event: name.map(Into::into),
            data: Some(data.into()),
        }
    }

    /// The items of `body` fed whole, byte by byte, and at every split into two pieces.
    fn parse_every_way(body: &[u8]) -> Vec<Item> {
        let mut whole = Vec::new();
        SseParser::default().feed(body, &mut whole);
        let mut bytewise = Vec::new();
        let mut p = SseParser::default();
        for b in body {
            p.feed(std::slice::from_ref(b), &mut bytewise);
        }
        assert_eq!(bytewise, whole, "byte by byte");
        for cut in 0..=body.len() {
            let mut split = Vec::new();
            let mut p = SseParser::default();
            p.feed(&body[..cut], &mut split);
            p.feed(&body[cut..], &mut split);
            assert_eq!(split, whole, "cut at {cut}");
        }
        whole
    }

    #[test]
    fn events_end_at_a_blank_line_whatever_the_line_ends() {
        let body =
            b"\xEF\xBB\xBF: keep-alive\r\n\r\ndata: a\r\n\r\nevent: x\rdata: b\r\rdata:c\n\n";
        assert_eq!(
            parse_every_way(body),
            [event(None, "a"), event(Some("x"), "b"), event(None, "c")]
        );
    }

    #[test]
    fn data_lines_join_with_newlines_and_keep_empty_ones() {
        let body = b"data: one\ndata:\ndata:  two\n\ndata\n\n";
        assert_eq!(
            parse_every_way(body),
            [event(None, "one\n\n two"), event(None, "")]
        );
    }

    #[test]
    fn a_line_that_is_no_field_is_reported_and_loses_nothing_around_it() {
        let body = b"data: a\n\nbogus\nx-custom: 1\nerror: {\"message\":\"m\"}\n\ndata: b\n\n";
        assert_eq!(
            parse_every_way(body),
            [
                event(None, "a"),
                Item::Unknown("bogus".into()),
                Item::Unknown("x-custom: 1".into()),
                Item::Unknown("error: {\"message\":\"m\"}".into()),
                event(None, "b"),
            ]
        );
    }

    #[test]
    fn id_and_retry_open_an_event_and_an_unfinished_one_is_dropped() {
        let body = b"id: 7\nretry: 10\n\nevent: ping\n\ndata: [DONE]\n";
        assert_eq!(
            parse_every_way(body),
            [
                Item::Event {
                    event: None,
                    data: None
                },
                Item::Event {
                    event: Some("ping".into()),
                    data: None
                },
            ]
        );
    }

    #[test]
    fn invalid_utf8_is_kept_as_replacement_characters() {
        let body = b"data: caf\xC3\xA9 \xFF!\n\n";
        assert_eq!(parse_every_way(body), [event(None, "café \u{FFFD}!")]);
    }

    #[test]
    fn an_endless_line_is_skipped_in_bounded_memory() {
        let mut p = SseParser::default();
        let mut out = Vec::new();
        let piece = vec![b'x'; 1 << 20];
        p.feed(b"data: ", &mut out);
        for _ in 0..6 {
            p.feed(&piece, &mut out);
            assert!(p.line.capacity() <= 2 * MAX_LINE);
        }
        p.feed(b"\n\ndata: after\n\n", &mut out);
        assert_eq!(out, [Item::Unknown(too_long()), event(None, "after")]);
    }
}
