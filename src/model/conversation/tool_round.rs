//! Tool rounds: a reply that ends with tool calls has them run at once (off the UI task, by
//! the effects), their results go back with the request and the model continues, as a new
//! reply, up to `[model].max_tool_rounds` requests with results per user turn. A repeated call
//! is answered without running it; a model that only repeats itself, or that asks past the
//! limit, ends the turn with a notice. A server that refuses tools has them turned off for the
//! session, and the request goes again once without them.

use super::message::{Message, MessageStatus};
use super::pane::Turn;
use super::tool_use::ToolUse;
use crate::config::Tools;
use crate::llm::client::LlmError;
use crate::llm::{Role, ToolCall, ToolDef, Usage};
use crate::model::{Cmd, Model, NoticeKind};
use crate::session::journal::Record;
use crate::tools::ToolOutcome;

/// Whether a tool round went on or ended the turn.
pub(crate) enum Round {
    /// The calls run (or the next request is sent): the turn goes on.
    Goes(Vec<Cmd>),
    /// The turn ends here, with these commands (a notice).
    Ends(Vec<Cmd>),
}

impl Model {
    /// The tools the next request offers: none when `[model].tools` is off or the server
    /// refused them this session.
    pub(crate) fn offered_tools(&self) -> Vec<ToolDef> {
        if self.config.model.tools == Tools::Read && self.conversation.tools.off.is_none() {
            crate::tools::definitions()
        } else {
            Vec::new()
        }
    }

    /// A tool call of the reply at `index` arrived (`cut`: the stream broke inside it).
    pub(crate) fn on_tool_call(&mut self, index: usize, call: ToolCall, cut: bool) {
        let conv = &mut self.conversation;
        let counter = conv.counter();
        let m = &mut conv.messages[index];
        m.tools.push(ToolUse::new(call, cut, counter));
        m.touch();
        conv.revision += 1;
    }

    /// The reply `turn` ended with tool calls: run the new ones, answer repeats, or end the
    /// turn (past the round limit, or when the model only repeats itself).
    pub(crate) fn tool_round(&mut self, mut turn: Turn) -> Round {
        let index = turn.message;
        let calls: Vec<ToolCall> = self.conversation.messages[index]
            .tools
            .iter()
            .filter(|t| !t.cut)
            .map(|t| t.call.clone())
            .collect();
        if calls.is_empty() {
            return Round::Ends(Vec::new());
        }
        let max = self.config.model.max_tool_rounds;
        if turn.round >= max {
            let text = format!(
                "The model asked for more after {max} tool round{} (the most per message: \
                 [model].max_tool_rounds): its last calls were not run · send a message to go on",
                if max == 1 { "" } else { "s" }
            );
            return Round::Ends(self.stop_tools(text));
        }
        let mut cmds = Vec::new();
        let mut run = Vec::new();
        let counter = self.conversation.counter();
        for call in calls.iter() {
            match turn.ledger.repeat(call, turn.round + 1) {
                Some(result) => {
                    cmds.push(Self::journal(Record::ToolResult {
                        turn: turn.id,
                        id: result.call_id.clone(),
                        content: result.content.clone(),
                        is_error: result.is_error,
                        read: None,
                    }));
                    let m = &mut self.conversation.messages[index];
                    if let Some(t) = m.tools.iter_mut().find(|t| t.call.id == call.id) {
                        t.answer(result, &counter);
                    }
                }
                None => run.push(call.clone()),
            }
        }
        if turn.ledger.end_round(calls.len(), calls.len() - run.len()) {
            let text = "The model asks only for what it already has: the turn stops · send a \
                        message to go on";
            cmds.extend(self.stop_tools(text.to_string()));
            return Round::Ends(cmds);
        }
        let conv = &mut self.conversation;
        let m = &mut conv.messages[index];
        m.touch();
        conv.revision += 1;
        if run.is_empty() {
            cmds.extend(self.continue_turn(turn));
            return Round::Goes(cmds);
        }
        for t in m.tools.iter_mut().filter(|t| t.result.is_none() && !t.cut) {
            t.running = true;
        }
        turn.running = true;
        let id = turn.id;
        conv.turn = Some(turn);
        cmds.push(Cmd::RunTools {
            turn: id,
            calls: run,
        });
        Round::Goes(cmds)
    }

    /// The calls of the reply to `id` ran: their results join the reply, the files read join
    /// the files the model read, and the model continues.
    pub fn on_tools_ran(&mut self, id: u64, outcomes: Vec<ToolOutcome>) -> Vec<Cmd> {
        let conv = &mut self.conversation;
        let Some(turn) = conv.turn.take_if(|t| t.id == id && t.running) else {
            return Vec::new();
        };
        let counter = conv.counter();
        let m = &mut conv.messages[turn.message];
        let mut read = Vec::new();
        for outcome in outcomes {
            if let Some(t) = m
                .tools
                .iter_mut()
                .find(|t| t.call.id == outcome.result.call_id)
            {
                t.answer(outcome.result, &counter);
            }
            read.extend(outcome.read);
        }
        m.touch();
        conv.revision += 1;
        // A file the model read joins the context set ("read by the model"), so the requests
        // after this turn carry it and it is not fetched again and again.
        for path in read {
            self.note_read(path);
        }
        self.continue_turn(turn)
    }

