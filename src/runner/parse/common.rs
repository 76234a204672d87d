//! Helpers shared by the parsers: bounded text, locations, durations, a result store.

use std::collections::HashMap;

use crate::runner::result::{TestResult, TestStatus};

/// The most bytes of captured output kept per test (the head is kept).
pub const OUTPUT_CAP: usize = 64 * 1024;
/// The most bytes of a one-line message.
pub const MESSAGE_CAP: usize = 2 * 1024;
/// Appended once when a test's output reaches [`OUTPUT_CAP`].
pub const OUTPUT_CUT_NOTE: &str = "\n[output truncated at 64 KiB]\n";

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
pub fn prefix_at_most(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Appends `line` and a newline to `out`, keeping `out` within [`OUTPUT_CAP`] (plus a note).
pub fn push_output(out: &mut String, line: &str) {
    if out.ends_with(OUTPUT_CUT_NOTE) {
        return;
    }
    let room = OUTPUT_CAP.saturating_sub(out.len());
    if line.len() < room {
        out.push_str(line);
        out.push('\n');
    } else {
        out.push_str(prefix_at_most(line, room));
        out.push_str(OUTPUT_CUT_NOTE);
    }
}

/// Appends already-terminated text (which may hold several lines) within the same bound.
pub fn push_raw(out: &mut String, text: &str) {
    if out.ends_with(OUTPUT_CUT_NOTE) {
        return;
    }
    let room = OUTPUT_CAP.saturating_sub(out.len());
    if text.len() <= room {
        out.push_str(text);
    } else {
        out.push_str(prefix_at_most(text, room));
        out.push_str(OUTPUT_CUT_NOTE);
    }
}

/// A one-line message: the first non-blank line, trimmed, at most [`MESSAGE_CAP`] bytes.
pub fn message(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(bounded_message(line))
}

/// Caps an already one-line message at [`MESSAGE_CAP`] bytes, marking the cut with `…`.
pub fn bounded_message(line: &str) -> String {
    let line = line.trim();
    if line.len() <= MESSAGE_CAP {
        line.to_string()
    } else {
        let mut m = prefix_at_most(line, MESSAGE_CAP - '…'.len_utf8()).to_string();
        m.push('…');
        m
    }
}

/// Seconds (as runners print them) to whole milliseconds, rounded.
pub fn secs_to_ms(secs: f64) -> Option<u64> {
    if secs.is_finite() && secs >= 0.0 {
        // Saturating float-to-int conversion: absurd values become u64::MAX, never panic.
        Some((secs * 1000.0).round() as u64)
    } else {
        None
    }
}

/// Milliseconds as a float (node's `duration_ms: 2.5`) to whole milliseconds, rounded.
pub fn float_ms(ms: f64) -> Option<u64> {
    if ms.is_finite() && ms >= 0.0 {
        Some(ms.round() as u64)
    } else {
        None
    }
}

/// Splits `path:line` or `path:line:col` (the path may itself hold colons, e.g. `C:\x`).
pub fn split_location(loc: &str) -> Option<(&str, u32)> {
    let loc = loc.trim();
    let (rest, last) = loc.rsplit_once(':')?;
    let last_num = last.parse::<u32>().ok()?;
    // `path:line:col`: the part before the last colon ends in a number too.
    if let Some((path, line)) = rest.rsplit_once(':')
        && let Ok(line) = line.parse::<u32>()
        && !path.is_empty()
    {
        return Some((path, line));
    }
    if rest.is_empty() {
        return None;
    }
    Some((rest, last_num))
}

/// Whether a traceback path belongs to Python's standard library or installed packages.
pub fn is_python_library_path(path: &str) -> bool {
    path.contains("/lib/python")
        || path.contains("\\lib\\python")
        || path.contains("\\Lib\\")
        || path.contains("site-packages")
        || path.contains("dist-packages")
        || path.starts_with('<')
}

/// The results of one run with a name index, so details can be attached when they arrive.
#[derive(Debug, Default)]
pub struct ResultSet {
    pub results: Vec<TestResult>,
    index: HashMap<String, usize>,
}

impl ResultSet {
    /// The index of the result named `key` (a parser-chosen key, usually the name).
    pub fn find(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// Adds a result under `key`; a result already under that key is updated instead
    /// (a worse status wins: failed over passed over skipped). Returns its index.
    pub fn upsert(&mut self, key: String, result: TestResult) -> usize {
        if let Some(&i) = self.index.get(&key) {
            if let Some(existing) = self.results.get_mut(i) {
                existing.status = worse(existing.status, result.status);
                if existing.duration_ms.is_none() {
                    existing.duration_ms = result.duration_ms;
                }
                if existing.message.is_none() {
                    existing.message = result.message;
                }
                if existing.file.is_none() {
                    existing.file = result.file;
                    existing.line = result.line;
                }
                if existing.output.is_empty() {
                    existing.output = result.output;
                }
            }
            return i;
        }
        let i = self.results.len();
        self.results.push(result);
        self.index.insert(key, i);
        i
    }

    /// Adds a result whose key is its name.
    pub fn upsert_named(&mut self, result: TestResult) -> usize {
        self.upsert(result.name.clone(), result)
    }

    /// Adds a result that is never looked up by name (names may repeat). Returns its index.
    pub fn push(&mut self, result: TestResult) -> usize {
        self.results.push(result);
        self.results.len() - 1
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut TestResult> {
        self.results.get_mut(i)
    }

    pub fn count(&self, status: TestStatus) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }
}

/// The status that says more: a failure beats a pass, a pass beats a skip.
pub fn worse(a: TestStatus, b: TestStatus) -> TestStatus {
    fn rank(s: TestStatus) -> u8 {
        match s {
            TestStatus::Skipped => 0,
            TestStatus::Passed => 1,
            TestStatus::Failed => 2,
        }
    }
    if rank(b) > rank(a) { b } else { a }
}

/// The most results made up from summary counts (a garbage count must not exhaust memory).
pub const MAX_UNNAMED: usize = 100_000;

/// Results a quiet run counted in its summary line but never named, so that the counts stay
/// right: `(unnamed passed test 1)` and so on (at most [`MAX_UNNAMED`] in all); the first one
/// carries `hint` as its output.
pub fn unnamed(status: TestStatus, n: usize, hint: &str, out: &mut Vec<TestResult>) {
    let word = match status {
        TestStatus::Passed => "passed",
        TestStatus::Failed => "failed",
        TestStatus::Skipped => "skipped",
    };
    let n = n.min(MAX_UNNAMED.saturating_sub(out.len()));
    for k in 1..=n {
        let mut r = TestResult::new(format!("(unnamed {word} test {k})"), status);
        if k == 1 {
            r.output = format!("{hint}\n");
        }
        out.push(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_capped_once() {
        let mut out = String::new();
        let line = "x".repeat(1000);
        for _ in 0..200 {
            push_output(&mut out, &line);
        }
        assert!(out.len() <= OUTPUT_CAP + OUTPUT_CUT_NOTE.len());
        assert!(out.ends_with(OUTPUT_CUT_NOTE));
        assert_eq!(out.matches("truncated").count(), 1);
        // Multi-byte characters are never split.
        let mut out = String::new();
        for _ in 0..40_000 {
            push_output(&mut out, "é");
        }
        assert!(out.ends_with(OUTPUT_CUT_NOTE));
    }

    #[test]
    fn messages_are_one_bounded_line() {
        assert_eq!(message("\n  first \nsecond").as_deref(), Some("first"));
        assert_eq!(message("   \n "), None);
        let long = "é".repeat(5000);
        let m = bounded_message(&long);
        assert!(m.len() <= MESSAGE_CAP);
        assert!(m.ends_with('…'));
    }

    #[test]
    fn locations() {
        assert_eq!(split_location("src/lib.rs:10:5"), Some(("src/lib.rs", 10)));
        assert_eq!(
            split_location("tests/test_a.py:12"),
            Some(("tests/test_a.py", 12))
        );
        assert_eq!(split_location("C:\\x\\a.js:3:1"), Some(("C:\\x\\a.js", 3)));
        assert_eq!(split_location("nothing"), None);
        assert_eq!(split_location(":3"), None);
        assert_eq!(split_location("a:b"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(secs_to_ms(0.0305), Some(31));
        assert_eq!(secs_to_ms(-1.0), None);
        assert_eq!(secs_to_ms(f64::NAN), None);
        assert_eq!(secs_to_ms(1e300), Some(u64::MAX));
        assert_eq!(float_ms(2.559), Some(3));
    }
}
