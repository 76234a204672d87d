//! The spec read, pinned, scanned and evaluated: the pin in force decides what every clause is
//! evaluated against; a change on disk shows as a diff until `p` pins it.

use std::path::PathBuf;
use std::sync::Arc;

use super::pane::{PinnedSpec, ScanOutcome, SharedPlan};
use crate::model::{Cmd, Loaded, Model, NoticeKind};
use crate::render::spec_lines::{ShownSpec, SpecSource, source_lines};
use crate::spec::diff::diff;
use crate::spec::eval::{Evaluation, Status, Tests, evaluate};
use crate::spec::parse_reusing;
use crate::spec::pin::{Pin, Pinned, PinsFound};
use crate::spec::scan::{FileOutcome, ScanPlan, Scope};

impl Model {
    /// The state of the tests for evaluation: current only when no run is going and the last
    /// one ran to its end.
    pub fn test_state(&self) -> Tests<'_> {
        match &self.results.last {
            None => Tests::NotRun,
            Some(last) if self.results.running.is_some() || last.report.cancelled => {
                Tests::Stale(&last.report.results)
            }
            Some(last) => Tests::Current(&last.report.results),
        }
    }

    /// Re-evaluates every clause and rebuilds the pane's lines.
    pub(crate) fn reevaluate(&mut self) {
        let tests = self.test_state();
        self.spec.eval = match &self.spec.pinned {
            Some(p) => evaluate(&p.spec, &p.plan.plan, self.spec.scan.as_ref(), tests),
            None => Evaluation::default(),
        };
        let count = self.spec.eval.clauses.len();
        self.spec.decided.resize(count, None);
        let mut newly_violated = None;
        for (i, report) in self.spec.eval.clauses.iter().enumerate() {
            if report.status == Status::Pending {
                continue;
            }
            let before = self.spec.decided[i].replace(report.status);
            if report.status == Status::Violated && before != Some(Status::Violated) {
                newly_violated.get_or_insert(i);
            }
        }
        self.rebuild_spec_lines();
        // A clause that just broke is shown, wherever the pane was scrolled.
        if let Some(i) = newly_violated {
            self.spec.selected = i;
            self.reveal_clause();
        }
    }

    /// Rebuilds the styled lines after the spec, its evaluation or the theme changed.
    pub(crate) fn rebuild_spec_lines(&mut self) {
        let results = self
            .results
            .last
            .as_ref()
            .map(|l| l.report.results.as_slice());
        let pane = &self.spec;
        let source = match (&pane.pinned, &pane.disk) {
            (Some(p), disk) => SpecSource::Spec(ShownSpec {
                path: &pane.path,
                text: &p.pin.text,
                spec: &p.spec,
                eval: &pane.eval,
                pin: Some(p.pin.version),
                disk_error: match disk {
                    Loaded::Failed(err) => Some(err),
                    _ => None,
                },
                diff: pane.diff.as_ref(),
            }),
            (None, Loaded::Ready(text)) => match &pane.disk_spec {
                Some(spec) => SpecSource::Spec(ShownSpec {
                    path: &pane.path,
                    text,
                    spec,
                    eval: &pane.eval,
                    pin: None,
                    disk_error: None,
                    diff: None,
                }),
                None => SpecSource::Nothing,
            },
            (None, Loaded::Loading) => SpecSource::Reading(&pane.path),
            (None, Loaded::Failed(err)) => SpecSource::Unreadable(err),
        };
        let built = source_lines(source, results, &self.theme);
        self.spec.lines = built.lines;
        self.spec.line_clause = built.clause_of;
        self.spec.wrapped.invalidate();
        let clauses = self.spec.shown().map_or(0, |s| s.clauses.len());
        self.spec.selected = self.spec.selected.min(clauses.saturating_sub(1));
    }

    fn scope(&self) -> Scope {
        Scope::new(&self.config.code.include, &self.config.code.tests).unwrap_or_else(|e| {
            // The config loader checked the globs; this only happens with a hand-made config.
            tracing::warn!(error = %e, "bad code globs; the default scope is empty");
            Scope {
                include: globset::GlobSet::empty(),
                tests: globset::GlobSet::empty(),
            }
        })
    }

    /// The code in scope changed: the pin's checks are planned and scanned again.
    pub(crate) fn rescope(&mut self) -> Vec<Cmd> {
        match &self.spec.pinned {
            Some(p) => {
                let pin = p.pin.clone();
                self.set_pin(pin)
            }
            None => Vec::new(),
        }
    }

    /// Makes `pin` the pin in force and asks for a full scan of the code for its checks.
    fn set_pin(&mut self, pin: Pin) -> Vec<Cmd> {
        // The file on disk is usually the pinned text: its compiled checks are reused.
        let earlier = self
            .spec
            .disk_spec
            .as_ref()
            .or(self.spec.pinned.as_ref().map(|p| &p.spec));
        let spec = parse_reusing(&pin.text, earlier);
        let plan = SharedPlan {
            id: self.next_id(),
            plan: Arc::new(ScanPlan::new(&spec, self.scope())),
        };
        self.spec.pinned = Some(PinnedSpec {
            pin,
            spec,
            plan: plan.clone(),
        });
        self.spec.scan = None;
        self.spec.decided.clear();
        self.refresh_diff();
        self.reevaluate();
        self.spec.scans_pending += 1;
        vec![Cmd::Scan { plan, paths: None }]
    }

    fn refresh_diff(&mut self) {
        self.spec.diff = match (&self.spec.pinned, &self.spec.disk, &self.spec.disk_spec) {
            (Some(p), Loaded::Ready(text), Some(disk)) if *text != p.pin.text => {
                Some(diff(&p.pin.text, &p.spec, text, disk))
            }
            _ => None,
        };
    }

    /// The spec file and the pin store were read.
    pub(crate) fn on_spec_loaded(
        &mut self,
        disk: Result<String, String>,
        pins: Result<PinsFound, String>,
    ) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        // Parsed again on every save: the checks it shares with the pin (or the last parse)
        // are not compiled again.
        let earlier = self
            .spec
            .pinned
            .as_ref()
            .map(|p| &p.spec)
            .or(self.spec.disk_spec.as_ref());
        self.spec.disk_spec = disk.as_ref().ok().map(|t| parse_reusing(t, earlier));
        self.spec.disk = match disk {
            Ok(text) => Loaded::Ready(text),
            Err(e) => Loaded::Failed(e),
        };
        match pins {
            Ok(found) => {
                if !found.corrupted.is_empty() {
                    cmds.push(self.notify(NoticeKind::Error, found.corrupted.join("; ")));
                }
                let same = |a: &Pin, b: &Pin| a.version == b.version && a.hash == b.hash;
                match found.latest {
                    Some(latest)
                        if self
                            .spec
                            .pinned
                            .as_ref()
                            .is_none_or(|p| !same(&p.pin, &latest)) =>
                    {
                        cmds.extend(self.set_pin(latest));
                        return cmds;
                    }
                    Some(_) => {}
                    // The first open of a workspace pins the spec as it is.
                    None => {
                        if let Loaded::Ready(text) = &self.spec.disk
                            && !text.trim().is_empty()
                            && !self.spec.pinning
                        {
                            self.spec.pinning = true;
                            cmds.push(Cmd::Pin { text: text.clone() });
                        }
                    }
                }
            }
            Err(e) => cmds.push(self.notify(NoticeKind::Error, e)),
        }
        self.refresh_diff();
        self.rebuild_spec_lines();
        cmds
    }

    /// `p`: pin the spec on disk as a new version.
    pub(crate) fn pin_spec(&mut self) -> Vec<Cmd> {
        let text = match &self.spec.disk {
            Loaded::Ready(text) if !text.trim().is_empty() => text.clone(),
            Loaded::Ready(_) => {
                let msg = format!("Nothing to pin: {} is empty", self.spec.path.display());
                return vec![self.notify(NoticeKind::Error, msg)];
            }
            Loaded::Failed(e) => {
                let msg = format!("Nothing to pin: {e}");
                return vec![self.notify(NoticeKind::Error, msg)];
            }
            Loaded::Loading => return Vec::new(),
        };
        if self.spec.pinning {
            return Vec::new();
        }
        self.spec.pinning = true;
        vec![Cmd::Pin { text }]
    }

    /// A pin request ended.
    pub(crate) fn on_pinned(&mut self, result: Result<Pinned, String>) -> Vec<Cmd> {
        self.spec.pinning = false;
        match result {
            Ok(Pinned { pin, created }) => {
                let text = if created {
                    format!(
                        "Pinned {} as v{} ({})",
                        self.spec.path.display(),
                        pin.version,
                        pin.short_hash()
                    )
                } else {
                    format!(
                        "{} is already pinned as v{}",
                        self.spec.path.display(),
                        pin.version
                    )
                };
                let mut cmds = vec![self.notify(NoticeKind::Info, text)];
                cmds.extend(self.set_pin(pin));
                cmds
            }
            Err(e) => vec![self.notify(NoticeKind::Error, format!("Not pinned: {e}"))],
        }
    }

    /// Scan results for the plan `plan_id` arrived; results for an older plan are dropped.
    pub(crate) fn on_scanned(&mut self, plan_id: u64, outcome: ScanOutcome) -> Vec<Cmd> {
        self.spec.scans_pending = self.spec.scans_pending.saturating_sub(1);
        if self
            .spec
            .pinned
            .as_ref()
            .is_none_or(|p| p.plan.id != plan_id)
        {
            return Vec::new();
        }
        let mut cmds = Vec::new();
        match outcome {
            ScanOutcome::Full(index) => {
                if !index.skipped().is_empty() {
                    let list: Vec<String> = index
                        .skipped()
                        .iter()
                        .take(3)
                        .map(|(p, why)| format!("{} ({why})", p.display()))
                        .collect();
                    let more = index.skipped().len().saturating_sub(3);
                    let mut text = format!("Not scanned for forbid/require: {}", list.join(", "));
                    if more > 0 {
                        text.push_str(&format!(" and {more} more"));
                    }
                    cmds.push(self.notify(NoticeKind::Info, text));
                }
                self.spec.scan = Some(index);
            }
            ScanOutcome::Files(files) => {
                let Some(scan) = self.spec.scan.as_mut() else {
                    return cmds;
                };
                let mut skipped = Vec::new();
                for (path, outcome) in files {
                    if let FileOutcome::Skipped(why) = &outcome {
                        skipped.push(format!("{} ({why})", path.display()));
                    }
                    scan.apply(path, outcome);
                }
                if !skipped.is_empty() {
                    let text = format!("Not scanned for forbid/require: {}", skipped.join(", "));
                    cmds.push(self.notify(NoticeKind::Info, text));
                }
            }
        }
        self.reevaluate();
        cmds
    }

    /// The files among `paths` that the pinned checks scan, as a rescan command.
    pub(crate) fn rescan_changed(&mut self, paths: &[PathBuf]) -> Option<Cmd> {
        let pinned = self.spec.pinned.as_ref()?;
        let plan = &pinned.plan;
        // Deleted files are no longer matched by the walk, but the scan may still hold them.
        let scanned = |p: &PathBuf| self.spec.scan.as_ref().is_some_and(|s| s.knows(p));
        let wanted: Vec<PathBuf> = paths
            .iter()
            .filter(|p| plan.plan.wants(p) || scanned(p))
            .cloned()
            .collect();
        if wanted.is_empty() {
            return None;
        }
        let cmd = Cmd::Scan {
            plan: plan.clone(),
            paths: Some(wanted),
        };
        self.spec.scans_pending += 1;
        Some(cmd)
    }
}
