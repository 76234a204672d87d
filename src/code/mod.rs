//! Code: syntax highlighting (and, later, edit extraction, change sets and safe apply).

pub mod highlight;
