//! The Conversation pane's state: the messages, the reply streaming in, the parts of the next
//! request with their token counts (what the gauge shows), and the composer's history.

use std::time::Duration;

use ratatui::text::{Line, Span};
use tokio::time::Instant;

use super::{Cmd, Model, NoticeKind};
use crate::code::highlight::Highlighter;
use crate::llm::client::{LlmError, ReplyEvent};
use crate::llm::context::{
    ContextUse, Mismatch, SegmentKind, Segments, Thresholds, fmt_tokens, scale,
};
use crate::llm::request::{self, Part};
use crate::llm::tokens::{self, Encoding};
use crate::llm::window::Source;
use crate::llm::{ChatMessage, Role, Usage};
use crate::render::stream::MarkdownStream;
use crate::render::wrap::wrap_line;
use crate::session::PromptKind;
use crate::session::journal::Record;
use crate::theme::{Theme, scope};

/// The system prompt: role, edit formats, rules.
pub const SYSTEM_PROMPT: &str = include_str!("../../assets/prompts/system.md");

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

/// A streaming reply is re-counted at most this often.
const RECOUNT_EVERY: Duration = Duration::from_millis(100);

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
    /// The rendered lines, kept only while the message is on or near the screen (empty
    /// otherwise), and whether they are highlighted.
    lines: Vec<Line<'static>>,
    full: bool,
    /// How many lines the message takes at the width and revision it was sized for.
    height: usize,
    rendered: Option<(u16, u64)>,
    /// While streaming: the finished blocks, kept so each chunk re-renders only the block
    /// still growing.
    stream: MarkdownStream,
    /// Bumped on every change to the text or status.
    revision: u64,
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

    fn touch(&mut self) {
        self.revision += 1;
    }
}

/// A reply in flight.
#[derive(Debug, Clone)]
pub struct Turn {
    pub id: u64,
    /// The index of the assistant message being streamed.
    pub message: usize,
    /// The pre-send estimate of the request's tokens, for the truncation check.
    pub estimate: u32,
    pub usage: Usage,
    /// A retry being waited for: attempt, attempts, when it fires, why.
    pub retry: Option<(u32, u32, Instant, String)>,
    /// When the streaming text was last counted.
    pub counted: Option<Instant>,
    /// The starts of the stream's unreadable events, as reported.
    pub damage: Vec<String>,
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

    pub(super) fn counted(&self, text: String) -> Counted {
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
    /// the reported usage go; the parts, the tokenizer and the composer's history stay.
    pub fn clear(&mut self) {
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
            .map(|m| ChatMessage {
                role: m.role,
                content: m.text.clone(),
            })
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
            ) && !m.text.trim().is_empty();
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
    /// (it fills the gauge as it arrives); failed exchanges are left out.
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
            .map(|(_, m)| m.tokens)
            .sum()
    }

    /// The next request, segment by segment, as the gauge shows it.
    pub fn context_use(&self, reserve: u32) -> ContextUse {
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
        let mut usage = ContextUse {
            segments,
            window: self.window.0,
            reserve,
            exact: false,
            mismatch: None,
        };
        if let Some(r) = self.reported {
            usage.mismatch = r.mismatch;
            if r.revision == self.revision && self.turn.is_none() {
                usage.segments = scale(segments, r.total);
                usage.exact = true;
            }
        }
        usage
    }

    /// Lays out every message for `width` and keeps the scroll position in range (following
    /// the end unless the user scrolled away). Only what changed is sized again, plain (the
    /// cost of highlighting changes no line break); only the messages on or near the screen
    /// keep their lines, highlighted, so a long conversation costs what the screen shows.
    pub fn layout(&mut self, width: u16, height: usize, theme: &Theme) {
        let width = width.max(8);
        let plain = self.highlighter.plain();
        let mut total = 0;
        self.starts.clear();
        for m in &mut self.messages {
            let key = (width, m.revision);
            if m.rendered != Some(key) {
                // What was on screen is rendered whole again (a streaming reply grows there);
                // the rest only sized.
                let hl = if m.full { &self.highlighter } else { &plain };
                let lines = render_message(m, width, theme, hl);
                m.height = lines.len();
                m.lines = lines;
                m.rendered = Some(key);
            }
            self.starts.push(total);
            total += m.height;
        }
        self.total_lines = total;
        self.width = width;
        let max = total.saturating_sub(height);
        if self.follow || self.scroll > max {
            self.scroll = max;
        }
        // The window that keeps its lines: the screen and a screen either side.
        let (lo, hi) = (self.scroll.saturating_sub(height), self.scroll + 2 * height);
        let mut moved = false;
        for (m, &start) in self.messages.iter_mut().zip(&self.starts) {
            if start + m.height > lo && start < hi {
                if !m.full {
                    let lines = render_message(m, width, theme, &self.highlighter);
                    moved |= lines.len() != m.height;
                    m.height = lines.len();
                    m.lines = lines;
                    m.full = true;
                }
            } else if !m.lines.is_empty() {
                m.lines = Vec::new();
                m.full = false;
            }
        }
        // Highlighting never changes a break; should it, the offsets follow.
        if moved {
            self.starts.clear();
            let mut total = 0;
            for m in &self.messages {
                self.starts.push(total);
                total += m.height;
            }
            self.total_lines = total;
        }
    }
}

