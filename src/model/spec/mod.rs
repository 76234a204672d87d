//! The Spec pane: its state (`pane`), the spec read, pinned, scanned and evaluated (`load`), and
//! the way from a clause to where it breaks (`clauses`). Its lines are built by
//! `render::spec_lines`.

mod clauses;
mod load;
mod pane;

pub use pane::{PinnedSpec, ScanOutcome, SharedPlan, SpecPane};

#[cfg(test)]
mod tests;
