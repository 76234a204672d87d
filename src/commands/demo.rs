//! `specbench demo`: the bundled demo workspace copied (to a temporary directory unless `--into`)
//! and opened with the replay provider: offline, no API key.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Overrides;
use crate::demo;
use crate::startup::StartError;

/// Writes the demo workspace into `into` (a new or empty directory, kept) or a temporary
/// directory (removed on exit), and opens the cockpit on it; `present` stops the story at
/// each beat for a presenter.
pub fn run(
    into: Option<PathBuf>,
    overrides: &Overrides,
    present: bool,
) -> Result<ExitCode, StartError> {
    let (root, temp) = match into {
        Some(dir) => (dir, None),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("specbench-demo-")
                .tempdir()?;
            (temp.path().to_path_buf(), Some(temp))
        }
    };
    demo::write_into(&root).map_err(|e| StartError::Workspace {
        path: root.clone(),
        message: e.to_string(),
    })?;
    let note = match &temp {
        Some(_) => "Demo in a temporary directory, removed on exit; --into DIR keeps one",
        None => "Demo workspace ready",
    };
    let code = super::tui::run(&root, overrides, Some(note), Some(present))?;
    drop(temp);
    Ok(code)
}