/// A reply's body: while it streams, the finished blocks are rendered once (extended as more
/// finish) and only the growing block is rendered again.
fn render_body(m: &mut Message, width: u16, theme: &Theme, hl: &Highlighter) -> Vec<Line<'static>> {
    let streaming = m.status == MessageStatus::Streaming;
    m.stream.render(&m.text, streaming, width, theme, hl)
}

/// One message as lines: a header, the body, a blank separator.
fn render_message(
    m: &mut Message,
    width: u16,
    theme: &Theme,
    hl: &Highlighter,
) -> Vec<Line<'static>> {
    let approx = if m.exact_count { "" } else { "~" };
    let (who, style) = match (m.role, m.kind) {
        (Role::User, PromptKind::Fix { round, of }) => (
            format!("specbench · fix round {round}/{of}"),
            theme.style(scope::CONVERSATION_FIX),
        ),
        (Role::User, PromptKind::Message) => {
            ("you".to_string(), theme.style(scope::CONVERSATION_USER))
        }
        (Role::Assistant, _) => ("model".to_string(), theme.style(scope::CONVERSATION_SYSTEM)),
    };
    let mut header = vec![Span::styled(format!("▍{who}"), style)];
    let meta = theme.style(scope::TEXT_DIM);
    if m.role == Role::User && m.kind == PromptKind::Message && !m.corrects.is_empty() {
        let classes: Vec<String> = m
            .corrects
            .iter()
            .map(|k| crate::session::signature::Signature::from_key(k).to_string())
            .collect();
        header.push(Span::styled(
            format!(" · correction of {}", classes.join(", ")),
            theme.style(scope::LOOP_CORRECTION),
        ));
    }
    match &m.status {
        MessageStatus::Streaming if m.tokens == 0 => {
            header.push(Span::styled(" · streaming", meta));
        }
        MessageStatus::Streaming => header.push(Span::styled(
            format!(" · streaming · {approx}{} tokens", fmt_tokens(m.tokens)),
            meta,
        )),
        MessageStatus::Interrupted(why) => header.push(Span::styled(
            format!(" · interrupted: {why}"),
            theme.style(scope::CONVERSATION_INTERRUPTED),
        )),
        MessageStatus::Damaged(_) => header.push(Span::styled(
            " · damaged",
            theme.style(scope::CONVERSATION_INTERRUPTED),
        )),
        MessageStatus::Failed(_) => {
            header.push(Span::styled(
                " · failed",
                theme.style(scope::CONVERSATION_ERROR),
            ));
        }
        MessageStatus::Complete if m.tokens > 0 => header.push(Span::styled(
            format!(" · {approx}{} tokens", fmt_tokens(m.tokens)),
            meta,
        )),
        MessageStatus::Complete => {}
    }
    let mut lines = vec![Line::from(header)];
    match m.role {
        Role::User => {
            let style = theme.style(scope::TEXT);
            for line in m.text.lines() {
                let line = Line::styled(line.to_string(), style);
                lines.extend(wrap_line(&line, width as usize));
            }
        }
        Role::Assistant => {
            if m.text.is_empty() && m.status == MessageStatus::Streaming {
                lines.push(Line::styled("…", theme.style(scope::TEXT_DIM)));
            }
            lines.extend(render_body(m, width, theme, hl));
        }
    }
    if let MessageStatus::Failed(error) = &m.status {
        let line = Line::styled(error.clone(), theme.style(scope::CONVERSATION_ERROR));
        lines.extend(wrap_line(&line, width as usize));
    }
    if let MessageStatus::Damaged(why) = &m.status {
        let line = Line::styled(
            format!("⚠ Damaged: {why}"),
            theme.style(scope::CONVERSATION_INTERRUPTED),
        );
        lines.extend(wrap_line(&line, width as usize));
    }
    lines.push(Line::default());
    lines
}

impl Model {
    /// Rebuilds the spec and re-anchor parts from the pinned spec.
    pub fn rebuild_spec_part(&mut self) {
        let conv = &self.conversation;
        let (spec, reanchor) = match &self.spec.pinned {
            Some(p) => {
                let version = format!("v{}", p.pin.version);
                let clauses: Vec<(String, String)> = p
                    .spec
                    .clauses
                    .iter()
                    .map(|c| (c.id.clone(), c.text.clone()))
                    .collect();
                (
                    conv.counted(request::spec_part(&p.pin.text, &version)),
                    conv.counted(request::reanchor(&version, &clauses)),
                )
            }
            None => (Counted::default(), Counted::default()),
        };
        let conv = &mut self.conversation;
        if conv.spec != spec || conv.reanchor != reanchor {
            conv.spec = spec;
            conv.reanchor = reanchor;
            conv.revision += 1;
        }
    }

    /// Rebuilds the tests part from the latest finished run.
    pub fn rebuild_tests_part(&mut self) {
        let text = match &self.results.last {
            Some(run) => request::failures_part(&run.report.results),
            None => String::new(),
        };
        if text != self.conversation.tests.text {
            self.conversation.tests = self.conversation.counted(text);
            self.conversation.revision += 1;
        }
    }

    /// The code part arrived (read and counted off the UI task).
    pub fn on_code_context(&mut self, text: String, tokens: u32) {
        if text != self.conversation.code.text {
            self.conversation.code = Counted { text, tokens };
            self.conversation.revision += 1;
        }
    }

