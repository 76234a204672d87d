//! What `init` reads from a project to choose its test command: the build file of each
//! ecosystem, where the Python tests live and which runner they are written for, and the
//! runner behind an npm `test` script (without the build, lint, format and coverage steps
//! around it, whose output cannot be parsed or which rewrite files).

use std::path::{Path, PathBuf};

/// What `init` found out about a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub command: String,
    pub format: &'static str,
    pub include: Vec<&'static str>,
    /// Why, in words (`Cargo.toml`, `14 test*.py files under src/, ...`).
    pub why: String,
    /// With format = "junit": where the report appears.
    pub junit_path: Option<&'static str>,
    /// Something to know about the choice (output specbench cannot read).
    pub note: Option<String>,
}

const PY: &[&str] = &["**/*.py"];
const JS: &[&str] = &[
    "**/*.js", "**/*.ts", "**/*.mjs", "**/*.cjs", "**/*.jsx", "**/*.tsx",
];
/// Directories never searched for tests.
const SKIP_DIRS: &[&str] = &[
    "node_modules",
    "target",
    "build",
    "dist",
    "venv",
    "env",
    "site-packages",
    "__pycache__",
];
/// How deep and how wide the search for test files goes.
const MAX_DEPTH: usize = 6;
const MAX_ENTRIES: usize = 50_000;
/// Test files read to see which runner they are written for.
const MAX_READ: usize = 200;
const READ_CAP: usize = 64 * 1024;

fn found(
    command: impl Into<String>,
    format: &'static str,
    include: &[&'static str],
    why: impl Into<String>,
) -> Detected {
    Detected {
        command: command.into(),
        format,
        include: include.to_vec(),
        why: why.into(),
        junit_path: None,
        note: None,
    }
}

/// Detects the test command from the files in `root`; `None` when nothing is recognised.
pub fn detect(root: &Path) -> Option<Detected> {
    let has = |name: &str| root.join(name).exists();
    let read = |name: &str| std::fs::read_to_string(root.join(name)).unwrap_or_default();
    if has("Cargo.toml") {
        return Some(found("cargo test", "libtest", &["**/*.rs"], "Cargo.toml"));
    }
    if has("go.mod") {
        return Some(found(
            "go test -json ./...",
            "go-json",
            &["**/*.go"],
            "go.mod",
        ));
    }
    let pytest_config = [
        ("pytest.ini", has("pytest.ini")),
        ("conftest.py", has("conftest.py")),
        (
            "[tool.pytest] in pyproject.toml",
            read("pyproject.toml").contains("[tool.pytest"),
        ),
        (
            "[tool:pytest] in setup.cfg",
            read("setup.cfg").contains("[tool:pytest]"),
        ),
        ("[pytest] in tox.ini", read("tox.ini").contains("[pytest]")),
    ]
    .into_iter()
    .find(|(_, yes)| *yes);
    if let Some((what, _)) = pytest_config {
        return Some(found(
            "python3 -m pytest -rA",
            "pytest",
            PY,
            format!("pytest configuration ({what})"),
        ));
    }
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(&read("package.json"))
        && let Some(d) = npm_test(&json)
    {
        return Some(d);
    }
    let files = test_files(root);
    if let Some(d) = node_test(root, &files) {
        return Some(d);
    }
    python(root, &files)
}

/// Files that look like tests (`test*.py`, `*_test.py`, `*.test.js`, files under `test/`),
/// relative to `root`, within [`MAX_DEPTH`] and [`MAX_ENTRIES`].
fn test_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    let mut seen = 0usize;
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return out;
            }
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let path = entry.path();
            // Symlinks are not followed (a link may lead out of the workspace or loop).
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if depth < MAX_DEPTH
                    && !name.starts_with('.')
                    && !SKIP_DIRS.contains(&name.as_ref())
                {
                    stack.push((path, depth + 1));
                }
            } else if kind.is_file()
                && is_test_file(&name, &path, root)
                && let Ok(rel) = path.strip_prefix(root)
            {
                out.push(rel.to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn is_test_file(name: &str, path: &Path, root: &Path) -> bool {
    if let Some(stem) = name.strip_suffix(".py") {
        return stem.starts_with("test") || stem.ends_with("_test");
    }
    let js = [".js", ".mjs", ".cjs"].iter().any(|e| name.ends_with(e));
    js && (name.contains(".test.")
        || name.starts_with("test-")
        || name.starts_with("test.")
        || path
            .strip_prefix(root)
            .is_ok_and(|rel| rel.components().any(|c| c.as_os_str() == "test")))
}

/// The start of a file's text, for a look at its imports.
fn head(root: &Path, rel: &Path) -> String {
    use std::io::Read;
    let mut text = String::new();
    if let Ok(file) = std::fs::File::open(root.join(rel)) {
        let _ = file.take(READ_CAP as u64).read_to_string(&mut text);
    }
    text
}

/// `node --test` when test files import `node:test`.
fn node_test(root: &Path, files: &[PathBuf]) -> Option<Detected> {
    let js: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e != "py"))
        .collect();
    let using = js
        .iter()
        .take(MAX_READ)
        .filter(|f| head(root, f).contains("node:test"))
        .count();
    (using > 0).then(|| {
        found(
            "node --test --test-reporter=tap",
            "tap",
            JS,
            if using == 1 {
                "1 test file imports node:test".to_string()
            } else {
                format!("{using} test files import node:test")
            },
        )
    })
}

