//! The effects layer: runs `Cmd`s as tokio tasks and reports each result on the app channel.

mod counting;
mod files;
mod session;
mod tools;

use files::{apply_journaled, hold, travel};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;

use crate::config::{CodeConfig, Config, Overrides, TestsConfig};
use crate::llm::ChatRequest;
use crate::llm::client::LlmError;
use crate::llm::count::{Estimator, Plan};
use crate::llm::provider::Provider;
use crate::llm::tokens;
use crate::model::{AppEvent, Cmd, Msg, ScanOutcome, SharedPlan};
use crate::runner::process::{self, RunRequest};
use crate::secrets::Secrets;
use crate::session::PromptKind;
use crate::session::journal::Journal;
use crate::spec::pin::PinStore;
use crate::spec::scan;
use crate::watch::Watcher;
use crate::workspace;

/// A scan of the code for a plan's checks: every file, or only `paths`.
type ScanJob = (SharedPlan, Option<Vec<PathBuf>>);

/// The settings a reloaded config changes while open.
#[derive(Debug)]
struct Live {
    tests: TestsConfig,
    code: CodeConfig,
}

/// Runs commands for one workspace.
#[derive(Debug, Clone)]
pub struct Effects {
    root: PathBuf,
    /// The config as it was at the start (`[tests]` and `[code]` are in `live`).
    config: Config,
    live: Arc<RwLock<Live>>,
    /// The command line's settings, put over the config files when they are read again.
    overrides: Arc<Overrides>,
    /// The file watcher, to give it new ignore rules.
    watcher: Arc<Mutex<Option<Watcher>>>,
    /// False while a watcher is expected but has not finished its walk: test runs wait for
    /// it, so that what the first run writes is judged against what the files held before.
    watch_ready: Arc<tokio::sync::watch::Sender<bool>>,
    tx: UnboundedSender<Msg>,
    /// Cancellation handles of the test runs in flight, by run id.
    runs: Arc<Mutex<HashMap<u64, oneshot::Sender<()>>>>,
    /// The scan worker's queue: scans run one at a time, in order, so a rescan of a changed
    /// file never lands before the full scan that preceded it.
    scans: Arc<OnceLock<tokio::sync::mpsc::UnboundedSender<ScanJob>>>,
    /// The context worker (its own thread), started with the first job.
    context: Arc<OnceLock<Option<crate::context::worker::Worker>>>,
    /// The model provider, or why there is none.
    provider: Arc<Result<Provider, String>>,
    /// Replies streaming, by turn id, to abort on cancel.
    replies: Arc<Mutex<HashMap<u64, tokio::task::AbortHandle>>>,
    /// The session journal, once open.
    journal: Arc<Mutex<Option<Arc<Journal>>>>,
    /// The keys redacted from every journal record.
    secrets: Secrets,
    /// Held while files are written (apply, undo, redo, restore, recovery) and while a file is
    /// read for display, result sent included: a reload of a file specbench just wrote is
    /// reported after the write, never before it, so it is never taken for a hand edit.
    writes: Arc<Mutex<()>>,
    /// What estimates token counts, once the provider's plan is known (`None` before).
    estimator: Arc<tokio::sync::watch::Sender<Option<Estimator>>>,
    /// The count waiting for the user's pause, and the count in flight: a newer one of either
    /// replaces the older.
    counting: Arc<Mutex<[Option<tokio::task::AbortHandle>; 2]>>,
}

/// Files longer than this are shown plain: highlighting them would take seconds.
const MAX_HIGHLIGHT_LINES: usize = 20_000;

