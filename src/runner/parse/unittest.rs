//! `python -m unittest` output, verbose (`-v`) or not.
//!
//! Names are `module.Class.test_method`, from `test_method (module.Class.test_method) ... ok`
//! (Python 3.11+) or the older `test_method (module.Class)`. A module that fails to import
//! (`unittest.loader._FailedTest`) is named by the module. Statuses: ok → passed; FAIL,
//! ERROR and unexpected success → failed; skipped and expected failure → skipped.
//!
//! A `subTest` that fails or is skipped is a result of its own, named by its test and its
//! parameters as unittest prints them (`module.Class.test_x [msg] (i=2)`), with its own message;
//! its test then has no result of its own (unittest reports none: `failures=` counts the
//! subtests). Doctests run through `doctest.DocTestSuite` are named by the doctest
//! (`calc.square`; a module's own docstring: `calc`).
//!
//! Details come from the `======` / `FAIL: name (id)` / `------` blocks at the end: the message is
//! the exception line of the (last) traceback, the location the last `File "...", line N` frame
//! outside Python's own library; a doctest's message is its failing example with `Expected:` and
//! `Got:` (or the exception it raised), its location the example's line.

use std::collections::{HashMap, HashSet};

use super::common::{
    ResultSet, bounded_message, is_python_library_path, push_output, push_raw, secs_to_ms, unnamed,
};
use super::doctest::DoctestDetails;
use crate::runner::result::{Format, Parser, Stream, TestResult, TestStatus};

/// A parsed `test_x (module.Class.test_x)<rest>` line.
struct TestLine<'a> {
    indent: usize,
    method: &'a str,
    id: &'a str,
    rest: &'a str,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `test_x (module.Class.test_x)` and what follows (no regex: this runs on every line).
fn test_line(line: &str) -> Option<TestLine<'_>> {
    let t = line.trim_start();
    let indent = line.len() - t.len();
    let b = t.as_bytes();
    if !b.first().is_some_and(|&c| is_ident_start(c)) {
        return None;
    }
    let m = b.iter().take_while(|&&c| is_ident(c)).count();
    let after = t.get(m..)?.strip_prefix(" (")?;
    let ab = after.as_bytes();
    // `calc ()`: a module's own doctest has an empty id.
    if !ab.first().is_some_and(|&c| is_ident_start(c) || c == b')') {
        return None;
    }
    let i = ab.iter().take_while(|&&c| is_ident(c) || c == b'.').count();
    let rest = after.get(i..)?.strip_prefix(')')?;
    Some(TestLine {
        indent,
        method: &t[..m],
        id: &after[..i],
        rest,
    })
}

/// `  File "/p/test_rate.py", line 11, in test_over_limit` → (path, line).
fn frame(line: &str) -> Option<(&str, u32)> {
    let rest = line.trim_start().strip_prefix("File \"")?;
    let (path, after) = rest.rsplit_once("\", line ")?;
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    let n = after.get(..digits)?.parse().ok()?;
    Some((path, n))
}

const UNNAMED_HINT: &str =
    "unittest counted this test but did not print its name; run it with -v to see names";

/// The normalized name from a test line's method and parenthesized id.
fn test_name(method: &str, id: &str) -> String {
    if id.is_empty()
        || id == "unittest.loader._FailedTest"
        || id == "unittest.loader.ModuleImportFailure"
    {
        return method.to_string();
    }
    if let Some(module) = id.strip_prefix("unittest.loader._FailedTest.") {
        return module.to_string();
    }
    let is_full = id.len() > method.len()
        && id.ends_with(method)
        && id.as_bytes().get(id.len() - method.len() - 1) == Some(&b'.');
    if is_full {
        id.to_string()
    } else {
        format!("{id}.{method}")
    }
}

