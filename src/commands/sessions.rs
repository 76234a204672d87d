//! `specbench sessions`: the workspace's sessions, one line each, the one `specbench` resumes
//! marked.

use std::path::Path;
use std::process::ExitCode;

use crate::llm::context::fmt_tokens;
use crate::session::format_utc;
use crate::session::store::SessionStore;
use crate::startup::{StartError, workspace_root};
use crate::stdio::out;

/// `specbench sessions`: one line per session, the one `specbench` resumes marked `*`.
pub fn run(dir: &Path) -> Result<ExitCode, StartError> {
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
            format_utc(s.started),
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