    /// Re-counts the draft if it changed.
    pub fn recount_draft(&mut self) {
        let draft = self.draft();
        if draft != self.conversation.draft.text {
            self.conversation.draft = self.conversation.counted(draft);
            self.conversation.revision += 1;
        }
    }

    /// The tokenizer finished loading: every cached count is redone with it.
    pub fn on_tokenizer_ready(&mut self) {
        let conv = &mut self.conversation;
        conv.tokenizer_ready = true;
        for part in [
            &mut conv.system,
            &mut conv.spec,
            &mut conv.tests,
            &mut conv.lessons,
            &mut conv.reanchor,
            &mut conv.draft,
        ] {
            part.tokens = tokens::count(conv.encoding, &part.text);
        }
        // A restored session arrives counted (off the UI task); only estimates are redone.
        for m in conv.messages.iter_mut().filter(|m| !m.exact_count) {
            m.tokens = tokens::count(conv.encoding, &m.text);
            m.exact_count = true;
            m.touch();
        }
        conv.revision += 1;
    }

    /// The provider is ready: the window the server reports, the prompts a cassette offers.
    pub fn on_provider_ready(&mut self, server_window: Option<u32>, prompts: Vec<String>) {
        let conv = &mut self.conversation;
        conv.window = crate::llm::window::resolve(
            server_window,
            self.config.model.context_window,
            &self.config.model.model,
        );
        conv.offered = prompts;
        self.offer_next();
    }

    /// Offers a message in an empty composer (or in place of an untouched offer): the current
    /// step's prompt while this conversation has not sent it, else the next prompt a replay
    /// cassette holds.
    pub(super) fn offer_next(&mut self) {
        if self.draft_is_own() || self.conversation.streaming() {
            return;
        }
        let said = |text: &str| {
            self.conversation
                .messages
                .iter()
                .any(|m| m.role == Role::User && m.text.trim() == text.trim())
        };
        let step_prompt = self
            .session
            .step
            .prompt()
            .map(|p| p.trim_end().to_string())
            .filter(|p| !said(p));
        // A cassette's other prompts, in order; never a step's prompt out of its step.
        let step_prompts: Vec<&str> = crate::session::Step::ALL
            .iter()
            .filter_map(|s| s.prompt())
            .map(str::trim_end)
            .collect();
        let next = step_prompt.or_else(|| {
            self.conversation
                .offered
                .iter()
                .find(|p| {
                    !said(p)
                        && !self.conversation.sent.contains(p)
                        && !step_prompts.contains(&p.trim_end())
                })
                .cloned()
        });
        match next {
            Some(text) => {
                if self.draft() != text {
                    self.set_draft(&text);
                }
                self.conversation.offer = Some(text);
            }
            None if self.conversation.offer.is_some() => {
                self.set_draft("");
                self.conversation.offer = None;
            }
            None => {}
        }
    }

    /// Replaces the composer's text.
    pub fn set_draft(&mut self, text: &str) {
        let mut composer = ratatui_textarea::TextArea::from(text.lines().map(str::to_string));
        composer.set_style(self.composer.style());
        composer.set_cursor_line_style(self.composer.cursor_line_style());
        composer.set_cursor_style(self.composer.cursor_style());
        composer.set_placeholder_style(self.theme.style(scope::COMPOSER_PLACEHOLDER));
        composer.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
        composer.move_cursor(ratatui_textarea::CursorMove::Bottom);
        composer.move_cursor(ratatui_textarea::CursorMove::End);
        self.composer = composer;
        self.sync_composer_placeholder();
        self.recount_draft();
    }

    /// Whether the draft is something the user wrote (not an untouched offer).
    pub fn draft_is_own(&self) -> bool {
        !self.composer.is_empty() && self.conversation.offer.as_deref() != Some(&self.draft())
    }

    /// `Enter` in the composer: send the draft as the next turn. A message marked as a
    /// correction (`Ctrl-R`) counts against the classes it corrects, and its reply is a fix
    /// attempt for them.
    pub fn send(&mut self) -> Vec<Cmd> {
        let message = self.draft();
        if message.trim().is_empty() {
            return Vec::new();
        }
        if self.conversation.streaming() {
            return vec![self.notify(
                NoticeKind::Info,
                "A reply is still streaming: Esc (in normal mode) cancels it; the draft is kept",
            )];
        }
        if !self.session.opened {
            return vec![self.notify(
                NoticeKind::Info,
                "The session is still being read back; the draft is kept",
            )];
        }
        // The user takes over: a fix loop in progress ends, an unjudged attempt is dropped.
        self.session.fix = None;
        self.session.attempt = None;
        let mut cmds = Vec::new();
        let targets = if self.session.marked {
            self.session.marked = false;
            self.correction_targets(&message)
        } else {
            Vec::new()
        };
        for target in &targets {
            cmds.extend(
                self.count_correction(target.clone(), crate::session::CorrectionSource::User),
            );
        }
        let corrects = targets.iter().map(|t| t.key()).collect();
        cmds.extend(self.send_turn(message, PromptKind::Message, corrects));
        if !targets.is_empty()
            && let Some(turn) = &self.conversation.turn
        {
            self.session.attempt = Some(super::workflow::Attempt {
                turn: turn.id,
                targets,
            });
        }
        cmds
    }

