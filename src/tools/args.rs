//! A tool call's arguments read leniently (a number sent as a string is taken, unknown keys
//! are ignored) and refused with words the model can act on.

use serde_json::{Map, Value};

use crate::llm::ToolCall;

use super::limits::one_line;

/// The names of the tools, as offered.
pub const NAMES: [&str; 3] = ["read_file", "list_files", "search"];

/// A call with its arguments read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolRequest {
    ReadFile {
        path: String,
        start: Option<usize>,
        end: Option<usize>,
    },
    ListFiles {
        glob: Option<String>,
    },
    Search {
        pattern: String,
        glob: Option<String>,
    },
}

impl ToolRequest {
    /// Reads `call`, or says what is wrong with it.
    pub fn parse(call: &ToolCall) -> Result<ToolRequest, String> {
        let name = call.name.as_str();
        if !NAMES.contains(&name) {
            return Err(format!(
                "there is no tool named `{}`; the tools are {}",
                one_line(name, 40),
                NAMES.join(", ")
            ));
        }
        let args = object(name, &call.arguments)?;
        Ok(match name {
            "read_file" => ToolRequest::ReadFile {
                path: required(name, &args, "path")?,
                start: line(name, &args, "start_line")?,
                end: line(name, &args, "end_line")?,
            },
            "list_files" => ToolRequest::ListFiles {
                glob: optional(name, &args, "glob")?,
            },
            _ => ToolRequest::Search {
                pattern: required(name, &args, "pattern")?,
                glob: optional(name, &args, "glob")?,
            },
        })
    }

    /// The call in a few words.
    pub fn label(&self) -> String {
        let short = |s: &str| one_line(s, 60);
        match self {
            ToolRequest::ReadFile { path, start, end } => {
                let range = match (start, end) {
                    (None, None) => String::new(),
                    (Some(s), None) => format!(" {s}-"),
                    (None, Some(e)) => format!(" 1-{e}"),
                    (Some(s), Some(e)) => format!(" {s}-{e}"),
                };
                format!("read {}{range}", short(path))
            }
            ToolRequest::ListFiles { glob: None } => "list files".into(),
            ToolRequest::ListFiles { glob: Some(g) } => format!("list {}", short(g)),
            ToolRequest::Search { pattern, glob } => {
                let mut out = format!("search \"{}\"", short(pattern));
                if let Some(g) = glob {
                    out.push_str(&format!(" in {}", short(g)));
                }
                out
            }
        }
    }
}

/// The arguments as a JSON object; empty text counts as `{}`.
fn object(tool: &str, arguments: &str) -> Result<Map<String, Value>, String> {
    if arguments.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("{tool}'s arguments must be a JSON object")),
        Err(e) => Err(format!(
            "{tool}'s arguments are not valid JSON ({e}): `{}`",
            one_line(arguments, 80)
        )),
    }
}

/// A string argument that must be there.
fn required(tool: &str, args: &Map<String, Value>, key: &str) -> Result<String, String> {
    optional(tool, args, key)?
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("{tool} needs `{key}`"))
}

/// A string argument that may be missing (or null, or empty).
fn optional(tool: &str, args: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!(
            "{tool}'s `{key}` must be a string, not {}",
            one_line(&other.to_string(), 40)
        )),
    }
}

/// A 1-based line number that may be missing; a number sent as a string is taken.
fn line(tool: &str, args: &Map<String, Value>, key: &str) -> Result<Option<usize>, String> {
    let bad = || format!("{tool}'s `{key}` must be a line number from 1");
    let n = match args.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    match n {
        Some(n) if n >= 1 => usize::try_from(n).map(Some).map_err(|_| bad()),
        _ => Err(bad()),
    }
}
