//! A session read back from its journal when the workspace opens: the conversation, the step,
//! the corrections and the lessons as they were.

use super::prompts::lessons_part;
use std::path::PathBuf;

use crate::llm::Role;
use crate::model::conversation::{Message, MessageStatus, ToolUse};
use crate::model::{Cmd, Model, NoticeKind};
use crate::session::PromptKind;
use crate::session::restore::{Restored, RestoredCall, RestoredStatus};
use crate::session::signature::Signature;

impl Model {
    /// The journal is open: `restored` is what it held (`None` for a new session).
    pub(crate) fn on_session_opened(
        &mut self,
        id: String,
        restored: Option<Box<Restored>>,
        counts: Vec<u32>,
    ) -> Vec<Cmd> {
        self.session.id = Some(id);
        self.session.opened = true;
        let mut cmds = Vec::new();
        if let Some(r) = restored {
            cmds.extend(self.restore(*r, counts));
        }
        cmds.extend(self.on_pin_in_force());
        self.offer_next();
        cmds
    }

    /// Rebuilds the conversation and the loop's state from a restored session.
    fn restore(&mut self, r: Restored, counts: Vec<u32>) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        if !r.skipped.is_empty() {
            let lines: Vec<String> = r.skipped.iter().map(|(l, _)| l.to_string()).collect();
            cmds.push(self.notify(
                NoticeKind::Error,
                format!(
                    "Session journal: skipped unreadable line {} ({})",
                    lines.join(", "),
                    r.skipped[0].1
                ),
            ));
        }
        // The counts come from the tokenizer itself, loaded by the reader.
        let exact = counts.len() == r.messages.len();
        let interrupted = r
            .messages
            .iter()
            .any(|m| matches!(&m.status, RestoredStatus::Interrupted(w) if w == crate::session::restore::CUT_OFF));
        for (i, m) in r.messages.into_iter().enumerate() {
            let status = match m.status {
                RestoredStatus::Complete => MessageStatus::Complete,
                RestoredStatus::Interrupted(why) => MessageStatus::Interrupted(why),
                RestoredStatus::Damaged(why) => MessageStatus::Damaged(why),
                RestoredStatus::Failed(why) => MessageStatus::Failed(why),
            };
            let mut message = Message::new(m.role, m.text, status);
            message.kind = m.kind;
            message.corrects = m.corrects;
            message.tools = self.restored_tools(m.tools);
            message.tokens = counts
                .get(i)
                .copied()
                .unwrap_or((message.text.len() as u32).div_ceil(4));
            message.exact_count = exact;
            if m.role == Role::User && m.kind == PromptKind::Message {
                self.conversation.sent.push(message.text.clone());
            }
            self.conversation.messages.push(message);
        }
        for path in &r.read {
            self.note_read(path.into());
        }
        self.conversation.revision += 1;
        self.conversation.follow = true;
        self.bump_ids(r.max_turn);
        self.session.corrections = r
            .corrections
            .iter()
            .map(|(k, n)| (Signature::from_key(k), *n))
            .collect();
        self.session.poisoned = r.poisoned.as_deref().map(Signature::from_key);
        if let Some(step) = r.step {
            self.session.step = step;
        }
        self.session.predecessor = r.predecessor;
        if !r.lessons.is_empty() || self.session.predecessor.is_some() {
            self.conversation.lessons = self.conversation.counted(lessons_part(&r.lessons));
            self.conversation.seeded = true;
        }
        self.session.lessons = r.lessons;
        self.context.edited = r.edited.iter().map(PathBuf::from).collect();
        self.context.choices = r.context;
        self.session.pin = r.pin.map(|p| (p.version, p.hash));
        let turns = self
            .conversation
            .messages
            .iter()
            .filter(|m| m.role == Role::User)
            .count();
        if turns > 0 {
            let mut text = format!(
                "Resumed the session: {turns} turn{}",
                if turns == 1 { "" } else { "s" }
            );
            if interrupted {
                text.push_str("; the last reply was cut off and is kept as it was");
            }
            cmds.push(self.notify(NoticeKind::Info, text));
        }
        cmds
    }

    /// A restored reply's tool calls as the conversation keeps them, counted.
    fn restored_tools(&self, calls: Vec<RestoredCall>) -> Vec<ToolUse> {
        let count = self.conversation.counter();
        calls
            .into_iter()
            .map(|c| {
                let mut t = ToolUse::new(c.call, c.cut, &count);
                if let Some(result) = c.result {
                    t.answer(result, &count);
                }
                t
            })
            .collect()
    }
}
