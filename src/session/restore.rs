//! Folding a journal back into a session: the conversation (every chunk that reached the disk,
//! a reply cut off by a crash marked interrupted), the corrections per class, the step, the
//! lessons and the links to the sessions before and after.

use super::journal::{EndStatus, PinRef, ReadJournal, Record};
use super::{PromptKind, Step};
use crate::llm::{Role, ToolCall, ToolResult, Usage};

/// Why a restored reply is incomplete when the journal has no end for it.
pub const CUT_OFF: &str = "specbench stopped before the reply finished";

/// How a restored message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoredStatus {
    Complete,
    Interrupted(String),
    /// Ended with events of the stream unreadable; the damage in words.
    Damaged(String),
    Failed(String),
}

/// One message of a restored conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredMessage {
    pub turn: u64,
    pub role: Role,
    pub text: String,
    pub status: RestoredStatus,
    /// For user messages: typed or a fix round.
    pub kind: PromptKind,
    /// For user messages: the classes it corrects.
    pub corrects: Vec<String>,
    /// For replies: the usage the provider reported.
    pub usage: Usage,
    /// For replies: the tools it called, in order, with their results.
    pub tools: Vec<RestoredCall>,
    /// For a reply that continues another after its tool results: that reply's turn.
    pub continues: Option<u64>,
}

/// A tool call of a restored reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredCall {
    pub call: ToolCall,
    /// The stream broke before the call was complete; it was not run.
    pub cut: bool,
    /// The result sent back, if it was.
    pub result: Option<ToolResult>,
}

impl RestoredMessage {
    /// A message of `turn` with nothing in it yet.
    fn new(turn: u64, role: Role, text: String, status: RestoredStatus) -> Self {
        Self {
            turn,
            role,
            text,
            status,
            kind: PromptKind::Message,
            corrects: Vec::new(),
            usage: Usage::default(),
            tools: Vec::new(),
            continues: None,
        }
    }
}

/// A session as its journal tells it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restored {
    pub id: String,
    /// Start time, milliseconds since the Unix epoch (0 when the start line is lost).
    pub started: u64,
    pub model: String,
    pub pin: Option<PinRef>,
    pub predecessor: Option<String>,
    pub lessons: Vec<String>,
    pub messages: Vec<RestoredMessage>,
    /// Each corrected class and its count, in the order they were first corrected.
    pub corrections: Vec<(String, u32)>,
    pub poisoned: Option<String>,
    pub step: Option<Step>,
    /// The session that carries on from this one, once archived.
    pub successor: Option<String>,
    /// The largest turn id used, so new turns never reuse one.
    pub max_turn: u64,
    /// Lines that could not be read: (1-based line, why).
    pub skipped: Vec<(usize, String)>,
    /// An apply that began and never ended (specbench stopped midway): its label and files.
    pub unfinished_apply: Option<(String, Vec<String>)>,
    /// The files the model read with its tools, first read first.
    pub read: Vec<String>,
    /// The files the model's applied changes wrote, first write first.
    pub edited: Vec<String>,
    /// The files the user added to and dropped from the context set.
    pub context: crate::context::set::Choices,
}

impl Restored {
    /// User turns sent.
    pub fn turns(&self) -> usize {
        self.messages
            .iter()
            .filter(|m| m.role == Role::User)
            .count()
    }

    /// The conversation's size: the last reported usage (prompt plus reply) when there is
    /// one, else bytes / 4.
    pub fn tokens(&self) -> u64 {
        let reported = self.messages.iter().rev().find_map(|m| {
            m.usage
                .prompt
                .map(|p| u64::from(p) + u64::from(m.usage.completion.unwrap_or(0)))
        });
        reported.unwrap_or_else(|| {
            self.messages
                .iter()
                .map(|m| {
                    let tools: usize = m
                        .tools
                        .iter()
                        .map(|c| {
                            c.call.arguments.len()
                                + c.result.as_ref().map_or(0, |r| r.content.len())
                        })
                        .sum();
                    ((m.text.len() + tools) as u64).div_ceil(4)
                })
                .sum()
        })
    }

    /// The session's state in a word.
    pub fn status(&self) -> &'static str {
        if self.successor.is_some() {
            "archived"
        } else if self
            .messages
            .last()
            .is_some_and(|m| m.status == RestoredStatus::Interrupted(CUT_OFF.into()))
        {
            "interrupted"
        } else if self.poisoned.is_some() {
            "poisoned"
        } else {
            "active"
        }
    }

    /// The line `specbench sessions` prints for it.
    pub fn summary(&self) -> Summary {
        Summary {
            id: self.id.clone(),
            started: self.started,
            pin: self.pin.as_ref().map(|p| p.version),
            turns: self.turns(),
            tokens: self.tokens(),
            status: self.status(),
        }
    }
}

