//! The Conversation pane's state: the messages, the reply streaming in, the parts of the next
//! request with their token counts (what the gauge shows), and the composer's history.

use tokio::time::Instant;

use super::counting::Counting;
use super::message::{Message, MessageStatus};
use crate::code::highlight::Highlighter;
use crate::llm::calibration::Figure;
use crate::llm::context::{ContextUse, Mismatch, SegmentKind, Segments, scale};
use crate::llm::tokens::{self, Encoding};
use crate::llm::window::Source;
use crate::llm::{ChatMessage, ChatRequest, Role, Usage};
use crate::session::PromptKind;
use crate::theme::Theme;

/// The system prompt: role, edit formats, rules.
pub const SYSTEM_PROMPT: &str = crate::assets::PROMPT_SYSTEM;

/// A reply in flight.
#[derive(Debug, Clone)]
pub struct Turn {
    pub id: u64,
    /// The index of the assistant message being streamed.
    pub message: usize,
    /// What the request was expected to count (exact, calibrated or estimated), for the
    /// truncation alarm.
    pub expected: Figure,
    /// The request's local estimate, to calibrate by what the server reports.
    pub raw: u32,
    pub usage: Usage,
    /// A retry being waited for: attempt, attempts, when it fires, why.
    pub retry: Option<(u32, u32, Instant, String)>,
    /// When the streaming text was last counted.
    pub counted: Option<Instant>,
    /// The starts of the stream's unreadable events, as reported.
    pub damage: Vec<String>,
    /// The request this reply answers: a tool round's continuation extends it.
    pub request: Box<ChatRequest>,
    /// The user's message as typed (or the fix round's) and why it was sent: every request
    /// of the user turn carries them (a cassette finds its replies by them).
    pub prompt: String,
    pub kind: PromptKind,
    /// Requests with tool results before this one in the user turn (0: the message's own).
    pub round: u32,
    /// The user turn's calls so far, to answer a repeat without running it.
    pub ledger: crate::tools::Ledger,
    /// The reply ended with tool calls, which are running now.
    pub running: bool,
    /// The request was sent again without tools after the server refused them.
    pub resent: bool,
}

/// The tools' side of the conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolState {
    /// Why the tools are off for this session (the server refused them), once it did.
    pub off: Option<String>,
    /// Whether the tool lines show their results (`t`).
    pub expanded: bool,
    /// Why the last user turn's tool rounds stopped early (`run` prints it).
    pub stopped: Option<String>,
    /// Files the last reply mentioned that the request did not carry, offered (`+` adds them).
    pub offered: Vec<std::path::PathBuf>,
    /// The reply whose mentions are being looked for.
    pub looking: Option<u64>,
}

/// Text with its token count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counted {
    pub text: String,
    pub tokens: u32,
}

/// What the provider reported for the last request, while nothing has changed since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reported {
    /// The revision of the context the report describes.
    pub revision: u64,
    /// Prompt plus completion tokens.
    pub total: u32,
    pub mismatch: Option<Mismatch>,
}

/// The Conversation pane's state.
#[derive(Debug, Clone)]
pub struct ConversationPane {
    /// The first line shown.
    pub scroll: usize,
    /// Whether the view follows the end (it does until the user scrolls up).
    pub follow: bool,
    pub messages: Vec<Message>,
    pub turn: Option<Turn>,
    /// The request's parts before the history: system, spec, code, tests.
    pub system: Counted,
    pub spec: Counted,
    pub code: Counted,
    pub tests: Counted,
    /// A fresh session's opening and lessons (empty otherwise).
    pub lessons: Counted,
    /// Whether this is a fresh session's conversation: its requests end the seed with the spec.
    pub seeded: bool,
    pub reanchor: Counted,
    /// The draft's tokens and the draft they were counted for.
    pub draft: Counted,
    /// The tokenizer for the configured model.
    pub encoding: Encoding,
    pub tokenizer_ready: bool,
    /// The context window and where the figure came from.
    pub window: (u32, Source),
    /// Who counts the next request exactly, the calibration, the exact count in force.
    pub counting: Counting,
    /// Bumped by every change to what the next request would hold.
    pub revision: u64,
    pub reported: Option<Reported>,
    /// Messages sent, oldest first, for `Up`/`Down` in an empty composer.
    pub sent: Vec<String>,
    /// The position while browsing `sent`.
    pub browsing: Option<usize>,
    /// Prompts the replay cassette holds, offered in turn as the draft.
    pub offered: Vec<String>,
    /// The draft as it was offered, so an untouched offer is not "unsent work".
    pub offer: Option<String>,
    /// Total rendered lines and where each message starts, at `width`.
    pub starts: Vec<usize>,
    pub total_lines: usize,
    pub width: u16,
    pub highlighter: Highlighter,
    /// The turns whose reply is damaged: their changes are never applied without a look.
    pub damaged: std::collections::BTreeSet<u64>,
    pub tools: ToolState,
}

