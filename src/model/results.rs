//! The Results pane's state: the run in flight, the last finished run, and a short history.

use std::path::PathBuf;

use tokio::time::Instant;

use crate::runner::process::{Counts, Progress, RunReport};
use crate::runner::result::TestStatus;

/// How many finished runs the history keeps.
pub const HISTORY: usize = 30;

/// What started a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Opening the workspace.
    Startup,
    /// `r`.
    Manual,
    /// A save of one file.
    Saved(PathBuf),
    /// A burst of changes to several files.
    Changes(usize),
    /// The watcher may have missed events.
    Rescan,
}

impl Trigger {
    /// How the trigger reads in the summary line.
    pub fn describe(&self) -> String {
        match self {
            Trigger::Startup => "on open".into(),
            Trigger::Manual => "rerun by hand".into(),
            Trigger::Saved(path) => format!("saved {}", path.display()),
            Trigger::Changes(n) => format!("{n} files changed"),
            Trigger::Rescan => "full rescan".into(),
        }
    }
}

/// A run in flight.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveRun {
    pub id: u64,
    pub number: u64,
    pub trigger: Trigger,
    /// When the process started, once the effect reports it.
    pub started: Option<Instant>,
    pub progress: Progress,
}

/// A finished run and the order its results are listed in (failures first).
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedRun {
    pub number: u64,
    pub trigger: Trigger,
    pub report: RunReport,
    /// Indexes into `report.results`: failed, then skipped, then passed, each by name.
    pub order: Vec<usize>,
}

impl FinishedRun {
    /// Wraps a report, ordering failures first.
    pub fn new(number: u64, trigger: Trigger, report: RunReport) -> Self {
        let mut order: Vec<usize> = (0..report.results.len()).collect();
        let rank = |s: TestStatus| match s {
            TestStatus::Failed => 0,
            TestStatus::Skipped => 1,
            TestStatus::Passed => 2,
        };
        order.sort_by(|&a, &b| {
            let (ra, rb) = (&report.results[a], &report.results[b]);
            rank(ra.status)
                .cmp(&rank(rb.status))
                .then_with(|| ra.name.cmp(&rb.name))
        });
        Self {
            number,
            trigger,
            report,
            order,
        }
    }
}

/// One past run, for the history sparkline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    pub counts: Counts,
    pub passed: bool,
}

/// The Results pane's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultsPane {
    pub scroll: usize,
    /// The selected row of the test list.
    pub selected: usize,
    /// Showing the selected test's details instead of the list.
    pub detail: bool,
    /// The run whose events are current; events of other runs are stale.
    pub current: Option<u64>,
    pub running: Option<LiveRun>,
    pub last: Option<FinishedRun>,
    pub history: Vec<RunSummary>,
    /// Runs started so far (the `#n` shown).
    pub runs: u64,
    /// A change arrived during a run with `on_change = "queue"`: run once more after it.
    pub queued: Option<Trigger>,
}

impl ResultsPane {
    /// Records a finished run.
    pub fn finish(&mut self, report: RunReport) {
        let Some(live) = self.running.take() else {
            return;
        };
        self.history.push(RunSummary {
            counts: report.counts(),
            passed: report.passed(),
        });
        if self.history.len() > HISTORY {
            self.history.remove(0);
        }
        let keep = self.last.as_ref().and_then(|l| {
            l.order
                .get(self.selected)
                .map(|&i| l.report.results[i].name.clone())
        });
        let finished = FinishedRun::new(live.number, live.trigger, report);
        // Keep the same test selected across runs when it still exists.
        self.selected = keep
            .and_then(|name| {
                finished
                    .order
                    .iter()
                    .position(|&i| finished.report.results[i].name == name)
            })
            .unwrap_or(0);
        self.last = Some(finished);
        self.current = None;
    }

    /// The number of rows in the test list.
    pub fn rows(&self) -> usize {
        self.last.as_ref().map_or(0, |l| l.order.len())
    }
}
