//! The Code pane: its state (`state`), the files in scope and the one shown (`files`), and `/`
//! search in it (`search`). A reply's proposed changes shown in it are `model::review`.

mod files;
mod search;
mod state;

pub use state::{CodePane, Search};
