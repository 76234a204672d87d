//! The Code pane's state.

use std::path::PathBuf;

use crate::model::Loaded;
use crate::model::review::ChangeView;
use crate::workspace::FileText;

/// The Code pane's state.
#[derive(Debug, Clone)]
pub struct CodePane {
    /// Code files in scope, relative to the workspace.
    pub files: Loaded<Vec<PathBuf>>,
    pub selected: usize,
    /// The id of the latest load request; older results are dropped.
    pub load_id: u64,
    pub content: Loaded<FileText>,
    pub scroll: usize,
    /// A line to point at (1-based), set by a jump from the Spec pane.
    pub mark: Option<usize>,
    /// The loaded file's lines highlighted, once the background highlighter is done.
    pub highlighted: Loaded<Vec<ratatui::text::Line<'static>>>,
    /// A reply's proposed changes under review, shown instead of the file.
    pub changes: Option<ChangeView>,
}

/// The search prompt and the query in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// The query being typed, while the prompt has the keyboard.
    pub editing: Option<String>,
    /// The last confirmed query.
    pub query: Option<String>,
}
