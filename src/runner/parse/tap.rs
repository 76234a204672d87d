//! TAP 13/14, including node's `node --test` TAP reporter with nested `# Subtest:` blocks.
//!
//! Names are the test points' descriptions, nested names joined with ` > ` (ancestors from the
//! `# Subtest: name` headers). Every test point is a result, parents of subtests included, as
//! node counts them (`# tests 11`), except node's `describe` suites (`type: 'suite'` in their
//! YAML block), which node counts apart (`# suites 1`). `# SKIP` and `# TODO`
//! directives give skipped results. The YAML diagnostics block after a test point gives
//! `duration_ms`, the message (`error` or `message`, else `expected`/`actual`) and the location
//! (`location: '/p/a.test.js:3:1'`, or tape's `at: fn (/p/a.js:6:5)`).

use super::common::{ResultSet, bounded_message, float_ms, push_output, split_location};
use crate::runner::result::{Format, Parser, Stream, TestResult, TestStatus};

/// Subtests are indented by four spaces per level.
const INDENT: usize = 4;
/// Deeper nesting than this is treated as this deep (bounded per-level state).
const MAX_DEPTH: usize = 64;

#[derive(Debug, Default, Clone)]
struct Level {
    /// The `# Subtest:` name announced at this level.
    header: Option<String>,
}

/// The YAML block being read and the result it belongs to.
#[derive(Debug)]
struct Yaml {
    target: Option<usize>,
    /// Indentation of the `---` line.
    indent: usize,
    key_indent: Option<usize>,
    /// The key whose block scalar (`|-`) is being read, and its text.
    block_key: Option<String>,
    block_text: String,
    error: Option<String>,
    message: Option<String>,
    expected: Option<String>,
    actual: Option<String>,
    location: Option<(String, u32)>,
    duration_ms: Option<u64>,
    /// `type: 'suite'`: node's `describe`, not a test.
    suite: bool,
    text: String,
}

impl Yaml {
    fn new(target: Option<usize>, indent: usize) -> Self {
        Self {
            target,
            indent,
            key_indent: None,
            block_key: None,
            block_text: String::new(),
            error: None,
            message: None,
            expected: None,
            actual: None,
            location: None,
            duration_ms: None,
            suite: false,
            text: String::new(),
        }
    }

    fn line(&mut self, line: &str) {
        push_output(
            &mut self.text,
            line.get(self.indent..).unwrap_or(line.trim_start()),
        );
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if self.block_key.is_some() {
            if t.is_empty() || self.key_indent.is_some_and(|k| indent > k) {
                if self.block_text.len() < 4096 {
                    self.block_text.push_str(t);
                    self.block_text.push('\n');
                }
                return;
            }
            self.end_block();
        }
        if t.is_empty() {
            return;
        }
        let key_indent = *self.key_indent.get_or_insert(indent);
        if indent != key_indent {
            return; // Nested mappings: not needed.
        }
        let Some((key, value)) = t.split_once(':') else {
            return;
        };
        if !matches!(
            key,
            "duration_ms"
                | "error"
                | "message"
                | "expected"
                | "actual"
                | "location"
                | "at"
                | "type"
        ) {
            return; // `stack`, `code`, ...: in the output only.
        }
        let value = value.trim();
        if value.starts_with('|') || value.starts_with('>') {
            self.block_key = Some(key.to_string());
            self.block_text.clear();
            return;
        }
        self.value(key, unquote(value));
    }

    fn end_block(&mut self) {
        if let Some(key) = self.block_key.take() {
            let text = std::mem::take(&mut self.block_text);
            self.value(&key, text);
        }
    }

    fn value(&mut self, key: &str, value: String) {
        match key {
            "duration_ms" => self.duration_ms = value.parse::<f64>().ok().and_then(float_ms),
            "error" => self.error = Some(value),
            "message" => self.message = Some(value),
            "expected" => self.expected = Some(value),
            "actual" => self.actual = Some(value),
            "type" => self.suite = value == "suite",
            "location" | "at" => {
                // `'/p/a.test.js:3:1'` or `Test.<anonymous> (/p/a.js:6:5)`.
                let loc = match (value.rfind('('), value.ends_with(')')) {
                    (Some(open), true) => &value[open + 1..value.len() - 1],
                    _ => value.as_str(),
                };
                if let Some((file, line)) = split_location(loc) {
                    self.location = Some((file.to_string(), line));
                }
            }
            _ => {}
        }
    }

