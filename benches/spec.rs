//! Spec engine benchmarks on a 10,000-file Python workspace: the full forbid/require scan, one
//! changed file (rescan, index update and evaluation), evaluation alone, the naive full rescan
//! per change for comparison, and parsing the spec.
//!
//! Run with `cargo bench --bench spec`. Prints medians and spreads over several runs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use specbench::runner::result::{TestResult, TestStatus};
use specbench::spec::eval::{Status, Tests, evaluate};
use specbench::spec::scan::{ScanIndex, ScanPlan, Scope, rescan, scan_all};
use specbench::spec::{CheckKind, Spec, parse};

const DEMO_SPEC: &str = include_str!("../assets/demo/SPEC.md");
/// The demo's implementation as its story ends (the deque the fresh session writes).
const DEMO_CODE: &str = include_str!("../assets/demo/story/rate_limiter.py");

/// Twelve more clauses: with the demo's two, 16 forbid/require checks.
const EXTRA_CLAUSES: &str = r#"
## Code hygiene
- [R9] No debug prints in the core packages. `forbid: \bprint\(` `in: pkg_0*/**`
- [R10] Nothing is evaluated from strings. `forbid: \beval\(`
- [R11] Nothing is executed from strings. `forbid: \bexec\(`
- [R12] Behaviour lives in functions. `require: ^def \w+`
- [R13] No bare except clauses. `forbid: ^\s*except\s*:`
- [R14] No wildcard imports. `forbid: ^\s*from\s+\S+\s+import\s+\*`
- [R15] Modules log through named loggers. `require: logging\.getLogger\(__name__\)`
- [R16] No debugger left behind. `forbid: \bimport\s+pdb\b` `forbid: \bbreakpoint\(\)`
- [R17] No open TODOs in the billing packages. `forbid: \b(TODO|FIXME|XXX)\b` `in: pkg_1*/**`
- [R18] The limiter never reads the wall clock. `forbid: \btime\.time\(\)` `in: rate_limiter.py` `test: *clock*`
- [R19] Public functions of the API packages declare their return type. `require: \)\s*->\s*[\w\[\], .]+:` `in: pkg_2*/**`
- [R20] No shell commands built from strings. `forbid: shell\s*=\s*True` `forbid: \bos\.system\(`
"#;

/// Code files of the workspace: `pkg_NN/mod_NNNN.py` for 1..MODULES, plus `rate_limiter.py`.
const MODULES: usize = 10_000;
const CODE_FILES: usize = MODULES;
const PACKAGES: usize = 100;
const TEST_FILES: usize = 100;
const IGNORED_FILES: usize = 2_000;
const TEST_RESULTS: usize = 1_000;

const NOUNS: &[&str] = &[
    "user", "order", "invoice", "session", "token", "cache", "report", "account", "payment",
    "shipment", "profile", "event", "metric", "record", "ticket", "message", "upload", "schedule",
    "policy", "quota",
];
const VERBS: &[&str] = &[
    "load",
    "parse",
    "build",
    "render",
    "validate",
    "merge",
    "fetch",
    "store",
    "normalize",
    "summarize",
];
const IMPORTS: &[&str] = &[
    "import os",
    "import re",
    "import json",
    "import math",
    "import hashlib",
    "import itertools",
    "import functools",
    "from pathlib import Path",
    "from dataclasses import dataclass, field",
    "from typing import Any, Iterable, Optional",
    "from collections import defaultdict, Counter",
    "from datetime import datetime, timedelta, timezone",
];
const TOPICS: &[&str] = &[
    "over_limit",
    "retry_after",
    "concurrent",
    "empty_user_id",
    "isolated",
    "bad_settings",
    "parses_config",
    "round_trip",
    "handles_unicode",
    "large_input",
    "fake_clock",
    "defaults",
];

/// splitmix64: deterministic variety without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn module_path(i: usize) -> PathBuf {
    PathBuf::from(format!("pkg_{:02}/mod_{i:04}.py", i % PACKAGES))
}

