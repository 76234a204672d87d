//! JUnit XML reports (cargo-nextest, pytest `--junitxml`, and the many tools that write them).
//!
//! Names are `classname.name` (just `name` without a classname); the suite is the testsuite's
//! name. `<failure>`/`<error>` → failed, with the message from the `message` attribute or the
//! first line of the element's text; `<skipped>` → skipped; `time` → `duration_ms`; `file` and
//! `line` attributes when present.
//!
//! Two refinements: nextest's message is the panic header (`thread 'x' panicked at src/lib.rs:41:9`),
//! so the location comes from it and the message from the line after it; and pytest's
//! `junit_family=xunit1` writes 0-based `line` attributes, which are made 1-based.
//!
//! The report is read as a stream of XML events, never whole: each test case's text is kept
//! within the output bound, so memory follows the results, not the file. Only a regular file of
//! at most [`MAX_REPORT_BYTES`] that the run wrote is read ([`read_report`]). Details the results
//! do not need (a bare `<testsuite>` root, timestamps, unparsable numbers) are never an error.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::{Duration, SystemTime};

use quick_xml::Reader;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};

use super::common::{
    OUTPUT_CAP, bounded_message, is_python_library_path, message, push_output, push_raw,
    secs_to_ms, split_location,
};
use crate::runner::result::{Format, Parser, Stream, TestResult, TestStatus};

/// The largest JUnit report read, in bytes (64 MiB).
pub const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;
/// The most test cases read from one report: what the results of more would cost in memory is
/// not bounded by the file's size limit alone (millions of `<testcase name="t"/>`).
pub const MAX_REPORT_CASES: usize = 100_000;
/// How much older than the run's start a report's time may be and still count as written by the
/// run (file systems keep coarse times).
const MTIME_SLACK: Duration = Duration::from_secs(2);
/// The deepest nesting of elements read.
const MAX_DEPTH: usize = 256;

/// What a report file looked like when the run started.
#[derive(Debug, Clone)]
pub struct Baseline {
    started: SystemTime,
    before: Option<Stamp>,
}

/// What tells one version of a file from another.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            modified: (meta.mtime(), meta.mtime_nsec()),
            changed: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

impl Baseline {
    /// The report at `path` as it is now, before the run starts.
    pub fn take(path: &Path) -> Self {
        Self {
            started: SystemTime::now(),
            before: std::fs::metadata(path).ok().map(|m| Stamp::of(&m)),
        }
    }

    /// Whether the file was written since: changed, and not older than the start.
    fn written_since(&self, meta: &std::fs::Metadata) -> bool {
        if self.before.as_ref() == Some(&Stamp::of(meta)) {
            return false;
        }
        meta.modified()
            .map_or(true, |m| m + MTIME_SLACK >= self.started)
    }
}

/// The test cases read from a report.
#[derive(Debug, Default, PartialEq)]
pub struct Cases {
    pub results: Vec<TestResult>,
    /// The report has more than [`MAX_REPORT_CASES`]; the rest were not read.
    pub more: bool,
}

impl Cases {
    /// What to say about the cases not read, if any.
    pub fn note(&self, path: &Path) -> Option<String> {
        self.more.then(|| {
            format!(
                "{}: more than {MAX_REPORT_CASES} test cases; the rest were not read",
                path.display()
            )
        })
    }
}

/// Reads the run's JUnit report at `path`: a regular file, written during the run, at most
/// [`MAX_REPORT_BYTES`], in JUnit XML; anything else is a message saying which it is not.
pub fn read_report(path: &Path, baseline: &Baseline) -> Result<Cases, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display();
    let irregular =
        |what| format!("{shown} is {what}: a JUnit report is read only from a regular file");
    let unreadable = |e| format!("cannot read the JUnit report {shown}: {e}");
    let too_big = |len: u64| {
        format!(
            "{shown} is {:.1} MiB, more than the {} MiB a JUnit report may have: not read",
            len as f64 / (1024.0 * 1024.0),
            MAX_REPORT_BYTES / (1024 * 1024)
        )
    };
    let meta = std::fs::metadata(path).map_err(|e| format!("no JUnit report at {shown}: {e}"))?;
    if let Some(what) = not_regular(&meta) {
        return Err(irregular(what));
    }
    if !baseline.written_since(&meta) {
        return Err(format!(
            "no JUnit report from this run: {shown} was not written during it (it is left from \
             an earlier run)"
        ));
    }
    if meta.len() > MAX_REPORT_BYTES {
        return Err(too_big(meta.len()));
    }
    // Non-blocking: should a FIFO take the file's place after the check, opening it does not
    // wait for a writer (and the check of what was opened refuses it).
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(unreadable)?;
    if let Some(what) = not_regular(&file.metadata().map_err(unreadable)?) {
        return Err(irregular(what));
    }
    let mut limited = file.take(MAX_REPORT_BYTES + 1);
    let cases = parse_reader(BufReader::new(&mut limited)).map_err(|e| format!("{shown}: {e}"));
    if limited.limit() == 0 {
        // It grew past the limit while being read.
        return Err(too_big(MAX_REPORT_BYTES + 1));
    }
    cases
}

