//! The effects of the model's tool calls: each call and each result journaled as it arrives
//! (a crash mid-round loses nothing), the calls run off the UI task.

use crate::model::{AppEvent, Msg};
use crate::session::journal::Record;

use super::Effects;

impl Effects {
    /// The journal record of a piece of a reply, written as it arrives: its text, or a tool call.
    pub(super) fn arrived(turn: u64, event: &crate::llm::client::ReplyEvent) -> Option<Record> {
        use crate::llm::client::ReplyEvent;
        let (call, cut) = match event {
            ReplyEvent::Delta(text) => {
                return Some(Record::Chunk {
                    turn,
                    text: text.clone(),
                });
            }
            ReplyEvent::ToolCall(call) => (call, false),
            ReplyEvent::ToolCallCut(call) => (call, true),
            _ => return None,
        };
        Some(Record::ToolCall {
            turn,
            id: call.id.clone(),
            name: call.name.clone(),
            arguments: call.arguments.clone(),
            cut,
        })
    }

    /// Runs the tool calls of the reply to `turn` off the UI task, one after the other (they
    /// only read), each result journaled as it comes; then reports them all. `Esc` aborts
    /// the round: results still to come are dropped.
    pub(super) fn run_tools(&self, turn: u64, calls: Vec<crate::llm::ToolCall>) {
        let (root, tx, secrets) = (self.root.clone(), self.tx.clone(), self.secrets.clone());
        let journal = self.current_journal();
        let replies = self.replies.clone();
        let task = tokio::spawn(async move {
            let ran = tokio::task::spawn_blocking(move || {
                let mut outcomes = Vec::with_capacity(calls.len());
                for call in &calls {
                    let outcome = crate::tools::run(&root, call, &secrets);
                    tracing::info!(
                        turn,
                        tool = %call.name,
                        error = outcome.result.is_error,
                        bytes = outcome.result.content.len(),
                        "tool call ran"
                    );
                    if let Some(j) = &journal {
                        let record = Record::ToolResult {
                            turn,
                            id: outcome.result.call_id.clone(),
                            content: outcome.result.content.clone(),
                            is_error: outcome.result.is_error,
                            read: outcome.read.as_ref().map(|p| p.display().to_string()),
                        };
                        if let Err(e) = j.append(record) {
                            tracing::error!(error = %e, "journal write failed");
                        }
                    }
                    outcomes.push(outcome);
                }
                outcomes
            })
            .await;
            if let Ok(mut replies) = replies.lock() {
                replies.remove(&turn);
            }
            match ran {
                Ok(outcomes) => {
                    let _ = tx.send(Msg::Event(AppEvent::ToolsRan { turn, outcomes }));
                }
                Err(e) => tracing::error!(error = %e, "the tool calls panicked"),
            }
        });
        if let Ok(mut replies) = self.replies.lock() {
            replies.insert(turn, task.abort_handle());
        }
    }
}