    /// Sends the results of `turn`'s calls: the model continues as a new reply.
    fn continue_turn(&mut self, turn: Turn) -> Vec<Cmd> {
        let offered = self.offered_tools();
        let id = self.next_id();
        let step = self
            .session
            .turn_steps
            .get(&turn.id)
            .copied()
            .unwrap_or(self.session.step);
        self.session.turn_steps.insert(id, step);
        if let Some(attempt) = self.session.attempt.as_mut().filter(|a| a.turn == turn.id) {
            attempt.turn = id;
        }
        let conv = &mut self.conversation;
        let asked = conv.messages[turn.message].chat();
        let mut request = turn.request;
        request.messages.push(asked);
        request.tools = offered;
        let raw = conv.raw_segments().total();
        let expected = conv.figure(raw);
        let round = turn.round + 1;
        conv.messages.push(Message::new(
            Role::Assistant,
            String::new(),
            MessageStatus::Streaming,
        ));
        conv.turn = Some(Turn {
            id,
            message: conv.messages.len() - 1,
            expected,
            raw,
            usage: Usage::default(),
            retry: None,
            counted: None,
            damage: Vec::new(),
            request: request.clone(),
            prompt: turn.prompt.clone(),
            kind: turn.kind,
            round,
            ledger: turn.ledger,
            running: false,
            resent: false,
        });
        conv.follow = true;
        conv.revision += 1;
        tracing::info!(turn = id, after = turn.id, round, "tool results sent");
        vec![
            Self::journal(Record::Continue {
                turn: id,
                after: turn.id,
                round,
            }),
            Cmd::Send {
                turn: id,
                request,
                prompt: turn.prompt,
                kind: turn.kind,
            },
        ]
    }

    /// The turn's tool rounds end early: why, kept for `run`, and said.
    fn stop_tools(&mut self, text: String) -> Vec<Cmd> {
        tracing::info!(why = %text, "tool rounds stopped");
        self.conversation.tools.stopped = Some(text.clone());
        vec![self.notify(NoticeKind::Error, text)]
    }

    /// `Esc` while the calls of `turn` run: they stop; the reply is kept as it ended.
    pub(crate) fn cancel_tools(&mut self, turn: Turn) -> Vec<Cmd> {
        let m = &mut self.conversation.messages[turn.message];
        for t in &mut m.tools {
            t.running = false;
        }
        m.touch();
        self.conversation.revision += 1;
        let stopped = self.session.fix.take().is_some();
        let text = if stopped {
            "Tool calls cancelled and the fix loop stopped; the calls not run go back as not run"
        } else {
            "Tool calls cancelled; the calls not run go back as not run"
        };
        vec![
            Cmd::CancelReply { turn: turn.id },
            self.notify(NoticeKind::Info, text),
        ]
    }

    /// The server refused the tools of the request for `id`: they are off for the session,
    /// and the request goes again once without them. `None` when this is not that case.
    pub(crate) fn resend_without_tools(&mut self, id: u64, error: &LlmError) -> Option<Vec<Cmd>> {
        let conv = &mut self.conversation;
        let turn = conv
            .turn
            .as_mut()
            .filter(|t| t.id == id && !t.resent && !t.request.tools.is_empty())?;
        let m = &conv.messages[turn.message];
        if !m.text.is_empty() || !m.tools.is_empty() {
            return None;
        }
        turn.resent = true;
        turn.request.tools.clear();
        turn.retry = None;
        turn.damage.clear();
        let send = Cmd::Send {
            turn: id,
            request: turn.request.clone(),
            prompt: turn.prompt.clone(),
            kind: turn.kind,
        };
        conv.tools.off = Some(error.to_string());
        tracing::warn!(error = %error, "the server refused tools: off for this session");
        let notice = self.notify(
            NoticeKind::Error,
            format!(
                "{error} · tools are off for this session; the message goes again without them"
            ),
        );
        Some(vec![notice, send])
    }

    /// The server said whether its model takes tools: one whose template lacks them has them
    /// off for the session (it would ignore them without a word).
    pub fn on_tool_support(&mut self, takes: Option<bool>) -> Vec<Cmd> {
        if takes != Some(false)
            || self.config.model.tools != Tools::Read
            || self.conversation.tools.off.is_some()
        {
            return Vec::new();
        }
        let why = "the server's chat template takes no tools (llama.cpp: start it with --jinja)";
        tracing::warn!(why, "tools off for this session");
        self.conversation.tools.off = Some(why.to_string());
        vec![self.notify(
            NoticeKind::Info,
            format!("Tools are off for this session: {why}"),
        )]
    }

    /// `t` in the Conversation pane: show or hide the results under the tool lines.
    pub fn toggle_tool_results(&mut self) -> Vec<Cmd> {
        let conv = &mut self.conversation;
        if conv.messages.iter().all(|m| m.tools.is_empty()) {
            return vec![self.notify(NoticeKind::Info, "No tool calls in this conversation")];
        }
        conv.tools.expanded = !conv.tools.expanded;
        for m in conv.messages.iter_mut().filter(|m| !m.tools.is_empty()) {
            m.touch();
        }
        Vec::new()
    }
}
