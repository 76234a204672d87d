//! Which test a line of a Python file belongs to, for pytest's skips that are reported by
//! location (`SKIPPED [1] tests/test_a.py:12: reason`): the function whose decorators,
//! signature or body hold the line, inside its classes, as a node id's tail
//! (`TestGroup::test_x`).
//!
//! A light reading of the source, not a parser: logical lines are found by tracking brackets,
//! strings and comments; `class`, `def` and `async def` open blocks that end at the next
//! logical line indented as much or less.

/// Where a line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// At module level, outside any function or class: the module is what was skipped.
    Module,
    /// Inside a test function: `test_x` or `TestGroup::test_x`.
    Test(String),
    /// Inside something that is not a test (a helper, a fixture): no node id to give.
    Other,
}

#[derive(Debug)]
struct Block {
    /// The first line of its decorators, or its own line (1-based).
    start: usize,
    end: usize,
    indent: usize,
    name: String,
    is_class: bool,
    /// Indexes of the enclosing blocks, outermost first.
    parents: Vec<usize>,
}

/// The blocks of a Python source: classes and functions with their line spans.
fn blocks(source: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut depth = 0usize; // open brackets carried over from earlier lines
    let mut string: Option<&'static str> = None; // an open triple-quoted string
    let mut decorators: Option<usize> = None;
    let mut last_code = 0usize;
    for (i, raw) in source.lines().enumerate() {
        let n = i + 1;
        let starts_logical = depth == 0 && string.is_none();
        let text = raw.trim_start();
        if starts_logical && !text.is_empty() && !text.starts_with('#') {
            let indent = raw.len() - text.len();
            while let Some(&top) = open.last() {
                if out[top].indent >= indent {
                    out[top].end = last_code;
                    open.pop();
                } else {
                    break;
                }
            }
            let header = text
                .strip_prefix("async ")
                .map(str::trim_start)
                .unwrap_or(text);
            let (is_class, rest) = if let Some(r) = header.strip_prefix("class ") {
                (true, Some(r))
            } else {
                (false, header.strip_prefix("def "))
            };
            if text.starts_with('@') {
                decorators.get_or_insert(n);
            } else if let Some(rest) = rest {
                let name: String = rest
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push(Block {
                    start: decorators.take().unwrap_or(n),
                    end: n,
                    indent,
                    name,
                    is_class,
                    parents: open.clone(),
                });
                open.push(out.len() - 1);
            } else {
                decorators = None;
            }
        }
        scan_line(raw, &mut depth, &mut string);
        if !text.is_empty() {
            last_code = n;
        }
    }
    for top in open {
        out[top].end = last_code;
    }
    out
}

/// Updates the bracket depth and the open triple-quoted string across one physical line.
fn scan_line(line: &str, depth: &mut usize, string: &mut Option<&'static str>) {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(q) = string {
            match line[i..].find(*q) {
                Some(at) => {
                    i += at + q.len();
                    *string = None;
                    continue;
                }
                None => return,
            }
        }
        match bytes[i] {
            b'#' => return,
            b'(' | b'[' | b'{' => *depth += 1,
            b')' | b']' | b'}' => *depth = depth.saturating_sub(1),
            q @ (b'"' | b'\'') => {
                let triple: &'static str = if q == b'"' { "\"\"\"" } else { "'''" };
                if line[i..].starts_with(triple) {
                    *string = Some(triple);
                    i += 3;
                    continue;
                }
                // A one-line string: skip to its closing quote (escapes honoured).
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// What holds `line` (1-based) in `source`.
pub fn owner(source: &str, line: usize) -> Owner {
    let all = blocks(source);
    let Some(inner) = all
        .iter()
        .enumerate()
        .filter(|(_, b)| b.start <= line && line <= b.end)
        .max_by_key(|(_, b)| b.parents.len())
        .map(|(i, _)| i)
    else {
        return Owner::Module;
    };
    // The chain from the outermost block: classes, then the first function is the test.
    let mut chain: Vec<&Block> = all[inner].parents.iter().map(|&p| &all[p]).collect();
    chain.push(&all[inner]);
    let mut parts = Vec::new();
    for block in chain {
        parts.push(block.name.as_str());
        if !block.is_class {
            return if block.name.starts_with("test") {
                Owner::Test(parts.join("::"))
            } else {
                Owner::Other
            };
        }
    }
    Owner::Other // a line in a class body, outside its methods
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"import sys
import pytest

LIMIT = (1,
2)


@pytest.mark.skip(reason="a (b")
def test_marked():
    pass


@pytest.mark.parametrize(
    "n",
    [1, 2],
)
def test_param(n):
    text = """
def test_not_real():
    """
    pytest.skip("x")


class TestGroup:
    attr = 1

    @pytest.mark.skip
    async def test_in_class(self):
        def inner():
            pytest.skip("y")
        inner()

    class TestNested:
        def test_deep(self):
            pass


def helper():  # a comment (with a bracket
    pytest.skip("z")
"#;

    #[test]
    fn lines_belong_to_the_test_defined_there() {
        let at = |line| owner(SOURCE, line);
        assert_eq!(at(1), Owner::Module);
        assert_eq!(at(5), Owner::Module, "inside a bracket at module level");
        assert_eq!(at(8), Owner::Test("test_marked".into()), "its decorator");
        assert_eq!(at(9), Owner::Test("test_marked".into()));
        assert_eq!(at(13), Owner::Test("test_param".into()));
        assert_eq!(
            at(16),
            Owner::Test("test_param".into()),
            "a decorator's `)`"
        );
        assert_eq!(at(19), Owner::Test("test_param".into()), "inside a string");
        assert_eq!(at(21), Owner::Test("test_param".into()));
        assert_eq!(at(25), Owner::Other, "a class body");
        assert_eq!(at(27), Owner::Test("TestGroup::test_in_class".into()));
        assert_eq!(
            at(30),
            Owner::Test("TestGroup::test_in_class".into()),
            "a function inside the test"
        );
        assert_eq!(
            at(34),
            Owner::Test("TestGroup::TestNested::test_deep".into())
        );
        assert_eq!(at(38), Owner::Other, "a helper");
        assert_eq!(at(39), Owner::Other);
        assert_eq!(at(100), Owner::Module);
    }
}
