//! The loop's state in this session: the step, how it stands, the fix loop, the corrections per
//! class and the poisoning, the apply waiting for the run that judges it, and the lessons review.

use std::collections::HashMap;

use ratatui_textarea::TextArea;

use crate::session::Step;
use crate::session::signature::Signature;

/// How a step stands after the latest settled run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the step is satisfied.
    pub ok: bool,
    pub text: String,
}

/// The auto-test-and-fix loop in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixLoop {
    pub round: u32,
    pub max: u32,
}

/// A fix attempt waiting for its verdict: the turn whose reply should fix `targets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub turn: u64,
    pub targets: Vec<Signature>,
}

/// An apply of a reply's changes, waiting for the run that judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judging {
    /// The turn whose reply was applied.
    pub turn: u64,
    /// The step that turn was sent in.
    pub step: Step,
    /// The first run id that ran on the applied code.
    pub floor: u64,
}

/// The loop's state in this session (`Model::session`).
#[derive(Debug, Clone, Default)]
pub struct Workflow {
    /// The session's id, once the journal is open.
    pub id: Option<String>,
    /// Whether the journal was read back (sending waits for it, so turn ids stay unique).
    pub opened: bool,
    /// The session this one was seeded from.
    pub predecessor: Option<String>,
    /// The lessons carried over into this session.
    pub lessons: Vec<String>,
    pub step: Step,
    /// How the current step stands.
    pub verdict: Option<Verdict>,
    /// Each corrected class and its count, in the order first corrected.
    pub corrections: Vec<(Signature, u32)>,
    /// The class that reached `[loop].fresh_after`.
    pub poisoned: Option<Signature>,
    pub fix: Option<FixLoop>,
    pub attempt: Option<Attempt>,
    pub judging: Option<Judging>,
    /// The step each turn was sent in.
    pub turn_steps: HashMap<u64, Step>,
    /// The pin the journal last recorded.
    pub pin: Option<(u32, String)>,
    /// The composer's message is marked as a correction (`Ctrl-R`).
    pub marked: bool,
    /// The lessons being reviewed before a fresh session starts.
    pub lessons_editor: Option<TextArea<'static>>,
    /// The seed's tokens with the lessons as edited (kept up to date by the review's keys).
    pub seed_tokens: u32,
}

impl Workflow {
    /// The count of a class.
    pub fn count(&self, sig: &Signature) -> u32 {
        self.corrections
            .iter()
            .find(|(s, _)| s == sig)
            .map_or(0, |(_, n)| *n)
    }
}
