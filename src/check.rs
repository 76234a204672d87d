//! `specbench check`: evaluate every clause of the pinned spec against the code and one test
//! run, print the report (human or JSON), exit 0 when nothing drifts and the tests pass.

use std::path::Path;

use serde::Serialize;

use std::path::PathBuf;

use crate::config::Config;
use crate::runner::process::{self, Counts, RunReport};
use crate::runner::result::{TestResult, TestStatus, display_names};
use crate::spec::diff::{ChangeKind, SpecDiff, diff};
use crate::spec::eval::{CheckReport, Evaluation, Status, Tests, evaluate};
use crate::spec::pin::PinStore;
use crate::spec::scan::{self, ScanPlan, Scope};
use crate::spec::{Spec, parse, parse_reusing};
use crate::startup::StartError;
use crate::stdio::errln;
use crate::workspace;

/// The `tests` object of DESIGN.md section 6.
#[derive(Debug, Serialize)]
pub struct TestsReport<'a> {
    pub command: &'a str,
    /// The parsed format, or `unknown`.
    pub format: &'static str,
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub duration_ms: u64,
    pub counts: Counts,
    pub results: &'a [TestResult],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
}

impl<'a> TestsReport<'a> {
    /// The JSON view of a run.
    pub fn new(report: &'a RunReport) -> Self {
        Self {
            command: &report.command,
            format: report.format.map_or("unknown", |f| f.as_str()),
            exit_code: report.exit_code,
            timed_out: report.timed_out,
            duration_ms: report.duration.as_millis() as u64,
            counts: report.counts(),
            results: &report.results,
            error: report.error.as_deref(),
        }
    }
}

/// The `spec` object: which spec was evaluated and whether the file on disk still matches.
#[derive(Debug, Serialize)]
pub struct SpecInfo {
    pub path: String,
    pub pin: Option<PinInfo>,
    pub changed_on_disk: bool,
    /// Why the spec file could not be read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A pin's version and hash.
#[derive(Debug, Serialize)]
pub struct PinInfo {
    pub version: u32,
    pub hash: String,
}

/// One clause in the report.
#[derive(Debug, Serialize)]
pub struct ClauseJson<'a> {
    pub id: &'a str,
    pub line: usize,
    pub text: &'a str,
    pub status: Status,
    pub checks: &'a [CheckReport],
    /// The names of the linked tests (`suite::name` where a name is shared across suites).
    pub tests: Vec<String>,
    pub message: Option<&'a str>,
}

/// The drift lists of DESIGN.md section 4, plus the clauses that cannot be evaluated.
#[derive(Debug, Default, Serialize)]
pub struct Drift {
    pub violated: Vec<String>,
    pub untested: Vec<String>,
    pub orphan_tests: Vec<String>,
    pub spec_changed: Vec<String>,
    pub invalid: Vec<String>,
}

impl Drift {
    /// Drift that always fails `check`: violated or invalid clauses, a spec changed on disk.
    fn fails(&self) -> bool {
        !(self.violated.is_empty() && self.spec_changed.is_empty() && self.invalid.is_empty())
    }

    /// Drift that fails `check` only when strict: orphan tests and untested clauses.
    fn warns(&self) -> bool {
        !(self.untested.is_empty() && self.orphan_tests.is_empty())
    }
}

#[derive(Serialize)]
struct CheckJson<'a> {
    spec: &'a SpecInfo,
    clauses: Vec<ClauseJson<'a>>,
    tests: Option<TestsReport<'a>>,
    drift: &'a Drift,
    /// Whether orphan tests and untested clauses counted against `ok`.
    strict: bool,
    ok: bool,
}

/// Everything `check` found out about a workspace.
pub struct Findings {
    pub info: SpecInfo,
    pub spec: Spec,
    pub eval: Evaluation,
    pub diff: Option<SpecDiff>,
    pub drift: Drift,
    /// `None` with `--no-run`.
    pub run: Option<RunReport>,
    /// Files in scope that were not scanned, with why.
    pub skipped: Vec<(PathBuf, String)>,
    /// `--strict` or `[check].strict`: orphan tests and untested clauses fail too.
    pub strict: bool,
}