/// A verbose status: `ok`, `FAIL`, `ERROR`, `skipped 'why'`, `expected failure`,
/// `unexpected success`, maybe with a ` (0.001s)` duration (3.12+ `--durations`).
fn parse_status(text: &str) -> Option<(TestStatus, Option<String>, Option<u64>)> {
    let text = text.trim();
    let (head, duration) = match text.rsplit_once(" (") {
        Some((h, d)) if d.ends_with("s)") => {
            let secs = d.trim_end_matches("s)").parse::<f64>().ok();
            match secs {
                Some(s) => (h, secs_to_ms(s)),
                None => (text, None),
            }
        }
        _ => (text, None),
    };
    match head {
        "ok" => Some((TestStatus::Passed, None, duration)),
        "FAIL" | "ERROR" => Some((TestStatus::Failed, None, duration)),
        "expected failure" => Some((
            TestStatus::Skipped,
            Some("expected failure".to_string()),
            duration,
        )),
        "unexpected success" => Some((
            TestStatus::Failed,
            Some("unexpected success".to_string()),
            duration,
        )),
        _ => {
            let reason = text.strip_prefix("skipped")?;
            let reason = reason.trim();
            let reason = reason
                .strip_prefix('\'')
                .and_then(|r| r.strip_suffix('\''))
                .or_else(|| reason.strip_prefix('"').and_then(|r| r.strip_suffix('"')))
                .unwrap_or(reason);
            Some((TestStatus::Skipped, Some(bounded_message(reason)), None))
        }
    }
}

/// A test line whose status is still to come (docstring line, printed output, subtests).
#[derive(Debug)]
struct Pending {
    name: String,
    output: String,
}

/// A subtest's name: its test's and the description unittest prints after the id
/// (`[msg] (i=2)`; `(<subtest>)` when it has neither).
fn subtest_name(test: &str, rest: &str) -> String {
    let desc = rest.trim();
    if desc.is_empty() {
        format!("{test} (<subtest>)")
    } else {
        format!("{test} {desc}")
    }
}

/// One `FAIL: ...` block.
#[derive(Debug)]
struct Block {
    name: String,
    /// The test a subtest's block belongs to.
    parent: Option<String>,
    unexpected_success: bool,
    output: String,
    in_traceback: bool,
    seen_frame: bool,
    exception: Option<String>,
    location: Option<(String, u32)>,
    /// A doctest's report (the header is followed by `Doctest: name`).
    doctest: Option<DoctestDetails>,
    /// Lines read after the header.
    lines: usize,
}

