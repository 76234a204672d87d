//! What goes in and out of `update`: messages (terminal events and the effects' results, each
//! tagged with what it answers) and the commands the effects layer runs.

use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{KeyEvent, MouseEvent};
use tokio::time::Instant;

use super::overlay::CheckpointItem;
use super::review::{ApplyDone, UndoOutcome};
use super::spec::{ScanOutcome, SharedPlan};
use crate::config::Config;
use crate::llm::ChatRequest;
use crate::llm::client::{LlmError, ReplyEvent};
use crate::runner::process::{Progress, RunReport};
use crate::spec::pin::{Pinned, PinsFound};
use crate::watch::WatchEvent;
use crate::workspace::FileText;

/// Input to `update`: terminal events and effect results.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// The terminal came back from a suspend: everything must be redrawn.
    Resumed,
    /// SIGTERM, SIGHUP or SIGINT: quit now.
    Signal(&'static str),
    /// An animation frame (only while something animates).
    Tick(Instant),
    Event(AppEvent),
}

/// Results that effects report back, each tagged with what it answers.
#[derive(Debug, Clone)]
pub enum AppEvent {
    /// The spec file and the pin store were read.
    SpecLoaded {
        disk: Result<String, String>,
        pins: Result<PinsFound, String>,
    },
    /// A pin was written (or the text was already pinned).
    Pinned(Result<Pinned, String>),
    /// The code was scanned for the forbid/require checks of plan `plan_id`.
    Scanned {
        plan_id: u64,
        outcome: ScanOutcome,
    },
    CodeFilesFound(Result<Vec<PathBuf>, String>),
    FileLoaded {
        id: u64,
        path: PathBuf,
        content: Result<FileText, String>,
    },
    NoticeExpired(u64),
    /// The file of load `id`, highlighted (off the UI task); `None` when it is too long to.
    FileHighlighted {
        id: u64,
        lines: Option<Vec<ratatui::text::Line<'static>>>,
    },
    /// A test run's process started.
    RunStarted {
        id: u64,
        at: Instant,
    },
    RunProgress {
        id: u64,
        progress: Progress,
    },
    RunFinished {
        id: u64,
        report: Box<RunReport>,
    },
    /// Files changed in the workspace.
    Watch(WatchEvent),
    /// The editor started by `e` exited (or could not start).
    EditorClosed(Result<(), String>),
    /// The tokenizer's tables are loaded: counts become exact.
    TokenizerReady,
    /// The provider is set up: what its server is and the window it reports, who counts the
    /// requests, the prompts a cassette holds.
    ProviderReady {
        probe: crate::llm::window::Probe,
        plan: crate::llm::count::Plan,
        prompts: Vec<String>,
    },
    /// The server was asked again after refusing a request as too long for its window.
    Reprobed(crate::llm::window::Probe),
    /// The debounce of a count of revision `revision` is over: count it if it still stands.
    CountDue {
        revision: u64,
    },
    /// The exact count of revision `revision` by `counter`, or why there is none.
    Counted {
        revision: u64,
        counter: crate::llm::count::Counter,
        result: Result<u32, crate::llm::count::CountError>,
    },
    /// The provider cannot be used (a bad cassette, say); why in words.
    ProviderFailed(String),
    /// The context worker chose the set and the map (and made the request's code part).
    ContextChosen(Box<crate::context::worker::Outcome>),
    /// A piece of the reply to `turn`, stamped with when it arrived.
    Reply {
        turn: u64,
        event: ReplyEvent,
        at: Instant,
    },
    /// The reply to `turn` ended.
    ReplyEnded {
        turn: u64,
        result: Result<(), LlmError>,
    },
    /// The tool calls of the reply to `turn` ran (each result was journaled as it came).
    ToolsRan {
        turn: u64,
        outcomes: Vec<crate::tools::ToolOutcome>,
    },
    /// Whether the server's model takes tools, as far as the server says (`None`: it does
    /// not say).
    ToolSupport(Option<bool>),
    /// The workspace files the reply to `turn` mentions that the request did not carry.
    Mentioned {
        turn: u64,
        files: Vec<PathBuf>,
    },
    /// The draft came back from `$EDITOR`.
    DraftEdited(Result<String, String>),
    /// A reply's edits, checked and diffed against the disk.
    ChangesReady(crate::code::changes::ChangeSet),
    /// Proposed changes were written: the checkpoint's label and the files, or why not.
    Applied(Result<ApplyDone, String>),
    /// Opening the workspace found what an earlier specbench left behind (what it wrote, an
    /// apply it was stopped in the middle of, leftover temp files).
    Recovered(crate::code::recovery::Recovery),
    /// The checkpoints were read: the items and how many are applied, or why not.
    CheckpointsListed(Result<(Vec<CheckpointItem>, usize), String>),
    /// An undo (or redo) finished.
    Undone {
        redo: bool,
        outcome: UndoOutcome,
    },
    /// The session journal is open; what it held, with each message's tokens (`None`: a new
    /// session).
    SessionOpened {
        id: String,
        restored: Option<Box<crate::session::restore::Restored>>,
        counts: Vec<u32>,
    },
    /// A fresh session's journal is open (or why not: the conversation goes on unjournaled).
    SessionStarted(Result<String, String>),
    /// The journal could not be written; why in words.
    JournalFailed(String),
    /// The file watcher could not start: applies run the tests themselves; why in words.
    WatcherOff(String),
    /// The config files were read again: the config, or why it cannot be used (file:line).
    ConfigLoaded(Result<Box<Config>, String>),
}