    /// Sends `message` as the next turn: the request assembled fresh, the messages added, the
    /// turn journaled before it streams.
    pub(super) fn send_turn(
        &mut self,
        message: String,
        kind: PromptKind,
        corrects: Vec<String>,
    ) -> Vec<Cmd> {
        // A fix round's message is counted here; a typed one was counted as it was typed.
        if kind.is_fix() {
            self.conversation.draft = self.conversation.counted(message.clone());
        }
        let usage = self
            .conversation
            .context_use(self.config.model.max_output_tokens);
        let estimate = usage.used();
        let parts: Vec<Part> = self.request_parts();
        let history = self.conversation.history();
        let chat = request::assemble(
            &self.config.model.model,
            self.config.model.max_output_tokens,
            &parts,
            &history,
            &message,
            &self.conversation.reanchor.text,
        );
        let id = self.next_id();
        self.session.turn_steps.insert(id, self.session.step);
        let conv = &mut self.conversation;
        let mut user = Message::new(Role::User, message.clone(), MessageStatus::Complete);
        user.tokens = conv.draft.tokens;
        user.exact_count = conv.tokenizer_ready;
        user.kind = kind;
        user.corrects = corrects.clone();
        conv.messages.push(user);
        let reply = Message::new(Role::Assistant, String::new(), MessageStatus::Streaming);
        conv.messages.push(reply);
        conv.turn = Some(Turn {
            id,
            message: conv.messages.len() - 1,
            estimate,
            usage: Usage::default(),
            retry: None,
            counted: None,
            damage: Vec::new(),
        });
        conv.follow = true;
        if kind.is_fix() {
            conv.draft = Counted::default();
        } else {
            conv.browsing = None;
            if conv.sent.last() != Some(&message) {
                conv.sent.push(message.clone());
            }
            conv.offer = None;
            self.set_draft("");
        }
        self.conversation.revision += 1;
        tracing::info!(turn = id, estimate, fix = kind.is_fix(), "sending a turn");
        vec![
            Self::journal(Record::User {
                turn: id,
                text: message.clone(),
                kind,
                corrects,
            }),
            Cmd::Send {
                turn: id,
                request: Box::new(chat),
                prompt: message,
                kind,
            },
        ]
    }

    /// A piece of the reply to turn `id` arrived at `at`.
    pub fn on_reply(&mut self, id: u64, event: ReplyEvent, at: Instant) {
        let conv = &mut self.conversation;
        let Some(turn) = conv.turn.as_mut().filter(|t| t.id == id) else {
            return;
        };
        let index = turn.message;
        match event {
            ReplyEvent::Retrying {
                attempt,
                of,
                wait_ms,
                reason,
            } => {
                turn.retry = Some((attempt, of, at + Duration::from_millis(wait_ms), reason));
                // The attempt that failed is over, its damage with it.
                turn.damage.clear();
            }
            ReplyEvent::Damaged(what) => turn.damage.push(what),
            ReplyEvent::Delta(text) => {
                turn.retry = None;
                let recount = turn.counted.is_none_or(|t| at >= t + RECOUNT_EVERY);
                if recount {
                    turn.counted = Some(at);
                }
                let m = &mut conv.messages[index];
                m.text.push_str(&text);
                m.touch();
                if recount {
                    let tokens = if conv.tokenizer_ready {
                        tokens::count(conv.encoding, &m.text)
                    } else {
                        (m.text.len() as u32).div_ceil(4)
                    };
                    let m = &mut conv.messages[index];
                    m.tokens = tokens;
                    m.exact_count = conv.tokenizer_ready;
                }
            }
            ReplyEvent::Usage(usage) => turn.usage = turn.usage.merge(usage),
            ReplyEvent::Stop(_) => {}
        }
    }

    /// The reply to turn `id` ended: completely, or with an error after what arrived.
    pub fn on_reply_ended(&mut self, id: u64, result: Result<(), LlmError>) -> Vec<Cmd> {
        let Some(turn) = self.conversation.turn.take_if(|t| t.id == id) else {
            return Vec::new();
        };
        let conv = &mut self.conversation;
        let m = &mut conv.messages[turn.message];
        let mut cmds = Vec::new();
        m.status = match &result {
            Ok(()) if !turn.damage.is_empty() => MessageStatus::Damaged(damage_words(&turn.damage)),
            Ok(()) => MessageStatus::Complete,
            Err(e) if m.text.is_empty() => MessageStatus::Failed(e.to_string()),
            Err(e) => MessageStatus::Interrupted(e.to_string()),
        };
        let damaged = match &m.status {
            MessageStatus::Damaged(why) => Some(why.clone()),
            _ => None,
        };
        m.tokens = if conv.tokenizer_ready {
            tokens::count(conv.encoding, &m.text)
        } else {
            (m.text.len() as u32).div_ceil(4)
        };
        m.exact_count = conv.tokenizer_ready;
        m.touch();
        conv.revision += 1;
        cmds.push(Self::end_record(id, &m.status, turn.usage));
        if let Some(prompt) = turn.usage.prompt {
            let mismatch = Mismatch::check(turn.estimate, prompt);
            if let Some(mm) = mismatch {
                tracing::warn!(
                    estimate = mm.estimate,
                    reported = mm.reported,
                    "token mismatch"
                );
            }
            conv.reported = Some(Reported {
                revision: conv.revision,
                total: prompt + turn.usage.completion.unwrap_or(m.tokens),
                mismatch,
            });
        }
        if let Err(e) = result {
            tracing::warn!(turn = id, error = %e, "reply did not complete");
            cmds.push(self.notify(NoticeKind::Error, e.to_string()));
        }
        if let Some(why) = damaged {
            tracing::warn!(turn = id, damage = %why, "reply damaged");
            self.conversation.damaged.insert(id);
            cmds.push(self.notify(NoticeKind::Error, format!("The reply is damaged: {why}")));
        }
        let text = self.conversation.messages[turn.message].text.clone();
        match self.propose_changes(id, &text) {
            Some(cmd) => cmds.push(cmd),
            // A fix round answered without a change: nothing to test, the loop ends.
            None if self.session.fix.is_some() => {
                self.session.fix = None;
                cmds.push(self.notify(
                    NoticeKind::Info,
                    "The model proposed no change: the fix loop stops",
                ));
            }
            None => {}
        }
        self.offer_next();
        cmds
    }

