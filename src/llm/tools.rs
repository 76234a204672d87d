//! Native tool calling, provider-neutral: the call and result types, the assembly of a call
//! from its streamed pieces (arguments arrive as JSON text cut anywhere, several calls may
//! interleave by index), the history sent as plain text when tools are off, and the checks of
//! whether a server takes tools at all.

use std::collections::HashSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ChatMessage, Role};

/// A tool the model may call: its name, what it does, and the JSON schema of its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolDef {
    pub name: String,
    pub description: String,
    /// A JSON schema of type `object`.
    pub parameters: Value,
}

/// A tool call the model made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Unique within the reply (specbench renames an empty or repeated one).
    pub id: String,
    pub name: String,
    /// The arguments as the JSON text that arrived (possibly malformed or incomplete).
    pub arguments: String,
}

/// What a tool call gave back, sent to the model with the call's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolResult {
    pub call_id: String,
    pub content: String,
    /// A refusal or a failure: `content` says why.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
}

/// The result sent for a call that has none (the round was cancelled, or the call was cut off).
pub const NOT_RUN: &str = "error: this call was not run (the round was cancelled or the call \
                           arrived incomplete)";

/// A call's arguments as a JSON object for the wire: the parsed object, or an empty one when
/// they are malformed, incomplete or not an object (the call's result says so).
pub fn arguments_object(arguments: &str) -> serde_json::Map<String, Value> {
    match serde_json::from_str::<Value>(arguments) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// A call's arguments as JSON text for the wire: as they arrived when they are a JSON object
/// (the model's own words, which keeps a provider's prompt cache warm), else `{}`.
pub fn arguments_text(arguments: &str) -> String {
    match serde_json::from_str::<Value>(arguments) {
        Ok(Value::Object(_)) => arguments.trim().to_string(),
        _ => "{}".to_string(),
    }
}

/// An id as the wire formats accept it: ASCII letters, digits, `_` and `-` (Anthropic's rule),
/// at most 64 characters; anything else becomes `_`.
pub fn wire_id(id: &str) -> String {
    let clean: String = id
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        "call".to_string()
    } else {
        clean
    }
}

/// The result for each call of `message`, in call order: the one given, or [`NOT_RUN`].
pub fn paired(message: &ChatMessage) -> Vec<(&ToolCall, ToolResult)> {
    message
        .tool_calls
        .iter()
        .map(|call| {
            let result = message
                .tool_results
                .iter()
                .find(|r| r.call_id == call.id)
                .cloned()
                .unwrap_or_else(|| ToolResult {
                    call_id: call.id.clone(),
                    content: NOT_RUN.to_string(),
                    is_error: true,
                });
            (call, result)
        })
        .collect()
}

/// The history with every tool exchange written out as plain text, for a request without
/// tools (a server refuses tool messages when no tools are defined): each call is appended to
/// its assistant turn, the results follow as a user turn, and consecutive turns of one role
/// are joined.
pub fn flatten(messages: &[ChatMessage]) -> Vec<ChatMessage> {
    let mut out: Vec<ChatMessage> = Vec::new();
    let mut push = |role: Role, text: String| match out.last_mut() {
        Some(last) if last.role == role => {
            if !last.content.is_empty() && !text.is_empty() {
                last.content.push_str("\n\n");
            }
            last.content.push_str(&text);
        }
        _ => out.push(ChatMessage::new(role, text)),
    };
    for m in messages {
        if m.tool_calls.is_empty() {
            push(m.role, m.content.clone());
            continue;
        }
        let mut said = m.content.trim_end().to_string();
        let mut results = Vec::new();
        for (call, result) in paired(m) {
            let line = format!("[tool call: {} {}]", call.name, call.arguments.trim());
            if !said.is_empty() {
                said.push('\n');
            }
            said.push_str(&line);
            results.push(format!(
                "[tool result: {} {}]\n{}",
                call.name,
                call.arguments.trim(),
                result.content
            ));
        }
        push(m.role, said);
        push(Role::User, results.join("\n\n"));
    }
    out
}

/// Whether any message holds a tool exchange.
pub fn has_exchanges(messages: &[ChatMessage]) -> bool {
    messages.iter().any(|m| !m.tool_calls.is_empty())
}

