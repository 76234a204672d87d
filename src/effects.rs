//! The effects layer: runs `Cmd`s as tokio tasks and reports each result on the app channel.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

use crate::config::Config;
use crate::llm::ChatRequest;
use crate::llm::client::LlmError;
use crate::llm::provider::Provider;
use crate::llm::{request, tokens};
use crate::model::{AppEvent, Cmd, Msg, ScanOutcome, SharedPlan};
use crate::runner::process::{self, RunRequest};
use crate::spec::pin::PinStore;
use crate::spec::scan;
use crate::workspace;

/// A scan of the code for a plan's checks: every file, or only `paths`.
type ScanJob = (SharedPlan, Option<Vec<PathBuf>>);

/// Runs commands for one workspace.
#[derive(Debug, Clone)]
pub struct Effects {
    root: PathBuf,
    config: Config,
    tx: UnboundedSender<Msg>,
    /// Cancellation handles of the test runs in flight, by run id.
    runs: Arc<Mutex<HashMap<u64, oneshot::Sender<()>>>>,
    /// The scan worker's queue: scans run one at a time, in order, so a rescan of a changed
    /// file never lands before the full scan that preceded it.
    scans: Arc<OnceLock<tokio::sync::mpsc::UnboundedSender<ScanJob>>>,
    /// The model provider, or why there is none.
    provider: Arc<Result<Provider, String>>,
    /// Replies streaming, by turn id, to abort on cancel.
    replies: Arc<Mutex<HashMap<u64, tokio::task::AbortHandle>>>,
}

/// An undo's (or redo's) result in the terms the model shows.
fn undo_outcome(
    result: Result<crate::code::checkpoint::Checkpoint, crate::code::checkpoint::CheckpointError>,
    redo: bool,
) -> crate::model::changes::UndoOutcome {
    use crate::code::checkpoint::CheckpointError as E;
    use crate::model::changes::UndoOutcome;
    match result {
        Ok(cp) => UndoOutcome::Done {
            label: cp.label,
            files: cp.files.into_iter().map(|f| f.rel).collect(),
        },
        Err(E::ChangedSince { paths }) => UndoOutcome::ChangedSince(paths),
        Err(E::NothingToUndo) if !redo => UndoOutcome::Failed("Nothing to undo".into()),
        Err(E::NothingToRedo) if redo => UndoOutcome::Failed("Nothing to redo".into()),
        Err(e) => UndoOutcome::Failed(e.to_string()),
    }
}

/// Files longer than this are shown plain: highlighting them would take seconds.
const MAX_HIGHLIGHT_LINES: usize = 20_000;

/// How many lines a loaded file has.
fn file_lines(content: &Result<workspace::FileText, String>) -> usize {
    content.as_ref().map_or(0, |f| f.lines.len())
}

/// The most bytes of one code file put in the request.
const MAX_CONTEXT_FILE: u64 = 256 * 1024;
/// The most bytes of code in the request, all files together.
const MAX_CONTEXT_TOTAL: usize = 1024 * 1024;

impl Effects {
    /// Effects for `root`, reporting on `tx`.
    pub fn new(root: PathBuf, config: Config, tx: UnboundedSender<Msg>) -> Self {
        let provider = Provider::from_config(&root, &config.model);
        Self::with_provider(root, config, tx, provider)
    }

    /// Effects with a provider set up by the caller (tests tune its patience).
    pub fn with_provider(
        root: PathBuf,
        config: Config,
        tx: UnboundedSender<Msg>,
        provider: Result<Provider, String>,
    ) -> Self {
        Self {
            root,
            config,
            tx,
            runs: Arc::default(),
            scans: Arc::default(),
            provider: Arc::new(provider),
            replies: Arc::default(),
        }
    }

