//! The clause-level difference between the pinned spec and the spec on disk.

use similar::{ChangeTag, TextDiff};

use super::{Clause, Spec};

/// How a clause differs between the pin and the file on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// Whether a word of a changed clause is kept, new on disk, or gone from the pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordTag {
    Same,
    Added,
    Removed,
}

/// One clause that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClauseChange {
    /// The clause id (on disk for added and changed clauses, in the pin for removed ones).
    pub id: String,
    pub kind: ChangeKind,
    /// The clause's `raw` Markdown as runs of words with their tag, whitespace kept inside the
    /// runs so that concatenating them gives readable text: all `Added` for an added clause,
    /// all `Removed` for a removed one, a word diff (old -> new) for a changed one.
    pub words: Vec<(WordTag, String)>,
}

/// Everything that differs between the pinned spec and the spec on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecDiff {
    /// Changed, added and removed clauses, in the order of the disk spec (removed clauses where
    /// they stood in the pin).
    pub changes: Vec<ClauseChange>,
    /// Whether the texts differ at all (free text, title, whitespace).
    pub text_changed: bool,
}

/// Compares the pinned spec with the spec on disk.
pub fn diff(pinned_text: &str, pinned: &Spec, disk_text: &str, disk: &Spec) -> SpecDiff {
    let (pin, now) = (&pinned.clauses, &disk.clauses);
    let pairing = Pairing::new(pin, now);

    // Each removed clause goes after the disk clause paired with the nearest preceding pin
    // clause; `leading` holds those before any pairing.
    let mut leading = Vec::new();
    let mut after = vec![Vec::new(); now.len()];
    let mut anchor = None;
    for (p, paired) in pairing.pin_to_disk.iter().enumerate() {
        match (paired, anchor) {
            (Some(d), _) => anchor = Some(*d),
            (None, Some(d)) => after[d].push(p),
            (None, None) => leading.push(p),
        }
    }

    let removed = |p: &usize| removed_change(&pin[*p]);
    let mut changes: Vec<ClauseChange> = leading.iter().map(removed).collect();
    for (d, clause) in now.iter().enumerate() {
        match pairing.disk_to_pin[d].map(|p| &pin[p]) {
            None => changes.push(ClauseChange {
                id: clause.id.clone(),
                kind: ChangeKind::Added,
                words: vec![(WordTag::Added, clause.raw.clone())],
            }),
            Some(old) if old.raw != clause.raw => changes.push(ClauseChange {
                id: clause.id.clone(),
                kind: ChangeKind::Changed,
                words: word_runs(&old.raw, &clause.raw),
            }),
            Some(_) => {}
        }
        changes.extend(after[d].iter().map(removed));
    }
    SpecDiff {
        changes,
        text_changed: pinned_text != disk_text,
    }
}

/// The change for a pinned clause that is gone from the disk.
fn removed_change(clause: &Clause) -> ClauseChange {
    ClauseChange {
        id: clause.id.clone(),
        kind: ChangeKind::Removed,
        words: vec![(WordTag::Removed, clause.raw.clone())],
    }
}

/// Which pinned clause is which clause on disk, both ways, by index.
struct Pairing {
    pin_to_disk: Vec<Option<usize>>,
    disk_to_pin: Vec<Option<usize>>,
}

impl Pairing {
    /// Pairs by explicit id, then (when a side has an auto id) by identical text, then auto ids
    /// by id.
    fn new(pin: &[Clause], disk: &[Clause]) -> Self {
        let mut pairing = Pairing {
            pin_to_disk: vec![None; pin.len()],
            disk_to_pin: vec![None; disk.len()],
        };
        pairing.pass(pin, disk, |p, d| {
            p.explicit_id && d.explicit_id && p.id == d.id
        });
        pairing.pass(pin, disk, |p, d| {
            !(p.explicit_id && d.explicit_id) && p.raw == d.raw
        });
        pairing.pass(pin, disk, |p, d| {
            !p.explicit_id && !d.explicit_id && p.id == d.id
        });
        pairing
    }

    /// Pairs each unpaired disk clause, in order, with the first unpaired pinned clause that
    /// `matches` it.
    fn pass(
        &mut self,
        pin: &[Clause],
        disk: &[Clause],
        matches: impl Fn(&Clause, &Clause) -> bool,
    ) {
        for (d, clause) in disk.iter().enumerate() {
            if self.disk_to_pin[d].is_some() {
                continue;
            }
            let found = pin
                .iter()
                .enumerate()
                .find(|&(p, old)| self.pin_to_disk[p].is_none() && matches(old, clause));
            if let Some((p, _)) = found {
                self.pin_to_disk[p] = Some(d);
                self.disk_to_pin[d] = Some(p);
            }
        }
    }
}

