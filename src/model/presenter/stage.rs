//! What the presenter does to the model: stopping at a beat when the story reaches it,
//! holding what would move the story on meanwhile, and going on at `Space` or `Enter`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Beat, Presenter};
use crate::model::layout::Arrangement;
use crate::model::workflow::Judging;
use crate::model::{AppEvent, Cmd, Mode, Model, Msg, Overlay, Pane, lessons, update};
use crate::session::Step;
use crate::session::signature::Failure;
use crate::spec::eval::Status;

impl Model {
    /// Presenter mode from now on: the story stops at each beat.
    pub fn start_presenting(&mut self) {
        self.presenter = Some(Presenter::default());
    }

    /// The caption's text at the current beat.
    pub fn caption(&self) -> Option<String> {
        let beat = self.beat()?;
        Some(format!(
            "▶ {}/{}  {} · Space to {}",
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
            cmds.extend(update(self, msg));
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
                cmds.extend(update(self, enter()));
            }
            Beat::Poisoned => cmds.extend(lessons::open(self)),
            Beat::Lessons => cmds.extend(update(self, enter())),
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