    /// Loads the tokenizer and highlighter off the UI task, and sets the provider up.
    fn prepare(&self) {
        let tx = self.tx.clone();
        let encoding = tokens::Encoding::for_model(&self.config.model.model);
        tokio::task::spawn_blocking(move || {
            tokens::preload(encoding);
            let _ = tx.send(Msg::Event(AppEvent::TokenizerReady));
            crate::code::highlight::preload();
        });
        let (tx, provider) = (self.tx.clone(), self.provider.clone());
        tokio::spawn(async move {
            let event = match provider.as_ref() {
                Ok(p) => AppEvent::ProviderReady {
                    window: p.window().await,
                    prompts: p.prompts(),
                },
                Err(why) => AppEvent::ProviderFailed(why.clone()),
            };
            let _ = tx.send(Msg::Event(event));
        });
    }

    /// Streams the reply to turn `turn`.
    fn send(&self, turn: u64, request: ChatRequest, prompt: String) {
        let (tx, provider) = (self.tx.clone(), self.provider.clone());
        let replies = self.replies.clone();
        let task = tokio::spawn(async move {
            let result = match provider.as_ref() {
                Ok(p) => {
                    let events = tx.clone();
                    let mut emit = move |event| {
                        let at = tokio::time::Instant::now();
                        let _ = events.send(Msg::Event(AppEvent::Reply { turn, event, at }));
                    };
                    p.stream(&request, &prompt, &mut emit).await
                }
                Err(why) => Err(LlmError::Unavailable(why.clone())),
            };
            if let Ok(mut replies) = replies.lock() {
                replies.remove(&turn);
            }
            let _ = tx.send(Msg::Event(AppEvent::ReplyEnded { turn, result }));
        });
        if let Ok(mut replies) = self.replies.lock() {
            replies.insert(turn, task.abort_handle());
        }
    }

