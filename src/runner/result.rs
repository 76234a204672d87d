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
