//! The presenter's state: the beats of the demo's story, their captions, and where the
//! story stands (`Model::presenter`).

use super::super::Pane;
use super::super::msg::Msg;
use super::super::workflow::Judging;
use crate::session::signature::Failure;

/// A beat of the demo's story, in the order they come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// The spec pinned, the Tests step's prompt offered.
    Opening,
    /// The tests written, failing for the right reason.
    TestsFail,
    /// The implementation in, R4 violated on a marked line.
    Breaks,
    /// The first fix round's reply in, its changes not yet applied.
    FixRound1,
    /// The second fix round's reply in.
    FixRound2,
    /// The poisoning banner.
    Poisoned,
    /// The lessons review before the fresh session.
    Lessons,
    /// The fresh session, its gauge nearly empty.
    Fresh,
    /// Green: the tests pass and every clause holds.
    Green,
}

impl Beat {
    /// Every beat, in order.
    pub const ALL: [Beat; 9] = [
        Beat::Opening,
        Beat::TestsFail,
        Beat::Breaks,
        Beat::FixRound1,
        Beat::FixRound2,
        Beat::Poisoned,
        Beat::Lessons,
        Beat::Fresh,
        Beat::Green,
    ];

    /// What the audience is looking at.
    pub fn caption(self) -> &'static str {
        match self {
            Beat::Opening => "The spec is pinned: eight clauses the model must keep, R4 among them",
            Beat::TestsFail => "The tests fail for the right reason: nothing is implemented yet",
            Beat::Breaks => "The tests pass, but R4 breaks: the window is a list, pop(0) marked",
            Beat::FixRound1 => {
                "Fix round 1: the loop sent R4 back by itself; the answer drops pop(0), keeps the list"
            }
            Beat::FixRound2 => {
                "Fix round 2: R4 again; the answer imports deque, still keeps a list"
            }
            Beat::Poisoned => {
                "Likely poisoned: R4 corrected twice; a third correction will not help"
            }
            Beat::Lessons => "The lesson, written down for a fresh session (editable here)",
            Beat::Fresh => {
                "A fresh session: the spec, the code and one lesson; the gauge nearly empty"
            }
            Beat::Green => "Green: every test passes and all eight clauses hold, in one turn",
        }
    }

    /// What `Space` does at this beat ("Space to ...").
    pub fn next(self) -> &'static str {
        match self {
            Beat::Opening => "send the Tests prompt",
            Beat::TestsFail | Beat::Fresh => "ask for the code",
            Beat::Breaks => "let the loop send it back",
            Beat::FixRound1 | Beat::FixRound2 => "apply it",
            Beat::Poisoned => "start afresh (F)",
            Beat::Lessons => "start the fresh session",
            Beat::Green => "end the story",
        }
    }

    /// The pane the beat is about, shown when only one fits.
    pub fn pane(self) -> Pane {
        match self {
            Beat::Opening => Pane::Spec,
            Beat::TestsFail | Beat::Green => Pane::Results,
            Beat::Breaks => Pane::Code,
            Beat::FixRound1 | Beat::FixRound2 | Beat::Poisoned | Beat::Lessons | Beat::Fresh => {
                Pane::Conversation
            }
        }
    }

    /// The beat's number, from 1.
    pub fn number(self) -> usize {
        Beat::ALL
            .iter()
            .position(|b| *b == self)
            .map_or(0, |i| i + 1)
    }
}

/// The presenter's place in the story (`Model::presenter`).
#[derive(Debug, Clone, Default)]
pub struct Presenter {
    /// The index in `Beat::ALL` of the next beat to wait for.
    pub(super) next: usize,
    /// The beat the story stands at, waiting for `Space` or `Enter`.
    pub paused: Option<Beat>,
    /// Messages held while paused (a reply's proposed changes), handled on going on.
    pub(super) held: Vec<Msg>,
    /// The fix loop's next round, held while paused.
    pub(super) held_fix: Option<(Judging, Vec<Failure>)>,
}
