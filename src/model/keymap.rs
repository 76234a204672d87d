//! The keymap: which key does what, in which mode. The help overlay and the status-bar hints are
//! generated from it, so they can never disagree with the keys in force.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::Pane;

/// Everything a key can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Suspend,
    Help,
    NextPane,
    PrevPane,
    Focus(Pane),
    Zoom,
    SplitLeft,
    SplitRight,
    ScrollUp,
    ScrollDown,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Compose,
    PrevFile,
    NextFile,
    Rerun,
    CancelRun,
    ToggleDetail,
    JumpToClause,
    Pin,
    EditSpec,
    Send,
    NewLine,
    LeaveCompose,
    Inspector,
    CancelReply,
    EditDraft,
    OlderMessage,
    NewerMessage,
    StepReply,
    ApplyFile,
    ApplyAll,
    Discard,
    ToggleChangeView,
    Undo,
    Redo,
    Search,
    SearchNext,
    SearchPrev,
    Checkpoints,
    NextStep,
    PrevStep,
    FreshSession,
    MarkCorrection,
    ToolResults,
    AddMentioned,
    AddToContext,
    DropFromContext,
    PickFile,
    Notices,
    LineStart,
    LineEnd,
    DeleteWord,
    ClearToLineStart,
    ClearToLineEnd,
}

impl Action {
    /// A short description for the help overlay.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit (asks first when work would be lost)",
            Action::Suspend => "suspend to the shell (fg resumes)",
            Action::Help => "show or hide this help",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::Focus(Pane::Spec) => "jump to Spec",
            Action::Focus(Pane::Conversation) => "jump to Conversation",
            Action::Focus(Pane::Code) => "jump to Code",
            Action::Focus(Pane::Results) => "jump to Results",
            Action::Zoom => "zoom the focused pane / back to all panes",
            Action::SplitLeft => "move the split left",
            Action::SplitRight => "move the split right",
            Action::ScrollUp => "scroll up",
            Action::ScrollDown => "scroll down",
            Action::PageUp => "scroll a page up",
            Action::PageDown => "scroll a page down",
            Action::Top => "scroll to the top",
            Action::Bottom => "scroll to the bottom",
            Action::Compose => "write a message",
            Action::PrevFile => "previous code file",
            Action::NextFile => "next code file",
            Action::Rerun => "run the tests now (restarts a run in flight)",
            Action::CancelRun => "cancel the test run (kills its process group)",
            Action::ToggleDetail => "show or hide the selected test's details",
            Action::JumpToClause => {
                "show where the selected clause breaks (code line or failing test)"
            }
            Action::Pin => "pin the spec on disk as a new version",
            Action::EditSpec => "edit the spec in $VISUAL / $EDITOR",
            Action::Send => "send the message",
            Action::NewLine => "new line",
            Action::LeaveCompose => "back to normal mode (the draft stays)",
            Action::Inspector => "inspect the next request, segment by segment, with token counts",
            Action::CancelReply => "cancel the streaming reply (what arrived is kept)",
            Action::EditDraft => "compose the message in $VISUAL / $EDITOR",
            Action::OlderMessage => "an earlier sent message (when the composer is empty)",
            Action::NewerMessage => "a later sent message (while browsing them)",
            Action::StepReply => "replay in step mode (demo --step): the next line of the reply",
            Action::ApplyFile => "apply the proposed change to the file shown",
            Action::ApplyAll => "apply every proposed change",
            Action::Discard => "discard the proposed change to the file shown",
            Action::ToggleChangeView => "proposed change: the diff or the whole new file",
            Action::Undo => "undo the last apply (asks first over hand edits)",
            Action::Redo => "redo the last undo",
            Action::Search => "search the file (Enter finds, Esc cancels)",
            Action::Checkpoints => "the checkpoints: go back (or forward) to any apply",
            Action::SearchNext => "next match",
            Action::NextStep => "the stepper: next step (it advises; move freely)",
            Action::PrevStep => "the stepper: previous step",
            Action::FreshSession => {
                "fresh session: archive this one, seed a new one with the spec, code, results and lessons"
            }
            Action::MarkCorrection => "mark the message as a correction (name the clause: R4)",
            Action::ToolResults => "show or hide the results under the model's tool calls",
            Action::AddMentioned => {
                "add the files the last reply mentions to the request (a model without tools)"
            }
            Action::AddToContext => "add the file shown to the context set (sent in full)",
            Action::DropFromContext => "drop the file shown from the context set",
            Action::PickFile => "find a file (fuzzy) and add it to the context set",
            Action::SearchPrev => "previous match",
            Action::Notices => "the recent notices, whole (newest last)",
            Action::LineStart => "to the start of the line",
            Action::LineEnd => "to the end of the line",
            Action::DeleteWord => "delete the word before the cursor",
            Action::ClearToLineStart => "delete to the start of the line",
            Action::ClearToLineEnd => "delete to the end of the line",
        }
    }

    /// The word shown in the status-bar hints.
    pub fn hint(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::NextPane => "panes",
            Action::Zoom => "zoom",
            Action::Compose => "compose",
            Action::PrevFile => "previous file",
            Action::NextFile => "next file",
            Action::Rerun => "rerun",
            Action::CancelRun => "cancel run",
            Action::ToggleDetail => "details",
            Action::JumpToClause => "where",
            Action::Pin => "pin",
            Action::EditSpec => "edit spec",
            Action::Send => "send",
            Action::NewLine => "newline",
            Action::LeaveCompose => "normal",
            Action::Inspector => "inspect",
            Action::CancelReply => "cancel reply",
            Action::EditDraft => "editor",
            Action::OlderMessage | Action::NewerMessage => "history",
            Action::ApplyFile => "apply",
            Action::ApplyAll => "apply all",
            Action::Discard => "discard",
            Action::ToggleChangeView => "diff/full",
            Action::Undo => "undo",
            Action::Search => "search",
            Action::NextStep => "step",
            Action::FreshSession => "fresh",
            Action::MarkCorrection => "correction",
            Action::Notices => "notices",
            Action::ScrollDown | Action::ScrollUp => "scroll",
            _ => "",
        }
    }
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// In every mode.
    Anywhere,
    /// Normal mode; with a pane, only while that pane has focus.
    Normal(Option<Pane>),
    /// Compose mode (the composer has the keyboard).
    Compose,
}

