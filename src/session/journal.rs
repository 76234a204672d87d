//! The session journal: one JSON object per line, appended as things happen (one write per
//! event, an fsync at turn boundaries), mode 0600. Reading skips a torn or unreadable line
//! with a notice instead of failing, so a crash never costs more than the line it cut.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{CorrectionSource, PromptKind, Step};
use crate::llm::Usage;
use crate::secrets::Secrets;

/// The journal format version, in every `start` record.
pub const VERSION: u32 = 1;

/// The pin a session is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinRef {
    pub version: u32,
    pub hash: String,
}

/// How a reply ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndStatus {
    Complete,
    /// Cut off (cancelled, a dropped stream, an error mid-reply); what arrived is kept.
    Interrupted,
    /// Ended, but events of the stream could not be read; what was read is kept.
    Damaged,
    /// Nothing arrived.
    Failed,
}

/// One thing that happened in a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// The session began (the first line of every journal).
    Start {
        v: u32,
        id: String,
        model: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pin: Option<PinRef>,
        /// The session this one was seeded from.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        predecessor: Option<String>,
        /// The lessons carried over from the predecessor, as the user kept them.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lessons: Vec<String>,
    },
    /// A user turn was sent (typed, or a fix round specbench wrote).
    User {
        turn: u64,
        text: String,
        #[serde(flatten)]
        kind: PromptKind,
        /// The failure classes this message corrects (a marked correction or a fix round).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        corrects: Vec<String>,
    },
    /// A piece of the reply to `turn`, written as it arrived.
    Chunk { turn: u64, text: String },
    /// The reply to `turn` called a tool (`cut`: the stream broke before the call was
    /// complete; it was not run). Written as it arrived.
    ToolCall {
        turn: u64,
        id: String,
        name: String,
        arguments: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        cut: bool,
    },
    /// The result of the call `id` of the reply to `turn`, as sent back to the model, and the
    /// file it read (which joins the context set).
    ToolResult {
        turn: u64,
        id: String,
        content: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        read: Option<String>,
    },
    /// The tool results of the reply to `after` were sent: the reply to `turn` continues it,
    /// the `round`th such request of the user's turn.
    Continue { turn: u64, after: u64, round: u32 },
    /// The reply to `turn` ended.
    End {
        turn: u64,
        status: EndStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(default)]
        usage: Usage,
    },
    /// Proposed changes are about to be written (synced before the checkpoint is recorded):
    /// an `applying` with no `applied`, `apply_failed` or `apply_interrupted` after it is an
    /// apply that was stopped midway.
    Applying { label: String, files: Vec<String> },
    /// Proposed changes were written as a checkpoint.
    Applied { label: String, files: Vec<String> },
    /// Writing proposed changes failed; the files written were put back.
    ApplyFailed { label: String, error: String },
    /// An apply was found stopped midway (specbench killed) when the workspace was next
    /// opened, after writing `written`; its checkpoint undoes them.
    ApplyInterrupted { label: String, written: Vec<String> },
    /// An apply was undone (or redone).
    Undone {
        label: String,
        files: Vec<String>,
        redo: bool,
    },
    /// A test run finished.
    Run {
        number: u64,
        passed: usize,
        failed: usize,
        skipped: usize,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        failing: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        #[serde(default)]
        timed_out: bool,
    },
    /// A failure class was corrected once more.
    Correction {
        class: String,
        count: u32,
        source: CorrectionSource,
    },
    /// A class reached the threshold: the session is likely poisoned.
    Poisoned { class: String },
    /// The spec was pinned as a new version.
    Pinned { version: u32, hash: String },
    /// The stepper moved.
    Step { step: Step },
    /// The session was archived; a fresh one carries on.
    Archived { successor: String },
    /// The user added a file to the context set (a fresh session starts with the adds and
    /// drops of the one before).
    ContextAdded { path: String },
    /// The user dropped a file from the context set.
    ContextDropped { path: String },
}

impl Record {
    /// Whether the record ends a turn (and the journal is synced to disk after it).
    pub fn ends_turn(&self) -> bool {
        matches!(
            self,
            Record::Start { .. }
                | Record::User { .. }
                | Record::Continue { .. }
                | Record::End { .. }
                | Record::Archived { .. }
        )
    }
}

/// A journal line: when, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Milliseconds since the Unix epoch.
    pub at: u64,
    #[serde(flatten)]
    pub record: Record,
}

