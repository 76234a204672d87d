//! The session as the model holds it: the stepper (Spec → Tests → Implement → Verify), the
//! auto-test-and-fix loop, corrections counted per failure class with the poisoning verdict,
//! the fresh-session handoff, the journal records, and a session restored from disk.

use std::collections::HashMap;

use ratatui_textarea::TextArea;

use super::conversation::{Message, MessageStatus};
use super::{Cmd, Model, NoticeKind};
use crate::llm::Role;
use crate::llm::request;
use crate::runner::result::TestStatus;
use crate::session::journal::{EndStatus, Record};
use crate::session::restore::{Restored, RestoredStatus};
use crate::session::signature::{self, Failure, Signature};
use crate::session::{CorrectionSource, PromptKind, Step};

/// How a step stands after the latest settled run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the step is satisfied.
    pub ok: bool,
    pub text: String,
}

/// The auto-test-and-fix loop in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixLoop {
    pub round: u32,
    pub max: u32,
}

/// A fix attempt waiting for its verdict: the turn whose reply should fix `targets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub turn: u64,
    pub targets: Vec<Signature>,
}

/// An apply of a reply's changes, waiting for the run that judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judging {
    /// The turn whose reply was applied.
    pub turn: u64,
    /// The step that turn was sent in.
    pub step: Step,
    /// The first run id that ran on the applied code.
    pub floor: u64,
}

/// The session's state.
#[derive(Debug, Clone, Default)]
pub struct SessionState {
    /// The session's id, once the journal is open.
    pub id: Option<String>,
    /// Whether the journal was read back (sending waits for it, so turn ids stay unique).
    pub opened: bool,
    /// The session this one was seeded from.
    pub predecessor: Option<String>,
    /// The lessons carried over into this session.
    pub lessons: Vec<String>,
    pub step: Step,
    /// How the current step stands.
    pub verdict: Option<Verdict>,
    /// Each corrected class and its count, in the order first corrected.
    pub corrections: Vec<(Signature, u32)>,
    /// The class that reached `[loop].fresh_after`.
    pub poisoned: Option<Signature>,
    pub fix: Option<FixLoop>,
    pub attempt: Option<Attempt>,
    pub judging: Option<Judging>,
    /// The step each turn was sent in.
    pub turn_steps: HashMap<u64, Step>,
    /// The pin the journal last recorded.
    pub pin: Option<(u32, String)>,
    /// The composer's message is marked as a correction (`Ctrl-R`).
    pub marked: bool,
    /// The lessons being reviewed before a fresh session starts.
    pub lessons_editor: Option<TextArea<'static>>,
    /// The seed's tokens with the lessons as edited (kept up to date by the review's keys).
    pub seed_tokens: u32,
}

