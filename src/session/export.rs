//! Session transcripts for sharing after a pairing session: readable Markdown or JSON with the
//! spec, every turn, the applies, the runs and the corrections, with secrets redacted.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::journal::{JournalEntry, Record};
use super::restore::{Restored, RestoredStatus};
use super::{PromptKind, format_utc};
use crate::llm::Usage;
use crate::secrets::{REDACTED, Secrets};

/// Shapes of well-known API keys and tokens, redacted wherever they appear.
static KEY_SHAPES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"sk-[A-Za-z0-9_\-]{16,}",
        r"|(?i:bearer)\s+[A-Za-z0-9._\-]{16,}",
        r"|AKIA[0-9A-Z]{16}",
        r"|gh[pousr]_[A-Za-z0-9]{30,}",
        r"|xox[abprs]-[A-Za-z0-9\-]{10,}",
        r"|AIza[0-9A-Za-z_\-]{35}",
    ))
    .expect("the key shapes compile")
});

/// `text` with every known secret (the values of the key variables, and anything shaped like
/// an API key) replaced by [`REDACTED`].
pub fn redact(text: &str, secrets: &Secrets) -> String {
    let out = secrets.redact(text);
    KEY_SHAPES.replace_all(&out, REDACTED).into_owned()
}

/// One event of a transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    User {
        at: String,
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        fix_round: Option<u32>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        corrects: Vec<String>,
    },
    Reply {
        text: String,
        status: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        usage: Usage,
        /// The reply continues the one before after its tool results.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        continues: bool,
        /// The tools it called.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<CallEvent>,
    },
    Applied {
        at: String,
        label: String,
        files: Vec<String>,
    },
    Undone {
        at: String,
        label: String,
        redo: bool,
    },
    /// An apply that did not complete: it failed (`error`), or specbench was stopped midway
    /// after writing `written`.
    NotApplied {
        at: String,
        label: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        written: Vec<String>,
    },
    Run {
        at: String,
        number: u64,
        passed: usize,
        failed: usize,
        skipped: usize,
        failing: Vec<String>,
    },
    Correction {
        class: String,
        count: u32,
    },
    Poisoned {
        class: String,
    },
    Pinned {
        version: u32,
    },
    Step {
        step: &'static str,
    },
}

/// A tool call of a reply and what it gave back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallEvent {
    pub id: String,
    pub name: String,
    pub arguments: String,
    /// The stream broke before the call was complete; it was not run.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
    /// The result sent back (none: the call was not run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
}

/// The most lines of a tool result the Markdown transcript shows (the JSON one has them all).
const MD_RESULT_LINES: usize = 40;

/// A session's transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transcript {
    pub id: String,
    pub started: String,
    pub model: String,
    pub pin: Option<u32>,
    pub predecessor: Option<String>,
    pub successor: Option<String>,
    pub lessons: Vec<String>,
    /// The pinned spec's text, when the pin store still has it.
    pub spec: Option<String>,
    pub events: Vec<Event>,
}