impl Block {
    fn line(&mut self, line: &str) {
        // `Doctest: calc.square` right under the header.
        if self.lines == 0 && line.starts_with("Doctest: ") {
            self.doctest = Some(DoctestDetails::default());
        }
        self.lines += 1;
        push_output(&mut self.output, line);
        if let Some(d) = self.doctest.as_mut() {
            d.line(line);
        }
        if line.starts_with("Traceback (most recent call last):") {
            self.in_traceback = true;
            self.seen_frame = false;
            self.exception = None;
            return;
        }
        if line.starts_with(' ') {
            if let Some((path, n)) = frame(line) {
                self.seen_frame = true;
                if !is_python_library_path(path) {
                    self.location = Some((path.to_string(), n));
                }
            }
            return;
        }
        if self.in_traceback && self.seen_frame && self.exception.is_none() && !line.is_empty() {
            self.exception = Some(bounded_message(line));
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    ran: usize,
    /// Skipped tests and subtests, and expected failures.
    skipped: usize,
}

#[derive(Debug, Default)]
pub struct UnittestParser {
    set: ResultSet,
    /// Tests whose subtests are results (by name): they have none of their own.
    parents: HashSet<String>,
    /// A subtest result's test, by the subtest's name.
    subtest_of: HashMap<String, String>,
    pending: Option<Pending>,
    /// Past the first `======` rule: failure blocks.
    in_blocks: bool,
    block: Option<Block>,
    /// The line after a `======` rule is a block header.
    expect_header: bool,
    verbose: bool,
    counts: Counts,
    saw_counts: bool,
}

fn is_rule(line: &str, c: u8) -> bool {
    line.len() >= 20 && line.bytes().all(|b| b == c)
}

impl UnittestParser {
    pub fn new() -> Self {
        Self::default()
    }

    fn record(&mut self, name: &str, status: TestStatus, note: Option<String>, ms: Option<u64>) {
        let mut r = TestResult::new(name, status);
        r.message = note;
        r.duration_ms = ms;
        self.set.upsert_named(r);
    }

    fn resolve_pending(&mut self, status: TestStatus, note: Option<String>, ms: Option<u64>) {
        if let Some(p) = self.pending.take() {
            let mut r = TestResult::new(p.name, status);
            r.message = note;
            r.duration_ms = ms;
            r.output = p.output;
            self.set.upsert_named(r);
        }
    }

    fn progress_line(&mut self, line: &str) {
        if let Some(TestLine {
            indent,
            method,
            id,
            rest,
        }) = test_line(line)
        {
            let name = test_name(method, id);
            self.verbose = true;
            if indent > 0 {
                // `  test_x (m.C.test_x) (i=2) ... FAIL`: a subtest, a result of its own.
                if let Some((desc, status)) = rest.rsplit_once(" ... ")
                    && let Some((status, note, ms)) = parse_status(status)
                    && status != TestStatus::Passed
                {
                    if self.pending.as_ref().is_some_and(|p| p.name == name) {
                        self.pending = None;
                    }
                    let sub = subtest_name(&name, desc);
                    self.subtest_of.insert(sub.clone(), name.clone());
                    self.parents.insert(name);
                    self.record(&sub, status, note, ms);
                }
                return;
            }
            self.pending = None;
            if let Some(after) = rest.strip_prefix(" ... ") {
                match parse_status(after) {
                    Some((status, note, ms)) => self.record(&name, status, note, ms),
                    None => {
                        let mut output = String::new();
                        if !after.trim().is_empty() {
                            push_output(&mut output, after);
                        }
                        self.pending = Some(Pending { name, output });
                    }
                }
            } else if rest.is_empty() {
                // A docstring's first line follows: `Docstring ... ok`.
                self.pending = Some(Pending {
                    name,
                    output: String::new(),
                });
            }
            return;
        }
        if self.pending.is_none() {
            return;
        }
        let status_text = match line.rsplit_once(" ... ") {
            Some((_, s)) => s,
            None => line,
        };
        match parse_status(status_text) {
            Some((status, note, ms)) => self.resolve_pending(status, note, ms),
            None => {
                if let Some(p) = self.pending.as_mut() {
                    push_output(&mut p.output, line);
                }
            }
        }
    }

    fn header(&mut self, line: &str) {
        let (kind, rest) = if let Some(r) = line.strip_prefix("FAIL: ") {
            ("FAIL", r)
        } else if let Some(r) = line.strip_prefix("ERROR: ") {
            ("ERROR", r)
        } else if let Some(r) = line.strip_prefix("UNEXPECTED SUCCESS: ") {
            ("UNEXPECTED SUCCESS", r)
        } else {
            return;
        };
        let Some(TestLine {
            method,
            id,
            rest: desc,
            ..
        }) = test_line(rest)
        else {
            return;
        };
        let test = test_name(method, id);
        // `FAIL: test_x (m.C.test_x) (i=2)`: a subtest's block.
        let (name, parent) = if desc.trim().is_empty() {
            (test, None)
        } else {
            (subtest_name(&test, desc), Some(test))
        };
        let mut block = Block {
            name,
            parent,
            unexpected_success: kind == "UNEXPECTED SUCCESS",
            output: String::new(),
            in_traceback: false,
            seen_frame: false,
            exception: None,
            location: None,
            doctest: None,
            lines: 0,
        };
        push_output(&mut block.output, line);
        self.block = Some(block);
    }

    fn close_block(&mut self) {
        let Some(mut block) = self.block.take() else {
            return;
        };
        if let Some(parent) = block.parent.take() {
            self.subtest_of.insert(block.name.clone(), parent.clone());
            self.parents.insert(parent);
        }
        if let Some(d) = block.doctest.take() {
            if let Some(m) = d.message() {
                block.exception = Some(m);
            }
            if let Some((file, line)) = d.location() {
                block.location = Some((file.to_string(), line));
            }
        }
        let message = block.exception.or_else(|| {
            block
                .unexpected_success
                .then(|| "unexpected success".to_string())
        });
        let i = match self.set.find(&block.name) {
            Some(i) => i,
            None => self
                .set
                .upsert_named(TestResult::new(block.name.clone(), TestStatus::Failed)),
        };
        let Some(r) = self.set.get_mut(i) else {
            return;
        };
        r.status = TestStatus::Failed;
        if r.message.is_none() || r.message.as_deref() == Some("unexpected success") {
            r.message = message.or(r.message.take());
        }
        if r.file.is_none()
            && let Some((file, line)) = block.location
        {
            r.file = Some(file);
            r.line = Some(line);
        }
        push_raw(&mut r.output, &block.output);
    }

    fn counts_line(&mut self, line: &str) -> bool {
        if let Some(rest) = line.strip_prefix("Ran ") {
            if let Some((n, _)) = rest.split_once(' ')
                && let Ok(n) = n.parse::<usize>()
            {
                self.counts.ran = n;
                self.saw_counts = true;
                return true;
            }
            return false;
        }
        // `FAILED (failures=3, errors=3, skipped=2, expected failures=1, unexpected successes=1)`
        let inner = line
            .strip_prefix("FAILED (")
            .or_else(|| line.strip_prefix("OK ("))
            .and_then(|r| r.strip_suffix(')'));
        let Some(inner) = inner else {
            return false;
        };
        for part in inner.split(", ") {
            let Some((key, n)) = part.split_once('=') else {
                continue;
            };
            let n: usize = n.parse().unwrap_or(0);
            // Failures are all named by their blocks; only the skips need counting.
            if key == "skipped" || key == "expected failures" {
                self.counts.skipped = self.counts.skipped.saturating_add(n);
            }
        }
        true
    }
}

impl Parser for UnittestParser {
    fn line(&mut self, _stream: Stream, line: &str) {
        if is_rule(line, b'=') {
            self.close_block();
            self.in_blocks = true;
            self.expect_header = true;
            self.pending = None;
            return;
        }
        if line.starts_with("Ran ") && self.counts_line(line) {
            self.close_block();
            self.in_blocks = false;
            return;
        }
        if self.expect_header {
            self.expect_header = false;
            self.header(line);
            if self.block.is_some() {
                return;
            }
        }
        if self.in_blocks {
            if let Some(block) = self.block.as_mut()
                && !is_rule(line, b'-')
            {
                block.line(line);
            }
            return;
        }
        if (line.starts_with("FAILED (") || line.starts_with("OK")) && self.counts_line(line) {
            return;
        }
        self.progress_line(line);
    }

    fn results(&self) -> &[TestResult] {
        &self.set.results
    }

    fn finish(mut self: Box<Self>) -> Vec<TestResult> {
        self.close_block();
        // A test whose subtests are results has none of its own (a quiet run's failing subtest
        // blocks, or a test line left waiting for a status that never came).
        if !self.parents.is_empty() {
            let parents = &self.parents;
            self.set.results.retain(|r| !parents.contains(&r.name));
        }
        if self.saw_counts && !self.verbose {
            // `Ran` counts tests; `failures=` counts failing subtests one by one.
            let mut failed_tests: HashSet<&str> = HashSet::new();
            for r in self
                .set
                .results
                .iter()
                .filter(|r| r.status == TestStatus::Failed)
            {
                let test = self.subtest_of.get(&r.name).unwrap_or(&r.name);
                failed_tests.insert(test.as_str());
            }
            let skipped = self.counts.skipped;
            let passed = self
                .counts
                .ran
                .saturating_sub(failed_tests.len())
                .saturating_sub(skipped);
            let mut extra = Vec::new();
            let p = passed.saturating_sub(self.set.count(TestStatus::Passed));
            let s = skipped.saturating_sub(self.set.count(TestStatus::Skipped));
            unnamed(TestStatus::Passed, p, UNNAMED_HINT, &mut extra);
            unnamed(TestStatus::Skipped, s, UNNAMED_HINT, &mut extra);
            self.set.results.extend(extra);
        }
        self.set.results
    }

    fn format(&self) -> Option<Format> {
        Some(Format::Unittest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::parse::testutil::{Expect, check, feed};

    const P: &str = "/work/main/tests/fixtures/runners/unittest/project";

    fn failures() -> Vec<Expect> {
        use TestStatus::*;
        vec![
            Expect::no_suite("pkg.test_deep.DeepTest.test_deep_fail", Failed)
                .message("KeyError: 'missing'")
                .at(&format!("{P}/pkg/test_deep.py"), 9),
            Expect::no_suite("test_broken_import", Failed)
                .message("ModuleNotFoundError: No module named 'not_a_real_module'")
                .at(&format!("{P}/test_broken_import.py"), 1),
            // The last frame inside the project is in rate.py, where the error is raised.
            Expect::no_suite("test_rate.RateTest.test_negative_limit", Failed)
                .message("ValueError: limit must be non-negative")
                .at(&format!("{P}/rate.py"), 6),
            Expect::no_suite("test_rate.RateTest.test_over_limit", Failed)
                .message("AssertionError: True is not false")
                .at(&format!("{P}/test_rate.py"), 11),
            Expect::no_suite("test_rate.RateTest.test_prints", Failed)
                .message("AssertionError: 'abc' != 'abd'")
                .at(&format!("{P}/test_rate.py"), 39),
            // The failing subtest is the result, named with its parameters.
            Expect::no_suite("test_rate.RateTest.test_with_subtests (i=2)", Failed)
                .message("AssertionError: 2 not less than 2")
                .at(&format!("{P}/test_rate.py"), 35),
            Expect::no_suite("test_rate.RateTest.test_fixed_bug", Failed)
                .message("unexpected success"),
        ]
    }

    #[test]
    fn verbose_run() {
        use TestStatus::*;
        let text = include_str!("../../../tests/fixtures/runners/unittest/unittest_v.txt");
        let results = feed(Box::new(UnittestParser::new()), text);
        let mut expected = failures();
        expected.extend([
            Expect::no_suite("pkg.test_deep.DeepTest.test_deep_ok", Passed),
            Expect::no_suite("test_rate.OtherTest.test_ok", Passed),
            Expect::no_suite("test_rate.OtherTest.test_skip_inline", Skipped)
                .message("skipped from inside"),
            Expect::no_suite("test_rate.RateTest.test_burst", Skipped)
                .message("not implemented yet"),
            Expect::no_suite("test_rate.RateTest.test_known_bug", Skipped)
                .message("expected failure"),
            Expect::no_suite("test_rate.RateTest.test_under_limit", Passed),
        ]);
        check(&results, &expected);
        let prints = results
            .iter()
            .find(|r| r.name == "test_rate.RateTest.test_prints");
        assert!(prints.is_some_and(|r| r.output.contains("some output from the test")));
        assert!(prints.is_some_and(|r| r.output.contains("Traceback (most recent call last)")));
    }

    #[test]
    fn quiet_run_names_failures_and_counts_the_rest() {
        use TestStatus::*;
        let text = include_str!("../../../tests/fixtures/runners/unittest/unittest_plain.txt");
        let results = feed(Box::new(UnittestParser::new()), text);
        let mut expected = failures();
        // Ran 13; failures=3, errors=3, unexpected successes=1 → 7 failed;
        // skipped=2, expected failures=1 → 3 skipped; 3 passed, all unnamed.
        for k in 1..=3 {
            expected.push(Expect::no_suite(
                &format!("(unnamed passed test {k})"),
                Passed,
            ));
            expected.push(Expect::no_suite(
                &format!("(unnamed skipped test {k})"),
                Skipped,
            ));
        }
        check(&results, &expected);
    }

    const CASES: &str = "/work/wt/i17-results/tests/fixtures/runners/unittest/cases";

    /// Every failure of the `cases/` project (Python 3.11): subtests and doctests.
    fn cases_failures() -> Vec<Expect> {
        use TestStatus::*;
        let calc = format!("{CASES}/calc.py");
        let limits = format!("{CASES}/test_limits.py");
        let l = "test_limits.Limits.";
        vec![
            Expect::no_suite("calc.Box.items", Failed)
                .message("Box().items() · Expected: [1, 2, 3] · Got: [1, 2, 4]")
                .at(&calc, 34),
            Expect::no_suite("calc.parse", Failed)
                .message("parse(\"x\") · ValueError: invalid literal for int() with base 10: 'x'")
                .at(&calc, 24),
            Expect::no_suite("calc.square", Failed)
                .message("square(3) · Expected: 10 · Got: 9")
                .at(&calc, 13),
            Expect::no_suite(&format!("{l}test_each_limit (i=2)"), Failed)
                .message("AssertionError: 2 not less than 2")
                .at(&limits, 8),
            Expect::no_suite(&format!("{l}test_each_limit (i=3)"), Failed)
                .message("AssertionError: 3 not less than 2")
                .at(&limits, 8),
            Expect::no_suite(&format!("{l}test_named_cases [case a] (x=1)"), Failed)
                .message("AssertionError: 1 != 2")
                .at(&limits, 12),
            Expect::no_suite(&format!("{l}test_named_cases [case b]"), Failed)
                .message("ValueError: bad b")
                .at(&limits, 14),
        ]
    }

    #[test]
    fn cases_verbose_one_result_per_failing_subtest_and_doctests() {
        use TestStatus::*;
        let text = include_str!("../../../tests/fixtures/runners/unittest/cases_v.txt");
        let results = feed(Box::new(UnittestParser::new()), text);
        let mut expected = cases_failures();
        expected.extend([
            Expect::no_suite("calc", Passed),
            Expect::no_suite("test_limits.Limits.test_all_fine", Passed),
            Expect::no_suite("test_limits.Limits.test_skip_one (i=1)", Skipped)
                .message("odd one out"),
        ]);
        check(&results, &expected);
        // `FAILED (failures=6, errors=1, skipped=1)`.
        let failed = results.iter().filter(|r| r.status == Failed).count();
        assert_eq!(failed, 7);
    }

    #[test]
    fn cases_quiet_counts_tests_not_subtests() {
        use TestStatus::*;
        let text = include_str!("../../../tests/fixtures/runners/unittest/cases_plain.txt");
        let results = feed(Box::new(UnittestParser::new()), text);
        let mut expected = cases_failures();
        // Ran 8: 5 tests failed (through 7 failures), 1 skipped; 2 passed, unnamed.
        expected.extend([
            Expect::no_suite("(unnamed passed test 1)", Passed),
            Expect::no_suite("(unnamed passed test 2)", Passed),
            Expect::no_suite("(unnamed skipped test 1)", Skipped),
        ]);
        check(&results, &expected);
    }

    #[test]
    fn all_ok_run_with_docstring() {
        let text = include_str!("../../../tests/fixtures/runners/unittest/unittest_v_ok.txt");
        let results = feed(Box::new(UnittestParser::new()), text);
        check(
            &results,
            &[
                Expect::no_suite("test_rate.OtherTest.test_ok", TestStatus::Passed),
                Expect::no_suite("test_rate.OtherTest.test_skip_inline", TestStatus::Skipped)
                    .message("skipped from inside"),
            ],
        );
    }

    #[test]
    fn older_python_forms() {
        let text = "\
test_a (test_m.C) ... ok
test_b (test_m.C)
A docstring. ... FAIL
setUpClass (test_m.D) ... ERROR
test_c (test_m.C) ... ok (0.250s)

======================================================================
FAIL: test_b (test_m.C)
A docstring.
----------------------------------------------------------------------
Traceback (most recent call last):
  File \"/usr/lib/python3.8/unittest/case.py\", line 60, in testPartExecutor
    yield
  File \"test_m.py\", line 7, in test_b
    self.assertEqual(1, 2)
AssertionError: 1 != 2

----------------------------------------------------------------------
Ran 4 tests in 0.001s

FAILED (failures=1, errors=1)";
        let results = feed(Box::new(UnittestParser::new()), text);
        let mut c = Expect::no_suite("test_m.C.test_c", TestStatus::Passed);
        c.duration_ms = Some(Some(250));
        check(
            &results,
            &[
                Expect::no_suite("test_m.C.test_a", TestStatus::Passed),
                Expect::no_suite("test_m.C.test_b", TestStatus::Failed)
                    .message("AssertionError: 1 != 2")
                    .at("test_m.py", 7),
                Expect::no_suite("test_m.D.setUpClass", TestStatus::Failed),
                c,
            ],
        );
    }

    #[test]
    fn chained_exceptions_take_the_last() {
        let text = "\
test_x (m.C.test_x) ... ERROR

======================================================================
ERROR: test_x (m.C.test_x)
----------------------------------------------------------------------
Traceback (most recent call last):
  File \"m.py\", line 3, in test_x
    {}['k']
KeyError: 'k'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File \"m.py\", line 5, in test_x
    raise ValueError('wrapped')
ValueError: wrapped

----------------------------------------------------------------------
Ran 1 test in 0.000s

FAILED (errors=1)";
        let results = feed(Box::new(UnittestParser::new()), text);
        check(
            &results,
            &[Expect::no_suite("m.C.test_x", TestStatus::Failed)
                .message("ValueError: wrapped")
                .at("m.py", 5)],
        );
    }

    #[test]
    fn line_shapes() {
        let t = test_line("  test_x (m.C.test_x) (i=2) ... FAIL");
        assert!(t.is_some_and(|t| t.indent == 2
            && t.method == "test_x"
            && t.id == "m.C.test_x"
            && t.rest == " (i=2) ... FAIL"));
        assert!(test_line("Docstring (with parens) ... ok").is_none_or(|t| t.id == "with"));
        assert!(test_line("1abc (m.C)").is_none());
        assert!(test_line("abc (").is_none());
        assert!(test_line("abc (m.C").is_none());
        assert_eq!(
            frame("  File \"/p/a, b.py\", line 11, in f"),
            Some(("/p/a, b.py", 11))
        );
        assert_eq!(frame("  File \"x.py\", line x"), None);
    }

    #[test]
    fn names() {
        assert_eq!(test_name("test_x", "m.C.test_x"), "m.C.test_x");
        assert_eq!(test_name("test_x", "m.C"), "m.C.test_x");
        assert_eq!(test_name("test_x", "m.Ctest_x"), "m.Ctest_x.test_x");
        assert_eq!(test_name("mod", "unittest.loader._FailedTest.mod"), "mod");
        // A module's own doctest: `calc ()`.
        let t = test_line("calc ()");
        assert!(t.is_some_and(|t| t.method == "calc" && t.id.is_empty()));
        assert_eq!(test_name("calc", ""), "calc");
        assert_eq!(subtest_name("m.C.t", " [a] (i=1) "), "m.C.t [a] (i=1)");
        assert_eq!(subtest_name("m.C.t", ""), "m.C.t (<subtest>)");
    }
}
