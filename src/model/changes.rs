//! The proposed changes of a reply in the Code pane: review, apply (one file or all), discard,
//! undo and redo, and which files were edited by hand after specbench wrote them.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Cmd, Model, NoticeKind, Overlay, Pane};
use crate::code::changes::{ChangeSet, ChangeState};
use crate::code::safety;

/// A reply's change set under review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeView {
    pub set: ChangeSet,
    /// The file shown.
    pub selected: usize,
    /// The whole new file instead of the diff.
    pub full: bool,
    /// Why this change deserves a second look (it edits tests in the Implement step).
    pub warning: Option<String>,
}

/// How an undo or redo ended, in the terms the user acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoOutcome {
    /// Done: the checkpoint's label and the files put back.
    Done { label: String, files: Vec<PathBuf> },
    /// These files changed by hand since; nothing was touched.
    ChangedSince(Vec<PathBuf>),
    /// Nothing to undo (or redo), or it failed; why in words.
    Failed(String),
}

/// One checkpoint as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointItem {
    pub id: u64,
    pub label: String,
    pub files: usize,
}

/// What specbench wrote, to tell its own writes from a human's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authorship {
    /// Hash of the text specbench last wrote to each file (as displayed: LF, tabs expanded).
    pub written: HashMap<PathBuf, String>,
    /// Files changed by hand after specbench wrote them.
    pub human: Vec<PathBuf>,
}