/// Builds the transcript of a session from its journal `entries` and their fold `restored`,
/// redacting `secrets`.
pub fn transcript(
    restored: &Restored,
    entries: &[JournalEntry],
    spec: Option<String>,
    secrets: &Secrets,
) -> Transcript {
    let clean = |s: &str| redact(s, secrets);
    let mut events = Vec::new();
    // The conversation as the fold read it: each user record opened a (message, reply) pair
    // and each continue record a reply, in journal order, with every chunk, call, result and
    // end already applied.
    let mut messages = restored.messages.iter();
    let reply = |reply: &super::restore::RestoredMessage| {
        let (status, error) = match &reply.status {
            RestoredStatus::Complete => ("complete", None),
            RestoredStatus::Interrupted(why) => ("interrupted", Some(clean(why))),
            RestoredStatus::Damaged(why) => ("damaged", Some(clean(why))),
            RestoredStatus::Failed(why) => ("failed", Some(clean(why))),
        };
        let tool_calls = reply
            .tools
            .iter()
            .map(|c| CallEvent {
                id: c.call.id.clone(),
                name: clean(&c.call.name),
                arguments: clean(&c.call.arguments),
                cut: c.cut,
                result: c.result.as_ref().map(|r| clean(&r.content)),
                is_error: c.result.as_ref().is_some_and(|r| r.is_error),
            })
            .collect();
        // Redacted whole: a key can be split across chunks.
        Event::Reply {
            text: clean(&reply.text),
            status,
            error,
            usage: reply.usage,
            continues: reply.continues.is_some(),
            tool_calls,
        }
    };
    for entry in entries {
        let at = format_utc(entry.at);
        match &entry.record {
            Record::Start { .. }
            | Record::Applying { .. }
            | Record::Archived { .. }
            | Record::ContextAdded { .. }
            | Record::ContextDropped { .. }
            | Record::Chunk { .. }
            | Record::ToolCall { .. }
            | Record::ToolResult { .. }
            | Record::End { .. } => {}
            Record::User { .. } => {
                let (Some(user), Some(answer)) = (messages.next(), messages.next()) else {
                    continue;
                };
                events.push(Event::User {
                    at,
                    text: clean(&user.text),
                    fix_round: match user.kind {
                        PromptKind::Fix { round, .. } => Some(round),
                        PromptKind::Message => None,
                    },
                    corrects: user.corrects.clone(),
                });
                events.push(reply(answer));
            }
            Record::Continue { .. } => {
                if let Some(answer) = messages.next() {
                    events.push(reply(answer));
                }
            }
            Record::Applied { label, files } => events.push(Event::Applied {
                at,
                label: label.clone(),
                files: files.clone(),
            }),
            Record::ApplyFailed { label, error } => events.push(Event::NotApplied {
                at,
                label: label.clone(),
                error: Some(clean(error)),
                written: Vec::new(),
            }),
            Record::ApplyInterrupted { label, written } => events.push(Event::NotApplied {
                at,
                label: label.clone(),
                error: None,
                written: written.clone(),
            }),
            Record::Undone { label, redo, .. } => events.push(Event::Undone {
                at,
                label: label.clone(),
                redo: *redo,
            }),
            Record::Run {
                number,
                passed,
                failed,
                skipped,
                failing,
                ..
            } => events.push(Event::Run {
                at,
                number: *number,
                passed: *passed,
                failed: *failed,
                skipped: *skipped,
                failing: failing.clone(),
            }),
            Record::Correction { class, count, .. } => events.push(Event::Correction {
                class: class.clone(),
                count: *count,
            }),
            Record::Poisoned { class } => events.push(Event::Poisoned {
                class: class.clone(),
            }),
            Record::Pinned { version, .. } => events.push(Event::Pinned { version: *version }),
            Record::Step { step } => events.push(Event::Step { step: step.label() }),
        }
    }
    Transcript {
        id: restored.id.clone(),
        started: format_utc(restored.started),
        model: restored.model.clone(),
        pin: restored.pin.as_ref().map(|p| p.version),
        predecessor: restored.predecessor.clone(),
        successor: restored.successor.clone(),
        lessons: restored.lessons.iter().map(|l| clean(l)).collect(),
        spec: spec.map(|s| clean(&s)),
        events,
    }
}

/// A tool call in the Markdown transcript: the call on one line, then its result (the first
/// [`MD_RESULT_LINES`] lines) in a fence.
fn call_markdown(call: &CallEvent) -> String {
    let arguments = call
        .arguments
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = format!("\n> tool call `{}` {}", call.name, arguments);
    match &call.result {
        _ if call.cut => out.push_str(" (cut off by the dropped stream; not run)\n"),
        None => out.push_str(" (not run)\n"),
        Some(result) => {
            out.push_str(if call.is_error {
                " → an error\n"
            } else {
                "\n"
            });
            let lines: Vec<&str> = result.lines().collect();
            let shown = lines[..lines.len().min(MD_RESULT_LINES)].join("\n");
            let f = fence(result);
            out.push_str(&format!("\n{f}text\n{shown}\n"));
            if lines.len() > MD_RESULT_LINES {
                out.push_str(&format!(
                    "… {} more lines (the JSON export has them all)\n",
                    lines.len() - MD_RESULT_LINES
                ));
            }
            out.push_str(&format!("{f}\n"));
        }
    }
    out
}

