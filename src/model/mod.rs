//! The one `Model` that holds all state, the messages that change it, and the commands it asks
//! the effects layer to run. `update` is pure: no I/O, no clocks, no spawning.

pub mod changes;
pub mod conversation;
mod frame;
pub mod help;
pub mod inspector;
pub mod keymap;
pub mod layout;
mod reload;
pub mod reruns;
pub mod results;
pub mod search;
pub mod session;
pub mod spec;
pub(crate) mod update;

use std::path::PathBuf;
use std::time::Duration;

use tokio::time::Instant;

use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::layout::Rect;
use ratatui_textarea::TextArea;

use crate::config::Config;
use crate::llm::ChatRequest;
use crate::llm::client::{LlmError, ReplyEvent};
use crate::runner::process::{Progress, RunReport};
use crate::spec::pin::{Pinned, PinsFound};
use crate::theme::{Theme, scope};
use crate::watch::WatchEvent;
use crate::workspace::FileText;
pub use conversation::ConversationPane;
pub use frame::prepare_frame;
pub use keymap::Keymap;
use results::ResultsPane;
pub use spec::{ScanOutcome, SharedPlan, SpecPane};
pub use update::update;

/// The four panes, in their `1`-`4` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Spec,
    Conversation,
    Code,
    Results,
}

impl Pane {
    /// All panes in order.
    pub const ALL: [Pane; 4] = [Pane::Spec, Pane::Conversation, Pane::Code, Pane::Results];

    /// 0-based position in [`Pane::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The pane's title.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Spec => "Spec",
            Pane::Conversation => "Conversation",
            Pane::Code => "Code",
            Pane::Results => "Results",
        }
    }

    fn cycle(self, forward: bool) -> Pane {
        let i = self.index() + if forward { 1 } else { 3 };
        Pane::ALL[i % 4]
    }
}

/// Who has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Single keys are commands.
    Normal,
    /// The composer has the keyboard.
    Compose,
}

/// A modal layer over the panes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// The key help, scrolled by this many lines.
    Help { scroll: usize },
    /// The checkpoints (applies), newest last, `applied` of them in force; `Enter` goes back
    /// (or forward) to the selected one.
    Checkpoints {
        items: Vec<changes::CheckpointItem>,
        applied: usize,
        selected: usize,
    },
    /// "Undo over hand edits?": the files changed since specbench wrote them.
    ConfirmUndo {
        redo: bool,
        paths: Vec<PathBuf>,
        /// How many undos (or redos) were asked for from here: a restore goes on after this.
        steps: usize,
    },
    /// The request inspector (`Ctrl-O`): what the next request holds, segment by segment.
    Inspector { scroll: usize },
    /// "Really quit?", with what would be lost.
    ConfirmQuit { reasons: Vec<String> },
    /// The lessons to carry into a fresh session, under review (the editor is in
    /// `Model::session`), with the seed's size.
    Fresh,
}

/// How a transient status-bar message looks and how long it stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Error,
}

impl NoticeKind {
    /// How long a notice of this kind stays in the status bar.
    pub fn lifetime(self) -> Duration {
        match self {
            NoticeKind::Info => Duration::from_secs(4),
            NoticeKind::Error => Duration::from_secs(12),
        }
    }
}

/// A transient status-bar message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: u64,
    pub kind: NoticeKind,
    pub text: String,
}

/// Something a file load can end in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded<T> {
    Loading,
    Ready(T),
    Failed(String),
}

/// The Code pane's state.
#[derive(Debug, Clone)]
pub struct CodePane {
    /// Code files in scope, relative to the workspace.
    pub files: Loaded<Vec<PathBuf>>,
    pub selected: usize,
    /// The id of the latest load request; older results are dropped.
    pub load_id: u64,
    pub content: Loaded<FileText>,
    pub scroll: usize,
    /// A line to point at (1-based), set by a jump from the Spec pane.
    pub mark: Option<usize>,
    /// The loaded file's lines highlighted, once the background highlighter is done.
    pub highlighted: Loaded<Vec<ratatui::text::Line<'static>>>,
    /// A reply's proposed changes under review, shown instead of the file.
    pub changes: Option<changes::ChangeView>,
}

