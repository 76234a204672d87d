//! pytest's terminal output: `-v` progress lines, `-q`, `-rA` short summaries, `-s`.
//!
//! Names are node ids (`tests/test_a.py::TestX::test_y[3]`). Statuses: PASSED and XPASS →
//! passed; FAILED and ERROR → failed; SKIPPED and XFAIL → skipped. A collection error
//! (`ERROR collecting tests/test_b.py`) is a failed result named by the file. Failure details come
//! from the ERRORS / FAILURES sections: the message is the first `E   ` line, the location the
//! last `path.py:N: ...` line of the traceback outside Python's own library.
//!
//! Quiet runs name only what the short summary names; the counts of the final
//! `N failed, N passed in 0.1s` line are kept right with `(unnamed passed test 1)` results.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::common::{
    MAX_UNNAMED, ResultSet, bounded_message, is_python_library_path, push_output, unnamed,
};
use crate::runner::result::{Format, Parser, Stream, TestResult, TestStatus};

const STATUSES: [&str; 6] = ["PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"];

/// `tests/test_a.py::test_x PASSED                    [ 50%]` (`-v`), maybe with a
/// `(reason)` after the status: (node id, status word, reason). The node id ends at the first
/// ` STATUS` that the rest of the line fits (ids may hold spaces inside `[...]`).
fn progress(line: &str) -> Option<(&str, &str, Option<&str>)> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let mut s = line.trim_end();
    if s.ends_with("%]")
        && let Some(open) = s.rfind('[')
    {
        s = s[..open].trim_end();
    }
    let mut from = 0;
    while let Some(off) = s[from..].find(' ') {
        let pos = from + off;
        let after = &s[pos + 1..];
        for word in STATUSES {
            if let Some(rem) = after.strip_prefix(word) {
                if rem.is_empty() {
                    return Some((&s[..pos], word, None));
                }
                if let Some(reason) = rem.strip_prefix(" (").and_then(|r| r.strip_suffix(')')) {
                    return Some((&s[..pos], word, Some(reason)));
                }
            }
        }
        from = pos + 1;
    }
    None
}
/// pytest-xdist: `[gw0] [ 50%] PASSED tests/test_a.py::test_x`.
static XDIST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\[gw\d+\] \[\s*\d+%\] (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S.*?)\s*$")
        .expect("static regex")
});
/// The status alone on a line, after a `-s` test printed output.
static BARE_STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)(?: \((.*)\))?(?:\s+\[\s*\d+%\])?\s*$")
        .expect("static regex")
});
/// `SKIPPED [2] tests/test_a.py:12: reason` in the short summary.
static SKIP_SUMMARY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^SKIPPED \[(\d+)\] (.+?):(\d+): ?(.*)$").expect("static regex"));
/// `5 failed, 5 passed, 2 skipped in 0.25s` (inside `=` rules or not).
static COUNTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^=*\s*(\d+ [a-z]+(?:, \d+ [a-z]+)*) in [\d.]+s\b").expect("static regex")
});

const UNNAMED_HINT: &str =
    "pytest counted this test but did not print its name; run pytest with -v or -rA to see names";
/// The most failure sections kept while their tests are still unnamed.
const MAX_ORPHANS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Session,
    Errors,
    Failures,
    Passes,
    Summary,
    Other,
}

#[derive(Debug)]
enum Target {
    /// A failure or a setup/teardown error, by its header (`TestGroup.test_x`).
    Head { head: String, error: bool },
    /// `ERROR collecting tests/test_b.py`.
    Collect(String),
    /// Captured output of a passed test (`-rA`).
    Passed(String),
}

#[derive(Debug)]
struct Block {
    target: Target,
    output: String,
    message: Option<String>,
    location: Option<(String, u32)>,
    library_location: Option<(String, u32)>,
}

impl Block {
    fn new(target: Target) -> Self {
        Self {
            target,
            output: String::new(),
            message: None,
            location: None,
            library_location: None,
        }
    }