/// A fence longer than any backtick run in `text`.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

impl Transcript {
    /// The transcript as readable Markdown.
    pub fn markdown(&self) -> String {
        let mut out = format!("# specbench session {}\n\n", self.id);
        out.push_str(&format!(
            "- started {} UTC · model `{}`",
            self.started, self.model
        ));
        if let Some(v) = self.pin {
            out.push_str(&format!(" · spec v{v}"));
        }
        out.push('\n');
        if let Some(p) = &self.predecessor {
            out.push_str(&format!("- a fresh session seeded from {p}\n"));
        }
        if let Some(s) = &self.successor {
            out.push_str(&format!("- archived; carried on in {s}\n"));
        }
        if !self.lessons.is_empty() {
            out.push_str("\n## Lessons carried over\n\n");
            for l in &self.lessons {
                out.push_str(&format!("- {l}\n"));
            }
        }
        if let Some(spec) = &self.spec {
            let f = fence(spec);
            out.push_str(&format!(
                "\n## The pinned spec\n\n{f}markdown\n{}\n{f}\n",
                spec.trim_end()
            ));
        }
        out.push_str("\n## Conversation\n");
        let mut turn = 0;
        for event in &self.events {
            match event {
                Event::User {
                    at,
                    text,
                    fix_round,
                    corrects,
                } => {
                    turn += 1;
                    let who = match fix_round {
                        Some(r) => format!("specbench, fix round {r}"),
                        None => "you".into(),
                    };
                    out.push_str(&format!("\n### {turn}. {who} · {at}\n"));
                    if !corrects.is_empty() && fix_round.is_none() {
                        out.push_str(&format!("\n*A correction of {}.*\n", corrects.join(", ")));
                    }
                    out.push_str(&format!("\n{}\n", text.trim_end()));
                }
                Event::Reply {
                    text,
                    status,
                    error,
                    usage,
                    continues,
                    tool_calls,
                } => {
                    let mut head = "\n#### model".to_string();
                    if *continues {
                        head.push_str(", after the tools");
                    }
                    if *status != "complete" {
                        head.push_str(&format!(" ({status}"));
                        if let Some(e) = error {
                            head.push_str(&format!(": {e}"));
                        }
                        head.push(')');
                    }
                    if let (Some(p), Some(c)) = (usage.prompt, usage.completion) {
                        head.push_str(&format!(" · {p} prompt + {c} reply tokens"));
                    }
                    if text.trim().is_empty() {
                        out.push_str(&format!("{head}\n"));
                    } else {
                        out.push_str(&format!("{head}\n\n{}\n", text.trim_end()));
                    }
                    for call in tool_calls {
                        out.push_str(&call_markdown(call));
                    }
                }
                Event::Applied { label, files, .. } => {
                    out.push_str(&format!("\n> applied {} ({label})\n", files.join(", ")))
                }
                Event::NotApplied {
                    label,
                    error: Some(error),
                    ..
                } => out.push_str(&format!("\n> not applied ({label}): {error}\n")),
                Event::NotApplied { label, written, .. } => out.push_str(&format!(
                    "\n> apply interrupted ({label}) after writing {} file{}\n",
                    written.len(),
                    if written.len() == 1 { "" } else { "s" }
                )),
                Event::Undone { label, redo, .. } => out.push_str(&format!(
                    "\n> {} {label}\n",
                    if *redo { "redid" } else { "undid" }
                )),
                Event::Run {
                    number,
                    passed,
                    failed,
                    skipped,
                    failing,
                    ..
                } => {
                    out.push_str(&format!(
                        "\n> tests, run #{number}: {passed} passed, {failed} failed, {skipped} skipped\n"
                    ));
                    for name in failing.iter().take(10) {
                        out.push_str(&format!(">   ✗ {name}\n"));
                    }
                }
                Event::Correction { class, count } => {
                    out.push_str(&format!("\n> correction: {class} ({count}×)\n"));
                }
                Event::Poisoned { class } => out.push_str(&format!(
                    "\n> the session is likely poisoned: {class} was corrected repeatedly\n"
                )),
                Event::Pinned { version } => {
                    out.push_str(&format!("\n> the spec was pinned as v{version}\n"));
                }
                Event::Step { step } => out.push_str(&format!("\n> step: {step}\n")),
            }
        }
        out
    }

