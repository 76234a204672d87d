//! pytest's terminal output: `-v` progress lines, `-q`, `-rA` short summaries, `-s`.
//!
//! Names are node ids (`tests/test_a.py::TestX::test_y[3]`). Statuses: PASSED → passed; XPASS
//! → passed with the message `xpass: reason`; FAILED and ERROR → failed (a strict XPASS is a
//! FAILED line); SKIPPED → skipped; XFAIL → skipped with the message `xfail: reason`. A
//! collection error (`ERROR collecting tests/test_b.py`) is a failed result named by the file.
//! Failure details come from the ERRORS / FAILURES sections: the message is the first `E   `
//! line (a doctest's: the example, `Expected:` and `Got:`), the location the last
//! `path.py:N: ...` line of the traceback outside Python's own library.
//!
//! Subtests (unittest's `subTest`, pytest's `subtests` fixture) that fail or skip are results
//! of their own, named `nodeid [msg] (params)` as pytest shows them; passing subtests are not
//! results (pytest counts them apart, as `N subtests passed`).
//!
//! `-rA` folds skips into `SKIPPED [2] tests/a.py:12: reason`: those are named by location
//! here (`tests/a.py:12`, `tests/a.py:12 (1/2)`), and [`resolve_skips`] renames them after the
//! test defined at that line once the workspace can be read. Quiet runs name only what the
//! short summary names; the counts of the final `N failed, N passed in 0.1s` line are kept
//! right with `(unnamed passed test 1)` results, as are a verbose run's modules skipped while
//! collecting (`collected 20 items / 2 skipped`).
//!
//! Long file: pytest's output forms (progress, `-q`, `-rA`, tracebacks, doctests, subtests,
//! xfail) are read by one line state machine; each form refines what another left.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::common::{
    MAX_UNNAMED, ResultSet, bounded_message, is_python_library_path, push_output, unnamed,
};
use super::doctest::DoctestDetails;
use super::pysource::{Owner, owner};
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
/// `5 failed, 5 passed, 2 skipped, 4 subtests passed in 0.25s` (inside `=` rules or not).
static COUNTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^=*\s*(\d+ [a-z]+(?: [a-z]+)?(?:, \d+ [a-z]+(?: [a-z]+)?)*) in [\d.]+s\b")
        .expect("static regex")
});
/// `collected 20 items / 2 skipped`: modules skipped while collecting (`-v` never names them).
static COLLECTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"collected \d+ items? / (?:\d+ errors? / )?(\d+) skipped").expect("static regex")
});

const UNNAMED_HINT: &str =
    "pytest counted this test but did not print its name; run pytest with -v or -rA to see names";
const COLLECT_SKIP_HINT: &str =
    "pytest skipped a module while collecting and -v does not name it; -rA does";
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
    /// A failure or a setup/teardown error, by its header (`TestGroup.test_x`, or `calc.square`
    /// from `[doctest] calc.square`).
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
    /// A `[doctest]` block's report.
    doctest: Option<DoctestDetails>,
}

impl Block {
    fn new(target: Target) -> Self {
        Self {
            target,
            output: String::new(),
            message: None,
            location: None,
            library_location: None,
            doctest: None,
        }
    }