impl Findings {
    /// What `check` exits 0 on: no violated or invalid clause, the spec as pinned, and the
    /// tests ran and passed (or were not run); orphan tests and untested clauses only when
    /// strict.
    pub fn ok(&self) -> bool {
        let fails = self.drift.fails()
            || (self.strict && self.drift.warns())
            || self.info.changed_on_disk
            || self.run.as_ref().is_some_and(|r| !r.passed());
        !fails
    }
}

/// Evaluates the workspace: the latest pin (or the spec on disk when nothing is pinned; `check`
/// never writes a pin), the scan of the code, and one test run unless `no_run`.
pub fn evaluate_workspace(
    root: &Path,
    config: &Config,
    no_run: bool,
) -> Result<Findings, StartError> {
    let run = (!no_run).then(|| run_tests(root, config)).transpose()?;
    evaluate_with(root, config, run)
}

/// Evaluates the workspace against a test run already made (`None`: static checks only).
pub fn evaluate_with(
    root: &Path,
    config: &Config,
    run: Option<RunReport>,
) -> Result<Findings, StartError> {
    let disk = workspace::read_spec(root, &config.spec);
    let store = PinStore::new(root);
    let found = store.load().map_err(|e| StartError::Workspace {
        path: store.dir().to_path_buf(),
        message: e.to_string(),
    })?;
    for corrupted in &found.corrupted {
        errln!("specbench: warning: {corrupted}");
    }
    let text = match (&found.latest, &disk) {
        (Some(pin), _) => pin.text.clone(),
        (None, Ok(text)) => text.clone(),
        (None, Err(_)) => String::new(),
    };
    let spec = parse(&text);
    let diff = match (&found.latest, &disk) {
        (Some(pin), Ok(on_disk)) if *on_disk != pin.text => Some(diff(
            &pin.text,
            &spec,
            on_disk,
            &parse_reusing(on_disk, Some(&spec)),
        )),
        _ => None,
    };
    let scope = Scope::new(&config.code.include, &config.code.tests).map_err(|message| {
        StartError::Workspace {
            path: root.join(crate::config::WORKSPACE_FILE),
            message,
        }
    })?;
    let plan = ScanPlan::new(&spec, scope);
    let scan = scan::scan_all(root, &plan);
    let tests = match &run {
        Some(report) if !report.cancelled => Tests::Current(&report.results),
        Some(report) => Tests::Stale(&report.results),
        None => Tests::NotRun,
    };
    let eval = evaluate(&spec, &plan, Some(&scan), tests);
    let mut drift = Drift {
        violated: eval.ids_with(&spec, Status::Violated),
        untested: eval.ids_with(&spec, Status::Untested),
        invalid: eval.ids_with(&spec, Status::Invalid),
        ..Drift::default()
    };
    if let Some(report) = &run {
        let names = display_names(&report.results);
        drift.orphan_tests = eval
            .orphan_tests
            .iter()
            .map(|&i| names[i].to_string())
            .collect();
    }
    if let Some(d) = &diff {
        drift.spec_changed = d.changes.iter().map(|c| c.id.clone()).collect();
    }
    let info = SpecInfo {
        path: config.spec.display().to_string(),
        pin: found.latest.as_ref().map(|p| PinInfo {
            version: p.version,
            hash: p.hash.clone(),
        }),
        changed_on_disk: diff.is_some() || (found.latest.is_some() && disk.is_err()),
        error: disk.err(),
    };
    Ok(Findings {
        info,
        spec,
        eval,
        diff,
        drift,
        run,
        skipped: scan
            .skipped()
            .iter()
            .map(|(p, why)| (p.clone(), why.clone()))
            .collect(),
        strict: config.check.strict,
    })
}

/// Runs the test command once.
fn run_tests(root: &Path, config: &Config) -> Result<RunReport, StartError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let request = process::RunRequest::new(root, config, &config.tests);
        // Never cancelled: the sender lives until the run ends.
        let (_cancel, cancel_rx) = tokio::sync::oneshot::channel();
        process::run(request, cancel_rx, |_| {}).await
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    Ok(report)
}

