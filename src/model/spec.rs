//! The Spec pane's state and its updates: the spec on disk, the pin in force, the scan of the
//! code in scope, the evaluation of every clause, and the difference between pin and disk.

use std::path::PathBuf;
use std::sync::Arc;

use ratatui::text::Line;

use super::{Cmd, Loaded, Model, NoticeKind, Pane};
use crate::render::spec_lines::{ShownSpec, SpecSource, source_lines};
use crate::render::wrap::WrapCache;
use crate::runner::result::TestStatus;
use crate::spec::diff::{SpecDiff, diff};
use crate::spec::eval::{Evaluation, Status, Tests, evaluate};
use crate::spec::pin::{Pin, Pinned, PinsFound};
use crate::spec::scan::{FileOutcome, Plan, ScanIndex, Scope};
use crate::spec::{Spec, parse_reusing};

/// A scan plan shared with the effects layer; equal when the ids are.
#[derive(Debug, Clone)]
pub struct SharedPlan {
    pub id: u64,
    pub plan: Arc<Plan>,
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
    decided: Vec<Option<Status>>,
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
    pub(super) fn reevaluate(&mut self) {
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
    pub(super) fn rebuild_spec_lines(&mut self) {
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
    pub(super) fn rescope(&mut self) -> Vec<Cmd> {
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
            plan: Arc::new(Plan::new(&spec, self.scope())),
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
    pub(super) fn on_spec_loaded(
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
    pub(super) fn pin_spec(&mut self) -> Vec<Cmd> {
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
    pub(super) fn on_pinned(&mut self, result: Result<Pinned, String>) -> Vec<Cmd> {
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
    pub(super) fn on_scanned(&mut self, plan_id: u64, outcome: ScanOutcome) -> Vec<Cmd> {
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
    pub(super) fn rescan_changed(&mut self, paths: &[PathBuf]) -> Option<Cmd> {
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

    /// Moves the clause selection by `delta`, keeping the selected clause in view.
    pub(super) fn select_clause(&mut self, delta: isize) {
        let count = self.spec.shown().map_or(0, |s| s.clauses.len());
        if count == 0 {
            return;
        }
        let next = (self.spec.selected as isize + delta).clamp(0, count as isize - 1) as usize;
        self.spec.selected = next;
        self.reveal_clause();
    }

    /// Scrolls the Spec pane so the selected clause's rows are visible.
    pub(super) fn reveal_clause(&mut self) {
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
    pub(super) fn jump_to_clause(&mut self) -> Vec<Cmd> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::{AppEvent, Msg, update};
    use crate::spec::pin::content_hash;
    use crate::theme::ThemeSource;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    const SPEC: &str = "# T\n\n- [R1] No prints. `forbid: print\\(`\n- [R2] Adds. `test: *add*`\n";

    fn model() -> Model {
        let theme = ThemeSource::default().load("default").unwrap();
        let mut m = Model::new("/ws".into(), "ws".into(), Config::default(), theme);
        update(&mut m, Msg::Resize(120, 40));
        m
    }

    fn pin(version: u32, text: &str) -> Pin {
        Pin {
            version,
            hash: content_hash(text),
            text: text.into(),
            spec_path: "SPEC.md".into(),
            pinned_at: 0,
        }
    }

    fn loaded(m: &mut Model, disk: &str, latest: Option<Pin>) -> Vec<Cmd> {
        let pins = PinsFound {
            latest,
            corrupted: Vec::new(),
        };
        update(
            m,
            Msg::Event(AppEvent::SpecLoaded {
                disk: Ok(disk.into()),
                pins: Ok(pins),
            }),
        )
    }

    fn scan_plan(cmds: &[Cmd]) -> Option<(SharedPlan, Option<Vec<PathBuf>>)> {
        cmds.iter().find_map(|c| match c {
            Cmd::Scan { plan, paths } => Some((plan.clone(), paths.clone())),
            _ => None,
        })
    }

    #[test]
    fn the_first_open_pins_the_spec_once() {
        let mut m = model();
        let cmds = loaded(&mut m, SPEC, None);
        assert!(cmds.contains(&Cmd::Pin { text: SPEC.into() }));
        assert!(m.spec.pinning);
        // A reload while the pin is being written does not pin twice.
        let again = loaded(&mut m, SPEC, None);
        assert!(!again.iter().any(|c| matches!(c, Cmd::Pin { .. })));
        let created = Pinned {
            pin: pin(1, SPEC),
            created: true,
        };
        let cmds = update(&mut m, Msg::Event(AppEvent::Pinned(Ok(created))));
        assert!(!m.spec.pinning);
        let (_, paths) = scan_plan(&cmds).expect("the new pin's checks are scanned");
        assert_eq!(paths, None, "a full scan");
        assert_eq!(
            m.notice.as_ref().unwrap().text,
            "Pinned SPEC.md as v1 (".to_string() + &content_hash(SPEC)[..8] + ")"
        );
    }

    #[test]
    fn an_empty_or_missing_spec_is_not_pinned() {
        let mut m = model();
        assert!(loaded(&mut m, "  \n", None).is_empty());
        let cmds = update(
            &mut m,
            Msg::Key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::NONE)),
        );
        assert!(!cmds.iter().any(|c| matches!(c, Cmd::Pin { .. })));
        assert!(m.notice.as_ref().unwrap().text.contains("Nothing to pin"));
    }

    #[test]
    fn p_pins_the_text_on_disk_and_the_pin_rules_until_then() {
        let mut m = model();
        loaded(&mut m, SPEC, Some(pin(1, SPEC)));
        let edited = SPEC.replace("Adds.", "Adds two numbers.");
        loaded(&mut m, &edited, Some(pin(1, SPEC)));
        let diff = m.spec.diff.as_ref().expect("the edit is seen");
        assert_eq!(diff.changes.len(), 1);
        assert_eq!(diff.changes[0].id, "R2");
        assert_eq!(
            m.spec.pinned.as_ref().unwrap().spec.clauses[1].text,
            "Adds."
        );
        let cmds = update(
            &mut m,
            Msg::Key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::NONE)),
        );
        assert_eq!(
            cmds,
            [Cmd::Pin {
                text: edited.clone()
            }]
        );
        let created = Pinned {
            pin: pin(2, &edited),
            created: true,
        };
        update(&mut m, Msg::Event(AppEvent::Pinned(Ok(created))));
        assert!(m.spec.diff.is_none());
        assert_eq!(m.spec.pinned.as_ref().unwrap().pin.version, 2);
    }

    #[test]
    fn corrupted_pins_are_reported() {
        let mut m = model();
        let pins = PinsFound {
            latest: Some(pin(1, SPEC)),
            corrupted: vec![
                ".specbench/pins/v2.json is corrupted (hash mismatch); not trusted".into(),
            ],
        };
        update(
            &mut m,
            Msg::Event(AppEvent::SpecLoaded {
                disk: Ok(SPEC.into()),
                pins: Ok(pins),
            }),
        );
        let notice = m.notice.as_ref().unwrap();
        assert_eq!(notice.kind, NoticeKind::Error);
        assert!(
            notice.text.contains("v2.json is corrupted"),
            "{}",
            notice.text
        );
        assert_eq!(m.spec.pinned.as_ref().unwrap().pin.version, 1);
    }

    #[test]
    fn scans_of_an_older_plan_are_dropped_and_changes_rescan_only_their_files() {
        let mut m = model();
        let cmds = loaded(&mut m, SPEC, Some(pin(1, SPEC)));
        let (old, _) = scan_plan(&cmds).unwrap();
        let edited = SPEC.replace("print", "println");
        let cmds = update(
            &mut m,
            Msg::Event(AppEvent::Pinned(Ok(Pinned {
                pin: pin(2, &edited),
                created: true,
            }))),
        );
        let (new, _) = scan_plan(&cmds).unwrap();
        assert_ne!(old, new);
        update(
            &mut m,
            Msg::Event(AppEvent::Scanned {
                plan_id: old.id,
                outcome: ScanOutcome::Full(ScanIndex::default()),
            }),
        );
        assert!(m.spec.scan.is_none(), "the old plan's scan is dropped");
        update(
            &mut m,
            Msg::Event(AppEvent::Scanned {
                plan_id: new.id,
                outcome: ScanOutcome::Full(ScanIndex::default()),
            }),
        );
        assert!(m.spec.scan.is_some());
        assert_eq!(
            m.spec.eval.clauses[0].status,
            Status::Holds,
            "no file prints"
        );
        let cmd = m
            .rescan_changed(&["src/a.py".into(), "notes.txt".into()])
            .expect("a code file changed");
        assert_eq!(
            cmd,
            Cmd::Scan {
                plan: new,
                paths: Some(vec!["src/a.py".into()])
            }
        );
    }
}
