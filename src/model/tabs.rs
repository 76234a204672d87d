//! The tab bar's labels in the narrow layout: each pane's name with a badge of its state, so
//! an audience that sees one pane at a time still sees the others' (`Spec 5✓ 1✗`,
//! `Results 11✓ 0✗`, `●` while a reply streams or a run goes).

use super::{Model, Pane};

/// What a piece of a tab's label shows, for its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TabPart {
    /// The pane's number and name.
    Name,
    /// A count of what is well (clauses holding, tests passing).
    Good,
    /// A count of what is not (clauses violated, tests failing).
    Bad,
    /// Something is going on in the pane.
    Busy,
}

impl Model {
    /// `pane`'s tab label in pieces.
    pub fn tab_parts(&self, pane: Pane) -> Vec<(String, TabPart)> {
        let mut parts = vec![(
            format!(" {} {}", pane.index() + 1, pane.title()),
            TabPart::Name,
        )];
        let mut counts = |good: usize, bad: usize| {
            parts.push((format!(" {good}✓"), TabPart::Good));
            parts.push((format!(" {bad}✗"), TabPart::Bad));
        };
        match pane {
            Pane::Spec if !self.spec.eval.clauses.is_empty() => {
                let c = self.spec.eval.counts();
                counts(c.holds, c.violated);
            }
            Pane::Results => {
                if let Some(last) = &self.results.last {
                    let c = last.report.counts();
                    counts(c.passed, c.failed);
                }
            }
            _ => {}
        }
        let busy = match pane {
            Pane::Conversation => self.conversation.streaming(),
            Pane::Results => self.results.running.is_some(),
            Pane::Code => self.code.changes.is_some(),
            Pane::Spec => self.spec.scans_pending > 0,
        };
        if busy {
            parts.push((" ●".to_string(), TabPart::Busy));
        }
        parts.push((" ".to_string(), TabPart::Name));
        parts
    }

    /// The width of every tab's label, in `Pane::ALL`'s order.
    pub fn tab_widths(&self) -> [u16; 4] {
        Pane::ALL.map(|p| {
            self.tab_parts(p)
                .iter()
                .map(|(t, _)| unicode_width::UnicodeWidthStr::width(t.as_str()) as u16)
                .sum()
        })
    }
}