/// The JSON report of DESIGN.md section 6, fields in the documented order.
pub fn json(f: &Findings) -> impl Serialize + '_ {
    let results = f.run.as_ref().map_or(&[][..], |r| r.results.as_slice());
    let names = display_names(results);
    let clauses = f
        .spec
        .clauses
        .iter()
        .zip(&f.eval.clauses)
        .map(|(clause, report)| ClauseJson {
            id: &clause.id,
            line: clause.line,
            text: &clause.text,
            status: report.status,
            checks: &report.checks,
            tests: report
                .tests
                .iter()
                .filter_map(|t| names.get(t.index))
                .map(|name| name.to_string())
                .collect(),
            message: report.message.as_deref(),
        })
        .collect();
    CheckJson {
        spec: &f.info,
        clauses,
        tests: f.run.as_ref().map(TestsReport::new),
        drift: &f.drift,
        strict: f.strict,
        ok: f.ok(),
    }
}

/// The human report: the clause table, the failing tests, and the verdict.
pub fn human_report(f: &Findings, color: bool) -> String {
    let paint = |code: &str, text: &str| paint(color, code, text);
    let mut out = String::new();
    let pin = match &f.info.pin {
        Some(p) => format!("v{} {}", p.version, &p.hash[..p.hash.len().min(8)]),
        None => "not pinned".to_string(),
    };
    out.push_str(&format!(
        "{} · {}",
        paint("1", &f.info.path),
        paint("2", &pin)
    ));
    if let Some(error) = &f.info.error {
        out.push_str(&format!(" · {}", paint("31", error)));
    } else if let Some(d) = &f.diff {
        let mut what: Vec<String> = d
            .changes
            .iter()
            .map(|c| format!("{} {}", c.id, change_word(c.kind)))
            .collect();
        if what.is_empty() {
            what.push("outside the clauses".into());
        }
        out.push_str(&format!(
            " · {}",
            paint("36", &format!("edited on disk: {}", what.join(", ")))
        ));
    }
    out.push('\n');
    let id_width = f
        .spec
        .clauses
        .iter()
        .map(|c| c.id.chars().count())
        .max()
        .unwrap_or(2);
    for (clause, report) in f.spec.clauses.iter().zip(&f.eval.clauses) {
        let (glyph, code) = match report.status {
            Status::Holds => ("✓", "32"),
            Status::Violated => ("✗", "1;31"),
            Status::Untested => ("?", "2"),
            Status::Pending => ("…", "33"),
            Status::Invalid => ("!", "35"),
        };
        let why = report.message.as_deref().unwrap_or(&clause.text);
        out.push_str(&format!(
            "  {} {:<id_width$}  {}  {}\n",
            paint(code, glyph),
            clause.id,
            paint(code, &format!("{:<8}", report.status.as_str())),
            truncate(why, 96),
        ));
    }
    if f.spec.clauses.is_empty() {
        out.push_str(&paint(
            "2",
            "  no clauses: a spec lists them as `- [R1] ...` items\n",
        ));
    }
    for (path, why) in &f.skipped {
        out.push_str(&paint(
            "2",
            &format!("  not scanned: {} ({why})\n", path.display()),
        ));
    }
    let orphans = &f.drift.orphan_tests;
    if !orphans.is_empty() {
        // A few names, then how many more: the JSON report has them all.
        let mut names = orphans[..orphans.len().min(ORPHANS_LISTED)].join(", ");
        if orphans.len() > ORPHANS_LISTED {
            names.push_str(&format!(" and {} more", orphans.len() - ORPHANS_LISTED));
        }
        out.push_str(&format!(
            "  {} {names}\n",
            paint(
                "2",
                &format!("tests linked to no clause ({}):", orphans.len())
            ),
        ));
    }
    match &f.run {
        Some(report) => out.push_str(&human(report, color)),
        None => out.push_str(&paint("2", "tests not run (--no-run)\n")),
    }
    out.push_str(&verdict(f, color));
    out.push('\n');
    out
}

/// Orphan test names the human report lists before "and N more".
const ORPHANS_LISTED: usize = 5;