    /// Reads the code files in scope into the request's code part, counted.
    fn load_code_context(&self) {
        let (root, include) = (self.root.clone(), self.config.code.include.clone());
        let encoding = tokens::Encoding::for_model(&self.config.model.model);
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let files = workspace::scan_code_files(&root, &include).unwrap_or_default();
            let mut texts = Vec::new();
            let mut total = 0;
            for path in files {
                let full = root.join(&path);
                let small = std::fs::metadata(&full).is_ok_and(|m| m.len() <= MAX_CONTEXT_FILE);
                let Some(text) = small.then(|| std::fs::read_to_string(&full).ok()).flatten()
                else {
                    continue;
                };
                total += text.len();
                if total > MAX_CONTEXT_TOTAL {
                    tracing::warn!(?path, "code context full; later files left out");
                    break;
                }
                texts.push((path, text));
            }
            let text = request::code_part(texts.iter().map(|(p, t)| (p.as_path(), t.as_str())));
            let tokens = tokens::count(encoding, &text);
            let _ = tx.send(Msg::Event(AppEvent::CodeContext { text, tokens }));
        });
    }

    /// The paths edits may write: the code files and the test files in scope.
    fn allowed(&self) -> Option<globset::GlobSet> {
        let mut patterns = self.config.code.include.clone();
        patterns.extend(self.config.code.tests.iter().cloned());
        workspace::glob_set(&patterns).ok()
    }

    /// Queues a scan; the worker starts with the first one.
    fn scan(&self, job: ScanJob) {
        let queue = self.scans.get_or_init(|| {
            let (queue, mut jobs) = tokio::sync::mpsc::unbounded_channel::<ScanJob>();
            let (root, tx) = (self.root.clone(), self.tx.clone());
            tokio::task::spawn_blocking(move || {
                while let Some((plan, paths)) = jobs.blocking_recv() {
                    let started = std::time::Instant::now();
                    let outcome = match &paths {
                        None => ScanOutcome::Full(scan::scan_all(&root, &plan.plan)),
                        Some(paths) => ScanOutcome::Files(scan::rescan(&root, &plan.plan, paths)),
                    };
                    tracing::debug!(
                        full = paths.is_none(),
                        us = started.elapsed().as_micros() as u64,
                        "code scanned for the spec's checks"
                    );
                    let event = AppEvent::Scanned {
                        plan_id: plan.id,
                        outcome,
                    };
                    if tx.send(Msg::Event(event)).is_err() {
                        break;
                    }
                }
            });
            queue
        });
        if queue.send(job).is_err() {
            tracing::warn!("the scan worker has stopped");
        }
    }

    /// The run request for the workspace's test command.
    pub fn run_request(&self) -> RunRequest {
        let tests = &self.config.tests;
        RunRequest {
            command: tests.command.clone(),
            cwd: self.root.clone(),
            timeout: Duration::from_secs(tests.timeout_secs),
            format: tests.format,
            junit_path: tests.junit_path.clone(),
        }
    }

    fn start_run(&self, id: u64) {
        let (cancel_tx, cancel_rx) = oneshot::channel();
        if let Ok(mut runs) = self.runs.lock() {
            runs.insert(id, cancel_tx);
        }
        let req = self.run_request();
        let tx = self.tx.clone();
        let runs = self.runs.clone();
        tokio::spawn(async move {
            let _ = tx.send(Msg::Event(AppEvent::RunStarted {
                id,
                at: tokio::time::Instant::now(),
            }));
            tracing::info!(id, command = %req.command, "test run started");
            let progress_tx = tx.clone();
            let report = process::run(req, cancel_rx, move |progress| {
                let _ = progress_tx.send(Msg::Event(AppEvent::RunProgress { id, progress }));
            })
            .await;
            tracing::info!(
                id,
                exit = ?report.exit_code,
                timed_out = report.timed_out,
                cancelled = report.cancelled,
                ms = report.duration.as_millis() as u64,
                "test run ended"
            );
            if let Ok(mut runs) = runs.lock() {
                runs.remove(&id);
            }
            let _ = tx.send(Msg::Event(AppEvent::RunFinished {
                id,
                report: Box::new(report),
            }));
        });
    }

    /// Starts `cmd`; its result arrives later as a `Msg::Event`. `Cmd::Suspend` belongs to the
    /// event loop, which owns the terminal, and is ignored here.
    pub fn run(&self, cmd: Cmd) {
        let tx = self.tx.clone();
        let send = move |event: AppEvent| {
            // The loop has gone: nobody waits for this result any more.
            let _ = tx.send(Msg::Event(event));
        };
        match cmd {
            Cmd::LoadSpec => {
                let (root, spec) = (self.root.clone(), self.config.spec.clone());
                tokio::task::spawn_blocking(move || {
                    let disk = workspace::read_spec(&root, &spec);
                    let pins = PinStore::new(&root).load().map_err(|e| e.to_string());
                    send(AppEvent::SpecLoaded { disk, pins });
                });
            }
            Cmd::Pin { text } => {
                let (root, spec) = (self.root.clone(), self.config.spec.clone());
                tokio::task::spawn_blocking(move || {
                    let pinned = PinStore::new(&root).pin(&text, &spec);
                    if let Ok(p) = &pinned {
                        tracing::info!(version = p.pin.version, created = p.created, "spec pinned");
                    }
                    send(AppEvent::Pinned(pinned.map_err(|e| e.to_string())));
                });
            }
            Cmd::Scan { plan, paths } => self.scan((plan, paths)),
            Cmd::ScanCode => {
                let (root, include) = (self.root.clone(), self.config.code.include.clone());
                tokio::task::spawn_blocking(move || {
                    send(AppEvent::CodeFilesFound(workspace::scan_code_files(
                        &root, &include,
                    )));
                });
            }
            Cmd::LoadFile { id, path, syntax } => {
                let root = self.root.clone();
                tokio::task::spawn_blocking(move || {
                    let content = workspace::read_code_file(&root, &path);
                    let text = match &content {
                        Ok(file) if file.note.is_none() => Some(file.lines.join("\n")),
                        _ => None,
                    };
                    let lines = file_lines(&content);
                    send(AppEvent::FileLoaded {
                        id,
                        path: path.clone(),
                        content,
                    });
                    // Shown plain at once, highlighted when this is done.
                    if let Some(text) = text {
                        let lang = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                        let highlighted = (lines <= MAX_HIGHLIGHT_LINES).then(|| {
                            crate::code::highlight::Highlighter::new(&syntax).lines(lang, &text)
                        });
                        send(AppEvent::FileHighlighted {
                            id,
                            lines: highlighted,
                        });
                    }
                });
            }
            Cmd::ExpireNotice { id, after } => {
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    send(AppEvent::NoticeExpired(id));
                });
            }
            Cmd::StartRun { id } => self.start_run(id),
            Cmd::CancelRun { id } => {
                let cancel = self.runs.lock().ok().and_then(|mut runs| runs.remove(&id));
                if let Some(cancel) = cancel {
                    let _ = cancel.send(());
                }
            }
            Cmd::Prepare => self.prepare(),
            Cmd::LoadCodeContext => self.load_code_context(),
            Cmd::Send {
                turn,
                request,
                prompt,
            } => self.send(turn, *request, prompt),
            Cmd::PrepareChanges { turn, reply } => {
                let root = self.root.clone();
                let allowed = self.allowed();
                tokio::task::spawn_blocking(move || {
                    let extracted = crate::code::extract::extract(&reply);
                    let set = crate::code::changes::prepare(
                        &root,
                        turn,
                        &extracted.edits,
                        &extracted.problems,
                        allowed.as_ref(),
                    );
                    send(AppEvent::ChangesReady(set));
                });
            }
            Cmd::Apply { label, files } => {
                let root = self.root.clone();
                let allowed = self.allowed();
                tokio::task::spawn_blocking(move || {
                    let result =
                        crate::code::changes::apply(&root, &label, &files, allowed.as_ref())
                            .map(|_| (label, files.into_iter().map(|(rel, ..)| rel).collect()))
                            .map_err(|e| e.to_string());
                    send(AppEvent::Applied(result));
                });
            }
            Cmd::Undo { redo, force } => {
                let root = self.root.clone();
                tokio::task::spawn_blocking(move || {
                    let store = crate::code::checkpoint::CheckpointStore::new(&root);
                    let result = if redo {
                        store.redo(force)
                    } else {
                        store.undo(force)
                    };
                    send(AppEvent::Undone {
                        redo,
                        outcome: undo_outcome(result, redo),
                    });
                });
            }
            Cmd::ListCheckpoints => {
                let root = self.root.clone();
                tokio::task::spawn_blocking(move || {
                    let store = crate::code::checkpoint::CheckpointStore::new(&root);
                    let listed = store
                        .list()
                        .map(|(all, applied)| {
                            let items = all
                                .into_iter()
                                .map(|cp| crate::model::changes::CheckpointItem {
                                    id: cp.id,
                                    files: cp.files.len(),
                                    label: cp.label,
                                })
                                .collect();
                            (items, applied)
                        })
                        .map_err(|e| e.to_string());
                    send(AppEvent::CheckpointsListed(listed));
                });
            }
            Cmd::Travel { steps } => {
                let root = self.root.clone();
                tokio::task::spawn_blocking(move || {
                    let store = crate::code::checkpoint::CheckpointStore::new(&root);
                    let redo = steps > 0;
                    let mut outcome = None;
                    for _ in 0..steps.unsigned_abs() {
                        let result = if redo {
                            store.redo(false)
                        } else {
                            store.undo(false)
                        };
                        let failed = result.is_err();
                        outcome = Some(undo_outcome(result, redo));
                        if failed {
                            break;
                        }
                    }
                    if let Some(outcome) = outcome {
                        send(AppEvent::Undone { redo, outcome });
                    }
                });
            }
            Cmd::StepReply => {
                if let Ok(provider) = self.provider.as_ref() {
                    provider.step();
                }
            }
            Cmd::CancelReply { turn } => {
                let task = self.replies.lock().ok().and_then(|mut r| r.remove(&turn));
                if let Some(task) = task {
                    task.abort();
                }
            }
            Cmd::Suspend | Cmd::EditSpec | Cmd::EditDraft { .. } => {
                tracing::debug!(?cmd, "terminal commands are handled by the event loop");
            }
        }
    }
}
