//! Which file changes rerun the tests: what the run in flight changed, and runaway loops.
//!
//! A change that arrives while a run is going (or that began before the last run ended) may be
//! the run's own doing. Of the files specbench reads (the code in scope, the spec), the first
//! change to each during a run asks for a rerun; later changes to it in the same run are the
//! run's own. A queued rerun is dropped when the files that queued it hold again what they held
//! when the run started. A file whose first change comes during several runs in a row, at
//! about the same moment of each, is taken to be rewritten by the test command itself: its
//! changes during runs stop asking for reruns (auto-rerun pauses for it) until a change that
//! no run can have made.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::watch::{Content, ContentChange};

/// After this many runs in a row that each changed a file, auto-rerun pauses for it.
pub const LOOP_ROUNDS: u32 = 3;

/// A file the run in flight changed: what it held when the run started, and now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    pub start: Content,
    pub now: Content,
}

/// Runs in a row during which a file changed, and when its change began in the last of them
/// (from the run's start; `None` when the start was not known).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streak {
    pub rounds: u32,
    pub offset: Option<Duration>,
}

/// The rerun rules' state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reruns {
    /// What the run in flight (or the last run) changed, from the first change of each file.
    pub touched: BTreeMap<PathBuf, Touch>,
    /// Files whose first change came during each of the last runs.
    pub streaks: BTreeMap<PathBuf, Streak>,
    /// The files whose first change during the run in flight queued the next run, when nothing
    /// else did.
    queued_by: Option<BTreeSet<PathBuf>>,
    /// Files whose changes during runs no longer rerun the tests: each run rewrites them.
    pub paused: BTreeSet<PathBuf>,
}

/// What a change during a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The file's first change during this run, the `rounds`-th run in a row to change it.
    First { rounds: u32 },
    /// A later change during the same run: the run's own.
    Again,
}

/// Whether two moments of a file's change in two runs are about the same: a command rewrites a
/// file at a steady point of each run; a person's saves land anywhere.
fn similar(a: Option<Duration>, b: Option<Duration>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            high - low <= high / 4 + Duration::from_millis(250)
        }
        _ => true,
    }
}

impl Reruns {
    /// A run starts: nothing is changed during it yet.
    pub fn run_started(&mut self) {
        self.touched.clear();
        self.queued_by = None;
    }

    /// `path` changed during the run in flight, `offset` after the run started.
    pub fn touch(&mut self, path: &Path, change: ContentChange, offset: Option<Duration>) -> Seen {
        if let Some(touch) = self.touched.get_mut(path) {
            touch.now = change.after;
            return Seen::Again;
        }
        self.touched.insert(
            path.to_path_buf(),
            Touch {
                start: change.before,
                now: change.after,
            },
        );
        let rounds = self
            .streaks
            .get(path)
            .filter(|s| similar(s.offset, offset))
            .map_or(1, |s| s.rounds + 1);
        self.streaks
            .insert(path.to_path_buf(), Streak { rounds, offset });
        Seen::First { rounds }
    }

    /// A rerun was queued behind the run in flight (`already`: one was queued before), for the
    /// first changes of `files` during it, or (`None`) for anything else.
    pub fn queued(&mut self, already: bool, files: Option<&[PathBuf]>) {
        self.queued_by = match (files, self.queued_by.take()) {
            (Some(files), by) if !already || by.is_some() => {
                let mut by = by.unwrap_or_default();
                by.extend(files.iter().cloned());
                Some(by)
            }
            _ => None,
        };
    }

    /// Whether the queued rerun asks for nothing: only files changed during the run queued it,
    /// and each holds again what it held when the run started.
    pub fn queue_is_moot(&self) -> bool {
        self.queued_by.as_ref().is_some_and(|files| {
            files.iter().all(|f| {
                self.touched
                    .get(f)
                    .is_some_and(|touch| touch.start.same(touch.now))
            })
        })
    }

