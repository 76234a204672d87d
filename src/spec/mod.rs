//! The spec engine: the Markdown spec parsed into clauses with checks (`parse`), pinned versions
//! (`pin`), the clause-level difference between the pin and the file on disk (`diff`), the
//! forbid/require scan of the code in scope (`scan`) and clause status with the drift report
//! (`eval`). DESIGN.md section 4 is the contract.

pub mod diff;
pub mod eval;
pub mod parse;
pub mod pattern;
pub mod pin;
pub mod scan;

use std::fmt;

pub use parse::{parse, parse_reusing};

/// A parsed spec. Parsing never fails: problems are attached to the clauses they concern.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    /// The text of the first `#` heading, if any.
    pub title: Option<String>,
    /// Every list item of the spec, nested ones included, in source order.
    pub clauses: Vec<Clause>,
}

impl Spec {
    /// The compiled regexes of its checks, by source text, for a later parse to reuse.
    pub fn compiled_patterns(
        &self,
    ) -> impl Iterator<Item = (&str, std::sync::Arc<pattern::Pattern>)> {
        self.clauses
            .iter()
            .flat_map(|clause| &clause.checks)
            .filter_map(|check| match &check.matcher {
                Matcher::Regex(p) => Some((check.arg.as_str(), p.clone())),
                Matcher::Glob(_) => None,
            })
    }
}

/// One clause: a list item of the spec.
#[derive(Debug, Clone)]
pub struct Clause {
    /// `R1` for `[R1]` or `**R1**`; `C<n>` (n = the clause's 1-based position) without one.
    pub id: String,
    /// Whether the id was written in the spec rather than given by position.
    pub explicit_id: bool,
    /// The item's own Markdown on one line (whitespace runs collapsed to one space), without
    /// the list marker, the id and nested items; check spans included as written.
    pub raw: String,
    /// `raw` without the check spans: the clause's prose, whitespace collapsed and trimmed.
    pub text: String,
    /// 1-based line of the list marker.
    pub line: usize,
    /// The checks that compiled, in source order.
    pub checks: Vec<Check>,
    /// Why the clause cannot be evaluated; non-empty means the clause is `invalid`.
    pub problems: Vec<Problem>,
}

impl Clause {
    /// Whether the clause has a problem that stops its evaluation.
    pub fn is_invalid(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The checks of one kind.
    pub fn checks_of(&self, kind: CheckKind) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(move |c| c.kind == kind)
    }
}

/// The kinds of check, written `kind: argument` in an inline code span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckKind {
    /// `test: GLOB`: links the clause to the tests whose normalized name matches.
    Test,
    /// `forbid: REGEX`: violated where the regex matches a line of a file in scope.
    Forbid,
    /// `require: REGEX`: violated when the regex matches no line of any file in scope.
    Require,
    /// `in: GLOB`: the scope of the clause's forbid/require checks.
    In,
}

impl CheckKind {
    /// The kind as written in a spec.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Test => "test",
            CheckKind::Forbid => "forbid",
            CheckKind::Require => "require",
            CheckKind::In => "in",
        }
    }

    /// The kind written `name`, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "test" => CheckKind::Test,
            "forbid" => CheckKind::Forbid,
            "require" => CheckKind::Require,
            "in" => CheckKind::In,
            _ => return None,
        })
    }
}

/// A compiled check.
#[derive(Debug, Clone)]
pub struct Check {
    pub kind: CheckKind,
    /// The argument as written (the glob or the regex), trimmed.
    pub arg: String,
    /// 1-based line and column (in characters) of the argument in the spec.
    pub line: usize,
    pub column: usize,
    pub matcher: Matcher,
}

/// A check's compiled argument.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// `test:` (case-insensitive, `*` crosses `/` and `.`) and `in:` (case-sensitive) globs.
    Glob(globset::Glob),
    /// `forbid:` and `require:` regexes, matched against one line at a time (compiled once,
    /// shared by the parses of the same spec).
    Regex(std::sync::Arc<pattern::Pattern>),
}

/// A problem in the spec, with its position (1-based line, column in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}