impl SessionState {
    /// The count of a class.
    pub fn count(&self, sig: &Signature) -> u32 {
        self.corrections
            .iter()
            .find(|(s, _)| s == sig)
            .map_or(0, |(_, n)| *n)
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

impl Model {
    /// A journal record for the effects layer to append.
    pub(super) fn journal(record: Record) -> Cmd {
        Cmd::Journal(record)
    }

    /// The failures of the latest run and scan, once both describe the current code: no run
    /// going, the last one finished, the scan of the pin's checks (if any) in and up to date.
    pub fn settled_failures(&self) -> Option<Vec<Failure>> {
        let last = self.results.last.as_ref()?;
        let scanning =
            self.spec.pinned.is_some() && (self.spec.scan.is_none() || self.spec.scans_pending > 0);
        if self.results.running.is_some() || last.report.cancelled || scanning {
            return None;
        }
        Some(self.known_failures())
    }

    /// The failures as last known, settled or not. Without a pinned spec (none written, or
    /// the pin store unreadable) they are the failing tests alone.
    pub(crate) fn known_failures(&self) -> Vec<Failure> {
        let Some(last) = &self.results.last else {
            return Vec::new();
        };
        match &self.spec.pinned {
            Some(p) => signature::failures(&p.spec, &self.spec.eval, &last.report.results),
            None => signature::failures(
                &crate::spec::Spec::default(),
                &crate::spec::eval::Evaluation::default(),
                &last.report.results,
            ),
        }
    }

    /// After a run or a scan: once the evaluation is settled, judge the step, a pending fix
    /// attempt, and whether the fix loop goes on.
    pub(super) fn after_settle(&mut self) -> Vec<Cmd> {
        let Some(failures) = self.settled_failures() else {
            return Vec::new();
        };
        let mut cmds = Vec::new();
        let verdict = self.step_verdict(&failures);
        self.session.verdict = verdict.clone();
        let run = self.results.last_id.unwrap_or(0);
        let Some(judging) = self.session.judging.take_if(|j| run >= j.floor) else {
            return cmds;
        };
        if let Some(attempt) = self.session.attempt.take_if(|a| a.turn == judging.turn) {
            for target in attempt.targets {
                if failures.iter().any(|f| f.signature == target) {
                    cmds.extend(self.count_correction(target, CorrectionSource::Fix));
                }
            }
        }
        // The step the applied reply was asked in is done: the stepper moves on.
        if let Some(v) = verdict.as_ref().filter(|v| v.ok)
            && judging.step == self.session.step
            && matches!(judging.step, Step::Tests | Step::Implement)
        {
            let next = judging.step.next();
            let text = format!("{} ✓ {} → {}", judging.step.label(), v.text, next.label());
            cmds.extend(self.set_step(next));
            cmds.push(self.notify(NoticeKind::Info, text));
        }
        cmds.extend(self.continue_fix_loop(judging, &failures));
        cmds
    }

    /// How the current step stands, from the settled failures.
    pub fn step_verdict(&self, failures: &[Failure]) -> Option<Verdict> {
        let last = self.results.last.as_ref()?;
        let results = &last.report.results;
        let failing: Vec<&Failure> = failures
            .iter()
            .filter(|f| f.clause_text.is_none())
            .collect();
        let violated: Vec<&str> = failures
            .iter()
            .filter(|f| f.clause_text.is_some())
            .map(|f| f.signature.subject.as_str())
            .collect();
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let verdict = |ok, text: String| Some(Verdict { ok, text });
        match self.session.step {
            Step::Spec => {
                let spec = &self.spec.pinned.as_ref()?.spec;
                let invalid = spec.clauses.iter().filter(|c| c.is_invalid()).count();
                if spec.clauses.is_empty() {
                    verdict(false, "the spec has no clauses yet".into())
                } else if invalid > 0 {
                    verdict(
                        false,
                        format!("{} invalid", plural(invalid, "clause", "clauses")),
                    )
                } else {
                    verdict(
                        true,
                        format!("{} pinned", plural(spec.clauses.len(), "clause", "clauses")),
                    )
                }
            }
            Step::Tests if results.is_empty() => verdict(false, "no tests ran".into()),
            Step::Tests if failing.is_empty() => verdict(
                false,
                "the tests all pass: they do not pin down the missing code yet".into(),
            ),
            Step::Tests => {
                let wrong: Vec<&&Failure> = failing
                    .iter()
                    .filter(|f| !signature::is_right_reason(&f.signature.kind))
                    .collect();
                match wrong.first() {
                    Some(first) => verdict(
                        false,
                        format!(
                            "{} for the wrong reason: {} ({}); fix that first",
                            plural(wrong.len(), "test fails", "tests fail"),
                            signature::short_name(&first.signature.subject),
                            first.signature.kind
                        ),
                    ),
                    None => verdict(
                        true,
                        format!(
                            "{} for the right reason (assertions, missing code)",
                            plural(failing.len(), "test fails", "tests fail"),
                        ),
                    ),
                }
            }
            Step::Implement | Step::Verify => {
                let passed = results
                    .iter()
                    .filter(|r| r.status == TestStatus::Passed)
                    .count();
                if !failing.is_empty() {
                    verdict(
                        false,
                        plural(failing.len(), "test fails", "tests fail").to_string(),
                    )
                } else if !violated.is_empty() {
                    verdict(false, format!("{} violated", violated.join(", ")))
                } else if results.is_empty() {
                    verdict(false, "no tests ran".into())
                } else {
                    let holds = self.spec.eval.counts().holds;
                    verdict(
                        true,
                        format!(
                            "{} pass, {} {}",
                            plural(passed, "test", "tests"),
                            holds,
                            if holds == 1 {
                                "clause holds"
                            } else {
                                "clauses hold"
                            }
                        ),
                    )
                }
            }
        }
    }

    /// Counts one more correction of `sig`; the class that reaches `[loop].fresh_after`
    /// poisons the session.
    pub(super) fn count_correction(
        &mut self,
        sig: Signature,
        source: CorrectionSource,
    ) -> Vec<Cmd> {
        let count = match self.session.corrections.iter_mut().find(|(s, _)| *s == sig) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                self.session.corrections.push((sig.clone(), 1));
                1
            }
        };
        tracing::info!(class = %sig, count, ?source, "correction");
        let mut cmds = vec![Self::journal(Record::Correction {
            class: sig.key(),
            count,
            source,
        })];
        let limit = self.config.loop_.fresh_after.max(1);
        if count >= limit && self.session.poisoned.is_none() {
            cmds.push(Self::journal(Record::Poisoned { class: sig.key() }));
            let text = format!(
                "Session likely poisoned: {sig} corrected {count}×. F starts a fresh session"
            );
            self.session.poisoned = Some(sig);
            self.session.fix = None;
            // Nothing is being written: hand the keys back so `F` is one press away.
            if self.composer.is_empty() || !self.draft_is_own() {
                self.set_draft("");
                self.conversation.offer = None;
                self.mode = super::Mode::Normal;
                self.sync_composer_placeholder();
            }
            cmds.push(self.notify(NoticeKind::Error, text));
        }
        cmds
    }

