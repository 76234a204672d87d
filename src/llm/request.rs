//! The request sent to the model (DESIGN.md section 7), assembled fresh for every turn in this
//! order: system prompt, the pinned spec, the code files in scope, the latest test failures,
//! the history, the user's message, and the re-anchor (the spec's clauses restated last), so
//! the spec sits at both ends and never only in the middle.
//!
//! System prompt, spec, code and failures travel as the system message; the history follows as
//! alternating turns; the user's message and the re-anchor make the last user turn.

use std::path::{Path, PathBuf};

use super::context::SegmentKind;
use super::{ChatMessage, ChatRequest, Role};
use crate::runner::result::{TestResult, TestStatus};

/// At most this many failing tests are described.
const MAX_FAILURES: usize = 20;
/// At most this many lines of one failure's message.
const MAX_MESSAGE_LINES: usize = 6;

/// One part of the request and the segment it counts toward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub kind: SegmentKind,
    pub text: String,
}

/// The spec part: the pinned text, labelled with its version.
pub fn spec_part(text: &str, version: &str) -> String {
    format!(
        "# The pinned spec ({version})\n\nThis is the contract. Every clause must hold.\n\n{}\n",
        text.trim_end()
    )
}

/// The re-anchor: the clause list restated at the very end of the request.
pub fn reanchor(version: &str, clauses: &[(String, String)]) -> String {
    if clauses.is_empty() {
        return String::new();
    }
    let mut out = format!("(Reminder: the pinned spec {version}. Its clauses must hold:");
    for (id, text) in clauses {
        out.push_str(&format!("\n- {id}: {text}"));
    }
    out.push(')');
    out
}

/// The code part: every file in scope as a fenced block naming its path.
pub fn code_part<'a>(files: impl IntoIterator<Item = (&'a Path, &'a str)>) -> String {
    let mut out = String::new();
    for (path, text) in files {
        if out.is_empty() {
            out.push_str("# The code in scope\n");
        }
        let fence = fence_for(text);
        let lang = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        out.push_str(&format!(
            "\n{fence}{lang} path={}\n{}\n{fence}\n",
            path.display(),
            text.trim_end_matches('\n')
        ));
    }
    out
}

/// The context set's part: its files in full, each fenced with its path, then the files that
/// should be there and cannot be, with why. With `whole`, the set is all the code of a small
/// workspace, headed as [`code_part`] heads it.
pub fn set_part(files: &[(PathBuf, Result<String, String>)], whole: bool) -> String {
    let shown = files
        .iter()
        .filter_map(|(p, t)| t.as_ref().ok().map(|t| (p.as_path(), t.as_str())));
    let heading = if whole {
        "# The code in scope\n"
    } else {
        "# The context set\n\nThese files are shown in full; the rest of the code is outlined in \
         the repository map.\n"
    };
    let mut out = code_part(shown).replacen("# The code in scope\n", heading, 1);
    let missing: Vec<String> = files
        .iter()
        .filter_map(|(p, t)| {
            t.as_ref()
                .err()
                .map(|why| format!("- {}: {why}", p.display()))
        })
        .collect();
    if !missing.is_empty() {
        if out.is_empty() {
            out.push_str(heading.lines().next().unwrap_or_default());
            out.push('\n');
        }
        out.push_str("\nNot included (cannot be sent):\n");
        out.push_str(&missing.join("\n"));
        out.push('\n');
    }
    out
}

/// A backtick fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

/// The failures part: the failing tests of the latest run, parsed, compact. Empty when
/// everything passed or nothing ran.
pub fn failures_part(results: &[TestResult]) -> String {
    let failed: Vec<&TestResult> = results
        .iter()
        .filter(|r| r.status == TestStatus::Failed)
        .collect();
    if failed.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "# Latest test run: {} of {} tests failed\n",
        failed.len(),
        results.len()
    );
    for r in failed.iter().take(MAX_FAILURES) {
        out.push_str(&format!("\n- {}", r.name));
        match (&r.file, r.line) {
            (Some(file), Some(line)) => out.push_str(&format!(" ({file}:{line})")),
            (Some(file), None) => out.push_str(&format!(" ({file})")),
            _ => {}
        }
        if let Some(message) = &r.message {
            for line in message.lines().take(MAX_MESSAGE_LINES) {
                out.push_str(&format!("\n    {line}"));
            }
        }
    }
    if failed.len() > MAX_FAILURES {
        out.push_str(&format!("\n- … and {} more", failed.len() - MAX_FAILURES));
    }
    out.push('\n');
    out
}

