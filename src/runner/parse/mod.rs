//! Streaming parsers for test runners' output, into the normalized results of DESIGN.md §6.
//!
//! Each format has a [`Parser`] fed one line at a time (ANSI codes already stripped). The
//! runner picks one with [`parser_for`] when the format is configured, or [`auto`], which
//! tries the command first and then the output. JUnit results come from an XML file:
//! [`junit::parse`].
//!
//! Every parser keeps bounded state: at most [`common::OUTPUT_CAP`] bytes of output per test
//! and [`common::MESSAGE_CAP`] per message; no input makes one panic.

mod common;
mod doctest;
mod gojson;
pub mod junit;
mod libtest;
mod pysource;
mod pytest;
mod tap;
mod unittest;

use std::sync::LazyLock;

use regex::Regex;

use crate::runner::result::{Format, Parser, Stream, TestResult};

pub use common::{MESSAGE_CAP, OUTPUT_CAP};

/// Lines kept while the format is still unknown.
const MAX_BUFFERED_LINES: usize = 10_000;
/// Bytes kept while the format is still unknown.
const MAX_BUFFERED_BYTES: usize = 16 * 1024 * 1024;

/// A parser for a known format (Junit: returns a parser that ignores lines; results come from
/// the XML file).
pub fn parser_for(format: Format) -> Box<dyn Parser> {
    match format {
        Format::Libtest => Box::new(libtest::LibtestParser::new()),
        Format::Pytest => Box::new(pytest::PytestParser::new()),
        Format::Unittest => Box::new(unittest::UnittestParser::new()),
        Format::GoJson => Box::new(gojson::GoJsonParser::new()),
        Format::Tap => Box::new(tap::TapParser::new()),
        Format::Junit => Box::new(junit::JunitLines),
    }
}

/// What only the workspace can tell, once a run's output is parsed: pytest's skips reported by
/// location (`-rA` folds them) get the node id of the test defined there.
pub fn resolve(format: Option<Format>, results: &mut [TestResult], root: &std::path::Path) {
    if format == Some(Format::Pytest) {
        pytest::resolve_skips(results, root);
    }
}

/// A parser that detects the format: first from the command (`cargo test`→Libtest,
/// `pytest`/`python -m pytest`/`py.test`→Pytest, `unittest`→Unittest, `go test` with
/// `-json`→GoJson, `node --test`/`tap`→Tap), else from the output lines (buffering at most
/// 10 000 lines until a line gives the format away, then replaying them into the real parser).
/// `format()` is `None` until detected.
pub fn auto(command: &str) -> Box<dyn Parser> {
    match detect_from_command(command) {
        Some(format) => parser_for(format),
        None => Box::new(Auto::default()),
    }
}

/// The format a test command's output will have, when the command tells.
pub fn detect_from_command(command: &str) -> Option<Format> {
    command
        .split(['\n', ';', '|', '&'])
        .find_map(|segment| detect_from_words(&shell_words(segment)))
}

/// Whitespace-separated words without surrounding quotes.
fn shell_words(segment: &str) -> Vec<&str> {
    segment
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
        .filter(|w| !w.is_empty())
        .collect()
}

/// A program's name without its directory or `.exe`.
fn program(word: &str) -> &str {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    base.strip_suffix(".exe").unwrap_or(base)
}

fn detect_from_words(words: &[&str]) -> Option<Format> {
    for (i, word) in words.iter().enumerate() {
        let rest = words.get(i + 1..).unwrap_or(&[]);
        // The subcommand: the first word that is not a flag or a `+toolchain`.
        let sub = || {
            rest.iter()
                .copied()
                .find(|w| !w.starts_with('-') && !w.starts_with('+'))
        };
        match program(word) {
            "cargo" => {
                return match sub() {
                    Some("test" | "t") => Some(Format::Libtest),
                    _ => None,
                };
            }
            "pytest" | "py.test" | "pytest-3" | "py.test-3" => return Some(Format::Pytest),
            "go" => {
                let json = rest.iter().any(|w| *w == "-json" || *w == "--json");
                return (sub() == Some("test") && json).then_some(Format::GoJson);
            }
            "node" | "nodejs" if rest.contains(&"--test") => {
                let reporter = rest.iter().enumerate().find_map(|(j, w)| {
                    if let Some(r) = w.strip_prefix("--test-reporter=") {
                        Some(r)
                    } else if *w == "--test-reporter" {
                        rest.get(j + 1).copied()
                    } else {
                        None
                    }
                });
                return match reporter {
                    None | Some("tap") => Some(Format::Tap),
                    Some(_) => None,
                };
            }
            "tap" | "tape" => return Some(Format::Tap),
            p if p.starts_with("python") || p == "py" => {
                let module = rest.iter().enumerate().find_map(|(j, w)| {
                    if *w == "-m" {
                        rest.get(j + 1).copied()
                    } else {
                        w.strip_prefix("-m").filter(|m| !m.is_empty())
                    }
                });
                match module {
                    Some("pytest") => return Some(Format::Pytest),
                    Some("unittest") => return Some(Format::Unittest),
                    _ => {}
                }
            }
            "unittest" => return Some(Format::Unittest),
            _ => {}
        }
    }
    None
}

