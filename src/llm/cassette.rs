//! Cassettes: recorded model exchanges, one JSON object per line. Each entry holds the user's
//! message (and its fingerprint), the model, and the streamed reply as timed events. The
//! `replay` provider plays them back offline; `--record` writes them, atomically, from any real
//! provider. Nothing in a cassette comes from the request headers, and every known key is
//! redacted from the messages and replies before an entry is written.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::client::{LlmError, ReplyEvent};
use crate::secrets::Secrets;

/// The cassette format version written in every entry.
pub const VERSION: u32 = 1;

/// One reply event and when it arrived, in milliseconds from the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timed {
    pub at_ms: u64,
    #[serde(flatten)]
    pub event: ReplyEvent,
}

/// How a recorded reply ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// The stream's terminal event arrived.
    Complete,
    /// The reply was cut off; the reason in words.
    Interrupted(String),
}

/// One recorded exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub v: u32,
    /// [`fingerprint`] of `prompt`.
    pub fingerprint: String,
    /// The user's message as typed.
    pub prompt: String,
    /// A fix round's message: specbench wrote it from the test results, so a replay matches
    /// it by order among the fix entries when its text differs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fix: bool,
    /// 0 for the reply to the message; N for the Nth request after it that carried tool
    /// results (the reply continues after the tools ran).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub round: u32,
    pub model: String,
    pub events: Vec<Timed>,
    pub end: End,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The fingerprint of a user message: SHA-256 of its words, so re-wrapping or trailing