    /// `Esc`: stop the reply streaming now, keeping what arrived.
    pub fn cancel_reply(&mut self) -> Vec<Cmd> {
        let Some(turn) = self.conversation.turn.take() else {
            return Vec::new();
        };
        let conv = &mut self.conversation;
        let m = &mut conv.messages[turn.message];
        m.status = if m.text.is_empty() {
            MessageStatus::Failed("cancelled before any reply arrived".into())
        } else {
            MessageStatus::Interrupted("cancelled".into())
        };
        m.touch();
        conv.revision += 1;
        let end = Self::end_record(turn.id, &m.status, turn.usage);
        let stopped = self.session.fix.take().is_some();
        let text = if stopped {
            "Reply cancelled and the fix loop stopped; what arrived is kept"
        } else {
            "Reply cancelled; what arrived is kept"
        };
        vec![
            Cmd::CancelReply { turn: turn.id },
            end,
            self.notify(NoticeKind::Info, text),
        ]
    }

    /// `Up`/`Down` in an empty (or browsing) composer: the messages sent before.
    /// Returns false when the key should move the cursor instead.
    pub fn browse_sent(&mut self, older: bool) -> bool {
        let conv = &self.conversation;
        let browsing = conv
            .browsing
            .is_some_and(|i| conv.sent.get(i) == Some(&self.draft()));
        if !(self.composer.is_empty() || browsing) || conv.sent.is_empty() {
            return false;
        }
        let last = conv.sent.len() - 1;
        let next = match (conv.browsing.filter(|_| browsing), older) {
            (None, true) => Some(last),
            (None, false) => return true,
            (Some(0), true) => Some(0),
            (Some(i), true) => Some(i - 1),
            (Some(i), false) if i >= last => None,
            (Some(i), false) => Some(i + 1),
        };
        self.conversation.browsing = next;
        let text = next
            .map(|i| self.conversation.sent[i].clone())
            .unwrap_or_default();
        self.set_draft(&text);
        true
    }

    /// The gauge thresholds from config.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            warn: self.config.ui.gauge_warn,
            critical: self.config.ui.gauge_critical,
        }
    }
}