/// pytest or unittest, from what the Python test files are written for and where they are.
fn python(root: &Path, files: &[PathBuf]) -> Option<Detected> {
    let py: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "py"))
        .collect();
    if py.is_empty() {
        return None;
    }
    let mut pytest_style = None;
    for f in py.iter().take(MAX_READ) {
        let text = head(root, f);
        let imports = text
            .lines()
            .any(|l| l.starts_with("import pytest") || l.starts_with("from pytest"));
        // Module-level test functions: pytest runs them, unittest never does.
        let functions = text.lines().any(|l| l.starts_with("def test"));
        if imports || functions {
            pytest_style = Some((f.display().to_string(), imports));
            break;
        }
    }
    if let Some((file, imports)) = pytest_style {
        let what = if imports {
            "imports pytest"
        } else {
            "has test functions outside classes"
        };
        return Some(found(
            "python3 -m pytest -rA",
            "pytest",
            PY,
            format!(
                "{} Python test file{}; {file} {what}",
                py.len(),
                if py.len() == 1 { "" } else { "s" }
            ),
        ));
    }
    // unittest finds `test*.py` in packages below where discovery starts: start in the
    // directory above each file's topmost package.
    let unittest: Vec<&&PathBuf> = py
        .iter()
        .filter(|f| {
            f.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("test"))
        })
        .collect();
    if unittest.is_empty() {
        return None;
    }
    let mut starts: Vec<(PathBuf, usize)> = Vec::new();
    for f in &unittest {
        let start = discovery_start(root, f);
        match starts.iter_mut().find(|(s, _)| *s == start) {
            Some((_, n)) => *n += 1,
            None => starts.push((start, 1)),
        }
    }
    starts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let (start, n) = starts[0].clone();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut why = if start.as_os_str().is_empty() {
        format!(
            "{n} test*.py file{}, found by unittest from the root",
            plural(n)
        )
    } else {
        format!(
            "{n} test*.py file{} under {}/, which unittest does not reach from the root",
            plural(n),
            start.display()
        )
    };
    let others: usize = starts[1..].iter().map(|(_, n)| n).sum();
    if others > 0 {
        why.push_str(&format!(
            "; {others} more elsewhere ({}) are not run",
            starts[1..]
                .iter()
                .map(|(s, _)| if s.as_os_str().is_empty() {
                    ".".to_string()
                } else {
                    format!("{}/", s.display())
                })
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut command = if start.as_os_str().is_empty() {
        "python3 -m unittest -v".to_string()
    } else {
        format!(
            "python3 -m unittest discover -s {} -v",
            shell_word(&start.display().to_string())
        )
    };
    // A `src/` layout: tests outside src/ import the package from there.
    let src_package = std::fs::read_dir(root.join("src"))
        .map(|d| d.flatten().any(|e| e.path().join("__init__.py").is_file()))
        .unwrap_or(false);
    if src_package && !start.starts_with("src") {
        command = format!("PYTHONPATH=src {command}");
        why.push_str("; the package is under src/");
    }
    Some(found(command, "unittest", PY, why))
}

/// The directory unittest's discovery must start in to import `file`: the parent of its
/// topmost enclosing package (`src` for `src/pkg/tests/test_x.py` when `pkg` and `tests` are
/// packages), relative to `root`; empty for the root itself.
fn discovery_start(root: &Path, file: &Path) -> PathBuf {
    let mut dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
    while !dir.as_os_str().is_empty() && root.join(&dir).join("__init__.py").is_file() {
        dir = dir.parent().unwrap_or(Path::new("")).to_path_buf();
    }
    dir
}

/// `word` quoted for `sh` when it needs to be.
fn shell_word(word: &str) -> String {
    if word
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// What a step of an npm script is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Runner,
    Build,
    /// Lint, format, coverage reports, echo: left out.
    Other,
}

/// The test runner behind `scripts.test`, with the build steps before it; lint, format and
/// coverage steps are left out.
fn npm_test(json: &serde_json::Value) -> Option<Detected> {
    let scripts = json.get("scripts")?;
    let test = scripts.get("test")?.as_str()?;
    let mut steps = Vec::new();
    expand(scripts, test, 0, &mut steps);
    let runner = steps.iter().position(|(k, _)| *k == Kind::Runner)?;
    let builds: Vec<&str> = steps[..runner]
        .iter()
        .filter(|(k, _)| *k == Kind::Build)
        .map(|(_, s)| s.as_str())
        .collect();
    let (runner_cmd, format, junit, note) = runner_command(&steps[runner].1)?;
    let mut command = builds.join(" && ");
    if !command.is_empty() {
        command.push_str(" && ");
    }
    command.push_str(&runner_cmd);
    let dropped = steps.len() - builds.len() - 1;
    let mut why = format!(
        "the test script of package.json (`{test}`) runs {}",
        runner_name(&runner_cmd)
    );
    if dropped > 0 {
        why.push_str(&format!(
            "; {dropped} other step{} (lint, format, coverage) left out",
            if dropped == 1 { "" } else { "s" }
        ));
    }
    let mut d = found(command, format, JS, why);
    d.junit_path = junit;
    d.note = note;
    Some(d)
}

fn runner_name(command: &str) -> &str {
    let words: Vec<&str> = command
        .split_whitespace()
        .filter(|w| !w.contains('='))
        .collect();
    match words.as_slice() {
        ["npx", tool, ..] => tool,
        [tool, ..] => tool,
        [] => "its runner",
    }
}

/// Splits a script into its steps, expanding `npm run x`, `yarn x` and `pnpm x` (at most a few
/// levels deep), each step classified.
fn expand(scripts: &serde_json::Value, script: &str, depth: usize, out: &mut Vec<(Kind, String)>) {
    for step in script
        .split("&&")
        .flat_map(|s| s.split("||"))
        .flat_map(|s| s.split(';'))
    {
        let step = step.trim();
        if step.is_empty() {
            continue;
        }
        let words: Vec<&str> = step.split_whitespace().collect();
        let called = match words.as_slice() {
            ["npm", "run" | "run-script", name, ..]
            | ["pnpm", "run", name, ..]
            | ["yarn", "run", name, ..] => Some(*name),
            ["npm", "test" | "t"] => Some("test"),
            ["yarn" | "pnpm", name, ..] if !name.starts_with('-') => Some(*name),
            _ => None,
        };
        if let Some(name) = called {
            if depth < 5
                && let Some(inner) = scripts.get(name).and_then(|s| s.as_str())
            {
                expand(scripts, inner, depth + 1, out);
            }
            continue;
        }
        out.push((classify(&words), step.to_string()));
    }
}

/// The program a step runs: past environment assignments, `npx`, `cross-env` and coverage
/// wrappers (`c8`, `nyc` and their flags).
fn program<'a>(words: &'a [&'a str]) -> &'a [&'a str] {
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w.contains('=') && !w.starts_with('-') {
            i += 1; // NODE_ENV=test
        } else if matches!(w, "npx" | "cross-env" | "c8" | "nyc" | "env") {
            i += 1;
            while words.get(i).is_some_and(|w| w.starts_with('-')) {
                i += 1;
            }
        } else {
            break;
        }
    }
    &words[i.min(words.len())..]
}

fn classify(words: &[&str]) -> Kind {
    match program(words) {
        ["node", rest @ ..] if rest.contains(&"--test") => Kind::Runner,
        ["mocha" | "tape" | "tap" | "ava" | "jest" | "vitest", ..] => Kind::Runner,
        ["tsc", rest @ ..] if !rest.contains(&"--noEmit") => Kind::Build,
        [
            "babel" | "esbuild" | "rollup" | "webpack" | "swc" | "tsup",
            ..,
        ] => Kind::Build,
        ["vite", "build", ..] => Kind::Build,
        _ => Kind::Other,
    }
}

/// The runner's command as specbench runs it, in a format it reads: (command, format,
/// junit_path, note).
fn runner_command(
    step: &str,
) -> Option<(String, &'static str, Option<&'static str>, Option<String>)> {
    let words: Vec<&str> = step.split_whitespace().collect();
    let prog = program(&words);
    let env: Vec<&str> = words
        .iter()
        .take(words.len() - prog.len())
        .copied()
        .filter(|w| w.contains('=') && !w.starts_with('-'))
        .collect();
    let (tool, args) = prog.split_first()?;
    let args: Vec<&str> = args.to_vec();
    let has = |prefix: &str| args.iter().any(|a| a.starts_with(prefix));
    let with_env = |cmd: String| {
        if env.is_empty() {
            cmd
        } else {
            format!("{} {cmd}", env.join(" "))
        }
    };
    let joined = args.join(" ");
    let out = match *tool {
        "node" => {
            let reporter = if has("--test-reporter") {
                ""
            } else {
                " --test-reporter=tap"
            };
            (
                format!("node{reporter} {joined}").trim_end().to_string(),
                "tap",
                None,
                None,
            )
        }
        "mocha" => {
            let reporter = if has("--reporter") || has("-R") {
                ""
            } else {
                " --reporter tap"
            };
            (
                format!("npx mocha{reporter} {joined}")
                    .trim_end()
                    .to_string(),
                "tap",
                None,
                None,
            )
        }
        "tape" | "tap" => (
            format!("npx {tool} {joined}").trim_end().to_string(),
            "tap",
            None,
            None,
        ),
        "ava" => (
            format!("npx ava --tap {joined}").trim_end().to_string(),
            "tap",
            None,
            None,
        ),
        "vitest" => {
            let args: Vec<&str> = args
                .iter()
                .copied()
                .filter(|a| *a != "run" && *a != "watch")
                .collect();
            (
                format!(
                    "npx vitest run --reporter=junit --outputFile=.specbench/vitest-junit.xml {}",
                    args.join(" ")
                )
                .trim_end()
                .to_string(),
                "junit",
                Some(".specbench/vitest-junit.xml"),
                None,
            )
        }
        "jest" => (
            format!("npx jest --ci {joined}").trim_end().to_string(),
            "auto",
            None,
            Some(
                "specbench cannot read jest's own output: add the jest-junit reporter and set \
                 format = \"junit\" with its junit_path"
                    .to_string(),
            ),
        ),
        _ => return None,
    };
    Some((with_env(out.0), out.1, out.2, out.3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn detected(files: &[(&str, &str)]) -> Option<Detected> {
        detect(dir_with(files).path())
    }

    fn command(files: &[(&str, &str)]) -> Option<String> {
        detected(files).map(|d| d.command)
    }

    const UNITTEST: &str =
        "import unittest\n\nclass T(unittest.TestCase):\n    def test_x(self):\n        pass\n";

    #[test]
    fn unittest_discovery_starts_where_the_layout_says() {
        // At the root, or in packages below it: plain discovery.
        assert_eq!(
            command(&[("test_a.py", UNITTEST)]).as_deref(),
            Some("python3 -m unittest -v")
        );
        assert_eq!(
            command(&[("tests/__init__.py", ""), ("tests/test_a.py", UNITTEST)]).as_deref(),
            Some("python3 -m unittest -v")
        );
        // tests/ is no package: discovery has to start there.
        let d = detected(&[("tests/test_a.py", UNITTEST), ("tests/test_b.py", UNITTEST)]).unwrap();
        assert_eq!(d.command, "python3 -m unittest discover -s tests -v");
        assert_eq!(
            d.why,
            "2 test*.py files under tests/, which unittest does not reach from the root"
        );
        // Tests inside the package under src/ (the fallback ran 0 tests and called it green).
        let d = detected(&[
            ("src/calc/__init__.py", ""),
            ("src/calc/tests/__init__.py", ""),
            ("src/calc/tests/test_calc.py", UNITTEST),
        ])
        .unwrap();
        assert_eq!(d.command, "python3 -m unittest discover -s src -v");
        assert_eq!(d.format, "unittest");
        // A src/ layout with tests beside it.
        let d = detected(&[
            ("src/calc/__init__.py", ""),
            ("tests/test_calc.py", UNITTEST),
        ])
        .unwrap();
        assert_eq!(
            d.command,
            "PYTHONPATH=src python3 -m unittest discover -s tests -v"
        );
        assert!(d.why.ends_with("; the package is under src/"), "{}", d.why);
        // The most tests win; the others are named.
        let d = detected(&[
            ("a/test_1.py", UNITTEST),
            ("a/test_2.py", UNITTEST),
            ("b c/test_3.py", UNITTEST),
        ])
        .unwrap();
        assert_eq!(d.command, "python3 -m unittest discover -s a -v");
        assert!(
            d.why.ends_with("; 1 more elsewhere (b c/) are not run"),
            "{}",
            d.why
        );
        let d = detected(&[("b c/test_3.py", UNITTEST)]).unwrap();
        assert_eq!(d.command, "python3 -m unittest discover -s 'b c' -v");
    }

    #[test]
    fn pytest_style_tests_choose_pytest() {
        let d = detected(&[(
            "tests/test_a.py",
            "import pytest\n\ndef test_x():\n    pass\n",
        )])
        .unwrap();
        assert_eq!(d.command, "python3 -m pytest -rA");
        assert_eq!(d.why, "1 Python test file; tests/test_a.py imports pytest");
        let d = detected(&[("test_b.py", "def test_x():\n    assert 1\n")]).unwrap();
        assert_eq!(d.format, "pytest");
        assert!(
            d.why.contains("test functions outside classes"),
            "{}",
            d.why
        );
        let d = detected(&[("pyproject.toml", "[tool.pytest.ini_options]\n")]).unwrap();
        assert_eq!(
            d.why,
            "pytest configuration ([tool.pytest] in pyproject.toml)"
        );
        // Virtual environments and hidden directories are not the project's tests.
        assert_eq!(
            command(&[
                (".venv/lib/test_x.py", UNITTEST),
                ("venv/test_y.py", UNITTEST)
            ]),
            None
        );
    }

    #[test]
    fn the_runner_behind_an_npm_script() {
        let pkg = |scripts: &str| format!("{{\"scripts\": {scripts}}}");
        // Build, lint, format and coverage around node --test: the build stays, the rest goes.
        let d = detected(&[(
            "package.json",
            &pkg(r#"{"test": "npm run build && npm run lint && prettier --write . && c8 --reporter=lcov node --test test/", "build": "tsc -p .", "lint": "eslint ."}"#),
        )])
        .unwrap();
        assert_eq!(
            d.command,
            "tsc -p . && node --test-reporter=tap --test test/"
        );
        assert_eq!(d.format, "tap");
        assert_eq!(
            d.why,
            "the test script of package.json (`npm run build && npm run lint && prettier --write . \
             && c8 --reporter=lcov node --test test/`) runs node; 2 other steps (lint, format, \
             coverage) left out"
        );
        assert_eq!(
            command(&[(
                "package.json",
                &pkg(r#"{"test": "NODE_ENV=test mocha 'test/**/*.js'"}"#)
            )])
            .as_deref(),
            Some("NODE_ENV=test npx mocha --reporter tap 'test/**/*.js'")
        );
        let d = detected(&[("package.json", &pkg(r#"{"test": "vitest"}"#))]).unwrap();
        assert_eq!(
            d.command,
            "npx vitest run --reporter=junit --outputFile=.specbench/vitest-junit.xml"
        );
        assert_eq!(
            (d.format, d.junit_path),
            ("junit", Some(".specbench/vitest-junit.xml"))
        );
        let d = detected(&[("package.json", &pkg(r#"{"test": "jest --coverage"}"#))]).unwrap();
        assert_eq!(d.command, "npx jest --ci --coverage");
        assert!(d.note.is_some());
        assert_eq!(
            command(&[(
                "package.json",
                &pkg(r#"{"test": "yarn unit", "unit": "ava"}"#)
            )])
            .as_deref(),
            Some("npx ava --tap")
        );
        // npm's placeholder runs nothing: tests importing node:test decide.
        let d = detected(&[
            (
                "package.json",
                &pkg(r#"{"test": "echo \"Error: no test specified\" && exit 1"}"#),
            ),
            ("lib/math.test.js", "const test = require('node:test');\n"),
        ])
        .unwrap();
        assert_eq!(d.command, "node --test --test-reporter=tap");
        assert_eq!(d.why, "1 test file imports node:test");
        assert_eq!(command(&[("package.json", "{}")]), None);
        assert_eq!(command(&[("README", "")]), None);
    }
}
