//! Which modal layer is over the panes, with its state. Each overlay's keys, text and measures
//! live in its own file (`help`, `inspector`, `checkpoints`, `confirm`, `lessons`, `picker`),
//! drawn by the file of the same name in `ui/`.

use std::path::PathBuf;

/// A modal layer over the panes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// The key help, scrolled by this many lines.
    Help { scroll: usize },
    /// The recent notices (`!`), scrolled by this many notices.
    Notices { scroll: usize },
    /// The checkpoints (applies), newest last, `applied` of them in force; `Enter` goes back
    /// (or forward) to the selected one.
    Checkpoints {
        items: Vec<CheckpointItem>,
        applied: usize,
        selected: usize,
    },
    /// "Undo over hand edits?": the files changed since specbench wrote them.
    ConfirmUndo {
        redo: bool,
        paths: Vec<PathBuf>,
        /// How many undos (or redos) were asked for from here: a restore goes on after this.
        steps: usize,
    },
    /// The request inspector (`Ctrl-O`): what the next request holds, segment by segment.
    Inspector { scroll: usize },
    /// "Really quit?", with what would be lost.
    ConfirmQuit { reasons: Vec<String> },
    /// The lessons to carry into a fresh session, under review (the editor is in
    /// `Model::session`), with the seed's size.
    Fresh,
    /// The file picker (`f`): the query typed so far and the selected match.
    Picker { query: String, selected: usize },
}

/// One checkpoint as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointItem {
    pub id: u64,
    pub label: String,
    pub files: usize,
}
