//! The effects of the model's tool calls: each call and each result journaled as it arrives
//! (a crash mid-round loses nothing), the calls run off the UI task.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::model::{AppEvent, Cmd, Msg};
use crate::session::journal::Record;

use super::Effects;

/// Sets its flag when dropped: how an aborted task stops the blocking work it started.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Effects {
    /// Carries out a command of the tools' side: a round of calls, or a search for mentions.
    pub(super) fn run_tool_cmd(&self, cmd: Cmd) {
        match cmd {
            Cmd::RunTools { turn, calls } => self.run_tools(turn, calls),
            Cmd::FindMentions {
                turn,
                reply,
                carried,
            } => self.find_mentions(turn, reply, carried),
            other => tracing::error!(cmd = ?other, "not a tools command"),
        }
    }

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
    /// the round: the calls not yet run are not run, and no result comes after it, in the
    /// journal either (the model sends them back as not run).
    pub(super) fn run_tools(&self, turn: u64, calls: Vec<crate::llm::ToolCall>) {
        let (root, tx, secrets) = (self.root.clone(), self.tx.clone(), self.secrets.clone());
        let journal = self.current_journal();
        let replies = self.replies.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            // Aborting this task drops the guard, which stops the blocking loop.
            let _guard = StopOnDrop(stop);
            let ran = tokio::task::spawn_blocking(move || {
                let mut outcomes = Vec::with_capacity(calls.len());
                for call in &calls {
                    if stopped.load(Ordering::SeqCst) {
                        break;
                    }
                    let outcome = crate::tools::run(&root, call, &secrets);
                    if stopped.load(Ordering::SeqCst) {
                        break;
                    }
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

    /// The files a reply mentions that the request did not carry (tools off), off the UI
    /// task: the workspace's files matched against the reply, less `carried`.
    pub(super) fn find_mentions(&self, turn: u64, reply: String, carried: Vec<PathBuf>) {
        let (root, tx) = (self.root.clone(), self.tx.clone());
        tokio::task::spawn_blocking(move || {
            let have: HashSet<PathBuf> = carried.into_iter().collect();
            let files = crate::tools::workspace_files(&root);
            let files = crate::tools::mentions::mentioned(&reply, &files, &have);
            let _ = tx.send(Msg::Event(AppEvent::Mentioned { turn, files }));
        });
    }
}
