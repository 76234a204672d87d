//! Test runs: spawning the workspace's test command, bounded output, parsing into results.

pub mod ansi;
pub mod groups;
pub mod output;
pub mod parse;
pub mod process;
pub mod result;
