//! The loop through `update`: a model on a real temporary workspace, its commands carried out
//! by a small in-test executor (real scans, extraction, checked applies; scripted test runs),
//! so the stepper, the fix loop, corrections and the fresh-session seed are tested as a whole.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::config::Config;
use crate::llm::Role;
use crate::llm::client::ReplyEvent;
use crate::model::{AppEvent, Cmd, Model, Msg, Overlay, ScanOutcome, update};
use crate::runner::process::RunReport;
use crate::runner::result::{TestResult, TestStatus};
use crate::session::journal::Record;
use crate::session::signature::Signature;
use crate::session::{CorrectionSource, PromptKind, Step};
use crate::spec::pin::{Pin, PinsFound, content_hash};

const SPEC: &str = "# Limiter\n\n## Clauses\n\
- [R1] Refuses over the limit. `test: *over_limit*`\n\
- [R4] Uses a deque. `require: \\bdeque\\(`\n";

/// A model on a temporary workspace and the effects it asked for.
struct Loop {
    m: Model,
    dir: tempfile::TempDir,
    /// What the next test run reports.
    results: Vec<TestResult>,
    journal: Vec<Record>,
    /// Prompts sent, with their kind.
    sent: Vec<(String, PromptKind)>,
}

fn passed(name: &str) -> TestResult {
    TestResult::new(name, TestStatus::Passed)
}

fn failed(name: &str, message: &str) -> TestResult {
    let mut r = TestResult::new(name, TestStatus::Failed);
    r.message = Some(message.into());
    r
}

/// A reply that writes `rate.py` whole.
fn writes(code: &str) -> String {
    format!("Here:\n\n```python path=rate.py\n{code}```\n")
}

impl Loop {
    fn new(config: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("rate.py"),
            "def allow():\n    return True\n",
        )
        .unwrap();
        let theme = crate::theme::ThemeSource::default()
            .load("default")
            .unwrap();
        let mut cfg = Config::default();
        cfg.loop_.auto_apply = true;
        config(&mut cfg);
        let mut m = Model::new(dir.path().to_path_buf(), "w".into(), cfg, theme);
        update(&mut m, Msg::Resize(120, 40));
        let mut l = Loop {
            m,
            dir,
            results: Vec::new(),
            journal: Vec::new(),
            sent: Vec::new(),
        };
        let pin = Pin {
            version: 1,
            hash: content_hash(SPEC),
            text: SPEC.into(),
            spec_path: "SPEC.md".into(),
            pinned_at: 0,
        };
        let cmds = update(
            &mut l.m,
            Msg::Event(AppEvent::SpecLoaded {
                disk: Ok(SPEC.into()),
                pins: Ok(PinsFound {
                    latest: Some(pin),
                    corrupted: Vec::new(),
                }),
            }),
        );
        l.drive(cmds);
        l
    }

    /// Carries out `cmds` (and what their results ask for in turn).
    fn drive(&mut self, cmds: Vec<Cmd>) {
        let mut queue: std::collections::VecDeque<Cmd> = cmds.into();
        while let Some(cmd) = queue.pop_front() {
            let event = match cmd {
                Cmd::Scan { plan, paths } => {
                    let root = self.dir.path();
                    let outcome = match paths {
                        None => ScanOutcome::Full(crate::spec::scan::scan_all(root, &plan.plan)),
                        Some(p) => {
                            ScanOutcome::Files(crate::spec::scan::rescan(root, &plan.plan, &p))
                        }
                    };
                    AppEvent::Scanned {
                        plan_id: plan.id,
                        outcome,
                    }
                }
                Cmd::StartRun { id } => {
                    let results = self.results.clone();
                    let failed = results.iter().any(|r| r.status == TestStatus::Failed);
                    AppEvent::RunFinished {
                        id,
                        report: Box::new(RunReport {
                            command: "t".into(),
                            exit_code: Some(i32::from(failed)),
                            timed_out: false,
                            cancelled: false,
                            duration: std::time::Duration::from_millis(3),
                            format: None,
                            results,
                            output: Default::default(),
                            error: None,
                            ended: tokio::time::Instant::now(),
                        }),
                    }
                }
                Cmd::PrepareChanges { turn, reply } => {
                    let extracted = crate::code::extract::extract(&reply);
                    AppEvent::ChangesReady(crate::code::changes::prepare(
                        self.dir.path(),
                        turn,
                        &extracted.edits,
                        &extracted.problems,
                        None,
                    ))
                }
                Cmd::Apply { label, files } => {
                    let done = crate::code::changes::apply(self.dir.path(), &label, &files, None)
                        .map(|cp| crate::model::review::ApplyDone {
                            label,
                            files: cp
                                .files
                                .into_iter()
                                .map(|f| crate::model::review::Wrote {
                                    rel: f.rel,
                                    hash: f.after.as_deref().map(crate::files::hash),
                                })
                                .collect(),
                        })
                        .map_err(|e| e.to_string());
                    AppEvent::Applied(done)
                }
                Cmd::Journal(record) => {
                    self.journal.push(record);
                    continue;
                }
                Cmd::Send { prompt, kind, .. } => {
                    self.sent.push((prompt, kind));
                    continue;
                }
                _ => continue,
            };
            queue.extend(update(&mut self.m, Msg::Event(event)));
        }
    }

    fn key(&mut self, code: KeyCode, modifiers: KeyModifiers) {
        let cmds = update(&mut self.m, Msg::Key(KeyEvent::new(code, modifiers)));
        self.drive(cmds);
    }

    /// Sends `text` from the composer (or what it offers, when `text` is empty).
    fn say(&mut self, text: &str) {
        self.key(KeyCode::Char('i'), KeyModifiers::NONE);
        if !text.is_empty() {
            self.m.set_draft(text);
        }
        self.key(KeyCode::Enter, KeyModifiers::NONE);
        self.key(KeyCode::Esc, KeyModifiers::NONE);
    }

    /// The model answers the turn in flight with `text`; the next run reports `results`.
    fn answer(&mut self, text: &str, results: Vec<TestResult>) {
        self.results = results;
        let turn = self
            .m
            .conversation
            .turn
            .as_ref()
            .expect("a turn in flight")
            .id;
        let at = tokio::time::Instant::now();
        let mut cmds = update(
            &mut self.m,
            Msg::Event(AppEvent::Reply {
                turn,
                event: ReplyEvent::Delta(text.into()),
                at,
            }),
        );
        cmds.extend(update(
            &mut self.m,
            Msg::Event(AppEvent::ReplyEnded {
                turn,
                result: Ok(()),
            }),
        ));
        self.drive(cmds);
    }

    fn count(&self, subject: &str, kind: &str) -> u32 {
        self.m.session.count(&Signature {
            subject: subject.into(),
            kind: kind.into(),
        })
    }
}