/// Work for the effects layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// Read the spec file and the pin store.
    LoadSpec,
    /// Pin `text` as the next version of the spec.
    Pin { text: String },
    /// Scan the code for `plan`'s checks: every file in scope, or only `paths`.
    Scan {
        plan: SharedPlan,
        paths: Option<Vec<PathBuf>>,
    },
    /// Restore the terminal, edit the spec in `$VISUAL`/`$EDITOR`, and come back.
    EditSpec,
    /// List the code files in scope.
    ScanCode,
    /// Read one code file and highlight it with the syntect theme `syntax`; the answers
    /// carry `id`.
    LoadFile {
        id: u64,
        path: PathBuf,
        syntax: String,
    },
    /// Report `AppEvent::NoticeExpired(id)` after `after`.
    ExpireNotice { id: u64, after: Duration },
    /// Restore the terminal and stop the process until `fg`.
    Suspend,
    /// Run the test command; progress and the report carry `id`.
    StartRun { id: u64 },
    /// Kill the run `id` (its whole process group).
    CancelRun { id: u64 },
    /// Set the provider up (what its server is, its window, who counts), then load the
    /// tokenizer if the estimates need one; load the highlighter; all in the background.
    Prepare,
    /// A job for the context worker (off the UI task): the code files in scope, files
    /// changed on disk, or the inputs to choose the set and the map with.
    Context(crate::context::worker::Job),
    /// Send `request` as turn `turn`; `prompt` is the user's message as typed (or the fix
    /// round's summary, as `kind` says).
    Send {
        turn: u64,
        request: Box<ChatRequest>,
        prompt: String,
        kind: crate::session::PromptKind,
    },
    /// Report `AppEvent::CountDue` for `revision` after `after`, the user's pause (a newer
    /// request replaces an older one still waiting).
    CountLater { revision: u64, after: Duration },
    /// Count `request` (revision `revision` of the next request) exactly by `counter`, off
    /// the UI task.
    Count {
        revision: u64,
        counter: crate::llm::count::Counter,
        request: Box<ChatRequest>,
    },
    /// Stop streaming the reply to `turn` (the connection is dropped), or running its tool
    /// calls.
    CancelReply { turn: u64 },
    /// Run the tool calls of the reply to `turn` (read-only, in the workspace), journaling
    /// each result; the results come back together.
    RunTools {
        turn: u64,
        calls: Vec<crate::llm::ToolCall>,
    },
    /// Find the workspace files the reply to `turn` mentions that its request did not carry
    /// (`carried`: the context set's files), for a model without tools.
    FindMentions {
        turn: u64,
        reply: String,
        carried: Vec<PathBuf>,
    },
    /// Lend the terminal to `$EDITOR` on the draft.
    EditDraft { text: String },
    /// Release the next line of a reply replayed in step mode.
    StepReply,
    /// Read the edits in the reply to `turn`, check and diff them.
    PrepareChanges { turn: u64, reply: String },
    /// Write files (relative path, the text the change was made against, the new text) as one
    /// checkpoint labelled `label`.
    Apply {
        label: String,
        files: Vec<(PathBuf, Option<String>, String)>,
    },
    /// Undo the last apply (or redo the last undo); `force` goes over hand edits.
    Undo { redo: bool, force: bool },
    /// Read the checkpoint list.
    ListCheckpoints,
    /// Undo (`steps` < 0) or redo (> 0) that many applies, stopping at the first that cannot;
    /// `force` goes over hand edits in the first one (the user was asked).
    Travel { steps: isize, force: bool },
    /// Resume the workspace's latest session (or start one) and read it back.
    OpenSession,
    /// Append a record to the session journal (synced to disk when it ends a turn).
    Journal(crate::session::journal::Record),
    /// Archive the session and start a fresh one, seeded with `lessons`.
    FreshSession {
        lessons: Vec<String>,
        step: crate::session::Step,
        pin: Option<(u32, String)>,
        /// The user's adds to and drops from the context set, carried into the new journal.
        context: crate::context::set::Choices,
    },
    /// Read the config files again (the user's, the workspace's, `--config`), with the command
    /// line's overrides.
    LoadConfig,
    /// Use these settings from now on: the next runs, the code in scope, the watcher's ignores.
    UseConfig {
        tests: Box<crate::config::TestsConfig>,
        code: Box<crate::config::CodeConfig>,
    },
}
