//! The Code pane's files: the list of files in scope, the one shown (loaded and highlighted
//! off the UI task; stale loads dropped), and `[`/`]` to move between them.

use std::path::PathBuf;

use ratatui::text::Line;

use crate::model::{Cmd, Loaded, Model};
use crate::workspace::FileText;

impl Model {
    /// `[` / `]`: the previous or next file in scope.
    pub(crate) fn select_file(&mut self, delta: isize) -> Vec<Cmd> {
        let Loaded::Ready(files) = &self.code.files else {
            return Vec::new();
        };
        if files.is_empty() {
            return Vec::new();
        }
        let n = files.len() as isize;
        let next = (self.code.selected as isize + delta).rem_euclid(n) as usize;
        if next == self.code.selected {
            return Vec::new();
        }
        self.code.selected = next;
        self.code.mark = None;
        let path = files[next].clone();
        vec![self.load_file(path)]
    }

    /// Asks for `path` to be read and highlighted, as the file shown.
    fn load_file(&mut self, path: PathBuf) -> Cmd {
        let id = self.next_id();
        self.code.load_id = id;
        self.code.content = Loaded::Loading;
        self.code.highlighted = Loaded::Loading;
        self.code.scroll = 0;
        let syntax = self.theme.syntax().to_string();
        Cmd::LoadFile { id, path, syntax }
    }

    /// The files in scope arrived: the file shown stays if it is still there.
    pub(crate) fn on_code_files(&mut self, files: Vec<PathBuf>) -> Vec<Cmd> {
        let previous = match &self.code.files {
            Loaded::Ready(old) => old.get(self.code.selected).cloned(),
            _ => None,
        };
        self.code.selected = previous
            .and_then(|p| files.iter().position(|f| *f == p))
            .unwrap_or(0);
        let first = files.get(self.code.selected).cloned();
        // The context worker indexes the new scope (only the files it does not know yet).
        let scope = Cmd::Context(crate::context::worker::Job::Scope(files.clone()));
        self.code.files = Loaded::Ready(files);
        if let Some(path) = first {
            return vec![self.load_file(path), scope];
        }
        self.code.content = Loaded::Failed(String::new());
        vec![scope]
    }

    /// The file of load `id` arrived (or could not be read).
    pub(crate) fn on_file_loaded(
        &mut self,
        id: u64,
        path: PathBuf,
        content: Result<FileText, String>,
    ) -> Vec<Cmd> {
        if id != self.code.load_id {
            tracing::debug!(?path, id, "dropping a stale file load");
            return Vec::new();
        }
        let mut cmds = Vec::new();
        if let Ok(text) = &content {
            cmds.extend(self.check_authorship(&path, text.hash.as_deref()));
        }
        self.code.content = match content {
            Ok(text) => Loaded::Ready(text),
            Err(e) => Loaded::Failed(e),
        };
        self.reveal_code_mark();
        cmds
    }

    /// The file of load `id`, highlighted; `None` when it is too long to.
    pub(crate) fn on_file_highlighted(&mut self, id: u64, lines: Option<Vec<Line<'static>>>) {
        if id == self.code.load_id {
            self.code.highlighted = match lines {
                Some(lines) => Loaded::Ready(lines),
                None => Loaded::Failed("too long to highlight".into()),
            };
        }
    }
}
