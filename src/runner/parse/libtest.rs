//! Plain `cargo test` output (libtest's pretty format), across several test binaries.
//!
//! - suites from cargo's `     Running unittests src/lib.rs (target/...)` (→ `unittests src/lib.rs`),
//!   `     Running tests/cli.rs (...)` (→ `tests/cli.rs`) and `   Doc-tests NAME` (→ `doctests`);
//! - results from `test NAME ... ok|FAILED|ignored[, reason]` (the ` - should panic` suffix is
//!   not part of the name), with `<0.030s>` durations under `--report-time`;
//! - failure details from the `---- NAME stdout ----` sections, or, under `--nocapture`
//!   with one thread, from the output printed between `test NAME ... ` and its status;
//! - a test target that does not compile becomes a failed result named `CRATE (TARGET)` in the
//!   suite `build`, with the first compiler error as its message.

use std::sync::LazyLock;

use regex::Regex;

use super::common::{ResultSet, bounded_message, push_output, split_location};
use crate::runner::result::{Format, Parser, Stream, TestResult, TestStatus};

/// Doc-test names: `src/lib.rs - add (line 3)` (maybe followed by ` - compile fail`).
static DOCTEST_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\S.*?) - .*\(line (\d+)\)").expect("static regex"));

/// What a failure's output says about it.
#[derive(Debug, Default)]
struct Details {
    /// From `thread 'x' panicked at FILE:LINE:COL:` (the message follows on the next line).
    panic_message: Option<String>,
    panic_location: Option<(String, u32)>,
    /// The previous line was a (Rust ≥ 1.73) panic header: this line is the message.
    expect_message: bool,
    /// `assert_eq!`/`assert_ne!`'s operands, printed after its message: what was expected
    /// against what came out.
    left: Option<String>,
    right: Option<String>,
    /// From `note: test did not panic as expected at FILE:LINE:COL` and its kin.
    note: Option<String>,
    note_location: Option<(String, u32)>,
    /// `Error: ...` from a test returning `Err`, or a doc-test's `Test executable failed`.
    error_line: Option<String>,
    output: String,
}

impl Details {
    fn line(&mut self, line: &str) {
        push_output(&mut self.output, line);
        if self.expect_message {
            self.expect_message = false;
            if self.panic_message.is_none() && !line.trim().is_empty() {
                self.panic_message = Some(bounded_message(line));
            }
            return;
        }
        if self
            .panic_message
            .as_deref()
            .is_some_and(|m| m.starts_with("assertion `left"))
            && self.right.is_none()
        {
            if let Some(v) = line.strip_prefix("  left: ") {
                self.left = Some(v.to_string());
                return;
            }
            if let Some(v) = line.strip_prefix(" right: ") {
                self.right = Some(v.to_string());
                return;
            }
        }
        if line.starts_with("thread '") {
            if self.panic_location.is_none()
                && let Some(at) = line.find(" panicked at ")
            {
                let rest = &line[at + " panicked at ".len()..];
                self.panic_header(rest);
            }
            return;
        }
        if let Some(note) = line.strip_prefix("note: ") {
            if note.starts_with("run with `RUST_BACKTRACE") || note.starts_with("Some details") {
                return;
            }
            if self.note.is_none() {
                // `test did not panic as expected at src/lib.rs:58:8`
                let (text, loc) = match note.rsplit_once(" at ") {
                    Some((text, loc)) => match split_location(loc) {
                        Some((file, line)) => (text, Some((file.to_string(), line))),
                        None => (note, None),
                    },
                    None => (note, None),
                };
                self.note = Some(bounded_message(text));
                self.note_location = loc;
            }
            return;
        }
        if self.error_line.is_none()
            && (line.starts_with("Error: ")
                || line.starts_with("Test executable failed")
                || line.starts_with("Test compiled successfully, but it's marked `compile_fail`"))
        {
            self.error_line = Some(bounded_message(line));
        }
    }