impl ConversationPane {
    /// An empty conversation for `model_name`, with the window from config or the table.
    pub fn new(model_name: &str, configured: Option<u32>, theme: &Theme) -> Self {
        let encoding = Encoding::for_model(model_name);
        let mut pane = Self {
            scroll: 0,
            follow: true,
            messages: Vec::new(),
            turn: None,
            system: Counted::default(),
            spec: Counted::default(),
            code: Counted::default(),
            tests: Counted::default(),
            lessons: Counted::default(),
            seeded: false,
            reanchor: Counted::default(),
            draft: Counted::default(),
            encoding,
            tokenizer_ready: tokens::ready(encoding),
            window: crate::llm::window::resolve(None, configured, model_name),
            counting: Counting::new(model_name),
            revision: 0,
            reported: None,
            sent: Vec::new(),
            browsing: None,
            offered: Vec::new(),
            offer: None,
            starts: Vec::new(),
            total_lines: 0,
            width: 0,
            highlighter: Highlighter::new(theme.syntax()),
            damaged: std::collections::BTreeSet::new(),
            tools: ToolState::default(),
        };
        pane.system = pane.counted(SYSTEM_PROMPT.to_string());
        pane
    }

    /// Counts `text`: with the tokenizer once it is loaded, else as bytes / 4.
    pub fn count(&self, text: &str) -> u32 {
        if self.tokenizer_ready {
            tokens::count(self.encoding, text)
        } else {
            (text.len() as u32).div_ceil(4)
        }
    }

    /// [`ConversationPane::count`] as a closure that borrows nothing.
    pub(crate) fn counter(&self) -> impl Fn(&str) -> u32 + use<> {
        let (encoding, ready) = (self.encoding, self.tokenizer_ready);
        move |text| {
            if ready {
                tokens::count(encoding, text)
            } else {
                (text.len() as u32).div_ceil(4)
            }
        }
    }

    pub(crate) fn counted(&self, text: String) -> Counted {
        let tokens = self.count(&text);
        Counted { text, tokens }
    }

    /// Whether a reply is streaming.
    pub fn streaming(&self) -> bool {
        self.turn.is_some()
    }