    fn line(&mut self, line: &str) {
        push_output(&mut self.output, line);
        if self.message.is_none()
            && let Some(rest) = line.strip_prefix('E')
            && rest.starts_with(' ')
            && !rest.trim().is_empty()
        {
            self.message = Some(bounded_message(rest));
            return;
        }
        // `tests/test_a.py:12: AssertionError`, `calc.py:9: in div` (--tb=short).
        if !line.starts_with(' ')
            && let Some(py) = line.find(".py:")
        {
            let after = &line[py + ".py:".len()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 && after[digits..].starts_with(':') {
                let path = &line[..py + ".py".len()];
                if let Ok(n) = after[..digits].parse::<u32>() {
                    let loc = Some((path.to_string(), n));
                    if is_python_library_path(path) {
                        self.library_location = loc;
                    } else {
                        self.location = loc;
                    }
                }
            }
        }
    }

    fn apply(self, r: &mut TestResult) {
        if self.message.is_some() {
            r.message = self.message;
        }
        if let Some((file, line)) = self.location.or(self.library_location) {
            r.file = Some(file);
            r.line = Some(line);
        }
        if r.output.is_empty() {
            r.output = self.output;
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    passed: usize,
    failed: usize,
    skipped: usize,
}

#[derive(Debug)]
pub struct PytestParser {
    set: ResultSet,
    /// Failure headers (`TestGroup.test_x`) to result indexes.
    heads: HashMap<String, Vec<usize>>,
    detailed: HashSet<usize>,
    section: Section,
    block: Option<Block>,
    /// Failure sections of tests not named yet (quiet runs name them in the summary).
    orphans: Vec<Block>,
    /// A `-s` test that printed output after its node id: waiting for its status.
    pending: Option<String>,
    verbose: bool,
    summary_names_passes: bool,
    counts: Option<Counts>,
    /// Results named by a `SKIPPED [N] file:line` location (bounded in all).
    located_skips: usize,
}

impl Default for PytestParser {
    fn default() -> Self {
        Self::new()
    }
}

/// The failure-section header pytest prints for a node id: `tests/a.py::TestX::test_y[1]` →
/// `TestX.test_y[1]`.
fn head_of(nodeid: &str) -> Option<String> {
    let (_, rest) = nodeid.split_once("::")?;
    Some(rest.replace("::", "."))
}

fn status_of(word: &str) -> Option<TestStatus> {
    match word {
        "PASSED" | "XPASS" => Some(TestStatus::Passed),
        "FAILED" | "ERROR" => Some(TestStatus::Failed),
        "SKIPPED" | "XFAIL" => Some(TestStatus::Skipped),
        _ => None,
    }
}

/// Splits `nodeid - message` where the node id may hold ` - ` inside `[...]`.
fn split_nodeid(text: &str) -> (&str, Option<&str>) {
    let mut depth = 0i32;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'[' => depth += 1,
            b']' => depth -= 1,
            b' ' if depth <= 0 && bytes[i..].starts_with(b" - ") => {
                return (&text[..i], Some(&text[i + 3..]));
            }
            _ => {}
        }
    }
    (text.trim_end(), None)
}

impl PytestParser {
    pub fn new() -> Self {
        Self {
            set: ResultSet::default(),
            heads: HashMap::new(),
            detailed: HashSet::new(),
            section: Section::Session,
            block: None,
            orphans: Vec::new(),
            pending: None,
            verbose: false,
            summary_names_passes: false,
            counts: None,
            located_skips: 0,
        }
    }

    fn record(&mut self, nodeid: &str, status: TestStatus, reason: Option<&str>) -> usize {
        let mut r = TestResult::new(nodeid, status);
        if let Some(reason) = reason.filter(|s| !s.trim().is_empty()) {
            r.message = Some(bounded_message(reason));
        }
        let before = self.set.results.len();
        let i = self.set.upsert_named(r);
        if i == before
            && let Some(head) = head_of(nodeid)
        {
            self.heads.entry(head).or_default().push(i);
        }
        i
    }

    /// The first not-yet-detailed result printed under `head`.
    fn by_head(&self, head: &str) -> Option<usize> {
        let candidates = self.heads.get(head)?;
        candidates
            .iter()
            .copied()
            .find(|i| !self.detailed.contains(i))
            .or_else(|| candidates.first().copied())
    }

