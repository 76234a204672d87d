//! The API keys specbench knows, and the one redactor every writer uses before anything reaches
//! a file: the session journal, cassettes, the log and exports. A key is known by its value:
//! the values of `$OPENAI_API_KEY`, `$ANTHROPIC_API_KEY` and the configured `api_key_env`.
//! A reply streamed in pieces goes through a [`StreamRedactor`], so a key cut across two
//! pieces is caught too.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::Arc;

use memchr::memmem;
use serde::Serialize;
use serde_json::Value;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// The shortest value treated as a key. Shorter values are placeholders that local servers
/// accept (`none`, `ollama`, `x`); replacing them everywhere would mangle replies.
pub const MIN_LEN: usize = 8;

/// The key variables every provider might use, besides the configured one.
pub const WELL_KNOWN: [&str; 2] = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"];

/// The known secret values, longest first. Its `Debug` never shows them.
#[derive(Clone, Default)]
pub struct Secrets {
    values: Arc<[String]>,
    /// Each value as it reads inside a JSON string.
    escaped: Arc<[String]>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} values)", self.values.len())
    }
}

impl Secrets {
    /// These values (trimmed; empty and short ones dropped, duplicates once).
    pub fn new(values: impl IntoIterator<Item = String>) -> Secrets {
        let mut values: Vec<String> = values
            .into_iter()
            .map(|v| v.trim().to_string())
            .filter(|v| v.len() >= MIN_LEN)
            .collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        let escaped = values
            .iter()
            .map(|v| {
                let quoted = serde_json::to_string(v).unwrap_or_default();
                quoted[1..quoted.len() - 1].to_string()
            })
            .collect::<Vec<_>>();
        Secrets {
            values: values.into(),
            escaped: escaped.into(),
        }
    }

    /// The values of the well-known key variables and of `key_env` in this environment.
    pub fn from_env(key_env: &str) -> Secrets {
        let vars = WELL_KNOWN.iter().copied().chain([key_env]);
        Secrets::new(vars.filter_map(|v| std::env::var(v).ok()))
    }

    /// These secrets and `value`.
    pub fn with(&self, value: &str) -> Secrets {
        Secrets::new(self.values.iter().cloned().chain([value.to_string()]))
    }

