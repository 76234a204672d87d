//! Normalized test results (DESIGN.md section 6), shared by every parser.

use serde::Serialize;

/// What happened to one test. Errors count as failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestStatus {
    Passed,
    Failed,
    Skipped,
}

/// One test's fate, with the normalized name of DESIGN.md section 6.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestResult {
    /// The normalized test name (`tests::over_limit`, `test_rate.RateTest.test_x`, ...).
    pub name: String,
    /// The group the runner reports it under (`unittests src/lib.rs`, a go package), if any.
    pub suite: Option<String>,
    pub status: TestStatus,
    pub duration_ms: Option<u64>,
    /// Where the failure happened (or the test is defined), relative as the runner printed it.
    pub file: Option<String>,
    pub line: Option<u32>,
    /// A one-line failure message (`AssertionError: True is not false`).
    pub message: Option<String>,
    /// The test's captured output or traceback, bounded, for the detail view; not in JSON.
    #[serde(skip)]
    pub output: String,
}

impl TestResult {
    /// A result with just a name and status.
    pub fn new(name: impl Into<String>, status: TestStatus) -> Self {
        Self {
            name: name.into(),
            suite: None,
            status,
            duration_ms: None,
            file: None,
            line: None,
            message: None,
            output: String::new(),
        }
    }
}

impl TestResult {
    /// `suite::name` (`tests/test_version.rs::test_eq`), or the name alone without a suite:
    /// what a `test:` glob may also match, and how a name shared across suites is shown.
    pub fn qualified_name(&self) -> std::borrow::Cow<'_, str> {
        match &self.suite {
            Some(suite) => format!("{suite}::{}", self.name).into(),
            None => self.name.as_str().into(),
        }
    }
}

/// For each result, whether another result of another suite has the same name (libtest's
/// `test_eq` in two integration-test files): those are shown as `suite::name`.
pub fn colliding(results: &[TestResult]) -> Vec<bool> {
    // Per name: the suite it was first seen in, and whether another suite has it too.
    let mut seen: std::collections::HashMap<&str, (Option<&str>, bool)> =
        std::collections::HashMap::with_capacity(results.len());
    for r in results {
        let suite = r.suite.as_deref();
        seen.entry(r.name.as_str())
            .and_modify(|(first, shared)| *shared |= *first != suite)
            .or_insert((suite, false));
    }
    results
        .iter()
        .map(|r| seen.get(r.name.as_str()).is_some_and(|(_, shared)| *shared))
        .collect()
}

/// The names to show for `results`: `suite::name` where a name collides, else the name.
pub fn display_names(results: &[TestResult]) -> Vec<std::borrow::Cow<'_, str>> {
    colliding(results)
        .into_iter()
        .zip(results)
        .map(|(collides, r)| {
            if collides {
                r.qualified_name()
            } else {
                r.name.as_str().into()
            }
        })
        .collect()
}

/// The output formats the parsers understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Libtest,
    Pytest,
    Unittest,
    GoJson,
    Tap,
    Junit,
}

impl Format {
    /// The name used in config and JSON (`go-json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Libtest => "libtest",
            Format::Pytest => "pytest",
            Format::Unittest => "unittest",
            Format::GoJson => "go-json",
            Format::Tap => "tap",
            Format::Junit => "junit",
        }
    }
}

/// Which pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A streaming parser: lines in as they arrive, results out.
pub trait Parser: Send {
    /// Feeds one line: ANSI codes removed, no line terminator, stdout and stderr interleaved in
    /// arrival order.
    fn line(&mut self, stream: Stream, line: &str);
    /// The results decided so far, for live progress (details may still be filled in).
    fn results(&self) -> &[TestResult];
    /// Ends the stream and returns every result with its details.
    fn finish(self: Box<Self>) -> Vec<TestResult>;
    /// The format this parser reads, once known (`None` while auto-detection still waits).
    fn format(&self) -> Option<Format>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_suite(name: &str, suite: &str) -> TestResult {
        let mut r = TestResult::new(name, TestStatus::Passed);
        r.suite = Some(suite.into());
        r
    }

    #[test]
    fn names_shared_across_suites_are_qualified() {
        let results = [
            in_suite("test_eq", "tests/test_version.rs"),
            in_suite("test_cmp", "tests/test_version.rs"),
            in_suite("test_eq", "tests/test_parse.rs"),
            TestResult::new("alone", TestStatus::Passed),
        ];
        assert_eq!(colliding(&results), [true, false, true, false]);
        assert_eq!(
            display_names(&results),
            [
                "tests/test_version.rs::test_eq",
                "test_cmp",
                "tests/test_parse.rs::test_eq",
                "alone"
            ]
        );
        // The same name twice in one suite (tape's repeated assertions) is no collision.
        let same = [in_suite("t", "s"), in_suite("t", "s")];
        assert_eq!(colliding(&same), [false, false]);
        // A third copy in the first suite still collides with the second suite.
        let three = [in_suite("t", "a"), in_suite("t", "a"), in_suite("t", "b")];
        assert_eq!(colliding(&three), [true, true, true]);
    }
}