/// whitespace does not matter.
pub fn fingerprint(prompt: &str) -> String {
    let words: Vec<&str> = prompt.split_whitespace().collect();
    let digest = Sha256::digest(words.join(" ").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A loaded cassette.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cassette {
    pub path: PathBuf,
    pub entries: Vec<Exchange>,
}

impl Cassette {
    /// Reads and checks a cassette; a bad line is an error naming the file and line.
    pub fn load(path: &Path) -> Result<Cassette, LlmError> {
        let text = std::fs::read_to_string(path).map_err(|e| LlmError::CassetteUnreadable {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::parse(path, &text)
    }

    /// Parses cassette text read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Cassette, LlmError> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let bad = |message: String| LlmError::Cassette {
                path: path.display().to_string(),
                line: i + 1,
                message,
            };
            let entry: Exchange = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
            if entry.v != VERSION {
                return Err(bad(format!(
                    "cassette version {} (this specbench reads {VERSION})",
                    entry.v
                )));
            }
            entries.push(entry);
        }
        Ok(Cassette {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The reply for the `nth` time (0-based) `prompt` is sent: the nth recording of it, or
    /// the last one when it was recorded fewer times. A fix round's message that was not
    /// recorded word for word plays the `fix_nth` fix entry (0-based, in cassette order). A
    /// `round` past 0 plays that continuation of the reply found: the entry of that round
    /// recorded after it, before the message's next recording.
    pub fn find(
        &self,
        prompt: &str,
        nth: usize,
        fix_nth: Option<usize>,
        round: u32,
    ) -> Result<&Exchange, LlmError> {
        let fp = fingerprint(prompt);
        let firsts = || {
            self.entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.round == 0)
        };
        let matching: Vec<(usize, &Exchange)> =
            firsts().filter(|(_, e)| e.fingerprint == fp).collect();
        let fixes = || firsts().filter(|(_, e)| e.fix).nth(fix_nth?);
        let Some((at, base)) = matching
            .get(nth)
            .or(matching.last())
            .copied()
            .or_else(fixes)
        else {
            return Err(LlmError::NoRecordedReply {
                cassette: self.path.display().to_string(),
                message: short(prompt),
            });
        };
        if round == 0 {
            return Ok(base);
        }
        self.entries[at + 1..]
            .iter()
            .filter(|e| e.fingerprint == base.fingerprint)
            .take_while(|e| e.round != 0)
            .find(|e| e.round == round)
            .ok_or_else(|| LlmError::NoRecordedRound {
                cassette: self.path.display().to_string(),
                round,
                message: short(prompt),
            })
    }

    /// The recorded prompts in order, each once: what the demo offers to send next. Fix
    /// rounds are left out: specbench writes those itself.
    pub fn prompts(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.entries
            .iter()
            .filter(|e| !e.fix && e.round == 0 && seen.insert(e.fingerprint.clone()))
            .map(|e| e.prompt.clone())
            .collect()
    }
}

/// A message shortened for an error line.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut out: String = line.chars().take(60).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// How a replay is paced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// As recorded, divided by the factor (0 or less: no pauses).
    Speed(f64),
    /// Each line of the reply waits for a step (`Ctrl-N`), for presenters; once released it
    /// plays at this speed (0 or less: at once).
    Step(f64),
}

/// The longest pause between two events of a replay, as recorded (the speed then divides it):
/// a first token that took a minute is not worth a minute of a demo, and a cassette stamped
/// with an absurd `at_ms` still plays.
pub const MAX_GAP: Duration = Duration::from_secs(10);

/// The longest pause a replay makes, whatever the speed.
pub const MAX_PAUSE: Duration = Duration::from_secs(60);

/// The pause before an event recorded `gap_ms` after the one before, at `speed`.
fn pause(gap_ms: u64, speed: f64) -> Duration {
    let gap = Duration::from_millis(gap_ms).min(MAX_GAP);
    Duration::try_from_secs_f64(gap.as_secs_f64() / speed)
        .unwrap_or(MAX_PAUSE)
        .min(MAX_PAUSE)
}

/// Plays `entry` through `emit`, paced by `pace`; in step mode every line waits for a permit
/// of `steps`. A recording that was cut off ends in the same error.
pub async fn play(
    entry: &Exchange,
    pace: Pace,
    steps: &tokio::sync::Semaphore,
    emit: &mut (dyn FnMut(ReplyEvent) + Send),
) -> Result<(), LlmError> {
    let mut due = tokio::time::Instant::now();
    let mut recorded = 0;
    let mut line_start = true;
    for timed in &entry.events {
        let speed = match pace {
            Pace::Speed(speed) => speed,
            Pace::Step(speed) => {
                if let ReplyEvent::Delta(text) = &timed.event {
                    if line_start {
                        if let Ok(permit) = steps.acquire().await {
                            permit.forget();
                        }
                        // The line plays from its step on: the wait is no part of its pace.
                        due = tokio::time::Instant::now();
                        recorded = recorded.max(timed.at_ms);
                    }
                    line_start = text.ends_with('\n');
                }
                speed
            }
        };
        if speed > 0.0 {
            // Stamps out of order make no pause.
            due += pause(timed.at_ms.saturating_sub(recorded), speed);
            recorded = recorded.max(timed.at_ms);
            tokio::time::sleep_until(due).await;
        }
        emit(timed.event.clone());
    }
    match &entry.end {
        End::Complete => Ok(()),
        End::Interrupted(reason) => Err(LlmError::Broken {
            detail: format!("as recorded: {reason}"),
        }),
    }
}

/// Appends entries to a cassette file, each append an atomic rewrite (temp file, fsync,
/// rename), so a crash never leaves half a cassette; the secrets it knows are redacted first.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    lock: Mutex<()>,
    secrets: Secrets,
}

impl Recorder {
    /// A recorder writing to `path` (created on the first append), redacting `secrets`.
    pub fn new(path: PathBuf, secrets: Secrets) -> Self {
        Self {
            path,
            lock: Mutex::new(()),
            secrets,
        }
    }

    /// Where the cassette is written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds `entry` at the end of the cassette, its secrets redacted (the fingerprint is the
    /// redacted message's, as a replay redacts the message it looks up).
    pub fn append(&self, entry: &Exchange) -> std::io::Result<()> {
        let prompt = self.secrets.redact(&entry.prompt);
        let fingerprinted;
        let entry = if matches!(prompt, std::borrow::Cow::Borrowed(_)) {
            entry
        } else {
            fingerprinted = Exchange {
                fingerprint: fingerprint(&prompt),
                ..entry.clone()
            };
            &fingerprinted
        };
        let line = self
            .secrets
            .to_json_line(entry)
            .map_err(std::io::Error::other)?;
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        // Reading through a link would copy whatever it points at into the cassette.
        if std::fs::symlink_metadata(&self.path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(std::io::Error::other(format!(
                "{} is a symlink; specbench records only into a regular file",
                self.path.display()
            )));
        }
        let mut text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&String::from_utf8_lossy(&line));
        text.push('\n');
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir)?;
        let mut temp = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut temp, text.as_bytes())?;
        temp.as_file().sync_all()?;
        temp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Collects a reply's events with their timing while it streams, for a [`Recorder`].