/// Folds the journal of session `id`.
pub fn fold(id: &str, read: &ReadJournal) -> Restored {
    let mut out = Restored {
        id: id.to_string(),
        skipped: read.skipped.clone(),
        ..Restored::default()
    };
    // Index of the reply message of each open turn.
    let mut open: Vec<(u64, usize)> = Vec::new();
    for entry in &read.entries {
        match &entry.record {
            Record::Start {
                model,
                pin,
                predecessor,
                lessons,
                ..
            } => {
                out.started = entry.at;
                out.model = model.clone();
                out.pin = pin.clone();
                out.predecessor = predecessor.clone();
                out.lessons = lessons.clone();
            }
            Record::User {
                turn,
                text,
                kind,
                corrects,
            } => {
                out.max_turn = out.max_turn.max(*turn);
                let mut message =
                    RestoredMessage::new(*turn, Role::User, text.clone(), RestoredStatus::Complete);
                message.kind = *kind;
                message.corrects = corrects.clone();
                out.messages.push(message);
                out.messages.push(RestoredMessage::new(
                    *turn,
                    Role::Assistant,
                    String::new(),
                    RestoredStatus::Interrupted(CUT_OFF.into()),
                ));
                open.push((*turn, out.messages.len() - 1));
            }
            Record::Continue { turn, after, .. } => {
                out.max_turn = out.max_turn.max(*turn);
                let mut reply = RestoredMessage::new(
                    *turn,
                    Role::Assistant,
                    String::new(),
                    RestoredStatus::Interrupted(CUT_OFF.into()),
                );
                reply.continues = Some(*after);
                out.messages.push(reply);
                open.push((*turn, out.messages.len() - 1));
            }
            Record::ToolCall {
                turn,
                id,
                name,
                arguments,
                cut,
            } => {
                if let Some(m) = reply_of(&mut out.messages, *turn) {
                    m.tools.push(RestoredCall {
                        call: ToolCall {
                            id: id.clone(),
                            name: name.clone(),
                            arguments: arguments.clone(),
                        },
                        cut: *cut,
                        result: None,
                    });
                }
            }
            Record::ToolResult {
                turn,
                id,
                content,
                is_error,
                read,
            } => {
                if let Some(file) = read
                    && !out.read.contains(file)
                {
                    out.read.push(file.clone());
                }
                let call = reply_of(&mut out.messages, *turn)
                    .and_then(|m| m.tools.iter_mut().find(|c| c.call.id == *id));
                if let Some(call) = call {
                    call.result = Some(ToolResult {
                        call_id: id.clone(),
                        content: content.clone(),
                        is_error: *is_error,
                    });
                }
            }
            Record::Chunk { turn, text } => {
                if let Some(&(_, i)) = open.iter().find(|(t, _)| t == turn) {
                    out.messages[i].text.push_str(text);
                }
            }
            Record::End {
                turn,
                status,
                error,
                usage,
            } => {
                if let Some(pos) = open.iter().position(|(t, _)| t == turn) {
                    let (_, i) = open.remove(pos);
                    let m = &mut out.messages[i];
                    let why = error.clone().unwrap_or_else(|| "cancelled".into());
                    m.status = match status {
                        EndStatus::Complete => RestoredStatus::Complete,
                        EndStatus::Interrupted => RestoredStatus::Interrupted(why),
                        EndStatus::Damaged => RestoredStatus::Damaged(why),
                        EndStatus::Failed => RestoredStatus::Failed(why),
                    };
                    m.usage = *usage;
                }
            }
            Record::Correction { class, count, .. } => {
                match out.corrections.iter_mut().find(|(c, _)| c == class) {
                    Some((_, n)) => *n = *count,
                    None => out.corrections.push((class.clone(), *count)),
                }
            }
            Record::Poisoned { class } => out.poisoned = Some(class.clone()),
            Record::Step { step } => out.step = Some(*step),
            Record::Pinned { version, hash } => {
                out.pin = Some(PinRef {
                    version: *version,
                    hash: hash.clone(),
                });
            }
            Record::Archived { successor } => out.successor = Some(successor.clone()),
            Record::Applying { label, files } => {
                out.unfinished_apply = Some((label.clone(), files.clone()));
            }
            Record::Applied { files, .. } => {
                out.unfinished_apply = None;
                for file in files {
                    if !out.edited.contains(file) {
                        out.edited.push(file.clone());
                    }
                }
            }
            Record::ApplyFailed { .. } | Record::ApplyInterrupted { .. } => {
                out.unfinished_apply = None;
            }
            Record::ContextAdded { path } => out.context.add_file(path.into()),
            Record::ContextDropped { path } => out.context.drop_file(path.into()),
            Record::Undone { .. } | Record::Run { .. } => {}
        }
    }
    // A reply that never got a chunk, a call nor an end: nothing arrived before the stop.
    for (_, i) in open {
        if out.messages[i].text.is_empty() && out.messages[i].tools.is_empty() {
            out.messages[i].status = RestoredStatus::Failed(CUT_OFF.into());
        }
    }
    out
}

