//! The real runners on the `cases/` fixture projects, through the binary (`specbench check
//! --format json`, `specbench init`): the results agree with the runner's own summary, names
//! included. pytest skips under `-rA` get node ids, xfail/xpass keep their reasons, failing
//! subtests are results of their own, parents of subtests are results (node), doctests point
//! at the failing example (Python) or the doc-test (Rust), names shared by two test files are
//! told apart by their suite, brackets in pytest ids match literally, and a run without tests
//! is never green. node and go are skipped with a note where they are not installed.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn specbench() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_specbench"));
    c.env("NO_COLOR", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("SPECBENCH_CONFIG_DIR", "/nonexistent-specbench-config")
        .env_remove("RUST_BACKTRACE");
    c
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

/// A fresh copy of `tests/fixtures/runners/<tool>/cases`.
fn cases(tool: &str) -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/runners")
        .join(tool)
        .join("cases");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&src, dir.path());
    dir
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A spec and a config running `command`.
fn setup(dir: &Path, command: &str, clauses: &str) {
    write(
        dir,
        "SPEC.md",
        &format!("# Cases\n\nThe fixture.\n\n## Clauses\n{clauses}"),
    );
    write(
        dir,
        "specbench.toml",
        &format!(
            "[tests]\ncommand = {}\ntimeout_secs = 600\n",
            serde_json::Value::String(command.into())
        ),
    );
}

/// `check --format json` (and its exit code).
fn check_json(dir: &Path, args: &[&str]) -> (Option<i32>, Value) {
    let out = specbench()
        .args(["check", "--format", "json"])
        .args(args)
        .arg(dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json)
}

fn results(report: &Value) -> &Vec<Value> {
    report["tests"]["results"].as_array().unwrap()
}

fn find<'a>(report: &'a Value, name: &str) -> &'a Value {
    let found: Vec<&Value> = results(report)
        .iter()
        .filter(|r| r["name"] == name)
        .collect();
    assert_eq!(found.len(), 1, "{name} in {:#?}", names(report));
    found[0]
}

fn names(report: &Value) -> Vec<String> {
    results(report)
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

fn counts(report: &Value) -> (u64, u64, u64) {
    let c = &report["tests"]["counts"];
    (
        c["passed"].as_u64().unwrap(),
        c["failed"].as_u64().unwrap(),
        c["skipped"].as_u64().unwrap(),
    )
}

fn clause<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

fn has(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// pytest's own tally from its final line: `8 failed, 5 passed, 10 skipped, ... in 0.1s`.
fn pytest_tally(output: &str) -> std::collections::HashMap<String, u64> {
    let line = output
        .lines()
        .rev()
        .find(|l| l.contains(" in ") && (l.contains(" passed") || l.contains(" failed")))
        .unwrap_or_default();
    let inner = line.trim_matches('=').trim();
    let inner = inner.rsplit_once(" in ").map_or(inner, |(a, _)| a);
    inner
        .split(", ")
        .filter_map(|part| {
            let (n, word) = part.split_once(' ')?;
            Some((word.to_string(), n.parse().ok()?))
        })
        .collect()
}

#[test]
fn pytest_results_match_its_own_summary_with_node_ids_for_every_skip() {
    if !has("python3", &["-c", "import pytest"]) {
        assert!(std::env::var_os("CI").is_none(), "CI must install pytest");
        eprintln!("pytest is not installed: skipping (pip install pytest to run this test)");
        return;
    }
    let dir = cases("pytest");
    let command = "python3 -m pytest -rA -p no:cacheprovider --doctest-modules";
    setup(
        dir.path(),
        command,
        "- [K1] HMAC key derivation. `test: *test_key_derivation[hmac]`\n\
         - [K2] Every derivation. `test: *test_key_derivation[*]`\n\
         - [S1] Marked skips. `test: tests/test_skips.py::test_marked`\n\
         - [D1] The square doctest. `test: calc.py::calc.square`\n",
    );
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, Some(1), "failing tests");
    // The counts are pytest's, with the documented mapping: xpassed count as passed, xfailed
    // as skipped, errors as failed.
    let direct = Command::new("sh")
        .args(["-c", command])
        .current_dir(dir.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("CI", "1")
        .output()
        .unwrap();
    let tally = pytest_tally(&String::from_utf8_lossy(&direct.stdout));
    let n = |k: &str| tally.get(k).copied().unwrap_or(0);
    assert_eq!(
        counts(&report),
        (
            n("passed") + n("xpassed"),
            n("failed") + n("error") + n("errors"),
            n("skipped") + n("xfailed")
        ),
        "{tally:?}: {:#?}",
        names(&report)
    );
    // `SKIPPED [1] tests/test_skips.py:6: not ready yet`: the node id of the test defined there.
    let marked = find(&report, "tests/test_skips.py::test_marked");
    assert_eq!(marked["status"], "skipped");
    assert_eq!(marked["message"], "not ready yet");
    for name in [
        "tests/test_skips.py::test_skipif",
        "tests/test_skips.py::test_skip_inside",
        "tests/test_skips.py::TestGroup::test_in_class",
        "tests/test_skips.py::test_uses_fixture_a",
        "tests/test_skips.py::test_param_skipped (1/2)",
        "tests/test_optional.py (1/2)",
    ] {
        assert_eq!(find(&report, name)["status"], "skipped", "{name}");
    }
    assert!(
        !names(&report).iter().any(|n| n
            .split(".py:")
            .nth(1)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))),
        "no skip named by location: {:#?}",
        names(&report)
    );
    assert_eq!(
        find(&report, "tests/test_skips.py::test_xfail")["message"],
        "xfail: known bug"
    );
    let xpass = find(&report, "tests/test_skips.py::test_xpass");
    assert_eq!(
        (&xpass["status"], &xpass["message"]),
        (&"passed".into(), &"xpass: fixed since".into())
    );
    // Doctests: the failing example's line, Expected/Got.
    let square = find(&report, "calc.py::calc.square");
    assert_eq!(square["message"], "square(3) · Expected: 10 · Got: 9");
    assert_eq!(
        (&square["file"], &square["line"]),
        (&"calc.py".into(), &13.into())
    );
    // Subtests (pytest 9 reports them): one result per failing subtest.
    if names(&report).iter().any(|n| n.ends_with("(i=2)")) {
        let sub = find(
            &report,
            "tests/test_subtests.py::Limits::test_each_limit (i=3)",
        );
        assert_eq!(sub["message"], "AssertionError: 3 not less than 2");
    }
    // Brackets are literal in `test:` globs.
    assert_eq!(
        clause(&report, "K1")["tests"],
        serde_json::json!(["tests/test_ids.py::test_key_derivation[hmac]"])
    );
    assert_eq!(clause(&report, "K1")["status"], "holds");
    assert_eq!(clause(&report, "K2")["tests"].as_array().unwrap().len(), 2);
    assert_eq!(clause(&report, "K2")["status"], "violated");
    assert_eq!(clause(&report, "S1")["status"], "untested");
    assert_eq!(clause(&report, "D1")["status"], "violated");
}

