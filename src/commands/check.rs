//! `specbench check`: the tests run once, every clause of the pinned spec evaluated, the report
//! printed (human or JSON); exit 0 when nothing drifts and the tests pass. The evaluation and
//! the report are `crate::check`, which `specbench run` shares.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use crate::check::{self, Findings};
use crate::config::{self, Config, Overrides};
use crate::spec::pin::PinStore;
use crate::startup::{StartError, workspace_root};
use crate::stdio::{errln, out, outln};
use crate::workspace;

/// Runs `check` on the workspace at `dir`: the report on stdout (JSON with `json`), exit code
/// 0 when the spec holds and the tests pass, 1 when not.
pub fn run(
    dir: &Path,
    overrides: &Overrides,
    json: bool,
    no_run: bool,
    strict: bool,
) -> Result<ExitCode, StartError> {
    let root = workspace_root(dir)?;
    let mut config = config::load(&root, overrides)?;
    config.check.strict |= strict;
    require_spec(&root, &config)?;
    if !no_run {
        // Ctrl-C and the like end the test run before the process dies.
        crate::runner::groups::end_on_signals()?;
    }
    let findings = check::evaluate_workspace(&root, &config, no_run)?;
    Ok(print(&findings, json))
}

/// Prints the report (JSON with `json`) to stdout (a closed pipe ends the output, not the command)
/// and returns the exit code: 0 when [`Findings::ok`], else 1.
fn print(findings: &Findings, json: bool) -> ExitCode {
    if json {
        match serde_json::to_string_pretty(&check::json(findings)) {
            Ok(text) => outln!("{text}"),
            Err(e) => errln!("specbench: cannot write the JSON report: {e}"),
        }
    } else {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        out!("{}", check::human_report(findings, color));
    }
    if findings.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `check` has a spec to check against: a pin, or the spec file. With neither (the file missing
/// or unreadable and nothing pinned) there is nothing to report drift from: a usage error,
/// before the tests run.
fn require_spec(root: &Path, config: &Config) -> Result<(), StartError> {
    let store = PinStore::new(root);
    let pinned = store.load().map_err(|e| StartError::Workspace {
        path: store.dir().to_path_buf(),
        message: e.to_string(),
    })?;
    match workspace::read_spec(root, &config.spec) {
        Err(why) if pinned.latest.is_none() => Err(StartError::Workspace {
            path: root.join(&config.spec),
            message: format!(
                "{why} Nothing is pinned either, so there is nothing to check against: write \
                 the spec (specbench init writes a template) or set `spec` in specbench.toml."
            ),
        }),
        _ => Ok(()),
    }
}