/// `[100%]`-terminated progress of a quiet pytest run: `.FFs.x   [ 50%]`.
static PYTEST_QUIET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\S+\.py )?[.FEsxXpu]+\s+\[\s*\d+%\]$").expect("static regex"));
/// `test_x (module.Class.test_x) ... ok` or a block header `FAIL: test_x (module.Class)`.
static UNITTEST_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:FAIL|ERROR): )?[A-Za-z_]\w* \([A-Za-z_][\w.]*\)(?: \.\.\. |$)")
        .expect("static regex")
});

/// The format a single output line gives away, if any.
pub fn detect_from_line(line: &str) -> Option<Format> {
    let t = line.trim_start();
    if t.starts_with('{') {
        return t.contains("\"Action\"").then_some(Format::GoJson);
    }
    if t.starts_with("TAP version ") || t.starts_with("# Subtest: ") {
        return Some(Format::Tap);
    }
    if let Some(rest) = line
        .strip_prefix("ok ")
        .or_else(|| line.strip_prefix("not ok "))
        && rest.starts_with(|c: char| c.is_ascii_digit())
    {
        return Some(Format::Tap);
    }
    if line.starts_with(' ') && (t.starts_with("Running ") || t.starts_with("Doc-tests ")) {
        return Some(Format::Libtest);
    }
    if let Some(rest) = line.strip_prefix("running ") {
        let n = rest
            .strip_suffix(" tests")
            .or_else(|| rest.strip_suffix(" test"));
        if n.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
            return Some(Format::Libtest);
        }
    }
    if let Some(rest) = line.strip_prefix("test ")
        && let Some((_, status)) = rest.split_once(" ... ")
        && (status.starts_with("ok")
            || status.starts_with("FAILED")
            || status.starts_with("ignored"))
    {
        return Some(Format::Libtest);
    }
    if line.starts_with('=') && line.contains(" test session starts ") {
        return Some(Format::Pytest);
    }
    if line.starts_with("platform ") && line.contains(" pytest-") {
        return Some(Format::Pytest);
    }
    if line.contains(".py::")
        && [
            " PASSED", " FAILED", " ERROR", " SKIPPED", " XFAIL", " XPASS",
        ]
        .iter()
        .any(|s| line.contains(s))
    {
        return Some(Format::Pytest);
    }
    if line.ends_with("%]") && PYTEST_QUIET.is_match(line) {
        return Some(Format::Pytest);
    }
    if let Some(rest) = line.strip_prefix("Ran ")
        && rest.contains(" test")
        && rest.contains(" in ")
        && rest.starts_with(|c: char| c.is_ascii_digit())
    {
        return Some(Format::Unittest);
    }
    if line.contains(" (") && UNITTEST_LINE.is_match(line) {
        return Some(Format::Unittest);
    }
    None
}

/// Waits for a line that gives the format away, then hands everything to that format's parser.
#[derive(Default)]
struct Auto {
    inner: Option<Box<dyn Parser>>,
    buffer: Vec<(Stream, String)>,
    buffered_bytes: usize,
}

