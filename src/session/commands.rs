//! `specbench sessions` and `specbench export`: the workspace's sessions listed, and one of
//! them as a readable transcript with secrets redacted.

use std::path::Path;
use std::process::ExitCode;

use super::export::transcript;
use super::store::SessionStore;
use crate::cli::{StartError, workspace_root};
use crate::config::{self, Overrides};
use crate::llm::context::fmt_tokens;
use crate::spec::pin::PinStore;
use crate::stdio::{errln, out};

/// How `export` writes a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Md,
    Json,
}

/// `specbench sessions`: one line per session, the one `specbench` resumes marked `*`.
pub fn list(dir: &Path) -> Result<ExitCode, StartError> {
    let root = workspace_root(dir)?;
    let store = SessionStore::new(&root);
    let summaries = store.summaries();
    if summaries.is_empty() {
        out!("No sessions yet: specbench starts one when it opens this workspace.\n");
        return Ok(ExitCode::SUCCESS);
    }
    let resumed = store.latest();
    let mut text = format!(
        "  {:<22} {:<17} {:>4} {:>6} {:>7}  {}\n",
        "id", "started (UTC)", "pin", "turns", "tokens", "status"
    );
    for s in summaries {
        let mark = if resumed.as_deref() == Some(s.id.as_str()) {
            "*"
        } else {
            " "
        };
        let pin = s.pin.map_or("—".to_string(), |v| format!("v{v}"));
        text.push_str(&format!(
            "{mark} {:<22} {:<17} {:>4} {:>6} {:>7}  {}\n",
            s.id,
            super::format_utc(s.started),
            pin,
            s.turns,
            fmt_tokens(u32::try_from(s.tokens).unwrap_or(u32::MAX)),
            s.status
        ));
    }
    text.push_str("* is the session `specbench` resumes\n");
    out!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// `specbench export`: a session (the newest unless named) as Markdown or JSON on stdout.
pub fn export(
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
    let restored = super::restore::fold(&id, &read);
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