/// All state of the app.
#[derive(Debug, Clone)]
pub struct Model {
    /// The workspace root.
    pub root: PathBuf,
    /// How the workspace is named in the status bar.
    pub label: String,
    pub config: Config,
    /// The theme in force; views draw with it, cached styled lines are built with it.
    pub theme: Theme,
    pub keymap: Keymap,
    pub focus: Pane,
    pub mode: Mode,
    pub zoomed: bool,
    /// The left column's share of the width, in percent.
    pub split: u16,
    /// The terminal size (columns, rows).
    pub size: (u16, u16),
    /// The screen laid out for the size, focus, zoom, split and composer (see `sync_layout`).
    pub layout: layout::Layout,
    pub overlay: Option<Overlay>,
    pub notice: Option<Notice>,
    /// The latest info notice that came while an error was shown: it shows when the error goes.
    pub notice_waiting: Option<Notice>,
    pub spec: SpecPane,
    pub code: CodePane,
    pub conversation: ConversationPane,
    pub results: ResultsPane,
    pub composer: TextArea<'static>,
    /// What specbench wrote, to label later edits by hand.
    pub authorship: changes::Authorship,
    /// `/` search in the Code pane.
    pub search: search::Search,
    /// The session: stepper, fix loop, corrections, fresh-session handoff.
    pub session: session::SessionState,
    /// Whether a file watcher reports the workspace's changes (else applies rescan, reload
    /// and run the tests themselves).
    pub watching: bool,
    /// Which file changes rerun the tests, and the files whose rewrites by runs are ignored.
    pub reruns: reruns::Reruns,
    /// The config files in force (absolute): a change to one reloads the config.
    pub config_files: Vec<PathBuf>,
    /// Matches the code files in scope (`[code].include`).
    pub code_globs: globset::GlobSet,
    /// The time of the last animation tick, for elapsed times and the spinner.
    pub now: Option<Instant>,
    pub should_quit: bool,
    next_id: u64,
}

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
    /// The provider is set up: the window its server reports, the prompts a cassette holds.
    ProviderReady {
        window: Option<u32>,
        prompts: Vec<String>,
    },
    /// The provider cannot be used (a bad cassette, say); why in words.
    ProviderFailed(String),
    /// The code files in scope, as the request's code part, and its tokens.
    CodeContext {
        text: String,
        tokens: u32,
    },
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
    /// The draft came back from `$EDITOR`.
    DraftEdited(Result<String, String>),
    /// A reply's edits, checked and diffed against the disk.
    ChangesReady(crate::code::changes::ChangeSet),
    /// Proposed changes were written: the checkpoint's label and the files, or why not.
    Applied(Result<changes::ApplyDone, String>),
    /// Opening the workspace found what an earlier specbench left behind (what it wrote, an
    /// apply it was stopped in the middle of, leftover temp files).
    Recovered(crate::code::recovery::Recovery),
    /// The checkpoints were read: the items and how many are applied, or why not.
    CheckpointsListed(Result<(Vec<changes::CheckpointItem>, usize), String>),
    /// An undo (or redo) finished.
    Undone {
        redo: bool,
        outcome: changes::UndoOutcome,
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
    /// Load the tokenizer and highlighter in the background, and set up the provider.
    Prepare,
    /// Read the code files in scope into the request's code part.
    LoadCodeContext,
    /// Send `request` as turn `turn`; `prompt` is the user's message as typed (or the fix
    /// round's summary, as `kind` says).
    Send {
        turn: u64,
        request: Box<ChatRequest>,
        prompt: String,
        kind: crate::session::PromptKind,
    },
    /// Stop streaming the reply to `turn` (the connection is dropped).
    CancelReply { turn: u64 },
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

/// The split's limits and step, in percent of the width.
pub const SPLIT_MIN: u16 = 20;
pub const SPLIT_MAX: u16 = 80;
pub const SPLIT_STEP: u16 = 5;

impl Model {
    /// A model for a workspace, before anything is loaded. `init` lists the first commands.
    pub fn new(root: PathBuf, label: String, config: Config, theme: Theme) -> Self {
        // The globs were checked when the config loaded; a bad one matches nothing here.
        let code_globs = crate::workspace::glob_set(&config.code.include)
            .unwrap_or_else(|_| globset::GlobSet::empty());
        let spec_path = config.spec.clone();
        let config_files = vec![root.join(crate::config::WORKSPACE_FILE)];
        let config_model_name = config.model.model.clone();
        let config_window = config.model.context_window;
        let theme_for_conversation = theme.clone();
        let mut composer = TextArea::default();
        composer.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
        composer.set_style(theme.style(scope::COMPOSER));
        composer.set_cursor_line_style(theme.style(scope::COMPOSER));
        composer.set_cursor_style(theme.style(scope::COMPOSER_CURSOR));
        composer.set_placeholder_style(theme.style(scope::COMPOSER_PLACEHOLDER));
        let mut model = Self {
            root,
            label,
            config,
            theme,
            keymap: Keymap::default(),
            focus: Pane::Spec,
            mode: Mode::Normal,
            zoomed: false,
            split: 50,
            size: (80, 24),
            layout: layout::Layout::default(),
            overlay: None,
            notice: None,
            notice_waiting: None,
            spec: SpecPane::new(spec_path),
            code: CodePane {
                files: Loaded::Loading,
                selected: 0,
                load_id: 0,
                content: Loaded::Loading,
                scroll: 0,
                mark: None,
                highlighted: Loaded::Loading,
                changes: None,
            },
            authorship: changes::Authorship::default(),
            search: search::Search::default(),
            session: session::SessionState::default(),
            watching: false,
            reruns: reruns::Reruns::default(),
            config_files,
            conversation: ConversationPane::new(
                &config_model_name,
                config_window,
                &theme_for_conversation,
            ),
            results: ResultsPane::default(),
            composer,
            code_globs,
            now: None,
            should_quit: false,
            next_id: 1,
        };
        // Until `init` asks for the journal to be read back there is nothing to wait for.
        model.session.opened = true;
        model.sync_composer_placeholder();
        model.rebuild_spec_lines();
        model.sync_layout();
        model
    }

    /// The commands that load the workspace and run the tests once.
    pub fn init(&mut self) -> Vec<Cmd> {
        let run = self.start_run(results::Trigger::Startup);
        self.session.opened = false;
        vec![
            Cmd::Prepare,
            Cmd::OpenSession,
            Cmd::LoadSpec,
            Cmd::ScanCode,
            Cmd::LoadCodeContext,
            run,
        ]
    }

    /// Whether something on screen moves (a spinner), so the loop needs animation ticks.
    pub fn animating(&self) -> bool {
        self.results.running.is_some() || self.conversation.streaming()
    }

    /// Starts a new run and returns its command.
    fn start_run(&mut self, trigger: results::Trigger) -> Cmd {
        let id = self.next_id();
        self.results.runs += 1;
        self.results.current = Some(id);
        self.reruns.run_started();
        self.results.running = Some(results::LiveRun {
            id,
            number: self.results.runs,
            trigger,
            started: None,
            progress: Progress {
                counts: Default::default(),
                tail: Vec::new(),
            },
        });
        Cmd::StartRun { id }
    }

    /// A fresh id for requests and notices.
    pub(crate) fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The id the next request will get.
    pub(crate) fn peek_id(&self) -> u64 {
        self.next_id
    }

    /// Makes every later id larger than `used` (turn ids from a restored journal).
    pub(crate) fn bump_ids(&mut self, used: u64) {
        self.next_id = self.next_id.max(used + 1);
    }

    /// What quitting now would lose, in words; empty when nothing would be lost.
    pub fn pending_work(&self) -> Vec<String> {
        let mut reasons = Vec::new();
        if self.draft_is_own() {
            reasons.push("the composer holds an unsent message".to_string());
        }
        if self.conversation.streaming() {
            reasons.push("a reply is streaming (what arrived is kept)".to_string());
        }
        if self.results.running.is_some() {
            reasons.push("a test run is going (it will be killed)".to_string());
        }
        reasons
    }

    /// How many rows the draft takes, soft-wrapped at `width` columns.
    pub fn composer_rows(&self, width: u16) -> usize {
        composer_rows(&self.composer, width)
    }

    /// The composer's draft as one string.
    pub fn draft(&self) -> String {
        self.composer.lines().join("\n")
    }

    /// Sets a status-bar notice and returns the command that expires it. An error is never
    /// covered by an info: the info waits (only the latest one) and shows, for its whole
    /// lifetime, once the error has expired.
    pub fn notify(&mut self, kind: NoticeKind, text: impl Into<String>) -> Cmd {
        let id = self.next_id();
        let notice = Notice {
            id,
            kind,
            text: text.into(),
        };
        let after = kind.lifetime();
        if kind == NoticeKind::Info
            && self
                .notice
                .as_ref()
                .is_some_and(|n| n.kind == NoticeKind::Error)
        {
            // This expiry finds nothing: the notice gets a new id when it shows.
            self.notice_waiting = Some(notice);
        } else {
            self.notice = Some(notice);
        }
        Cmd::ExpireNotice { id, after }
    }

    /// Notice `id` has been shown long enough: it goes, and a notice waiting behind it shows.
    pub fn expire_notice(&mut self, id: u64) -> Vec<Cmd> {
        if self.notice.as_ref().is_none_or(|n| n.id != id) {
            return Vec::new();
        }
        self.notice = None;
        match self.notice_waiting.take() {
            Some(waiting) => vec![self.notify(waiting.kind, waiting.text)],
            None => Vec::new(),
        }
    }

    /// The whole terminal as a rectangle.
    pub fn area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }

    /// Where `pane`'s scrollable body is drawn now, if the pane is visible.
    pub fn body_area(&self, pane: Pane) -> Option<Rect> {
        self.layout.body(pane)
    }

    /// Lays the screen out again if the size, the focus, the zoom, the split or the composer's
    /// rows changed since it was last laid out.
    pub fn sync_layout(&mut self) {
        let composer = &self.composer;
        self.layout.arrange(
            Rect::new(0, 0, self.size.0, self.size.1),
            self.focus,
            self.zoomed,
            self.split,
            |width| composer_rows(composer, width),
        );
    }

    /// Focuses `pane` (which, in the narrow layout, is the one shown).
    pub fn set_focus(&mut self, pane: Pane) {
        self.focus = pane;
        self.sync_layout();
    }

    /// How many lines `pane`'s body has to scroll through.
    pub fn content_len(&self, pane: Pane) -> usize {
        match pane {
            Pane::Spec => self.spec.wrapped.len(),
            Pane::Code => match &self.code.content {
                Loaded::Ready(file) => file.lines.len(),
                _ => 0,
            },
            Pane::Results => self.results.rows(),
            Pane::Conversation => self.conversation.total_lines,
        }
    }

    pub(crate) fn sync_composer_placeholder(&mut self) {
        let text = match self.mode {
            Mode::Compose => "Write your message",
            Mode::Normal => "Press i to write a message",
        };
        self.composer.set_placeholder_text(text);
    }
}

/// How many rows `composer`'s draft takes, soft-wrapped at `width` columns.
fn composer_rows(composer: &TextArea<'static>, width: u16) -> usize {
    let width = usize::from(width.max(1));
    composer
        .lines()
        .iter()
        .map(|l| {
            unicode_width::UnicodeWidthStr::width(l.as_str())
                .div_ceil(width)
                .max(1)
        })
        .sum()
}
