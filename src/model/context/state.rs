//! The context's state in the model, and where a file stands in the next request.

use std::path::PathBuf;

use crate::context::ChosenContext;
use crate::context::set::{Choices, Reason, Unavailable};
use crate::context::worker::Inputs;

/// The context's state in the model.
#[derive(Debug, Clone, Default)]
pub struct ContextState {
    /// The worker's latest choice; `None` until the first arrives.
    pub chosen: Option<ChosenContext>,
    /// The user's adds and drops (journaled; a resume and a fresh session keep them).
    pub choices: Choices,
    /// The files the model's applied changes wrote in this session, first write first.
    pub edited: Vec<PathBuf>,
    /// The files the model read with a tool in this session.
    pub read: Vec<PathBuf>,
    /// The id and inputs of the latest choice asked for.
    pub(super) asked: Option<(u64, Inputs)>,
    /// The id of the latest choice received.
    pub(super) received: u64,
    /// The overflowing files a send was held for: sending again with the same overflow goes.
    pub(super) held: Vec<PathBuf>,
    /// The overflowing files the status bar last named.
    pub(super) announced: Vec<PathBuf>,
}

/// Where a file stands in the next request, as the Code pane and the picker mark it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileMark {
    /// All the code goes (a small workspace), or nothing is chosen yet: no marks.
    Unmarked,
    /// In the set, for this reason (the first of its reasons).
    InSet(Reason),
    /// Outlined in the map only.
    Map,
    /// Neither in the set nor in the map.
    Out,
    /// Named by a source but dropped by the user.
    Dropped,
    /// Named by a source but it cannot be sent.
    Unavailable(Unavailable),
}

impl FileMark {
    /// A one-column glyph before a file's name.
    pub fn glyph(&self) -> &'static str {
        match self {
            FileMark::Unmarked => "",
            FileMark::InSet(_) => "●",
            FileMark::Map => "◐",
            FileMark::Out => "○",
            FileMark::Dropped | FileMark::Unavailable(_) => "✗",
        }
    }

    /// In words, short: `set: spec`, `map`, `out`, `dropped`, `binary`.
    pub fn words(&self) -> String {
        match self {
            FileMark::Unmarked => String::new(),
            FileMark::InSet(reason) => format!("set: {}", reason.short()),
            FileMark::Map => "map only".into(),
            FileMark::Out => "out".into(),
            FileMark::Dropped => "dropped".into(),
            FileMark::Unavailable(why) => why.to_string(),
        }
    }
}
