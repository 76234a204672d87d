//! The context set and the map as the cockpit steers them: the sources the model knows (the
//! pinned spec, the latest run's failures, the files the model changed or read, the user's adds
//! and drops), the inputs sent to the context worker whenever they change, its latest choice
//! (which becomes the request's code part), the budget's overflow the user decides on, and the
//! keys that add and drop the file shown.

use std::path::{Path, PathBuf};

mod state;

pub use state::{ContextState, FileMark};

use crate::context::ChosenContext;
use crate::context::map::identifiers;
use crate::context::set::{Sources, failing_files, spec_files};
use crate::context::worker::{Inputs, Job, Outcome};
use crate::llm::context::fmt_tokens;
use crate::model::{Cmd, Loaded, Model, NoticeKind};
use crate::render::gauge::GaugeCode;
use crate::session::journal::Record;

impl Model {
    /// The inputs the set and the map are chosen from, once the code files in scope are known.
    fn context_inputs(&self) -> Option<Inputs> {
        let Loaded::Ready(scope) = &self.code.files else {
            return None;
        };
        let ctx = &self.context;
        let (spec, mentioned) = match &self.spec.pinned {
            Some(p) => (
                spec_files(&p.spec, &p.pin.text, scope),
                identifiers(&p.pin.text),
            ),
            None => (Vec::new(), Default::default()),
        };
        let failing = match &self.results.last {
            Some(run) => failing_files(&run.report.results, &self.root, scope),
            None => Vec::new(),
        };
        let usable = self
            .conversation
            .context_use(self.config.model.max_output_tokens)
            .usable();
        Some(Inputs {
            sources: Sources {
                spec,
                failing,
                edited: ctx.edited.clone(),
                read: ctx.read.clone(),
                added: ctx.choices.added.clone(),
                dropped: ctx.choices.dropped.clone(),
            },
            budgets: crate::context::budgets(&self.config.context, usable),
            mentioned,
        })
    }

    /// Asks the worker to choose again when the inputs changed since the last time.
    pub(crate) fn refresh_context(&mut self) -> Option<Cmd> {
        let inputs = self.context_inputs()?;
        if self
            .context
            .asked
            .as_ref()
            .is_some_and(|(_, i)| *i == inputs)
        {
            return None;
        }
        let id = self.next_id();
        self.context.asked = Some((id, inputs.clone()));
        Some(Cmd::Context(Job::Choose { id, inputs }))
    }

    /// The worker's choice arrived: it becomes the request's code part; an overflow the
    /// status bar has not named yet is named.
    pub(crate) fn on_context_chosen(&mut self, outcome: Outcome) -> Vec<Cmd> {
        if outcome.id < self.context.received {
            return Vec::new();
        }
        self.context.received = outcome.id;
        self.on_code_context(outcome.text, outcome.tokens);
        let overflow = overflow_paths(&outcome.context);
        self.context.chosen = Some(outcome.context);
        if overflow.is_empty() || overflow == self.context.announced {
            self.context.announced = overflow;
            return Vec::new();
        }
        self.context.announced = overflow;
        let text = self.overflow_words();
        vec![self.notify(NoticeKind::Error, text)]
    }

    /// Whether the request's code part answers the latest inputs (`run` waits for it).
    pub fn context_settled(&self) -> bool {
        self.context
            .asked
            .as_ref()
            .is_some_and(|(id, _)| self.context.received >= *id)
    }

    /// The status line for an overflowing set: the budget, the files past it, the choices.
    pub fn overflow_words(&self) -> String {
        let Some(chosen) = &self.context.chosen else {
            return String::new();
        };
        let set = &chosen.set;
        let over = set.overflow();
        let names: Vec<String> = over
            .iter()
            .take(3)
            .map(|m| m.path.display().to_string())
            .collect();
        let more = over.len().saturating_sub(names.len());
        let more = if more > 0 {
            format!(" +{more}")
        } else {
            String::new()
        };
        format!(
            "{}{more} over the code budget (+{} of {}) · - drops the file shown · Enter again \
             sends anyway · Ctrl-O lists the set",
            names.join(", "),
            fmt_tokens(set.tokens().saturating_sub(set.budget)),
            fmt_tokens(set.budget),
        )
    }

    /// Before a typed message is sent: with the set over its budget, the first `Enter` holds
    /// the send and says so; the same overflow a second time goes (the user chose).
    pub(crate) fn hold_for_overflow(&mut self) -> Option<Cmd> {
        let overflow = self
            .context
            .chosen
            .as_ref()
            .map(overflow_paths)
            .unwrap_or_default();
        if overflow.is_empty() || overflow == self.context.held {
            return None;
        }
        self.context.held = overflow;
        let text = format!("Not sent: {}", self.overflow_words());
        Some(self.notify(NoticeKind::Error, text))
    }

    /// Sends with the overflow as it is (`run`, which has nobody to ask).
    pub fn accept_overflow(&mut self) {
        self.context.held = self
            .context
            .chosen
            .as_ref()
            .map(overflow_paths)
            .unwrap_or_default();
    }