/// The display form of a file's text, which is what a reload compares.
fn display_hash(text: &str) -> String {
    safety::hash(&crate::workspace::FileText::from_text(text).lines.join("\n"))
}

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
            self.focus = Pane::Code;
            let mut text = format!("{warning}: review before a/A");
            if self.session.fix.take().is_some() {
                text.push_str("; the fix loop stops");
            }
            return vec![self.notify(NoticeKind::Error, text)];
        }
        if self.config.loop_.auto_apply && files > 0 {
            return self.apply_changes(true);
        }
        self.focus = Pane::Code;
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

    /// `a` / `A`: writes the selected (or every) pending file.
    pub fn apply_changes(&mut self, all: bool) -> Vec<Cmd> {
        let Some(view) = &self.code.changes else {
            return vec![self.notify(NoticeKind::Info, "No proposed changes to apply")];
        };
        let files: Vec<(PathBuf, Option<String>, String)> = view
            .set
            .files
            .iter()
            .enumerate()
            .filter(|(i, f)| f.state == ChangeState::Pending && (all || *i == view.selected))
            .map(|(_, f)| (f.rel.clone(), f.before.clone(), f.after.clone()))
            .collect();
        if files.is_empty() {
            return vec![self.notify(NoticeKind::Info, "Nothing pending to apply")];
        }
        let names: Vec<String> = files
            .iter()
            .map(|(rel, ..)| rel.display().to_string())
            .collect();
        let label = format!("reply {}: {}", view.set.turn, names.join(", "));
        // The run that judges this apply is any run started from now on: the watcher may see
        // the write before the apply reports back.
        let turn = view.set.turn;
        let step = self
            .session
            .turn_steps
            .get(&turn)
            .copied()
            .unwrap_or(self.session.step);
        self.session.judging = Some(super::session::Judging {
            turn,
            step,
            floor: self.peek_id(),
        });
        vec![Cmd::Apply { label, files }]
    }

    /// The apply finished: mark the files, remember what was written, and set up the run
    /// that judges it (started here when no watcher will see the write).
    pub fn on_applied(&mut self, result: Result<(String, Vec<PathBuf>), String>) -> Vec<Cmd> {
        let (label, applied) = match result {
            Ok(done) => done,
            Err(e) => {
                self.session.judging = None;
                return vec![self.notify(NoticeKind::Error, format!("Not applied: {e}"))];
            }
        };
        let mut cmds = vec![Self::journal(crate::session::journal::Record::Applied {
            label: label.clone(),
            files: applied.iter().map(|p| p.display().to_string()).collect(),
        })];
        if !self.watching {
            cmds.extend(self.reload_changed(&applied));
            if self.config.loop_.auto_test {
                cmds.extend(super::update::rerun(
                    self,
                    super::results::Trigger::Applied(applied.len()),
                ));
            }
        }
        if let Some(view) = &mut self.code.changes {
            for f in &mut view.set.files {
                if applied.contains(&f.rel) {
                    f.state = ChangeState::Applied;
                    self.authorship
                        .written
                        .insert(f.rel.clone(), display_hash(&f.after));
                    self.authorship.human.retain(|p| *p != f.rel);
                }
            }
            if view.set.pending() == 0 {
                self.code.changes = None;
            }
        }
        tracing::info!(%label, files = applied.len(), "changes applied");
        cmds.push(self.notify(
            NoticeKind::Info,
            format!("Applied {} · u undoes", names(&applied)),
        ));
        cmds
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

    /// `u` / `U`: ask for the last apply to be undone (or the last undo redone).
    pub fn undo(&mut self, redo: bool) -> Vec<Cmd> {
        vec![Cmd::Undo { redo, force: false }]
    }

    /// The checkpoint list arrived: show it, the newest applied one selected.
    pub fn on_checkpoints(
        &mut self,
        listed: Result<(Vec<CheckpointItem>, usize), String>,
    ) -> Vec<Cmd> {
        match listed {
            Ok((items, _)) if items.is_empty() => {
                vec![self.notify(
                    NoticeKind::Info,
                    "No checkpoints yet: every apply makes one",
                )]
            }
            Ok((items, applied)) => {
                self.overlay = Some(Overlay::Checkpoints {
                    items,
                    applied,
                    selected: applied.saturating_sub(1),
                });
                Vec::new()
            }
            Err(e) => vec![self.notify(NoticeKind::Error, format!("Checkpoints: {e}"))],
        }
    }

    /// `Enter` in the checkpoint list: undo or redo until the selected checkpoint is the last
    /// one applied.
    pub fn travel_to(&mut self, applied: usize, selected: usize) -> Vec<Cmd> {
        self.overlay = None;
        let steps = (selected + 1) as isize - applied as isize;
        if steps == 0 {
            return Vec::new();
        }
        vec![Cmd::Travel { steps }]
    }

    /// An undo or redo finished.
    pub fn on_undone(&mut self, redo: bool, outcome: UndoOutcome) -> Vec<Cmd> {
        let verb = if redo { "Redid" } else { "Undid" };
        match outcome {
            UndoOutcome::Done { label, files } => {
                for f in &files {
                    self.authorship.written.remove(f);
                }
                let mut cmds = vec![Self::journal(crate::session::journal::Record::Undone {
                    label: label.clone(),
                    files: files.iter().map(|p| p.display().to_string()).collect(),
                    redo,
                })];
                if !self.watching {
                    cmds.extend(self.reload_changed(&files));
                    cmds.extend(super::update::rerun(
                        self,
                        super::results::Trigger::Applied(files.len()),
                    ));
                }
                cmds.push(self.notify(NoticeKind::Info, format!("{verb} {label}")));
                cmds
            }
            UndoOutcome::ChangedSince(paths) => {
                self.overlay = Some(Overlay::ConfirmUndo { redo, paths });
                Vec::new()
            }
            UndoOutcome::Failed(why) => vec![self.notify(NoticeKind::Info, why)],
        }
    }

    /// A file was (re)loaded: if specbench wrote it and it is not what was written, a human
    /// edited it since.
    pub fn check_authorship(&mut self, path: &PathBuf, lines: &[String]) -> Option<Cmd> {
        let written = self.authorship.written.get(path)?;
        if *written == safety::hash(&lines.join("\n")) {
            return None;
        }
        self.authorship.written.remove(path);
        if !self.authorship.human.contains(path) {
            self.authorship.human.push(path.clone());
        }
        tracing::info!(path = %path.display(), "human edit after specbench wrote the file");
        Some(self.notify(
            NoticeKind::Info,
            format!(
                "{} was edited by hand since specbench wrote it",
                path.display()
            ),
        ))
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
}

/// File names for a notice.
fn names(files: &[PathBuf]) -> String {
    match files {
        [one] => one.display().to_string(),
        many => format!("{} files", many.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::changes::{FileChange, diff_lines};
    use crate::config::Config;
    use crate::model::{AppEvent, Msg, update};
    use crate::workspace::FileText;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn model(auto_apply: bool) -> Model {
        let theme = crate::theme::ThemeSource::default()
            .load("default")
            .unwrap();
        let mut config = Config::default();
        config.loop_.auto_apply = auto_apply;
        let mut m = Model::new(PathBuf::from("/w"), "w".into(), config, theme);
        update(&mut m, Msg::Resize(120, 40));
        m
    }

    fn set() -> ChangeSet {
        let change = |name: &str, before: &str, after: &str| FileChange {
            rel: name.into(),
            before: Some(before.into()),
            after: after.into(),
            diff: diff_lines(before, after),
            added: 1,
            removed: 1,
            state: ChangeState::Pending,
        };
        ChangeSet {
            turn: 4,
            files: vec![
                change("a.py", "x = 1\n", "x = 2\n"),
                change("b.py", "y\n", "z\n"),
            ],
            refused: Vec::new(),
        }
    }

    fn key(m: &mut Model, c: char) -> Vec<Cmd> {
        update(
            m,
            Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        )
    }

    #[test]
    fn a_applies_the_file_shown_and_capital_a_the_rest() {
        let mut m = model(false);
        update(&mut m, Msg::Event(AppEvent::ChangesReady(set())));
        assert_eq!(m.focus, Pane::Code);
        let cmds = key(&mut m, 'a');
        let [Cmd::Apply { files, .. }] = cmds.as_slice() else {
            panic!("{cmds:?}");
        };
        assert_eq!(
            files,
            &vec![(
                PathBuf::from("a.py"),
                Some("x = 1\n".into()),
                "x = 2\n".into()
            )]
        );
        let done = Ok(("reply 4: a.py".to_string(), vec![PathBuf::from("a.py")]));
        update(&mut m, Msg::Event(AppEvent::Applied(done)));
        let view = m.code.changes.as_ref().unwrap();
        assert_eq!(view.set.files[0].state, ChangeState::Applied);
        key(&mut m, ']');
        let cmds = key(&mut m, 'A');
        let [Cmd::Apply { files, .. }] = cmds.as_slice() else {
            panic!("{cmds:?}");
        };
        assert_eq!(files.len(), 1, "only what is still pending");
        let done = Ok(("reply 4: b.py".to_string(), vec![PathBuf::from("b.py")]));
        update(&mut m, Msg::Event(AppEvent::Applied(done)));
        assert!(
            m.code.changes.is_none(),
            "nothing left to decide: the view closes"
        );
    }

    #[test]
    fn d_discards_and_the_view_closes_when_nothing_is_pending() {
        let mut m = model(false);
        update(&mut m, Msg::Event(AppEvent::ChangesReady(set())));
        key(&mut m, 'd');
        assert!(m.code.changes.is_some());
        key(&mut m, ']');
        key(&mut m, 'd');
        assert!(m.code.changes.is_none());
    }

    #[test]
    fn auto_apply_writes_without_asking() {
        let mut m = model(true);
        let cmds = update(&mut m, Msg::Event(AppEvent::ChangesReady(set())));
        assert!(matches!(cmds.as_slice(), [Cmd::Apply { files, .. }] if files.len() == 2));
    }

    #[test]
    fn a_damaged_reply_is_never_applied_without_a_look() {
        let mut m = model(true);
        m.conversation.damaged.insert(set().turn);
        m.session.fix = Some(crate::model::session::FixLoop { round: 1, max: 3 });
        let cmds = update(&mut m, Msg::Event(AppEvent::ChangesReady(set())));
        assert!(m.session.fix.is_none(), "the fix loop waits for no look");
        assert!(
            m.notice
                .as_ref()
                .unwrap()
                .text
                .ends_with("; the fix loop stops")
        );
        assert!(
            !cmds.iter().any(|c| matches!(c, Cmd::Apply { .. })),
            "{cmds:?}"
        );
        assert_eq!(m.focus, Pane::Code);
        let warning = m.code.changes.as_ref().and_then(|v| v.warning.clone());
        assert_eq!(
            warning.as_deref(),
            Some("⚠ The reply is damaged (a piece may be missing)")
        );
    }

    #[test]
    fn a_later_change_specbench_did_not_make_is_a_human_edit() {
        let mut m = model(false);
        update(&mut m, Msg::Event(AppEvent::ChangesReady(set())));
        let done = Ok(("reply 4".to_string(), vec![PathBuf::from("a.py")]));
        update(&mut m, Msg::Event(AppEvent::Applied(done)));
        let path = PathBuf::from("a.py");
        assert!(
            m.check_authorship(&path, &FileText::from_text("x = 2\n").lines)
                .is_none()
        );
        let cmd = m.check_authorship(&path, &FileText::from_text("x = 3\n").lines);
        assert!(cmd.is_some());
        assert!(m.notice.as_ref().unwrap().text.contains("edited by hand"));
        assert_eq!(m.authorship.human, vec![path]);
    }

    #[test]
    fn the_checkpoint_list_travels_back_and_forward() {
        let mut m = model(false);
        assert_eq!(key(&mut m, 'c'), vec![Cmd::ListCheckpoints]);
        let item = |id| CheckpointItem {
            id,
            label: format!("reply {id}"),
            files: 1,
        };
        let items = vec![item(1), item(2), item(3)];
        update(
            &mut m,
            Msg::Event(AppEvent::CheckpointsListed(Ok((items, 3)))),
        );
        assert!(matches!(
            m.overlay,
            Some(Overlay::Checkpoints { selected: 2, .. })
        ));
        let up = Msg::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
        update(&mut m, up.clone());
        update(&mut m, up);
        let enter = Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert_eq!(
            update(&mut m, enter.clone()),
            vec![Cmd::Travel { steps: -2 }]
        );
        assert!(m.overlay.is_none());
        let items = vec![item(1), item(2), item(3)];
        update(
            &mut m,
            Msg::Event(AppEvent::CheckpointsListed(Ok((items, 1)))),
        );
        let end = Msg::Key(KeyEvent::new(KeyCode::End, KeyModifiers::NONE));
        update(&mut m, end);
        assert_eq!(update(&mut m, enter), vec![Cmd::Travel { steps: 2 }]);
        update(
            &mut m,
            Msg::Event(AppEvent::CheckpointsListed(Ok((Vec::new(), 0)))),
        );
        assert!(m.overlay.is_none());
        assert!(
            m.notice
                .as_ref()
                .unwrap()
                .text
                .starts_with("No checkpoints yet")
        );
    }

    #[test]
    fn an_undo_over_hand_edits_asks_and_y_forces_it() {
        let mut m = model(false);
        assert_eq!(
            key(&mut m, 'u'),
            vec![Cmd::Undo {
                redo: false,
                force: false
            }]
        );
        let outcome = UndoOutcome::ChangedSince(vec![PathBuf::from("a.py")]);
        update(
            &mut m,
            Msg::Event(AppEvent::Undone {
                redo: false,
                outcome,
            }),
        );
        assert!(matches!(m.overlay, Some(Overlay::ConfirmUndo { .. })));
        assert_eq!(
            key(&mut m, 'y'),
            vec![Cmd::Undo {
                redo: false,
                force: true
            }]
        );
        assert!(m.overlay.is_none());
        assert_eq!(
            key(&mut m, 'U'),
            vec![Cmd::Undo {
                redo: true,
                force: false
            }]
        );
    }
}
