//! The real test runners on the fixture projects of `tests/fixtures/runners/`, through the real
//! runner and parsers, compared exactly: cargo (libtest), python3 -m unittest, and pytest
//! (installed by `.ci/run`; skipped with a note elsewhere when it is missing).

use std::path::{Path, PathBuf};
use std::time::Duration;

use TestStatus::{Failed, Passed, Skipped};
use specbench::config::TestFormat;
use specbench::runner::process::{self, RunReport, RunRequest};
use specbench::runner::result::{Format, TestStatus};

/// (name, suite, status, file, line, message) as parsed.
type Parsed = (
    String,
    Option<String>,
    TestStatus,
    Option<String>,
    Option<u32>,
    Option<String>,
);

/// An expected row.
type Row = (
    &'static str,
    Option<&'static str>,
    TestStatus,
    Option<&'static str>,
    Option<u32>,
    Option<&'static str>,
);

/// Copies a fixture project into a fresh directory, so runs never write into the repository.
fn project(tool: &str) -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/runners")
        .join(tool)
        .join("project");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&src, dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" || name == "__pycache__" || name == "node_modules" {
            continue;
        }
        let dest = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

async fn run(dir: &Path, command: &str) -> RunReport {
    let req = RunRequest {
        command: command.into(),
        cwd: dir.to_path_buf(),
        timeout: Duration::from_secs(300),
        format: TestFormat::Auto,
        junit_path: None,
        hidden_env: Vec::new(),
    };
    let (_keep, cancel) = tokio::sync::oneshot::channel();
    process::run(req, cancel, |_| {}).await
}