    /// The part after ` panicked at `: `src/lib.rs:10:5:` (Rust ≥ 1.73) or
    /// `'message', src/lib.rs:10:5` (older).
    fn panic_header(&mut self, rest: &str) {
        if let Some(loc) = rest.strip_suffix(':')
            && let Some((file, line)) = split_location(loc)
        {
            self.panic_location = Some((file.to_string(), line));
            self.expect_message = true;
            return;
        }
        if let Some(quoted) = rest.strip_prefix('\'')
            && let Some((msg, loc)) = quoted.rsplit_once("', ")
        {
            if let Some((file, line)) = split_location(loc) {
                self.panic_location = Some((file.to_string(), line));
            }
            if self.panic_message.is_none() {
                self.panic_message = Some(bounded_message(msg));
            }
        }
    }

    /// Fills a result's message, location and output.
    fn apply(self, r: &mut TestResult) {
        let panic = match (self.panic_message, &self.left, &self.right) {
            (Some(m), Some(left), Some(right)) => Some(bounded_message(&format!(
                "{m} · left: {left} · right: {right}"
            ))),
            (m, ..) => m,
        };
        let message = self.note.or(panic).or(self.error_line);
        if r.message.is_none() {
            r.message = message;
        }
        if r.file.is_none()
            && let Some((file, line)) = self.note_location.or(self.panic_location)
        {
            r.file = Some(file);
            r.line = Some(line);
        }
        if r.output.is_empty() {
            r.output = self.output;
        }
    }
}

/// A `test NAME ... ` line whose status has not been printed yet (`--nocapture`).
#[derive(Debug)]
struct Pending {
    name: String,
    details: Details,
}

/// A `---- NAME stdout ----` section being read.
#[derive(Debug)]
struct Section {
    index: Option<usize>,
    details: Details,
}

/// Compiler errors being read, until `error: could not compile ...`.
#[derive(Debug, Default)]
struct BuildErrors {
    message: Option<String>,
    location: Option<(String, u32)>,
    output: String,
}

#[derive(Debug, Default)]
pub struct LibtestParser {
    set: ResultSet,
    suite: Option<String>,
    pending: Option<Pending>,
    section: Option<Section>,
    build: Option<BuildErrors>,
}

fn key(suite: Option<&str>, name: &str) -> String {
    let mut k = String::with_capacity(name.len() + 32);
    k.push_str(suite.unwrap_or(""));
    k.push('\u{1f}');
    k.push_str(name);
    k
}

/// A status printed after ` ... `: the status and the `--report-time` duration.
fn parse_status(text: &str) -> Option<(TestStatus, Option<String>, Option<u64>)> {
    let text = text.trim_end();
    let (word, rest) = match text.split_once(' ') {
        Some((w, r)) => (w, r),
        None => (text, ""),
    };
    let duration = || {
        let t = rest.trim();
        t.strip_prefix('<')
            .and_then(|t| t.strip_suffix("s>"))
            .and_then(|t| t.parse::<f64>().ok())
            .and_then(super::common::secs_to_ms)
    };
    match word {
        "ok" => Some((TestStatus::Passed, None, duration())),
        "FAILED" => Some((TestStatus::Failed, None, duration())),
        "ignored" => Some((TestStatus::Skipped, None, None)),
        "ignored," => Some((TestStatus::Skipped, Some(bounded_message(rest)), None)),
        "bench:" => Some((TestStatus::Passed, None, None)),
        _ => None,
    }
}

impl LibtestParser {
    pub fn new() -> Self {
        Self::default()
    }

    fn close_section(&mut self) {
        if let Some(section) = self.section.take()
            && let Some(r) = section.index.and_then(|i| self.set.get_mut(i))
        {
            section.details.apply(r);
        }
    }

    /// Records a result; returns its index.
    fn record(
        &mut self,
        name: &str,
        status: TestStatus,
        reason: Option<String>,
        duration_ms: Option<u64>,
    ) -> usize {
        let mut r = TestResult::new(name, status);
        r.suite = self.suite.clone();
        r.duration_ms = duration_ms;
        if status == TestStatus::Skipped {
            r.message = reason;
        }
        if name.ends_with(')')
            && name.contains(" - ")
            && let Some(c) = DOCTEST_NAME.captures(name)
        {
            r.file = c.get(1).map(|m| m.as_str().to_string());
            r.line = c.get(2).and_then(|m| m.as_str().parse().ok());
        }
        self.set.upsert(key(self.suite.as_deref(), name), r)
    }

