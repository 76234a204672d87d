use super::*;

fn paths(list: &[&str]) -> Vec<PathBuf> {
    list.iter().map(PathBuf::from).collect()
}

/// A workspace of files with these token counts; a negative count is a binary file.
fn sizes(list: &[(&str, i64)]) -> impl FnMut(&Path) -> Size + use<> {
    let map: HashMap<PathBuf, i64> = list.iter().map(|(p, n)| (PathBuf::from(p), *n)).collect();
    move |p: &Path| match map.get(p) {
        Some(&n) if n >= 0 => Ok(n as u32),
        Some(_) => Err(Unavailable::Binary),
        None => Err(Unavailable::Deleted),
    }
}

const BUDGET: Budget = Budget {
    all_below: 100,
    code: 1000,
};

fn summary(set: &ContextSet) -> Vec<String> {
    set.members
        .iter()
        .map(|m| {
            let reasons: Vec<&str> = m.reasons.iter().map(|r| r.short()).collect();
            format!("{} {} {}", m.path.display(), reasons.join("+"), m.tokens)
        })
        .collect()
}

#[test]
fn a_small_workspace_sends_everything() {
    let scope = paths(&["a.py", "b.py"]);
    let set = select(
        &scope,
        &Sources::default(),
        BUDGET,
        sizes(&[("a.py", 40), ("b.py", 60)]),
    );
    assert!(set.all);
    assert_eq!(summary(&set), ["a.py all 40", "b.py all 60"]);
    assert!(set.overflow().is_empty());
    // One token more and it is no longer small: nothing is named, so nothing goes.
    let set = select(
        &scope,
        &Sources::default(),
        BUDGET,
        sizes(&[("a.py", 41), ("b.py", 60)]),
    );
    assert!(!set.all);
    assert!(set.members.is_empty());
}

#[test]
fn sources_in_order_each_file_once_with_every_reason() {
    let scope = paths(&["a.py", "b.py", "c.py", "d.py", "e.py", "f.py", "big.py"]);
    let sources = Sources {
        spec: paths(&["c.py"]),
        failing: paths(&["test_c.py", "a.py", "c.py"]),
        edited: paths(&["b.py", "a.py"]),
        read: paths(&["e.py"]),
        added: paths(&["d.py", "b.py"]),
        dropped: Vec::new(),
    };
    let files = [
        ("a.py", 10),
        ("b.py", 20),
        ("c.py", 30),
        ("d.py", 40),
        ("e.py", 50),
        ("f.py", 60),
        ("big.py", 5000),
        ("test_c.py", 70),
    ];
    let set = select(&scope, &sources, BUDGET, sizes(&files));
    assert!(!set.all);
    assert_eq!(
        summary(&set),
        [
            "c.py spec+failing 30",
            "test_c.py failing 70",
            "a.py failing+edited 10",
            "b.py edited+added 20",
            "e.py read 50",
            "d.py added 40",
        ]
    );
    assert_eq!(set.tokens(), 220);
    assert_eq!(
        set.member(Path::new("a.py")).unwrap().reason(),
        Reason::Failing
    );
    assert!(!set.contains(Path::new("f.py")));
}

#[test]
fn drops_win_unless_the_user_adds_the_file_again() {
    let scope = paths(&["a.py", "b.py", "c.py"]);
    let sources = Sources {
        spec: paths(&["a.py", "b.py"]),
        added: paths(&["b.py"]),
        dropped: paths(&["a.py", "b.py"]),
        ..Sources::default()
    };
    let set = select(
        &scope,
        &sources,
        BUDGET,
        sizes(&[("a.py", 500), ("b.py", 500), ("c.py", 5)]),
    );
    assert_eq!(summary(&set), ["b.py spec+added 500"]);
    assert_eq!(set.dropped, paths(&["a.py"]));
    // In a small workspace a dropped file stays out too.
    let small = select(
        &scope,
        &sources,
        BUDGET,
        sizes(&[("a.py", 5), ("b.py", 5), ("c.py", 5)]),
    );
    assert!(small.all);
    assert_eq!(summary(&small), ["b.py all+spec+added 5", "c.py all 5"]);
}