/// The verdict line: what fails `check` (`drift: R3 violated · 1 failing test`), then what is
/// only a warning unless strict (`warnings: 480 orphan tests`).
fn verdict(f: &Findings, color: bool) -> String {
    let d = &f.drift;
    let listed = |list: &[String], word: &str| {
        (!list.is_empty()).then(|| format!("{} {word}", list.join(", ")))
    };
    let mut fails: Vec<String> = [
        listed(&d.violated, "violated"),
        listed(&d.invalid, "invalid"),
        listed(&d.spec_changed, "changed on disk"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if f.info.changed_on_disk && d.spec_changed.is_empty() {
        fails.push(match f.info.error {
            Some(_) => "spec file gone or unreadable since the pin".into(),
            None => "spec edited since the pin".into(),
        });
    }
    if let Some(run) = &f.run {
        let failed = run.counts().failed;
        if failed > 0 {
            fails.push(plural(failed, "failing test", "failing tests"));
        } else if run.timed_out {
            fails.push("the tests timed out".into());
        } else if run.no_tests_ran() {
            fails.push("no tests ran".into());
        } else if !run.passed() {
            let code = run
                .exit_code
                .map_or("a signal".into(), |c| format!("exit code {c}"));
            fails.push(format!("the test command failed ({code})"));
        }
    }
    let mut warnings: Vec<String> = listed(&d.untested, "untested").into_iter().collect();
    if !d.orphan_tests.is_empty() {
        warnings.push(plural(d.orphan_tests.len(), "orphan test", "orphan tests"));
    }
    if f.strict {
        fails.append(&mut warnings);
    }
    let warned = (!warnings.is_empty()).then(|| {
        format!(
            "warnings: {} (--strict fails on them)",
            warnings.join(" · ")
        )
    });
    if fails.is_empty() {
        // `run` goes on without a spec; `check` refuses to (see `require_spec`).
        let word = if f.info.pin.is_none() && f.info.error.is_some() {
            "no spec to drift from"
        } else {
            "no drift"
        };
        let mut line = paint(color, "1;32", word);
        if let Some(w) = warned {
            line.push_str(&paint(color, "33", &format!(" · {w}")));
        }
        line
    } else {
        let mut line = paint(color, "1;31", &format!("drift: {}", fails.join(" · ")));
        if let Some(w) = warned {
            line.push_str(&paint(color, "33", &format!(" · {w}")));
        }
        line
    }
}

/// `n` and the noun in the right number.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `text` in the SGR colour `code` when `color`, else as it is.
fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn change_word(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Changed => "changed",
    }
}

/// `text` cut to `max` characters with an ellipsis.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// The human report: failures with their message and location, then one summary line.
pub fn human(report: &RunReport, color: bool) -> String {
    let paint = |code: &str, text: &str| paint(color, code, text);
    let mut out = String::new();
    let names = display_names(&report.results);
    for (test, name) in report
        .results
        .iter()
        .zip(&names)
        .filter(|(t, _)| t.status == TestStatus::Failed)
    {
        out.push_str(&format!("{} {name}\n", paint("1;31", "✗")));
        let location = match (&test.file, test.line) {
            (Some(file), Some(line)) => format!(" ({file}:{line})"),
            (Some(file), None) => format!(" ({file})"),
            _ => String::new(),
        };
        if let Some(message) = &test.message {
            out.push_str(&format!("    {message}{}\n", paint("2", &location)));
        } else if !location.is_empty() {
            out.push_str(&format!("   {}\n", paint("2", &location)));
        }
    }
    if report.results.is_empty() {
        for line in report.output.last(20) {
            out.push_str(&format!("  {line}\n"));
        }
    }
    if let Some(error) = &report.error {
        out.push_str(&format!("{} {error}\n", paint("1;31", "error:")));
    }
    let c = report.counts();
    let format = report
        .format
        .map_or("output not recognised", |f| f.as_str());
    let mut summary = format!("{} passed, {} failed", c.passed, c.failed);
    if c.skipped > 0 {
        summary.push_str(&format!(", {} skipped", c.skipped));
    }
    if report.no_tests_ran() {
        summary = "no tests ran: is [tests].command right?".into();
    }
    let mut tail = format!(
        "in {:.2} s · {} · {format}",
        report.duration.as_secs_f64(),
        report.command
    );
    if report.timed_out {
        tail.push_str(" · timed out, process group killed");
    } else if let Some(code) = report.exit_code.filter(|c| *c != 0) {
        tail.push_str(&format!(" · exit code {code}"));
    }
    let verdict = if report.passed() {
        paint("1;32", &summary)
    } else {
        paint("1;31", &summary)
    };
    out.push_str(&format!("{verdict}\n{}\n", paint("2", &tail)));
    out
}
