//! The fresh-session handoff: the old session is archived, and a new conversation starts seeded
//! with the code, the latest results, the lessons kept and the pinned spec.

use super::prompts::lessons_part;
use super::state::Workflow;
use crate::model::{Cmd, Model, NoticeKind};

impl Model {
    /// The seed of a fresh session with `lessons`: what follows the system prompt in its
    /// requests, in order (code, latest results, lessons, and the pinned spec last).
    pub fn seed(&self, lessons: &[String]) -> String {
        let conv = &self.conversation;
        [
            conv.code.text.as_str(),
            conv.tests.text.as_str(),
            &lessons_part(lessons),
            conv.spec.text.as_str(),
        ]
        .iter()
        .map(|t| t.trim_end())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
    }

    /// `Enter` in the lessons review: archive this session and start a fresh one.
    pub(crate) fn confirm_fresh(&mut self) -> Vec<Cmd> {
        let lessons = self.edited_lessons();
        self.overlay = None;
        self.session.lessons_editor = None;
        let predecessor = self.session.id.clone();
        tracing::info!(?predecessor, lessons = lessons.len(), "fresh session");
        self.conversation.clear();
        self.conversation.lessons = self.conversation.counted(lessons_part(&lessons));
        self.conversation.seeded = true;
        // The new session's own edits and reads start afresh; the user's adds and drops stay.
        self.context.edited.clear();
        self.context.read.clear();
        let step = self.session.step;
        self.session = Workflow {
            predecessor: predecessor.clone(),
            lessons: lessons.clone(),
            step,
            opened: true,
            pin: self.session.pin.clone(),
            ..Default::default()
        };
        self.set_draft("");
        self.offer_next();
        self.start_composing();
        // What the old session's notices said (the poisoning above all) is settled now.
        self.notice = None;
        self.notice_waiting = None;
        let text = format!(
            "Fresh session: seeded with the spec, the code, the results and {} lesson{}",
            lessons.len(),
            if lessons.len() == 1 { "" } else { "s" }
        );
        vec![
            Cmd::FreshSession {
                lessons,
                step,
                pin: self.session.pin.clone(),
                context: self.context.choices.clone(),
            },
            self.notify(NoticeKind::Info, text),
        ]
    }
}