    /// Whether no secret is known.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every known secret replaced by [`REDACTED`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for secret in self.values.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
            }
        }
        out
    }

    /// `bytes` with every known secret replaced by [`REDACTED`].
    pub fn redact_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let mut out = Cow::Borrowed(bytes);
        for secret in self.values.iter() {
            let finder = memmem::Finder::new(secret.as_bytes());
            if finder.find(&out).is_none() {
                continue;
            }
            let mut replaced = Vec::with_capacity(out.len());
            let mut last = 0;
            for at in finder.find_iter(&out) {
                replaced.extend_from_slice(&out[last..at]);
                replaced.extend_from_slice(REDACTED.as_bytes());
                last = at + secret.len();
            }
            replaced.extend_from_slice(&out[last..]);
            out = Cow::Owned(replaced);
        }
        out
    }

    /// Every string inside `value` redacted.
    pub fn redact_json(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Cow::Owned(clean) = self.redact(s) {
                    *s = clean;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.redact_json(v)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// `value` as one line of JSON with every secret in its strings redacted. Only a line
    /// that holds a secret (in its escaped JSON form) is rebuilt, string by string, so a
    /// replacement can never cut into the JSON's own syntax.
    pub fn to_json_line<T: Serialize>(&self, value: &T) -> serde_json::Result<Vec<u8>> {
        let line = serde_json::to_vec(value)?;
        let holds_one = (self.escaped.iter()).any(|s| memmem::find(&line, s.as_bytes()).is_some());
        if !holds_one {
            return Ok(line);
        }
        let mut tree = serde_json::to_value(value)?;
        self.redact_json(&mut tree);
        serde_json::to_vec(&tree)
    }

    /// A redactor for text that arrives in pieces.
    pub fn stream(&self) -> StreamRedactor {
        StreamRedactor {
            secrets: self.clone(),
            held: String::new(),
        }
    }

    /// The length of the longest end of `text` that is the start of a secret (but not all of
    /// one): what must wait for the next piece to tell.
    fn partial_tail(&self, text: &str) -> usize {
        let bytes = text.as_bytes();
        let mut longest = 0;
        for secret in self.values.iter() {
            let secret = secret.as_bytes();
            let most = (secret.len() - 1).min(bytes.len());
            for k in (longest + 1..=most).rev() {
                if bytes.ends_with(&secret[..k]) {
                    longest = k;
                    break;
                }
            }
        }
        longest
    }
}

/// Redacts a text that arrives in pieces (a streamed reply). The end of a piece that could be
/// the start of a key is held back until the next piece shows whether it is one, so a key cut
/// across pieces is caught; what [`StreamRedactor::push`] returns is final.
#[derive(Debug)]
pub struct StreamRedactor {
    secrets: Secrets,
    held: String,
}

impl StreamRedactor {
    /// What of the text so far can be shown and written now, redacted.
    pub fn push(&mut self, piece: &str) -> String {
        if self.secrets.is_empty() {
            return piece.to_string();
        }
        self.held.push_str(piece);
        let clean = self.secrets.redact(&self.held).into_owned();
        // The tail is the start of a secret, which starts on a character boundary.
        let cut = clean.len() - self.secrets.partial_tail(&clean);
        self.held = clean[cut..].to_string();
        let mut ready = clean;
        ready.truncate(cut);
        ready
    }

    /// The text held back, at the end of the stream: the start of a key that never finished.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

/// A writer that redacts the secrets in every write before passing it on. Each write must
/// hold whole lines (as the log's writer gets one event per write), so no key is cut in two.
#[derive(Debug)]
pub struct RedactingWriter<W> {
    inner: W,
    secrets: Secrets,
}

impl<W: Write> RedactingWriter<W> {
    /// Writes to `inner` with `secrets` redacted.
    pub fn new(inner: W, secrets: Secrets) -> Self {
        Self { inner, secrets }
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_all(&self.secrets.redact_bytes(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-proj-abc123XYZ";

    fn secrets() -> Secrets {
        Secrets::new([KEY.to_string(), " other-secret-value \n".to_string()])
    }

    #[test]
    fn known_values_are_redacted_and_placeholders_are_not_secrets() {
        let s = secrets();
        assert_eq!(
            s.redact(&format!("a {KEY} b other-secret-value c")),
            "a [redacted] b [redacted] c"
        );
        assert!(matches!(s.redact("nothing here"), Cow::Borrowed(_)));
        let short = Secrets::new(["none".to_string(), "ollama".to_string(), String::new()]);
        assert!(short.is_empty());
        assert_eq!(short.redact("ollama none"), "ollama none");
        assert_eq!(format!("{s:?}"), "Secrets(2 values)");
        assert_eq!(
            s.redact_bytes(format!("{KEY}{KEY}.").as_bytes()).as_ref(),
            b"[redacted][redacted]."
        );
    }

    #[test]
    fn the_longer_of_two_overlapping_secrets_goes_first() {
        let s = Secrets::new(["abcdefgh".to_string(), "abcdefghijkl".to_string()]);
        assert_eq!(s.redact("xabcdefghijkly"), "x[redacted]y");
        assert_eq!(s.with("abcdefgh").values.len(), 2);
    }

    #[test]
    fn json_lines_are_redacted_inside_strings_and_stay_json() {
        let s = Secrets::new([KEY.to_string(), "we\"ird\\key1".to_string()]);
        let value = serde_json::json!({
            "text": format!("key {KEY}\n"),
            "list": ["we\"ird\\key1", 5, null],
            "type": "user",
        });
        let line = s.to_json_line(&value).unwrap();
        let back: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(back["text"], "key [redacted]\n");
        assert_eq!(back["list"][0], REDACTED);
        let plain = serde_json::json!({"b": 1, "a": "no secret"});
        assert_eq!(
            s.to_json_line(&plain).unwrap(),
            serde_json::to_vec(&plain).unwrap()
        );
    }

    /// Every way of cutting a text holding the key into three pieces gives the same redacted
    /// text, and no piece handed on holds the key or a part that ends the text unseen.
    #[test]
    fn a_key_cut_across_pieces_is_redacted() {
        let s = secrets();
        let text = format!("Your key is {KEY}, and sk-proj is a prefix; ends in sk-pr");
        let want = s.redact(&text).into_owned();
        for i in 0..=text.len() {
            for j in i..=text.len() {
                if !(text.is_char_boundary(i) && text.is_char_boundary(j)) {
                    continue;
                }
                let mut r = s.stream();
                let pieces = [
                    r.push(&text[..i]),
                    r.push(&text[i..j]),
                    r.push(&text[j..]),
                    r.finish(),
                ];
                assert!(pieces.iter().all(|p| !p.contains(KEY)), "{i} {j}");
                assert_eq!(pieces.concat(), want, "{i} {j}");
            }
        }
    }

    #[test]
    fn only_a_possible_start_of_a_key_is_held_back() {
        let s = secrets();
        let mut r = s.stream();
        assert_eq!(
            r.push("plain text, shown at once"),
            "plain text, shown at once"
        );
        assert_eq!(r.push("café sk-pr"), "café ");
        assert_eq!(r.push("oj-abc"), "");
        assert_eq!(r.push("!"), "sk-proj-abc!");
        assert_eq!(r.push("🦀"), "🦀");
        let mut none = Secrets::default().stream();
        assert_eq!(none.push("sk-pr"), "sk-pr");
    }

    #[test]
    fn the_writer_redacts_each_write() {
        let mut w = RedactingWriter::new(Vec::new(), secrets());
        let line = format!("error body: {KEY}\n");
        assert_eq!(w.write(line.as_bytes()).unwrap(), line.len());
        assert_eq!(w.inner, b"error body: [redacted]\n");
    }
}