    /// The fix loop after a judged apply: the next round, or the end (green, out of rounds,
    /// poisoned).
    fn continue_fix_loop(&mut self, judging: Judging, failures: &[Failure]) -> Vec<Cmd> {
        if self.session.poisoned.is_some() {
            self.session.fix = None;
            return Vec::new();
        }
        if failures.is_empty() {
            return match self.session.fix.take() {
                Some(fix) => vec![self.notify(
                    NoticeKind::Info,
                    format!(
                        "Green after {} fix round{}",
                        fix.round,
                        if fix.round == 1 { "" } else { "s" }
                    ),
                )],
                None => Vec::new(),
            };
        }
        // New tests are meant to fail; and the loop needs the tests to run.
        let max = self.config.loop_.fix_rounds;
        if judging.step == Step::Tests || !self.config.loop_.auto_test || max == 0 {
            return Vec::new();
        }
        let round = self.session.fix.map_or(1, |f| f.round + 1);
        if round > max {
            self.session.fix = None;
            return vec![self.notify(
                NoticeKind::Error,
                format!("Still failing after {max} fix rounds: over to you (F starts fresh)"),
            )];
        }
        self.session.fix = Some(FixLoop { round, max });
        let prompt = fix_prompt(round, max, failures);
        let targets: Vec<Signature> = failures.iter().map(|f| f.signature.clone()).collect();
        let corrects = targets.iter().map(Signature::key).collect();
        let mut cmds = self.send_turn(prompt, PromptKind::Fix { round, of: max }, corrects);
        if let Some(turn) = &self.conversation.turn {
            self.session.attempt = Some(Attempt {
                turn: turn.id,
                targets,
            });
        }
        cmds.insert(
            0,
            self.notify(
                NoticeKind::Info,
                format!("Fix round {round}/{max}: the failures go back to the model · Esc stops"),
            ),
        );
        cmds
    }

    /// `Esc` with no reply streaming: stop the fix loop.
    pub(super) fn stop_fix_loop(&mut self) -> Vec<Cmd> {
        match self.session.fix.take() {
            Some(fix) => vec![self.notify(
                NoticeKind::Info,
                format!("Fix loop stopped after round {}", fix.round),
            )],
            None => Vec::new(),
        }
    }

    /// The classes a message marked as a correction corrects: the failing classes of the
    /// clauses it names, else those clauses, else everything failing now.
    pub(super) fn correction_targets(&self, text: &str) -> Vec<Signature> {
        let failures = self.known_failures();
        let ids: Vec<String> = self
            .spec
            .pinned
            .as_ref()
            .map(|p| p.spec.clauses.iter().map(|c| c.id.clone()).collect())
            .unwrap_or_default();
        let words: Vec<String> = text
            .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
            .map(str::to_ascii_uppercase)
            .collect();
        let named: Vec<&String> = ids
            .iter()
            .filter(|id| words.contains(&id.to_ascii_uppercase()))
            .collect();
        if !named.is_empty() {
            let matching: Vec<Signature> = failures
                .iter()
                .filter(|f| f.clauses.iter().any(|c| named.contains(&c)))
                .map(|f| f.signature.clone())
                .collect();
            if !matching.is_empty() {
                return matching;
            }
            return named
                .into_iter()
                .map(|id| Signature {
                    subject: id.clone(),
                    kind: "correction".into(),
                })
                .collect();
        }
        if !failures.is_empty() {
            return failures.into_iter().map(|f| f.signature).collect();
        }
        vec![Signature {
            subject: "general".into(),
            kind: "correction".into(),
        }]
    }

    /// `Ctrl-R`: mark (or unmark) the message being composed as a correction.
    pub(super) fn toggle_correction_mark(&mut self) -> Vec<Cmd> {
        self.session.marked = !self.session.marked;
        let text = if self.session.marked {
            "Marked as a correction: name the clause (R4) to count it against that clause"
        } else {
            "No longer marked as a correction"
        };
        vec![self.notify(NoticeKind::Info, text)]
    }

