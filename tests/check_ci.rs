//! `specbench check` as a CI step, through the binary on small python3 workspaces: orphan tests
//! and untested clauses are warnings unless `--strict` (or `[check].strict`), a run without
//! tests fails, the human report stays short, and the exit codes are in `--help`.

use std::path::Path;
use std::process::{Command, Output};

fn specbench() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_specbench"));
    c.env("NO_COLOR", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("SPECBENCH_CONFIG_DIR", "/nonexistent-specbench-config");
    c
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A unittest file with `test_add` and `n` other passing tests.
fn suite(n: usize) -> String {
    let mut text = String::from(
        "import unittest\n\nclass Calc(unittest.TestCase):\n    def test_add(self):\n        \
         self.assertEqual(1 + 1, 2)\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "\n    def test_other_{i:02}(self):\n        self.assertTrue(True)\n"
        ));
    }
    text
}

const SPEC: &str = "# Calc\n\nAdds.\n\n## Clauses\n- [R1] Adds two numbers. `test: *test_add`\n";

fn check(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out: Output = specbench()
        .arg("check")
        .args(args)
        .arg(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() != Some(2),
        "usage error: {stderr}\n{stdout}"
    );
    (out.status.code(), stdout)
}

fn json(dir: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut all = vec!["--format", "json"];
    all.extend(args);
    let (code, text) = check(dir, &all);
    (code, serde_json::from_str(&text).expect(&text))
}

#[test]
fn orphan_tests_are_warnings_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[("SPEC.md", SPEC), ("test_calc.py", &suite(12))],
    );
    let (code, text) = check(dir.path(), &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("✓ R1  holds"), "{text}");
    // A few names, then how many more: never the whole suite on one line.
    assert!(
        text.contains(
            "tests linked to no clause (12): test_calc.Calc.test_other_00, \
             test_calc.Calc.test_other_01, test_calc.Calc.test_other_02, \
             test_calc.Calc.test_other_03, test_calc.Calc.test_other_04 and 7 more"
        ),
        "{text}"
    );
    assert!(!text.contains("test_other_05"), "{text}");
    assert!(
        text.ends_with("no drift · warnings: 12 orphan tests (--strict fails on them)\n"),
        "{text}"
    );

    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, Some(0));
    assert_eq!(report["ok"], true);
    assert_eq!(report["strict"], false);
    assert_eq!(
        report["drift"]["orphan_tests"].as_array().unwrap().len(),
        12
    );

    let (code, text) = check(dir.path(), &["--strict"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.ends_with("drift: 12 orphan tests\n"), "{text}");
    let (code, report) = json(dir.path(), &["--strict"]);
    assert_eq!(code, Some(1));
    assert_eq!(report["ok"], false);
    assert_eq!(report["strict"], true);

    // `[check].strict = true` in the workspace's config does what `--strict` does.
    write(
        dir.path(),
        &[("specbench.toml", "[check]\nstrict = true\n")],
    );
    let (code, text) = check(dir.path(), &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.ends_with("drift: 12 orphan tests\n"), "{text}");
}

#[test]
fn untested_clauses_are_warnings_and_violations_still_fail() {
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("{SPEC}- [R2] Evicts idle users. `test: *evict*`\n");
    write(
        dir.path(),
        &[("SPEC.md", spec.as_str()), ("test_calc.py", &suite(0))],
    );
    let (code, text) = check(dir.path(), &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.ends_with("no drift · warnings: R2 untested (--strict fails on them)\n"),
        "{text}"
    );
    let (code, text) = check(dir.path(), &["--strict"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.ends_with("drift: R2 untested\n"), "{text}");

    // A failing linked test fails check in either mode; the warning stays a warning.
    write(
        dir.path(),
        &[("test_calc.py", &suite(0).replace("1 + 1, 2", "1 + 1, 3"))],
    );
    let (code, text) = check(dir.path(), &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.ends_with(
            "drift: R1 violated · 1 failing test · warnings: R2 untested (--strict fails on them)\n"
        ),
        "{text}"
    );
}

#[test]
fn a_failing_orphan_test_fails_check() {
    let dir = tempfile::tempdir().unwrap();
    let tests = suite(1).replace("self.assertTrue(True)", "self.assertTrue(False)");
    write(dir.path(), &[("SPEC.md", SPEC), ("test_calc.py", &tests)]);
    let (code, text) = check(dir.path(), &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("✗ test_calc.Calc.test_other_00\n    AssertionError: False is not true"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "drift: 1 failing test · warnings: 1 orphan test (--strict fails on them)\n"
        ),
        "{text}"
    );
}

#[test]
fn no_tests_ran_is_never_green() {
    // Tests under src/: `python3 -m unittest -v` from the root finds none and exits 0 (3.11).
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("SPEC.md", SPEC),
            ("src/calc/__init__.py", ""),
            ("src/calc/test_calc.py", &suite(0)),
        ],
    );
    let (code, text) = check(dir.path(), &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("no tests ran"), "{text}");
    assert!(!text.contains("0 passed, 0 failed"), "{text}");
    assert!(
        text.ends_with("drift: no tests ran · warnings: R1 untested (--strict fails on them)\n"),
        "{text}"
    );
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, Some(1));
    assert_eq!(report["ok"], false);
    assert_eq!(report["tests"]["counts"]["passed"], 0);
    assert_eq!(report["tests"]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn a_spec_edited_since_its_pin_fails_check() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[("SPEC.md", SPEC), ("test_calc.py", &suite(0))],
    );
    let init = specbench().arg("init").arg(dir.path()).output().unwrap();
    assert_eq!(init.status.code(), Some(0));
    // init found test_*.py and wrote the unittest command; the pin is SPEC.md as it was.
    let (code, text) = check(dir.path(), &[]);
    assert_eq!(code, Some(0), "{text}");
    write(
        dir.path(),
        &[("SPEC.md", &SPEC.replace("Adds two", "Sums two"))],
    );
    let (code, text) = check(dir.path(), &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.ends_with("drift: R1 changed on disk\n"), "{text}");
}

#[test]
fn help_documents_the_exit_codes_and_strict() {
    let out = specbench().args(["check", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--strict"), "{text}");
    for needle in [
        "Exit codes:",
        "0  the spec holds and the tests pass",
        "1  a clause violated or invalid, a failing test, no tests ran, or the spec changed since its pin",
        "2  a usage or configuration error",
        "orphan tests and untested clauses are warnings",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}
