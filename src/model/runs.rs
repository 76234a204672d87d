//! Test runs: one started (by the first open, a save, `r`, an apply), restarted or queued
//! behind the one in flight as `[tests].on_change` says, cancelled (`x`), and finished: the
//! results in, the evaluation and the loop settled, a queued run started.

use std::path::PathBuf;

use tokio::time::Instant;

use super::results::{LiveRun, Trigger};
use super::{Cmd, Model, NoticeKind};
use crate::config::OnChange;
use crate::runner::process::{Progress, RunReport};

impl Model {
    /// Starts a new run and returns its command.
    pub(crate) fn start_run(&mut self, trigger: Trigger) -> Cmd {
        let id = self.next_id();
        self.results.runs += 1;
        self.results.current = Some(id);
        self.reruns.run_started();
        self.results.running = Some(LiveRun {
            id,
            number: self.results.runs,
            trigger,
            started: None,
            progress: Progress {
                counts: Default::default(),
                tail: Vec::new(),
            },
        });
        Cmd::StartRun { id }
    }

    /// Starts a run now; a run in flight is restarted (`restart`) or followed by one more (`queue`).
    pub(crate) fn rerun(&mut self, trigger: Trigger) -> Vec<Cmd> {
        self.rerun_with(trigger, true, None)
    }

    /// Starts a run now. A run in flight is restarted when `on_change = "restart"` and `kill`
    /// allows it, else one more run is queued behind it; `files`: the run in flight changed these
    /// and they alone ask for the rerun (it is dropped if they end the run as they began it).
    pub(crate) fn rerun_with(
        &mut self,
        trigger: Trigger,
        kill: bool,
        files: Option<&[PathBuf]>,
    ) -> Vec<Cmd> {
        match (&self.results.running, self.config.tests.on_change) {
            (Some(run), OnChange::Restart) if kill => {
                let old = run.id;
                vec![Cmd::CancelRun { id: old }, self.start_run(trigger)]
            }
            (Some(_), _) => {
                let already = self.results.queued.is_some();
                self.results.queued = Some(trigger);
                self.reruns.queued(already, files);
                Vec::new()
            }
            (None, _) => vec![self.start_run(trigger)],
        }
    }

    /// `x`: cancel the run in flight.
    pub(crate) fn cancel_run(&mut self) -> Vec<Cmd> {
        match &self.results.running {
            Some(run) => vec![
                Cmd::CancelRun { id: run.id },
                self.notify(NoticeKind::Info, format!("Cancelling run #{}…", run.number)),
            ],
            None => vec![self.notify(NoticeKind::Info, "No test run to cancel")],
        }
    }

    /// Run `id`'s process started at `at`.
    pub(crate) fn on_run_started(&mut self, id: u64, at: Instant) {
        if let Some(run) = self.results.running.as_mut().filter(|r| r.id == id) {
            run.started = Some(at);
            self.now = Some(at);
            // The last results no longer describe the code: test checks are pending.
            self.reevaluate();
        }
    }

    /// What run `id` has printed so far, counted.
    pub(crate) fn on_run_progress(&mut self, id: u64, progress: Progress) {
        if let Some(run) = self.results.running.as_mut().filter(|r| r.id == id) {
            run.progress = progress;
        }
    }

    /// Run `id` ended: its report.
    pub(crate) fn on_run_finished(&mut self, id: u64, report: RunReport) -> Vec<Cmd> {
        if self.results.current != Some(id) {
            tracing::debug!(id, "dropping a stale run report");
            return Vec::new();
        }
        if !report.cancelled {
            self.reruns.run_ended();
        }
        self.results.finish(report);
        self.rebuild_tests_part();
        let mut cmds: Vec<Cmd> = self.run_record().into_iter().collect();
        if let Some(trigger) = self.results.queued.take() {
            if self.reruns.queue_is_moot() {
                tracing::debug!("the run put back what it changed: no rerun");
            } else {
                cmds.push(self.start_run(trigger));
                return cmds;
            }
        }
        self.reevaluate();
        cmds.extend(self.after_settle());
        cmds
    }
}
