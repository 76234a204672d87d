//! `go test -json` (test2json events, one JSON object per line).
//!
//! Names are `package/TestName` and `package/TestName/subtest`; the suite is the package. Every
//! test go reports an outcome for is a result, parents of subtests included (as go counts
//! them); a parent that fails only through its subtests says which one failed. A package that
//! fails without a failing test (a build failure, a `TestMain` exit, a timeout) is a failed
//! result named by the package.
//!
//! Messages: the first output line shaped `file_test.go:NN: msg` (which gives the location),
//! else a `panic: ...` line (the location then from the first `_test.go:NN` stack frame).
//! Build errors come as plain lines (`# pkg`, `file.go:6:14: msg`, `FAIL pkg [build failed]`)
//! before Go 1.24, and as `build-output` / `build-fail` events with `FailedBuild` since.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::common::{ResultSet, bounded_message, push_output, push_raw, secs_to_ms};
use crate::runner::result::{Format, Parser, Stream, TestResult, TestStatus};

/// The most packages with pending build output or package output kept at once.
const MAX_PACKAGES: usize = 4096;

/// One test2json event; strings borrow from the line unless they hold escapes.
#[derive(Debug, Deserialize)]
struct Event<'a> {
    #[serde(rename = "Action", default, borrow)]
    action: Cow<'a, str>,
    #[serde(rename = "Package", default, borrow)]
    package: Option<Cow<'a, str>>,
    #[serde(rename = "Test", default, borrow)]
    test: Option<Cow<'a, str>>,
    #[serde(rename = "Elapsed", default)]
    elapsed: Option<f64>,
    #[serde(rename = "Output", default, borrow)]
    output: Option<Cow<'a, str>>,
    #[serde(rename = "ImportPath", default, borrow)]
    import_path: Option<Cow<'a, str>>,
    #[serde(rename = "FailedBuild", default, borrow)]
    failed_build: Option<Cow<'a, str>>,
}

/// What a line of a test's output says.
#[derive(Debug, Default)]
struct Details {
    message: Option<String>,
    location: Option<(String, u32)>,
    panic: Option<String>,
    panic_location: Option<(String, u32)>,
}

impl Details {
    fn line(&mut self, line: &str) {
        let t = line.trim_start();
        if self.message.is_none()
            && let Some((file, n, msg)) = go_file_line(t)
        {
            self.message = Some(bounded_message(msg));
            self.location = Some((file.to_string(), n));
            return;
        }
        if self.panic.is_none()
            && let Some(p) = line.strip_prefix("panic: ")
        {
            self.panic = Some(bounded_message(p.trim_end_matches(" [recovered]")));
            return;
        }
        // Stack frames: `\t/path/x_test.go:9 +0x2e`.
        if self.panic.is_some()
            && self.panic_location.is_none()
            && line.starts_with('\t')
            && let Some(go) = t.find("_test.go:")
        {
            let file = &t[..go + "_test.go".len()];
            let rest = &t[go + "_test.go:".len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse::<u32>() {
                self.panic_location = Some((file.to_string(), n));
            }
        }
    }

    fn apply(self, r: &mut TestResult) {
        if r.message.is_none() {
            r.message = self.message.or(self.panic);
        }
        if r.file.is_none()
            && let Some((file, line)) = self.location.or(self.panic_location)
        {
            r.file = Some(file);
            r.line = Some(line);
        }
    }
}

/// `calc_test.go:18: Add(2, 2) = 4, want 5` → (file, line, message). Also `x.go:6:14: msg`.
fn go_file_line(t: &str) -> Option<(&str, u32, &str)> {
    let go = t.find(".go:")?;
    let file = &t[..go + ".go".len()];
    if file.is_empty() || file.contains(' ') {
        return None;
    }
    let rest = &t[go + ".go:".len()..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let n: u32 = rest[..digits].parse().ok()?;
    let mut after = &rest[digits..];
    // An optional `:col`.
    if let Some(col) = after.strip_prefix(':') {
        let d = col.bytes().take_while(u8::is_ascii_digit).count();
        if d > 0 {
            after = &col[d..];
        }
    }
    let msg = after
        .strip_prefix(": ")
        .or_else(|| after.strip_prefix(':'))?;
    Some((file, n, msg))
}

#[derive(Debug, Default)]
struct Running {
    output: String,
    details: Details,
    has_children: bool,
    /// The first of its subtests that failed.
    failed_child: Option<String>,
}

#[derive(Debug, Default)]
pub struct GoJsonParser {
    set: ResultSet,
    /// Tests started and not decided yet, by package and test.
    running: HashMap<String, HashMap<String, Running>>,
    /// Output of a package outside any test.
    package_output: HashMap<String, String>,
    /// Build errors by package path (from `# pkg` blocks or `build-output` events).
    build_output: HashMap<String, String>,
    /// The package of the `# pkg` block the plain lines belong to.
    build_block: Option<String>,
    /// Packages with a failed result (of a test or of their own).
    failed_packages: HashSet<String>,
    packages_with_result: HashSet<String>,
}

fn full_name(package: &str, test: &str) -> String {
    if package.is_empty() {
        test.to_string()
    } else {
        format!("{package}/{test}")
    }
}

/// `example.com/x [example.com/x.test]` → `example.com/x`.
fn package_of_import_path(p: &str) -> &str {
    p.split(' ').next().unwrap_or(p)
}

/// The first compiler error of some build output: (message, file, line).
fn first_build_error(text: &str) -> Option<(String, Option<(String, u32)>)> {
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if let Some((file, n, msg)) = go_file_line(line.trim_start()) {
            return Some((bounded_message(msg), Some((file.to_string(), n))));
        }
    }
    text.lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| (bounded_message(l), None))
}