#[test]
fn over_budget_nothing_is_dropped_the_tail_overflows() {
    let scope = paths(&["a.py", "b.py", "c.py"]);
    let sources = Sources {
        spec: paths(&["a.py"]),
        failing: paths(&["b.py"]),
        added: paths(&["c.py"]),
        ..Sources::default()
    };
    let budget = Budget {
        all_below: 10,
        code: 1000,
    };
    let files = sizes(&[("a.py", 600), ("b.py", 400), ("c.py", 1)]);
    let set = select(&scope, &sources, budget, files);
    assert_eq!(set.members.len(), 3, "nothing dropped silently");
    let over: Vec<_> = set.overflow().iter().map(|m| m.path.clone()).collect();
    assert_eq!(
        over,
        paths(&["c.py"]),
        "1001 tokens: the last file overflows"
    );
    let fits = select(
        &scope,
        &sources,
        budget,
        sizes(&[("a.py", 600), ("b.py", 400), ("c.py", 0)]),
    );
    assert!(fits.overflow().is_empty(), "exactly the budget fits");
    let first = select(
        &scope,
        &sources,
        budget,
        sizes(&[("a.py", 1001), ("b.py", 1), ("c.py", 1)]),
    );
    assert_eq!(first.overflow().len(), 3);
}

#[test]
fn files_that_cannot_go_in_are_listed_with_why() {
    let scope = paths(&["a.py", "logo.py"]);
    let sources = Sources {
        spec: paths(&["logo.py", "gone.py"]),
        ..Sources::default()
    };
    let set = select(
        &scope,
        &sources,
        Budget {
            all_below: 0,
            code: 10,
        },
        sizes(&[("a.py", 5), ("logo.py", -1)]),
    );
    assert!(set.members.is_empty());
    assert_eq!(
        set.unavailable,
        vec![
            (
                PathBuf::from("logo.py"),
                vec![Reason::Spec],
                Unavailable::Binary
            ),
            (
                PathBuf::from("gone.py"),
                vec![Reason::Spec],
                Unavailable::Deleted
            ),
        ]
    );
    assert_eq!(
        Unavailable::TooLarge(300_000).to_string(),
        "293 KiB, over the 256 KiB cap"
    );
    assert_eq!(
        Unavailable::OutsideWorkspace.to_string(),
        "leads out of the workspace"
    );
}

#[test]
fn the_spec_names_files_by_in_glob_path_or_unique_name() {
    let scope = paths(&[
        "pkg/limiter.py",
        "pkg/util.py",
        "tests/util.py",
        "app.py",
        "docs.md",
    ]);
    let text = "# T\n\nSee `pkg/util.py`, app.py. util.py is ambiguous; nothing.py is not here.\n\n\
                ## Clauses\n- [R1] Deque. `require: deque` `in: pkg/lim*.py`\n";
    let spec = crate::spec::parse(text);
    assert_eq!(
        spec_files(&spec, text, &scope),
        paths(&["pkg/limiter.py", "pkg/util.py", "app.py"])
    );
}

#[test]
fn failing_tests_pull_in_their_files_and_traceback_locations() {
    let root = Path::new("/work/proj");
    let scope = paths(&[
        "limiter.py",
        "test_limiter.py",
        "util.py",
        "src/lib.rs",
        "web/app.js",
    ]);
    let mut python = TestResult::new("test_limiter.T.test_x", TestStatus::Failed);
    python.output = "Traceback (most recent call last):\n  \
        File \"/work/proj/test_limiter.py\", line 9, in test_x\n    self.assertTrue(allow())\n  \
        File \"/usr/lib/python3.11/unittest/case.py\", line 3\n  \
        File \"/work/proj/limiter.py\", line 40, in allow\n    \
        raise ValueError\nValueError\n"
        .into();
    let mut rust = TestResult::new("tests::t", TestStatus::Failed);
    rust.file = Some("src/lib.rs".into());
    rust.message = Some("panicked at src/lib.rs:10:5: boom; see ./util.py:3".into());
    let mut js = TestResult::new("adds", TestStatus::Failed);
    js.output =
        "    at Object.<anonymous> (/work/proj/web/app.js:3:9)\n    at node:internal/x:1:2".into();
    let passed = {
        let mut t = TestResult::new("ok", TestStatus::Passed);
        t.file = Some("untouched.py".into());
        t
    };
    assert_eq!(
        failing_files(&[python, passed, rust, js], root, &scope),
        paths(&[
            "test_limiter.py",
            "limiter.py",
            "src/lib.rs",
            "util.py",
            "web/app.js"
        ])
    );
}