impl Context {
    /// The heading of this context's section in the help overlay.
    pub fn heading(self) -> &'static str {
        match self {
            Context::Anywhere => "Anywhere",
            Context::Normal(None) => "Normal mode",
            Context::Normal(Some(Pane::Spec)) => "Normal mode, Spec pane",
            Context::Normal(Some(Pane::Conversation)) => "Normal mode, Conversation pane",
            Context::Normal(Some(Pane::Code)) => "Normal mode, Code pane",
            Context::Normal(Some(Pane::Results)) => "Normal mode, Results pane",
            Context::Compose => "Compose mode",
        }
    }
}

/// A key with its modifiers, normalised so `?` matches with or without Shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCombo {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyCombo {
    /// A key with no modifiers.
    pub const fn plain(code: KeyCode) -> Self {
        Self {
            code,
            modifiers: KeyModifiers::NONE,
        }
    }

    /// A key with `Ctrl`.
    pub const fn ctrl(c: char) -> Self {
        Self {
            code: KeyCode::Char(c),
            modifiers: KeyModifiers::CONTROL,
        }
    }

    const fn with(code: KeyCode, modifiers: KeyModifiers) -> Self {
        Self { code, modifiers }
    }

    /// The combo a key event stands for, or `None` for releases.
    pub fn from_event(ev: &KeyEvent) -> Option<Self> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let mut modifiers =
            ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match ev.code {
            // Shift is implied by the character itself.
            KeyCode::Char(c) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::Char(if modifiers.contains(KeyModifiers::CONTROL) {
                    c.to_ascii_lowercase()
                } else {
                    c
                })
            }
            KeyCode::BackTab => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Some(Self { code, modifiers })
    }

    /// How the key is written in help and hints: `Ctrl-C`, `Shift-Tab`, `PgDn`, `?`.
    pub fn label(&self) -> String {
        let mut out = String::new();
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            out.push_str("Ctrl-");
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            out.push_str("Alt-");
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            out.push_str("Shift-");
        }
        let key = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if self.modifiers.contains(KeyModifiers::CONTROL) => {
                c.to_ascii_uppercase().to_string()
            }
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Up => "Up".into(),
            KeyCode::Down => "Down".into(),
            KeyCode::Left => "Left".into(),
            KeyCode::Right => "Right".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        out.push_str(&key);
        out
    }
}