    fn resolve_pending(&mut self, status: TestStatus, reason: Option<String>, ms: Option<u64>) {
        if let Some(p) = self.pending.take() {
            let i = self.record(&p.name, status, reason, ms);
            if status == TestStatus::Failed
                && let Some(r) = self.set.get_mut(i)
            {
                p.details.apply(r);
            }
        }
    }

    /// `test NAME ... STATUS`; true when the line was one.
    fn test_line(&mut self, line: &str) -> bool {
        let Some(rest) = line.strip_prefix("test ") else {
            return false;
        };
        let Some(dots) = rest.find(" ... ") else {
            return false;
        };
        let raw_name = &rest[..dots];
        let status_text = &rest[dots + " ... ".len()..];
        // libtest's test mode after the name is not part of it (the failure section and the
        // `failures:` list print the name alone).
        let name = [" - should panic", " - compile fail", " - compile"]
            .iter()
            .find_map(|mode| raw_name.strip_suffix(mode))
            .unwrap_or(raw_name);
        if name.is_empty() {
            return false;
        }
        self.pending = None;
        match parse_status(status_text) {
            Some((status, reason, ms)) => {
                self.record(name, status, reason, ms);
            }
            None => {
                // `--nocapture` with one thread: output (or nothing) until the status line.
                let mut details = Details::default();
                if !status_text.trim().is_empty() {
                    details.line(status_text);
                }
                self.pending = Some(Pending {
                    name: name.to_string(),
                    details,
                });
            }
        }
        true
    }

    fn build_line(&mut self, line: &str) -> bool {
        if let Some(rest) = line.strip_prefix("error: could not compile `") {
            // error: could not compile `fixture_broken` (lib test) due to 1 previous error
            let (krate, after) = rest.split_once('`').unwrap_or((rest, ""));
            let target = after
                .trim_start()
                .strip_prefix('(')
                .and_then(|t| t.split_once(')'))
                .map(|(t, _)| t);
            let name = match target {
                Some(t) => format!("{krate} ({t})"),
                None => krate.to_string(),
            };
            let build = self.build.take().unwrap_or_default();
            let mut r = TestResult::new(name.clone(), TestStatus::Failed);
            r.suite = Some("build".to_string());
            r.message = build
                .message
                .or_else(|| Some(bounded_message(line.trim_start_matches("error: "))));
            if let Some((file, l)) = build.location {
                r.file = Some(file);
                r.line = Some(l);
            }
            r.output = build.output;
            push_output(&mut r.output, line);
            self.set.upsert(key(Some("build"), &name), r);
            return true;
        }
        let is_error = line.starts_with("error[")
            || (line.starts_with("error: ")
                && !line.starts_with("error: test failed")
                && !line.starts_with("error: doctest failed")
                && !line.starts_with("error: aborting")
                && !line.contains(" target failed")
                && !line.contains(" targets failed"));
        if is_error {
            let build = self.build.get_or_insert_with(BuildErrors::default);
            if build.message.is_none() {
                build.message = Some(bounded_message(line));
            }
            push_output(&mut build.output, line);
            return true;
        }
        if let Some(build) = self.build.as_mut() {
            if build.location.is_none()
                && let Some(loc) = line.trim_start().strip_prefix("--> ")
                && let Some((file, l)) = split_location(loc)
            {
                build.location = Some((file.to_string(), l));
            }
            push_output(&mut build.output, line);
            return true;
        }
        false
    }

    /// Cargo's target lines; true when the line was one.
    fn suite_line(&mut self, line: &str) -> bool {
        if !line.starts_with(' ') {
            return false;
        }
        let trimmed = line.trim_start();
        let suite = if let Some(rest) = trimmed.strip_prefix("Running ") {
            match rest.rfind(" (") {
                Some(p) if rest.ends_with(')') => rest[..p].to_string(),
                _ => rest.to_string(),
            }
        } else if trimmed.starts_with("Doc-tests ") {
            "doctests".to_string()
        } else {
            return false;
        };
        self.close_section();
        self.pending = None;
        self.build = None;
        self.suite = Some(suite);
        true
    }
}