#[derive(Debug)]
pub struct Tape {
    start: std::time::Instant,
    events: Vec<Timed>,
}

impl Default for Tape {
    fn default() -> Self {
        Self::new()
    }
}

impl Tape {
    /// Starts timing now.
    pub fn new() -> Self {
        Self {
            start: std::time::Instant::now(),
            events: Vec::new(),
        }
    }

    /// Notes an event. A retry is not recorded (a replay has nothing to wait for), and what
    /// the failed attempt sent before it (usage, damage; never text) is dropped.
    pub fn note(&mut self, event: &ReplyEvent) {
        if matches!(event, ReplyEvent::Retrying { .. }) {
            self.events.clear();
            return;
        }
        self.events.push(Timed {
            at_ms: self.start.elapsed().as_millis() as u64,
            event: event.clone(),
        });
    }

    /// Whether nothing was noted.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The finished entry (`fix`: the prompt was a fix round's; `round`: how many requests
    /// with tool results came before this one since the message).
    pub fn finish(self, prompt: &str, fix: bool, round: u32, model: &str, end: End) -> Exchange {
        Exchange {
            v: VERSION,
            fingerprint: fingerprint(prompt),
            prompt: prompt.to_string(),
            fix,
            round,
            model: model.to_string(),
            events: self.events,
            end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Usage;
    use crate::secrets::REDACTED;

    fn entry(prompt: &str, text: &str) -> Exchange {
        let mut tape = Tape::new();
        tape.note(&ReplyEvent::Delta(text.into()));
        tape.note(&ReplyEvent::Usage(Usage {
            prompt: Some(10),
            completion: Some(2),
        }));
        tape.finish(prompt, false, 0, "m", End::Complete)
    }

    #[test]
    fn fingerprint_ignores_whitespace_layout() {
        assert_eq!(fingerprint("a  b\nc "), fingerprint("a b c"));
        assert_ne!(fingerprint("a b"), fingerprint("a c"));
    }

    #[test]
    fn append_round_trips_and_finds_the_nth_recording() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/c.jsonl");
        let rec = Recorder::new(path.clone(), Secrets::default());
        rec.append(&entry("hi", "one")).unwrap();
        rec.append(&entry("hi", "two")).unwrap();
        rec.append(&entry("other", "three")).unwrap();
        let c = Cassette::load(&path).unwrap();
        assert_eq!(c.entries.len(), 3);
        let text = |e: &Exchange| match &e.events[0].event {
            ReplyEvent::Delta(t) => t.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(text(c.find("hi", 0, None, 0).unwrap()), "one");
        assert_eq!(text(c.find(" hi ", 1, None, 0).unwrap()), "two");
        assert_eq!(text(c.find("hi", 5, None, 0).unwrap()), "two");
        assert_eq!(c.prompts(), vec!["hi".to_string(), "other".to_string()]);
        let err = c.find("never said", 0, None, 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: no recorded reply for the message \"never said\"",
                path.display()
            )
        );
        // A fix round's text is generated: it plays the fix entries in order.
        let mut fix = entry("Fix round 1 of 3: R4 fails", "fixed");
        fix.fix = true;
        rec.append(&fix).unwrap();
        let c = Cassette::load(&path).unwrap();
        assert_eq!(
            text(c.find("Fix round 1 of 3: R9 fails", 0, Some(0), 0).unwrap()),
            "fixed"
        );
        assert!(c.find("Fix round 2 of 3: R9 fails", 0, Some(1), 0).is_err());
        assert!(c.find("an ordinary message", 0, None, 0).is_err());
        assert_eq!(c.prompts().len(), 2, "fix rounds are not offered");
        // Only the temp-free cassette is left in the directory.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_recorded_key_is_redacted_and_the_entry_found_by_its_redacted_message() {
        let key = "sk-cassette-0123456789abcdef";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let rec = Recorder::new(path.clone(), Secrets::new([key.to_string()]));
        let mut tape = Tape::new();
        tape.note(&ReplyEvent::Delta(format!("echo {key}")));
        let prompt = format!("use {key}");
        rec.append(&tape.finish(&prompt, false, 0, "m", End::Interrupted(key.into())))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(key), "{text}");
        let c = Cassette::load(&path).unwrap();
        let entry = c.find("use [redacted]", 0, None, 0).unwrap();
        assert_eq!(entry.prompt, "use [redacted]");
        assert_eq!(
            entry.events[0].event,
            ReplyEvent::Delta("echo [redacted]".into())
        );
        assert_eq!(entry.end, End::Interrupted(REDACTED.into()));
    }