/// A journal open for appending.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    /// Redacted from every record before it is written.
    secrets: Secrets,
}

/// Why a journal could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    /// The sessions folder or the journal is not one specbench may use (a symlink, say).
    #[error(transparent)]
    State(#[from] crate::state::StateError),
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl Journal {
    /// Opens `name` in `dir` for appending, creating it (mode 0600) when missing, never
    /// through a symlink. A torn last line from a crash is closed with a newline first, so the
    /// next record starts a line of its own.
    pub fn open(dir: &crate::state::StateDir, name: &str) -> Result<Journal, JournalError> {
        let path = dir.join(name);
        let path = path.as_path();
        let mut file = dir.append(name)?;
        let len = file.metadata().map_err(io_error(path))?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))
                .and_then(|_| file.read_exact(&mut last))
                .map_err(io_error(path))?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(io_error(path))?;
            }
        }
        Ok(Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            secrets: Secrets::default(),
        })
    }

    /// The journal, redacting `secrets` from every record it writes.
    pub fn redacting(mut self, secrets: Secrets) -> Journal {
        self.secrets = secrets;
        self
    }

    /// Where the journal is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads back everything written so far, through the open handle.
    pub fn read_back(&self) -> Result<ReadJournal, JournalError> {
        use std::os::unix::fs::FileExt;
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let len = file.metadata().map_err(io_error(&self.path))?.len();
        let mut bytes = vec![0; usize::try_from(len).unwrap_or(usize::MAX)];
        file.read_exact_at(&mut bytes, 0)
            .map_err(io_error(&self.path))?;
        Ok(parse(&bytes))
    }

    /// Appends one record, stamped now, in a single write.
    pub fn append(&self, record: Record) -> Result<(), JournalError> {
        self.append_at(super::now_ms(), record)
    }

    /// Appends one record stamped `at`, its secrets redacted.
    pub fn append_at(&self, at: u64, record: Record) -> Result<(), JournalError> {
        let mut line = (self.secrets)
            .to_json_line(&JournalEntry { at, record })
            .map_err(|e| io_error(&self.path)(io::Error::other(e)))?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&line).map_err(io_error(&self.path))
    }

    /// A handle to sync the file from another thread (an fsync takes milliseconds).
    pub fn sync_handle(&self) -> Result<File, JournalError> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.try_clone().map_err(io_error(&self.path))
    }

    /// Flushes what was written to the disk.
    pub fn sync(&self) -> Result<(), JournalError> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.sync_data().map_err(io_error(&self.path))
    }
}

/// A journal as read: its entries and the lines that had to be skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadJournal {
    pub entries: Vec<JournalEntry>,
    /// (1-based line, why) of every line skipped.
    pub skipped: Vec<(usize, String)>,
}

/// Reads a journal; unreadable lines (a torn last line after a crash) are skipped and listed.
pub fn read(mut file: File, path: &Path) -> Result<ReadJournal, JournalError> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io_error(path))?;
    Ok(parse(&bytes))
}