    /// `path` as the Code pane's file list shows it: its mark, then its name.
    pub fn file_label(&self, path: &Path) -> String {
        match self.file_mark(path).glyph() {
            "" => path.display().to_string(),
            glyph => format!("{glyph} {}", path.display()),
        }
    }

    /// Where `path` stands in the next request.
    pub fn file_mark(&self, path: &Path) -> FileMark {
        let Some(chosen) = &self.context.chosen else {
            return FileMark::Unmarked;
        };
        if chosen.set.all {
            return FileMark::Unmarked;
        }
        if let Some(m) = chosen.set.member(path) {
            return FileMark::InSet(m.reason());
        }
        if let Some((_, _, why)) = chosen.set.unavailable.iter().find(|(p, ..)| p == path) {
            return FileMark::Unavailable(why.clone());
        }
        if chosen.set.dropped.iter().any(|p| p == path)
            || self.context.choices.dropped.iter().any(|p| p == path)
        {
            return FileMark::Dropped;
        }
        if chosen.map.files.iter().any(|p| p == path) {
            return FileMark::Map;
        }
        FileMark::Out
    }

    /// What the gauge says of the code: the set's files and the map's, whether it overflows;
    /// `None` when all the code goes (the gauge reads as it always has).
    pub fn gauge_code(&self) -> Option<GaugeCode> {
        let chosen = self.context.chosen.as_ref().filter(|c| !c.set.all)?;
        Some(GaugeCode {
            files: chosen.set.members.len(),
            map: chosen.map.files.len(),
            over: chosen.set.overflow().len(),
        })
    }

    /// What a fresh session's seed holds of the code, in words: `the code in scope`, or the
    /// set's files by name and the map's count.
    pub fn seed_code_words(&self) -> String {
        let Some(chosen) = self.context.chosen.as_ref().filter(|c| !c.set.all) else {
            return "the code in scope".into();
        };
        let names: Vec<String> = chosen
            .set
            .members
            .iter()
            .take(4)
            .map(|m| m.path.display().to_string())
            .collect();
        let more = chosen.set.members.len().saturating_sub(names.len());
        let set = match (names.is_empty(), more) {
            (true, _) => "an empty context set".to_string(),
            (false, 0) => format!("the context set ({})", names.join(", ")),
            (false, more) => format!("the context set ({} +{more})", names.join(", ")),
        };
        match chosen.map.files.len() {
            0 => set,
            n => format!(
                "{set}, a map of {n} other file{}",
                if n == 1 { "" } else { "s" }
            ),
        }
    }

    /// The file shown in the Code pane.
    fn shown_file(&self) -> Option<PathBuf> {
        match &self.code.files {
            Loaded::Ready(files) => files.get(self.code.selected).cloned(),
            _ => None,
        }
    }

    /// Adds `path` to the context set (journaled).
    pub(crate) fn add_to_context(&mut self, path: PathBuf) -> Vec<Cmd> {
        self.context.choices.add_file(path.clone());
        let text = format!("{} added to the context set", path.display());
        vec![
            Cmd::Journal(Record::ContextAdded {
                path: path.display().to_string(),
            }),
            self.notify(NoticeKind::Info, text),
        ]
    }

    /// Drops `path` from the context set (journaled).
    pub(crate) fn drop_from_context(&mut self, path: PathBuf) -> Vec<Cmd> {
        self.context.choices.drop_file(path.clone());
        let text = format!("{} dropped from the context set", path.display());
        vec![
            Cmd::Journal(Record::ContextDropped {
                path: path.display().to_string(),
            }),
            self.notify(NoticeKind::Info, text),
        ]
    }

    /// `+` in the Code pane: adds the file shown.
    pub(crate) fn add_shown_file(&mut self) -> Vec<Cmd> {
        match self.shown_file() {
            Some(path) => self.add_to_context(path),
            None => Vec::new(),
        }
    }

    /// `-` in the Code pane: drops the file shown.
    pub(crate) fn drop_shown_file(&mut self) -> Vec<Cmd> {
        match self.shown_file() {
            Some(path) => self.drop_from_context(path),
            None => Vec::new(),
        }
    }

    /// The model's applied changes wrote `paths`: they join the set as edited.
    pub(crate) fn note_edited(&mut self, paths: &[PathBuf]) {
        for path in paths {
            if !self.context.edited.contains(path) {
                self.context.edited.push(path.clone());
            }
        }
    }

    /// The model read `path` with a tool: it joins the set as read.
    pub fn note_read(&mut self, path: PathBuf) {
        if !self.context.read.contains(&path) {
            self.context.read.push(path);
        }
    }
}

/// The paths of the members past the budget.
fn overflow_paths(chosen: &ChosenContext) -> Vec<PathBuf> {
    chosen
        .set
        .overflow()
        .iter()
        .map(|m| m.path.clone())
        .collect()
}

#[cfg(test)]
mod tests;