    #[test]
    fn a_cassette_that_is_a_symlink_is_never_read_through() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "a private line\n").unwrap();
        let path = dir.path().join("c.jsonl");
        std::os::unix::fs::symlink(&outside, &path).unwrap();
        let rec = Recorder::new(path.clone(), Secrets::default());
        let err = rec.append(&entry("hi", "yo")).unwrap_err();
        assert!(err.to_string().contains("is a symlink"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&outside).unwrap(),
            "a private line\n"
        );
        assert!(std::fs::symlink_metadata(&path).unwrap().is_symlink());
    }

    /// A reply that calls a tool, and its continuation after the results.
    fn rounds(prompt: &str, fix: bool, first: &str, last: &str) -> [Exchange; 2] {
        let mut tape = Tape::new();
        tape.note(&ReplyEvent::Delta(first.into()));
        tape.note(&ReplyEvent::ToolCall(crate::llm::ToolCall {
            id: "call_1".into(),
            name: "read_file".into(),
            arguments: "{\"path\":\"a.py\"}".into(),
        }));
        let asked = tape.finish(prompt, fix, 0, "m", End::Complete);
        let mut tape = Tape::new();
        tape.note(&ReplyEvent::Delta(last.into()));
        [asked, tape.finish(prompt, fix, 1, "m", End::Complete)]
    }

    #[test]
    fn tool_rounds_round_trip_and_play_after_their_own_reply() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let rec = Recorder::new(path.clone(), Secrets::default());
        for e in rounds("look", false, "one", "one done") {
            rec.append(&e).unwrap();
        }
        rec.append(&entry("other", "x")).unwrap();
        for e in rounds("look", false, "two", "two done") {
            rec.append(&e).unwrap();
        }
        for e in rounds("Fix round 1 of 3: R1 fails", true, "fix", "fix done") {
            rec.append(&e).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(r#"{"at_ms":0,"tool_call":{"id":"call_1","name":"read_file","arguments":"{\"path\":\"a.py\"}"}}"#),
            "{text}"
        );
        assert!(text.contains(r#""round":1"#), "{text}");
        let c = Cassette::load(&path).unwrap();
        let first = |e: &Exchange| match &e.events[0].event {
            ReplyEvent::Delta(t) => t.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(first(c.find("look", 0, None, 0).unwrap()), "one");
        assert_eq!(first(c.find("look", 0, None, 1).unwrap()), "one done");
        assert_eq!(first(c.find("look", 1, None, 0).unwrap()), "two");
        assert_eq!(first(c.find("look", 1, None, 1).unwrap()), "two done");
        let fix = c.find("Fix round 1 of 3: R7 fails", 0, Some(0), 1).unwrap();
        assert_eq!(first(fix), "fix done");
        let err = c.find("look", 0, None, 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: no recorded reply for round 2 of the message \"look\"",
                path.display()
            )
        );
        assert_eq!(
            c.prompts(),
            ["look", "other"],
            "continuations are not offered"
        );
    }

    #[test]
    fn a_bad_line_names_file_and_line() {
        let err = Cassette::parse(Path::new("c.jsonl"), "\n{\"v\":1}\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("c.jsonl:2: missing field"), "{text}");
        let good = serde_json::to_string(&entry("a", "b")).unwrap();
        let newer = good.replace("\"v\":1", "\"v\":9");
        let err = Cassette::parse(Path::new("c.jsonl"), &newer).unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.jsonl:1: cassette version 9 (this specbench reads 1)"
        );
    }

    #[test]
    fn the_wire_form_is_readable() {
        let e = entry("hi", "yo");
        let line = serde_json::to_string(&e).unwrap();
        assert!(line.contains(r#"{"at_ms":0,"delta":"yo"}"#), "{line}");
        assert!(line.contains(r#""end":"complete""#), "{line}");
    }

    #[tokio::test(start_paused = true)]
    async fn play_paces_by_speed_and_replays_interruptions() {
        let mut e = entry("hi", "yo");
        e.events[1].at_ms = 1000;
        e.end = End::Interrupted("server went away".into());
        let start = tokio::time::Instant::now();
        let mut got = Vec::new();
        let steps = tokio::sync::Semaphore::new(0);
        let result = play(&e, Pace::Speed(4.0), &steps, &mut |ev| got.push(ev)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(250));
        assert_eq!(got.len(), 2);
        assert_eq!(
            result.unwrap_err().to_string(),
            "the connection broke mid-reply: as recorded: server went away"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn step_mode_with_a_speed_paces_each_released_line() {
        let mut tape = Tape::new();
        for piece in ["one ", "line\n", "two\n"] {
            tape.note(&ReplyEvent::Delta(piece.into()));
        }
        let mut e = tape.finish("p", false, 0, "m", End::Complete);
        for (event, at) in e.events.iter_mut().zip([0, 1000, 5000]) {
            event.at_ms = at;
        }
        let steps = tokio::sync::Semaphore::new(2);
        let start = tokio::time::Instant::now();
        let mut got = 0;
        play(&e, Pace::Step(2.0), &steps, &mut |_| got += 1)
            .await
            .unwrap();
        // Within the first line 1 s at speed 2; the second line starts at its step, unpaced.
        assert_eq!(start.elapsed(), Duration::from_millis(500));
        assert_eq!(got, 3);
    }

    #[test]
    fn pauses_are_bounded_whatever_the_stamps_and_speed() {
        assert_eq!(pause(1000, 4.0), Duration::from_millis(250));
        assert_eq!(pause(u64::MAX, 1.0), MAX_GAP);
        assert_eq!(pause(u64::MAX, 0.001), MAX_PAUSE);
        assert_eq!(pause(5000, f64::MIN_POSITIVE), MAX_PAUSE);
        assert_eq!(pause(0, 1.0), Duration::ZERO);
    }

    #[tokio::test]
    async fn step_mode_releases_one_line_per_step() {
        let mut tape = Tape::new();
        for piece in ["one ", "line\n", "two\n", "three"] {
            tape.note(&ReplyEvent::Delta(piece.into()));
        }
        let e = tape.finish("p", false, 0, "m", End::Complete);
        let steps = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let player = {
            let steps = steps.clone();
            tokio::spawn(async move {
                play(&e, Pace::Step(0.0), &steps, &mut |ev| {
                    let _ = tx.send(ev);
                })
                .await
            })
        };
        let mut got = |n: usize| {
            let mut out = String::new();
            while let Ok(ReplyEvent::Delta(t)) = rx.try_recv() {
                out.push_str(&t);
            }
            assert!(out.lines().count() <= n);
            out
        };
        tokio::task::yield_now().await;
        assert_eq!(got(0), "");
        steps.add_permits(1);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(got(1), "one line\n");
        steps.add_permits(2);
        player.await.unwrap().unwrap();
        assert_eq!(got(2), "two\nthree");
    }
}