/// A call being assembled.
#[derive(Debug)]
struct Pending {
    index: Option<u32>,
    id: String,
    name: String,
    arguments: String,
}

/// Assembles the tool calls of one reply from their streamed pieces. Calls end when their
/// block stops (Anthropic) or when the reply states why it stopped or ends (OpenAI).
#[derive(Debug, Default)]
pub struct Assembler {
    pending: Vec<Pending>,
    /// Ids already given out in this reply.
    given: HashSet<String>,
    /// Calls given out, for names of calls without an id.
    count: usize,
}

impl Assembler {
    /// Takes one piece: a new call when it carries an id other than the open call's at its
    /// index (or no index at all), else more of that call.
    pub fn delta(
        &mut self,
        index: Option<u32>,
        id: Option<String>,
        name: Option<String>,
        arguments: &str,
    ) {
        let id = id.filter(|id| !id.is_empty());
        let open = match index {
            Some(_) => self.pending.iter().rposition(|p| p.index == index),
            None => self.pending.len().checked_sub(1),
        };
        let fresh = match (open, &id) {
            (None, _) => true,
            (Some(i), Some(id)) => !self.pending[i].id.is_empty() && self.pending[i].id != *id,
            (Some(_), None) => false,
        };
        if fresh {
            self.pending.push(Pending {
                index,
                id: id.unwrap_or_default(),
                name: name.unwrap_or_default(),
                arguments: arguments.to_string(),
            });
            return;
        }
        let Some(p) = open.and_then(|i| self.pending.get_mut(i)) else {
            return;
        };
        if p.id.is_empty()
            && let Some(id) = id
        {
            p.id = id;
        }
        if let Some(name) = name {
            // A name is sent whole; one cut in pieces is put back together.
            if p.name != name {
                p.name.push_str(&name);
            }
        }
        p.arguments.push_str(arguments);
    }

    /// A content block ended: the call at `index`, if one is open there.
    pub fn block_stop(&mut self, index: u32) -> Option<ToolCall> {
        let at = self.pending.iter().position(|p| p.index == Some(index))?;
        let p = self.pending.remove(at);
        Some(self.give(p))
    }

    /// Every open call, in the order they began: the reply ended.
    pub fn finish(&mut self) -> Vec<ToolCall> {
        let pending = std::mem::take(&mut self.pending);
        pending.into_iter().map(|p| self.give(p)).collect()
    }

    /// Whether a call is open.
    pub fn is_open(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The call, with an id unique in the reply: an empty one becomes `call_N`, a repeated
    /// one gets `_2`, `_3`... (logged: a server that repeats ids is at fault).
    fn give(&mut self, p: Pending) -> ToolCall {
        self.count += 1;
        let base = if p.id.is_empty() {
            format!("call_{}", self.count)
        } else {
            p.id
        };
        let mut id = base.clone();
        let mut n = 1;
        while self.given.contains(&id) {
            n += 1;
            id = format!("{base}_{n}");
        }
        if id != base {
            tracing::warn!(repeated = %base, renamed = %id, "a repeated tool call id");
        }
        self.given.insert(id.clone());
        ToolCall {
            id,
            name: p.name,
            arguments: p.arguments,
        }
    }
}

/// Whether a server's error message is about the request's tools.
pub fn mentions_tools(message: &str) -> bool {
    let message = message.to_lowercase();
    message.contains("tool") || message.contains("function call")
}

/// Whether llama.cpp's `/props` says its chat template takes tools (`None`: it does not say).
pub fn from_llama_props(body: &str) -> Option<bool> {
    let props: Value = serde_json::from_str(body).ok()?;
    props
        .get("chat_template_caps")?
        .get("supports_tools")?
        .as_bool()
}

/// Whether Ollama's `/api/show` lists `tools` among the model's capabilities (`None`: it
/// lists none).
pub fn from_ollama_show(body: &str) -> Option<bool> {
    let show: Value = serde_json::from_str(body).ok()?;
    let caps = show.get("capabilities")?.as_array()?;
    Some(caps.iter().any(|c| c.as_str() == Some("tools")))
}

/// Asks an OpenAI-compatible server whether its model takes tools: llama.cpp's `/props`
/// (a chat template without tools ignores them without a word), then Ollama's `/api/show`.
/// Quick and quiet: any failure means "the server cannot tell".
pub async fn ask(
    client: &reqwest::Client,
    base_url: &str,
    model: &str,
    auth: Option<(&str, reqwest::header::HeaderValue)>,
) -> Option<bool> {
    if ["api.openai.com", "api.anthropic.com", "openrouter.ai"]
        .iter()
        .any(|h| base_url.contains(h))
    {
        return None;
    }
    let base = base_url.trim_end_matches('/');
    let root = base.strip_suffix("/v1").unwrap_or(base);
    let timeout = Duration::from_secs(2);
    let with_auth = |builder: reqwest::RequestBuilder| match &auth {
        Some((name, value)) => builder.header(*name, value.clone()),
        None => builder,
    };
    if let Ok(r) = with_auth(client.get(format!("{root}/props")))
        .timeout(timeout)
        .send()
        .await
        && r.status().is_success()
        && let Some(says) = r.text().await.ok().as_deref().and_then(from_llama_props)
    {
        return Some(says);
    }
    let show = with_auth(client.post(format!("{root}/api/show")))
        .timeout(timeout)
        .json(&serde_json::json!({ "model": model }))
        .send()
        .await
        .ok()?;
    if !show.status().is_success() {
        return None;
    }
    from_ollama_show(&show.text().await.ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str, name: &str, arguments: &str) -> ToolCall {
        ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        }
    }

