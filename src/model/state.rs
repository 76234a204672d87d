//! The one `Model`: all state of the app. Views read it; only `update` changes it.

use std::path::PathBuf;

use ratatui::layout::Rect;
use ratatui_textarea::TextArea;
use tokio::time::Instant;

use super::code::CodePane;
use super::code::Search;
use super::conversation::ConversationPane;
use super::keymap::Keymap;
use super::msg::Cmd;
use super::notice::{Notice, NoticeKind};
use super::overlay::Overlay;
use super::pane::{Loaded, Mode, Pane};
use super::results::ResultsPane;
use super::review::Authorship;
use super::spec::SpecPane;
use super::workflow::Workflow;
use super::{layout, reruns};
use crate::config::Config;
use crate::theme::{Theme, scope};

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
    /// The recent notices, oldest first (`!` lists them).
    pub recent_notices: std::collections::VecDeque<Notice>,
    pub spec: SpecPane,
    pub code: CodePane,
    pub conversation: ConversationPane,
    pub results: ResultsPane,
    pub composer: TextArea<'static>,
    /// What specbench wrote, to label later edits by hand.
    pub authorship: Authorship,
    /// `/` search in the Code pane.
    pub search: Search,
    /// The context set and the map: their inputs, the latest choice, the user's steering.
    pub context: super::context::ContextState,
    /// The session: stepper, fix loop, corrections, fresh-session handoff.
    pub session: Workflow,
    /// Whether a file watcher reports the workspace's changes (else applies rescan, reload
    /// and run the tests themselves).
    pub watching: bool,
    /// Which file changes rerun the tests, and the files whose rewrites by runs are ignored.
    pub reruns: reruns::Reruns,
    /// The config files in force (absolute): a change to one reloads the config.
    pub config_files: Vec<PathBuf>,
    /// Matches the code files in scope (`[code].include`).
    pub code_globs: globset::GlobSet,
    /// Presenter mode (`demo --present`): where the story stands.
    pub presenter: Option<super::presenter::Presenter>,
    /// The time of the last animation tick, for elapsed times and the spinner.
    pub now: Option<Instant>,
    pub should_quit: bool,
    next_id: u64,
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
            recent_notices: std::collections::VecDeque::new(),
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
            authorship: Authorship::default(),
            search: Search::default(),
            context: Default::default(),
            session: Workflow::default(),
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
            presenter: None,
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

    /// Whether something on screen moves (a spinner), so the loop needs animation ticks.
    pub fn animating(&self) -> bool {
        self.results.running.is_some() || self.conversation.streaming()
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
        self.remember_notice(&notice);
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
            // Shown now, with a new id; it is among the recent notices already.
            Some(waiting) => {
                let id = self.next_id();
                let after = waiting.kind.lifetime();
                self.notice = Some(Notice { id, ..waiting });
                vec![Cmd::ExpireNotice { id, after }]
            }
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

    /// What is laid out around the panes: the tabs (narrow layout), the presenter's caption
    /// and the status bar.
    pub fn chrome(&self) -> layout::Chrome {
        let narrow = self.size.0 < layout::GRID_MIN_COLS;
        layout::Chrome {
            tabs: if narrow { self.tab_widths() } else { [0; 4] },
            caption: self.caption_rows(),
            status: self.status_rows(),
        }
    }

    /// Lays the screen out again if the size, the focus, the zoom, the split or the composer's
    /// rows changed since it was last laid out.
    pub fn sync_layout(&mut self) {
        let bottom = self.chrome();
        let composer = &self.composer;
        self.layout.arrange(
            Rect::new(0, 0, self.size.0, self.size.1),
            (self.focus, self.zoomed, self.split),
            bottom,
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
}

/// How many rows `composer`'s draft takes, soft-wrapped at `width` columns.
fn composer_rows(composer: &TextArea<'static>, width: u16) -> usize {
    // Word-wrapped, as the composer shows it: a row per wrapped line.
    let width = usize::from(width.max(1));
    composer
        .lines()
        .iter()
        .map(|l| {
            let line = ratatui::text::Line::raw(l.clone());
            crate::render::wrap::wrap_line(&line, width).len().max(1)
        })
        .sum()
}
