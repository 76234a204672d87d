//! Presenter mode (`demo --present`): the demo's story stops at each beat with a one-line
//! caption of what the audience is looking at, and `Space` or `Enter` goes on. While the story
//! stands at a beat, what would move it on by itself waits: the fix loop's next round and a
//! reply's proposed changes. Every other key works as always.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::layout::Arrangement;
use super::workflow::Judging;
use super::{AppEvent, Cmd, Mode, Model, Msg, Overlay, Pane, lessons};
use crate::session::Step;
use crate::session::signature::Failure;
use crate::spec::eval::Status;

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

    /// What `Space` does at this beat.
    pub fn next(self) -> &'static str {
        match self {
            Beat::Opening => "sends the Tests prompt",
            Beat::TestsFail | Beat::Fresh => "asks for the code",
            Beat::Breaks => "the loop sends it back",
            Beat::FixRound1 | Beat::FixRound2 => "applies it",
            Beat::Poisoned => "starts afresh (F)",
            Beat::Lessons => "starts the fresh session",
            Beat::Green => "ends the story",
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
    next: usize,
    /// The beat the story stands at, waiting for `Space` or `Enter`.
    pub paused: Option<Beat>,
    /// Messages held while paused (a reply's proposed changes), handled on going on.
    held: Vec<Msg>,
    /// The fix loop's next round, held while paused.
    held_fix: Option<(Judging, Vec<Failure>)>,
}

impl Model {
    /// Presenter mode from now on: the story stops at each beat.
    pub fn start_presenting(&mut self) {
        self.presenter = Some(Presenter::default());
    }

    /// The caption's text at the current beat.
    pub fn caption(&self) -> Option<String> {
        let beat = self.beat()?;
        Some(format!(
            "▶ {}/{}  {} · Space {}",
            beat.number(),
            Beat::ALL.len(),
            beat.caption(),
            beat.next()
        ))
    }

    /// The caption's rows at the current width: none outside a beat, at most two.
    pub fn caption_rows(&self) -> u16 {
        let Some(text) = self.caption() else {
            return 0;
        };
        let line = ratatui::text::Line::from(text);
        let rows = crate::render::wrap::wrap_line(&line, usize::from(self.size.0).max(1)).len();
        (rows as u16).clamp(1, 2)
    }

    /// The beat the story stands at, if a presenter drives it.
    pub fn beat(&self) -> Option<Beat> {
        self.presenter.as_ref().and_then(|p| p.paused)
    }

    /// A message the presenter takes while the story stands at a beat (`Space`/`Enter` go on,
    /// a reply's changes wait); `None` for any other.
    pub(crate) fn presenter_takes(&mut self, msg: &Msg) -> Option<Vec<Cmd>> {
        let presenter = self.presenter.as_mut().filter(|p| p.paused.is_some())?;
        match msg {
            Msg::Key(key)
                if matches!(key.code, KeyCode::Char(' ') | KeyCode::Enter)
                    && key.modifiers == KeyModifiers::NONE
                    && matches!(self.overlay, None | Some(Overlay::Fresh)) =>
            {
                Some(self.go_on())
            }
            Msg::Event(AppEvent::ChangesReady(_)) => {
                presenter.held.push(msg.clone());
                Some(Vec::new())
            }
            _ => None,
        }
    }

    /// The fix loop's next round, held when the story stands at a beat (or reaches one now):
    /// `None` when it goes on, else what arriving at the beat asks for.
    pub(crate) fn presenter_holds_fix(
        &mut self,
        judging: Judging,
        failures: &[Failure],
    ) -> Option<Vec<Cmd>> {
        let arrived = self.presenter_watches();
        let p = self.presenter.as_mut().filter(|p| p.paused.is_some())?;
        p.held_fix = Some((judging, failures.to_vec()));
        Some(arrived)
    }

