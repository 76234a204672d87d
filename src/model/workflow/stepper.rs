//! The stepper (Spec → Tests → Implement → Verify): how the current step stands once the run
//! and the scan are settled, moving on when an applied reply did its step, and what a settled
//! evaluation means for a pending fix attempt and the fix loop.

use super::state::Verdict;
use crate::model::{Cmd, Model, NoticeKind};
use crate::runner::result::TestStatus;
use crate::session::journal::Record;
use crate::session::signature::{self, Failure};
use crate::session::{CorrectionSource, Step};

impl Model {
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
    pub(crate) fn after_settle(&mut self) -> Vec<Cmd> {
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
        match self.presenter_holds_fix(judging, &failures) {
            Some(arrived) => cmds.extend(arrived),
            None => cmds.extend(self.continue_fix_loop(judging, &failures)),
        }
        cmds
    }

    /// Whether a step behind the current one still holds, so the stepper may mark it ✓: the
    /// spec pinned and sound, tests there, the implementation green with every clause holding.
    pub fn step_holds(&self, step: Step) -> bool {
        let last = self.results.last.as_ref().map(|l| &l.report);
        match step {
            Step::Spec => self.spec.pinned.as_ref().is_some_and(|p| {
                !p.spec.clauses.is_empty() && !p.spec.clauses.iter().any(|c| c.is_invalid())
            }),
            Step::Tests => last.is_some_and(|r| !r.results.is_empty()),
            Step::Implement | Step::Verify => {
                last.is_some_and(|r| r.passed()) && self.spec.eval.counts().violated == 0
            }
        }
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
    pub(crate) fn move_step(&mut self, forward: bool) -> Vec<Cmd> {
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
    pub(crate) fn on_pin_in_force(&mut self) -> Vec<Cmd> {
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
}