/// A failed result for a test that never reported an outcome.
fn unfinished_result(pkg: &str, test: &str, run: Running, fallback: &str) -> TestResult {
    let mut r = TestResult::new(full_name(pkg, test), TestStatus::Failed);
    r.suite = Some(pkg.to_string());
    let mut d = run.details;
    if d.message.is_none() && d.panic.is_none() {
        d.message = Some(fallback.to_string());
    }
    d.apply(&mut r);
    r.output = run.output;
    r
}

impl GoJsonParser {
    pub fn new() -> Self {
        Self::default()
    }

    fn running_mut(&mut self, pkg: &str, test: &str) -> Option<&mut Running> {
        self.running.get_mut(pkg)?.get_mut(test)
    }

    /// The running test, added if new (allocating only then).
    fn running_entry(&mut self, pkg: &str, test: &str) -> Option<&mut Running> {
        if !self.running.contains_key(pkg) {
            self.running.insert(pkg.to_string(), HashMap::new());
        }
        let tests = self.running.get_mut(pkg)?;
        if !tests.contains_key(test) {
            tests.insert(test.to_string(), Running::default());
        }
        tests.get_mut(test)
    }

    fn event(&mut self, e: Event<'_>) {
        match e.action.as_ref() {
            "build-output" => {
                if let (Some(path), Some(out)) = (e.import_path.as_deref(), e.output.as_deref()) {
                    let pkg = package_of_import_path(path).to_string();
                    if self.build_output.len() < MAX_PACKAGES
                        || self.build_output.contains_key(&pkg)
                    {
                        push_raw(self.build_output.entry(pkg).or_default(), out);
                    }
                }
            }
            "run" => {
                if let (Some(pkg), Some(test)) = (e.package.as_deref(), e.test.as_deref()) {
                    if let Some((parent, _)) = test.rsplit_once('/')
                        && let Some(p) = self.running_mut(pkg, parent)
                    {
                        p.has_children = true;
                    }
                    self.running_entry(pkg, test);
                }
            }
            "output" => {
                let Some(out) = e.output.as_deref() else {
                    return;
                };
                let pkg = e.package.as_deref().unwrap_or("");
                match e.test.as_deref() {
                    Some(test) => self.test_output(pkg, test, out),
                    None => {
                        if let Some(text) = self.package_output.get_mut(pkg) {
                            push_raw(text, out);
                        } else if self.package_output.len() < MAX_PACKAGES {
                            self.package_output.insert(pkg.to_string(), out.to_string());
                        }
                    }
                }
            }
            "pass" | "fail" | "skip" => {
                let status = match e.action.as_ref() {
                    "pass" => TestStatus::Passed,
                    "fail" => TestStatus::Failed,
                    _ => TestStatus::Skipped,
                };
                let pkg = e.package.as_deref().unwrap_or("");
                match e.test.as_deref() {
                    Some(test) => self.test_done(pkg, test, status, e.elapsed),
                    None => self.package_done(pkg, status, e.elapsed, e.failed_build.as_deref()),
                }
            }
            _ => {} // start, pause, cont, bench, build-fail
        }
    }

