//! The reply streaming in: each piece appended (and re-counted at most ten times a second),
//! retries and unreadable events noted, and the end: complete, interrupted, damaged or failed,
//! with what arrived kept. `Esc` cancels it.

use std::time::Duration;

use tokio::time::Instant;

use super::message::{MessageStatus, damage_words};
use super::pane::Reported;
use super::tool_round::Round;
use crate::llm::client::{LlmError, ReplyEvent};
use crate::llm::context::Mismatch;
use crate::llm::tokens;
use crate::model::{Cmd, Model, NoticeKind};

/// A streaming reply is re-counted at most this often.
const RECOUNT_EVERY: Duration = Duration::from_millis(100);

impl Model {
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
            ReplyEvent::ToolCall(call) => self.on_tool_call(index, call, false),
            ReplyEvent::ToolCallCut(call) => self.on_tool_call(index, call, true),
            ReplyEvent::Stop(_) => {}
        }
    }

    /// The reply to turn `id` ended: completely, or with an error after what arrived.
    pub fn on_reply_ended(&mut self, id: u64, result: Result<(), LlmError>) -> Vec<Cmd> {
        if let Err(e @ LlmError::ToolsUnsupported { .. }) = &result
            && let Some(cmds) = self.resend_without_tools(id, e)
        {
            return cmds;
        }
        let Some(turn) = self.conversation.turn.take_if(|t| t.id == id) else {
            return Vec::new();
        };
        let conv = &mut self.conversation;
        let m = &mut conv.messages[turn.message];
        let mut cmds = Vec::new();
        m.status = match &result {
            Ok(()) if !turn.damage.is_empty() => MessageStatus::Damaged(damage_words(&turn.damage)),
            Ok(()) => MessageStatus::Complete,
            Err(e) if m.text.is_empty() && m.tools.is_empty() => {
                MessageStatus::Failed(e.to_string())
            }
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
            // The alarm only against an exact or calibrated expectation; otherwise the count
            // calibrates the estimates that follow.
            conv.counting.last = Some((turn.expected, prompt));
            let alarm = conv
                .counting
                .calibration
                .on_usage(turn.expected, turn.raw, prompt);
            let mismatch = alarm.map(|t| {
                tracing::warn!(alarm = %t.describe(), "prompt possibly truncated");
                Mismatch {
                    estimate: t.expected.tokens,
                    reported: t.reported,
                }
            });
            conv.reported = Some(Reported {
                revision: conv.revision,
                total: prompt + turn.usage.completion.unwrap_or(m.tokens),
                mismatch,
            });
        }
        if let Err(e) = &result {
            tracing::warn!(turn = id, error = %e, "reply did not complete");
            cmds.push(self.notify(NoticeKind::Error, e.to_string()));
        }
        if let Some(why) = damaged {
            tracing::warn!(turn = id, damage = %why, "reply damaged");
            self.conversation.damaged.insert(id);
            cmds.push(self.notify(NoticeKind::Error, format!("The reply is damaged: {why}")));
        }
        let index = turn.message;
        let offered_none = turn.request.tools.is_empty();
        if result.is_ok() && !self.conversation.messages[index].tools.is_empty() {
            match self.tool_round(turn) {
                Round::Goes(more) => {
                    cmds.extend(more);
                    return cmds;
                }
                Round::Ends(more) => cmds.extend(more),
            }
        }
        let text = self.conversation.messages[index].text.clone();
        if offered_none && let Some(cmd) = self.find_mentions(id, &text) {
            cmds.push(cmd);
        }
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
        if turn.running {
            return self.cancel_tools(turn);
        }
        let conv = &mut self.conversation;
        let m = &mut conv.messages[turn.message];
        m.status = if m.text.is_empty() && m.tools.is_empty() {
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
}