    fn line(&mut self, line: &str) {
        push_output(&mut self.output, line);
        if let Some(d) = self.doctest.as_mut() {
            d.line(line);
        }
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

    fn apply(mut self, r: &mut TestResult) {
        if let Some(d) = self.doctest.take() {
            if let Some(m) = d.message() {
                self.message = Some(m);
            }
            if let Some((file, line)) = d.location() {
                self.location = Some((file.to_string(), line));
            }
        }
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
    /// Modules skipped while collecting (`collected 20 items / 2 skipped`).
    collect_skips: usize,
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

/// A subtest's status word (`SUBFAILED`): `None` for passes, which are not results.
fn sub_status(word: &str) -> Option<TestStatus> {
    match word {
        "SUBFAILED" => Some(TestStatus::Failed),
        "SUBSKIPPED" => Some(TestStatus::Skipped),
        _ => None,
    }
}

/// The message a status word and its reason give: XFAIL and XPASS say so, a skip's reason
/// loses pytest's `Skipped: ` prefix.
fn note(word: &str, reason: Option<&str>) -> Option<String> {
    let reason = reason
        .map(str::trim)
        .map(|r| r.strip_prefix("Skipped: ").unwrap_or(r))
        .filter(|r| !r.is_empty());
    let tag = match word {
        "XFAIL" => "xfail",
        "XPASS" => "xpass",
        _ => return reason.map(bounded_message),
    };
    Some(match reason {
        Some(r) => bounded_message(&format!("{tag}: {r}")),
        None => tag.to_string(),
    })
}

/// Splits a subtest's description off what follows it: `[msg] (i=2) tests/a.py::t - m` →
/// (`[msg] (i=2)`, `tests/a.py::t - m`). The description is `[...]` and `(...)` groups.
fn split_sub_desc(text: &str) -> (&str, &str) {
    let bytes = text.as_bytes();
    let mut end = 0;
    let mut i = 0;
    while i < bytes.len() && matches!(bytes[i], b'[' | b'(') {
        let (open, close) = if bytes[i] == b'[' {
            (b'[', b']')
        } else {
            (b'(', b')')
        };
        let mut depth = 0i32;
        let mut j = i;
        while j < bytes.len() {
            if bytes[j] == open {
                depth += 1;
            } else if bytes[j] == close {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            j += 1;
        }
        if j >= bytes.len() {
            break;
        }
        end = j + 1;
        i = end;
        if bytes.get(i) == Some(&b' ') && matches!(bytes.get(i + 1), Some(b'[' | b'(')) {
            i += 1;
        } else {
            break;
        }
    }
    (&text[..end], text[end..].trim_start())
}

/// A `-v` subtest line: `tests/a.py::t SUBFAILED[msg] (n=2)    [100%]` → (node id, status
/// word, description, reason). A SUBSKIPPED line ends with `(reason)`, which holds no `=`.
fn sub_progress(line: &str) -> Option<(&str, &str, String, Option<&str>)> {
    let mut s = line.trim_end();
    if s.ends_with("%]")
        && let Some(open) = s.rfind('[')
    {
        s = s[..open].trim_end();
    }
    if !s.contains(" SUB") {
        return None;
    }
    for (marker, word) in [
        (" SUBPASSED", "SUBPASSED"),
        (" SUBFAILED", "SUBFAILED"),
        (" SUBSKIPPED", "SUBSKIPPED"),
    ] {
        let Some(at) = s.find(marker) else {
            continue;
        };
        let nodeid = &s[..at];
        let rest = &s[at + marker.len()..];
        let (desc, _) = split_sub_desc(rest);
        let mut desc = desc.to_string();
        let mut reason = None;
        if word == "SUBSKIPPED"
            && let Some(open) = desc
                .rfind(" (")
                .or_else(|| desc.starts_with('(').then_some(0))
            && desc.ends_with(')')
            && !desc[open..].contains('=')
        {
            let start = if open == 0 { 1 } else { open + 2 };
            reason = rest.get(start..desc.len() - 1);
            desc.truncate(open);
        }
        return Some((nodeid, word, desc, reason));
    }
    None
}

/// A subtest's name: the node id and its description, as pytest's report headers show it.
fn sub_name(nodeid: &str, desc: &str) -> String {
    if desc.is_empty() {
        format!("{nodeid} (<subtest>)")
    } else {
        format!("{nodeid} {desc}")
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
            collect_skips: 0,
        }
    }

    fn record(&mut self, nodeid: &str, status: TestStatus, message: Option<String>) -> usize {
        let mut r = TestResult::new(nodeid, status);
        r.message = message;
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
        let doctest = title.strip_prefix("[doctest] ");
        let target = if let Some(file) = title.strip_prefix("ERROR collecting ") {
            Target::Collect(file.trim().to_string())
        } else if let Some(head) = doctest {
            Target::Head {
                head: head.trim().to_string(),
                error: false,
            }
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
        let mut block = Block::new(target);
        if doctest.is_some() {
            block.doctest = Some(DoctestDetails::default());
        }
        self.block = Some(block);
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
                let i = self.record(&name, TestStatus::Skipped, note("SKIPPED", Some(reason)));
                if let Some(r) = self.set.get_mut(i) {
                    r.file = Some(file.to_string());
                    r.line = line_no;
                }
            }
            return;
        }
        // `SUBFAILED[msg] (i=2) tests/a.py::t - message`.
        for word in ["SUBFAILED", "SUBSKIPPED", "SUBPASSED"] {
            if let Some(rest) = line.strip_prefix(word) {
                let (desc, after) = split_sub_desc(rest);
                let (nodeid, message) = split_nodeid(after);
                let Some(status) = sub_status(word).filter(|_| !nodeid.is_empty()) else {
                    return;
                };
                let name = sub_name(nodeid, desc);
                let is_new = self.set.find(&name).is_none();
                let i = self.record(&name, status, note(word, message));
                if is_new && status == TestStatus::Failed {
                    self.adopt_orphan(i, &name);
                }
                return;
            }
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
        if !is_new && !self.verbose && word == "SKIPPED" {
            // `--no-fold-skipped` names a module skipped twice (as tests and as doctests)
            // twice: each line is one skip of pytest's count.
            self.set.push(TestResult {
                message: note(word, message),
                ..TestResult::new(nodeid, status)
            });
            return;
        }
        let i = self.record(nodeid, status, note(word, message));
        if is_new && status == TestStatus::Failed {
            self.adopt_orphan(i, nodeid);
        }
    }

    fn progress_line(&mut self, line: &str) -> bool {
        if let Some((nodeid, word, desc, reason)) = sub_progress(line)
            && nodeid.contains("::")
        {
            self.verbose = true;
            self.pending = None;
            if let Some(status) = sub_status(word) {
                self.record(&sub_name(nodeid, &desc), status, note(word, reason));
            }
            return true;
        }
        if let Some((nodeid, word, reason)) = progress(line) {
            if !nodeid.contains("::") {
                return false;
            }
            if let Some(status) = status_of(word) {
                self.verbose = true;
                self.pending = None;
                self.record(nodeid, status, note(word, reason));
                return true;
            }
            return false;
        }
        if let Some(c) = XDIST.captures(line) {
            let status = c.get(1).and_then(|m| status_of(m.as_str()));
            let nodeid = c.get(2).map(|m| m.as_str()).unwrap_or("");
            if let Some(status) = status {
                self.verbose = true;
                let word = c.get(1).map_or("", |m| m.as_str());
                self.record(nodeid, status, note(word, None));
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
            let word = c.get(1).map_or("", |m| m.as_str());
            self.record(&nodeid, status, note(word, c.get(2).map(|m| m.as_str())));
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
                } else if line.contains("collected ")
                    && let Some(c) = COLLECTED.captures(line)
                {
                    self.collect_skips =
                        c.get(1).and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
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
        if self.verbose && self.collect_skips > 0 {
            let mut extra = Vec::new();
            unnamed(
                TestStatus::Skipped,
                self.collect_skips,
                COLLECT_SKIP_HINT,
                &mut extra,
            );
            self.set.results.extend(extra);
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

/// The largest Python file read to resolve a skip's location.
const MAX_SOURCE: u64 = 4 * 1024 * 1024;

/// Renames the skips that `-rA` reported by location (`tests/a.py:12`, `tests/a.py:12 (1/2)`)
/// after the test defined at that line in the workspace (`tests/a.py::TestX::test_y`, or the
/// module `tests/a.py` for a skip at module level), keeping a `(1/2)` suffix where pytest
/// folded several skips into one line (parametrized tests). A location in a helper, a file
/// outside the workspace or one that cannot be read keeps its name.
pub fn resolve_skips(results: &mut [TestResult], root: &Path) {
    let mut sources: HashMap<String, Option<String>> = HashMap::new();
    for r in results.iter_mut() {
        let (Some(file), Some(line)) = (r.file.as_deref(), r.line) else {
            continue;
        };
        if r.status != TestStatus::Skipped || !file.ends_with(".py") {
            continue;
        }
        let suffix = match r.name.strip_prefix(&format!("{file}:{line}")) {
            Some(s) if s.is_empty() || (s.starts_with(" (") && s.ends_with(')')) => s,
            _ => continue,
        };
        let source = sources
            .entry(file.to_string())
            .or_insert_with(|| read_source(root, file));
        let Some(source) = source else {
            continue;
        };
        let id = match owner(source, line as usize) {
            Owner::Module => file.to_string(),
            Owner::Test(tail) => format!("{file}::{tail}"),
            Owner::Other => continue,
        };
        r.name = format!("{id}{suffix}");
    }
}

/// A Python file of the workspace by its relative path, if it is small enough to read.
fn read_source(root: &Path, rel: &str) -> Option<String> {
    let rel = Path::new(rel);
    if !rel
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
    {
        return None;
    }
    let path = root.join(rel);
    if std::fs::metadata(&path).ok()?.len() > MAX_SOURCE {
        return None;
    }
    std::fs::read_to_string(path).ok()
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
            Expect::no_suite("tests/test_calc.py::test_xfail", Skipped).message("xfail: known bug"),
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

    const CASES: &str = "/work/wt/i17-results/tests/fixtures/runners/pytest/cases";

    /// The results of the `cases/` project every report shows alike (captured with pytest 9.2,
    /// `--doctest-modules`, CI=1).
    fn cases_named() -> Vec<Expect> {
        use TestStatus::*;
        let calc = format!("{CASES}/calc.py");
        let sub = "tests/test_subtests.py";
        vec![
            Expect::no_suite("calc.py::calc", Passed),
            // Doctests: the failing example's line, what it expected and what came out.
            Expect::no_suite("calc.py::calc.parse", Failed)
                .message("parse(\"x\") · ValueError: invalid literal for int() with base 10: 'x'")
                .at(&calc, 24),
            Expect::no_suite("calc.py::calc.square", Failed)
                .message("square(3) · Expected: 10 · Got: 9")
                .at(&calc, 13),
            Expect::no_suite("tests/test_ids.py::test_key_derivation[hmac]", Passed),
            Expect::no_suite("tests/test_ids.py::test_key_derivation[pbkdf2]", Failed)
                .message("AssertionError: pbkdf2 is too slow")
                .at("tests/test_ids.py", 6),
            Expect::no_suite("tests/test_ids.py::test_odd_id[a b [x] - y]", Passed),
            Expect::no_suite("tests/test_skips.py::TestGroup::test_runs", Passed),
            Expect::no_suite("tests/test_skips.py::test_xfail", Skipped)
                .message("xfail: known bug"),
            Expect::no_suite("tests/test_skips.py::test_xpass", Passed)
                .message("xpass: fixed since"),
            Expect::no_suite("tests/test_skips.py::test_xpass_strict", Failed)
                .message("[XPASS(strict)] must fail"),
            // unittest's subTest under pytest: the test passes, each failing subtest fails.
            Expect::no_suite("tests/test_subtests.py::Limits::test_each_limit", Passed),
            Expect::no_suite(
                "tests/test_subtests.py::Limits::test_each_limit (i=2)",
                Failed,
            )
            .message("AssertionError: 2 not less than 2")
            .at(sub, 10),
            Expect::no_suite(
                "tests/test_subtests.py::Limits::test_each_limit (i=3)",
                Failed,
            )
            .message("AssertionError: 3 not less than 2")
            .at(sub, 10),
            Expect::no_suite(
                "tests/test_subtests.py::test_with_fixture [square] (n=2)",
                Failed,
            )
            .message("assert (2 * 2) < 4")
            .at(sub, 16),
            Expect::no_suite("tests/test_subtests.py::test_with_fixture", Failed)
                .message("contains 1 failed subtest"),
        ]
    }

    fn counts(results: &[TestResult]) -> (usize, usize, usize) {
        let n = |s| results.iter().filter(|r| r.status == s).count();
        (
            n(TestStatus::Passed),
            n(TestStatus::Failed),
            n(TestStatus::Skipped),
        )
    }

    #[test]
    fn cases_report_all_names_folded_skips_by_location() {
        let text = include_str!("../../../tests/fixtures/runners/pytest/cases_ra.txt");
        let results = feed(Box::new(PytestParser::new()), text);
        let mut expected = cases_named();
        let skip = |name: &str, reason: &str, file: &str, line| {
            Expect::no_suite(name, TestStatus::Skipped)
                .message(reason)
                .at(file, line)
        };
        let t = "tests/test_skips.py";
        let o = "tests/test_optional.py";
        let no_yaml = "could not import 'not_a_real_yaml_module': No module named \
                       'not_a_real_yaml_module'";
        expected.extend([
            skip("tests/test_optional.py:3 (1/2)", no_yaml, o, 3),
            skip("tests/test_optional.py:3 (2/2)", no_yaml, o, 3),
            skip("tests/test_skips.py:6", "not ready yet", t, 6),
            skip("tests/test_skips.py:11", "only on python 2", t, 11),
            skip("tests/test_skips.py:18", "decided at run time", t, 18),
            skip("tests/test_skips.py:21 (1/2)", "all of them", t, 21),
            skip("tests/test_skips.py:21 (2/2)", "all of them", t, 21),
            skip("tests/test_skips.py:28", "in a class", t, 28),
            skip("tests/test_skips.py:36", "no network here", t, 36),
            skip("tests/test_skips.py:40", "no network here", t, 40),
        ]);
        check(&results, &expected);
        // `8 failed, 5 passed, 10 skipped, 1 xfailed, 1 xpassed`.
        assert_eq!(counts(&results), (6, 8, 11));
    }

    #[test]
    fn cases_unfolded_skips_have_node_ids() {
        let text = include_str!("../../../tests/fixtures/runners/pytest/cases_ra_no_fold.txt");
        let results = feed(Box::new(PytestParser::new()), text);
        let mut expected = cases_named();
        let no_yaml = "could not import 'not_a_real_yaml_module': No module named \
                       'not_a_real_yaml_module'";
        for (name, reason) in [
            ("test_marked", "not ready yet"),
            ("test_skipif", "only on python 2"),
            ("test_skip_inside", "decided at run time"),
            ("test_param_skipped[1]", "all of them"),
            ("test_param_skipped[2]", "all of them"),
            ("TestGroup::test_in_class", "in a class"),
            ("test_uses_fixture_a", "no network here"),
            ("test_uses_fixture_b", "no network here"),
        ] {
            expected.push(
                Expect::no_suite(&format!("tests/test_skips.py::{name}"), TestStatus::Skipped)
                    .message(reason),
            );
        }
        let optional: Vec<&TestResult> = results
            .iter()
            .filter(|r| r.name == "tests/test_optional.py")
            .collect();
        assert_eq!(optional.len(), 2, "skipped as tests and as doctests");
        assert!(
            optional
                .iter()
                .all(|r| r.message.as_deref() == Some(no_yaml))
        );
        let rest: Vec<TestResult> = results
            .iter()
            .filter(|r| r.name != "tests/test_optional.py")
            .cloned()
            .collect();
        check(&rest, &expected);
        assert_eq!(counts(&results), (6, 8, 11));
    }

    #[test]
    fn cases_verbose_names_every_test_and_counts_collection_skips() {
        let text = include_str!("../../../tests/fixtures/runners/pytest/cases_v.txt");
        let results = feed(Box::new(PytestParser::new()), text);
        let mut expected = cases_named();
        for (name, reason) in [
            ("test_marked", "not ready yet"),
            ("test_skipif", "only on python 2"),
            ("test_skip_inside", "decided at run time"),
            ("test_param_skipped[1]", "all of them"),
            ("test_param_skipped[2]", "all of them"),
            ("TestGroup::test_in_class", "in a class"),
            ("test_uses_fixture_a", "no network here"),
            ("test_uses_fixture_b", "no network here"),
        ] {
            expected.push(
                Expect::no_suite(&format!("tests/test_skips.py::{name}"), TestStatus::Skipped)
                    .message(reason),
            );
        }
        // `collected 20 items / 2 skipped`: -v never names the module skipped while collecting.
        expected.push(Expect::no_suite(
            "(unnamed skipped test 1)",
            TestStatus::Skipped,
        ));
        expected.push(Expect::no_suite(
            "(unnamed skipped test 2)",
            TestStatus::Skipped,
        ));
        check(&results, &expected);
        assert_eq!(counts(&results), (6, 8, 11));
    }

    #[test]
    fn cases_quiet_names_failures_and_counts_the_rest() {
        let text = include_str!("../../../tests/fixtures/runners/pytest/cases_q.txt");
        let results = feed(Box::new(PytestParser::new()), text);
        let mut expected: Vec<Expect> = cases_named()
            .into_iter()
            .filter(|e| e.status == TestStatus::Failed)
            .collect();
        for k in 1..=6 {
            expected.push(Expect::no_suite(
                &format!("(unnamed passed test {k})"),
                TestStatus::Passed,
            ));
        }
        for k in 1..=11 {
            expected.push(Expect::no_suite(
                &format!("(unnamed skipped test {k})"),
                TestStatus::Skipped,
            ));
        }
        check(&results, &expected);
    }

    #[test]
    fn folded_skips_are_renamed_after_the_test_defined_there() {
        let text = include_str!("../../../tests/fixtures/runners/pytest/cases_ra.txt");
        let mut results = feed(Box::new(PytestParser::new()), text);
        let root =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runners/pytest/cases");
        resolve_skips(&mut results, &root);
        let mut skips: Vec<&str> = results
            .iter()
            .filter(|r| {
                r.status == TestStatus::Skipped && r.message.as_deref() != Some("xfail: known bug")
            })
            .map(|r| r.name.as_str())
            .collect();
        skips.sort_unstable();
        assert_eq!(
            skips,
            [
                "tests/test_optional.py (1/2)",
                "tests/test_optional.py (2/2)",
                "tests/test_skips.py::TestGroup::test_in_class",
                "tests/test_skips.py::test_marked",
                "tests/test_skips.py::test_param_skipped (1/2)",
                "tests/test_skips.py::test_param_skipped (2/2)",
                "tests/test_skips.py::test_skip_inside",
                "tests/test_skips.py::test_skipif",
                "tests/test_skips.py::test_uses_fixture_a",
                "tests/test_skips.py::test_uses_fixture_b",
            ]
        );
        // Elsewhere than the workspace, names stay locations.
        let mut results = feed(Box::new(PytestParser::new()), text);
        resolve_skips(&mut results, Path::new("/nonexistent"));
        assert!(results.iter().any(|r| r.name == "tests/test_skips.py:6"));
        assert_eq!(read_source(&root, "../cases/conftest.py"), None);
        assert_eq!(read_source(&root, "/etc/hostname"), None);
    }

    #[test]
    fn subtest_lines() {
        assert_eq!(
            split_sub_desc("[case a] (x=1) t.py::T::t - m"),
            ("[case a] (x=1)", "t.py::T::t - m")
        );
        assert_eq!(split_sub_desc("(i=2) t.py::t"), ("(i=2)", "t.py::t"));
        assert_eq!(split_sub_desc("[a (b] t.py::t"), ("[a (b]", "t.py::t"));
        assert_eq!(split_sub_desc("t.py::t"), ("", "t.py::t"));
        assert_eq!(
            split_sub_desc("[unclosed t.py::t"),
            ("", "[unclosed t.py::t")
        );
        assert_eq!(
            sub_progress("t.py::t SUBSKIPPED[skipper] (nope)    [ 50%]"),
            Some((
                "t.py::t",
                "SUBSKIPPED",
                "[skipper]".to_string(),
                Some("nope")
            ))
        );
        assert_eq!(
            sub_progress("t.py::t SUBSKIPPED(i=1) (why not)"),
            Some((
                "t.py::t",
                "SUBSKIPPED",
                "(i=1)".to_string(),
                Some("why not")
            ))
        );
        assert_eq!(
            sub_progress("t.py::t SUBFAILED[square] (n=2)   [100%]"),
            Some(("t.py::t", "SUBFAILED", "[square] (n=2)".to_string(), None))
        );
        assert_eq!(sub_name("t.py::t", ""), "t.py::t (<subtest>)");
        assert_eq!(
            note("SKIPPED", Some("Skipped: why")).as_deref(),
            Some("why")
        );
        assert_eq!(note("XFAIL", None).as_deref(), Some("xfail"));
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