#[test]
fn a_pinned_spec_moves_the_stepper_to_tests_and_offers_its_prompt() {
    let mut l = Loop::new(|_| {});
    assert_eq!(l.m.session.step, Step::Tests);
    assert_eq!(l.m.draft(), crate::assets::PROMPT_TESTS.trim_end());
    assert!(l.journal.contains(&Record::Step { step: Step::Tests }));
    assert!(matches!(l.journal[0], Record::Pinned { version: 1, .. }));
    // The user moves freely: the offer follows the step.
    l.key(KeyCode::Char('s'), KeyModifiers::NONE);
    assert_eq!(l.m.session.step, Step::Implement);
    assert_eq!(l.m.draft(), crate::assets::PROMPT_IMPLEMENT.trim_end());
    l.key(KeyCode::Char('S'), KeyModifiers::NONE);
    l.key(KeyCode::Char('S'), KeyModifiers::NONE);
    l.key(KeyCode::Char('S'), KeyModifiers::NONE);
    assert_eq!(l.m.session.step, Step::Spec, "the first step stays");
    assert_eq!(l.m.draft(), "", "the spec step has no prompt");
}

#[test]
fn new_tests_must_fail_on_their_assertions_before_the_step_is_done() {
    let mut l = Loop::new(|_| {});
    l.say("");
    // The tests fail for the wrong reason: the stepper stays and says why.
    l.answer(
        &writes("import missing\n"),
        vec![failed(
            "t.T.test_over_limit",
            "ModuleNotFoundError: No module named 'missing'",
        )],
    );
    let v = l.m.session.verdict.clone().unwrap();
    assert!(!v.ok);
    assert!(
        v.text
            .contains("wrong reason: test_over_limit (ModuleNotFoundError)"),
        "{}",
        v.text
    );
    assert_eq!(l.m.session.step, Step::Tests);
    assert!(
        l.m.session.fix.is_none(),
        "failing tests are the point of this step"
    );
    // Failing on assertions: done, on to Implement.
    l.say("Again, without the import.");
    l.answer(
        &writes("def allow():\n    return True\n\n\n# tests\n"),
        vec![failed(
            "t.T.test_over_limit",
            "AssertionError: True is not false",
        )],
    );
    assert_eq!(l.m.session.step, Step::Implement);
    assert!(l.journal.contains(&Record::Step {
        step: Step::Implement
    }));
    assert_eq!(l.m.draft(), crate::assets::PROMPT_IMPLEMENT.trim_end());
}

