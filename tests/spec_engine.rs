//! The spec engine on real workspaces: the demo copied to a temp dir, real files scanned, the
//! real test runner, and the pin store on disk. Each test evaluates as `specbench check` does.

use std::path::Path;

use specbench::check::{Findings, evaluate_workspace};
use specbench::config::{self, Overrides};
use specbench::spec::eval::Status;
use specbench::spec::pin::PinStore;

fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    specbench::demo::write_into(dir.path()).unwrap();
    // As the demo's story ends: its tests and implementation written.
    for (rel, text) in specbench::assets::DEMO_STORY_FILES {
        std::fs::write(dir.path().join(rel), text).unwrap();
    }
    dir
}

fn evaluate(root: &Path, run_tests: bool) -> Findings {
    let config = config::load(root, &Overrides::default()).unwrap();
    evaluate_workspace(root, &config, !run_tests).unwrap()
}

fn status(f: &Findings, id: &str) -> Status {
    let i = f.spec.clauses.iter().position(|c| c.id == id).unwrap();
    f.eval.clauses[i].status
}

fn message(f: &Findings, id: &str) -> String {
    let i = f.spec.clauses.iter().position(|c| c.id == id).unwrap();
    f.eval.clauses[i].message.clone().unwrap_or_default()
}

fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} holds {from:?}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

#[test]
fn the_demo_holds_everywhere() {
    let dir = demo();
    let f = evaluate(dir.path(), true);
    for clause in &f.spec.clauses {
        assert_eq!(status(&f, &clause.id), Status::Holds, "{}", clause.id);
    }
    assert!(f.ok());
}

#[test]
fn a_list_window_violates_r4_and_the_deque_fix_holds() {
    let dir = demo();
    let root = dir.path();
    let original = std::fs::read_to_string(root.join("rate_limiter.py")).unwrap();
    edit(
        root,
        "rate_limiter.py",
        "from collections import deque\n",
        "",
    );
    edit(root, "rate_limiter.py", "= deque()", "= []");
    let f = evaluate(root, false);
    assert_eq!(status(&f, "R4"), Status::Violated);
    assert_eq!(
        message(&f, "R4"),
        "required pattern `\\bdeque\\(` not found in rate_limiter.py"
    );
    assert_eq!(f.drift.violated, ["R4"]);
    assert_eq!(status(&f, "R1"), Status::Pending, "tests were not run");

    std::fs::write(root.join("rate_limiter.py"), original).unwrap();
    let f = evaluate(root, false);
    assert_eq!(status(&f, "R4"), Status::Holds);
    assert!(f.drift.violated.is_empty());
}

#[test]
fn import_requests_violates_r3_at_its_line_but_not_in_tests() {
    let dir = demo();
    let root = dir.path();
    edit(
        root,
        "rate_limiter.py",
        "import math\n",
        "import math\nimport requests\n",
    );
    // Test files are outside the default scope of forbid/require.
    edit(
        root,
        "test_rate_limiter.py",
        "import unittest\n",
        "import unittest\nimport redis\n",
    );
    let f = evaluate(root, false);
    assert_eq!(status(&f, "R3"), Status::Violated);
    let i = f.spec.clauses.iter().position(|c| c.id == "R3").unwrap();
    let hits: Vec<(String, usize, String)> = f.eval.clauses[i]
        .forbidden
        .iter()
        .map(|h| (h.file.display().to_string(), h.line, h.text.clone()))
        .collect();
    assert_eq!(
        hits,
        [(
            "rate_limiter.py".to_string(),
            4,
            "import requests".to_string()
        )]
    );
    assert_eq!(
        message(&f, "R3"),
        "forbidden pattern at rate_limiter.py:4: import requests"
    );
}

#[test]
fn a_failing_linked_test_violates_its_clause() {
    let dir = demo();
    let root = dir.path();
    edit(
        root,
        "rate_limiter.py",
        "if not user_id:",
        "if user_id == 'x':",
    );
    let f = evaluate(root, true);
    assert_eq!(status(&f, "R6"), Status::Violated);
    assert!(
        message(&f, "R6").starts_with(
            "test test_rate_limiter.RateLimiterTest.test_r6_empty_user_id_is_rejected failed"
        ),
        "{}",
        message(&f, "R6")
    );
    assert_eq!(f.drift.violated, ["R6"]);
    assert_eq!(status(&f, "R1"), Status::Holds);
    assert!(!f.ok());
}

#[test]
fn an_unmatched_test_glob_is_untested_and_unlinked_tests_are_orphans() {
    let dir = demo();
    let root = dir.path();
    let spec = std::fs::read_to_string(root.join("SPEC.md")).unwrap();
    let added = spec.replace(
        "\n## Not in scope",
        "- [R9] Idle users are evicted after an hour. `test: *evict*`\n\n## Not in scope",
    );
    std::fs::write(root.join("SPEC.md"), added).unwrap();
    std::fs::write(
        root.join("test_extra.py"),
        "import unittest\n\nclass Extra(unittest.TestCase):\n    def test_something_else(self):\n        pass\n",
    )
    .unwrap();
    let f = evaluate(root, true);
    assert_eq!(status(&f, "R9"), Status::Untested);
    assert_eq!(message(&f, "R9"), "no test matches `*evict*`");
    assert_eq!(f.drift.untested, ["R9"]);
    assert_eq!(
        f.drift.orphan_tests,
        ["test_extra.Extra.test_something_else"]
    );
    // Warnings by default; `[check].strict` makes them fail.
    assert!(f.ok());
    let mut config = config::load(root, &Overrides::default()).unwrap();
    config.check.strict = true;
    let strict = evaluate_workspace(root, &config, false).unwrap();
    assert!(!strict.ok());
}

#[test]
fn an_edited_spec_lists_exactly_the_changed_clauses_and_the_pin_still_rules() {
    let dir = demo();
    let root = dir.path();
    let spec = std::fs::read_to_string(root.join("SPEC.md")).unwrap();
    PinStore::new(root)
        .pin(&spec, Path::new("SPEC.md"))
        .unwrap();
    let edited = spec
        .replace("retry_after is 0 when allowed", "retry_after is 0 whenever allowed")
        .replace(
            "- [R8] A limit or window that is not positive raises ValueError. `test: *bad_settings*`\n",
            "",
        )
        .replace(
            "\n## Not in scope",
            "- [R9] Idle users are evicted after an hour. `test: *evict*`\n\n## Not in scope",
        );
    std::fs::write(root.join("SPEC.md"), edited).unwrap();
    let f = evaluate(root, false);
    assert!(f.info.changed_on_disk);
    assert_eq!(f.drift.spec_changed, ["R2", "R8", "R9"]);
    // Evaluation uses the pinned version: R8 is still there, R9 is not yet.
    let ids: Vec<&str> = f.spec.clauses.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"]);
    assert!(!f.ok(), "an unpinned edit is drift");
}

#[test]
fn a_bad_regex_makes_only_its_clause_invalid() {
    let dir = demo();
    let root = dir.path();
    edit(
        root,
        "SPEC.md",
        "`require: \\bdeque\\(`",
        "`require: deque(`",
    );
    let f = evaluate(root, false);
    assert_eq!(status(&f, "R4"), Status::Invalid);
    assert!(
        message(&f, "R4").starts_with("line 20, column 69: bad regex `deque(`: unclosed group"),
        "{}",
        message(&f, "R4")
    );
    assert_eq!(status(&f, "R3"), Status::Holds, "the rest still works");
    assert_eq!(f.drift.invalid, ["R4"]);
}
