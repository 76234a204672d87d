//! The Spec pane's state: the spec on disk, the pin in force, the scan of the code in scope,
//! the evaluation of every clause, the difference between pin and disk, and the pane's lines.

use std::path::PathBuf;
use std::sync::Arc;

use ratatui::text::Line;

use crate::model::Loaded;
use crate::render::wrap::WrapCache;
use crate::spec::Spec;
use crate::spec::diff::SpecDiff;
use crate::spec::eval::{Evaluation, Status};
use crate::spec::pin::Pin;
use crate::spec::scan::{FileOutcome, ScanIndex, ScanPlan};

/// A scan plan shared with the effects layer; equal when the ids are.
#[derive(Debug, Clone)]
pub struct SharedPlan {
    pub id: u64,
    pub plan: Arc<ScanPlan>,
}

impl PartialEq for SharedPlan {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for SharedPlan {}

/// What a scan of the code reports.
#[derive(Debug, Clone)]
pub enum ScanOutcome {
    /// Every file in scope.
    Full(ScanIndex),
    /// Only the files that changed.
    Files(Vec<(PathBuf, FileOutcome)>),
}

/// The pin in force, parsed, with its scan plan.
#[derive(Debug, Clone)]
pub struct PinnedSpec {
    pub pin: Pin,
    pub spec: Spec,
    pub plan: SharedPlan,
}

/// The Spec pane's state.
#[derive(Debug, Clone)]
pub struct SpecPane {
    /// The spec file, relative to the workspace.
    pub path: PathBuf,
    /// The spec file's text on disk.
    pub disk: Loaded<String>,
    /// `disk`, parsed.
    pub disk_spec: Option<Spec>,
    /// The pin every clause is evaluated against.
    pub pinned: Option<PinnedSpec>,
    /// A pin request is in flight.
    pub pinning: bool,
    /// How the spec on disk differs from the pin, when it does.
    pub diff: Option<SpecDiff>,
    /// The forbid/require scan for the pinned plan; `None` until the full scan is in.
    pub scan: Option<ScanIndex>,
    pub eval: Evaluation,
    /// Scans asked for and not yet answered: the evaluation is settled only at zero.
    pub scans_pending: usize,
    /// Each clause's last decided status (not `pending`), to notice new violations.
    pub(super) decided: Vec<Option<Status>>,
    /// The selected clause (index into the pinned spec's clauses).
    pub selected: usize,
    /// The styled source lines, before wrapping.
    pub lines: Vec<Line<'static>>,
    /// For each source line, the clause it shows (its text, badge or details).
    pub line_clause: Vec<Option<usize>>,
    pub wrapped: WrapCache,
    pub scroll: usize,
}

impl SpecPane {
    /// A pane for the spec at `path`, before anything is read.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            disk: Loaded::Loading,
            disk_spec: None,
            pinned: None,
            pinning: false,
            diff: None,
            scan: None,
            eval: Evaluation::default(),
            scans_pending: 0,
            decided: Vec::new(),
            selected: 0,
            lines: Vec::new(),
            line_clause: Vec::new(),
            wrapped: WrapCache::default(),
            scroll: 0,
        }
    }

    /// The spec whose clauses the pane shows: the pin's, else the one on disk.
    pub fn shown(&self) -> Option<&Spec> {
        self.pinned
            .as_ref()
            .map(|p| &p.spec)
            .or(self.disk_spec.as_ref())
    }

    /// Whether the spec on disk differs from the pin.
    pub fn changed_on_disk(&self) -> bool {
        self.diff.is_some()
    }
}
