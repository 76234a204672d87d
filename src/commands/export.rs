//! `specbench export`: a session (the newest unless named) as a readable transcript, Markdown or
//! JSON, on stdout, with secrets redacted.

use std::path::Path;
use std::process::ExitCode;

use crate::config::{self, Overrides};
use crate::session::export::transcript;
use crate::session::restore::fold;
use crate::session::store::SessionStore;
use crate::spec::pin::PinStore;
use crate::startup::{StartError, workspace_root};
use crate::stdio::{errln, out};

/// How `export` writes a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Md,
    Json,
}

/// `specbench export`: a session (the newest unless named) as Markdown or JSON on stdout.
pub fn run(
    dir: &Path,
    session: Option<&str>,
    format: ExportFormat,
    overrides: &Overrides,
) -> Result<ExitCode, StartError> {
    // `export SESSION` alone: a first argument that is no directory names the session.
    let (dir, session) = match session {
        None if !dir.is_dir() => (Path::new("."), dir.to_str()),
        _ => (dir, session),
    };
    let root = workspace_root(dir)?;
    let config = config::load(&root, overrides)?;
    let store = SessionStore::new(&root);
    let id = store
        .resolve(session)
        .map_err(|e| StartError::Usage(e.to_string()))?;
    let read = store
        .read(&id)
        .map_err(|e| StartError::Usage(e.to_string()))?;
    for (line, why) in &read.skipped {
        errln!("specbench: warning: {id}.jsonl line {line} skipped: {why}");
    }
    let restored = fold(&id, &read);
    let spec = restored
        .pin
        .as_ref()
        .and_then(|p| PinStore::new(&root).version(p.version))
        .map(|p| p.text);
    let secrets = crate::secrets::Secrets::from_env(&config.model.api_key_env);
    let t = transcript(&restored, &read.entries, spec, &secrets);
    let text = match format {
        ExportFormat::Md => t.markdown(),
        ExportFormat::Json => t.json() + "\n",
    };
    out!("{text}");
    Ok(ExitCode::SUCCESS)
}