    #[test]
    fn openai_pieces_make_calls_by_index() {
        let mut a = Assembler::default();
        a.delta(
            Some(0),
            Some("call_a".into()),
            Some("read_file".into()),
            "{\"pa",
        );
        a.delta(Some(0), None, None, "th\": \"a.py\"}");
        a.delta(Some(1), Some("call_b".into()), Some("search".into()), "");
        a.delta(Some(1), None, None, "{\"pattern\": \"x\"}");
        assert!(a.is_open());
        assert_eq!(
            a.finish(),
            [
                call("call_a", "read_file", "{\"path\": \"a.py\"}"),
                call("call_b", "search", "{\"pattern\": \"x\"}"),
            ]
        );
        assert!(!a.is_open());
    }

    #[test]
    fn interleaved_indices_and_calls_without_an_index() {
        let mut a = Assembler::default();
        a.delta(Some(0), Some("a".into()), Some("read_file".into()), "{");
        a.delta(Some(1), Some("b".into()), Some("list_files".into()), "{");
        a.delta(Some(0), None, None, "}");
        a.delta(Some(1), None, None, "}");
        assert_eq!(
            a.finish(),
            [call("a", "read_file", "{}"), call("b", "list_files", "{}")]
        );
        // Ollama's older chunks: whole calls, no index.
        let mut a = Assembler::default();
        a.delta(None, Some("x".into()), Some("search".into()), "{}");
        a.delta(None, Some("y".into()), Some("search".into()), "{\"a\":1}");
        assert_eq!(
            a.finish(),
            [call("x", "search", "{}"), call("y", "search", "{\"a\":1}")]
        );
    }

    #[test]
    fn anthropic_blocks_end_their_calls() {
        let mut a = Assembler::default();
        a.delta(
            Some(1),
            Some("toolu_1".into()),
            Some("read_file".into()),
            "",
        );
        a.delta(Some(1), None, None, "{\"path\":");
        assert_eq!(a.block_stop(0), None, "a text block");
        a.delta(Some(1), None, None, "\"a.py\"}");
        assert_eq!(
            a.block_stop(1),
            Some(call("toolu_1", "read_file", "{\"path\":\"a.py\"}"))
        );
        assert_eq!(a.finish(), []);
    }

