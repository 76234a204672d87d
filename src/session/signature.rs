//! Failure signatures: what failed and how, the unit that corrections are counted by. A failing
//! test is (its name, its error kind); a clause broken by a forbid/require check is (its id,
//! `violated`). The same signature failing again after a fix is a correction of that class.

use std::fmt;

use crate::runner::result::{TestResult, TestStatus};
use crate::spec::Spec;
use crate::spec::eval::{Evaluation, Status};

/// One class of failure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signature {
    /// The test name, or the clause id.
    pub subject: String,
    /// The error kind (`AssertionError`, `ImportError`, `assertion`, `panic`, `build`,
    /// `timeout`) or `violated` for a clause.
    pub kind: String,
}

impl fmt::Display for Signature {
    /// `R4 · violated`, `test_over_limit · AssertionError` (the test's last name part).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} · {}", short_name(&self.subject), self.kind)
    }
}

/// A test name's last part: `test_over_limit` of `mod.Class.test_over_limit`.
pub fn short_name(name: &str) -> &str {
    let cut = name
        .rfind(['.', ':', '/'])
        .map_or(0, |i| i + 1)
        .min(name.len());
    let tail = &name[cut..];
    if tail.is_empty() { name } else { tail }
}

/// The kind of a test's failure, from its message: the exception class where one is named,
/// `assertion` / `panic` for Rust, `build` for a compile error.
pub fn error_kind(result: &TestResult) -> String {
    if result.suite.as_deref() == Some("build") {
        return "build".into();
    }
    let message = result.message.as_deref().unwrap_or_default().trim();
    let first = message.lines().next().unwrap_or_default().trim();
    if first.starts_with("assert ") || first.starts_with("assert(") {
        return "AssertionError".into();
    }
    if let Some(name) = exception_name(first) {
        return name.to_string();
    }
    let lower = message.to_ascii_lowercase();
    if lower.contains("not yet implemented") || lower.contains("not implemented") {
        "unimplemented".into()
    } else if lower.contains("timed out") || lower.contains("timeout") {
        "timeout".into()
    } else if lower.contains("assertion") || lower.contains("assert_eq") || lower.contains("left:")
    {
        "assertion".into()
    } else if lower.contains("panicked") {
        "panic".into()
    } else if lower.contains("error[e") || lower.contains("could not compile") {
        "build".into()
    } else {
        "failure".into()
    }
}

/// `ValueError` in `ValueError: bad` or `module.ValueError: bad`; `E   ImportError` from pytest.
fn exception_name(line: &str) -> Option<&str> {
    let line = line.trim_start_matches(['E', ' ']).trim_start();
    let head = line.split([':', ' ', '(']).next()?;
    let name = head.rsplit('.').next()?;
    let is_name = name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let ends = [
        "Error",
        "Exception",
        "Exit",
        "Interrupt",
        "Failure",
        "Failed",
    ];
    (is_name && ends.iter().any(|e| name.ends_with(e))).then_some(name)
}

/// Whether a failure of this kind is the right reason for a new test to fail: an assertion,
/// or code that says it is not written yet; not an import, syntax, name or build error.
pub fn is_right_reason(kind: &str) -> bool {
    matches!(
        kind,
        "AssertionError"
            | "assertion"
            | "AssertionFailedError"
            | "ComparisonFailure"
            | "NotImplementedError"
            | "unimplemented"
    )
}

/// One current failure: its signature, the clauses it concerns, and the details a fix needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub signature: Signature,
    /// Clause ids linked to the failing test, or the violated clause.
    pub clauses: Vec<String>,
    /// `file:line` where known.
    pub location: Option<String>,
    /// The failure message, or why the clause is violated.
    pub message: String,
    /// For a violated clause, its text.
    pub clause_text: Option<String>,
}