    fn test_output(&mut self, pkg: &str, test: &str, out: &str) {
        if self.running_mut(pkg, test).is_none()
            && let Some(i) = self.set.find(&full_name(pkg, test))
        {
            // Late output of a test already decided.
            if let Some(r) = self.set.get_mut(i) {
                push_raw(&mut r.output, out);
            }
            return;
        }
        let Some(r) = self.running_entry(pkg, test) else {
            return;
        };
        push_raw(&mut r.output, out);
        for line in out.lines() {
            r.details.line(line);
        }
    }

    fn test_done(&mut self, pkg: &str, test: &str, status: TestStatus, elapsed: Option<f64>) {
        let running = self
            .running
            .get_mut(pkg)
            .and_then(|tests| tests.remove(test))
            .unwrap_or_default();
        if status == TestStatus::Failed
            && let Some((parent, _)) = test.rsplit_once('/')
            && let Some(p) = self.running_mut(pkg, parent)
            && p.failed_child.is_none()
        {
            p.failed_child = Some(test.to_string());
        }
        let mut r = TestResult::new(full_name(pkg, test), status);
        r.suite = Some(pkg.to_string());
        r.duration_ms = elapsed.and_then(secs_to_ms);
        let failed_child = running.failed_child;
        if status != TestStatus::Passed {
            running.details.apply(&mut r);
        }
        if status == TestStatus::Failed
            && r.message.is_none()
            && let Some(child) = failed_child
        {
            r.message = Some(bounded_message(&format!("subtest {child} failed")));
        }
        r.output = running.output;
        if status == TestStatus::Failed {
            self.failed_packages.insert(pkg.to_string());
        }
        self.set.upsert_named(r);
    }

    fn package_done(
        &mut self,
        pkg: &str,
        status: TestStatus,
        elapsed: Option<f64>,
        failed_build: Option<&str>,
    ) {
        let output = self.package_output.remove(pkg).unwrap_or_default();
        // Tests of this package that never finished (a timeout, a crash, os.Exit).
        let mut unfinished: Vec<(String, Running)> = self
            .running
            .remove(pkg)
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, r)| !r.has_children)
            .collect();
        unfinished.sort_by(|a, b| a.0.cmp(&b.0));
        if status != TestStatus::Failed {
            self.build_output.remove(pkg);
            return;
        }
        let mut package_details = Details::default();
        for line in output.lines() {
            package_details.line(line);
        }
        let fallback = package_details
            .panic
            .clone()
            .unwrap_or_else(|| "no result: the test binary exited while it ran".to_string());
        for (test, run) in unfinished {
            let mut r = unfinished_result(pkg, &test, run, &fallback);
            if !output.is_empty() {
                push_raw(&mut r.output, &output);
            }
            self.failed_packages.insert(pkg.to_string());
            self.set.upsert_named(r);
        }
        let build_failed = failed_build.is_some() || output.contains("[build failed]");
        if self.failed_packages.contains(pkg) && !build_failed {
            return;
        }
        let build_key = failed_build.map_or(pkg, package_of_import_path).to_string();
        let build = self
            .build_output
            .remove(&build_key)
            .or_else(|| self.build_output.remove(pkg));
        self.package_result(pkg, elapsed, output, build);
    }

    /// A failed result named by the package.
    fn package_result(
        &mut self,
        pkg: &str,
        elapsed: Option<f64>,
        output: String,
        build: Option<String>,
    ) {
        if !self.packages_with_result.insert(pkg.to_string()) {
            return;
        }
        self.failed_packages.insert(pkg.to_string());
        let mut r = TestResult::new(pkg, TestStatus::Failed);
        r.suite = Some(pkg.to_string());
        r.duration_ms = elapsed.and_then(secs_to_ms);
        match build.as_deref().and_then(first_build_error) {
            Some((msg, loc)) => {
                r.message = Some(msg);
                if let Some((file, line)) = loc {
                    r.file = Some(file);
                    r.line = Some(line);
                }
            }
            None => {
                let mut d = Details::default();
                for line in output.lines() {
                    d.line(line);
                }
                d.apply(&mut r);
                if r.message.is_none() {
                    r.message = output
                        .lines()
                        .map(str::trim)
                        .find(|l| {
                            !l.is_empty()
                                && *l != "FAIL"
                                && !l.starts_with("FAIL\t")
                                && !l.starts_with("FAIL ")
                        })
                        .map(bounded_message);
                }
            }
        }
        if let Some(b) = build {
            push_raw(&mut r.output, &b);
        }
        push_raw(&mut r.output, &output);
        self.set.upsert_named(r);
    }

    /// A line that is not a JSON event: build errors on stderr before Go 1.24.
    fn plain_line(&mut self, line: &str) {
        if let Some(rest) = line.strip_prefix("# ") {
            let pkg = package_of_import_path(rest.trim()).to_string();
            self.build_block = Some(pkg);
            return;
        }
        // `FAIL\texample.com/x [build failed]` (also `[setup failed]`).
        if let Some(rest) = line
            .strip_prefix("FAIL\t")
            .or_else(|| line.strip_prefix("FAIL "))
            && let Some((pkg, why)) = rest.trim().split_once(' ')
            && why.starts_with('[')
            && why.ends_with(" failed]")
        {
            let pkg = pkg.trim().to_string();
            let build = self.build_output.remove(&pkg).or_else(|| {
                // The error may be in a dependency's `# dep` block.
                self.build_block
                    .as_ref()
                    .and_then(|b| self.build_output.remove(b))
            });
            self.package_result(&pkg, None, format!("{line}\n"), build);
            return;
        }
        if let Some(pkg) = self.build_block.clone()
            && (self.build_output.len() < MAX_PACKAGES || self.build_output.contains_key(&pkg))
        {
            // stderr may lag behind stdout: the package's result may exist already.
            if self.packages_with_result.contains(&pkg)
                && let Some(i) = self.set.find(&pkg)
                && let Some(r) = self.set.get_mut(i)
            {
                if r.message.is_none()
                    && let Some((msg, loc)) = first_build_error(line)
                {
                    r.message = Some(msg);
                    if let Some((file, l)) = loc {
                        r.file = Some(file);
                        r.line = Some(l);
                    }
                }
                push_output(&mut r.output, line);
                return;
            }
            push_output(self.build_output.entry(pkg).or_default(), line);
        }
    }
}