    fn close_block(&mut self) {
        let Some(block) = self.block.take() else {
            return;
        };
        match &block.target {
            Target::Collect(file) => {
                let file = file.clone();
                let i = self.record(&file, TestStatus::Failed, None);
                self.detailed.insert(i);
                if let Some(r) = self.set.get_mut(i) {
                    block.apply(r);
                }
            }
            Target::Head { head, error } => match self.by_head(head) {
                Some(i) => {
                    let error = *error;
                    self.detailed.insert(i);
                    if let Some(r) = self.set.get_mut(i) {
                        if error {
                            r.status = TestStatus::Failed;
                        }
                        block.apply(r);
                    }
                }
                None => {
                    if self.orphans.len() < MAX_ORPHANS {
                        self.orphans.push(block);
                    }
                }
            },
            Target::Passed(head) => {
                if let Some(i) = self.by_head(head)
                    && let Some(r) = self.set.get_mut(i)
                    && r.output.is_empty()
                {
                    r.output = block.output;
                }
            }
        }
    }

    /// Gives a test named late (in the short summary) the failure section seen before.
    fn adopt_orphan(&mut self, i: usize, nodeid: &str) {
        let Some(head) = head_of(nodeid) else {
            return;
        };
        let Some(pos) = self
            .orphans
            .iter()
            .position(|b| matches!(&b.target, Target::Head { head: h, .. } if *h == head))
        else {
            return;
        };
        let block = self.orphans.remove(pos);
        self.detailed.insert(i);
        if let Some(r) = self.set.get_mut(i) {
            block.apply(r);
        }
    }

    fn section_rule(&mut self, line: &str) -> bool {
        if !(line.starts_with("==") && line.ends_with("==")) {
            return false;
        }
        let title = line.trim_matches('=').trim();
        if title.is_empty() {
            return false;
        }
        self.close_block();
        self.pending = None;
        self.section = match title {
            "ERRORS" => Section::Errors,
            "FAILURES" => Section::Failures,
            "PASSES" => Section::Passes,
            "short test summary info" => Section::Summary,
            "test session starts" => Section::Session,
            _ => {
                self.counts_line(line);
                Section::Other
            }
        };
        true
    }

    fn counts_line(&mut self, line: &str) -> bool {
        let Some(c) = COUNTS.captures(line) else {
            return false;
        };
        let mut counts = Counts::default();
        for part in c.get(1).map(|m| m.as_str()).unwrap_or("").split(", ") {
            let Some((n, word)) = part.split_once(' ') else {
                continue;
            };
            let n: usize = n.parse().unwrap_or(0);
            match word {
                "passed" | "xpassed" => counts.passed = counts.passed.saturating_add(n),
                "failed" | "error" | "errors" => counts.failed = counts.failed.saturating_add(n),
                "skipped" | "xfailed" => counts.skipped = counts.skipped.saturating_add(n),
                _ => {}
            }
        }
        self.counts = Some(counts);
        true
    }

    fn block_header(&mut self, line: &str) -> bool {
        if !(line.starts_with('_') && line.ends_with('_')) {
            return false;
        }
        if !line.trim_start_matches('_').starts_with(' ') {
            return false;
        }
        let title = line.trim_matches('_').trim();
        if title.is_empty() || title.bytes().all(|b| b == b'_' || b == b' ') {
            return false;
        }
        self.close_block();
        let target = if let Some(file) = title.strip_prefix("ERROR collecting ") {
            Target::Collect(file.trim().to_string())
        } else if let Some(head) = title
            .strip_prefix("ERROR at setup of ")
            .or_else(|| title.strip_prefix("ERROR at teardown of "))
        {
            Target::Head {
                head: head.trim().to_string(),
                error: true,
            }
        } else if self.section == Section::Passes {
            Target::Passed(title.to_string())
        } else {
            Target::Head {
                head: title.to_string(),
                error: false,
            }
        };
        self.block = Some(Block::new(target));
        true
    }