#[test]
fn the_same_failure_after_two_fixes_poisons_the_session_and_stops_the_loop() {
    let mut l = Loop::new(|c| {
        c.loop_.fix_rounds = 3;
        c.loop_.fresh_after = 2;
    });
    l.key(KeyCode::Char('s'), KeyModifiers::NONE); // Implement
    l.say("");
    // The implementation passes the tests but keeps a list: R4 is violated.
    l.answer(&writes("hits = []\n"), vec![passed("t.T.test_over_limit")]);
    assert_eq!(
        l.count("R4", "violated"),
        0,
        "a first attempt is no correction"
    );
    assert_eq!(l.m.session.fix, Some(FixLoop { round: 1, max: 3 }));
    let (prompt, kind) = l.sent.last().unwrap().clone();
    assert_eq!(kind, PromptKind::Fix { round: 1, of: 3 });
    assert!(prompt.starts_with("Fix round 1 of 3"), "{prompt}");
    assert!(prompt.contains("- R4: Uses a deque."), "{prompt}");
    assert!(
        !prompt.contains("test_over_limit"),
        "passing tests are not sent"
    );
    // Round 1 keeps the list: the same class is corrected once.
    l.answer(
        &writes("hits = list()\n"),
        vec![passed("t.T.test_over_limit")],
    );
    assert_eq!(l.count("R4", "violated"), 1);
    assert_eq!(l.m.session.fix.unwrap().round, 2);
    assert!(l.m.session.poisoned.is_none());
    // Round 2 brings it back again: poisoned, and the loop stops instead of digging deeper.
    l.answer(
        &writes("hits = [0][:0]\n"),
        vec![passed("t.T.test_over_limit")],
    );
    assert_eq!(l.count("R4", "violated"), 2);
    let poisoned = l.m.session.poisoned.clone().unwrap();
    assert_eq!(poisoned.to_string(), "R4 · violated");
    assert!(l.m.session.fix.is_none());
    assert!(l.m.conversation.turn.is_none(), "no third round was sent");
    assert_eq!(l.sent.len(), 3);
    assert!(l.journal.contains(&Record::Poisoned {
        class: "R4 · violated".into()
    }));
    let counts: Vec<u32> = l
        .journal
        .iter()
        .filter_map(|r| match r {
            Record::Correction { count, source, .. } => {
                assert_eq!(*source, CorrectionSource::Fix);
                Some(*count)
            }
            _ => None,
        })
        .collect();
    assert_eq!(counts, [1, 2]);
}

#[test]
fn different_failures_do_not_add_up() {
    let mut l = Loop::new(|c| {
        c.loop_.fix_rounds = 5;
        c.loop_.fresh_after = 2;
    });
    l.key(KeyCode::Char('s'), KeyModifiers::NONE);
    l.say("");
    l.answer(
        &writes("q = deque()\n"),
        vec![failed("t.T.test_over_limit", "AssertionError: 1 != 2")],
    );
    // Each fix trades one failure for another: no class is corrected twice.
    l.answer(
        &writes("q = deque() # a\n"),
        vec![failed("t.T.test_over_limit", "TypeError: bad operand")],
    );
    l.answer(
        &writes("q = deque() # b\n"),
        vec![failed("t.T.test_over_limit", "AssertionError: 1 != 2")],
    );
    assert_eq!(l.count("t.T.test_over_limit", "AssertionError"), 0);
    assert_eq!(l.count("t.T.test_over_limit", "TypeError"), 0);
    assert!(l.m.session.poisoned.is_none());
    assert_eq!(l.m.session.fix.unwrap().round, 3);
    // And green ends the loop.
    l.answer(
        &writes("q = deque() # c\n"),
        vec![passed("t.T.test_over_limit")],
    );
    assert!(l.m.session.fix.is_none());
    assert!(
        l.m.notice
            .as_ref()
            .unwrap()
            .text
            .contains("Green after 3 fix rounds")
    );
    assert_eq!(
        l.m.session.step,
        Step::Verify,
        "green and every clause holds"
    );
    assert!(l.m.session.verdict.as_ref().unwrap().ok);
}