impl Parser for LibtestParser {
    fn line(&mut self, _stream: Stream, line: &str) {
        if line.starts_with("test result: ") {
            self.close_section();
            self.pending = None;
            return;
        }
        if self.suite_line(line) {
            return;
        }
        // `---- NAME stdout ----` opens a failure's details.
        if let Some(rest) = line.strip_prefix("---- ")
            && let Some(name) = rest
                .strip_suffix(" stdout ----")
                .or_else(|| rest.strip_suffix(" stderr ----"))
        {
            self.close_section();
            self.pending = None;
            let index = self.set.find(&key(self.suite.as_deref(), name));
            self.section = Some(Section {
                index,
                details: Details::default(),
            });
            return;
        }
        if line == "failures:" || line == "successes:" {
            self.close_section();
            return;
        }
        if let Some(section) = self.section.as_mut() {
            section.details.line(line);
            return;
        }
        if self.test_line(line) {
            return;
        }
        if self.pending.is_some() {
            if let Some((status, reason, ms)) = parse_status(line) {
                self.resolve_pending(status, reason, ms);
            } else if line.starts_with("running ") || line.starts_with("test result") {
                self.pending = None;
            } else if let Some(p) = self.pending.as_mut() {
                p.details.line(line);
            }
            return;
        }
        self.build_line(line);
    }

    fn results(&self) -> &[TestResult] {
        &self.set.results
    }

    fn finish(mut self: Box<Self>) -> Vec<TestResult> {
        self.close_section();
        if self.pending.is_some() {
            // The output ended while this test ran (a timeout, a crash, a cut capture).
            if let Some(p) = self.pending.as_mut()
                && p.details.note.is_none()
                && p.details.panic_message.is_none()
            {
                p.details.note = Some("no result: the output ended while the test ran".into());
            }
            self.resolve_pending(TestStatus::Failed, None, None);
        }
        self.set.results
    }

