//! Corrections counted per failure class: a message marked as one (`Ctrl-R`), or a fix attempt
//! after which the same failure came back. The class corrected `[loop].fresh_after` times
//! poisons the session.

use crate::model::{Cmd, Mode, Model, NoticeKind};
use crate::session::CorrectionSource;
use crate::session::journal::Record;
use crate::session::signature::Signature;

impl Model {
    /// Counts one more correction of `sig`; the class that reaches `[loop].fresh_after`
    /// poisons the session.
    pub(crate) fn count_correction(
        &mut self,
        sig: Signature,
        source: CorrectionSource,
    ) -> Vec<Cmd> {
        let count = match self.session.corrections.iter_mut().find(|(s, _)| *s == sig) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                self.session.corrections.push((sig.clone(), 1));
                1
            }
        };
        tracing::info!(class = %sig, count, ?source, "correction");
        let mut cmds = vec![Self::journal(Record::Correction {
            class: sig.key(),
            count,
            source,
        })];
        let limit = self.config.loop_.fresh_after.max(1);
        if count >= limit && self.session.poisoned.is_none() {
            cmds.push(Self::journal(Record::Poisoned { class: sig.key() }));
            let text = format!(
                "Session likely poisoned: {sig} corrected {count}×. F starts a fresh session"
            );
            self.session.poisoned = Some(sig);
            self.session.fix = None;
            // Nothing is being written: hand the keys back so `F` is one press away.
            if self.composer.is_empty() || !self.draft_is_own() {
                self.set_draft("");
                self.conversation.offer = None;
                self.mode = Mode::Normal;
                self.sync_composer_placeholder();
            }
            cmds.push(self.notify(NoticeKind::Error, text));
        }
        cmds
    }

    /// The classes a message marked as a correction corrects: the failing classes of the
    /// clauses it names, else those clauses, else everything failing now.
    pub(crate) fn correction_targets(&self, text: &str) -> Vec<Signature> {
        let failures = self.known_failures();
        let ids: Vec<String> = self
            .spec
            .pinned
            .as_ref()
            .map(|p| p.spec.clauses.iter().map(|c| c.id.clone()).collect())
            .unwrap_or_default();
        let words: Vec<String> = text
            .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
            .map(str::to_ascii_uppercase)
            .collect();
        let named: Vec<&String> = ids
            .iter()
            .filter(|id| words.contains(&id.to_ascii_uppercase()))
            .collect();
        if !named.is_empty() {
            let matching: Vec<Signature> = failures
                .iter()
                .filter(|f| f.clauses.iter().any(|c| named.contains(&c)))
                .map(|f| f.signature.clone())
                .collect();
            if !matching.is_empty() {
                return matching;
            }
            return named
                .into_iter()
                .map(|id| Signature {
                    subject: id.clone(),
                    kind: "correction".into(),
                })
                .collect();
        }
        if !failures.is_empty() {
            return failures.into_iter().map(|f| f.signature).collect();
        }
        vec![Signature {
            subject: "general".into(),
            kind: "correction".into(),
        }]
    }

    /// `Ctrl-R`: mark (or unmark) the message being composed as a correction.
    pub(crate) fn toggle_correction_mark(&mut self) -> Vec<Cmd> {
        self.session.marked = !self.session.marked;
        let text = if self.session.marked {
            "Marked as a correction: name the clause (R4) to count it against that clause"
        } else {
            "No longer marked as a correction"
        };
        vec![self.notify(NoticeKind::Info, text)]
    }
}