/// How many lines a loaded file has.
fn file_lines(content: &Result<workspace::FileText, String>) -> usize {
    content.as_ref().map_or(0, |f| f.lines.len())
}

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
        let secrets = match &provider {
            Ok(p) => p.secrets().clone(),
            Err(_) => Secrets::from_env(&config.model.api_key_env),
        };
        let live = Live {
            tests: config.tests.clone(),
            code: config.code.clone(),
        };
        Self {
            secrets,
            root,
            config,
            live: Arc::new(RwLock::new(live)),
            overrides: Arc::default(),
            watcher: Arc::default(),
            watch_ready: Arc::new(tokio::sync::watch::Sender::new(true)),
            tx,
            runs: Arc::default(),
            scans: Arc::default(),
            context: Arc::default(),
            provider: Arc::new(provider),
            replies: Arc::default(),
            journal: Arc::default(),
            writes: Arc::default(),
            estimator: Arc::new(tokio::sync::watch::Sender::new(None)),
            counting: Arc::default(),
        }
    }

    /// The command line's settings, for reading the config files again.
    pub fn with_overrides(mut self, overrides: Overrides) -> Self {
        self.overrides = Arc::new(overrides);
        self
    }

    /// A file watcher is being started: test runs wait until it is attached (or fails).
    pub fn expect_watcher(self) -> Self {
        self.watch_ready.send_replace(false);
        self
    }

    /// Keeps the file watcher (it stops when the last clone of these effects is dropped) to
    /// give it the ignore rules of a reloaded config; runs waiting for it go on.
    pub fn attach_watcher(&self, watcher: Watcher) {
        if let Ok(mut slot) = self.watcher.lock() {
            *slot = Some(watcher);
        }
        self.watch_ready.send_replace(true);
    }

    /// The expected watcher could not start: runs go on without it.
    pub fn no_watcher(&self) {
        self.watch_ready.send_replace(true);
    }

    fn live(&self) -> std::sync::RwLockReadGuard<'_, Live> {
        self.live.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads the config files again, off the UI task; a bad one is named with its line, its
    /// path relative to the workspace when it is inside.
    fn load_config(&self) {
        let (root, overrides, tx) = (self.root.clone(), self.overrides.clone(), self.tx.clone());
        tokio::task::spawn_blocking(move || {
            let loaded = crate::config::load(&root, &overrides)
                .map(Box::new)
                .map_err(|mut e| {
                    let (crate::config::ConfigError::Invalid { file, .. }
                    | crate::config::ConfigError::Io { file, .. }
                    | crate::config::ConfigError::Encoding { file, .. }) = &mut e;
                    if let Ok(rel) = file.strip_prefix(&root) {
                        *file = rel.to_path_buf();
                    }
                    e.to_string()
                });
            let _ = tx.send(Msg::Event(AppEvent::ConfigLoaded(loaded)));
        });
    }

    /// Puts reloaded `[tests]` and `[code]` settings in force.
    fn use_config(&self, tests: TestsConfig, code: CodeConfig) {
        if let Some(watcher) = self.watcher.lock().ok().as_ref().and_then(|w| w.as_ref())
            && let Err(e) = watcher.set_ignore(&tests.ignore)
        {
            tracing::warn!(error = %e, "the watcher keeps its ignore rules");
        }
        let mut live = self.live.write().unwrap_or_else(PoisonError::into_inner);
        *live = Live { tests, code };
    }

    /// Sets the provider up: asks the server what it is and its window, then loads the
    /// tokenizer only if the estimates need one (none when the server counts); loads the
    /// highlighter; all off the UI task.
    fn prepare(&self) {
        let (tx, provider) = (self.tx.clone(), self.provider.clone());
        let config_tools = self.config.model.tools == crate::config::Tools::Read;
        let estimator = self.estimator.clone();
        let model = self.config.model.model.clone();
        tokio::spawn(async move {
            let (plan, event) = match provider.as_ref() {
                Ok(p) => {
                    let probe = p.probe().await;
                    let plan = p.plan(probe);
                    let prompts = p.prompts();
                    let event = AppEvent::ProviderReady {
                        probe,
                        plan,
                        prompts,
                    };
                    (plan, event)
                }
                Err(why) => (Plan::offline(&model), AppEvent::ProviderFailed(why.clone())),
            };
            estimator.send_replace(Some(plan.estimate));
            let _ = tx.send(Msg::Event(event));
            if let Some(encoding) = plan.estimate.encoding() {
                let tx = tx.clone();
                tokio::task::spawn_blocking(move || {
                    tokens::preload(encoding);
                    let _ = tx.send(Msg::Event(AppEvent::TokenizerReady));
                });
            }
            if let Ok(p) = provider.as_ref()
                && config_tools
            {
                let _ = tx.send(Msg::Event(AppEvent::ToolSupport(p.tool_support().await)));
            }
        });
        tokio::task::spawn_blocking(crate::code::highlight::preload);
    }

    /// Streams the reply to turn `turn`; every piece of text is journaled as it arrives,
    /// before the UI sees it, so a crash loses none of what was shown. (The provider holds
    /// back only text that may be the start of a key, until the next piece tells.)
    fn send(&self, turn: u64, request: ChatRequest, prompt: String, kind: PromptKind) {
        let (tx, provider) = (self.tx.clone(), self.provider.clone());
        let replies = self.replies.clone();
        let journal = self.current_journal();
        let task = tokio::spawn(async move {
            let result = match provider.as_ref() {
                Ok(p) => {
                    let events = tx.clone();
                    let mut emit = move |event: crate::llm::client::ReplyEvent| {
                        if let Some(j) = &journal
                            && let Some(record) = Effects::arrived(turn, &event)
                            && let Err(e) = j.append(record)
                        {
                            tracing::error!(error = %e, "journal write failed");
                        }
                        let at = tokio::time::Instant::now();
                        let _ = events.send(Msg::Event(AppEvent::Reply { turn, event, at }));
                    };
                    let result = p.stream(&request, &prompt, kind, &mut emit).await;
                    if let Err(e @ LlmError::ContextTooLong { .. }) = &result {
                        let probe = p.reprobe(e).await;
                        let _ = tx.send(Msg::Event(AppEvent::Reprobed(probe)));
                    }
                    result
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

    /// Hands `job` to the context worker, which indexes the code, chooses the set and the map
    /// and makes the request's code part off the UI task, reporting each choice.
    fn context(&self, job: crate::context::worker::Job) {
        let worker = self.context.get_or_init(|| {
            let estimator = self.estimator_blocking();
            let tx = self.tx.clone();
            let count: crate::context::worker::TokenCounter =
                Arc::new(move |text: &str| estimator().count(text));
            crate::context::worker::Worker::spawn(self.root.clone(), count, move |outcome| {
                let _ = tx.send(Msg::Event(AppEvent::ContextChosen(Box::new(outcome))));
            })
            .inspect_err(|e| tracing::error!(error = %e, "the context worker cannot start"))
            .ok()
        });
        if !worker.as_ref().is_some_and(|w| w.send(job)) {
            tracing::warn!("the context worker has stopped");
        }
    }

    /// The paths edits may write: the code files and the test files in scope.
    fn allowed(&self) -> Option<globset::GlobSet> {
        let live = self.live();
        let mut patterns = live.code.include.clone();
        patterns.extend(live.code.tests.iter().cloned());
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
        RunRequest::new(&self.root, &self.config, &self.live().tests)
    }

    fn start_run(&self, id: u64) {
        let (cancel_tx, cancel_rx) = oneshot::channel();
        if let Ok(mut runs) = self.runs.lock() {
            runs.insert(id, cancel_tx);
        }
        let req = self.run_request();
        let tx = self.tx.clone();
        let runs = self.runs.clone();
        let mut watch_ready = self.watch_ready.subscribe();
        let mut cancel_rx = cancel_rx;
        tokio::spawn(async move {
            // Only errs when the sender is gone, and then nothing is being waited for.
            let _ = watch_ready.wait_for(|ready| *ready).await;
            if cancel_rx.try_recv().is_ok() {
                // Cancelled (restarted) while it waited: a process started only to be killed
                // could be killed halfway through writing a file.
                tracing::debug!(id, "test run cancelled before it started");
                return;
            }
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
                let (root, include) = (self.root.clone(), self.live().code.include.clone());
                tokio::task::spawn_blocking(move || {
                    send(AppEvent::CodeFilesFound(workspace::scan_code_files(
                        &root, &include,
                    )));
                });
            }
            Cmd::LoadFile { id, path, syntax } => {
                let (root, writes) = (self.root.clone(), self.writes.clone());
                tokio::task::spawn_blocking(move || {
                    let held = hold(&writes);
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
                    drop(held);
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
            Cmd::CountLater { revision, after } => self.count_later(revision, after),
            Cmd::Count {
                revision,
                counter,
                request,
            } => self.count(revision, counter, *request),
            Cmd::Context(job) => self.context(job),
            Cmd::Send {
                turn,
                request,
                prompt,
                kind,
            } => self.send(turn, *request, prompt, kind),
            Cmd::OpenSession => self.open_session(),
            Cmd::Journal(record) => self.write_journal(record),
            Cmd::FreshSession {
                lessons,
                step,
                pin,
                context,
            } => self.fresh_session(lessons, step, pin, context),
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
                let (root, writes, tx) = (self.root.clone(), self.writes.clone(), self.tx.clone());
                let allowed = self.allowed();
                let journal = self.current_journal();
                tokio::task::spawn_blocking(move || {
                    let _held = hold(&writes);
                    let result = apply_journaled(
                        &root,
                        &label,
                        &files,
                        allowed.as_ref(),
                        journal.as_deref(),
                        &tx,
                    );
                    send(AppEvent::Applied(result));
                });
            }
            Cmd::Undo { redo, force } => {
                let (root, writes, tx) = (self.root.clone(), self.writes.clone(), self.tx.clone());
                tokio::task::spawn_blocking(move || {
                    let _held = hold(&writes);
                    travel(&root, if redo { 1 } else { -1 }, force, &tx);
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
                                .map(|cp| crate::model::CheckpointItem {
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
            Cmd::Travel { steps, force } => {
                let (root, writes, tx) = (self.root.clone(), self.writes.clone(), self.tx.clone());
                tokio::task::spawn_blocking(move || {
                    let _held = hold(&writes);
                    travel(&root, steps, force, &tx);
                });
            }
            Cmd::StepReply => {
                if let Ok(provider) = self.provider.as_ref() {
                    provider.step();
                }
            }
            cmd @ (Cmd::RunTools { .. } | Cmd::FindMentions { .. }) => {
                self.run_tool_cmd(cmd);
            }

            Cmd::CancelReply { turn } => {
                let task = self.replies.lock().ok().and_then(|mut r| r.remove(&turn));
                if let Some(task) = task {
                    task.abort();
                }
            }
            Cmd::LoadConfig => self.load_config(),
            Cmd::UseConfig { tests, code } => self.use_config(*tests, *code),
            Cmd::Suspend | Cmd::EditSpec | Cmd::EditDraft { .. } => {
                tracing::debug!(?cmd, "terminal commands are handled by the event loop");
            }
        }
    }
}