/// A plausible Python module of 60 to ~130 lines; a few break the spec's forbid checks.
fn module(i: usize) -> String {
    let mut rng = Rng(i as u64 ^ 0x5eed);
    let target = 60 + rng.below(61);
    let noun = rng.pick(NOUNS);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\"\"\"Helpers for the {noun} records of the {} service (module {i:04}).\"\"\"\n",
        rng.pick(NOUNS)
    );
    out.push_str("import logging\n");
    let first = rng.below(IMPORTS.len());
    for k in 0..2 + rng.below(4) {
        let _ = writeln!(out, "{}", IMPORTS[(first + k * 5) % IMPORTS.len()]);
    }
    if i % 1000 == 417 {
        out.push_str("import requests\n");
    }
    if i == 7777 {
        out.push_str("import subprocess\n");
    }
    let _ = writeln!(
        out,
        "\nlogger = logging.getLogger(__name__)\n\nMAX_{}S = {}\nDEFAULT_TIMEOUT = {}.{}\n",
        noun.to_uppercase(),
        10 + rng.below(990),
        1 + rng.below(30),
        rng.below(10)
    );
    let mut block = 0;
    while out.bytes().filter(|&b| b == b'\n').count() < target {
        let verb = rng.pick(VERBS);
        let other = rng.pick(NOUNS);
        let n = rng.below(100);
        match rng.below(5) {
            0 => {
                let _ = write!(
                    out,
                    r#"
def {verb}_{noun}_{block}(data: dict) -> dict:
    """{verb} one {noun} from its raw form."""
    if not isinstance(data, dict):
        raise TypeError(f"expected a dict, got {{type(data).__name__}}")
    result = {{key.lower(): value for key, value in data.items() if value is not None}}
    result.setdefault("{other}_id", {n})
    logger.debug("{verb} %s with %d keys", "{noun}", len(result))
    return result

"#
                );
            }
            1 => {
                let _ = write!(
                    out,
                    r#"
class {}{}Store:
    """Keeps the {noun} records of one {other}, oldest first."""

    def __init__(self, limit: int = {}) -> None:
        if limit <= 0:
            raise ValueError(f"limit must be positive, got {{limit!r}}")
        self._limit = limit
        self._items = []

    def add(self, item) -> bool:
        if len(self._items) >= self._limit:
            return False
        self._items.append(item)
        return True

    def __len__(self) -> int:
        return len(self._items)

"#,
                    capitalize(noun),
                    capitalize(other),
                    n + 1
                );
            }
            2 => {
                let _ = write!(
                    out,
                    r#"
def {verb}_{other}_{block}(path: str, default=None) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        logger.warning("cannot read %s: %s", path, exc)
        return default
    return text.strip()

"#
                );
            }
            3 => {
                let _ = write!(
                    out,
                    r#"
def iter_{noun}s_{block}(rows: list, size: int = {}) -> list:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch

"#,
                    n + 2
                );
            }
            _ => {
                let _ = write!(
                    out,
                    r#"
def score_{other}_{block}(values: list, weight: float = {}.{}) -> float:
    total = 0.0
    for index, value in enumerate(values):
        total += weight * value / (index + 1)
    return round(total, {})

"#,
                    n % 5,
                    n % 10,
                    1 + n % 4
                );
            }
        }
        if block == 0 {
            // A few files break a forbid check, spread over the packages.
            if i % 1250 == 3 {
                out.push_str("def dump(value):\n    print(f\"debug: {value!r}\")\n\n");
            }
            if i == 4321 {
                out.push_str("def compute(expr):\n    return eval(expr)\n\n");
            }
            if i == 7777 {
                out.push_str(
                    "def run(cmd):\n    return subprocess.run(cmd, shell=True, check=True)\n\n",
                );
            }
            if i.is_multiple_of(173) {
                out.push_str("# TODO: batch these calls once the API allows it.\n");
            }
        }
        block += 1;
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

fn test_module(n: usize) -> String {
    format!(
        "import unittest\n\nfrom pkg_{n:02} import mod_{:04}\n\n\nclass Case(unittest.TestCase):\n    def test_load(self):\n        self.assertIsNotNone(mod_{:04})\n        print(\"tests may print\")\n",
        n + PACKAGES,
        n + PACKAGES
    )
}

fn write(root: &Path, rel: impl AsRef<Path>, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// The workspace: code, tests, and an ignored `build/` full of copies. Returns its code bytes.
fn build_workspace(root: &Path) -> usize {
    let mut bytes = 0;
    write(root, ".gitignore", "build/\n__pycache__/\n*.pyc\n");
    write(root, "rate_limiter.py", DEMO_CODE);
    bytes += DEMO_CODE.len();
    for i in 1..MODULES {
        let text = module(i);
        bytes += text.len();
        write(root, module_path(i), &text);
    }
    for n in 0..TEST_FILES {
        write(root, format!("tests/test_pkg_{n:02}.py"), &test_module(n));
    }
    // Would add a violation to nearly every forbid check if it were scanned.
    let junk = "import requests\nimport pdb\nprint(eval('1'))\n# TODO\n";
    for i in 0..IGNORED_FILES {
        let text = format!("{junk}{}", module(i + 1));
        write(root, Path::new("build/lib").join(module_path(i + 1)), &text);
    }
    bytes
}

/// 1,000 unittest results: linked by id token (`test_r3_...`), by `test:` glob (the topics),
/// some to nothing; a few failed or skipped.
fn test_results() -> Vec<TestResult> {
    (0..TEST_RESULTS)
        .map(|i| {
            let topic = TOPICS[i % TOPICS.len()];
            let clause = i % 23;
            let token = if clause < 20 {
                format!("r{}_", clause + 1)
            } else {
                String::new()
            };
            let name = format!(
                "tests.test_mod_{:02}.{}Case.test_{token}{topic}_{i}",
                i % PACKAGES,
                capitalize(NOUNS[i % NOUNS.len()])
            );
            let status = if i % 97 == 5 {
                TestStatus::Failed
            } else if i.is_multiple_of(53) {
                TestStatus::Skipped
            } else {
                TestStatus::Passed
            };
            let mut result = TestResult::new(name, status);
            result.duration_ms = Some((i % 40) as u64);
            if status == TestStatus::Failed {
                result.message = Some("AssertionError: 101 != 100".into());
            }
            result
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn print(name: &str, values: Vec<f64>, unit: &str, budget: &str) -> f64 {
    let n = values.len();
    let (med, min, max) = median(values);
    println!(
        "{name:<40} median {med:>9.2} {unit:<3} (min {min:.2}, max {max:.2}, n={n})  budget {budget}"
    );
    med
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
}

fn entry_of(spec: &Spec, plan: &ScanPlan, id: &str, kind: CheckKind) -> usize {
    plan.entries
        .iter()
        .position(|e| spec.clauses[e.clause].id == id && e.kind == kind)
        .expect("entry")
}

fn check_index(spec: &Spec, plan: &ScanPlan, index: &ScanIndex) {
    assert_eq!(index.files().len(), CODE_FILES, "code files scanned");
    assert!(index.skipped().is_empty(), "skipped: {:?}", index.skipped());
    assert!(
        index
            .files()
            .keys()
            .all(|p| !p.starts_with("build") && !p.starts_with("tests")),
        "ignored or test files were scanned"
    );
    let r3 = entry_of(spec, plan, "R3", CheckKind::Forbid);
    assert_eq!(index.hits(r3).count(), MODULES / 1000, "import requests");
    let r4 = entry_of(spec, plan, "R4", CheckKind::Require);
    let found: Vec<_> = index.hits(r4).map(|(p, _)| p).collect();
    assert_eq!(found, [Path::new("rate_limiter.py")]);
}

fn main() {
    let build = if cfg!(debug_assertions) {
        "DEBUG build (figures meaningless)"
    } else {
        "release build"
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    match cpu_model() {
        Some(cpu) => println!("{build}, {cores} cores ({cpu})"),
        None => println!("{build}, {cores} cores"),
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let start = Instant::now();
    let bytes = build_workspace(root);
    println!(
        "workspace: {CODE_FILES} code files in {PACKAGES} packages ({:.1} MB), {TEST_FILES} test \
         files, {IGNORED_FILES} files in an ignored build/; written in {:.1} s",
        bytes as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );

    let text = format!("{DEMO_SPEC}{EXTRA_CLAUSES}");
    let spec = parse(&text);
    for clause in &spec.clauses {
        assert!(!clause.is_invalid(), "{}: {:?}", clause.id, clause.problems);
    }
    let include = ["**/*.py".to_string()];
    let tests = specbench::config::CodeConfig::default().tests;
    let scope = Scope::new(&include, &tests).expect("scope");
    let plan = ScanPlan::new(&spec, scope);
    let results = test_results();
    println!(
        "spec: {} clauses, {} forbid/require checks; {} test results\n",
        spec.clauses.len(),
        plan.entries.len(),
        results.len()
    );

    // Full scan: one warm-up for the page cache, then timed runs.
    let mut index = scan_all(root, &plan);
    check_index(&spec, &plan, &index);
    let mut full = Vec::new();
    for _ in 0..9 {
        let start = Instant::now();
        index = std::hint::black_box(scan_all(root, &plan));
        full.push(ms(start));
    }
    check_index(&spec, &plan, &index);
    let per_file: Vec<f64> = full.iter().map(|ms| ms * 1e3 / CODE_FILES as f64).collect();
    print(
        "full scan, 10,000 files",
        full,
        "ms",
        "off the UI task (a worker thread)",
    );
    print("full scan, per file", per_file, "µs", "-");

    // Evaluation alone, on the full index.
    let eval = evaluate(&spec, &plan, Some(&index), Tests::Current(&results));
    let status = |id: &str| {
        let at = spec.clauses.iter().position(|c| c.id == id).expect("id");
        eval.clauses[at].status
    };
    assert_eq!(status("R3"), Status::Violated);
    // R13's forbid check holds; its status also depends on the tests linked by id (`test_r13_`).
    let r13 = entry_of(&spec, &plan, "R13", CheckKind::Forbid);
    assert_eq!(index.hits(r13).count(), 0, "bare except");
    assert_eq!(status("R10"), Status::Violated, "eval in one file");
    assert!(eval.clauses[0].tests.len() > 10, "R1 links by id and glob");
    let mut only = Vec::new();
    for _ in 0..300 {
        let start = Instant::now();
        std::hint::black_box(evaluate(
            &spec,
            &plan,
            Some(&index),
            Tests::Current(&results),
        ));
        only.push(ms(start));
    }
    print(
        "evaluate only (16 clauses, 1,000 tests)",
        only,
        "ms",
        "< 16 ms (runs on events, not per frame)",
    );

    // One file changed: rescan it, update the index, evaluate. The write is not timed.
    let mut incremental = Vec::new();
    for k in 0..65 {
        let i = 1 + (k * 7919) % (MODULES - 1);
        let rel = module_path(i);
        let mut text = module(i);
        if k % 2 == 0 {
            text.push_str("\ndef debug_dump(value):\n    print(value)\n");
        }
        write(root, &rel, &text);
        let start = Instant::now();
        for (path, outcome) in rescan(root, &plan, std::slice::from_ref(&rel)) {
            index.apply(path, outcome);
        }
        std::hint::black_box(evaluate(
            &spec,
            &plan,
            Some(&index),
            Tests::Current(&results),
        ));
        // The first few warm up.
        if k >= 5 {
            incremental.push(ms(start));
        }
    }
    let incremental = print(
        "one file changed: rescan + evaluate",
        incremental,
        "ms",
        "< 16 ms (one frame at 60 fps)",
    );

    // The naive alternative: everything rescanned on every change.
    let mut naive = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        let index = scan_all(root, &plan);
        std::hint::black_box(evaluate(
            &spec,
            &plan,
            Some(&index),
            Tests::Current(&results),
        ));
        naive.push(ms(start));
    }
    let naive = print("naive: full rescan + evaluate per change", naive, "ms", "-");
    println!(
        "{:<40} {:>16.0}x  (medians: naive / one file changed)",
        "incremental speed-up",
        naive / incremental
    );

    let mut parsing = Vec::new();
    for _ in 0..2000 {
        let start = Instant::now();
        std::hint::black_box(parse(std::hint::black_box(&text)));
        parsing.push(start.elapsed().as_secs_f64() * 1e6);
    }
    print(
        "parse the spec (demo SPEC.md + 12)",
        parsing,
        "µs",
        "< 16 ms (on save or pin, not per frame)",
    );
    let mut parsing = Vec::new();
    for _ in 0..2000 {
        let start = Instant::now();
        std::hint::black_box(parse(std::hint::black_box(DEMO_SPEC)));
        parsing.push(start.elapsed().as_secs_f64() * 1e6);
    }
    print(
        "parse the spec (demo SPEC.md)",
        parsing,
        "µs",
        "< 16 ms (on save or pin, not per frame)",
    );
}