#[test]
fn unittest_subtests_and_doctests_one_result_each() {
    let dir = cases("unittest");
    setup(
        dir.path(),
        "python3 -m unittest -v",
        "- [L1] Each limit. `test: *test_each_limit (i=*)`\n",
    );
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, Some(1));
    // `FAILED (failures=6, errors=1, skipped=1)`; `Ran 8 tests`.
    assert_eq!(counts(&report), (2, 7, 1), "{:#?}", names(&report));
    let sub = find(&report, "test_limits.Limits.test_each_limit (i=3)");
    assert_eq!(sub["message"], "AssertionError: 3 not less than 2");
    let named = find(&report, "test_limits.Limits.test_named_cases [case b]");
    assert_eq!(named["message"], "ValueError: bad b");
    let items = find(&report, "calc.Box.items");
    assert_eq!(
        items["message"],
        "Box().items() · Expected: [1, 2, 3] · Got: [1, 2, 4]"
    );
    assert_eq!(
        (&items["file"], &items["line"]),
        (&"calc.py".into(), &34.into())
    );
    assert_eq!(find(&report, "calc")["status"], "passed");
    assert_eq!(clause(&report, "L1")["tests"].as_array().unwrap().len(), 2);
}

#[test]
fn cargo_names_shared_by_two_test_files_are_told_apart_and_doctests_say_left_and_right() {
    let dir = cases("libtest");
    let target = dir.path().join("target");
    setup(
        dir.path(),
        &format!(
            "CARGO_TARGET_DIR={} cargo test --no-fail-fast",
            target.display()
        ),
        "- [V1] Versions compare equal. `test: tests/test_version.rs::test_eq`\n\
         - [P1] Bare versions parse. `test: tests/test_parse.rs::*`\n",
    );
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, Some(1));
    // Every target's `test result:` line, summed: 1 + 0 + 2 passed, 2 + 1 failed doc-tests...
    assert_eq!(counts(&report), (4, 3, 0), "{:#?}", names(&report));
    let v1 = clause(&report, "V1");
    assert_eq!(v1["status"], "holds");
    assert_eq!(
        v1["tests"],
        serde_json::json!(["tests/test_version.rs::test_eq"])
    );
    let p1 = clause(&report, "P1");
    assert_eq!(p1["status"], "violated");
    assert_eq!(
        p1["message"],
        "test tests/test_parse.rs::test_eq failed: assertion `left == right` failed: a bare major \
         version · left: (3, 0) · right: (3, 1)"
    );
    let doc = find(&report, "src/lib.rs - parse (line 5)");
    assert_eq!(
        doc["message"],
        "assertion `left == right` failed · left: (1, 2) · right: (1, 3)"
    );
    assert_eq!(
        (&doc["file"], &doc["line"]),
        (&"src/lib.rs".into(), &5.into())
    );
    assert_eq!(
        find(&report, "src/lib.rs - strict (line 25)")["status"],
        "failed"
    );
}

