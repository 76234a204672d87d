//! Sending a turn: the request assembled fresh from the parts and the history, the messages
//! added, the turn journaled before it streams. A message marked as a correction counts
//! against the classes it corrects.

use super::message::{Message, MessageStatus};
use super::pane::{Counted, Turn};
use crate::llm::{Role, Usage};
use crate::model::workflow::Attempt;
use crate::model::{Cmd, Model, NoticeKind};
use crate::session::PromptKind;
use crate::session::journal::Record;

impl Model {
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
        // A set over its budget is never sent without the user's say: the first Enter holds.
        if let Some(held) = self.hold_for_overflow() {
            return vec![held];
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
            self.session.attempt = Some(Attempt {
                turn: turn.id,
                targets,
            });
        }
        cmds
    }

    /// Sends `message` as the next turn: the request assembled fresh, the messages added, the
    /// turn journaled before it streams.
    pub(crate) fn send_turn(
        &mut self,
        message: String,
        kind: PromptKind,
        corrects: Vec<String>,
    ) -> Vec<Cmd> {
        // A fix round's message is counted here; a typed one was counted as it was typed.
        if kind.is_fix() {
            self.conversation.draft = self.conversation.counted(message.clone());
            self.conversation.revision += 1;
        }
        let raw = self.conversation.raw_segments().total();
        let expected = self.conversation.figure(raw);
        let max_tokens = match self.max_tokens_for(expected) {
            Ok(n) => n,
            Err(notice) => {
                // The user's own draft is counted again in place of a fix round's message.
                self.recount_draft();
                return vec![*notice];
            }
        };
        let chat = self.next_request(&message, max_tokens);
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
            expected,
            raw,
            usage: Usage::default(),
            retry: None,
            counted: None,
            damage: Vec::new(),
            request: Box::new(chat.clone()),
            prompt: message.clone(),
            kind,
            round: 0,
            ledger: crate::tools::Ledger::default(),
            running: false,
            resent: false,
        });
        conv.tools.stopped = None;
        conv.tools.looking = None;
        conv.tools.offered.clear();
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
        tracing::info!(
            turn = id,
            expected = expected.tokens,
            basis = %expected.basis.describe(),
            max_tokens,
            fix = kind.is_fix(),
            "sending a turn"
        );
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
}