/// The reply to `turn`, the latest one with that turn.
fn reply_of(messages: &mut [RestoredMessage], turn: u64) -> Option<&mut RestoredMessage> {
    messages
        .iter_mut()
        .rev()
        .find(|m| m.turn == turn && m.role == Role::Assistant)
}

/// One session as `specbench sessions` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub id: String,
    /// Start time, milliseconds since the Unix epoch.
    pub started: u64,
    /// The pin version it is bound to.
    pub pin: Option<u32>,
    /// User turns sent.
    pub turns: usize,
    /// The conversation's size: reported usage where known, else an estimate.
    pub tokens: u64,
    pub status: &'static str,
}

#[cfg(test)]
mod tests {
    use super::super::journal::{JournalEntry, VERSION};
    use super::*;
    use crate::session::CorrectionSource;
    use std::path::PathBuf;

    fn entries(records: Vec<Record>) -> ReadJournal {
        ReadJournal {
            entries: records
                .into_iter()
                .enumerate()
                .map(|(i, record)| JournalEntry {
                    at: 1000 + i as u64,
                    record,
                })
                .collect(),
            skipped: Vec::new(),
        }
    }

    fn user(turn: u64, text: &str) -> Record {
        Record::User {
            turn,
            text: text.into(),
            kind: PromptKind::Message,
            corrects: vec![],
        }
    }

    fn chunk(turn: u64, text: &str) -> Record {
        Record::Chunk {
            turn,
            text: text.into(),
        }
    }