/// What the file is when it is not a regular file.
fn not_regular(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_file() {
        None
    } else if kind.is_dir() {
        Some("a directory")
    } else if kind.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if kind.is_char_device() {
        Some("a character device")
    } else if kind.is_block_device() {
        Some("a block device")
    } else if kind.is_socket() {
        Some("a socket")
    } else {
        Some("not a regular file")
    }
}

/// The results of a JUnit XML report, or a message saying why it cannot be read.
#[cfg(test)]
pub fn parse(xml: &str) -> Result<Vec<TestResult>, String> {
    parse_reader(xml.as_bytes()).map(|cases| cases.results)
}

/// The elements the reader tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    Suites,
    Suite,
    Case,
    /// `<failure>`, `<error>` or `<skipped>` of the case being read.
    Status,
    SystemOut,
    SystemErr,
    Other,
}

impl Element {
    fn of(name: &[u8]) -> Self {
        match name {
            b"testsuites" => Self::Suites,
            b"testsuite" => Self::Suite,
            b"testcase" => Self::Case,
            b"failure" | b"error" | b"skipped" => Self::Status,
            b"system-out" => Self::SystemOut,
            b"system-err" => Self::SystemErr,
            _ => Self::Other,
        }
    }
}

/// A test case being read.
#[derive(Debug, Default)]
struct Case {
    name: String,
    classname: String,
    time: Option<f64>,
    file: Option<String>,
    line: Option<String>,
    status: Option<TestStatus>,
    message: Option<String>,
    /// A `<skipped type="pytest.xfail">`: an expected failure.
    xfail: bool,
    /// The text of the status element, at most [`OUTPUT_CAP`] bytes.
    description: Option<String>,
    system_out: String,
    system_err: String,
}

/// Where the text being read goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    Description,
    SystemOut,
    SystemErr,
}

/// The reader's state between events.
#[derive(Debug, Default)]
struct Reading {
    /// The open elements, outermost first.
    open: Vec<Element>,
    pytest: bool,
    suites: Vec<String>,
    case: Option<Case>,
    /// The depth of the element whose text is captured, and where it goes.
    capture: Option<(usize, Capture)>,
    seen_root: bool,
    results: Vec<TestResult>,
}

/// Reads a report from `input` as a stream of events.
pub fn parse_reader(input: impl BufRead) -> Result<Cases, String> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().check_end_names = true;
    let mut state = Reading::default();
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| {
            format!(
                "malformed JUnit XML: {e} (at byte {})",
                reader.error_position()
            )
        })?;
        if let Event::Start(e) | Event::Empty(e) = &event
            && e.local_name().as_ref() == b"testcase"
            && state.results.len() >= MAX_REPORT_CASES
        {
            return Ok(Cases {
                results: state.results,
                more: true,
            });
        }
        match event {
            Event::Start(e) => state.start(&e, false)?,
            Event::Empty(e) => state.start(&e, true)?,
            Event::End(_) => state.end(),
            Event::Text(t) => {
                let text = t
                    .xml10_content()
                    .unwrap_or_else(|_| String::from_utf8_lossy(&t).into_owned().into());
                state.text(&text);
            }
            Event::CData(t) => state.text(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r);
                match r.resolve_char_ref() {
                    Ok(Some(c)) => state.text(c.encode_utf8(&mut [0; 4])),
                    _ => match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(text) => state.text(text),
                        // An entity the report does not define: kept as written.
                        None => state.text(&format!("&{name};")),
                    },
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        buf.clear();
    }
    if let Some(open) = state.open.last() {
        return Err(format!(
            "malformed JUnit XML: the file ends inside {} (cut short?)",
            match open {
                Element::Suites => "<testsuites>",
                Element::Suite => "<testsuite>",
                Element::Case => "<testcase>",
                _ => "an element",
            }
        ));
    }
    if !state.seen_root {
        return Err("not JUnit XML: no <testsuites> or <testsuite> element in it".into());
    }
    Ok(Cases {
        results: state.results,
        more: false,
    })
}