#[test]
fn the_fix_loop_stops_at_its_round_limit() {
    let mut l = Loop::new(|c| {
        c.loop_.fix_rounds = 2;
        c.loop_.fresh_after = 10;
    });
    l.key(KeyCode::Char('s'), KeyModifiers::NONE);
    l.say("");
    let failing = || vec![failed("t.T.test_over_limit", "AssertionError: no")];
    l.answer(&writes("q = deque() # 0\n"), failing());
    l.answer(&writes("q = deque() # 1\n"), failing());
    l.answer(&writes("q = deque() # 2\n"), failing());
    assert_eq!(l.sent.len(), 3, "the implementation and two fix rounds");
    assert!(l.m.session.fix.is_none());
    assert!(l.m.conversation.turn.is_none());
    let notice = &l.m.notice.as_ref().unwrap().text;
    assert!(
        notice.contains("Still failing after 2 fix rounds"),
        "{notice}"
    );
    assert_eq!(l.count("t.T.test_over_limit", "AssertionError"), 2);
}

#[test]
fn esc_stops_the_fix_loop() {
    let mut l = Loop::new(|_| {});
    l.key(KeyCode::Char('s'), KeyModifiers::NONE);
    l.say("");
    l.answer(&writes("hits = []\n"), vec![passed("t.T.test_over_limit")]);
    assert!(l.m.session.fix.is_some());
    l.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(l.m.session.fix.is_none());
    assert!(
        l.m.conversation.turn.is_none(),
        "the streaming fix round is cancelled"
    );
}