    /// Moves the stepper to `step`, journals it and offers the step's prompt.
    pub fn set_step(&mut self, step: Step) -> Vec<Cmd> {
        if self.session.step == step {
            return Vec::new();
        }
        self.session.step = step;
        self.session.verdict = self.settled_failures().and_then(|f| self.step_verdict(&f));
        self.offer_next();
        vec![Self::journal(Record::Step { step })]
    }

    /// `s` / `S`: the next or previous step, by the user's choice.
    pub(super) fn move_step(&mut self, forward: bool) -> Vec<Cmd> {
        let step = if forward {
            self.session.step.next()
        } else {
            self.session.step.prev()
        };
        let mut cmds = self.set_step(step);
        cmds.push(self.notify(NoticeKind::Info, format!("Step: {}", step.label())));
        cmds
    }

    /// The pin in force changed: journal it, and leave the Spec step when the spec is sound.
    pub(super) fn on_pin_in_force(&mut self) -> Vec<Cmd> {
        let Some(p) = &self.spec.pinned else {
            return Vec::new();
        };
        let pin = (p.pin.version, p.pin.hash.clone());
        let sound = !p.spec.clauses.is_empty() && !p.spec.clauses.iter().any(|c| c.is_invalid());
        let mut cmds = Vec::new();
        if self.session.pin.as_ref() != Some(&pin) {
            cmds.push(Self::journal(Record::Pinned {
                version: pin.0,
                hash: pin.1.clone(),
            }));
            // A new version under a conversation that was told the old one: offer a fresh start.
            let repinned = self.session.pin.as_ref().is_some_and(|(v, _)| *v < pin.0);
            if repinned && !self.conversation.messages.is_empty() {
                cmds.push(self.notify(
                    NoticeKind::Info,
                    format!(
                        "The spec is now v{}; this conversation began under an older pin. F \
                         starts a fresh session bound to it",
                        pin.0
                    ),
                ));
            }
            self.session.pin = Some(pin);
        }
        if sound && self.session.step == Step::Spec && self.session.opened {
            cmds.extend(self.set_step(Step::Tests));
        }
        cmds
    }

    /// The seed of a fresh session with `lessons`: what follows the system prompt in its
    /// requests, in order (code, latest results, lessons, and the pinned spec last).
    pub fn seed(&self, lessons: &[String]) -> String {
        let conv = &self.conversation;
        [
            conv.code.text.as_str(),
            conv.tests.text.as_str(),
            &lessons_part(lessons),
            conv.spec.text.as_str(),
        ]
        .iter()
        .map(|t| t.trim_end())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
    }

    /// `Enter` in the lessons review: archive this session and start a fresh one.
    pub(super) fn confirm_fresh(&mut self) -> Vec<Cmd> {
        let lessons = self.edited_lessons();
        self.overlay = None;
        self.session.lessons_editor = None;
        let predecessor = self.session.id.clone();
        tracing::info!(?predecessor, lessons = lessons.len(), "fresh session");
        self.conversation.clear();
        self.conversation.lessons = self.conversation.counted(lessons_part(&lessons));
        self.conversation.seeded = true;
        let step = self.session.step;
        self.session = super::session::SessionState {
            predecessor: predecessor.clone(),
            lessons: lessons.clone(),
            step,
            opened: true,
            pin: self.session.pin.clone(),
            ..Default::default()
        };
        self.set_draft("");
        self.offer_next();
        self.start_composing();
        // What the old session's notices said (the poisoning above all) is settled now.
        self.notice = None;
        self.notice_waiting = None;
        let text = format!(
            "Fresh session: seeded with the spec, the code, the results and {} lesson{}",
            lessons.len(),
            if lessons.len() == 1 { "" } else { "s" }
        );
        vec![
            Cmd::FreshSession {
                lessons,
                step,
                pin: self.session.pin.clone(),
            },
            self.notify(NoticeKind::Info, text),
        ]
    }

    /// The journal is open: `restored` is what it held (`None` for a new session).
    pub(super) fn on_session_opened(
        &mut self,
        id: String,
        restored: Option<Box<Restored>>,
        counts: Vec<u32>,
    ) -> Vec<Cmd> {
        self.session.id = Some(id);
        self.session.opened = true;
        let mut cmds = Vec::new();
        if let Some(r) = restored {
            cmds.extend(self.restore(*r, counts));
        }
        cmds.extend(self.on_pin_in_force());
        self.offer_next();
        cmds
    }