    /// The one-line message: the first line of `error`/`message`, with the next line added when
    /// the first ends in a colon (`Expected values to be strictly equal:` … `2 !== 3`).
    fn one_line(&self) -> Option<String> {
        let text = self.error.as_deref().or(self.message.as_deref());
        if let Some(text) = text {
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let first = lines.next()?;
            if first.ends_with(':')
                && let Some(next) = lines.next()
            {
                return Some(bounded_message(&format!("{first} {next}")));
            }
            return Some(bounded_message(first));
        }
        match (&self.expected, &self.actual) {
            (Some(e), Some(a)) => Some(bounded_message(&format!("expected {e}, got {a}"))),
            _ => None,
        }
    }

    fn apply(mut self, r: &mut TestResult) {
        self.end_block();
        if r.status == TestStatus::Failed && r.message.is_none() {
            r.message = self.one_line();
        }
        if r.duration_ms.is_none() {
            r.duration_ms = self.duration_ms;
        }
        if let Some((file, line)) = self.location.take() {
            r.file = Some(file);
            r.line = Some(line);
        }
        if r.output.is_empty() {
            r.output = self.text;
        }
    }
}

fn unquote(v: &str) -> String {
    if v == "~" || v == "null" {
        return String::new();
    }
    if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
        return v[1..v.len() - 1].replace("''", "'");
    }
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        return v[1..v.len() - 1]
            .replace("\\n", "\n")
            .replace("\\\"", "\"")
            .replace("\\\\", "\\");
    }
    v.to_string()
}