impl Reading {
    fn start(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), String> {
        let element = Element::of(e.local_name().as_ref());
        if self.open.is_empty() {
            if !matches!(element, Element::Suites | Element::Suite) {
                return Err(format!(
                    "not JUnit XML: the root element is <{}>, not <testsuites> or <testsuite>",
                    String::from_utf8_lossy(e.name().as_ref())
                ));
            }
            self.seen_root = true;
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(format!(
                "malformed JUnit XML: elements nested more than {MAX_DEPTH} deep"
            ));
        }
        let attrs = attributes(e)?;
        let attr = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let parent = self.open.last().copied();
        match element {
            Element::Suites if self.open.is_empty() => {
                self.pytest = attr("name").as_deref() == Some("pytest tests");
            }
            Element::Suite => self.suites.push(attr("name").unwrap_or_default()),
            Element::Case if self.case.is_none() => {
                self.case = Some(Case {
                    name: attr("name").unwrap_or_default(),
                    classname: attr("classname").unwrap_or_default(),
                    time: attr("time").and_then(|t| t.replace(',', "").trim().parse().ok()),
                    file: attr("file"),
                    line: attr("line"),
                    ..Case::default()
                });
            }
            Element::Status if parent == Some(Element::Case) => {
                let kind = e.local_name();
                let status = if kind.as_ref() == b"skipped" {
                    TestStatus::Skipped
                } else {
                    TestStatus::Failed
                };
                if let Some(case) = self.case.as_mut() {
                    // The first failure decides; a failure outranks a skip.
                    let decides = match case.status {
                        None => true,
                        Some(TestStatus::Skipped) => status == TestStatus::Failed,
                        Some(_) => false,
                    };
                    if decides {
                        case.status = Some(status);
                        case.xfail = status == TestStatus::Skipped
                            && attr("type").as_deref() == Some("pytest.xfail");
                        case.message = attr("message");
                        case.description = Some(String::new());
                        self.capture = Some((self.open.len(), Capture::Description));
                    }
                }
            }
            Element::SystemOut if parent == Some(Element::Case) => {
                self.capture = Some((self.open.len(), Capture::SystemOut));
            }
            Element::SystemErr if parent == Some(Element::Case) => {
                self.capture = Some((self.open.len(), Capture::SystemErr));
            }
            _ => {}
        }
        self.open.push(element);
        if empty {
            self.end();
        }
        Ok(())
    }