/// The request for one turn. `parts` holds the system-side parts in order (system, spec,
/// code, tests; empty ones are skipped); the user's message and the re-anchor end it.
pub fn assemble(
    model: &str,
    max_tokens: u32,
    parts: &[Part],
    history: &[ChatMessage],
    message: &str,
    reanchor: &str,
) -> ChatRequest {
    let system = parts
        .iter()
        .filter(|p| !p.text.is_empty())
        .map(|p| p.text.trim_end())
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut content = message.trim_end().to_string();
    if !reanchor.is_empty() {
        content.push_str("\n\n");
        content.push_str(reanchor);
    }
    let mut messages = history.to_vec();
    messages.push(ChatMessage::new(Role::User, content));
    ChatRequest {
        model: model.to_string(),
        system,
        messages,
        max_tokens,
        tools: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failing(name: &str, file: Option<&str>, line: Option<u32>, msg: &str) -> TestResult {
        TestResult {
            name: name.into(),
            suite: None,
            status: TestStatus::Failed,
            duration_ms: None,
            file: file.map(Into::into),
            line,
            message: Some(msg.into()),
            output: String::new(),
        }
    }

    #[test]
    fn the_spec_sits_at_both_ends() {
        let parts = vec![
            Part {
                kind: SegmentKind::System,
                text: "SYSTEM".into(),
            },
            Part {
                kind: SegmentKind::Spec,
                text: spec_part("# Limiter\n- R1: allow 5", "v1"),
            },
            Part {
                kind: SegmentKind::Tests,
                text: String::new(),
            },
        ];
        let history = vec![ChatMessage::user("q1"), ChatMessage::assistant("a1")];
        let re = reanchor("v1", &[("R1".into(), "allow 5".into())]);
        let req = assemble("m", 100, &parts, &history, "next?\n", &re);
        assert!(req.system.starts_with("SYSTEM\n\n# The pinned spec (v1)"));
        assert!(req.system.ends_with("- R1: allow 5"), "{}", req.system);
        assert_eq!(req.messages.len(), 3);
        let last = &req.messages[2];
        assert_eq!(last.role, Role::User);
        assert_eq!(
            last.content,
            "next?\n\n(Reminder: the pinned spec v1. Its clauses must hold:\n- R1: allow 5)"
        );
    }

    #[test]
    fn code_is_fenced_with_its_path_and_a_safe_fence() {
        let code = code_part([
            (Path::new("a.py"), "x = 1\n"),
            (Path::new("doc.md"), "```\ninner\n```\n"),
        ]);
        assert_eq!(
            code,
            "# The code in scope\n\n```py path=a.py\nx = 1\n```\n\n````md path=doc.md\n```\ninner\n```\n````\n"
        );
        assert_eq!(code_part(std::iter::empty()), "");
    }

    #[test]
    fn the_set_names_what_it_could_not_include() {
        let files = vec![
            (PathBuf::from("a.py"), Ok("x = 1\n".to_string())),
            (PathBuf::from("logo.py"), Err("binary".to_string())),
        ];
        assert_eq!(
            set_part(&files, false),
            "# The context set\n\nThese files are shown in full; the rest of the code is \
             outlined in the repository map.\n\n```py path=a.py\nx = 1\n```\n\n\
             Not included (cannot be sent):\n- logo.py: binary\n"
        );
        assert_eq!(
            set_part(&files[1..], false),
            "# The context set\n\nNot included (cannot be sent):\n- logo.py: binary\n"
        );
        assert_eq!(set_part(&[], false), "");
        assert_eq!(
            set_part(&files[..1], true),
            code_part([(Path::new("a.py"), "x = 1\n")])
        );
    }

    #[test]
    fn failures_are_compact_and_capped() {
        let mut results = vec![failing("t.a", Some("t.py"), Some(3), "boom\nmore")];
        results.push(TestResult {
            status: TestStatus::Passed,
            ..failing("t.ok", None, None, "")
        });
        assert_eq!(
            failures_part(&results),
            "# Latest test run: 1 of 2 tests failed\n\n- t.a (t.py:3)\n    boom\n    more\n"
        );
        let many: Vec<_> = (0..25)
            .map(|i| failing(&format!("t{i}"), None, None, "x"))
            .collect();
        assert!(failures_part(&many).ends_with("- … and 5 more\n"));
        assert_eq!(failures_part(&results[1..]), "");
    }
}
