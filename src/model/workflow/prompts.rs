//! The messages the loop writes: a fix round's, and a fresh session's lessons part.

use crate::session::signature::Failure;

/// The message a fix round sends when the last reply's edits could not be applied: what was
/// refused and why, and how to answer.
pub fn refused_prompt(round: u32, of: u32, refused: &[String]) -> String {
    let mut out = format!(
        "Fix round {round} of {of}: none of your edits could be applied, so the files are \
         unchanged.\n\n"
    );
    for why in refused.iter().take(10) {
        out.push_str(&format!("- {why}\n"));
    }
    out.push_str(
        "\nA SEARCH block must match the current file exactly, whitespace included. Send the \
         change again, with SEARCH blocks copied from the file as it is, or the whole file.",
    );
    out
}

/// The message a fix round sends: the failures, parsed and tagged with clause ids, then the
/// rules of a fix.
pub fn fix_prompt(round: u32, of: u32, failures: &[Failure]) -> String {
    let mut out = format!(
        "Fix round {round} of {of}: the tests ran on your last change and this still fails.\n"
    );
    let tests: Vec<&Failure> = failures
        .iter()
        .filter(|f| f.clause_text.is_none())
        .collect();
    let clauses: Vec<&Failure> = failures
        .iter()
        .filter(|f| f.clause_text.is_some())
        .collect();
    if !tests.is_empty() {
        out.push_str("\nFailing tests:\n");
        for f in tests.iter().take(20) {
            out.push_str(&format!("- {}", f.signature.subject));
            if !f.clauses.is_empty() {
                out.push_str(&format!(" [{}]", f.clauses.join(", ")));
            }
            if let Some(at) = &f.location {
                out.push_str(&format!(" at {at}"));
            }
            for line in f.message.lines().take(4) {
                out.push_str(&format!("\n    {line}"));
            }
            out.push('\n');
        }
        if tests.len() > 20 {
            out.push_str(&format!("- … and {} more\n", tests.len() - 20));
        }
    }
    if !clauses.is_empty() {
        out.push_str("\nViolated clauses of the pinned spec:\n");
        for f in clauses {
            let text = f.clause_text.as_deref().unwrap_or_default();
            out.push_str(&format!("- {}: {text}\n", f.signature.subject));
            for line in f.message.lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    out.push('\n');
    out.push_str(crate::assets::PROMPT_FIX.trim_end());
    out
}

/// The lessons part of a fresh session's request: its opening and the lessons kept.
pub fn lessons_part(lessons: &[String]) -> String {
    let mut out = format!(
        "# A fresh session\n\n{}\n",
        crate::assets::PROMPT_FRESH.trim_end()
    );
    if !lessons.is_empty() {
        out.push_str("\n## Lessons from the previous session\n");
        for l in lessons {
            out.push_str(&format!("\n- {l}"));
        }
        out.push('\n');
    }
    out
}
