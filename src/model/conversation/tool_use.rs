//! A tool call of a reply as the conversation keeps it: the call, its one-line label, its
//! result once run, and what it costs the request (the call and the result travel with the
//! history from then on).

use crate::llm::{ToolCall, ToolResult};

/// One tool call of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolUse {
    pub call: ToolCall,
    /// The call in a few words: `read more.py 120-180`.
    pub label: String,
    /// The stream broke before the call was complete: it is not run.
    pub cut: bool,
    /// The result sent back, once the call ran (or was answered without running).
    pub result: Option<ToolResult>,
    /// Tokens of the call (name and arguments) and of its result, as the history carries them.
    pub tokens: u32,
    /// Tokens of the result alone (0 before it arrived): what the line shows.
    pub result_tokens: u32,
    /// Sent to run; the result has not arrived yet.
    pub running: bool,
}

impl ToolUse {
    /// A call as it arrived, its cost counted by `count`.
    pub fn new(call: ToolCall, cut: bool, count: impl Fn(&str) -> u32) -> Self {
        let label = crate::tools::label(&call);
        let tokens = count(&call.name) + count(&call.arguments);
        Self {
            call,
            label,
            cut,
            result: None,
            tokens,
            result_tokens: 0,
            running: false,
        }
    }

    /// Its result arrived; its tokens join the call's.
    pub fn answer(&mut self, result: ToolResult, count: impl Fn(&str) -> u32) {
        self.result_tokens = count(&result.content);
        self.tokens = count(&self.call.name) + count(&self.call.arguments) + self.result_tokens;
        self.result = Some(result);
        self.running = false;
    }
}