    /// After every message: stops at the next beat once the story reaches it.
    pub(crate) fn presenter_watches(&mut self) -> Vec<Cmd> {
        let Some(beat) = self
            .presenter
            .as_ref()
            .filter(|p| p.paused.is_none())
            .and_then(|p| Beat::ALL.get(p.next).copied())
        else {
            return Vec::new();
        };
        if !self.reached(beat) {
            return Vec::new();
        }
        if let Some(p) = self.presenter.as_mut() {
            p.paused = Some(beat);
            p.next += 1;
        }
        // One pane at a time: the one the beat is about.
        if self.layout.screen.arrangement == Arrangement::Tabs && self.overlay.is_none() {
            let pane = beat.pane();
            if pane != Pane::Conversation && self.mode == Mode::Compose {
                self.mode = Mode::Normal;
                self.sync_composer_placeholder();
            }
            self.set_focus(pane);
        }
        match beat {
            // The offending line, on screen whatever the layout shows.
            Beat::Breaks => self.show_violation(),
            _ => Vec::new(),
        }
    }

    /// Whether the story has reached `beat`.
    fn reached(&self, beat: Beat) -> bool {
        let session = &self.session;
        let fix_reply_in = |round: u32| {
            session.fix.is_some_and(|f| f.round == round) && !self.conversation.streaming()
        };
        match beat {
            Beat::Opening => session.step == Step::Tests && session.verdict.is_some(),
            Beat::TestsFail => session.step == Step::Implement,
            // Settled on the implementation: the tests pass, a clause is violated.
            Beat::Breaks => {
                session.step == Step::Implement
                    && self
                        .settled_failures()
                        .is_some_and(|f| !f.is_empty() && f.iter().all(|f| f.clause_text.is_some()))
            }
            Beat::FixRound1 => fix_reply_in(1),
            Beat::FixRound2 => fix_reply_in(2),
            Beat::Poisoned => session.poisoned.is_some(),
            Beat::Lessons => self.overlay == Some(Overlay::Fresh),
            Beat::Fresh => session.predecessor.is_some() && self.overlay.is_none(),
            Beat::Green => {
                session.step == Step::Verify && session.verdict.as_ref().is_some_and(|v| v.ok)
            }
        }
    }

    /// `Space`/`Enter` at a beat: what was held goes on, and the beat's next move is made.
    fn go_on(&mut self) -> Vec<Cmd> {
        let Some(presenter) = self.presenter.as_mut() else {
            return Vec::new();
        };
        let Some(beat) = presenter.paused.take() else {
            return Vec::new();
        };
        let held = std::mem::take(&mut presenter.held);
        let held_fix = presenter.held_fix.take();
        let mut cmds = Vec::new();
        for msg in held {
            cmds.extend(super::update(self, msg));
        }
        if let Some((judging, failures)) = held_fix {
            cmds.extend(self.continue_fix_loop(judging, &failures));
        }
        let enter = || Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        match beat {
            Beat::Opening | Beat::TestsFail | Beat::Fresh => {
                if self.mode != Mode::Compose {
                    self.enter_compose();
                }
                cmds.extend(super::update(self, enter()));
            }
            Beat::Poisoned => cmds.extend(lessons::open(self)),
            Beat::Lessons => cmds.extend(super::update(self, enter())),
            Beat::Breaks | Beat::FixRound1 | Beat::FixRound2 | Beat::Green => {}
        }
        cmds
    }

    /// The first violated clause's offending line in the Code pane (the pane shown when only
    /// one fits).
    fn show_violation(&mut self) -> Vec<Cmd> {
        let Some(index) = self
            .spec
            .eval
            .clauses
            .iter()
            .position(|c| c.status == Status::Violated)
        else {
            return Vec::new();
        };
        self.spec.selected = index;
        let focus = self.focus;
        let cmds = self.jump_to_clause();
        // Where the panes show together the focus stays.
        if self.layout.pane(focus).is_some() {
            self.set_focus(focus);
        }
        cmds
    }
}