/// Every current failure: failing tests (with the clauses they are linked to), then clauses
/// broken by their forbid/require checks. `results` must be what `eval` was computed from.
pub fn failures(spec: &Spec, eval: &Evaluation, results: &[TestResult]) -> Vec<Failure> {
    let mut out = Vec::new();
    for (i, r) in results.iter().enumerate() {
        if r.status != TestStatus::Failed {
            continue;
        }
        let clauses: Vec<String> = spec
            .clauses
            .iter()
            .zip(&eval.clauses)
            .filter(|(_, report)| report.tests.iter().any(|t| t.index == i))
            .map(|(c, _)| c.id.clone())
            .collect();
        let location = match (&r.file, r.line) {
            (Some(f), Some(l)) => Some(format!("{f}:{l}")),
            (Some(f), None) => Some(f.clone()),
            _ => None,
        };
        out.push(Failure {
            signature: Signature {
                subject: r.name.clone(),
                kind: error_kind(r),
            },
            clauses,
            location,
            message: r
                .message
                .clone()
                .unwrap_or_else(|| "failed (no message)".into()),
            clause_text: None,
        });
    }
    for (clause, report) in spec.clauses.iter().zip(&eval.clauses) {
        if report.status != Status::Violated {
            continue;
        }
        // Violated by a failing linked test only: that test's failure already says it.
        let static_break = report
            .checks
            .iter()
            .any(|c| (c.kind == "forbid" || c.kind == "require") && check_broken(c));
        if !static_break {
            continue;
        }
        let location = report
            .forbidden
            .first()
            .map(|l| format!("{}:{}", l.file.display(), l.line));
        // Every broken check, each on a line: a fix must see all of them.
        let broken: Vec<String> = report
            .checks
            .iter()
            .filter(|c| check_broken(c))
            .map(|c| match c.hits.as_ref().and_then(|h| h.first()) {
                Some(hit) if c.kind == "forbid" => format!(
                    "forbidden `{}` at {}:{}: {}",
                    c.pattern,
                    hit.file.display(),
                    hit.line,
                    hit.text.trim()
                ),
                _ => format!(
                    "required `{}` not found in {}",
                    c.pattern,
                    crate::spec::eval::scope_words(clause)
                ),
            })
            .collect();
        let message = if broken.is_empty() {
            report.message.clone().unwrap_or_else(|| "violated".into())
        } else {
            broken.join("\n")
        };
        out.push(Failure {
            signature: Signature {
                subject: clause.id.clone(),
                kind: "violated".into(),
            },
            clauses: vec![clause.id.clone()],
            location,
            message,
            clause_text: Some(clause.text.clone()),
        });
    }
    out
}

/// Whether a forbid check has hits or a require check has none.
fn check_broken(check: &crate::spec::eval::CheckReport) -> bool {
    let hits = check.hits.as_ref().map_or(0, Vec::len);
    match check.kind {
        "forbid" => hits > 0,
        "require" => hits == 0,
        _ => false,
    }
}

impl Signature {
    /// The class as the journal stores it: the whole subject and the kind.
    pub fn key(&self) -> String {
        format!("{} · {}", self.subject, self.kind)
    }

    /// The class a journal key names.
    pub fn from_key(key: &str) -> Signature {
        match key.rsplit_once(" · ") {
            Some((subject, kind)) => Signature {
                subject: subject.to_string(),
                kind: kind.to_string(),
            },
            None => Signature {
                subject: key.to_string(),
                kind: "correction".into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(name: &str, message: &str) -> TestResult {
        let mut r = TestResult::new(name, TestStatus::Failed);
        r.message = Some(message.into());
        r
    }

    #[test]
    fn error_kinds_from_messages() {
        let kind = |m: &str| error_kind(&failed("t", m));
        assert_eq!(kind("AssertionError: True is not false"), "AssertionError");
        assert_eq!(kind("assert 3 == 4"), "AssertionError");
        assert_eq!(
            kind("ModuleNotFoundError: No module named 'redis'"),
            "ModuleNotFoundError"
        );
        assert_eq!(kind("E   ImportError: cannot import name"), "ImportError");
        assert_eq!(kind("SyntaxError: invalid syntax"), "SyntaxError");
        assert_eq!(
            kind("requests.exceptions.ConnectionError: x"),
            "ConnectionError"
        );
        assert_eq!(
            kind("assertion `left == right` failed\n  left: 1\n right: 2"),
            "assertion"
        );
        assert_eq!(kind("explicit panic"), "failure");
        assert_eq!(kind("thread 'a' panicked at src/lib.rs:3:5"), "panic");
        assert_eq!(kind("test timed out after 60 s"), "timeout");
        let mut build = failed("b", "error[E0308]: mismatched types");
        build.suite = Some("build".into());
        assert_eq!(error_kind(&build), "build");
        assert_eq!(kind("not yet implemented: allow"), "unimplemented");
        assert_eq!(kind("NotImplementedError: later"), "NotImplementedError");
        assert!(is_right_reason("AssertionError") && is_right_reason("assertion"));
        assert!(is_right_reason("NotImplementedError") && is_right_reason("unimplemented"));
        assert!(!is_right_reason("ImportError") && !is_right_reason("SyntaxError"));
    }

    #[test]
    fn signatures_show_the_short_test_name() {
        let s = Signature {
            subject: "test_rate.RateTest.test_over_limit".into(),
            kind: "AssertionError".into(),
        };
        assert_eq!(s.to_string(), "test_over_limit · AssertionError");
        assert_eq!(short_name("tests/t.py::test_x"), "test_x");
        assert_eq!(short_name("plain"), "plain");
    }
}
