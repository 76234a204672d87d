//! `specbench check`: run the tests once, print the report (human or JSON), exit 0 when they
//! pass and 1 when not.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::{CheckFormat, StartError, workspace_root};
use crate::config::{self, Overrides};
use crate::effects::Effects;
use crate::runner::process::{self, Counts, RunReport};
use crate::runner::result::{TestResult, TestStatus};

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

#[derive(Serialize)]
struct CheckReport<'a> {
    tests: TestsReport<'a>,
    ok: bool,
}

/// Runs `check` on a workspace.
pub fn run(dir: &Path, overrides: &Overrides, format: CheckFormat) -> Result<ExitCode, StartError> {
    let root = workspace_root(dir)?;
    let config = config::load(&root, overrides)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let request = Effects::new(root.clone(), config, tx).run_request();
        // Never cancelled: the sender lives until the run ends.
        let (_cancel, cancel_rx) = tokio::sync::oneshot::channel();
        process::run(request, cancel_rx, |_| {}).await
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    let ok = report.passed();
    let mut out = std::io::stdout().lock();
    let written = match format {
        CheckFormat::Json => {
            let json = CheckReport {
                tests: TestsReport::new(&report),
                ok,
            };
            serde_json::to_writer_pretty(&mut out, &json)
                .map_err(std::io::Error::other)
                .and_then(|()| writeln!(out))
        }
        CheckFormat::Human => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            out.write_all(human(&report, color).as_bytes())
        }
    };
    // A closed pipe (`| head`) is not a failure of the tests.
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The human report: failures with their message and location, then one summary line.
pub fn human(report: &RunReport, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    for test in report
        .results
        .iter()
        .filter(|t| t.status == TestStatus::Failed)
    {
        out.push_str(&format!("{} {}\n", paint("1;31", "✗"), test.name));
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