/// A word diff of `old` -> `new`, consecutive words with the same tag merged into one run.
fn word_runs(old: &str, new: &str) -> Vec<(WordTag, String)> {
    let mut runs: Vec<(WordTag, String)> = Vec::new();
    for change in TextDiff::from_words(old, new).iter_all_changes() {
        let tag = match change.tag() {
            ChangeTag::Equal => WordTag::Same,
            ChangeTag::Insert => WordTag::Added,
            ChangeTag::Delete => WordTag::Removed,
        };
        match runs.last_mut() {
            Some((last, text)) if *last == tag => text.push_str(change.value()),
            _ => runs.push((tag, change.value().to_owned())),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::{ChangeKind, SpecDiff, WordTag, diff, word_runs};
    use crate::spec::parse;

    /// The diff of two spec texts.
    fn diff_texts(pinned: &str, disk: &str) -> SpecDiff {
        diff(pinned, &parse(pinned), disk, &parse(disk))
    }

    /// Each change as (id, kind).
    fn kinds(diff: &SpecDiff) -> Vec<(&str, ChangeKind)> {
        diff.changes
            .iter()
            .map(|c| (c.id.as_str(), c.kind))
            .collect()
    }

    /// Words as (tag, text) pairs of borrowed strings, for comparisons.
    fn runs(words: &[(WordTag, String)]) -> Vec<(WordTag, &str)> {
        words.iter().map(|(tag, s)| (*tag, s.as_str())).collect()
    }

    const PIN: &str = "# Spec\n\nIntro.\n\n- [R1] Limit: 100 requests per 60 seconds.\n- [R2] Two.\n- [R3] Three.\n";

    #[test]
    fn no_change() {
        let diff = diff_texts(PIN, PIN);
        assert_eq!(diff, SpecDiff::default());
    }

    #[test]
    fn changed_clause_has_word_runs() {
        let disk = PIN.replace("100 requests", "200 requests");
        let diff = diff_texts(PIN, &disk);
        assert!(diff.text_changed);
        assert_eq!(kinds(&diff), [("R1", ChangeKind::Changed)]);
        assert_eq!(
            runs(&diff.changes[0].words),
            [
                (WordTag::Same, "Limit: "),
                (WordTag::Removed, "100"),
                (WordTag::Added, "200"),
                (WordTag::Same, " requests per 60 seconds."),
            ]
        );
    }

    #[test]
    fn added_clause() {
        let disk = PIN.replace("- [R3]", "- [R9] Nine `test: *n*`.\n- [R3]");
        let diff = diff_texts(PIN, &disk);
        assert_eq!(kinds(&diff), [("R9", ChangeKind::Added)]);
        assert_eq!(
            runs(&diff.changes[0].words),
            [(WordTag::Added, "Nine `test: *n*`.")]
        );
    }

    #[test]
    fn removed_clause_keeps_its_place() {
        let diff = diff_texts(PIN, &PIN.replace("- [R2] Two.\n", ""));
        assert_eq!(kinds(&diff), [("R2", ChangeKind::Removed)]);
        assert_eq!(runs(&diff.changes[0].words), [(WordTag::Removed, "Two.")]);

        let disk = "- [R1] Limit changed.\n- [R3] Three.\n- [R4] Four.\n";
        let diff = diff_texts(PIN, disk);
        assert_eq!(
            kinds(&diff),
            [
                ("R1", ChangeKind::Changed),
                ("R2", ChangeKind::Removed),
                ("R4", ChangeKind::Added),
            ]
        );
    }

    #[test]
    fn removed_first_clause_comes_first() {
        let disk = "- [R0] Zero.\n- [R2] Two.\n- [R3] Three.\n";
        let diff = diff_texts(PIN, disk);
        assert_eq!(
            kinds(&diff),
            [("R1", ChangeKind::Removed), ("R0", ChangeKind::Added)]
        );
    }

    #[test]
    fn auto_id_clause_inserted_before_others() {
        let pin = "- alpha\n- beta\n- gamma\n";
        let disk = "- new\n- alpha\n- beta\n- gamma\n";
        let diff = diff_texts(pin, disk);
        assert_eq!(kinds(&diff), [("C1", ChangeKind::Added)]);
        assert_eq!(runs(&diff.changes[0].words), [(WordTag::Added, "new")]);
    }

    #[test]
    fn edited_auto_id_clause_pairs_by_id() {
        let diff = diff_texts("- [R1] a\n- old words\n", "- [R1] a\n- new words\n");
        assert_eq!(kinds(&diff), [("C2", ChangeKind::Changed)]);
    }

    #[test]
    fn adding_an_id_is_no_clause_change() {
        let diff = diff_texts("- Same text.\n", "- [R1] Same text.\n");
        assert!(diff.text_changed && diff.changes.is_empty());
    }

    #[test]
    fn renamed_explicit_id_is_removed_and_added() {
        let diff = diff_texts(PIN, &PIN.replace("[R3]", "[R30]"));
        assert_eq!(
            kinds(&diff),
            [("R3", ChangeKind::Removed), ("R30", ChangeKind::Added)]
        );
    }

    #[test]
    fn free_text_change_only() {
        let diff = diff_texts(PIN, &PIN.replace("Intro.", "Intro, reworded.\n\n## More"));
        assert!(diff.text_changed);
        assert!(diff.changes.is_empty());
    }

    #[test]
    fn word_runs_round_trip() {
        let cases = [
            ("", ""),
            ("", "new words"),
            ("old words", ""),
            ("a b c", "a x c"),
            (
                "Uses `require: \\bdeque\\(` here",
                "Uses `require: \\bdeque\\b` there, now",
            ),
            ("héllo  wörld", "héllo wörld!"),
            ("one two three four", "four three two one"),
        ];
        for (old, new) in cases {
            let words = word_runs(old, new);
            let side = |keep: WordTag| -> String {
                words
                    .iter()
                    .filter(|(tag, _)| *tag == WordTag::Same || *tag == keep)
                    .map(|(_, s)| s.as_str())
                    .collect()
            };
            assert_eq!(side(WordTag::Added), new, "{old:?} -> {new:?}");
            assert_eq!(side(WordTag::Removed), old, "{old:?} -> {new:?}");
            assert!(
                words.windows(2).all(|w| w[0].0 != w[1].0),
                "runs not merged: {words:?}"
            );
        }
    }
}
