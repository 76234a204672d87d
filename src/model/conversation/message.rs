//! One message of the conversation: its text, how it stands, its tokens, and its rendered lines
//! (kept only while it is on or near the screen).

use ratatui::text::Line;

use super::tool_use::ToolUse;
use crate::llm::Role;
use crate::render::stream::MarkdownStream;
use crate::session::PromptKind;

/// Where a message stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageStatus {
    Complete,
    /// Text is still arriving.
    Streaming,
    /// The reply stopped early; what arrived is kept. The reason in words.
    Interrupted(String),
    /// The reply ended, but events of its stream could not be read: what was read is kept,
    /// and a piece may be missing. The damage in words.
    Damaged(String),
    /// Nothing arrived; the error in words.
    Failed(String),
}

/// One message of the conversation.
#[derive(Debug, Clone)]
pub struct Message {
    pub role: Role,
    pub text: String,
    pub status: MessageStatus,
    /// For user messages: typed, or a fix round specbench wrote.
    pub kind: PromptKind,
    /// For user messages: the failure classes it corrects (a marked correction, a fix round).
    pub corrects: Vec<String>,
    /// Tokens of `text` (cached; a streaming reply is re-counted at most 10 times a second).
    pub tokens: u32,
    /// Whether `tokens` came from the real tokenizer (not yet loaded: a bytes/4 estimate).
    pub exact_count: bool,
    /// For replies: the tools it called, in the order they arrived, with their results.
    pub tools: Vec<ToolUse>,
    /// The rendered lines, kept only while the message is on or near the screen (empty
    /// otherwise), and whether they are highlighted.
    pub(super) lines: Vec<Line<'static>>,
    pub(super) full: bool,
    /// How many lines the message takes at the width and revision it was sized for.
    pub(super) height: usize,
    pub(super) rendered: Option<(u16, u64)>,
    /// While streaming: the finished blocks, kept so each chunk re-renders only the block
    /// still growing.
    pub(super) stream: MarkdownStream,
    /// Bumped on every change to the text or status.
    pub(super) revision: u64,
}

impl Message {
    /// A message with nothing counted or rendered yet.
    pub fn new(role: Role, text: String, status: MessageStatus) -> Self {
        Self {
            role,
            text,
            status,
            kind: PromptKind::Message,
            corrects: Vec::new(),
            tokens: 0,
            exact_count: false,
            tools: Vec::new(),
            lines: Vec::new(),
            full: false,
            height: 0,
            rendered: None,
            stream: MarkdownStream::default(),
            revision: 0,
        }
    }

    /// The rendered lines at the width of the last layout; empty for a message far from the
    /// screen, whose lines are not kept.
    pub fn lines(&self) -> &[Line<'static>] {
        &self.lines
    }

    /// Tokens of the tool calls and their results.
    pub fn tool_tokens(&self) -> u32 {
        self.tools.iter().map(|t| t.tokens).sum()
    }

    /// The message as the request carries it: its text, and the calls it made with their
    /// results (a call without one goes back as not run).
    pub fn chat(&self) -> crate::llm::ChatMessage {
        let mut out = crate::llm::ChatMessage::new(self.role, self.text.clone());
        out.tool_calls = self.tools.iter().map(|t| t.call.clone()).collect();
        out.tool_results = self.tools.iter().filter_map(|t| t.result.clone()).collect();
        out
    }

    pub(crate) fn touch(&mut self) {
        self.revision += 1;
    }
}

/// The damage a stream's reports describe, in words.
pub fn damage_words(reports: &[String]) -> String {
    let first = reports.first().map_or("", String::as_str);
    match reports.len() {
        1 => format!(
            "an event of the stream could not be read (`{first}`); a piece of the reply may be \
             missing"
        ),
        n => {
            let n = if n >= crate::llm::client::MAX_DAMAGE_REPORTS {
                format!("{n} or more")
            } else {
                n.to_string()
            };
            format!(
                "{n} events of the stream could not be read (the first: `{first}`); pieces of \
                 the reply may be missing"
            )
        }
    }
}