impl Parser for Auto {
    fn line(&mut self, stream: Stream, line: &str) {
        if let Some(p) = self.inner.as_mut() {
            p.line(stream, line);
            return;
        }
        if let Some(format) = detect_from_line(line) {
            let mut p = parser_for(format);
            for (s, l) in self.buffer.drain(..) {
                p.line(s, &l);
            }
            self.buffered_bytes = 0;
            p.line(stream, line);
            self.inner = Some(p);
            return;
        }
        if self.buffer.len() < MAX_BUFFERED_LINES
            && self.buffered_bytes.saturating_add(line.len()) <= MAX_BUFFERED_BYTES
        {
            self.buffered_bytes += line.len();
            self.buffer.push((stream, line.to_string()));
        }
    }

    fn results(&self) -> &[TestResult] {
        match &self.inner {
            Some(p) => p.results(),
            None => &[],
        }
    }

    fn finish(self: Box<Self>) -> Vec<TestResult> {
        match self.inner {
            Some(p) => p.finish(),
            None => Vec::new(),
        }
    }

    fn format(&self) -> Option<Format> {
        self.inner.as_ref().and_then(|p| p.format())
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Feeding fixtures and comparing results exactly.

    use crate::runner::result::{Parser, Stream, TestResult, TestStatus};

    /// Feeds text line by line (as the runner does: no `\n`, no `\r`) and finishes.
    pub fn feed(parser: Box<dyn Parser>, text: &str) -> Vec<TestResult> {
        feed_streams(parser, &[(Stream::Stdout, text)])
    }

    pub fn feed_streams(mut parser: Box<dyn Parser>, parts: &[(Stream, &str)]) -> Vec<TestResult> {
        for (stream, text) in parts {
            for line in text.split('\n') {
                parser.line(*stream, line.strip_suffix('\r').unwrap_or(line));
            }
        }
        parser.finish()
    }

    /// One expected result: every field compared exactly (duration only when set).
    #[derive(Debug, Clone)]
    pub struct Expect {
        pub name: String,
        pub suite: Option<String>,
        pub status: TestStatus,
        pub message: Option<String>,
        pub file: Option<String>,
        pub line: Option<u32>,
        pub duration_ms: Option<Option<u64>>,
    }

    impl Expect {
        pub fn new(name: &str, suite: &str, status: TestStatus) -> Self {
            Self {
                name: name.to_string(),
                suite: Some(suite.to_string()),
                status,
                message: None,
                file: None,
                line: None,
                duration_ms: None,
            }
        }

        pub fn no_suite(name: &str, status: TestStatus) -> Self {
            Self {
                suite: None,
                ..Self::new(name, "", status)
            }
        }

        pub fn message(mut self, m: &str) -> Self {
            self.message = Some(m.to_string());
            self
        }

        pub fn at(mut self, file: &str, line: u32) -> Self {
            self.file = Some(file.to_string());
            self.line = Some(line);
            self
        }
    }

    /// The results are exactly the expected ones (in any order).
    #[track_caller]
    pub fn check(results: &[TestResult], expected: &[Expect]) {
        let summary = |r: &TestResult| {
            format!(
                "{:?} {:?} {:?} msg={:?} at={:?}:{:?}",
                r.suite, r.name, r.status, r.message, r.file, r.line
            )
        };
        let all: Vec<String> = results.iter().map(summary).collect();
        for e in expected {
            let found: Vec<&TestResult> = results
                .iter()
                .filter(|r| r.name == e.name && r.suite == e.suite)
                .collect();
            assert_eq!(
                found.len(),
                1,
                "expected one {:?} in {:?}:\n{all:#?}",
                e.name,
                e.suite
            );
            let r = found[0];
            assert_eq!(r.status, e.status, "status of {}", e.name);
            assert_eq!(r.message, e.message, "message of {}", e.name);
            assert_eq!(r.file, e.file, "file of {}", e.name);
            assert_eq!(r.line, e.line, "line of {}", e.name);
            if let Some(d) = e.duration_ms {
                assert_eq!(r.duration_ms, d, "duration of {}", e.name);
            }
            assert!(
                r.output.len() <= super::OUTPUT_CAP + 64,
                "output of {}",
                e.name
            );
        }
        assert_eq!(results.len(), expected.len(), "result count:\n{all:#?}");
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::feed;
    use super::*;
    use crate::runner::result::TestStatus;

    #[test]
    fn formats_from_commands() {
        let cases: &[(&str, Option<Format>)] = &[
            ("cargo test", Some(Format::Libtest)),
            (
                "cargo +nightly test --workspace -- --nocapture",
                Some(Format::Libtest),
            ),
            ("cd crate && cargo test -q", Some(Format::Libtest)),
            ("cargo nextest run", None),
            ("cargo build", None),
            ("pytest -v", Some(Format::Pytest)),
            ("python -m pytest -q tests/", Some(Format::Pytest)),
            ("python3 -m pytest", Some(Format::Pytest)),
            ("/usr/bin/python3.11 -mpytest", Some(Format::Pytest)),
            ("py.test", Some(Format::Pytest)),
            (".venv/bin/pytest -rA", Some(Format::Pytest)),
            (
                "uv run pytest tests/test_unittest_style.py",
                Some(Format::Pytest),
            ),
            ("python3 -m unittest -v", Some(Format::Unittest)),
            (
                "python -m unittest discover -s tests",
                Some(Format::Unittest),
            ),
            ("go test -json ./...", Some(Format::GoJson)),
            ("go test ./...", None),
            ("go vet ./... && go test -json ./...", Some(Format::GoJson)),
            ("node --test", Some(Format::Tap)),
            ("node --test --test-reporter=tap test/", Some(Format::Tap)),
            ("node --test --test-reporter spec", None),
            ("node --test-reporter=dot --test", None),
            ("node script.js", None),
            ("npx tap test/*.js", Some(Format::Tap)),
            ("tape test/*.js", Some(Format::Tap)),
            ("npm test", None),
            ("make test", None),
            ("", None),
            ("RUST_LOG=debug cargo test", Some(Format::Libtest)),
        ];
        for (command, format) in cases {
            assert_eq!(detect_from_command(command), *format, "{command}");
        }
    }

    #[test]
    fn formats_from_lines() {
        let cases: &[(&str, Option<Format>)] = &[
            ("running 3 tests", Some(Format::Libtest)),
            ("running 1 test", Some(Format::Libtest)),
            (
                "     Running unittests src/lib.rs (target/debug/deps/x-1)",
                Some(Format::Libtest),
            ),
            ("   Doc-tests x", Some(Format::Libtest)),
            ("test tests::adds ... ok", Some(Format::Libtest)),
            ("running late", None),
            (
                "============================= test session starts ==============================",
                Some(Format::Pytest),
            ),
            (
                "tests/test_a.py::test_x PASSED                                [ 50%]",
                Some(Format::Pytest),
            ),
            (
                ".FFF...FssxE.F                                                           [100%]",
                Some(Format::Pytest),
            ),
            (
                "tests/test_calc.py .FFF...FssxE.F                                        [100%]",
                Some(Format::Pytest),
            ),
            ("test_x (m.C.test_x) ... ok", Some(Format::Unittest)),
            (
                "ERROR: test_deep_fail (pkg.test_deep.DeepTest.test_deep_fail)",
                Some(Format::Unittest),
            ),
            ("Ran 13 tests in 0.007s", Some(Format::Unittest)),
            ("E.E.ssuxEF", None),
            (
                r#"{"Time":"x","Action":"run","Package":"p","Test":"T"}"#,
                Some(Format::GoJson),
            ),
            ("TAP version 13", Some(Format::Tap)),
            ("# Subtest: adds", Some(Format::Tap)),
            ("ok 1 - adds", Some(Format::Tap)),
            ("not ok 2 two plus two", Some(Format::Tap)),
            ("ok  \texample.com/p\t0.01s", None),
            ("   Compiling x v0.1.0", None),
            ("", None),
        ];
        for (line, format) in cases {
            assert_eq!(detect_from_line(line), *format, "{line:?}");
        }
    }

    const FIXTURES: &[(&str, Format)] = &[
        (
            include_str!("../../../tests/fixtures/runners/libtest/cargo_test.txt"),
            Format::Libtest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/libtest/cargo_test_nocapture.txt"),
            Format::Libtest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/libtest/cargo_test_empty.txt"),
            Format::Libtest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/libtest/cases_cargo_test.txt"),
            Format::Libtest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/pytest/pytest_v.txt"),
            Format::Pytest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/pytest/pytest_q.txt"),
            Format::Pytest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/pytest/pytest_ra.txt"),
            Format::Pytest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/pytest/pytest_v_collection_error.txt"),
            Format::Pytest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/pytest/cases_ra.txt"),
            Format::Pytest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/pytest/cases_v.txt"),
            Format::Pytest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/pytest/cases_q.txt"),
            Format::Pytest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/unittest/unittest_v.txt"),
            Format::Unittest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/unittest/unittest_plain.txt"),
            Format::Unittest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/unittest/cases_v.txt"),
            Format::Unittest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/unittest/cases_plain.txt"),
            Format::Unittest,
        ),
        (
            include_str!("../../../tests/fixtures/runners/gojson/go_test_json_combined.txt"),
            Format::GoJson,
        ),
        (
            include_str!("../../../tests/fixtures/runners/tap/node_test_tap.txt"),
            Format::Tap,
        ),
        (
            include_str!("../../../tests/fixtures/runners/tap/tape.txt"),
            Format::Tap,
        ),
    ];

    #[test]
    fn auto_detection_from_output_matches_the_known_format() {
        for (text, format) in FIXTURES {
            let mut auto = auto("./run-tests.sh");
            assert_eq!(auto.format(), None);
            for line in text.lines() {
                auto.line(Stream::Stdout, line);
            }
            assert_eq!(
                auto.format(),
                Some(*format),
                "{}",
                &text[..text.len().min(200)]
            );
            let live = auto.results().len();
            let detected = auto.finish();
            let direct = feed(parser_for(*format), text);
            assert_eq!(detected, direct, "{format:?}");
            assert!(live <= detected.len());
        }
    }

    #[test]
    fn auto_from_command_knows_the_format_at_once() {
        let p = auto("python3 -m unittest -v");
        assert_eq!(p.format(), Some(Format::Unittest));
        let p = auto("echo hi");
        assert_eq!(p.format(), None);
        assert!(p.finish().is_empty());
        assert_eq!(parser_for(Format::Junit).format(), Some(Format::Junit));
    }

    #[test]
    fn auto_buffers_a_bounded_prefix() {
        let mut p = auto("./x");
        for i in 0..(MAX_BUFFERED_LINES + 500) {
            p.line(Stream::Stderr, &format!("noise {i}"));
        }
        p.line(Stream::Stdout, "running 1 test");
        p.line(Stream::Stdout, "test a ... ok");
        assert_eq!(p.format(), Some(Format::Libtest));
        let results = p.finish();
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].status, TestStatus::Passed);
    }