    fn end(&mut self) {
        let Some(element) = self.open.pop() else {
            return;
        };
        if self
            .capture
            .is_some_and(|(depth, _)| depth == self.open.len())
        {
            self.capture = None;
        }
        match element {
            Element::Suite => {
                self.suites.pop();
            }
            Element::Case if !self.open.contains(&Element::Case) => {
                if let Some(case) = self.case.take() {
                    let suite = self.suites.last().map(String::as_str).unwrap_or("");
                    self.results.push(finish(case, suite, self.pytest));
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        let (Some((_, capture)), Some(case)) = (self.capture, self.case.as_mut()) else {
            return;
        };
        let into = match capture {
            Capture::Description => match case.description.as_mut() {
                Some(d) => d,
                None => return,
            },
            Capture::SystemOut => &mut case.system_out,
            Capture::SystemErr => &mut case.system_err,
        };
        let room = OUTPUT_CAP.saturating_sub(into.len());
        into.push_str(super::common::prefix_at_most(text, room));
    }
}

/// The attributes of an element, names and unescaped values.
fn attributes(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for attr in e.attributes() {
        let attr: Attribute<'_> = attr.map_err(|err| format!("malformed JUnit XML: {err}"))?;
        let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
        let value = match attr.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
            Ok(v) => v.into_owned(),
            Err(_) => String::from_utf8_lossy(&attr.value).into_owned(),
        };
        out.push((key, value));
    }
    Ok(out)
}

/// A case read whole, as a result.
fn finish(case: Case, suite: &str, pytest: bool) -> TestResult {
    let name = if case.classname.is_empty() {
        case.name
    } else {
        format!("{}.{}", case.classname, case.name)
    };
    let status = case.status.unwrap_or(TestStatus::Passed);
    let mut r = TestResult::new(name, status);
    r.suite = (!suite.is_empty()).then(|| suite.to_string());
    r.duration_ms = case.time.and_then(secs_to_ms);
    let description = case.description.as_deref();
    r.message = case
        .message
        .as_deref()
        .and_then(message)
        .or_else(|| description.and_then(message));
    if let Some(file) = case.file {
        r.file = Some(file);
        r.line = case
            .line
            .and_then(|l| l.trim().parse::<u32>().ok())
            .map(|l| if pytest { l.saturating_add(1) } else { l });
    }
    if case.xfail {
        // As the pytest parser says it: an expected failure, not a plain skip.
        r.message = Some(match r.message.take() {
            Some(m) => bounded_message(&format!("xfail: {m}")),
            None => "xfail".into(),
        });
    }
    if status == TestStatus::Failed {
        refine_failure(&mut r, description);
    }
    if let Some(d) = description.filter(|d| !d.is_empty()) {
        push_raw(&mut r.output, d);
        if !d.ends_with('\n') {
            r.output.push('\n');
        }
    }
    for text in [&case.system_out, &case.system_err] {
        if !text.trim().is_empty() {
            push_output(&mut r.output, text.trim_end_matches('\n'));
        }
    }
    r
}

/// A Rust panic header as the message: location from it, message from the next line. Otherwise
/// a pytest-style `path.py:N: Error` traceback line gives the location when no attribute did.
fn refine_failure(r: &mut TestResult, description: Option<&str>) {
    if let Some(m) = r.message.as_deref()
        && m.starts_with("thread '")
        && let Some(at) = m.find(" panicked at ")
    {
        let loc = m[at + " panicked at ".len()..].trim_end_matches(':');
        if let Some((file, line)) = split_location(loc)
            && r.file.is_none()
        {
            r.file = Some(file.to_string());
            r.line = Some(line);
        }
        if let Some(d) = description {
            let mut lines = d.lines();
            let after = lines
                .by_ref()
                .find(|l| l.contains(" panicked at "))
                .and_then(|_| lines.next())
                .filter(|l| !l.trim().is_empty());
            if let Some(next) = after {
                r.message = Some(bounded_message(next));
            }
        }
        return;
    }
    if r.file.is_some() {
        return;
    }
    let Some(d) = description else {
        return;
    };
    let mut found = None;
    for line in d.lines() {
        if line.starts_with(' ') {
            continue;
        }
        let Some(py) = line.find(".py:") else {
            continue;
        };
        let path = &line[..py + 3];
        let rest = &line[py + 4..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0
            && rest[digits..].starts_with(':')
            && !is_python_library_path(path)
            && let Ok(n) = rest[..digits].parse::<u32>()
        {
            found = Some((path.to_string(), n));
        }
    }
    if let Some((file, line)) = found {
        r.file = Some(file);
        r.line = Some(line);
    }
}

/// The line parser for JUnit runs: the results come from the XML file, not the output.
#[derive(Debug, Default)]
pub struct JunitLines;

impl Parser for JunitLines {
    fn line(&mut self, _stream: Stream, _line: &str) {}

    fn results(&self) -> &[TestResult] {
        &[]
    }

    fn finish(self: Box<Self>) -> Vec<TestResult> {
        Vec::new()
    }

    fn format(&self) -> Option<Format> {
        Some(Format::Junit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::parse::testutil::{Expect, check};

    #[test]
    fn nextest_report() {
        use TestStatus::*;
        let xml = include_str!("../../../tests/fixtures/runners/junit/nextest_junit.xml");
        let results = parse(xml).unwrap_or_else(|e| panic!("{e}"));
        let lib = "fixture_calc";
        let cli = "fixture_calc::cli";
        let t = |n: &str, suite: &str, s| Expect::new(&format!("{suite}.{n}"), suite, s);
        check(
            &results,
            &[
                t("tests::adds", lib, Passed),
                t("tests::div_by_zero_panics", lib, Passed),
                t("tests::nested::deep", lib, Passed),
                t("tests::should_panic_but_does_not", lib, Failed)
                    .message("note: test did not panic as expected at src/lib.rs:58:8"),
                t("tests::subtracts_wrong", lib, Failed)
                    .message("assertion `left == right` failed")
                    .at("src/lib.rs", 41),
                t("tests::sleeps_a_bit", lib, Passed),
                t("tests::unwraps_none", lib, Failed)
                    .message("value should be present")
                    .at("src/lib.rs", 47),
                t("integration_add", cli, Passed),
                t("integration_fails", cli, Failed)
                    .message("expected more than 5, got 3")
                    .at("tests/cli.rs", 11),
                t("result_err", cli, Failed).message("Error: \"returned an error\""),
            ],
        );
        let sleeps = results.iter().find(|r| r.name.ends_with("sleeps_a_bit"));
        assert!(sleeps.is_some_and(|r| r.duration_ms.is_some_and(|ms| ms >= 30)));
        let sub = results.iter().find(|r| r.name.ends_with("subtracts_wrong"));
        assert!(sub.is_some_and(|r| r.output.contains("computing 7 - 2")));
    }

    fn pytest_cases(xunit1: bool) -> Vec<Expect> {
        use TestStatus::*;
        let f = "tests/test_calc.py";
        let t = |n: &str, s| Expect::new(&format!("tests.test_calc.{n}"), "pytest", s);
        // xunit1 gives each test's definition line; xunit2 only the traceback's.
        let def = |e: Expect, line: u32, tb: Option<(&str, u32)>| {
            if xunit1 {
                e.at(f, line)
            } else if let Some((file, l)) = tb {
                e.at(file, l)
            } else {
                e
            }
        };
        vec![
            def(t("test_add", Passed), 8, None),
            def(
                t("test_add_wrong", Failed).message("assert 4 == 5"),
                12,
                Some((f, 14)),
            ),
            def(
                t("test_positive[1]", Failed).message("assert (1 - 2) > 0"),
                17,
                Some((f, 19)),
            ),
            def(
                t("test_positive[2]", Failed).message("assert (2 - 2) > 0"),
                17,
                Some((f, 19)),
            ),
            def(t("test_positive[3]", Passed), 17, None),
            def(t("test_concat[a-b]", Passed), 22, None),
            def(t("test_concat[x-y]", Passed), 22, None),
            def(
                t("test_div_zero", Failed).message("ZeroDivisionError: division by zero"),
                27,
                Some(("calc.py", 9)),
            ),
            def(
                t("test_skipped", Skipped).message("not ready yet"),
                31,
                None,
            ),
            def(
                t("test_skipif", Skipped).message("only on python 2"),
                36,
                None,
            ),
            def(
                t("test_xfail", Skipped).message("xfail: known bug"),
                41,
                None,
            ),
            def(
                t("test_uses_broken_fixture", Failed)
                    .message("failed on setup with \"RuntimeError: fixture setup failed\""),
                51,
                Some((f, 48)),
            ),
            def(t("TestGroup.test_in_class", Passed), 56, None),
            def(
                t("TestGroup.test_in_class_fails", Failed).message("AssertionError: lists differ"),
                59,
                Some((f, 60)),
            ),
        ]
    }

    #[test]
    fn pytest_report() {
        let xml = include_str!("../../../tests/fixtures/runners/junit/pytest_junit.xml");
        let results = parse(xml).unwrap_or_else(|e| panic!("{e}"));
        let mut expected = pytest_cases(false);
        // `classname=""`: the name alone.
        expected.push(
            Expect::new("tests.test_broken", "pytest", TestStatus::Failed)
                .message("collection failure")
                .at("tests/test_broken.py", 1),
        );
        check(&results, &expected);
    }

    #[test]
    fn pytest_xunit1_report_has_locations() {
        let xml = include_str!("../../../tests/fixtures/runners/junit/pytest_junit_xunit1.xml");
        let results = parse(xml).unwrap_or_else(|e| panic!("{e}"));
        check(&results, &pytest_cases(true));
    }

    #[test]
    fn bare_testsuite_root_and_local_timestamps() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="com.example.CalcTest" tests="2" failures="1" errors="0" skipped="0" time="1,234.5" timestamp="2024-01-01T12:00:00" hostname="h">
  <testcase name="adds" classname="com.example.CalcTest" time="0.01" file="src/test/CalcTest.java" line="12"/>
  <testcase name="divides" classname="com.example.CalcTest" time="abc">
    <failure message="expected: &lt;2&gt; but was: &lt;3&gt;" type="AssertionFailedError">stack</failure>
  </testcase>
</testsuite>"#;
        let results = parse(xml).unwrap_or_else(|e| panic!("{e}"));
        check(
            &results,
            &[
                Expect::new(
                    "com.example.CalcTest.adds",
                    "com.example.CalcTest",
                    TestStatus::Passed,
                )
                .at("src/test/CalcTest.java", 12),
                Expect::new(
                    "com.example.CalcTest.divides",
                    "com.example.CalcTest",
                    TestStatus::Failed,
                )
                .message("expected: <2> but was: <3>"),
            ],
        );
        assert_eq!(results[0].duration_ms, Some(10));
    }

    #[test]
    fn malformed_xml_is_a_clear_error() {
        for bad in [
            "<testsuites><testsuite name=\"a\"></testcase></testsuites>",
            "<testsuites><testsuite name=\"a\"><testcase name=\"x\" a=\"1\" a=\"2\"/>",
            "<testsuites><testsuite name=\"a\"><testcase name=\"x\"",
        ] {
            let err = parse(bad).err().unwrap_or_default();
            assert!(err.starts_with("malformed JUnit XML"), "{bad:?} → {err:?}");
        }
        // A report cut short says so.
        let err = parse("<testsuites><testsuite name=\"a\"><testcase name=\"x\">")
            .err()
            .unwrap_or_default();
        assert_eq!(
            err,
            "malformed JUnit XML: the file ends inside <testcase> (cut short?)"
        );
        assert_eq!(parse("<testsuites/>").map(|r| r.len()), Ok(0));
    }

    #[test]
    fn xml_that_is_not_junit_says_so() {
        for (bad, why) in [
            ("", "no <testsuites> or <testsuite> element in it"),
            (
                "not xml at all",
                "no <testsuites> or <testsuite> element in it",
            ),
            (
                "<?xml version=\"1.0\"?><html><body>502</body></html>",
                "the root element is <html>, not <testsuites> or <testsuite>",
            ),
        ] {
            let err = parse(bad).err().unwrap_or_default();
            assert_eq!(err, format!("not JUnit XML: {why}"), "{bad:?}");
        }
    }

    #[test]
    fn at_most_max_report_cases_are_read_and_the_rest_is_said() {
        let cases = |n: usize| {
            let mut xml = String::from("<testsuite name=\"s\">");
            for i in 0..n {
                xml.push_str(&format!("<testcase name=\"t{i}\"/>"));
            }
            xml + "</testsuite>"
        };
        let exact = parse_reader(cases(MAX_REPORT_CASES).as_bytes()).unwrap_or_default();
        assert_eq!((exact.results.len(), exact.more), (MAX_REPORT_CASES, false));
        let over = parse_reader(cases(MAX_REPORT_CASES + 1).as_bytes()).unwrap_or_default();
        assert_eq!((over.results.len(), over.more), (MAX_REPORT_CASES, true));
        assert_eq!(
            over.note(Path::new("r.xml")).as_deref(),
            Some("r.xml: more than 100000 test cases; the rest were not read")
        );
    }

    #[test]
    fn text_is_read_within_the_output_bound() {
        let huge = "x".repeat(OUTPUT_CAP * 4);
        let xml = format!(
            "<testsuite name=\"s\"><testcase name=\"t\"><failure message=\"m\">{huge}</failure>\
             <system-out>{huge}</system-out></testcase></testsuite>"
        );
        let results = parse(&xml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].status, TestStatus::Failed);
        assert!(results[0].output.len() <= OUTPUT_CAP + 64);
    }

    #[test]
    fn entities_character_references_and_cdata_are_text() {
        let xml = "<testsuites><testsuite name=\"s\"><testcase name=\"t\" classname=\"c\">\
                   <failure>a &lt; b &#38; &#x3E; <![CDATA[<raw>]]> &custom;</failure>\
                   </testcase><testcase name=\"u\"><skipped message=\"later\"/></testcase>\
                   </testsuite></testsuites>";
        let results = parse(xml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            results[0].message.as_deref(),
            Some("a < b & > <raw> &custom;")
        );
        assert_eq!(results[0].name, "c.t");
        assert_eq!(results[1].status, TestStatus::Skipped);
        assert_eq!(results[1].message.as_deref(), Some("later"));
    }
}
