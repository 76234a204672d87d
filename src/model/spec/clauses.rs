//! From a clause to where it breaks: the selection among the clauses, kept in view, and `Enter`
//! showing the offending code line, the failing test, or why there is nothing to show.

use std::path::PathBuf;

use crate::model::{Cmd, Loaded, Model, NoticeKind, Pane};
use crate::runner::result::TestStatus;
use crate::spec::eval::Status;

impl Model {
    /// Moves the clause selection by `delta`, keeping the selected clause in view.
    pub(crate) fn select_clause(&mut self, delta: isize) {
        let count = self.spec.shown().map_or(0, |s| s.clauses.len());
        if count == 0 {
            return;
        }
        let next = (self.spec.selected as isize + delta).clamp(0, count as isize - 1) as usize;
        self.spec.selected = next;
        self.reveal_clause();
    }

    /// Scrolls the Spec pane so the selected clause's rows are visible.
    pub(crate) fn reveal_clause(&mut self) {
        let Some(body) = self.body_area(Pane::Spec) else {
            return;
        };
        let selected = self.spec.selected;
        let Some(first_line) = self
            .spec
            .line_clause
            .iter()
            .position(|c| *c == Some(selected))
        else {
            return;
        };
        let last_line = self
            .spec
            .line_clause
            .iter()
            .rposition(|c| *c == Some(selected))
            .unwrap_or(first_line);
        self.spec.wrapped.ensure(&self.spec.lines, body.width);
        let (Some(top), Some(bottom)) = (
            self.spec.wrapped.first_row(first_line),
            self.spec.wrapped.last_row(last_line),
        ) else {
            return;
        };
        let height = body.height as usize;
        let scroll = &mut self.spec.scroll;
        if top < *scroll {
            *scroll = top;
        } else if bottom >= *scroll + height {
            *scroll = (bottom + 1).saturating_sub(height).min(top);
        }
    }

    /// `Enter` on a clause: show where it breaks (the offending code line or the failing test),
    /// else its tests, else say why there is nothing to show.
    pub(crate) fn jump_to_clause(&mut self) -> Vec<Cmd> {
        let Some(pinned) = &self.spec.pinned else {
            return Vec::new();
        };
        let index = self.spec.selected;
        let (Some(clause), Some(report)) = (
            pinned.spec.clauses.get(index),
            self.spec.eval.clauses.get(index),
        ) else {
            return Vec::new();
        };
        let id = clause.id.clone();
        let failing = report
            .tests
            .iter()
            .find(|t| t.status == TestStatus::Failed)
            .map(|t| t.index);
        let status = report.status;
        let message = report.message.clone();
        if let Some(hit) = report.forbidden.first().cloned() {
            return self.jump_to_code(hit.file, Some(hit.line));
        }
        if let Some(test) = failing {
            self.show_test(test);
            return Vec::new();
        }
        if status == Status::Violated {
            // A missing `require`: open the first file of the clause's scope.
            let entries = pinned
                .plan
                .plan
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.clause == index)
                .map(|(i, _)| i)
                .collect::<Vec<_>>();
            let file = match &self.code.files {
                Loaded::Ready(files) => files
                    .iter()
                    .find(|f| entries.iter().any(|&e| pinned.plan.plan.in_scope(e, f)))
                    .cloned(),
                _ => None,
            };
            if let Some(file) = file {
                return self.jump_to_code(file, None);
            }
        }
        if let Some(test) = report.tests.first().map(|t| t.index) {
            self.show_test(test);
            return Vec::new();
        }
        let text = match message {
            Some(m) => format!("{id} is {}: {m}", status.as_str()),
            None => format!("{id} holds"),
        };
        vec![self.notify(NoticeKind::Info, text)]
    }

    /// Focuses the Results pane on the test at `index` of the last run, details open.
    fn show_test(&mut self, index: usize) {
        let Some(last) = &self.results.last else {
            return;
        };
        if let Some(row) = last.order.iter().position(|&i| i == index) {
            self.results.selected = row;
            self.results.detail = true;
            self.set_focus(Pane::Results);
        }
    }

    /// Focuses the Code pane on `file`, at `line` when given.
    fn jump_to_code(&mut self, file: PathBuf, line: Option<usize>) -> Vec<Cmd> {
        self.set_focus(Pane::Code);
        let Loaded::Ready(files) = &self.code.files else {
            return Vec::new();
        };
        let Some(pos) = files.iter().position(|f| *f == file) else {
            let text = format!("{} is not among the code files", file.display());
            return vec![self.notify(NoticeKind::Info, text)];
        };
        self.code.mark = line;
        if pos == self.code.selected && matches!(self.code.content, Loaded::Ready(_)) {
            self.reveal_code_mark();
            return Vec::new();
        }
        self.code.selected = pos;
        let id = self.next_id();
        self.code.load_id = id;
        self.code.content = Loaded::Loading;
        self.code.scroll = 0;
        self.code.highlighted = Loaded::Loading;
        let syntax = self.theme.syntax().to_string();
        vec![Cmd::LoadFile {
            id,
            path: file,
            syntax,
        }]
    }

    /// Scrolls the Code pane so the marked line sits a third of the way down.
    pub(crate) fn reveal_code_mark(&mut self) {
        let (Some(line), Some(body)) = (self.code.mark, self.body_area(Pane::Code)) else {
            return;
        };
        let height = body.height as usize;
        self.code.scroll = line.saturating_sub(1).saturating_sub(height / 3);
    }
}
