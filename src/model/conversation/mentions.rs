//! A model without tools (off by config, or refused by the server) cannot open the files it
//! needs: when its reply names workspace files the request did not carry, specbench offers to
//! add them (aider's way), and `+` adds them to the context set ("added by you").

use std::path::PathBuf;

use crate::model::{Cmd, Model, NoticeKind};

/// The most files named in the offer's notice.
const MAX_NAMED: usize = 3;

impl Model {
    /// After the reply to `turn` (whose request offered no tools) ended with `reply`: look
    /// for the files it mentions.
    pub(crate) fn find_mentions(&mut self, turn: u64, reply: &str) -> Option<Cmd> {
        self.conversation.tools.offered.clear();
        if reply.trim().is_empty() {
            return None;
        }
        self.conversation.tools.looking = Some(turn);
        // What the request carried in full: the context set's members (all the code, in a
        // small workspace).
        let carried = self
            .context
            .chosen
            .as_ref()
            .map(|c| c.set.members.iter().map(|m| m.path.clone()).collect())
            .unwrap_or_default();
        Some(Cmd::FindMentions {
            turn,
            reply: reply.to_string(),
            carried,
        })
    }

    /// The reply to `turn` mentions `files` the request did not carry: offer them.
    pub fn on_mentioned(&mut self, turn: u64, files: Vec<PathBuf>) -> Vec<Cmd> {
        // A message sent since has made the offer moot.
        let latest = self.conversation.turn.is_none()
            && self
                .conversation
                .tools
                .looking
                .take_if(|t| *t == turn)
                .is_some();
        if files.is_empty() || !latest {
            return Vec::new();
        }
        let names = named(&files);
        let them = if files.len() == 1 { "it" } else { "them" };
        self.conversation.tools.offered = files;
        vec![self.notify(
            NoticeKind::Info,
            format!(
                "The reply mentions {names}, not in the request · + (Conversation) adds {them}"
            ),
        )]
    }

    /// `+`: the files offered join the context set, as added by the user.
    pub fn add_mentioned(&mut self) -> Vec<Cmd> {
        let offered = std::mem::take(&mut self.conversation.tools.offered);
        if offered.is_empty() {
            return vec![self.notify(
                NoticeKind::Info,
                "No files to add: + adds the files a reply mentions that the request lacks",
            )];
        }
        let mut cmds = Vec::new();
        for path in offered {
            cmds.extend(self.add_to_context(path));
        }
        cmds
    }
}

/// `a.py, b.py and 2 more`.
fn named(files: &[PathBuf]) -> String {
    let mut names: Vec<String> = files
        .iter()
        .take(MAX_NAMED)
        .map(|p| p.display().to_string())
        .collect();
    if files.len() > MAX_NAMED {
        names.push(format!("{} more", files.len() - MAX_NAMED));
    }
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}