/// One key binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub context: Context,
    pub keys: Vec<KeyCombo>,
    pub action: Action,
    /// Shown in the status-bar hints for its context.
    pub hint: bool,
}

/// The bindings in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        use Action as A;
        use Context as C;
        use KeyCode as K;
        let p = KeyCombo::plain;
        let c = |ch| p(K::Char(ch));
        let b = |context, keys: Vec<KeyCombo>, action, hint| Binding {
            context,
            keys,
            action,
            hint,
        };
        let normal = C::Normal(None);
        let bindings = vec![
            b(C::Anywhere, vec![KeyCombo::ctrl('c')], A::Quit, false),
            b(C::Anywhere, vec![p(K::F(1))], A::Help, false),
            b(C::Anywhere, vec![KeyCombo::ctrl('z')], A::Suspend, false),
            b(C::Anywhere, vec![KeyCombo::ctrl('o')], A::Inspector, false),
            b(C::Anywhere, vec![KeyCombo::ctrl('n')], A::StepReply, false),
            b(normal, vec![p(K::Tab)], A::NextPane, true),
            b(normal, vec![p(K::BackTab)], A::PrevPane, false),
            b(normal, vec![c('1')], A::Focus(Pane::Spec), false),
            b(normal, vec![c('2')], A::Focus(Pane::Conversation), false),
            b(normal, vec![c('3')], A::Focus(Pane::Code), false),
            b(normal, vec![c('4')], A::Focus(Pane::Results), false),
            b(normal, vec![c('z')], A::Zoom, true),
            b(normal, vec![c('<')], A::SplitLeft, false),
            b(normal, vec![c('>')], A::SplitRight, false),
            b(normal, vec![p(K::Up), c('k')], A::ScrollUp, false),
            b(normal, vec![p(K::Down), c('j')], A::ScrollDown, false),
            b(normal, vec![p(K::PageUp)], A::PageUp, false),
            b(normal, vec![p(K::PageDown), c(' ')], A::PageDown, false),
            b(normal, vec![p(K::Home), c('g')], A::Top, false),
            b(normal, vec![p(K::End), c('G')], A::Bottom, false),
            b(normal, vec![c('i')], A::Compose, true),
            b(normal, vec![c('r')], A::Rerun, true),
            b(normal, vec![c('x')], A::CancelRun, false),
            b(normal, vec![c('p')], A::Pin, false),
            b(normal, vec![c('e')], A::EditSpec, false),
            b(normal, vec![p(K::Esc)], A::CancelReply, false),
            b(normal, vec![c('u')], A::Undo, false),
            b(normal, vec![c('U')], A::Redo, false),
            b(normal, vec![c('c')], A::Checkpoints, false),
            b(normal, vec![c('s')], A::NextStep, false),
            b(normal, vec![c('S')], A::PrevStep, false),
            b(normal, vec![c('F')], A::FreshSession, false),
            b(normal, vec![c('f')], A::PickFile, false),
            b(normal, vec![c('!')], A::Notices, false),
            b(normal, vec![c('?')], A::Help, true),
            b(normal, vec![c('q')], A::Quit, true),
            b(
                C::Normal(Some(Pane::Conversation)),
                vec![p(K::Enter)],
                A::Compose,
                false,
            ),
            b(
                C::Normal(Some(Pane::Results)),
                vec![p(K::Enter)],
                A::ToggleDetail,
                true,
            ),
            b(
                C::Normal(Some(Pane::Spec)),
                vec![p(K::Enter)],
                A::JumpToClause,
                true,
            ),
            b(
                C::Normal(Some(Pane::Code)),
                vec![c('[')],
                A::PrevFile,
                false,
            ),
            b(C::Normal(Some(Pane::Code)), vec![c(']')], A::NextFile, true),
            b(C::Normal(Some(Pane::Code)), vec![c('/')], A::Search, true),
            b(
                C::Normal(Some(Pane::Code)),
                vec![c('n')],
                A::SearchNext,
                false,
            ),
            b(
                C::Normal(Some(Pane::Code)),
                vec![c('N')],
                A::SearchPrev,
                false,
            ),
            b(
                C::Normal(Some(Pane::Code)),
                vec![c('a')],
                A::ApplyFile,
                false,
            ),
            b(
                C::Normal(Some(Pane::Code)),
                vec![c('A')],
                A::ApplyAll,
                false,
            ),
            b(C::Normal(Some(Pane::Code)), vec![c('d')], A::Discard, false),
            b(
                C::Normal(Some(Pane::Conversation)),
                vec![c('t')],
                A::ToolResults,
                false,
            ),
            b(
                C::Normal(Some(Pane::Conversation)),
                vec![c('+')],
                A::AddMentioned,
                false,
            ),
            b(
                C::Normal(Some(Pane::Code)),
                vec![c('+')],
                A::AddToContext,
                false,
            ),
            b(
                C::Normal(Some(Pane::Code)),
                vec![c('-')],
                A::DropFromContext,
                false,
            ),
            b(
                C::Normal(Some(Pane::Code)),
                vec![p(K::Enter)],
                A::ToggleChangeView,
                false,
            ),
            b(C::Compose, vec![p(K::Enter)], A::Send, true),
            b(
                C::Compose,
                vec![
                    KeyCombo::with(K::Enter, KeyModifiers::ALT),
                    KeyCombo::with(K::Enter, KeyModifiers::SHIFT),
                ],
                A::NewLine,
                true,
            ),
            b(C::Compose, vec![p(K::Esc)], A::LeaveCompose, true),
            b(C::Compose, vec![KeyCombo::ctrl('e')], A::EditDraft, true),
            b(
                C::Compose,
                vec![KeyCombo::ctrl('r')],
                A::MarkCorrection,
                false,
            ),
            b(
                C::Compose,
                vec![KeyCombo::ctrl('a'), p(K::Home)],
                A::LineStart,
                false,
            ),
            b(C::Compose, vec![p(K::End)], A::LineEnd, false),
            b(C::Compose, vec![KeyCombo::ctrl('w')], A::DeleteWord, false),
            b(
                C::Compose,
                vec![KeyCombo::ctrl('u')],
                A::ClearToLineStart,
                false,
            ),
            b(
                C::Compose,
                vec![KeyCombo::ctrl('k')],
                A::ClearToLineEnd,
                false,
            ),
            b(C::Compose, vec![p(K::Up)], A::OlderMessage, false),
            b(C::Compose, vec![p(K::Down)], A::NewerMessage, false),
        ];
        Self { bindings }
    }
}