    /// The request's segments in order: a fresh session ends its seed with the spec.
    pub fn order(&self) -> &'static [SegmentKind; crate::llm::context::SEGMENTS] {
        if self.seeded {
            &SegmentKind::SEEDED
        } else {
            &SegmentKind::ALL
        }
    }

    /// A part of the request that is one counted text: everything but the history, which is
    /// the messages (`None`); the message is the draft.
    pub fn part(&self, kind: SegmentKind) -> Option<&Counted> {
        Some(match kind {
            SegmentKind::System => &self.system,
            SegmentKind::Spec => &self.spec,
            SegmentKind::Code => &self.code,
            SegmentKind::Tests => &self.tests,
            SegmentKind::Lessons => &self.lessons,
            SegmentKind::Reanchor => &self.reanchor,
            SegmentKind::Message => &self.draft,
            SegmentKind::History => return None,
        })
    }

    /// Forgets the conversation for a fresh session: the messages, the reply in flight and
    /// the reported usage go, with the offers; the parts, the tokenizer, the composer's
    /// history and whether the server takes tools stay.
    pub fn clear(&mut self) {
        self.tools = ToolState {
            off: self.tools.off.take(),
            expanded: self.tools.expanded,
            ..ToolState::default()
        };
        self.messages.clear();
        self.turn = None;
        self.reported = None;
        self.scroll = 0;
        self.follow = true;
        self.starts.clear();
        self.total_lines = 0;
        self.revision += 1;
    }

    /// The history the next request carries: complete turns, and the partial text of
    /// interrupted replies; failed ones and their unanswered messages are left out.
    pub fn history(&self) -> Vec<ChatMessage> {
        self.history_messages()
            .into_iter()
            .map(super::message::Message::chat)
            .collect()
    }

    /// The messages [`ConversationPane::history`] is made of, borrowed.
    pub fn history_messages(&self) -> Vec<&Message> {
        let mut out: Vec<&Message> = Vec::new();
        let user_last = |out: &Vec<&Message>| out.last().is_some_and(|l| l.role == Role::User);
        for m in &self.messages {
            let kept = matches!(
                m.status,
                MessageStatus::Complete | MessageStatus::Interrupted(_) | MessageStatus::Damaged(_)
            ) && (!m.text.trim().is_empty() || !m.tools.is_empty());
            // A user message whose answer failed goes with it; so does one followed by
            // another user message.
            if (!kept && m.role == Role::Assistant || kept && m.role == Role::User)
                && user_last(&out)
            {
                out.pop();
            }
            if kept {
                out.push(m);
            }
        }
        if user_last(&out) {
            out.pop();
        }
        out
    }

    /// Tokens of the history the next request carries, the reply streaming now included
    /// (it fills the gauge as it arrives), tool calls and their results included (they count
    /// in the history segment); failed exchanges are left out.
    pub fn history_tokens(&self) -> u32 {
        let failed = |i: usize| {
            self.messages
                .get(i)
                .is_some_and(|m| matches!(m.status, MessageStatus::Failed(_)))
        };
        self.messages
            .iter()
            .enumerate()
            .filter(|&(i, m)| !(failed(i) || m.role == Role::User && failed(i + 1)))
            .map(|(_, m)| m.tokens + m.tool_tokens())
            .sum()
    }

    /// The next request's local estimate, segment by segment.
    pub fn raw_segments(&self) -> Segments {
        let mut segments = if self.seeded {
            Segments::seeded()
        } else {
            Segments::default()
        };
        debug_assert_eq!(segments.order(), self.order());
        segments.set(SegmentKind::System, self.system.tokens);
        segments.set(SegmentKind::Spec, self.spec.tokens);
        segments.set(SegmentKind::Code, self.code.tokens);
        segments.set(SegmentKind::Tests, self.tests.tokens);
        segments.set(SegmentKind::Lessons, self.lessons.tokens);
        segments.set(SegmentKind::History, self.history_tokens());
        segments.set(SegmentKind::Message, self.draft.tokens);
        segments.set(SegmentKind::Reanchor, self.reanchor.tokens);
        segments
    }

    /// The next request, segment by segment, as the gauge shows it: the estimate scaled to
    /// the exact, reported or calibrated figure ([`ConversationPane::figure`]), with the
    /// reply's reserve for `max_output_tokens` by the reserve rule.
    pub fn context_use(&self, max_output_tokens: u32) -> ContextUse {
        let raw = self.raw_segments();
        let figure = self.figure(raw.total());
        let segments = if figure.tokens == raw.total() {
            raw
        } else {
            scale(raw, figure.tokens)
        };
        ContextUse {
            segments,
            window: self.window.0,
            reserve: self.reserve(max_output_tokens).tokens,
            exact: !figure.basis.approximate(),
            mismatch: self.reported.and_then(|r| r.mismatch),
        }
    }
}