    fn summary_line(&mut self, line: &str) {
        if let Some(c) = SKIP_SUMMARY.captures(line) {
            if self.verbose {
                return; // -v already named the skipped tests.
            }
            let n: usize = c
                .get(1)
                .and_then(|m| m.as_str().parse().ok())
                .unwrap_or(1)
                .clamp(1, MAX_UNNAMED.saturating_sub(self.located_skips).max(1));
            if self.located_skips >= MAX_UNNAMED {
                return;
            }
            self.located_skips += n;
            let file = c.get(2).map(|m| m.as_str()).unwrap_or("");
            let line_no: Option<u32> = c.get(3).and_then(|m| m.as_str().parse().ok());
            let reason = c.get(4).map(|m| m.as_str()).unwrap_or("");
            let loc = format!("{file}:{}", line_no.unwrap_or(0));
            for k in 1..=n {
                let name = if n == 1 {
                    loc.clone()
                } else {
                    format!("{loc} ({k}/{n})")
                };
                let i = self.record(&name, TestStatus::Skipped, Some(reason));
                if let Some(r) = self.set.get_mut(i) {
                    r.file = Some(file.to_string());
                    r.line = line_no;
                }
            }
            return;
        }
        let Some((word, rest)) = line.split_once(' ') else {
            return;
        };
        let Some(status) = status_of(word) else {
            return;
        };
        let (nodeid, message) = split_nodeid(rest);
        if nodeid.is_empty() {
            return;
        }
        if word == "PASSED" {
            self.summary_names_passes = true;
        }
        let is_new = self.set.find(nodeid).is_none();
        let i = self.record(nodeid, status, message);
        if is_new && status == TestStatus::Failed {
            self.adopt_orphan(i, nodeid);
        }
    }

    fn progress_line(&mut self, line: &str) -> bool {
        if let Some((nodeid, word, reason)) = progress(line) {
            if !nodeid.contains("::") {
                return false;
            }
            if let Some(status) = status_of(word) {
                self.verbose = true;
                self.pending = None;
                self.record(nodeid, status, reason);
                return true;
            }
            return false;
        }
        if let Some(c) = XDIST.captures(line) {
            let status = c.get(1).and_then(|m| status_of(m.as_str()));
            let nodeid = c.get(2).map(|m| m.as_str()).unwrap_or("");
            if let Some(status) = status {
                self.verbose = true;
                self.record(nodeid, status, None);
                return true;
            }
        }
        // `-s`: the node id, then whatever the test printed; the status comes later.
        let first = line.split(' ').next().unwrap_or("");
        if first.contains(".py::") {
            self.verbose = true;
            self.pending = Some(first.to_string());
            return true;
        }
        false
    }

    fn resolve_pending(&mut self, line: &str) -> bool {
        let Some(c) = BARE_STATUS.captures(line.trim_start()) else {
            return false;
        };
        let Some(status) = c.get(1).and_then(|m| status_of(m.as_str())) else {
            return false;
        };
        if let Some(nodeid) = self.pending.take() {
            self.record(&nodeid, status, c.get(2).map(|m| m.as_str()));
        }
        true
    }
}

impl Parser for PytestParser {
    fn line(&mut self, _stream: Stream, line: &str) {
        if line.starts_with('=') {
            if self.section_rule(line) {
                return;
            }
        } else if line.starts_with('_') && self.section != Section::Session {
            if matches!(
                self.section,
                Section::Errors | Section::Failures | Section::Passes
            ) && self.block_header(line)
            {
                return;
            }
        } else if line.starts_with(|c: char| c.is_ascii_digit()) && line.contains(" in ") {
            // The quiet final line: `5 failed, 5 passed in 0.25s`.
            if self.counts_line(line) {
                return;
            }
        }
        match self.section {
            Section::Session => {
                if self.pending.is_some() && self.resolve_pending(line) {
                    return;
                }
                if line.contains("::") {
                    self.progress_line(line);
                }
            }
            Section::Errors | Section::Failures | Section::Passes => {
                if let Some(block) = self.block.as_mut() {
                    block.line(line);
                }
            }
            Section::Summary => self.summary_line(line),
            Section::Other => {}
        }
    }

    fn results(&self) -> &[TestResult] {
        &self.set.results
    }

    fn finish(mut self: Box<Self>) -> Vec<TestResult> {
        self.close_block();
        // Failure sections never named by a summary line: the header is the best name.
        for block in std::mem::take(&mut self.orphans) {
            let name = match &block.target {
                Target::Head { head, .. } => head.clone(),
                Target::Collect(f) | Target::Passed(f) => f.clone(),
            };
            let i = self.record(&name, TestStatus::Failed, None);
            if let Some(r) = self.set.get_mut(i) {
                block.apply(r);
            }
        }
        if let Some(counts) = self.counts.take()
            && !self.verbose
            && !self.summary_names_passes
        {
            let passed = counts
                .passed
                .saturating_sub(self.set.count(TestStatus::Passed));
            let skipped = counts
                .skipped
                .saturating_sub(self.set.count(TestStatus::Skipped));
            let failed = counts
                .failed
                .saturating_sub(self.set.count(TestStatus::Failed));
            let mut extra = Vec::new();
            unnamed(TestStatus::Passed, passed, UNNAMED_HINT, &mut extra);
            unnamed(TestStatus::Failed, failed, UNNAMED_HINT, &mut extra);
            unnamed(TestStatus::Skipped, skipped, UNNAMED_HINT, &mut extra);
            self.set.results.extend(extra);
        }
        self.set.results
    }