    /// The run in flight ended on its own: the streaks of files it left alone, or left as it
    /// found them, end.
    pub fn run_ended(&mut self) {
        let touched = &self.touched;
        self.streaks.retain(|path, _| {
            touched
                .get(path)
                .is_some_and(|touch| !touch.start.same(touch.now))
        });
    }

    /// Pauses auto-rerun for `path`; `false` when it already was.
    pub fn pause(&mut self, path: &Path) -> bool {
        self.paused.insert(path.to_path_buf())
    }

    /// Whether auto-rerun is paused for `path`.
    pub fn is_paused(&self, path: &Path) -> bool {
        self.paused.contains(path)
    }

    /// Auto-rerun resumes for every file.
    pub fn resume(&mut self) {
        self.paused.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(hash: u64) -> Content {
        Content::Bytes { len: 8, hash }
    }

    fn change(before: Content, after: Content) -> ContentChange {
        ContentChange { before, after }
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_first_change_counts_and_later_ones_are_the_runs() {
        let mut r = Reruns::default();
        let f = Path::new("gen.py");
        assert_eq!(
            r.touch(f, change(bytes(1), bytes(2)), Some(MS)),
            Seen::First { rounds: 1 }
        );
        assert_eq!(
            r.touch(f, change(bytes(2), bytes(1)), Some(MS)),
            Seen::Again
        );
        assert_eq!(
            r.touched[f],
            Touch {
                start: bytes(1),
                now: bytes(1)
            }
        );
        r.run_started();
        assert!(r.touched.is_empty());
    }

    #[test]
    fn a_steady_rewrite_in_each_run_builds_a_streak_and_a_wandering_one_does_not() {
        let mut r = Reruns::default();
        let f = Path::new("stamp.py");
        for round in 1..=3 {
            r.run_started();
            let seen = r.touch(f, change(bytes(round), bytes(round + 1)), Some(20 * MS));
            assert_eq!(
                seen,
                Seen::First {
                    rounds: round as u32
                }
            );
        }
        // A save 4 s into a run after one 0.5 s in: a person, not the command.
        let mut r = Reruns::default();
        r.touch(f, change(bytes(1), bytes(2)), Some(500 * MS));
        r.run_started();
        let seen = r.touch(f, change(bytes(2), bytes(3)), Some(4000 * MS));
        assert_eq!(seen, Seen::First { rounds: 1 });
        assert!(similar(Some(4000 * MS), Some(4900 * MS)));
        assert!(similar(Some(2 * MS), Some(200 * MS)));
        assert!(!similar(Some(1000 * MS), Some(3000 * MS)));
    }

    #[test]
    fn a_run_that_leaves_a_file_alone_or_as_it_found_it_ends_its_streak() {
        let mut r = Reruns::default();
        let (f, g) = (Path::new("f.py"), Path::new("g.py"));
        r.touch(f, change(bytes(1), bytes(2)), None);
        r.touch(g, change(bytes(1), bytes(2)), None);
        r.touch(g, change(bytes(2), bytes(1)), None);
        r.run_ended();
        assert_eq!(r.streaks.keys().collect::<Vec<_>>(), [f]);
        r.run_started();
        r.run_ended();
        assert!(r.streaks.is_empty());
    }

    #[test]
    fn a_queued_rerun_is_moot_when_its_files_are_back_as_they_were() {
        let mut r = Reruns::default();
        let f = PathBuf::from("SPEC.md");
        r.touch(&f, change(bytes(1), bytes(0)), None);
        r.queued(false, Some(std::slice::from_ref(&f)));
        assert!(!r.queue_is_moot());
        r.touch(&f, change(bytes(0), bytes(1)), None);
        assert!(r.queue_is_moot());
        // Anything else that queued a run keeps it.
        r.queued(true, None);
        assert!(!r.queue_is_moot());
        r.queued(true, Some(std::slice::from_ref(&f)));
        assert!(!r.queue_is_moot());
    }
}