    #[test]
    fn live_results_grow_while_streaming() {
        let mut p = parser_for(Format::Libtest);
        p.line(Stream::Stdout, "running 2 tests");
        assert!(p.results().is_empty());
        p.line(Stream::Stdout, "test a ... ok");
        assert_eq!(p.results().len(), 1);
        p.line(Stream::Stdout, "test b ... FAILED");
        assert_eq!(p.results().len(), 2);
    }

    /// A small deterministic generator (xorshift), so garbage tests need no extra crates.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    const ALL_FORMATS: [Format; 6] = [
        Format::Libtest,
        Format::Pytest,
        Format::Unittest,
        Format::GoJson,
        Format::Tap,
        Format::Junit,
    ];

    /// Random bytes, random fragments of real outputs and lines cut anywhere never panic.
    #[test]
    fn garbage_never_panics() {
        let fragments: Vec<&str> = FIXTURES
            .iter()
            .flat_map(|(t, _)| t.lines())
            .chain([
                "thread '",
                " panicked at ",
                "---- ",
                " stdout ----",
                "test ",
                " ... ",
                "ok",
                "FAILED",
                "ignored, ",
                "<0.0s>",
                "# Subtest: ",
                "    ",
                "  ---",
                "  ...",
                "error: |-",
                "location: '",
                ":",
                "::",
                "[",
                "]",
                " - ",
                "E   ",
                "_____ ",
                " _____",
                "=====",
                "FAIL: ",
                "Traceback (most recent call last):",
                "  File \"",
                "\", line ",
                "{\"Action\":\"fail\"",
                "{\"Action\":\"run\",\"Test\":\"T/",
                "\"Package\":\"p\"}",
                "FAIL\t",
                " [build failed]",
                "# ",
                "é",
                "\u{1f}",
                "\\#",
                "not ok",
                " # SKIP",
                " # TODO",
                "Ran ",
                "FAILED (",
                "ok (",
                "skipped '",
                "error: could not compile `",
                "--> ",
                "'",
                "(",
                ")",
                "1..",
                "\t",
            ])
            .collect();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..300 {
            let mut parsers: Vec<Box<dyn Parser>> =
                ALL_FORMATS.iter().map(|f| parser_for(*f)).collect();
            parsers.push(auto(""));
            for _ in 0..200 {
                let mut line = String::new();
                for _ in 0..rng.below(6) {
                    match rng.below(3) {
                        0 => {
                            let f = fragments[rng.below(fragments.len())];
                            // Cut real lines anywhere that is a char boundary.
                            let cut = rng.below(f.len() + 1);
                            let cut = (0..=cut)
                                .rev()
                                .find(|c| f.is_char_boundary(*c))
                                .unwrap_or(0);
                            if rng.below(2) == 0 {
                                line.push_str(&f[..cut]);
                            } else {
                                line.push_str(&f[cut..]);
                            }
                        }
                        1 => line.push_str(fragments[rng.below(fragments.len())]),
                        _ => {
                            let bytes: Vec<u8> =
                                (0..rng.below(12)).map(|_| rng.next() as u8).collect();
                            line.push_str(&String::from_utf8_lossy(&bytes));
                        }
                    }
                }
                let stream = if round % 2 == 0 {
                    Stream::Stdout
                } else {
                    Stream::Stderr
                };
                for p in parsers.iter_mut() {
                    p.line(stream, &line);
                    let _ = p.results().len();
                }
            }
            for p in parsers {
                for r in p.finish() {
                    assert!(r.output.len() <= OUTPUT_CAP + 64);
                    assert!(r.message.as_ref().is_none_or(|m| m.len() <= MESSAGE_CAP));
                }
            }
        }
        // The XML reader too.
        for _ in 0..300 {
            let mut xml = String::from("<testsuites>");
            for _ in 0..rng.below(8) {
                let piece = [
                    "<testsuite name=\"s\">",
                    "<testcase name=\"t\" time=\"x\">",
                    "</testcase>",
                    "<failure message=\"m\">",
                    "</failure>",
                    "<skipped/>",
                    "</testsuite>",
                    "<testcase",
                    " classname=\"c\"",
                    "/>",
                    "&amp;",
                    "&bogus;",
                    "<",
                    ">",
                    "\"",
                ][rng.below(15)];
                xml.push_str(piece);
            }
            if rng.below(2) == 0 {
                xml.push_str("</testsuites>");
            }
            let _ = junit::parse(&xml);
        }
    }

    /// Absurd counts in summary lines do not make absurd numbers of results.
    #[test]
    fn absurd_counts_stay_bounded() {
        let unittest = "E\nRan 99999999999999 tests in 0.1s\n\nFAILED (errors=1)";
        let r = feed(parser_for(Format::Unittest), unittest);
        assert!(r.len() <= common::MAX_UNNAMED + 1);
        let pytest = "99999999999999 passed, 99999999999 skipped in 1.00s";
        let r = feed(parser_for(Format::Pytest), pytest);
        assert!(r.len() <= common::MAX_UNNAMED);
        let skips = "=== short test summary info ===\n".to_string()
            + &"SKIPPED [99999999] a.py:1: x\n".repeat(5);
        let r = feed(parser_for(Format::Pytest), &skips);
        assert!(r.len() <= common::MAX_UNNAMED);
    }

    /// Huge lines and endless output stay bounded.
    #[test]
    fn output_stays_bounded() {
        let big = "x".repeat(1_000_000);
        let mut p = parser_for(Format::Libtest);
        p.line(Stream::Stdout, "running 1 test");
        p.line(Stream::Stdout, "test a ... FAILED");
        p.line(Stream::Stdout, "---- a stdout ----");
        p.line(Stream::Stdout, "thread 'a' panicked at src/lib.rs:1:1:");
        p.line(Stream::Stdout, &big);
        for _ in 0..100 {
            p.line(Stream::Stdout, &big[..10_000]);
        }
        let r = p.finish();
        assert!(r[0].output.len() <= OUTPUT_CAP + 64);
        assert!(
            r[0].message
                .as_ref()
                .is_some_and(|m| m.len() <= MESSAGE_CAP)
        );
    }
}