    #[test]
    fn a_reply_cut_off_by_a_crash_keeps_every_chunk_and_is_interrupted() {
        let read = entries(vec![
            Record::Start {
                v: VERSION,
                id: "s".into(),
                model: "m".into(),
                pin: None,
                predecessor: Some("p".into()),
                lessons: vec!["R4: use a deque".into()],
            },
            user(3, "first"),
            chunk(3, "Hel"),
            chunk(3, "lo"),
            Record::End {
                turn: 3,
                status: EndStatus::Complete,
                error: None,
                usage: Usage {
                    prompt: Some(100),
                    completion: Some(5),
                },
            },
            chunk(3, " late"),
            user(9, "second"),
            chunk(9, "par"),
            chunk(9, "tial"),
            Record::Correction {
                class: "R4 · violated".into(),
                count: 1,
                source: CorrectionSource::Fix,
            },
            Record::Correction {
                class: "R4 · violated".into(),
                count: 2,
                source: CorrectionSource::Fix,
            },
            Record::Step {
                step: Step::Implement,
            },
        ]);
        let r = fold("s", &read);
        assert_eq!(r.started, 1000);
        assert_eq!(r.predecessor.as_deref(), Some("p"));
        assert_eq!(r.lessons, vec!["R4: use a deque".to_string()]);
        let texts: Vec<&str> = r.messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["first", "Hello", "second", "partial"]);
        assert_eq!(r.messages[1].status, RestoredStatus::Complete);
        assert_eq!(
            r.messages[3].status,
            RestoredStatus::Interrupted(CUT_OFF.into())
        );
        assert_eq!(r.corrections, vec![("R4 · violated".to_string(), 2)]);
        assert_eq!(r.step, Some(Step::Implement));
        assert_eq!(r.max_turn, 9);
        assert_eq!(r.turns(), 2);
        assert_eq!(r.tokens(), 105);
        assert_eq!(r.status(), "interrupted");
    }

    fn tool_call(turn: u64, id: &str, arguments: &str, cut: bool) -> Record {
        Record::ToolCall {
            turn,
            id: id.into(),
            name: "read_file".into(),
            arguments: arguments.into(),
            cut,
        }
    }

    fn complete(turn: u64) -> Record {
        Record::End {
            turn,
            status: EndStatus::Complete,
            error: None,
            usage: Usage::default(),
        }
    }

    #[test]
    fn tool_rounds_fold_into_replies_with_their_calls_and_results() {
        let read = entries(vec![
            user(1, "why?"),
            chunk(1, "Let me look."),
            tool_call(1, "c1", r#"{"path":"a.py"}"#, false),
            tool_call(1, "c2", r#"{"path":"b.py"}"#, false),
            complete(1),
            Record::ToolResult {
                turn: 1,
                id: "c1".into(),
                content: "1  x = 1".into(),
                is_error: false,
                read: Some("a.py".into()),
            },
            Record::ToolResult {
                turn: 1,
                id: "c2".into(),
                content: "error: b.py: no such file".into(),
                is_error: true,
                read: None,
            },
            Record::Continue {
                turn: 2,
                after: 1,
                round: 1,
            },
            tool_call(2, "c3", r#"{"path":"#, true),
            // A crash: no end, no result.
        ]);
        let r = fold("s", &read);
        assert_eq!(r.messages.len(), 3);
        assert_eq!(r.turns(), 1);
        assert_eq!(r.max_turn, 2);
        let first = &r.messages[1];
        assert_eq!(
            (first.text.as_str(), first.continues),
            ("Let me look.", None)
        );
        assert_eq!(first.status, RestoredStatus::Complete);
        let ids: Vec<&str> = first.tools.iter().map(|c| c.call.id.as_str()).collect();
        assert_eq!(ids, ["c1", "c2"]);
        assert_eq!(
            first.tools[1].result,
            Some(ToolResult {
                call_id: "c2".into(),
                content: "error: b.py: no such file".into(),
                is_error: true,
            })
        );
        let second = &r.messages[2];
        assert_eq!(second.continues, Some(1));
        assert_eq!(second.role, Role::Assistant);
        assert!(second.tools[0].cut);
        assert_eq!(second.tools[0].result, None);
        assert_eq!(
            second.status,
            RestoredStatus::Interrupted(CUT_OFF.into()),
            "a cut call is something that arrived"
        );
        assert_eq!(r.status(), "interrupted");
        assert_eq!(r.read, ["a.py"]);
    }

    #[test]
    fn a_damaged_reply_comes_back_damaged_with_its_words() {
        let end = Record::End {
            turn: 1,
            status: EndStatus::Damaged,
            error: Some("an event of the stream could not be read".into()),
            usage: Usage::default(),
        };
        let r = fold(
            "s",
            &entries(vec![user(1, "hi"), chunk(1, "one three"), end]),
        );
        assert_eq!(r.messages[1].text, "one three");
        assert_eq!(
            r.messages[1].status,
            RestoredStatus::Damaged("an event of the stream could not be read".into())
        );
    }

    #[test]
    fn a_reply_with_nothing_received_is_failed() {
        let r = fold("s", &entries(vec![user(1, "hi")]));
        assert_eq!(r.messages[1].status, RestoredStatus::Failed(CUT_OFF.into()));
        let r = fold(
            "s",
            &entries(vec![
                user(1, "hi"),
                Record::Archived {
                    successor: "t".into(),
                },
            ]),
        );
        assert_eq!(r.status(), "archived");
    }
    #[test]
    fn edits_and_the_users_context_choices_come_back() {
        let applied = |files: &[&str]| Record::Applied {
            label: "reply".into(),
            files: files.iter().map(|f| f.to_string()).collect(),
        };
        let add = |p: &str| Record::ContextAdded { path: p.into() };
        let drop = |p: &str| Record::ContextDropped { path: p.into() };
        let read = entries(vec![
            applied(&["b.py", "a.py"]),
            add("x.py"),
            drop("y.py"),
            add("y.py"),
            drop("x.py"),
            add("z.py"),
            applied(&["a.py", "c.py"]),
        ]);
        let r = fold("s", &read);
        assert_eq!(r.edited, ["b.py", "a.py", "c.py"]);
        assert_eq!(
            r.context.added,
            [PathBuf::from("y.py"), PathBuf::from("z.py")]
        );
        assert_eq!(r.context.dropped, [PathBuf::from("x.py")]);
        let line = serde_json::to_string(&add("x.py")).unwrap();
        assert_eq!(line, r#"{"type":"context_added","path":"x.py"}"#);
    }

    #[test]
    fn an_apply_that_began_and_never_ended_is_unfinished() {
        let applying = |label: &str| Record::Applying {
            label: label.into(),
            files: vec!["a.py".into()],
        };
        let ended = [
            Record::Applied {
                label: "reply 1".into(),
                files: vec!["a.py".into()],
            },
            Record::ApplyFailed {
                label: "reply 1".into(),
                error: "disk full".into(),
            },
            Record::ApplyInterrupted {
                label: "reply 1".into(),
                written: vec![],
            },
        ];
        for end in ended {
            let read = entries(vec![applying("reply 1"), end, applying("reply 2")]);
            assert_eq!(
                fold("s", &read).unfinished_apply,
                Some(("reply 2".to_string(), vec!["a.py".to_string()]))
            );
        }
        let read = entries(vec![
            applying("reply 1"),
            Record::Applied {
                label: "reply 1".into(),
                files: vec!["a.py".into()],
            },
        ]);
        assert_eq!(fold("s", &read).unfinished_apply, None);
    }
}