    /// Rebuilds the conversation and the loop's state from a restored session.
    fn restore(&mut self, r: Restored, counts: Vec<u32>) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        if !r.skipped.is_empty() {
            let lines: Vec<String> = r.skipped.iter().map(|(l, _)| l.to_string()).collect();
            cmds.push(self.notify(
                NoticeKind::Error,
                format!(
                    "Session journal: skipped unreadable line {} ({})",
                    lines.join(", "),
                    r.skipped[0].1
                ),
            ));
        }
        // The counts come from the tokenizer itself, loaded by the reader.
        let exact = counts.len() == r.messages.len();
        let interrupted = r
            .messages
            .iter()
            .any(|m| matches!(&m.status, RestoredStatus::Interrupted(w) if w == crate::session::restore::CUT_OFF));
        for (i, m) in r.messages.into_iter().enumerate() {
            let status = match m.status {
                RestoredStatus::Complete => MessageStatus::Complete,
                RestoredStatus::Interrupted(why) => MessageStatus::Interrupted(why),
                RestoredStatus::Damaged(why) => MessageStatus::Damaged(why),
                RestoredStatus::Failed(why) => MessageStatus::Failed(why),
            };
            let mut message = Message::new(m.role, m.text, status);
            message.kind = m.kind;
            message.corrects = m.corrects;
            message.tokens = counts
                .get(i)
                .copied()
                .unwrap_or((message.text.len() as u32).div_ceil(4));
            message.exact_count = exact;
            if m.role == Role::User && m.kind == PromptKind::Message {
                self.conversation.sent.push(message.text.clone());
            }
            self.conversation.messages.push(message);
        }
        self.conversation.revision += 1;
        self.conversation.follow = true;
        self.bump_ids(r.max_turn);
        self.session.corrections = r
            .corrections
            .iter()
            .map(|(k, n)| (Signature::from_key(k), *n))
            .collect();
        self.session.poisoned = r.poisoned.as_deref().map(Signature::from_key);
        if let Some(step) = r.step {
            self.session.step = step;
        }
        self.session.predecessor = r.predecessor;
        if !r.lessons.is_empty() || self.session.predecessor.is_some() {
            self.conversation.lessons = self.conversation.counted(lessons_part(&r.lessons));
            self.conversation.seeded = true;
        }
        self.session.lessons = r.lessons;
        self.session.pin = r.pin.map(|p| (p.version, p.hash));
        let turns = self
            .conversation
            .messages
            .iter()
            .filter(|m| m.role == Role::User)
            .count();
        if turns > 0 {
            let mut text = format!(
                "Resumed the session: {turns} turn{}",
                if turns == 1 { "" } else { "s" }
            );
            if interrupted {
                text.push_str("; the last reply was cut off and is kept as it was");
            }
            cmds.push(self.notify(NoticeKind::Info, text));
        }
        cmds
    }

    /// The record that ends a reply, for the journal.
    pub(super) fn end_record(turn: u64, status: &MessageStatus, usage: crate::llm::Usage) -> Cmd {
        let (status, error) = match status {
            MessageStatus::Complete | MessageStatus::Streaming => (EndStatus::Complete, None),
            MessageStatus::Interrupted(why) => (EndStatus::Interrupted, Some(why.clone())),
            MessageStatus::Damaged(why) => (EndStatus::Damaged, Some(why.clone())),
            MessageStatus::Failed(why) => (EndStatus::Failed, Some(why.clone())),
        };
        Self::journal(Record::End {
            turn,
            status,
            error,
            usage,
        })
    }

    /// The run that just finished, for the journal.
    pub(super) fn run_record(&self) -> Option<Cmd> {
        let last = self.results.last.as_ref()?;
        let r = &last.report;
        let count = |s| r.results.iter().filter(|t| t.status == s).count();
        Some(Self::journal(Record::Run {
            number: last.number,
            passed: count(TestStatus::Passed),
            failed: count(TestStatus::Failed),
            skipped: count(TestStatus::Skipped),
            failing: r
                .results
                .iter()
                .filter(|t| t.status == TestStatus::Failed)
                .take(50)
                .map(|t| t.name.clone())
                .collect(),
            exit_code: r.exit_code,
            timed_out: r.timed_out,
        }))
    }

    /// The request's parts before the history, in request order, for [`request::assemble`]:
    /// a fresh session ends its seed with the spec.
    pub(super) fn request_parts(&self) -> Vec<request::Part> {
        use crate::llm::context::SegmentKind as K;
        let conv = &self.conversation;
        conv.order()
            .iter()
            .take_while(|&&kind| kind != K::History)
            .filter_map(|&kind| {
                conv.part(kind).map(|c| request::Part {
                    kind,
                    text: c.text.clone(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