#[test]
fn a_marked_correction_counts_against_the_clause_it_names() {
    let mut l = Loop::new(|c| c.loop_.fix_rounds = 0);
    l.key(KeyCode::Char('s'), KeyModifiers::NONE);
    l.say("");
    l.answer(&writes("hits = []\n"), vec![passed("t.T.test_over_limit")]);
    assert!(l.m.session.fix.is_none(), "no fix rounds configured");
    l.key(KeyCode::Char('i'), KeyModifiers::NONE);
    l.m.set_draft("R4 says a deque, not a list.");
    l.key(KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert!(l.m.session.marked);
    l.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(!l.m.session.marked, "the mark goes with the message");
    assert_eq!(l.count("R4", "violated"), 1);
    let user =
        l.m.conversation
            .messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .unwrap();
    assert_eq!(user.corrects, vec!["R4 · violated".to_string()]);
    assert!(l.journal.contains(&Record::Correction {
        class: "R4 · violated".into(),
        count: 1,
        source: CorrectionSource::User,
    }));
    // Its reply is a fix attempt: the same failure back makes it two, and poisoned.
    l.answer(&writes("hits = [1]\n"), vec![passed("t.T.test_over_limit")]);
    assert_eq!(l.count("R4", "violated"), 2);
    assert!(l.m.session.poisoned.is_some());
}

#[test]
fn the_fresh_seed_is_deterministic_with_the_spec_last() {
    let mut l = Loop::new(|c| c.loop_.fresh_after = 1);
    l.m.on_code_context(
        "# The code in scope\n\n```python path=rate.py\nx\n```\n".into(),
        9,
    );
    l.key(KeyCode::Char('s'), KeyModifiers::NONE);
    l.say("");
    l.answer(&writes("hits = []\n"), vec![passed("t.T.test_over_limit")]);
    l.answer(&writes("hits = [2]\n"), vec![passed("t.T.test_over_limit")]);
    assert!(l.m.session.poisoned.is_some());
    let poisoned = l.m.notice.clone().unwrap();
    assert!(poisoned.text.starts_with("Session likely poisoned"));
    l.key(KeyCode::Char('F'), KeyModifiers::NONE);
    assert_eq!(l.m.overlay, Some(Overlay::Fresh));
    let lessons = l.m.edited_lessons();
    assert_eq!(
        lessons,
        vec![
            "R4: required `\\bdeque\\(` not found in the code files (corrected 1×); the spec \
             says: Uses a deque."
                .to_string()
        ]
    );
    let seed = l.m.seed(&lessons);
    let expected = format!(
        "# The code in scope\n\n```python path=rate.py\nx\n```\n\n{}\n\n{}",
        lessons_part(&lessons).trim_end(),
        l.m.conversation.spec.text.trim_end()
    );
    assert_eq!(seed, expected);
    assert!(
        seed.ends_with("- [R4] Uses a deque. `require: \\bdeque\\(`"),
        "the spec is last"
    );
    assert!(l.m.seed_tokens() > 0);
    // The user edits the lessons, then starts fresh.
    if let Some(editor) = &mut l.m.session.lessons_editor {
        editor.insert_newline();
        editor.insert_str("Never keep the window in a list.");
    }
    let before = l.m.conversation.context_use(8192).used();
    l.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(l.m.overlay, None);
    assert!(l.m.conversation.messages.is_empty());
    assert!(l.m.session.corrections.is_empty() && l.m.session.poisoned.is_none());
    // The old session's error notice goes with it: it does not hold back the new one's news.
    let notice = l.m.notice.clone().unwrap();
    assert!(
        notice.text.starts_with("Fresh session: seeded"),
        "{notice:?}"
    );
    assert!(l.m.notice_waiting.is_none());
    assert_eq!(l.m.session.step, Step::Implement, "the step carries over");
    assert_eq!(l.m.session.lessons.len(), 2);
    assert!(l.m.conversation.seeded);
    assert!(
        l.m.conversation.context_use(8192).used() < before,
        "a near-empty gauge"
    );
    // Its requests end the seed with the spec, right before the conversation.
    l.say("");
    let parts = l.m.request_parts();
    let kinds: Vec<_> = parts.iter().map(|p| p.kind).collect();
    use crate::llm::context::SegmentKind as K;
    assert_eq!(kinds, [K::System, K::Code, K::Tests, K::Lessons, K::Spec]);
    assert!(parts[3].text.contains("Never keep the window in a list."));
}

#[test]
fn an_implement_reply_that_edits_tests_is_flagged_and_never_auto_applied() {
    let mut l = Loop::new(|_| {});
    l.key(KeyCode::Char('s'), KeyModifiers::NONE); // Implement
    l.say("");
    let reply = "Done.\n\n```python path=test_rate.py\ndef test_r1_over_limit():\n    pass\n```\n";
    l.answer(reply, vec![passed("t.T.test_over_limit")]);
    let view =
        l.m.code
            .changes
            .as_ref()
            .expect("the change waits for review");
    let warning = view.warning.as_deref().unwrap();
    assert!(
        warning.contains("edits test_rate.py: a possible weakening"),
        "{warning}"
    );
    assert!(!l.dir.path().join("test_rate.py").exists(), "not applied");
    assert!(
        l.m.notice
            .as_ref()
            .unwrap()
            .text
            .contains("review before a/A")
    );
}

#[test]
fn pinning_a_new_version_under_a_conversation_offers_a_fresh_session() {
    let mut l = Loop::new(|_| {});
    l.say("Hello.");
    l.answer("Hi.", Vec::new());
    let v2 = format!("{SPEC}- [R5] Thread-safe.\n");
    let pin = Pin {
        version: 2,
        hash: content_hash(&v2),
        text: v2.clone(),
        spec_path: "SPEC.md".into(),
        pinned_at: 0,
    };
    let cmds = update(
        &mut l.m,
        Msg::Event(AppEvent::Pinned(Ok(crate::spec::pin::Pinned {
            pin,
            created: true,
        }))),
    );
    l.drive(cmds);
    assert!(l.journal.contains(&Record::Pinned {
        version: 2,
        hash: content_hash(&v2)
    }));
    let notice = &l.m.notice.as_ref().unwrap().text;
    assert!(
        notice.contains("The spec is now v2") && notice.contains("F starts a fresh session"),
        "{notice}"
    );
}

#[test]
fn a_step_behind_is_marked_done_only_while_it_holds() {
    let mut l = Loop::new(|c| c.loop_.fix_rounds = 0);
    l.key(KeyCode::Char('s'), KeyModifiers::NONE); // Implement
    l.say("");
    l.answer(
        &writes("from collections import deque\nhits = deque()\n"),
        vec![passed("t.T.test_over_limit")],
    );
    assert_eq!(l.m.session.step, Step::Verify);
    assert!(
        l.m.step_holds(Step::Implement),
        "green, every clause holding"
    );
    // The code breaks again: Implement is no longer done.
    l.say("Use a list after all.");
    l.answer(&writes("hits = []\n"), vec![passed("t.T.test_over_limit")]);
    assert!(!l.m.step_holds(Step::Implement), "R4 is violated");
    assert!(l.m.step_holds(Step::Tests) && l.m.step_holds(Step::Spec));
}