    /// The transcript as pretty JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_covers_given_values_and_key_shapes() {
        let secrets = Secrets::new(["local-secret-value".to_string()]);
        let text =
            "use local-secret-value or sk-abcdefghijklmnop1234 or Bearer abcdefghij0123456789 ok";
        let out = redact(text, &secrets);
        assert!(!out.contains("local-secret-value"));
        assert!(!out.contains("sk-abcdefghijklmnop1234"));
        assert!(!out.contains("abcdefghij0123456789"));
        assert!(out.ends_with(" ok"));
        assert_eq!(redact("nothing here", &Secrets::default()), "nothing here");
    }

    #[test]
    fn tool_calls_and_results_are_in_both_exports_redacted() {
        use super::super::journal::EndStatus;
        use super::super::restore::fold;
        let key = "sk-export-tool-0123456789abcdef";
        let records = vec![
            Record::User {
                turn: 1,
                text: "why?".into(),
                kind: PromptKind::Message,
                corrects: Vec::new(),
            },
            Record::ToolCall {
                turn: 1,
                id: "c1".into(),
                name: "read_file".into(),
                arguments: r#"{"path": "a.py"}"#.into(),
                cut: false,
            },
            Record::ToolCall {
                turn: 1,
                id: "c2".into(),
                name: "read_file".into(),
                arguments: r#"{"path": "/etc/passwd"}"#.into(),
                cut: false,
            },
            Record::End {
                turn: 1,
                status: EndStatus::Complete,
                error: None,
                usage: Usage::default(),
            },
            Record::ToolResult {
                turn: 1,
                id: "c1".into(),
                content: format!("a.py: lines 1-1 of 1\n1  KEY = \"{key}\"\n"),
                is_error: false,
                read: Some("a.py".into()),
            },
            Record::ToolResult {
                turn: 1,
                id: "c2".into(),
                content: "error: /etc/passwd: an absolute path".into(),
                is_error: true,
                read: None,
            },
            Record::Continue {
                turn: 2,
                after: 1,
                round: 1,
            },
            Record::Chunk {
                turn: 2,
                text: "It holds a key.".into(),
            },
            Record::End {
                turn: 2,
                status: EndStatus::Complete,
                error: None,
                usage: Usage::default(),
            },
        ];
        let entries: Vec<JournalEntry> = records
            .into_iter()
            .map(|record| JournalEntry { at: 0, record })
            .collect();
        let read = super::super::journal::ReadJournal {
            entries: entries.clone(),
            skipped: Vec::new(),
        };
        let t = transcript(&fold("s", &read), &entries, None, &Secrets::default());
        let md = t.markdown();
        assert!(!md.contains(key), "{md}");
        assert!(
            md.contains(
                "#### model\n\n> tool call `read_file` {\"path\": \"a.py\"}\n\n```text\na.py: lines 1-1 of 1\n1  KEY = \"[redacted]\"\n```\n"
            ),
            "{md}"
        );
        assert!(
            md.contains("> tool call `read_file` {\"path\": \"/etc/passwd\"} → an error\n"),
            "{md}"
        );
        assert!(
            md.contains("#### model, after the tools\n\nIt holds a key.\n"),
            "{md}"
        );
        let json: serde_json::Value = serde_json::from_str(&t.json()).unwrap();
        let events = json["events"].as_array().unwrap();
        assert_eq!(events.len(), 3);
        assert_eq!(events[1]["tool_calls"][1]["is_error"], true);
        assert_eq!(events[1]["tool_calls"][0]["id"], "c1");
        assert_eq!(events[2]["continues"], true);
        assert!(events[2].get("tool_calls").is_none());
    }

    #[test]
    fn fences_outgrow_the_text() {
        assert_eq!(fence("a ``` b"), "````");
        assert_eq!(fence("plain"), "```");
    }
}