impl Keymap {
    /// The action bound to `key` in normal mode with `pane` focused (pane bindings first).
    pub fn normal(&self, key: KeyCombo, pane: Pane) -> Option<Action> {
        self.find(Context::Normal(Some(pane)), key)
            .or_else(|| self.find(Context::Normal(None), key))
            .or_else(|| self.find(Context::Anywhere, key))
    }

    /// The action bound to `key` in compose mode.
    pub fn compose(&self, key: KeyCombo) -> Option<Action> {
        self.find(Context::Compose, key)
            .or_else(|| self.find(Context::Anywhere, key))
    }

    /// The action bound to `key` that works in every mode.
    pub fn anywhere(&self, key: KeyCombo) -> Option<Action> {
        self.find(Context::Anywhere, key)
    }

    fn find(&self, context: Context, key: KeyCombo) -> Option<Action> {
        self.bindings
            .iter()
            .find(|b| b.context == context && b.keys.contains(&key))
            .map(|b| b.action)
    }

    /// All bindings, in the order the help overlay lists them.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The first key bound to `action` in `context`, as a label.
    pub fn key_for(&self, context: Context, action: Action) -> Option<String> {
        self.bindings
            .iter()
            .find(|b| b.context == context && b.action == action)
            .and_then(|b| b.keys.first())
            .map(KeyCombo::label)
    }

