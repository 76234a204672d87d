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
//! Reports that quick-junit rejects only for details the results do not need (a bare
//! `<testsuite>` root, timestamps without a time zone, unparsable numbers) are read after those
//! details are set aside.

use std::sync::LazyLock;

use quick_junit::{Report, TestCaseStatus};
use regex::{Captures, Regex};

use super::common::{
    bounded_message, is_python_library_path, message, push_output, push_raw, secs_to_ms,
    split_location,
};
use crate::runner::result::{Format, Parser, Stream, TestResult, TestStatus};

/// The results of a JUnit XML report, or a message saying why it cannot be read.
pub fn parse(xml: &str) -> Result<Vec<TestResult>, String> {
    let report = match Report::deserialize_from_str(xml) {
        Ok(r) => r,
        Err(first) => {
            let lenient = sanitize(xml);
            match Report::deserialize_from_str(&lenient) {
                Ok(r) => r,
                Err(_) => return Err(describe(&first)),
            }
        }
    };
    Ok(convert(&report))
}

fn describe(e: &dyn std::error::Error) -> String {
    let mut text = format!("malformed JUnit XML: {e}");
    let mut source = e.source();
    let mut depth = 0;
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.ends_with(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    text
}

static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"<(testsuites|testsuite|testcase|failure|error|skipped|flakyFailure|flakyError|rerunFailure|rerunError)(\s[^>]*?)?(/?)>",
    )
    .expect("static regex")
});
static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([A-Za-z_:][-\w:.]*)\s*=\s*("[^"]*"|'[^']*')"#).expect("static regex")
});

/// Drops the attributes quick-junit is strict about and wraps a bare `<testsuite>` root.
fn sanitize(xml: &str) -> String {
    let fixed = TAG.replace_all(xml, |c: &Captures| {
        let tag = c.get(1).map_or("", |m| m.as_str());
        let attrs = c.get(2).map_or("", |m| m.as_str());
        let close = c.get(3).map_or("", |m| m.as_str());
        let mut out = format!("<{tag}");
        let mut has_name = false;
        for a in ATTR.captures_iter(attrs) {
            let key = a.get(1).map_or("", |m| m.as_str());
            let raw = a.get(2).map_or("", |m| m.as_str());
            let value = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
            let keep = match key {
                "timestamp" | "uuid" => false,
                "time" => value
                    .replace(',', "")
                    .trim()
                    .parse::<f64>()
                    .is_ok_and(|t| t >= 0.0),
                "tests" | "failures" | "errors" | "skipped" | "disabled" | "assertions" => {
                    value.trim().parse::<usize>().is_ok()
                }
                _ => true,
            };
            if key == "name" {
                has_name = true;
            }
            if keep {
                if key == "time" {
                    out.push_str(&format!(" time=\"{}\"", value.replace(',', "").trim()));
                } else {
                    out.push(' ');
                    out.push_str(a.get(0).map_or("", |m| m.as_str()));
                }
            }
        }
        if !has_name && (tag == "testsuite" || tag == "testcase") {
            out.push_str(" name=\"\"");
        }
        out.push_str(close);
        out.push('>');
        out
    });
    if fixed.contains("<testsuites") {
        return fixed.into_owned();
    }
    match fixed.find("<testsuite") {
        Some(at) => {
            let mut s = String::with_capacity(fixed.len() + 32);
            s.push_str(&fixed[..at]);
            s.push_str("<testsuites>");
            s.push_str(&fixed[at..]);
            s.push_str("</testsuites>");
            s
        }
        None => fixed.into_owned(),
    }
}

fn convert(report: &Report) -> Vec<TestResult> {
    let pytest = report
        .name
        .as_ref()
        .is_some_and(|n| n.as_str() == "pytest tests");
    let mut results = Vec::new();
    for suite in &report.test_suites {
        for case in &suite.test_cases {
            let name = match case.classname.as_ref().map(|c| c.as_str()) {
                Some(c) if !c.is_empty() => format!("{c}.{}", case.name.as_str()),
                _ => case.name.as_str().to_string(),
            };
            let mut xfail = false;
            let (status, attr_message, description) = match &case.status {
                TestCaseStatus::Success { .. } => (TestStatus::Passed, None, None),
                TestCaseStatus::NonSuccess {
                    message,
                    description,
                    ..
                } => (TestStatus::Failed, message.as_ref(), description.as_ref()),
                TestCaseStatus::Skipped {
                    message,
                    description,
                    ty,
                } => {
                    xfail = ty.as_ref().is_some_and(|t| t.as_str() == "pytest.xfail");
                    (TestStatus::Skipped, message.as_ref(), description.as_ref())
                }
            };
            let mut r = TestResult::new(name, status);
            let suite_name = suite.name.as_str();
            r.suite = (!suite_name.is_empty()).then(|| suite_name.to_string());
            r.duration_ms = case.time.and_then(|t| secs_to_ms(t.as_secs_f64()));
            let description = description.map(|d| d.as_str());
            r.message = attr_message
                .and_then(|m| message(m.as_str()))
                .or_else(|| description.and_then(message));
            if xfail {
                // As the pytest parser says it: an expected failure, not a plain skip.
                r.message = Some(match r.message.take() {
                    Some(m) => bounded_message(&format!("xfail: {m}")),
                    None => "xfail".into(),
                });
            }
            if let Some(file) = case.extra.get("file") {
                r.file = Some(file.as_str().to_string());
                r.line = case
                    .extra
                    .get("line")
                    .and_then(|l| l.as_str().trim().parse::<u32>().ok())
                    .map(|l| if pytest { l.saturating_add(1) } else { l });
            }
            if status == TestStatus::Failed {
                refine_failure(&mut r, description);
            }
            if let Some(d) = description {
                push_raw(&mut r.output, d);
                if !d.ends_with('\n') {
                    r.output.push('\n');
                }
            }
            for text in [&case.system_out, &case.system_err].into_iter().flatten() {
                let text = text.as_str();
                if !text.trim().is_empty() {
                    push_output(&mut r.output, text.trim_end_matches('\n'));
                }
            }
            results.push(r);
        }
    }
    results
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
            "",
            "not xml at all",
            "<testsuites><testsuite name=\"a\"><testcase name=\"x\">",
            "<testsuites><testsuite name=\"a\"></testcase></testsuites>",
            "<?xml version=\"1.0\"?><other/>",
        ] {
            let err = parse(bad).err().unwrap_or_default();
            assert!(err.starts_with("malformed JUnit XML"), "{bad:?} → {err:?}");
        }
        assert_eq!(parse("<testsuites/>").map(|r| r.len()), Ok(0));
    }
}