impl Parser for GoJsonParser {
    fn line(&mut self, _stream: Stream, line: &str) {
        let t = line.trim_start();
        if t.starts_with('{')
            && let Ok(e) = serde_json::from_str::<Event>(t)
        {
            self.build_block = None;
            self.event(e);
            return;
        }
        self.plain_line(line);
    }

    fn results(&self) -> &[TestResult] {
        &self.set.results
    }

    fn finish(mut self: Box<Self>) -> Vec<TestResult> {
        // Leaf tests still running when the output ended.
        let mut left: Vec<((String, String), Running)> = std::mem::take(&mut self.running)
            .into_iter()
            .flat_map(|(pkg, tests)| {
                tests
                    .into_iter()
                    .map(move |(test, run)| ((pkg.clone(), test), run))
            })
            .filter(|(_, r)| !r.has_children)
            .collect();
        left.sort_by(|a, b| a.0.cmp(&b.0));
        for ((pkg, test), run) in left {
            let r = unfinished_result(
                &pkg,
                &test,
                run,
                "no result: the output ended while the test ran",
            );
            self.set.upsert_named(r);
        }
        self.set.results
    }

    fn format(&self) -> Option<Format> {
        Some(Format::GoJson)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::parse::testutil::{Expect, check, feed, feed_streams};

    const CALC: &str = "example.com/fixture/calc";
    const PANICS: &str = "example.com/fixture/panics";
    const MAINFAIL: &str = "example.com/fixture/mainfail";
    const BROKEN: &str = "example.com/fixture/broken";

    fn calc() -> Vec<Expect> {
        use TestStatus::*;
        let t = |n: &str, s| Expect::new(&format!("{CALC}/{n}"), CALC, s);
        vec![
            t("TestAdd", Passed),
            t("TestAddWrong", Failed)
                .message("Add(2, 2) = 4, want 5")
                .at("calc_test.go", 18),
            t("TestSkipped", Skipped)
                .message("not ready yet")
                .at("calc_test.go", 24),
            t("TestTable/zero", Passed),
            t("TestTable/negative", Failed)
                .message("Add(-1, -1) = -2, want -3")
                .at("calc_test.go", 41),
            t("TestTable/with_space", Passed),
            // Parents are results too, as go reports and counts them.
            t("TestTable", Failed).message("subtest TestTable/negative failed"),
            t("TestNested/outer/inner", Passed),
            t("TestNested/outer", Passed),
            t("TestNested", Passed),
            t("TestParallel/a", Passed),
            t("TestParallel/b", Failed)
                .message("b is not allowed")
                .at("calc_test.go", 61),
            t("TestParallel", Failed).message("subtest TestParallel/b failed"),
            t("ExampleAdd", Passed),
        ]
    }

    fn others() -> Vec<Expect> {
        use TestStatus::*;
        vec![
            Expect::new(&format!("{PANICS}/TestOk"), PANICS, Passed),
            Expect::new(&format!("{PANICS}/TestPanics"), PANICS, Failed)
                .message("assignment to entry in nil map")
                .at(
                    "/work/main/tests/fixtures/runners/gojson/project/panics/panics_test.go",
                    9,
                ),
            // TestMain exits 3 before any test: the package is the result.
            Expect::new(MAINFAIL, MAINFAIL, Failed).message("setup failed"),
        ]
    }

    fn broken() -> Expect {
        Expect::new(BROKEN, BROKEN, TestStatus::Failed)
            .message("cannot use \"not an int\" (untyped string constant) as int value in variable declaration")
            .at("broken/broken_test.go", 6)
    }

    #[test]
    fn go_1_19_stdout_and_stderr_separately() {
        let out = include_str!("../../../tests/fixtures/runners/gojson/go_test_json.jsonl");
        let err = include_str!("../../../tests/fixtures/runners/gojson/go_test_json.stderr.txt");
        // The runner interleaves the streams; stderr's build errors come first here.
        let results = feed_streams(
            Box::new(GoJsonParser::new()),
            &[(Stream::Stderr, err), (Stream::Stdout, out)],
        );
        let mut expected = calc();
        expected.extend(others());
        expected.push(broken());
        check(&results, &expected);
        let elapsed = results
            .iter()
            .find(|r| r.name.ends_with("TestNested/outer/inner"))
            .and_then(|r| r.duration_ms);
        assert_eq!(elapsed, Some(20));
        let wrong = results.iter().find(|r| r.name.ends_with("/TestAddWrong"));
        assert!(wrong.is_some_and(|r| r.output.contains("about to compare")));
    }

    #[test]
    fn go_1_19_combined_output() {
        let text = include_str!("../../../tests/fixtures/runners/gojson/go_test_json_combined.txt");
        let results = feed(Box::new(GoJsonParser::new()), text);
        let mut expected = calc();
        expected.extend(others());
        expected.push(broken());
        check(&results, &expected);
    }

    #[test]
    fn single_package() {
        let text = include_str!("../../../tests/fixtures/runners/gojson/go_test_json_calc.jsonl");
        let results = feed(Box::new(GoJsonParser::new()), text);
        check(&results, &calc());
    }

    #[test]
    fn go_1_24_build_events() {
        let text = include_str!(
            "../../../tests/fixtures/runners/gojson/go_test_json_go124_build_fail.jsonl"
        );
        let results = feed(Box::new(GoJsonParser::new()), text);
        check(
            &results,
            &[
                Expect::new(
                    "example.com/m/ok/TestFine",
                    "example.com/m/ok",
                    TestStatus::Passed,
                ),
                Expect::new(
                    "example.com/m/broken",
                    "example.com/m/broken",
                    TestStatus::Failed,
                )
                .message("undefined: notDefined")
                .at("broken/broken_test.go", 6),
                // A timeout: the running test gets the panic, the package has a failed test.
                Expect::new(
                    "example.com/m/slow/TestHangs",
                    "example.com/m/slow",
                    TestStatus::Failed,
                )
                .message("test timed out after 1s"),
            ],
        );
    }

    #[test]
    fn build_errors_arriving_after_the_fail_line() {
        let text = "FAIL\tp [build failed]\n# p [p.test]\np/x_test.go:3:1: syntax error";
        let results = feed(Box::new(GoJsonParser::new()), text);
        check(
            &results,
            &[Expect::new("p", "p", TestStatus::Failed)
                .message("syntax error")
                .at("p/x_test.go", 3)],
        );
    }

    #[test]
    fn truncated_stream_reports_running_leaves() {
        let text = r#"{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"run","Package":"p","Test":"TestA/sub"}
{"Action":"output","Package":"p","Test":"TestA/sub","Output":"=== RUN   TestA/sub\n"}"#;
        let results = feed(Box::new(GoJsonParser::new()), text);
        check(
            &results,
            &[Expect::new("p/TestA/sub", "p", TestStatus::Failed)
                .message("no result: the output ended while the test ran")],
        );
    }

    #[test]
    fn file_line_messages() {
        assert_eq!(
            go_file_line("calc_test.go:18: Add(2, 2) = 4, want 5"),
            Some(("calc_test.go", 18, "Add(2, 2) = 4, want 5"))
        );
        assert_eq!(
            go_file_line("broken/x.go:6:14: cannot use"),
            Some(("broken/x.go", 6, "cannot use"))
        );
        assert_eq!(go_file_line("no location here"), None);
        assert_eq!(go_file_line("x.go:abc: y"), None);
    }
}
