//! Generated code, reviewed and undoable: a reply's proposed changes in the Code pane
//! (`propose`), applied, undone and redone (`apply`), and what specbench wrote, to tell a
//! human's later edits (`state`). The checkpoint list is `model::checkpoints`.

mod apply;
mod propose;
mod state;

pub use apply::recovery_report;
pub use state::{ApplyDone, Authorship, ChangeView, UndoOutcome, Wrote};

#[cfg(test)]
mod tests;
