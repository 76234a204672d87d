//! Code: syntax highlighting (and, later, edit extraction, change sets and safe apply).

pub mod changes;
pub mod checkpoint;
pub mod extract;
pub mod highlight;
pub mod projector;
pub mod recovery;
pub mod safety;
