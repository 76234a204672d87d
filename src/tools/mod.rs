//! The model's read-only tools: `read_file`, `list_files` and `search`. Every path goes
//! through the confinement edits go through (relative, no `..` out, no symlink out, nothing
//! under `.git/` or `.specbench/`) plus gitignore; binary and oversized files are refused;
//! every result is capped in lines and bytes with a note saying what was cut; and every
//! refusal or bad argument is an error result with the reason, never a crash. Known secrets
//! are redacted from what goes back to the model.

mod args;
mod files;
mod limits;
mod list;
pub mod mentions;
mod read;
mod search;

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::llm::{ToolCall, ToolDef, ToolResult};
use crate::secrets::Secrets;

pub use args::{NAMES, ToolRequest};
pub use files::MAX_FILE_BYTES;
use limits::one_line;
pub use limits::{
    MAX_HITS, MAX_LINE_CHARS, MAX_LISTED, MAX_READ_LINES, MAX_RESULT_BYTES, MAX_WALKED,
};

/// The three tools as the model is told about them.
pub fn definitions() -> Vec<ToolDef> {
    vec![
        ToolDef {
            name: "read_file".into(),
            description: format!(
                "Read a text file of the workspace, with line numbers. At most {MAX_READ_LINES} \
                 lines come back at once: give start_line and end_line (1-based, inclusive) \
                 to read a part or read on."
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "The file's path, relative to the workspace root."},
                    "start_line": {"type": "integer", "minimum": 1, "description": "The first line to read (default 1)."},
                    "end_line": {"type": "integer", "minimum": 1, "description": "The last line to read (default: as many as fit)."}
                },
                "required": ["path"]
            }),
        },
        ToolDef {
            name: "list_files".into(),
            description: format!(
                "List the workspace's files (gitignored and hidden files left out), sorted, at \
                 most {MAX_LISTED}. An optional glob narrows the list, e.g. `src/**/*.py`."
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "glob": {"type": "string", "description": "Only paths matching this glob, e.g. `**/*_test.go`."}
                }
            }),
        },
        ToolDef {
            name: "search".into(),
            description: format!(
                "Search the workspace's text files for a regular expression (Rust regex \
                 syntax), line by line; answers `path:line: text`, at most {MAX_HITS} hits. An \
                 optional glob narrows the files searched."
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "pattern": {"type": "string", "description": "A regular expression, e.g. `def allow\\(`."},
                    "glob": {"type": "string", "description": "Only files whose path matches this glob."}
                },
                "required": ["pattern"]
            }),
        },
    ]
}

/// What running a call gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutcome {
    /// What goes back to the model.
    pub result: ToolResult,
    /// The file `read_file` read (relative to the workspace), to keep in the context set.
    pub read: Option<PathBuf>,
}

/// Runs `call` against the workspace at `root`, redacting `secrets` from the result. Never
/// fails: a refusal or a bad argument is an error result saying why.
pub fn run(root: &Path, call: &ToolCall, secrets: &Secrets) -> ToolOutcome {
    let (content, is_error, read) = match execute(root, call) {
        Ok((text, read)) => (text, false, read),
        Err(why) => (format!("error: {why}"), true, None),
    };
    ToolOutcome {
        result: ToolResult {
            call_id: call.id.clone(),
            content: crate::session::export::redact(&content, secrets),
            is_error,
        },
        read,
    }
}

/// The call's text, and the file read; or why not.
fn execute(root: &Path, call: &ToolCall) -> Result<(String, Option<PathBuf>), String> {
    let tool = ToolRequest::parse(call)?;
    let root = root
        .canonicalize()
        .map_err(|e| format!("the workspace {} cannot be read: {e}", root.display()))?;
    match tool {
        ToolRequest::ReadFile { path, start, end } => read::read(&root, &path, start, end),
        ToolRequest::ListFiles { glob } => list::list(&root, glob.as_deref()).map(|t| (t, None)),
        ToolRequest::Search { pattern, glob } => {
            search::search(&root, &pattern, glob.as_deref()).map(|t| (t, None))
        }
    }
}

/// The workspace's files as `list_files` sees them (gitignored, hidden and state files left
/// out), relative: what a reply's mentions are matched against.
pub fn workspace_files(root: &Path) -> Vec<PathBuf> {
    match root.canonicalize() {
        Ok(root) => files::walk(&root).0,
        Err(_) => Vec::new(),
    }
}

/// The text of the workspace file `path`, through the tools' confinement (a file the user adds
/// to the request is read as the model's reads are); or why not, in words.
pub fn read_confined(root: &Path, path: &Path) -> Result<String, String> {
    let root = root
        .canonicalize()
        .map_err(|e| format!("the workspace {} cannot be read: {e}", root.display()))?;
    let shown = path.display().to_string();
    files::read_text(&root, &shown)
        .map(|(_, text)| text)
        .map_err(|why| format!("{shown}: {}", why.words()))
}

/// The call in a few words, for its line in the conversation: `read more.py 120-180`,
/// `list src/**/*.py`, `search "def allow" *.py`; a call whose arguments cannot be read says
/// so.
pub fn label(call: &ToolCall) -> String {
    match ToolRequest::parse(call) {
        Ok(tool) => tool.label(),
        Err(_) if NAMES.contains(&call.name.as_str()) => format!("{} (bad arguments)", call.name),
        Err(_) => format!("{} (no such tool)", one_line(&call.name, 40)),
    }
}

/// The calls of one user turn, to catch a model that asks the same thing again and again.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Each call made this turn (tool name and arguments, normalized) and its round.
    seen: std::collections::HashMap<(String, String), u32>,
    /// Rounds in a row in which every call was a repeat.
    idle_rounds: u32,
}

/// Rounds in a row made only of repeated calls after which the turn stops.
pub const MAX_IDLE_ROUNDS: u32 = 2;

impl Ledger {
    /// A repeat's error result, when `call` was made before in this turn (same tool, same
    /// arguments); `None` for a new call, which is noted.
    pub fn repeat(&mut self, call: &ToolCall, round: u32) -> Option<ToolResult> {
        let key = (call.name.clone(), normalized(&call.arguments));
        match self.seen.get(&key) {
            Some(&before) => Some(ToolResult {
                call_id: call.id.clone(),
                content: format!(
                    "error: the same call was made in round {before} of this turn; its result \
                     is above. Use it, or ask for something else."
                ),
                is_error: true,
            }),
            None => {
                self.seen.insert(key, round);
                None
            }
        }
    }

    /// Ends a round in which `repeats` of `calls` calls were repeats: whether the turn should
    /// stop (the model asked only what it already had, [`MAX_IDLE_ROUNDS`] rounds in a row).
    pub fn end_round(&mut self, calls: usize, repeats: usize) -> bool {
        if calls > 0 && repeats == calls {
            self.idle_rounds += 1;
        } else {
            self.idle_rounds = 0;
        }
        self.idle_rounds >= MAX_IDLE_ROUNDS
    }
}

/// Arguments in one canonical form (keys sorted, no spacing), or as sent when not JSON.
fn normalized(arguments: &str) -> String {
    serde_json::from_str::<serde_json::Value>(arguments)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| arguments.trim().to_string())
}

#[cfg(test)]
mod tests;
