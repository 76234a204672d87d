//! The context worker: a thread of its own that keeps the index of the workspace, updates it
//! file by file as files change, and chooses the set and the map again whenever the index or
//! the inputs change, reporting each result. It never runs on the UI task; queued jobs are
//! taken together, so a burst of saves costs one choice.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use super::index::Index;
use super::set::{Budget, Sources};
use super::{Chooser, ChosenContext, request_text};

/// What the set and the map are chosen from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    pub sources: Sources,
    /// The set's budgets and the map's.
    pub budgets: (Budget, u32),
    /// Identifiers the spec and the conversation mention (they weigh more in the map).
    pub mentioned: HashSet<String>,
}

/// A job for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// The code files in scope, after a scan: new files are indexed, gone ones forgotten.
    Scope(Vec<PathBuf>),
    /// These files changed on disk (saved, created, deleted).
    Changed(Vec<PathBuf>),
    /// Choose with these inputs from now on; `id` comes back with the outcome.
    Choose { id: u64, inputs: Inputs },
}

/// A choice of context and the request's code part made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The id of the [`Job::Choose`] whose inputs it used.
    pub id: u64,
    pub context: ChosenContext,
    /// The request's code part: the set (or all the code) and the map.
    pub text: String,
    /// The tokens of `text`.
    pub tokens: u32,
}

/// Counts tokens.
pub type TokenCounter = Arc<dyn Fn(&str) -> u32 + Send + Sync>;

/// The handle of a running worker; dropping it ends the thread.
#[derive(Debug, Clone)]
pub struct Worker {
    jobs: Sender<Job>,
}

impl Worker {
    /// Starts a worker on the workspace `root`; `report` receives each outcome.
    pub fn spawn(
        root: PathBuf,
        count: TokenCounter,
        report: impl Fn(Outcome) + Send + 'static,
    ) -> std::io::Result<Worker> {
        let (jobs, rx) = channel();
        std::thread::Builder::new()
            .name("specbench-context".into())
            .spawn(move || run(&root, &count, &rx, report))?;
        Ok(Worker { jobs })
    }

    /// Queues a job; false when the worker has stopped.
    pub fn send(&self, job: Job) -> bool {
        self.jobs.send(job).is_ok()
    }
}

fn run(root: &std::path::Path, count: &TokenCounter, rx: &Receiver<Job>, report: impl Fn(Outcome)) {
    let mut index = Index::default();
    let mut chooser = Chooser::default();
    let mut scope: Vec<PathBuf> = Vec::new();
    let mut inputs: Option<(u64, Inputs)> = None;
    while let Ok(first) = rx.recv() {
        let mut dirty = false;
        let mut jobs = vec![first];
        jobs.extend(rx.try_iter());
        for job in jobs {
            match job {
                Job::Scope(mut files) => {
                    files.sort();
                    files.dedup();
                    let known: HashSet<&PathBuf> = scope.iter().collect();
                    let new: Vec<PathBuf> = files
                        .iter()
                        .filter(|f| !known.contains(f))
                        .cloned()
                        .collect();
                    index.retain(&files);
                    for path in &new {
                        index.load(root, path);
                    }
                    dirty |= files != scope;
                    scope = files;
                }
                Job::Changed(paths) => {
                    for path in paths {
                        if scope.binary_search(&path).is_ok() {
                            // Even with the same names, its text and tokens changed.
                            index.load(root, &path);
                            dirty = true;
                        }
                    }
                }
                Job::Choose { id, inputs: next } => {
                    dirty |= inputs.as_ref().is_none_or(|(_, i)| *i != next);
                    inputs = Some((id, next));
                }
            }
        }
        let Some((id, inputs)) = &inputs else {
            continue;
        };
        if !dirty {
            continue;
        }
        let count: &dyn Fn(&str) -> u32 = &**count;
        let context = chooser.choose(
            &mut index,
            root,
            &scope,
            &inputs.sources,
            inputs.budgets,
            &inputs.mentioned,
            count,
        );
        let text = request_text(root, &context);
        let tokens = count(&text);
        report(Outcome {
            id: *id,
            context,
            text,
            tokens,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn words(text: &str) -> u32 {
        text.split_whitespace().count() as u32
    }

    #[test]
    fn the_worker_indexes_chooses_and_follows_saves() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::write(root.join("a.py"), "import b\nb.helper_function()\n").unwrap();
        std::fs::write(root.join("b.py"), "def helper_function():\n    pass\n").unwrap();
        let (tx, rx) = channel();
        let worker = Worker::spawn(root.clone(), Arc::new(words), move |o| {
            let _ = tx.send(o);
        })
        .unwrap();
        let scope = vec![PathBuf::from("a.py"), PathBuf::from("b.py")];
        let inputs = Inputs {
            sources: Sources {
                spec: vec![PathBuf::from("a.py")],
                ..Sources::default()
            },
            budgets: (
                Budget {
                    all_below: 1,
                    code: 100,
                },
                100,
            ),
            mentioned: HashSet::new(),
        };
        assert!(worker.send(Job::Scope(scope.clone())));
        assert!(worker.send(Job::Choose {
            id: 1,
            inputs: inputs.clone()
        }));
        let wait = || rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let first = wait();
        assert_eq!(first.id, 1);
        assert_eq!(first.context.set.members.len(), 1);
        assert!(
            first.text.contains("```py path=a.py\nimport b"),
            "{}",
            first.text
        );
        assert!(
            first.text.contains("b.py\n  def helper_function():"),
            "{}",
            first.text
        );
        assert_eq!(first.tokens, words(&first.text));

        std::fs::write(root.join("b.py"), "def helper_function(x, y):\n    pass\n").unwrap();
        assert!(worker.send(Job::Changed(vec![PathBuf::from("b.py")])));
        let second = wait();
        assert!(
            second.text.contains("def helper_function(x, y):"),
            "{}",
            second.text
        );

        std::fs::remove_file(root.join("a.py")).unwrap();
        assert!(worker.send(Job::Changed(vec![PathBuf::from("a.py")])));
        let third = wait();
        assert_eq!(third.context.set.members.len(), 0);
        assert!(third.text.contains("- a.py: deleted"), "{}", third.text);
    }
}