fn rows(report: &RunReport) -> Vec<Parsed> {
    let mut rows: Vec<_> = report
        .results
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                t.suite.clone(),
                t.status,
                t.file.clone(),
                t.line,
                t.message.clone(),
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

fn expected(rows: &[Row]) -> Vec<Parsed> {
    let mut out: Vec<_> = rows
        .iter()
        .map(|(n, s, st, f, l, m)| {
            (
                n.to_string(),
                s.map(str::to_string),
                *st,
                f.map(str::to_string),
                *l,
                m.map(str::to_string),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test]
async fn cargo_test_on_a_fixture_crate() {
    let dir = project("libtest");
    let target: PathBuf = dir.path().join("target");
    let command = format!(
        "env -u RUST_BACKTRACE CARGO_TARGET_DIR={} cargo test --no-fail-fast",
        target.display()
    );
    let report = run(dir.path(), &command).await;
    assert_eq!(report.format, Some(Format::Libtest));
    assert_eq!(report.exit_code, Some(101));
    let lib = Some("unittests src/lib.rs");
    let cli = Some("tests/cli.rs");
    let doc = Some("doctests");
    let sub_eq = "assertion `left == right` failed · left: 5 · right: 4";
    let doc_eq = "assertion `left == right` failed · left: 2 · right: 3";
    assert_eq!(
        rows(&report),
        expected(&[
            ("tests::adds", lib, Passed, None, None, None),
            ("tests::nested::deep", lib, Passed, None, None, None),
            (
                "tests::should_panic_but_does_not",
                lib,
                Failed,
                Some("src/lib.rs"),
                Some(58),
                Some("test did not panic as expected")
            ),
            ("tests::sleeps_a_bit", lib, Passed, None, None, None),
            ("tests::slow_one", lib, Skipped, None, None, None),
            (
                "tests::subtracts_wrong",
                lib,
                Failed,
                Some("src/lib.rs"),
                Some(41),
                Some(sub_eq)
            ),
            ("tests::div_by_zero_panics", lib, Passed, None, None, None),
            (
                "tests::with_reason",
                lib,
                Skipped,
                None,
                None,
                Some("needs network")
            ),
            (
                "tests::unwraps_none",
                lib,
                Failed,
                Some("src/lib.rs"),
                Some(47),
                Some("value should be present")
            ),
            ("integration_add", cli, Passed, None, None, None),
            (
                "result_err",
                cli,
                Failed,
                None,
                None,
                Some("Error: \"returned an error\"")
            ),
            (
                "integration_fails",
                cli,
                Failed,
                Some("tests/cli.rs"),
                Some(11),
                Some("expected more than 5, got 3")
            ),
            (
                "src/lib.rs - add (line 5)",
                doc,
                Passed,
                Some("src/lib.rs"),
                Some(5),
                None
            ),
            (
                "src/lib.rs - sub (line 14)",
                doc,
                Failed,
                Some("src/lib.rs"),
                Some(14),
                Some(doc_eq)
            ),
        ])
    );
}

#[tokio::test]
async fn python_unittest_on_a_fixture_project() {
    let dir = project("unittest");
    let report = run(
        dir.path(),
        "PYTHONDONTWRITEBYTECODE=1 python3 -m unittest -v",
    )
    .await;
    assert_eq!(report.format, Some(Format::Unittest));
    assert_eq!(report.exit_code, Some(1));
    let rate = Some("test_rate.py");
    assert_eq!(
        rows(&report),
        expected(&[
            (
                "pkg.test_deep.DeepTest.test_deep_fail",
                None,
                Failed,
                Some("pkg/test_deep.py"),
                Some(9),
                Some("KeyError: 'missing'")
            ),
            (
                "pkg.test_deep.DeepTest.test_deep_ok",
                None,
                Passed,
                None,
                None,
                None
            ),
            (
                "test_broken_import",
                None,
                Failed,
                Some("test_broken_import.py"),
                Some(1),
                Some("ModuleNotFoundError: No module named 'not_a_real_module'")
            ),
            (
                "test_rate.OtherTest.test_ok",
                None,
                Passed,
                None,
                None,
                None
            ),
            (
                "test_rate.OtherTest.test_skip_inline",
                None,
                Skipped,
                None,
                None,
                Some("skipped from inside")
            ),
            (
                "test_rate.RateTest.test_burst",
                None,
                Skipped,
                None,
                None,
                Some("not implemented yet")
            ),
            (
                "test_rate.RateTest.test_fixed_bug",
                None,
                Failed,
                None,
                None,
                Some("unexpected success")
            ),
            (
                "test_rate.RateTest.test_known_bug",
                None,
                Skipped,
                None,
                None,
                Some("expected failure")
            ),
            (
                "test_rate.RateTest.test_negative_limit",
                None,
                Failed,
                Some("rate.py"),
                Some(6),
                Some("ValueError: limit must be non-negative")
            ),
            (
                "test_rate.RateTest.test_over_limit",
                None,
                Failed,
                rate,
                Some(11),
                Some("AssertionError: True is not false")
            ),
            (
                "test_rate.RateTest.test_prints",
                None,
                Failed,
                rate,
                Some(39),
                Some("AssertionError: 'abc' != 'abd'")
            ),
            (
                "test_rate.RateTest.test_under_limit",
                None,
                Passed,
                None,
                None,
                None
            ),
            (
                "test_rate.RateTest.test_with_subtests (i=2)",
                None,
                Failed,
                rate,
                Some(35),
                Some("AssertionError: 2 not less than 2")
            ),
        ])
    );
}

#[tokio::test]
async fn pytest_on_a_fixture_project() {
    let has_pytest = std::process::Command::new("python3")
        .args(["-c", "import pytest"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_pytest {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install pytest (.ci/run does)"
        );
        eprintln!("pytest is not installed: skipping (pip install pytest to run this test)");
        return;
    }
    let dir = project("pytest");
    let report = run(
        dir.path(),
        "PYTHONDONTWRITEBYTECODE=1 python3 -m pytest -rA -p no:cacheprovider --continue-on-collection-errors",
    )
    .await;
    assert_eq!(report.format, Some(Format::Pytest));
    assert_eq!(report.exit_code, Some(1));
    let t = Some("tests/test_calc.py");
    assert_eq!(
        rows(&report),
        expected(&[
            (
                "tests/test_broken.py",
                None,
                Failed,
                Some("tests/test_broken.py"),
                Some(1),
                Some("ModuleNotFoundError: No module named 'not_a_real_module'")
            ),
            (
                "tests/test_calc.py::test_add",
                None,
                Passed,
                None,
                None,
                None
            ),
            (
                "tests/test_calc.py::test_positive[3]",
                None,
                Passed,
                None,
                None,
                None
            ),
            (
                "tests/test_calc.py::test_concat[a-b]",
                None,
                Passed,
                None,
                None,
                None
            ),
            (
                "tests/test_calc.py::test_concat[x-y]",
                None,
                Passed,
                None,
                None,
                None
            ),
            (
                "tests/test_calc.py::TestGroup::test_in_class",
                None,
                Passed,
                None,
                None,
                None
            ),
            // `SKIPPED [1] tests/test_calc.py:31`: named after the test defined there.
            (
                "tests/test_calc.py::test_skipped",
                None,
                Skipped,
                t,
                Some(31),
                Some("not ready yet")
            ),
            (
                "tests/test_calc.py::test_skipif",
                None,
                Skipped,
                t,
                Some(36),
                Some("only on python 2")
            ),
            (
                "tests/test_calc.py::test_xfail",
                None,
                Skipped,
                None,
                None,
                Some("xfail: known bug")
            ),
            (
                "tests/test_calc.py::test_uses_broken_fixture",
                None,
                Failed,
                t,
                Some(48),
                Some("RuntimeError: fixture setup failed")
            ),
            (
                "tests/test_calc.py::test_add_wrong",
                None,
                Failed,
                t,
                Some(14),
                Some("assert 4 == 5")
            ),
            (
                "tests/test_calc.py::test_positive[1]",
                None,
                Failed,
                t,
                Some(19),
                Some("assert (1 - 2) > 0")
            ),
            (
                "tests/test_calc.py::test_positive[2]",
                None,
                Failed,
                t,
                Some(19),
                Some("assert (2 - 2) > 0")
            ),
            (
                "tests/test_calc.py::test_div_zero",
                None,
                Failed,
                Some("calc.py"),
                Some(9),
                Some("ZeroDivisionError: division by zero")
            ),
            (
                "tests/test_calc.py::TestGroup::test_in_class_fails",
                None,
                Failed,
                t,
                Some(60),
                Some("AssertionError: lists differ")
            ),
        ])
    );
}

#[tokio::test]
async fn the_demo_workspace_passes_its_own_tests() {
    let dir = tempfile::tempdir().unwrap();
    specbench::demo::write_into(dir.path()).unwrap();
    // As the story ends: the tests and the deque implementation the cassette writes.
    for (rel, text) in specbench::assets::DEMO_STORY_FILES {
        std::fs::write(dir.path().join(rel), text).unwrap();
    }
    let report = run(
        dir.path(),
        "PYTHONDONTWRITEBYTECODE=1 python3 -m unittest -v",
    )
    .await;
    assert!(report.passed(), "{:?}", report.output.last(30));
    assert_eq!(report.counts().passed, 11);
}