/// Splits `desc # DIRECTIVE reason` at the first unescaped `#`; unescapes `\#` and `\\`.
fn split_directive(text: &str) -> (String, Option<(String, String)>) {
    let bytes = text.as_bytes();
    let mut desc = String::with_capacity(text.len());
    let mut i = 0;
    let mut start = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if i + 1 < bytes.len() && (bytes[i + 1] == b'#' || bytes[i + 1] == b'\\') => {
                desc.push_str(&text[start..i]);
                start = i + 1;
                i += 2;
            }
            b'#' => {
                desc.push_str(&text[start..i]);
                let directive = text[i + 1..].trim();
                let (word, reason) = directive.split_once(' ').unwrap_or((directive, ""));
                let upper = word.to_ascii_uppercase();
                if upper.starts_with("SKIP") || upper.starts_with("TODO") {
                    let kind = upper[..4].to_string();
                    return (
                        desc.trim().to_string(),
                        Some((kind, reason.trim().to_string())),
                    );
                }
                // A `#` that starts no directive belongs to the description.
                desc.push('#');
                start = i + 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    desc.push_str(&text[start..]);
    (desc.trim().to_string(), None)
}

#[derive(Debug, Default)]
pub struct TapParser {
    set: ResultSet,
    levels: Vec<Level>,
    yaml: Option<Yaml>,
    /// A YAML block may open on the next line, at this indentation, for this result.
    yaml_may_follow: Option<(usize, Option<usize>)>,
}

impl TapParser {
    pub fn new() -> Self {
        Self::default()
    }

    fn level(&mut self, depth: usize) -> &mut Level {
        let depth = depth.min(MAX_DEPTH);
        if self.levels.len() <= depth {
            self.levels.resize(depth + 1, Level::default());
        }
        &mut self.levels[depth]
    }

    fn close_yaml(&mut self) {
        let Some(yaml) = self.yaml.take() else {
            return;
        };
        if yaml.suite
            && let Some(i) = yaml.target
            && i + 1 == self.set.results.len()
        {
            self.set.results.pop(); // A `describe`: its tests are the results.
            return;
        }
        if let Some(r) = yaml.target.and_then(|i| self.set.get_mut(i)) {
            yaml.apply(r);
        }
    }

    fn test_point(&mut self, indent: usize, t: &str) -> bool {
        let (failed, rest) = if let Some(r) = t.strip_prefix("not ok") {
            (true, r)
        } else if let Some(r) = t.strip_prefix("ok") {
            (false, r)
        } else {
            return false;
        };
        if !(rest.is_empty() || rest.starts_with(' ')) {
            return false;
        }
        let rest = rest.trim_start();
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let number = &rest[..digits];
        let rest = rest[digits..].trim_start();
        let rest = rest.strip_prefix("- ").unwrap_or(rest);
        let rest = if rest == "-" { "" } else { rest };
        let (desc, directive) = split_directive(rest);
        let depth = (indent / INDENT).min(MAX_DEPTH);

        self.levels.truncate(depth + 1);
        let own_header = self.level(depth).header.take();
        let status = match &directive {
            Some((kind, _)) if kind == "SKIP" || kind == "TODO" => TestStatus::Skipped,
            _ if failed => TestStatus::Failed,
            _ => TestStatus::Passed,
        };
        let target = {
            let leaf = if !desc.is_empty() {
                desc
            } else if let Some(h) = own_header {
                h
            } else if !number.is_empty() {
                format!("test {number}")
            } else {
                "test".to_string()
            };
            let mut name = String::new();
            for l in self.levels.iter().take(depth) {
                if let Some(h) = &l.header {
                    name.push_str(h);
                    name.push_str(" > ");
                }
            }
            name.push_str(&leaf);
            let mut r = TestResult::new(name, status);
            if let Some((kind, reason)) = directive {
                r.message = Some(if reason.is_empty() {
                    kind.to_ascii_lowercase()
                } else {
                    bounded_message(&reason)
                });
            }
            // Names may repeat (tape's `should be equal`): every test point is its own result.
            Some(self.set.push(r))
        };
        self.yaml_may_follow = Some((indent + 2, target));
        true
    }
}

impl Parser for TapParser {
    fn line(&mut self, _stream: Stream, line: &str) {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        if let Some(yaml) = self.yaml.as_mut() {
            if t == "..." && indent <= yaml.indent {
                self.close_yaml();
                return;
            }
            if t.is_empty() || indent >= yaml.indent {
                yaml.line(line);
                return;
            }
            // Less indented than the block: it ended without `...`.
            self.close_yaml();
        }
        if let Some((yaml_indent, target)) = self.yaml_may_follow.take()
            && t == "---"
            && indent.abs_diff(yaml_indent) <= 2
        {
            self.yaml = Some(Yaml::new(target, indent));
            return;
        }
        if let Some(name) = t.strip_prefix("# Subtest:") {
            // A new test at this depth: deeper levels start afresh.
            let depth = (indent / INDENT).min(MAX_DEPTH);
            self.levels.truncate(depth + 1);
            self.level(depth).header = Some(split_directive(name).0);
            return;
        }
        if t.starts_with("ok") || t.starts_with("not ok") {
            self.test_point(indent, t);
        }
    }

    fn results(&self) -> &[TestResult] {
        &self.set.results
    }

    fn finish(mut self: Box<Self>) -> Vec<TestResult> {
        self.close_yaml();
        self.set.results
    }

    fn format(&self) -> Option<Format> {
        Some(Format::Tap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::parse::testutil::{Expect, check, feed};

    const P: &str = "/work/main/tests/fixtures/runners/tap/project";

    fn math() -> Vec<Expect> {
        use TestStatus::*;
        let m = format!("{P}/math.test.js");
        vec![
            Expect::no_suite("adds numbers", Passed),
            Expect::no_suite("fails on purpose", Failed)
                .message("Expected values to be strictly equal: 2 !== 3")
                .at(&m, 9),
            Expect::no_suite("is skipped", Skipped).message("not ready"),
            Expect::no_suite("is todo", Skipped)
                .message("todo")
                .at(&m, 15),
            Expect::no_suite("outer group > inner passes", Passed),
            Expect::no_suite("outer group > inner fails", Failed)
                .message("inner boom")
                .at(&m, 23),
            Expect::no_suite("outer group > deeper group > deepest passes", Passed),
            // Parents are results, as node counts them; the describe `a suite` is not.
            Expect::no_suite("outer group > deeper group", Passed),
            Expect::no_suite("outer group", Failed)
                .message("1 subtest failed")
                .at(&m, 19),
            Expect::no_suite("a suite > works inside describe", Passed),
            Expect::no_suite("a suite > slow one", Passed),
        ]
    }

    #[test]
    fn node_test_tap_reporter() {
        let text = include_str!("../../../tests/fixtures/runners/tap/node_test_tap.txt");
        let results = feed(Box::new(TapParser::new()), text);
        check(&results, &math());
        // `# tests 11` / `# suites 1`.
        assert_eq!(results.len(), 11);
        let slow = results.iter().find(|r| r.name == "a suite > slow one");
        // `duration_ms: 40.125781`
        assert_eq!(slow.and_then(|r| r.duration_ms), Some(40));
        let fails = results.iter().find(|r| r.name == "fails on purpose");
        assert!(fails.is_some_and(|r| r.output.contains("operator: 'strictEqual'")));
    }

    #[test]
    fn node_test_default_reporter_when_piped() {
        let text = include_str!("../../../tests/fixtures/runners/tap/node_test_default_piped.txt");
        let results = feed(Box::new(TapParser::new()), text);
        check(&results, &math());
    }

    #[test]
    fn node_test_several_files() {
        use TestStatus::*;
        let text = include_str!("../../../tests/fixtures/runners/tap/node_test_tap_multi.txt");
        let results = feed(Box::new(TapParser::new()), text);
        let mut expected = math();
        let broken = format!("{P}/broken.test.js");
        expected.extend([
            // A file that throws while loading is one failed test named by its path.
            Expect::no_suite(&broken, Failed)
                .message("test failed")
                .at(&broken, 1),
            Expect::no_suite("upper # with a hash", Passed),
            Expect::no_suite("rejects", Failed)
                .message("Missing expected rejection.")
                .at(&format!("{P}/strings.test.js"), 10),
        ]);
        check(&results, &expected);
        assert_eq!(results.len(), 14, "`# tests 14`");
    }

    #[test]
    fn node_describe_suites_are_not_tests_and_parents_are() {
        use TestStatus::*;
        let text = include_str!("../../../tests/fixtures/runners/tap/cases_node_test_tap.txt");
        let results = feed(Box::new(TapParser::new()), text);
        let file = "/work/wt/i17-results/tests/fixtures/runners/tap/cases/nesting.test.js";
        check(
            &results,
            &[
                Expect::no_suite("validate > inputs > rejects empty", Passed),
                Expect::no_suite("validate > inputs > rejects long", Failed)
                    .message("Expected values to be strictly equal: 3 !== 2")
                    .at(file, 10),
                Expect::no_suite("validate > accepts plain", Passed),
                Expect::no_suite("parent with subtests > first", Passed),
                Expect::no_suite("parent with subtests > second", Passed),
                Expect::no_suite("parent with subtests", Passed),
                Expect::no_suite("parent failing alone > child ok", Passed),
                Expect::no_suite("parent failing alone", Failed)
                    .message("after the children")
                    .at(file, 22),
            ],
        );
        // `# tests 8` / `# suites 2` / `# pass 6` / `# fail 2`.
        assert_eq!(results.len(), 8);
    }

    #[test]
    fn classic_tap13_from_tape() {
        use TestStatus::*;
        let text = include_str!("../../../tests/fixtures/runners/tap/tape.txt");
        let results = feed(Box::new(TapParser::new()), text);
        let file = "/work/main/tests/fixtures/runners/tap/tape-project/calc.tape.js";
        check(
            &results,
            &[
                Expect::no_suite("one plus one", Passed),
                Expect::no_suite("two plus two", Failed)
                    .message("expected 5, got 4")
                    .at(file, 6),
                Expect::no_suite("not done", Skipped)
                    .message("todo")
                    .at(file, 15),
                Expect::no_suite("an assertion skipped", Skipped).message("skip"),
                Expect::no_suite("should be truthy", Passed),
            ],
        );
    }

    #[test]
    fn parent_failing_on_its_own_is_a_result() {
        let text = "\
TAP version 14
# Subtest: parent
    ok 1 - child
    1..1
not ok 1 - parent
  ---
  error: 'before hook failed'
  ...
ok 2
ok 3 - has \\\\ backslash
1..3";
        let results = feed(Box::new(TapParser::new()), text);
        check(
            &results,
            &[
                Expect::no_suite("parent > child", TestStatus::Passed),
                Expect::no_suite("parent", TestStatus::Failed).message("before hook failed"),
                Expect::no_suite("test 2", TestStatus::Passed),
                Expect::no_suite("has \\ backslash", TestStatus::Passed),
            ],
        );
    }

    #[test]
    fn directives() {
        assert_eq!(
            split_directive("a \\# b # SKIP why not"),
            (
                "a # b".to_string(),
                Some(("SKIP".to_string(), "why not".to_string()))
            )
        );
        assert_eq!(
            split_directive("x # todo"),
            ("x".to_string(), Some(("TODO".to_string(), String::new())))
        );
        assert_eq!(
            split_directive("issue #12 fixed"),
            ("issue #12 fixed".to_string(), None)
        );
    }
}