/// Parses journal bytes.
pub fn parse(bytes: &[u8]) -> ReadJournal {
    let mut out = ReadJournal::default();
    let last = bytes.split(|&b| b == b'\n').count();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<JournalEntry>(line) {
            Ok(entry) => out.entries.push(entry),
            Err(e) => {
                let why = if i + 1 == last {
                    "a torn last line (specbench stopped while writing it)".to_string()
                } else {
                    e.to_string()
                };
                out.skipped.push((i + 1, why));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::StateDir;
    use std::os::unix::fs::PermissionsExt;

    fn user(turn: u64, text: &str) -> Record {
        Record::User {
            turn,
            text: text.into(),
            kind: PromptKind::Message,
            corrects: Vec::new(),
        }
    }

    #[test]
    fn records_round_trip_one_line_each_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = StateDir::create(dir.path(), &["sessions"]).unwrap();
        let path = sessions.join("s.jsonl");
        let journal = Journal::open(&sessions, "s.jsonl").unwrap();
        let records = vec![
            Record::Start {
                v: VERSION,
                id: "s".into(),
                model: "m".into(),
                pin: Some(PinRef {
                    version: 1,
                    hash: "ab".into(),
                }),
                predecessor: None,
                lessons: vec![],
            },
            user(3, "hello\nworld"),
            Record::User {
                turn: 5,
                text: "fix".into(),
                kind: PromptKind::Fix { round: 1, of: 3 },
                corrects: vec!["R4 · violated".into()],
            },
            Record::Chunk {
                turn: 3,
                text: "hi".into(),
            },
            Record::ToolCall {
                turn: 3,
                id: "call_1".into(),
                name: "read_file".into(),
                arguments: "{\"path\":\"a.py\"}".into(),
                cut: false,
            },
            Record::ToolCall {
                turn: 3,
                id: "call_2".into(),
                name: "search".into(),
                arguments: "{\"patt".into(),
                cut: true,
            },
            Record::ToolResult {
                turn: 3,
                id: "call_1".into(),
                content: "a.py: lines 1-1 of 1\n1  x = 1\n".into(),
                is_error: false,
                read: Some("a.py".into()),
            },
            Record::Continue {
                turn: 4,
                after: 3,
                round: 1,
            },
            Record::End {
                turn: 3,
                status: EndStatus::Complete,
                error: None,
                usage: Usage {
                    prompt: Some(10),
                    completion: Some(2),
                },
            },
            Record::Step { step: Step::Tests },
        ];
        for (i, r) in records.iter().enumerate() {
            journal.append_at(i as u64, r.clone()).unwrap();
        }
        journal.sync().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), records.len());
        assert!(text.contains(r#""type":"user","turn":5,"text":"fix","kind":"fix","round":1"#));
        assert!(text.contains(
            r#""type":"tool_call","turn":3,"id":"call_1","name":"read_file","arguments":"{\"path\":\"a.py\"}"}"#
        ));
        assert!(text.contains(r#""arguments":"{\"patt","cut":true}"#));
        assert!(text.contains(r#""type":"continue","turn":4,"after":3,"round":1}"#));
        let read = journal.read_back().unwrap();
        assert!(read.skipped.is_empty());
        let back: Vec<Record> = read.entries.into_iter().map(|e| e.record).collect();
        assert_eq!(back, records);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_the_next_append_starts_a_new_line() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = StateDir::create(dir.path(), &["sessions"]).unwrap();
        let path = sessions.join("s.jsonl");
        let journal = Journal::open(&sessions, "s.jsonl").unwrap();
        journal.append_at(1, user(1, "one")).unwrap();
        drop(journal);
        // A crash in the middle of a write.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(br#"{"at":2,"type":"chunk","turn":1,"te"#)
            .unwrap();
        drop(f);
        let read1 = parse(&std::fs::read(&path).unwrap());
        assert_eq!(read1.entries.len(), 1);
        assert_eq!(read1.skipped.len(), 1);
        assert_eq!(read1.skipped[0].0, 2);
        assert!(read1.skipped[0].1.contains("torn"), "{:?}", read1.skipped);
        let journal = Journal::open(&sessions, "s.jsonl").unwrap();
        journal.append_at(3, user(2, "two")).unwrap();
        let read2 = journal.read_back().unwrap();
        assert_eq!(
            read2.entries.len(),
            2,
            "the new record survives the torn one"
        );
        assert_eq!(read2.entries[1].record, user(2, "two"));
    }

    #[test]
    fn secrets_are_redacted_from_every_record() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = StateDir::create(dir.path(), &["sessions"]).unwrap();
        let path = dir.path().join(".specbench/sessions/s.jsonl");
        let key = "sk-journal-test-0123456789";
        let journal = Journal::open(&sessions, "s.jsonl")
            .unwrap()
            .redacting(Secrets::new([key.to_string()]));
        journal
            .append_at(1, user(1, &format!("my key: {key}")))
            .unwrap();
        let end = Record::End {
            turn: 1,
            status: EndStatus::Interrupted,
            error: Some(format!("refused {key}")),
            usage: Usage::default(),
        };
        journal.append_at(2, end).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(key), "{text}");
        let read = journal.read_back().unwrap();
        assert_eq!(read.entries[0].record, user(1, "my key: [redacted]"));
        assert!(
            matches!(&read.entries[1].record, Record::End { error: Some(e), .. } if e == "refused [redacted]")
        );
    }

    #[test]
    fn unknown_records_in_the_middle_are_skipped_with_their_line() {
        let text = b"{\"at\":1,\"type\":\"step\",\"step\":\"tests\"}\n{\"at\":2,\"type\":\"telepathy\"}\n{\"at\":3,\"type\":\"step\",\"step\":\"verify\"}\n";
        let read = parse(text);
        assert_eq!(read.entries.len(), 2);
        assert_eq!(read.skipped[0].0, 2);
    }
}
