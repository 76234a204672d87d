//! A reply's proposed changes: read and checked off the UI task, shown in the Code pane for
//! review (a damaged reply, or one editing tests in the Implement step, flagged), moved through
//! with `[`/`]`, discarded with `d`.

use super::state::ChangeView;
use crate::code::changes::{ChangeSet, ChangeState};
use crate::model::{Cmd, Model, NoticeKind, Pane};

impl Model {
    /// A reply ended with text: ask for its edits to be read and checked.
    pub fn propose_changes(&mut self, turn: u64, reply: &str) -> Option<Cmd> {
        (reply.contains("path=") || reply.contains("<<<<<<<")).then(|| Cmd::PrepareChanges {
            turn,
            reply: reply.to_string(),
        })
    }

    /// The reply's edits are checked and diffed.
    pub fn on_changes_ready(&mut self, set: ChangeSet) -> Vec<Cmd> {
        if set.files.is_empty() && set.refused.is_empty() {
            return Vec::new();
        }
        let files = set.files.len();
        let refused = set.refused.len();
        // Nothing applies: a fix round must not stall on it.
        if files == 0 {
            let reasons: Vec<String> = set.refused.iter().map(ToString::to_string).collect();
            if let Some(cmds) = self.fix_edits_refused(&reasons) {
                return cmds;
            }
        }
        let warning = self.damage_warning(&set).or_else(|| self.weakening(&set));
        self.code.changes = Some(ChangeView {
            set,
            selected: 0,
            full: false,
            warning: warning.clone(),
        });
        self.code.scroll = 0;
        if let Some(warning) = warning {
            // Never applied without a look, whatever `auto_apply` says; a fix loop cannot go
            // on without the apply, so it ends here (`run` would wait for it forever).
            self.set_focus(Pane::Code);
            let mut text = format!("{warning}: review before a/A");
            if self.session.fix.take().is_some() {
                text.push_str("; the fix loop stops");
            }
            return vec![self.notify(NoticeKind::Error, text)];
        }
        if self.config.loop_.auto_apply && files > 0 {
            return self.apply_changes(true);
        }
        self.set_focus(Pane::Code);
        let mut text = format!(
            "The reply proposes changes to {files} file{}: a applies, A all, d discards",
            if files == 1 { "" } else { "s" }
        );
        if refused > 0 {
            text = format!(
                "{text} ({refused} edit{} refused)",
                if refused == 1 { "" } else { "s" }
            );
        }
        vec![self.notify(NoticeKind::Info, text)]
    }

    /// A reply asked to implement that edits test files may be weakening them: say which.
    fn damage_warning(&self, set: &ChangeSet) -> Option<String> {
        (self.conversation.damaged.contains(&set.turn))
            .then(|| "⚠ The reply is damaged (a piece may be missing)".to_string())
    }

    fn weakening(&self, set: &ChangeSet) -> Option<String> {
        let step = self
            .session
            .turn_steps
            .get(&set.turn)
            .copied()
            .unwrap_or(self.session.step);
        if step != crate::session::Step::Implement {
            return None;
        }
        let tests = crate::workspace::glob_set(&self.config.code.tests).ok()?;
        let touched: Vec<String> = set
            .files
            .iter()
            .filter(|f| tests.is_match(&f.rel))
            .map(|f| f.rel.display().to_string())
            .collect();
        (!touched.is_empty()).then(|| {
            format!(
                "⚠ The Implement step should not edit tests, and this reply edits {}: a possible \
                 weakening",
                touched.join(", ")
            )
        })
    }

    /// Moves the selection among the changed files.
    pub fn select_change(&mut self, delta: isize) -> bool {
        let Some(view) = &mut self.code.changes else {
            return false;
        };
        let n = view.set.files.len();
        if n > 0 {
            view.selected = (view.selected as isize + delta).rem_euclid(n as isize) as usize;
            self.code.scroll = 0;
        }
        true
    }

    /// `d`: drops the selected file's change.
    pub fn discard_change(&mut self) -> Vec<Cmd> {
        let Some(view) = &mut self.code.changes else {
            return Vec::new();
        };
        if let Some(f) = view.set.files.get_mut(view.selected) {
            f.state = ChangeState::Discarded;
        }
        if view.set.pending() == 0 {
            self.code.changes = None;
            return vec![self.notify(NoticeKind::Info, "Proposed changes closed")];
        }
        Vec::new()
    }
}
