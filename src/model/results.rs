//! The Results pane's state: the run in flight, the last finished run, and a short history.

use std::borrow::Cow;
use std::path::PathBuf;

use tokio::time::Instant;

use crate::runner::process::{Counts, Progress, RunReport};
use crate::runner::result::{TestStatus, colliding};

/// Lines above the test list: the summary and the history.
pub const HEADER_LINES: u16 = 2;

/// Rows the test list gets in a body of `body_height`.
pub fn list_height(body_height: u16) -> u16 {
    body_height.saturating_sub(HEADER_LINES)
}

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
    /// Proposed changes to this many files were applied (or undone) with no watcher to see it.
    Applied(usize),
    /// The config was reloaded with other tests or code settings.
    Config,
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
            Trigger::Applied(n) => format!("applied {n} file{}", if *n == 1 { "" } else { "s" }),
            Trigger::Config => "config reloaded".into(),
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
    /// The part all test names share (`test_rate.RateTest.`), which the list leaves out.
    pub common_prefix: usize,
    /// Per result: whether a test of another suite has the same name (shown as `suite::name`).
    pub collides: Vec<bool>,
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
        let common_prefix = common_prefix(report.results.iter().map(|r| r.name.as_str()));
        let collides = colliding(&report.results);
        Self {
            number,
            trigger,
            report,
            order,
            common_prefix,
            collides,
        }
    }

    /// A test's name as the list shows it: without the shared prefix, or `suite::name` in full
    /// where another suite has a test of the same name.
    pub fn short_name(&self, index: usize) -> Cow<'_, str> {
        let result = &self.report.results[index];
        if self.collides.get(index).copied().unwrap_or(false) {
            return result.qualified_name();
        }
        let name = &result.name;
        name.get(self.common_prefix..).unwrap_or(name).into()
    }

    /// The shared prefix of the names, if any.
    pub fn prefix(&self) -> &str {
        self.report
            .results
            .first()
            .and_then(|r| r.name.get(..self.common_prefix))
            .unwrap_or("")
    }
}

/// The length of the longest prefix shared by at least two names that ends just after a
/// separator (`.`, `::`, `/`, ` > `), so no name is cut inside a word.
fn common_prefix<'a>(mut names: impl Iterator<Item = &'a str>) -> usize {
    let Some(first) = names.next() else {
        return 0;
    };
    let mut len = first.len();
    let mut count = 1;
    for name in names {
        count += 1;
        len = first
            .bytes()
            .zip(name.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count();
    }
    if count < 2 {
        return 0;
    }
    let shared = &first[..len];
    [".", "::", "/", " > "]
        .iter()
        .filter_map(|sep| shared.rfind(sep).map(|i| i + sep.len()))
        .max()
        .unwrap_or(0)
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
    /// The id of the run `last` holds.
    pub last_id: Option<u64>,
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
        self.last_id = Some(live.id);
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
        // Keep the same test selected across runs when it still exists, unless failures
        // appeared elsewhere: then the first failure is what the user wants to see.
        let kept = keep.and_then(|name| {
            finished
                .order
                .iter()
                .position(|&i| finished.report.results[i].name == name)
        });
        let first_is_failure = finished
            .order
            .first()
            .is_some_and(|&i| finished.report.results[i].status == TestStatus::Failed);
        self.selected = match kept {
            Some(row)
                if finished.report.results[finished.order[row]].status == TestStatus::Failed =>
            {
                row
            }
            Some(_) if first_is_failure => 0,
            Some(row) => row,
            None => 0,
        };
        self.last = Some(finished);
        self.current = None;
    }

    /// The number of rows in the test list.
    pub fn rows(&self) -> usize {
        self.last.as_ref().map_or(0, |l| l.order.len())
    }
}

#[cfg(test)]
mod tests {
    use super::common_prefix;

    #[test]
    fn common_prefix_stops_at_a_separator() {
        let p = |names: &[&str]| common_prefix(names.iter().copied());
        assert_eq!(p(&["m.C.test_a", "m.C.test_b"]), "m.C.".len());
        assert_eq!(
            p(&["tests/a.py::t1", "tests/a.py::t2"]),
            "tests/a.py::".len()
        );
        assert_eq!(p(&["tests::adds", "integration_add"]), 0);
        assert_eq!(p(&["only.one"]), 0);
        assert_eq!(p(&["a > b > c", "a > b > d"]), "a > b > ".len());
        assert_eq!(p(&["pkg/TestX", "pkg/TestX/sub"]), "pkg/".len());
    }
}