    /// The (key, word) hints for the status bar in a context, pane bindings first.
    pub fn hints(&self, contexts: &[Context]) -> Vec<(String, &'static str)> {
        contexts
            .iter()
            .flat_map(|ctx| self.bindings.iter().filter(move |b| b.context == *ctx))
            .filter(|b| b.hint)
            .filter_map(|b| Some((b.keys.first()?.label(), b.action.hint())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyCombo {
        KeyCombo::from_event(&KeyEvent::new(code, modifiers)).unwrap()
    }

    #[test]
    fn shifted_characters_match_without_shift() {
        let km = Keymap::default();
        let q = key(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(km.normal(q, Pane::Spec), Some(Action::Help));
        let back = key(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(km.normal(back, Pane::Spec), Some(Action::PrevPane));
    }

    #[test]
    fn ctrl_letters_ignore_case() {
        let km = Keymap::default();
        let ctrl_c = key(
            KeyCode::Char('C'),
            KeyModifiers::CONTROL | KeyModifiers::SHIFT,
        );
        assert_eq!(km.compose(ctrl_c), Some(Action::Quit));
    }

    #[test]
    fn pane_bindings_apply_only_to_their_pane() {
        let km = Keymap::default();
        let enter = KeyCombo::plain(KeyCode::Enter);
        assert_eq!(km.normal(enter, Pane::Conversation), Some(Action::Compose));
        assert_eq!(km.normal(enter, Pane::Spec), Some(Action::JumpToClause));
        assert_eq!(km.normal(enter, Pane::Code), Some(Action::ToggleChangeView));
        assert_eq!(km.normal(enter, Pane::Results), Some(Action::ToggleDetail));
        let apply = KeyCombo::plain(KeyCode::Char('a'));
        assert_eq!(km.normal(apply, Pane::Code), Some(Action::ApplyFile));
        assert_eq!(km.normal(apply, Pane::Spec), None);
        let next = KeyCombo::plain(KeyCode::Char(']'));
        assert_eq!(km.normal(next, Pane::Code), Some(Action::NextFile));
        assert_eq!(km.normal(next, Pane::Results), None);
    }

    #[test]
    fn releases_are_ignored() {
        let mut ev = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        ev.kind = KeyEventKind::Release;
        assert_eq!(KeyCombo::from_event(&ev), None);
    }

    #[test]
    fn labels_read_like_the_docs() {
        assert_eq!(KeyCombo::ctrl('c').label(), "Ctrl-C");
        assert_eq!(KeyCombo::plain(KeyCode::BackTab).label(), "Shift-Tab");
        assert_eq!(KeyCombo::plain(KeyCode::PageDown).label(), "PgDn");
        assert_eq!(
            KeyCombo::with(KeyCode::Enter, KeyModifiers::ALT).label(),
            "Alt-Enter"
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        let km = Keymap::default();
        for (i, a) in km.bindings().iter().enumerate() {
            for b in &km.bindings()[i + 1..] {
                if a.context == b.context {
                    for k in &a.keys {
                        assert!(!b.keys.contains(k), "{} bound twice", k.label());
                    }
                }
            }
        }
    }
}