    #[test]
    fn empty_and_repeated_ids_are_made_unique() {
        let mut a = Assembler::default();
        a.delta(Some(0), Some(String::new()), Some("search".into()), "{}");
        a.delta(Some(1), Some("dup".into()), Some("search".into()), "{}");
        a.delta(Some(2), Some("dup".into()), Some("search".into()), "{}");
        a.delta(Some(3), Some("dup_2".into()), Some("search".into()), "{}");
        let ids: Vec<String> = a.finish().into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["call_1", "dup", "dup_2", "dup_2_2"]);
    }

    #[test]
    fn a_new_id_at_an_open_index_is_a_new_call() {
        let mut a = Assembler::default();
        a.delta(Some(0), Some("a".into()), Some("search".into()), "{}");
        a.delta(Some(0), Some("b".into()), Some("search".into()), "{");
        a.delta(Some(0), None, None, "}");
        assert_eq!(
            a.finish(),
            [call("a", "search", "{}"), call("b", "search", "{}")]
        );
    }

    #[test]
    fn malformed_arguments_go_on_the_wire_as_an_empty_object() {
        assert_eq!(arguments_object("{\"path\":\"a\"}").len(), 1);
        for bad in ["", "{\"path\":", "[1]", "\"x\"", "null"] {
            assert!(arguments_object(bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn wire_ids_keep_safe_characters() {
        assert_eq!(wire_id("call_AB-9"), "call_AB-9");
        assert_eq!(wire_id("fc:1/2 é"), "fc_1_2__");
        assert_eq!(wire_id(""), "call");
        assert_eq!(wire_id(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn flattened_history_writes_calls_and_results_as_text() {
        let mut asked = ChatMessage::assistant("Let me look.");
        asked.tool_calls = vec![
            call("a", "read_file", "{\"path\":\"a.py\"}"),
            call("b", "search", "{\"pattern\":\"x\"}"),
        ];
        asked.tool_results = vec![ToolResult {
            call_id: "a".into(),
            content: "1: x = 1".into(),
            is_error: false,
        }];
        let history = vec![
            ChatMessage::user("q"),
            asked,
            ChatMessage::assistant("Done."),
            ChatMessage::user("next"),
        ];
        assert!(has_exchanges(&history));
        let flat = flatten(&history);
        let roles: Vec<Role> = flat.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [
                Role::User,
                Role::Assistant,
                Role::User,
                Role::Assistant,
                Role::User
            ]
        );
        assert_eq!(
            flat[1].content,
            "Let me look.\n[tool call: read_file {\"path\":\"a.py\"}]\n[tool call: search {\"pattern\":\"x\"}]"
        );
        assert_eq!(
            flat[2].content,
            format!(
                "[tool result: read_file {{\"path\":\"a.py\"}}]\n1: x = 1\n\n[tool result: search {{\"pattern\":\"x\"}}]\n{NOT_RUN}"
            )
        );
        assert!(flat.iter().all(|m| m.tool_calls.is_empty()));
        assert!(!has_exchanges(&flat));
    }

    #[test]
    fn tools_refusals_are_recognised() {
        for m in [
            "tools param requires --jinja flag",
            "registry.ollama.ai/library/gemma:2b does not support tools",
            "\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set",
        ] {
            assert!(mentions_tools(m), "{m}");
        }
        assert!(!mentions_tools("the context is full"));
    }

    #[test]
    fn reads_the_real_llama_props_captures() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tools/");
        let read = |name: &str| std::fs::read_to_string(format!("{dir}{name}")).unwrap();
        assert_eq!(
            from_llama_props(&read("llama_props_template_without_tools.json")),
            Some(false)
        );
        assert_eq!(
            from_llama_props(&read("llama_props_tools.json")),
            Some(true)
        );
        let older = include_str!("../../tests/fixtures/llama/props.json");
        assert_eq!(from_llama_props(older), Some(false));
        assert_eq!(from_llama_props(r#"{"n_ctx":4096}"#), None);
        assert_eq!(from_llama_props("not json"), None);
    }

    #[test]
    fn reads_ollama_capabilities() {
        assert_eq!(
            from_ollama_show(r#"{"capabilities":["completion","tools"]}"#),
            Some(true)
        );
        assert_eq!(
            from_ollama_show(r#"{"capabilities":["completion"]}"#),
            Some(false)
        );
        assert_eq!(from_ollama_show(r#"{"model_info":{}}"#), None);
    }
}
