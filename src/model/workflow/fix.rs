//! The auto-test-and-fix loop: after an applied reply is judged, the failures go back to the
//! model for up to `[loop].fix_rounds` rounds, until green, out of rounds, or poisoned.

use super::prompts::{fix_prompt, refused_prompt};
use super::state::{Attempt, FixLoop, Judging};
use crate::model::{Cmd, Model, NoticeKind};
use crate::session::signature::{Failure, Signature};
use crate::session::{PromptKind, Step};

impl Model {
    /// The fix loop after a judged apply: the next round, or the end (green, out of rounds,
    /// poisoned).
    pub(crate) fn continue_fix_loop(&mut self, judging: Judging, failures: &[Failure]) -> Vec<Cmd> {
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
        let prompt = fix_prompt(round, max, failures);
        let targets: Vec<Signature> = failures.iter().map(|f| f.signature.clone()).collect();
        let notice =
            format!("Fix round {round}/{max}: the failures go back to the model · Esc stops");
        self.send_fix_round(FixLoop { round, max }, prompt, targets, notice)
    }

    /// Sends `fix`'s round with `prompt`, aimed at the failures `targets`, saying `notice`.
    fn send_fix_round(
        &mut self,
        fix: FixLoop,
        prompt: String,
        targets: Vec<Signature>,
        notice: String,
    ) -> Vec<Cmd> {
        self.session.fix = Some(fix);
        let corrects = targets.iter().map(Signature::key).collect();
        let kind = PromptKind::Fix {
            round: fix.round,
            of: fix.max,
        };
        let mut cmds = self.send_turn(prompt, kind, corrects);
        if let Some(turn) = &self.conversation.turn {
            self.session.attempt = Some(Attempt {
                turn: turn.id,
                targets,
            });
        }
        cmds.insert(0, self.notify(NoticeKind::Info, notice));
        cmds
    }

    /// A fix round's reply whose edits all failed to apply: the loop never stalls silently.
    /// With `auto_apply` the failure goes back to the model as the next round (while rounds
    /// remain); without it the loop stops and says what failed and what to do.
    pub(crate) fn fix_edits_refused(&mut self, refused: &[String]) -> Option<Vec<Cmd>> {
        let fix = self.session.fix?;
        let first = refused.first().cloned().unwrap_or_default();
        let more = match refused.len() {
            0 | 1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let round = fix.round + 1;
        if !self.config.loop_.auto_apply || round > fix.max {
            self.session.fix = None;
            let why = if round > fix.max {
                format!("out of rounds ({})", fix.max)
            } else {
                "auto_apply is off".to_string()
            };
            return Some(vec![self.notify(
                NoticeKind::Error,
                format!(
                    "Fix round {}/{} stalled: no edit applies: {first}{more}. The loop stops ({why}): i to ask again, r to rerun, F to start afresh",
                    fix.round, fix.max
                ),
            )]);
        }
        let prompt = refused_prompt(round, fix.max, refused);
        let targets = self
            .session
            .attempt
            .take()
            .map(|a| a.targets)
            .unwrap_or_default();
        let notice = format!(
            "Fix round {round}/{}: no edit applied ({first}); sent back · Esc stops",
            fix.max
        );
        let next = FixLoop {
            round,
            max: fix.max,
        };
        Some(self.send_fix_round(next, prompt, targets, notice))
    }

    /// `Esc` with no reply streaming: stop the fix loop.
    pub(crate) fn stop_fix_loop(&mut self) -> Vec<Cmd> {
        match self.session.fix.take() {
            Some(fix) => vec![self.notify(
                NoticeKind::Info,
                format!("Fix loop stopped after round {}", fix.round),
            )],
            None => Vec::new(),
        }
    }
}