    fn format(&self) -> Option<Format> {
        Some(Format::Libtest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::parse::testutil::{Expect, check, feed};

    const SUITE_LIB: &str = "unittests src/lib.rs";
    const SUITE_CLI: &str = "tests/cli.rs";
    const DOC: &str = "doctests";

    fn lib_expectations() -> Vec<Expect> {
        vec![
            Expect::new("tests::adds", SUITE_LIB, TestStatus::Passed),
            Expect::new("tests::div_by_zero_panics", SUITE_LIB, TestStatus::Passed),
            Expect::new("tests::nested::deep", SUITE_LIB, TestStatus::Passed),
            Expect::new(
                "tests::should_panic_but_does_not",
                SUITE_LIB,
                TestStatus::Failed,
            )
            .message("test did not panic as expected")
            .at("src/lib.rs", 58),
            Expect::new("tests::slow_one", SUITE_LIB, TestStatus::Skipped),
            Expect::new("tests::subtracts_wrong", SUITE_LIB, TestStatus::Failed)
                .message("assertion `left == right` failed · left: 5 · right: 4")
                .at("src/lib.rs", 41),
            Expect::new("tests::with_reason", SUITE_LIB, TestStatus::Skipped)
                .message("needs network"),
            Expect::new("tests::unwraps_none", SUITE_LIB, TestStatus::Failed)
                .message("value should be present")
                .at("src/lib.rs", 47),
            Expect::new("tests::sleeps_a_bit", SUITE_LIB, TestStatus::Passed),
        ]
    }

    fn cli_expectations() -> Vec<Expect> {
        vec![
            Expect::new("integration_add", SUITE_CLI, TestStatus::Passed),
            Expect::new("integration_fails", SUITE_CLI, TestStatus::Failed)
                .message("expected more than 5, got 3")
                .at("tests/cli.rs", 11),
            Expect::new("result_err", SUITE_CLI, TestStatus::Failed)
                .message("Error: \"returned an error\""),
        ]
    }

    fn doc_expectations() -> Vec<Expect> {
        vec![
            Expect::new("src/lib.rs - add (line 5)", DOC, TestStatus::Passed).at("src/lib.rs", 5),
            // The panic says `src/lib.rs:5:1` (rustdoc's line inside the snippet); the name's
            // `(line 14)` is where the doc-test really is, so that wins.
            Expect::new("src/lib.rs - sub (line 14)", DOC, TestStatus::Failed)
                .message("assertion `left == right` failed · left: 2 · right: 3")
                .at("src/lib.rs", 14),
        ]
    }

    fn full_run() -> Vec<Expect> {
        let mut all = lib_expectations();
        all.extend(cli_expectations());
        all.extend(doc_expectations());
        all
    }

    #[test]
    fn cargo_test_full_run() {
        let text = include_str!("../../../tests/fixtures/runners/libtest/cargo_test.txt");
        let results = feed(Box::new(LibtestParser::new()), text);
        check(&results, &full_run());
        let sub = results.iter().find(|r| r.name == "tests::subtracts_wrong");
        let out = sub.map(|r| r.output.as_str()).unwrap_or("");
        assert!(out.contains("computing 7 - 2"), "{out}");
        assert!(out.contains("  left: 5"), "{out}");
        assert!(results.iter().all(|r| r.duration_ms.is_none()));
    }

    #[test]
    fn cargo_test_with_backtraces() {
        let text = include_str!("../../../tests/fixtures/runners/libtest/cargo_test_backtrace.txt");
        let results = feed(Box::new(LibtestParser::new()), text);
        check(&results, &full_run());
    }

    #[test]
    fn report_time_gives_durations() {
        let text =
            include_str!("../../../tests/fixtures/runners/libtest/cargo_test_report_time.txt");
        let results = feed(Box::new(LibtestParser::new()), text);
        let mut expected = lib_expectations();
        expected.extend(cli_expectations());
        check(&results, &expected);
        let ms = |name: &str| {
            results
                .iter()
                .find(|r| r.name == name)
                .and_then(|r| r.duration_ms)
        };
        // `test tests::sleeps_a_bit ... ok <0.030s>`
        assert_eq!(ms("tests::sleeps_a_bit"), Some(30));
        assert_eq!(ms("tests::adds"), Some(0));
        assert_eq!(ms("tests::slow_one"), None);
    }

    #[test]
    fn nocapture_single_thread() {
        let text = include_str!("../../../tests/fixtures/runners/libtest/cargo_test_nocapture.txt");
        let results = feed(Box::new(LibtestParser::new()), text);
        check(&results, &lib_expectations());
        // The panic of a should_panic test that passed is not a failure message.
        let dz = results
            .iter()
            .find(|r| r.name == "tests::div_by_zero_panics");
        assert_eq!(dz.and_then(|r| r.message.clone()), None);
        let sub = results.iter().find(|r| r.name == "tests::subtracts_wrong");
        assert!(sub.is_some_and(|r| r.output.contains("computing 7 - 2")));
    }

    #[test]
    fn empty_and_filtered_runs() {
        let text = include_str!("../../../tests/fixtures/runners/libtest/cargo_test_empty.txt");
        assert!(feed(Box::new(LibtestParser::new()), text).is_empty());
        let text =
            include_str!("../../../tests/fixtures/runners/libtest/cargo_test_filtered_out.txt");
        assert!(feed(Box::new(LibtestParser::new()), text).is_empty());
    }

    #[test]
    fn truncated_capture_keeps_what_it_saw() {
        let text = include_str!("../../../tests/fixtures/runners/libtest/cargo_test_truncated.txt");
        let results = feed(Box::new(LibtestParser::new()), text);
        let mut expected = lib_expectations();
        // Cut 9 bytes into `assertion `left == right` failed`.
        for e in &mut expected {
            if e.name == "tests::subtracts_wrong" {
                *e = Expect::new("tests::subtracts_wrong", SUITE_LIB, TestStatus::Failed)
                    .message("assertion")
                    .at("src/lib.rs", 41);
            }
            if e.name == "tests::unwraps_none" {
                *e = Expect::new("tests::unwraps_none", SUITE_LIB, TestStatus::Failed);
            }
        }
        check(&results, &expected);
    }

    #[test]
    fn compile_error_is_a_failed_build_result() {
        let text =
            include_str!("../../../tests/fixtures/runners/libtest/cargo_test_compile_error.txt");
        let results = feed(Box::new(LibtestParser::new()), text);
        check(
            &results,
            &[
                Expect::new("fixture_broken (lib test)", "build", TestStatus::Failed)
                    .message("error[E0308]: mismatched types")
                    .at("src/lib.rs", 11),
            ],
        );
        assert!(results[0].output.contains("expected `String`, found `i32`"));
    }

    #[test]
    fn panic_formats_old_and_new() {
        let lines = [
            "running 3 tests",
            "test a ... FAILED",
            "test b ... FAILED",
            "test c ... FAILED",
            "",
            "failures:",
            "",
            "---- a stdout ----",
            "thread 'a' panicked at 'boom', src/lib.rs:3:5",
            "---- b stdout ----",
            "thread 'b' panicked at src/lib.rs:7:9:",
            "explicit panic",
            "---- c stdout ----",
            "thread 'c' (4242) panicked at tests/x.rs:1:1:",
            "second",
            "thread 'other' (4243) panicked at tests/y.rs:2:2:",
            "later panics are not the message",
            "",
            "failures:",
            "    a",
            "test result: FAILED. 0 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out",
        ];
        let results = feed(Box::new(LibtestParser::new()), &lines.join("\n"));
        let expected = [
            Expect::no_suite("a", TestStatus::Failed)
                .message("boom")
                .at("src/lib.rs", 3),
            Expect::no_suite("b", TestStatus::Failed)
                .message("explicit panic")
                .at("src/lib.rs", 7),
            Expect::no_suite("c", TestStatus::Failed)
                .message("second")
                .at("tests/x.rs", 1),
        ];
        check(&results, &expected);
    }

    #[test]
    fn nocapture_hang_is_reported_at_the_end() {
        let text = "running 1 test\ntest slow ... some output";
        let results = feed(Box::new(LibtestParser::new()), text);
        check(
            &results,
            &[Expect::no_suite("slow", TestStatus::Failed)
                .message("no result: the output ended while the test ran")],
        );
    }

    #[test]
    fn cases_colliding_names_and_doctests_of_edition_2024() {
        let text = include_str!("../../../tests/fixtures/runners/libtest/cases_cargo_test.txt");
        let results = feed(Box::new(LibtestParser::new()), text);
        use TestStatus::*;
        check(
            &results,
            &[
                Expect::new("tests::test_eq", "unittests src/lib.rs", Passed),
                Expect::new("test_eq", "tests/test_parse.rs", Failed)
                    .message(
                        "assertion `left == right` failed: a bare major version · left: (3, 0) \
                         · right: (3, 1)",
                    )
                    .at("tests/test_parse.rs", 3),
                Expect::new("test_eq", "tests/test_version.rs", Passed),
                Expect::new("test_cmp", "tests/test_version.rs", Passed),
                Expect::new("src/lib.rs - newer (line 16)", DOC, Passed).at("src/lib.rs", 16),
                // Merged doc-tests panic inside a temporary bundle: the doc-test's own line wins.
                Expect::new("src/lib.rs - parse (line 5)", DOC, Failed)
                    .message("assertion `left == right` failed · left: (1, 2) · right: (1, 3)")
                    .at("src/lib.rs", 5),
                // `test ... - compile fail ... FAILED`: the mode is not part of the name.
                Expect::new("src/lib.rs - strict (line 25)", DOC, Failed)
                    .message("Test compiled successfully, but it's marked `compile_fail`.")
                    .at("src/lib.rs", 25),
            ],
        );
        let shown = crate::runner::result::display_names(&results);
        assert!(shown.iter().any(|n| n == "tests/test_parse.rs::test_eq"));
        assert!(shown.iter().any(|n| n == "tests/test_version.rs::test_eq"));
        assert!(shown.iter().any(|n| n == "tests::test_eq"));
    }

    #[test]
    fn same_name_in_two_suites_stays_two_results() {
        let text = "     Running unittests src/lib.rs (x)\ntest t ... ok\n     Running unittests src/main.rs (y)\ntest t ... FAILED\n";
        let results = feed(Box::new(LibtestParser::new()), text);
        check(
            &results,
            &[
                Expect::new("t", "unittests src/lib.rs", TestStatus::Passed),
                Expect::new("t", "unittests src/main.rs", TestStatus::Failed),
            ],
        );
    }
}