    fn format(&self) -> Option<Format> {
        Some(Format::Pytest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::parse::testutil::{Expect, check, feed};

    const F: &str = "tests/test_calc.py";

    /// What every full run reports for the named tests (verified against the captures).
    fn named_calc() -> Vec<Expect> {
        use TestStatus::*;
        vec![
            Expect::no_suite("tests/test_calc.py::test_add", Passed),
            Expect::no_suite("tests/test_calc.py::test_add_wrong", Failed)
                .message("assert 4 == 5")
                .at(F, 14),
            Expect::no_suite("tests/test_calc.py::test_positive[1]", Failed)
                .message("assert (1 - 2) > 0")
                .at(F, 19),
            Expect::no_suite("tests/test_calc.py::test_positive[2]", Failed)
                .message("assert (2 - 2) > 0")
                .at(F, 19),
            Expect::no_suite("tests/test_calc.py::test_positive[3]", Passed),
            Expect::no_suite("tests/test_calc.py::test_concat[a-b]", Passed),
            Expect::no_suite("tests/test_calc.py::test_concat[x-y]", Passed),
            // The exception is raised in calc.py: the last traceback location.
            Expect::no_suite("tests/test_calc.py::test_div_zero", Failed)
                .message("ZeroDivisionError: division by zero")
                .at("calc.py", 9),
            Expect::no_suite("tests/test_calc.py::test_xfail", Skipped).message("known bug"),
            Expect::no_suite("tests/test_calc.py::test_uses_broken_fixture", Failed)
                .message("RuntimeError: fixture setup failed")
                .at(F, 48),
            Expect::no_suite("tests/test_calc.py::TestGroup::test_in_class", Passed),
            Expect::no_suite("tests/test_calc.py::TestGroup::test_in_class_fails", Failed)
                .message("AssertionError: lists differ")
                .at(F, 60),
        ]
    }

    fn collection_error() -> Expect {
        Expect::no_suite("tests/test_broken.py", TestStatus::Failed)
            .message("ModuleNotFoundError: No module named 'not_a_real_module'")
            .at("tests/test_broken.py", 1)
    }

    fn verbose_skips() -> Vec<Expect> {
        vec![
            Expect::no_suite("tests/test_calc.py::test_skipped", TestStatus::Skipped)
                .message("not ready yet"),
            Expect::no_suite("tests/test_calc.py::test_skipif", TestStatus::Skipped)
                .message("only on python 2"),
        ]
    }

    #[test]
    fn verbose_run() {
        let text = include_str!("../../../tests/fixtures/runners/pytest/pytest_v.txt");
        let results = feed(Box::new(PytestParser::new()), text);
        let mut expected = named_calc();
        expected.extend(verbose_skips());
        expected.push(collection_error());
        check(&results, &expected);
        let wrong = results
            .iter()
            .find(|r| r.name == "tests/test_calc.py::test_add_wrong");
        assert!(wrong.is_some_and(|r| r.output.contains("about to compare")));
    }

    #[test]
    fn verbose_run_interrupted_by_a_collection_error() {
        let text =
            include_str!("../../../tests/fixtures/runners/pytest/pytest_v_collection_error.txt");
        let results = feed(Box::new(PytestParser::new()), text);
        check(&results, &[collection_error()]);
    }

    #[test]
    fn report_all_run() {
        let text = include_str!("../../../tests/fixtures/runners/pytest/pytest_ra.txt");
        let results = feed(Box::new(PytestParser::new()), text);
        let mut expected = named_calc();
        expected.push(collection_error());
        // `SKIPPED [1] tests/test_calc.py:31: not ready yet`: no node id, named by location.
        expected.push(
            Expect::no_suite("tests/test_calc.py:31", TestStatus::Skipped)
                .message("not ready yet")
                .at(F, 31),
        );
        expected.push(
            Expect::no_suite("tests/test_calc.py:36", TestStatus::Skipped)
                .message("only on python 2")
                .at(F, 36),
        );
        check(&results, &expected);
    }

    #[test]
    fn quiet_run_fills_in_unnamed_results() {
        let text = include_str!("../../../tests/fixtures/runners/pytest/pytest_q.txt");
        let results = feed(Box::new(PytestParser::new()), text);
        let mut expected: Vec<Expect> = named_calc()
            .into_iter()
            .filter(|e| e.status == TestStatus::Failed)
            .collect();
        expected.push(collection_error());
        // `5 failed, 5 passed, 2 skipped, 1 xfailed, 2 errors`: 5 passed and 3 skipped unnamed.
        for k in 1..=5 {
            expected.push(Expect::no_suite(
                &format!("(unnamed passed test {k})"),
                TestStatus::Passed,
            ));
        }
        for k in 1..=3 {
            expected.push(Expect::no_suite(
                &format!("(unnamed skipped test {k})"),
                TestStatus::Skipped,
            ));
        }
        check(&results, &expected);
    }

    #[test]
    fn quiet_short_tracebacks() {
        let text = include_str!("../../../tests/fixtures/runners/pytest/pytest_q_tb_short.txt");
        let results = feed(Box::new(PytestParser::new()), text);
        let failed: Vec<Expect> = named_calc()
            .into_iter()
            .filter(|e| e.status == TestStatus::Failed)
            .collect();
        let mut expected = failed;
        for k in 1..=5 {
            expected.push(Expect::no_suite(
                &format!("(unnamed passed test {k})"),
                TestStatus::Passed,
            ));
        }
        for k in 1..=3 {
            expected.push(Expect::no_suite(
                &format!("(unnamed skipped test {k})"),
                TestStatus::Skipped,
            ));
        }
        check(&results, &expected);
    }

    #[test]
    fn capture_disabled_output_between_id_and_status() {
        let text = include_str!("../../../tests/fixtures/runners/pytest/pytest_v_s.txt");
        let results = feed(Box::new(PytestParser::new()), text);
        let mut expected = named_calc();
        expected.extend(verbose_skips());
        check(&results, &expected);
    }

    #[test]
    fn teardown_error_after_pass_and_xdist_lines() {
        let text = "\
tests/a.py::test_x PASSED                                                [ 50%]
tests/a.py::test_x ERROR                                                 [ 50%]
[gw1] [100%] FAILED tests/a.py::test_y[a - b]
==================================== ERRORS ====================================
_________________________ ERROR at teardown of test_x __________________________
E   OSError: cleanup failed
tests/a.py:9: OSError
=========================== short test summary info ============================
FAILED tests/a.py::test_y[a - b] - assert 1 == 2
ERROR tests/a.py::test_x - OSError: cleanup failed
==================== 1 failed, 1 passed, 1 error in 0.01s ======================";
        let results = feed(Box::new(PytestParser::new()), text);
        check(
            &results,
            &[
                Expect::no_suite("tests/a.py::test_x", TestStatus::Failed)
                    .message("OSError: cleanup failed")
                    .at("tests/a.py", 9),
                Expect::no_suite("tests/a.py::test_y[a - b]", TestStatus::Failed)
                    .message("assert 1 == 2"),
            ],
        );
    }

    #[test]
    fn progress_lines() {
        assert_eq!(
            progress("tests/a.py::t[x PASSED y] SKIPPED (why (not))     [ 50%]"),
            Some(("tests/a.py::t[x PASSED y]", "SKIPPED", Some("why (not)")))
        );
        assert_eq!(
            progress("a.py::t PASSED"),
            Some(("a.py::t", "PASSED", None))
        );
        assert_eq!(progress("a.py::t[5%]"), None);
        assert_eq!(progress(" a.py::t PASSED"), None);
        assert_eq!(progress("a.py::t output"), None);
    }

    #[test]
    fn nodeid_split() {
        assert_eq!(
            split_nodeid("a.py::t[x - y] - msg"),
            ("a.py::t[x - y]", Some("msg"))
        );
        assert_eq!(split_nodeid("a.py::t"), ("a.py::t", None));
        assert_eq!(split_nodeid("a.py::t]]] - m"), ("a.py::t]]]", Some("m")));
        assert_eq!(head_of("a.py::C::t[1]").as_deref(), Some("C.t[1]"));
    }
}