#[test]
fn node_parents_are_results_and_describe_suites_are_not() {
    if !has("node", &["--version"]) {
        eprintln!("node is not installed: skipping the node --test case");
        return;
    }
    let dir = cases("tap");
    setup(
        dir.path(),
        "node --test --test-reporter=tap",
        "- [N1] Parents. `test: parent with subtests`\n\
         - [N2] Its subtests. `test: parent with subtests > *`\n",
    );
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, Some(1));
    // `# tests 8`, `# pass 6`, `# fail 2`, `# suites 2`.
    assert_eq!(counts(&report), (6, 2, 0), "{:#?}", names(&report));
    assert!(!names(&report).iter().any(|n| n == "validate"));
    assert_eq!(
        find(&report, "parent failing alone")["message"],
        "after the children"
    );
    assert_eq!(clause(&report, "N1")["tests"].as_array().unwrap().len(), 1);
    assert_eq!(clause(&report, "N2")["tests"].as_array().unwrap().len(), 2);
}

#[test]
fn go_parents_are_results() {
    if !has("go", &["version"]) {
        eprintln!(
            "go is not installed: skipping (the parser is tested on go 1.19 captures with \
             parents in src/runner/parse/gojson.rs)"
        );
        return;
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runners/gojson/project");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&src, dir.path());
    setup(
        dir.path(),
        "GOFLAGS=-count=1 GOTOOLCHAIN=local GOPROXY=off go test -json ./calc/",
        "- [T1] The table. `test: */TestTable`\n- [T2] Its rows. `test: */TestTable/*`\n",
    );
    let (_, report) = check_json(dir.path(), &[]);
    assert_eq!(clause(&report, "T1")["tests"].as_array().unwrap().len(), 1);
    assert_eq!(clause(&report, "T2")["tests"].as_array().unwrap().len(), 3);
    assert_eq!(
        find(&report, "example.com/fixture/calc/TestTable")["message"],
        "subtest TestTable/negative failed"
    );
}

#[test]
fn tests_under_src_run_none_from_the_root_and_init_finds_them() {
    let dir = tempfile::tempdir().unwrap();
    let test = "import unittest\n\nfrom calc import add\n\n\nclass AddTest(unittest.TestCase):\n\
                \x20   def test_r1_adds(self):\n        self.assertEqual(add(2, 3), 5)\n";
    write(
        dir.path(),
        "src/calc/__init__.py",
        "def add(a, b):\n    return a + b\n",
    );
    write(dir.path(), "src/calc/tests/__init__.py", "");
    write(dir.path(), "src/calc/tests/test_add.py", test);
    write(
        dir.path(),
        "SPEC.md",
        "# Calc\n\nAdds.\n\n## Clauses\n- [R1] Adds two numbers. `test: *r1*`\n",
    );
    // The old fallback: unittest from the root finds nothing and exits 0.
    write(
        dir.path(),
        "specbench.toml",
        "[tests]\ncommand = \"python3 -m unittest -v\"\n",
    );
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, Some(1), "no tests ran is never green");
    assert_eq!(report["ok"], false);
    assert_eq!(counts(&report), (0, 0, 0));
    // `init` reads the layout instead.
    std::fs::remove_file(dir.path().join("specbench.toml")).unwrap();
    let out = specbench().arg("init").arg(dir.path()).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("tests run with `python3 -m unittest discover -s src -v`"),
        "{said}"
    );
    assert!(
        said.contains(
            "Detected: 1 test*.py file under src/, which unittest does not reach from the root."
        ),
        "{said}"
    );
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(counts(&report), (1, 0, 0));
}

#[test]
fn init_runs_the_node_runner_behind_an_npm_script() {
    if !has("node", &["--version"]) {
        eprintln!("node is not installed: skipping the npm script case");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "package.json",
        r#"{"name": "x", "private": true, "scripts": {"test": "npm run lint && prettier --write . && node --test", "lint": "eslint ."}}"#,
    );
    write(
        dir.path(),
        "add.test.js",
        "const test = require('node:test');\nconst assert = require('node:assert');\n\
         test('r1 adds', () => { assert.strictEqual(1 + 1, 2); });\n",
    );
    write(
        dir.path(),
        "SPEC.md",
        "# Add\n\nAdds.\n\n## Clauses\n- [R1] Adds. `test: r1*`\n",
    );
    let out = specbench().arg("init").arg(dir.path()).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("tests run with `node --test-reporter=tap --test`"),
        "{said}"
    );
    assert!(
        said.contains("2 other steps (lint, format, coverage) left out"),
        "{said}"
    );
    let (code, report) = check_json(dir.path(), &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(counts(&report), (1, 0, 0));
    assert_eq!(report["tests"]["format"], "tap");
}

#[test]
fn nothing_recognised_fails_loudly() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes.txt", "no code here\n");
    let out = specbench().arg("init").arg(dir.path()).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("no test setup recognised"));
    let out = specbench().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("no test command yet: set [tests].command"),
        "{text}"
    );
}