impl Model {
    /// The request's parts before the history, in request order, for [`request::assemble`]:
    /// a fresh session ends its seed with the spec.
    pub(crate) fn request_parts(&self) -> Vec<request::Part> {
        use crate::llm::context::SegmentKind as K;
        let conv = &self.conversation;
        conv.order()
            .iter()
            .take_while(|&&kind| kind != K::History)
            .filter_map(|&kind| {
                conv.part(kind).map(|c| request::Part {
                    kind,
                    text: c.text.clone(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::{AppEvent, Msg, update};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use std::path::PathBuf;

    fn model() -> Model {
        let theme = crate::theme::ThemeSource::default()
            .load("default")
            .unwrap();
        let mut m = Model::new(PathBuf::from("/w"), "w".into(), Config::default(), theme);
        update(&mut m, Msg::Resize(120, 40));
        m
    }

    fn key(m: &mut Model, code: KeyCode) -> Vec<Cmd> {
        update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn type_text(m: &mut Model, text: &str) {
        for c in text.chars() {
            key(m, KeyCode::Char(c));
        }
    }

    /// Composes `text`, sends it, and returns the turn id and the request.
    fn send(m: &mut Model, text: &str) -> (u64, crate::llm::ChatRequest) {
        if m.mode == crate::model::Mode::Normal {
            key(m, KeyCode::Char('i'));
        }
        type_text(m, text);
        let cmds = key(m, KeyCode::Enter);
        match cmds.into_iter().find(|c| matches!(c, Cmd::Send { .. })) {
            Some(Cmd::Send {
                turn,
                request,
                prompt,
                ..
            }) => {
                assert_eq!(prompt, text);
                (turn, *request)
            }
            other => panic!("expected a send, got {other:?}"),
        }
    }

    fn reply(m: &mut Model, turn: u64, event: ReplyEvent, at: Instant) {
        update(m, Msg::Event(AppEvent::Reply { turn, event, at }));
    }

    fn end(m: &mut Model, turn: u64, result: Result<(), LlmError>) -> Vec<Cmd> {
        update(m, Msg::Event(AppEvent::ReplyEnded { turn, result }))
    }

    #[test]
    fn a_turn_streams_completes_and_feeds_the_history() {
        let mut m = model();
        let (turn, req) = send(&mut m, "hello");
        assert!(m.composer.is_empty());
        assert_eq!(req.messages.len(), 1);
        assert!(req.system.starts_with(SYSTEM_PROMPT.trim_end()));
        let at = Instant::now();
        reply(&mut m, turn, ReplyEvent::Delta("Hi ".into()), at);
        reply(&mut m, turn, ReplyEvent::Delta("there".into()), at);
        assert_eq!(m.conversation.messages[1].text, "Hi there");
        assert_eq!(m.conversation.messages[1].status, MessageStatus::Streaming);
        assert!(m.animating());
        end(&mut m, turn, Ok(()));
        assert_eq!(m.conversation.messages[1].status, MessageStatus::Complete);
        assert!(!m.animating());
        let (_, req) = send(&mut m, "and then?");
        let roles: Vec<Role> = req.messages.iter().map(|c| c.role).collect();
        assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
        assert_eq!(req.messages[1].content, "Hi there");
    }

    #[test]
    fn the_view_follows_the_end_until_the_user_scrolls_away() {
        let mut m = model();
        let (turn, _) = send(&mut m, "hello");
        let long = "A line of the reply.\n\n".repeat(80);
        reply(&mut m, turn, ReplyEvent::Delta(long), Instant::now());
        crate::model::prepare_frame(&mut m);
        let bottom = m.conversation.scroll;
        assert!(bottom > 0 && m.conversation.follow);
        // A growing composer shrinks the view: it still shows the end.
        m.set_draft("one\ntwo\nthree\nfour");
        update(&mut m, Msg::Resize(120, 40));
        crate::model::prepare_frame(&mut m);
        assert!(m.conversation.follow);
        assert_eq!(m.conversation.scroll, bottom + 3);
        m.set_draft("");
        update(&mut m, Msg::Resize(120, 40));
        crate::model::prepare_frame(&mut m);
        key(&mut m, KeyCode::Esc);
        update(
            &mut m,
            Msg::Mouse(crossterm::event::MouseEvent {
                kind: crossterm::event::MouseEventKind::ScrollUp,
                column: 80,
                row: 5,
                modifiers: KeyModifiers::NONE,
            }),
        );
        crate::model::prepare_frame(&mut m);
        assert!(!m.conversation.follow);
        let held = m.conversation.scroll;
        assert!(held < bottom);
        reply(
            &mut m,
            turn,
            ReplyEvent::Delta("more\n\n".repeat(10)),
            Instant::now(),
        );
        crate::model::prepare_frame(&mut m);
        assert_eq!(
            m.conversation.scroll, held,
            "new text does not yank the view"
        );
        key(&mut m, KeyCode::End);
        crate::model::prepare_frame(&mut m);
        assert!(m.conversation.follow);
        assert!(m.conversation.scroll > bottom);
    }

    #[test]
    fn ctrl_n_steps_a_reply_only_while_one_streams() {
        let mut m = model();
        let ctrl_n = Msg::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL));
        assert!(update(&mut m, ctrl_n.clone()).is_empty());
        let (turn, _) = send(&mut m, "hello");
        assert_eq!(update(&mut m, ctrl_n.clone()), vec![Cmd::StepReply]);
        assert_eq!(m.draft(), "", "the key is not typed into the composer");
        end(&mut m, turn, Ok(()));
        assert!(update(&mut m, ctrl_n).is_empty());
    }

    #[test]
    fn stale_replies_are_dropped() {
        let mut m = model();
        let (turn, _) = send(&mut m, "hello");
        reply(
            &mut m,
            turn + 99,
            ReplyEvent::Delta("ghost".into()),
            Instant::now(),
        );
        end(&mut m, turn + 99, Ok(()));
        assert_eq!(m.conversation.messages[1].text, "");
        assert!(m.conversation.streaming());
    }

    #[test]
    fn an_error_after_content_keeps_the_partial_reply_marked_interrupted() {
        let mut m = model();
        let (turn, _) = send(&mut m, "hello");
        reply(
            &mut m,
            turn,
            ReplyEvent::Delta("partial".into()),
            Instant::now(),
        );
        let cmds = end(&mut m, turn, Err(LlmError::Ended));
        let msg = &m.conversation.messages[1];
        assert_eq!(msg.text, "partial");
        assert!(matches!(&msg.status, MessageStatus::Interrupted(why) if why.contains("ended")));
        assert!(
            matches!(
                cmds.as_slice(),
                [
                    Cmd::Journal(Record::End {
                        status: crate::session::journal::EndStatus::Interrupted,
                        ..
                    }),
                    Cmd::ExpireNotice { .. }
                ]
            ),
            "{cmds:?}"
        );
        // The partial reply stays in the history the next request carries.
        let (_, req) = send(&mut m, "go on");
        assert_eq!(req.messages[1].content, "partial");
    }

    #[test]
    fn unreadable_events_mark_the_reply_damaged_and_keep_its_text() {
        let mut m = model();
        let (turn, _) = send(&mut m, "hello");
        let now = Instant::now();
        // A failed attempt's damage goes with it.
        reply(&mut m, turn, ReplyEvent::Damaged("old".into()), now);
        let retrying = ReplyEvent::Retrying {
            attempt: 2,
            of: 3,
            wait_ms: 10,
            reason: "overloaded".into(),
        };
        reply(&mut m, turn, retrying, now);
        reply(&mut m, turn, ReplyEvent::Delta("one ".into()), now);
        reply(&mut m, turn, ReplyEvent::Damaged("{\"choi".into()), now);
        reply(&mut m, turn, ReplyEvent::Delta("three".into()), now);
        let cmds = end(&mut m, turn, Ok(()));
        let msg = &m.conversation.messages[1];
        assert_eq!(msg.text, "one three");
        let why = "an event of the stream could not be read (`{\"choi`); a piece of the reply may be missing";
        assert_eq!(msg.status, MessageStatus::Damaged(why.into()));
        assert!(
            cmds.iter().any(|c| matches!(c, Cmd::Journal(Record::End {
                status: crate::session::journal::EndStatus::Damaged,
                error: Some(e),
                ..
            }) if e == why)),
            "{cmds:?}"
        );
        let notice = m.notice.as_ref().unwrap();
        assert_eq!(notice.text, format!("The reply is damaged: {why}"));
        assert!(m.conversation.damaged.contains(&turn));
        // The damaged reply stays in the history the next request carries.
        let (_, req) = send(&mut m, "go on");
        assert_eq!(req.messages[1].content, "one three");
    }

    #[test]
    fn damage_is_counted_in_words() {
        let many: Vec<String> = (0..3).map(|i| format!("e{i}")).collect();
        assert_eq!(
            damage_words(&many),
            "3 events of the stream could not be read (the first: `e0`); pieces of the reply \
             may be missing"
        );
        let capped = vec!["x".to_string(); crate::llm::client::MAX_DAMAGE_REPORTS];
        assert!(damage_words(&capped).starts_with("10 or more events"));
    }

    #[test]
    fn a_failure_before_content_leaves_the_exchange_out_of_the_history() {
        let mut m = model();
        let (turn, _) = send(&mut m, "hello");
        let error = LlmError::BadKey {
            env: "OPENAI_API_KEY".into(),
            url: "https://api.openai.com/v1".into(),
        };
        end(&mut m, turn, Err(error));
        assert!(matches!(
            &m.conversation.messages[1].status,
            MessageStatus::Failed(_)
        ));
        let notice = m.notice.as_ref().unwrap();
        assert!(
            notice.text.contains("$OPENAI_API_KEY was refused"),
            "{}",
            notice.text
        );
        assert_eq!(
            m.conversation.history_tokens(),
            0,
            "a failed exchange is not history"
        );
        let (_, req) = send(&mut m, "retry");
        assert_eq!(req.messages.len(), 1);
        assert!(req.messages[0].content.starts_with("retry"));
    }

    #[test]
    fn esc_cancels_the_reply_and_keeps_what_arrived() {
        let mut m = model();
        let (turn, _) = send(&mut m, "hello");
        reply(
            &mut m,
            turn,
            ReplyEvent::Delta("so far".into()),
            Instant::now(),
        );
        key(&mut m, KeyCode::Esc); // leaves compose mode
        assert!(m.conversation.streaming());
        let cmds = key(&mut m, KeyCode::Esc);
        assert!(cmds.contains(&Cmd::CancelReply { turn }));
        assert_eq!(
            m.conversation.messages[1].status,
            MessageStatus::Interrupted("cancelled".into())
        );
        // What the effect still delivers for the cancelled turn is dropped.
        reply(
            &mut m,
            turn,
            ReplyEvent::Delta(" more".into()),
            Instant::now(),
        );
        assert_eq!(m.conversation.messages[1].text, "so far");
    }

    #[test]
    fn a_second_send_while_streaming_keeps_the_draft() {
        let mut m = model();
        send(&mut m, "one");
        type_text(&mut m, "two");
        let cmds = key(&mut m, KeyCode::Enter);
        assert!(!cmds.iter().any(|c| matches!(c, Cmd::Send { .. })));
        assert_eq!(m.draft(), "two");
        assert!(m.pending_work().iter().any(|r| r.contains("streaming")));
    }

    #[test]
    fn streaming_text_is_recounted_at_most_ten_times_a_second() {
        let mut m = model();
        m.on_tokenizer_ready();
        let (turn, _) = send(&mut m, "hello");
        let t0 = Instant::now();
        reply(&mut m, turn, ReplyEvent::Delta("one two three ".into()), t0);
        let first = m.conversation.messages[1].tokens;
        assert!(first > 0);
        reply(
            &mut m,
            turn,
            ReplyEvent::Delta("four five six ".repeat(10)),
            t0 + Duration::from_millis(50),
        );
        assert_eq!(
            m.conversation.messages[1].tokens, first,
            "not yet recounted"
        );
        reply(
            &mut m,
            turn,
            ReplyEvent::Delta("x".into()),
            t0 + Duration::from_millis(120),
        );
        assert!(m.conversation.messages[1].tokens > first);
    }

    #[test]
    fn reported_usage_replaces_the_estimate_until_something_changes() {
        let mut m = model();
        m.on_tokenizer_ready();
        let (turn, _) = send(&mut m, "hello");
        let estimate = m.conversation.turn.as_ref().unwrap().estimate;
        assert!(!m.conversation.context_use(8192).exact);
        reply(&mut m, turn, ReplyEvent::Delta("hi".into()), Instant::now());
        let usage = Usage {
            prompt: Some(estimate),
            completion: Some(1),
        };
        reply(&mut m, turn, ReplyEvent::Usage(usage), Instant::now());
        end(&mut m, turn, Ok(()));
        let now = m.conversation.context_use(8192);
        assert!(now.exact);
        assert_eq!(now.used(), estimate + 1);
        assert_eq!(now.mismatch, None);
        key(&mut m, KeyCode::Char('x'));
        assert!(
            !m.conversation.context_use(8192).exact,
            "a draft makes it an estimate again"
        );
    }

    #[test]
    fn a_server_count_far_below_the_estimate_is_flagged() {
        let mut m = model();
        m.on_tokenizer_ready();
        let (turn, _) = send(&mut m, "hello");
        let estimate = m.conversation.turn.as_ref().unwrap().estimate;
        let usage = Usage {
            prompt: Some(estimate / 2),
            completion: Some(1),
        };
        reply(&mut m, turn, ReplyEvent::Usage(usage), Instant::now());
        end(&mut m, turn, Ok(()));
        let mismatch = m.conversation.context_use(8192).mismatch.unwrap();
        assert!(mismatch.truncated());
    }

    #[test]
    fn retries_show_in_the_turn_until_content_arrives() {
        let mut m = model();
        let (turn, _) = send(&mut m, "hello");
        let at = Instant::now();
        let retrying = ReplyEvent::Retrying {
            attempt: 2,
            of: 5,
            wait_ms: 1500,
            reason: "rate limited (HTTP 429): slow down".into(),
        };
        reply(&mut m, turn, retrying, at);
        let retry = m.conversation.turn.as_ref().unwrap().retry.clone().unwrap();
        assert_eq!(
            (retry.0, retry.1, retry.2),
            (2, 5, at + Duration::from_millis(1500))
        );
        reply(&mut m, turn, ReplyEvent::Delta("ok".into()), at);
        assert!(m.conversation.turn.as_ref().unwrap().retry.is_none());
    }

    #[test]
    fn up_and_down_browse_sent_messages_only_from_an_empty_composer() {
        let mut m = model();
        for text in ["first", "second"] {
            let (turn, _) = send(&mut m, text);
            end(&mut m, turn, Ok(()));
        }
        key(&mut m, KeyCode::Up);
        assert_eq!(m.draft(), "second");
        key(&mut m, KeyCode::Up);
        assert_eq!(m.draft(), "first");
        key(&mut m, KeyCode::Up);
        assert_eq!(m.draft(), "first");
        key(&mut m, KeyCode::Down);
        assert_eq!(m.draft(), "second");
        key(&mut m, KeyCode::Down);
        assert_eq!(m.draft(), "");
        // With text of the user's own, Up moves the cursor instead.
        type_text(&mut m, "mine");
        key(&mut m, KeyCode::Up);
        assert_eq!(m.draft(), "mine");
    }

    #[test]
    fn a_cassette_offers_its_prompts_in_turn_and_an_untouched_offer_is_not_work() {
        let mut m = model();
        update(
            &mut m,
            Msg::Event(AppEvent::ProviderReady {
                window: Some(4096),
                prompts: vec!["one".into(), "two".into()],
            }),
        );
        assert_eq!(m.conversation.window, (4096, Source::Server));
        assert_eq!(m.draft(), "one");
        assert!(m.pending_work().is_empty());
        key(&mut m, KeyCode::Char('i'));
        let cmds = key(&mut m, KeyCode::Enter);
        let Some(Cmd::Send { turn, .. }) = cmds.into_iter().find(|c| matches!(c, Cmd::Send { .. }))
        else {
            panic!("sent");
        };
        end(&mut m, turn, Ok(()));
        assert_eq!(m.draft(), "two");
    }

    #[test]
    fn the_inspector_opens_with_ctrl_o_and_closes_with_esc() {
        let mut m = model();
        let ctrl_o = KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL);
        update(&mut m, Msg::Key(ctrl_o));
        assert!(matches!(
            m.overlay,
            Some(crate::model::Overlay::Inspector { scroll: 0 })
        ));
        key(&mut m, KeyCode::Down);
        assert!(matches!(
            m.overlay,
            Some(crate::model::Overlay::Inspector { scroll: 1 })
        ));
        key(&mut m, KeyCode::Esc);
        assert!(m.overlay.is_none());
    }

    #[test]
    fn the_parts_follow_the_pin_and_the_latest_run() {
        let mut m = model();
        assert_eq!(m.conversation.spec.text, "");
        let before = m.conversation.revision;
        m.on_code_context("# The code in scope\n".into(), 5);
        assert_eq!(m.conversation.code.tokens, 5);
        assert!(m.conversation.revision > before);
        let usage = m.conversation.context_use(8192);
        assert_eq!(usage.segments.get(SegmentKind::Code), 5);
        assert_eq!(
            usage.segments.get(SegmentKind::System),
            m.conversation.system.tokens
        );
    }
}
