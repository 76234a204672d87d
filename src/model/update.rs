//! `update`: the pure state machine's entry. It routes: a key to the open overlay's file, or
//! through the keymap to an action and the file that carries it out; an effect's result to the
//! file it answers; then it lays the screen out again and keeps every offset in range. Every
//! behaviour is unit-testable through it without a terminal.

use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};

use tokio::time::Instant;

use super::keymap::{Action, KeyCombo};
use super::layout::Arrangement;
use super::results::Trigger;
use super::{
    AppEvent, Cmd, Loaded, Mode, Model, Msg, NoticeKind, Overlay, Pane, SPLIT_MAX, SPLIT_MIN,
    SPLIT_STEP,
};
use super::{checkpoints, confirm, help, inspector, lessons, notices, picker};
use crate::watch::WatchEvent;

/// Lines scrolled by one mouse-wheel step.
const WHEEL_LINES: usize = 3;

/// Applies one message to the model and returns the effects it asks for.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Cmd> {
    // An animation frame changes nothing the context is chosen from.
    let frame = matches!(msg, Msg::Tick(_));
    if let Some(cmds) = model.presenter_takes(&msg) {
        return finish(model, cmds, frame);
    }
    let cmds = match msg {
        Msg::Key(key) => on_key(model, key),
        Msg::Mouse(mouse) => on_mouse(model, mouse),
        Msg::Paste(text) => model.paste(&text),
        Msg::Resize(cols, rows) => {
            model.size = (cols, rows);
            Vec::new()
        }
        Msg::Resumed => Vec::new(),
        Msg::Tick(at) => {
            model.now = Some(at);
            Vec::new()
        }
        Msg::Signal(name) => {
            tracing::info!(signal = name, "quitting on signal");
            model.should_quit = true;
            Vec::new()
        }
        Msg::Event(event) => on_event(model, event),
    };
    finish(model, cmds, frame)
}

/// After a message: the next request counted and its context chosen again (not for an
/// animation frame), the layout and offsets kept up to date, and a presenter's next beat.
fn finish(model: &mut Model, mut cmds: Vec<Cmd>, frame: bool) -> Vec<Cmd> {
    cmds.extend(model.count_if_changed());
    // Whatever changed the set's inputs (a pin, a run, an apply, an add), it is chosen again.
    if !frame {
        cmds.extend(model.refresh_context());
    }
    model.sync_layout();
    model.keep_in_view();
    cmds.extend(model.presenter_watches());
    cmds
}

impl Model {
    /// The commands that load the workspace and run the tests once.
    pub fn init(&mut self) -> Vec<Cmd> {
        let run = self.start_run(Trigger::Startup);
        self.session.opened = false;
        vec![
            Cmd::Prepare,
            Cmd::OpenSession,
            Cmd::LoadSpec,
            Cmd::ScanCode,
            run,
        ]
    }
}

fn on_key(model: &mut Model, key: KeyEvent) -> Vec<Cmd> {
    tracing::trace!(?key, "key");
    let Some(combo) = KeyCombo::from_event(&key) else {
        return Vec::new();
    };
    if let Some(overlay) = model.overlay.clone() {
        return on_overlay_key(model, overlay, combo);
    }
    if model.search.editing.is_some() && combo != KeyCombo::ctrl('c') {
        return model.search_key(key);
    }
    if let Some(cmds) = model.suggestion_key(key) {
        return cmds;
    }
    let action = match model.mode {
        Mode::Normal => model.keymap.normal(combo, model.focus),
        Mode::Compose => model.keymap.compose(combo),
    };
    match action {
        Some(Action::OlderMessage | Action::NewerMessage)
            if !model.browse_sent(action == Some(Action::OlderMessage)) =>
        {
            model.composer.input(key);
            model.recount_draft();
            Vec::new()
        }
        Some(action) => apply(model, action),
        None if model.mode == Mode::Compose => {
            model.composer.input(key);
            model.recount_draft();
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// A key while an overlay is up: the overlay's own file handles it.
fn on_overlay_key(model: &mut Model, overlay: Overlay, combo: KeyCombo) -> Vec<Cmd> {
    match overlay {
        Overlay::Help { scroll } => help::on_key(model, scroll, combo),
        Overlay::Notices { scroll } => notices::on_key(model, scroll, combo),
        Overlay::Inspector { scroll } => inspector::on_key(model, scroll, combo),
        Overlay::Checkpoints {
            items,
            applied,
            selected,
        } => checkpoints::on_key(model, items, applied, selected, combo),
        Overlay::ConfirmQuit { .. } => confirm::on_quit_key(model, combo),
        Overlay::ConfirmUndo { redo, steps, .. } => confirm::on_undo_key(model, redo, steps, combo),
        Overlay::Fresh => lessons::on_key(model, combo),
        Overlay::Picker { query, selected } => picker::on_key(model, query, selected, combo),
    }
}

fn apply(model: &mut Model, action: Action) -> Vec<Cmd> {
    match action {
        Action::Quit => confirm::ask_to_quit(model),
        Action::Suspend => return vec![Cmd::Suspend],
        Action::Help => model.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::Notices => notices::open(model),
        Action::NextPane => model.set_focus(model.focus.cycle(true)),
        Action::PrevPane => model.set_focus(model.focus.cycle(false)),
        Action::Focus(pane) => model.set_focus(pane),
        Action::Zoom => model.zoomed = !model.zoomed,
        Action::SplitLeft | Action::SplitRight => return move_split(model, action),
        Action::ScrollUp | Action::ScrollDown
            if model.focus == Pane::Spec
                && model.spec.shown().is_some_and(|s| !s.clauses.is_empty()) =>
        {
            model.select_clause(if action == Action::ScrollUp { -1 } else { 1 });
        }
        Action::ScrollUp
        | Action::ScrollDown
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom
            if model.focus == Pane::Results
                && model.results.rows() > 0
                && !model.results.detail =>
        {
            model.move_selection(action);
        }
        Action::ScrollUp => model.scroll_by(model.focus, -1),
        Action::ScrollDown => model.scroll_by(model.focus, 1),
        Action::PageUp => {
            let page = model.page_size(model.focus);
            model.scroll_by(model.focus, -(page as isize));
        }
        Action::PageDown => {
            let page = model.page_size(model.focus);
            model.scroll_by(model.focus, page as isize);
        }
        Action::Top => model.scroll_by(model.focus, isize::MIN),
        Action::Bottom => model.scroll_by(model.focus, isize::MAX),
        Action::Compose => model.enter_compose(),
        Action::Rerun => return model.rerun(Trigger::Manual),
        Action::CancelRun => return model.cancel_run(),
        Action::ToggleDetail => {
            model.results.detail = !model.results.detail && model.results.rows() > 0;
        }
        Action::JumpToClause => return model.jump_to_clause(),
        Action::Pin => return model.pin_spec(),
        Action::EditSpec => return vec![Cmd::EditSpec],
        Action::PrevFile | Action::NextFile
            if model.select_change(if action == Action::PrevFile { -1 } else { 1 }) => {}
        Action::PrevFile => return model.select_file(-1),
        Action::NextFile => return model.select_file(1),
        Action::Send => return model.send(),
        Action::NewLine => {
            model.composer.insert_newline();
            model.recount_draft();
        }
        Action::LineStart
        | Action::LineEnd
        | Action::DeleteWord
        | Action::ClearToLineStart
        | Action::ClearToLineEnd => model.edit_line(action),
        Action::Inspector => model.overlay = Some(Overlay::Inspector { scroll: 0 }),
        Action::CancelReply if model.conversation.streaming() => return model.cancel_reply(),
        Action::CancelReply => return model.stop_fix_loop(),
        Action::NextStep => return model.move_step(true),
        Action::PrevStep => return model.move_step(false),
        Action::FreshSession => return lessons::open(model),
        Action::MarkCorrection => return model.toggle_correction_mark(),
        Action::StepReply if model.conversation.streaming() => return vec![Cmd::StepReply],
        Action::ToolResults => return model.toggle_tool_results(),
        Action::AddMentioned => return model.add_mentioned(),
        Action::ApplyFile => return model.apply_changes(false),
        Action::ApplyAll => return model.apply_changes(true),
        Action::Discard => return model.discard_change(),
        Action::ToggleChangeView => {
            if let Some(view) = &mut model.code.changes {
                view.full = !view.full;
                model.code.scroll = 0;
            }
        }
        Action::Search => model.start_search(),
        Action::SearchNext => return model.search_again(true),
        Action::SearchPrev => return model.search_again(false),
        Action::Checkpoints => return vec![Cmd::ListCheckpoints],
        Action::AddToContext => return model.add_shown_file(),
        Action::DropFromContext => return model.drop_shown_file(),
        Action::PickFile => picker::open(model),
        Action::Undo => return model.undo(false),
        Action::Redo => return model.undo(true),

        Action::StepReply => {}
        Action::EditDraft => {
            return vec![Cmd::EditDraft {
                text: model.draft(),
            }];
        }
        // Only reached when the composer does not take the key (see `on_key`).
        Action::OlderMessage | Action::NewerMessage => {}
        Action::LeaveCompose => {
            model.mode = Mode::Normal;
            model.sync_composer_placeholder();
            // During the fix loop Esc stops it, as the status bar says (a draft of one's own
            // only leaves the composer).
            if model.session.fix.is_some() && !model.draft_is_own() {
                return apply(model, Action::CancelReply);
            }
        }
    }
    Vec::new()
}

fn move_split(model: &mut Model, action: Action) -> Vec<Cmd> {
    if model.layout.screen.arrangement != Arrangement::Grid || model.zoomed {
        let why = if model.zoomed {
            "The split applies when all panes show: press z to unzoom"
        } else {
            "The split needs a terminal at least 100 columns wide"
        };
        return vec![model.notify(NoticeKind::Info, why)];
    }
    model.split = match action {
        Action::SplitLeft => model.split.saturating_sub(SPLIT_STEP).max(SPLIT_MIN),
        _ => (model.split + SPLIT_STEP).min(SPLIT_MAX),
    };
    Vec::new()
}

fn on_mouse(model: &mut Model, mouse: MouseEvent) -> Vec<Cmd> {
    if model.overlay.is_some() {
        return Vec::new();
    }
    let screen = &model.layout.screen;
    let hit = |x: u16, y: u16| {
        screen
            .panes
            .iter()
            .chain(screen.tabs.iter())
            .find(|(_, r)| r.contains(ratatui::layout::Position { x, y }))
            .map(|(p, _)| *p)
    };
    match mouse.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let down = mouse.kind == MouseEventKind::ScrollDown;
            match hit(mouse.column, mouse.row) {
                // The test list scrolls by moving its selection, which the view keeps in sight.
                Some(Pane::Results) if model.results.rows() > 0 => {
                    let step = if down {
                        Action::ScrollDown
                    } else {
                        Action::ScrollUp
                    };
                    for _ in 0..WHEEL_LINES {
                        model.move_selection(step);
                    }
                }
                Some(pane) => {
                    let lines = WHEEL_LINES as isize;
                    model.scroll_by(pane, if down { lines } else { -lines });
                }
                None => {}
            }
        }
        MouseEventKind::Down(MouseButton::Left) => {
            if let Some(pane) = hit(mouse.column, mouse.row) {
                model.set_focus(pane);
                if pane != Pane::Conversation && model.mode == Mode::Compose {
                    model.mode = Mode::Normal;
                    model.sync_composer_placeholder();
                }
                return model.click_in_pane(pane, mouse.column, mouse.row);
            }
        }
        _ => {}
    }
    Vec::new()
}

fn on_event(model: &mut Model, event: AppEvent) -> Vec<Cmd> {
    match event {
        AppEvent::SpecLoaded { disk, pins } => {
            let mut cmds = model.on_spec_loaded(disk, pins);
            model.rebuild_spec_part();
            cmds.extend(model.on_pin_in_force());
            return cmds;
        }
        AppEvent::Pinned(result) => {
            let mut cmds = model.on_pinned(result);
            model.rebuild_spec_part();
            cmds.extend(model.on_pin_in_force());
            return cmds;
        }
        AppEvent::SessionOpened {
            id,
            restored,
            counts,
        } => return model.on_session_opened(id, restored, counts),
        AppEvent::SessionStarted(Ok(id)) => model.session.id = Some(id),
        AppEvent::WatcherOff(reason) => {
            model.watching = false;
            return vec![model.notify(NoticeKind::Error, reason)];
        }
        AppEvent::SessionStarted(Err(e)) | AppEvent::JournalFailed(e) => {
            return vec![model.notify(NoticeKind::Error, format!("Session journal: {e}"))];
        }
        AppEvent::TokenizerReady => model.on_tokenizer_ready(),
        AppEvent::ProviderReady {
            probe,
            plan,
            prompts,
        } => return model.on_provider_ready(probe, plan, prompts),
        AppEvent::Reprobed(probe) => return model.on_reprobed(probe),
        AppEvent::CountDue { revision } => return model.on_count_due(revision),
        AppEvent::Counted {
            revision,
            counter,
            result,
        } => model.on_counted(revision, counter, result),
        AppEvent::ProviderFailed(why) => {
            return vec![model.notify(NoticeKind::Error, format!("Model provider: {why}"))];
        }
        AppEvent::ContextChosen(outcome) => return model.on_context_chosen(*outcome),
        AppEvent::Reply { turn, event, at } => model.on_reply(turn, event, at),
        AppEvent::ReplyEnded { turn, result } => return model.on_reply_ended(turn, result),
        AppEvent::ToolsRan { turn, outcomes } => return model.on_tools_ran(turn, outcomes),
        AppEvent::ToolSupport(takes) => return model.on_tool_support(takes),
        AppEvent::Mentioned { turn, files } => return model.on_mentioned(turn, files),
        AppEvent::DraftEdited(Ok(text)) => {
            model.enter_compose();
            model.set_draft(text.trim_end_matches('\n'));
        }
        AppEvent::DraftEdited(Err(e)) => {
            return vec![model.notify(NoticeKind::Error, format!("Editor: {e}"))];
        }
        AppEvent::Scanned { plan_id, outcome } => {
            let mut cmds = model.on_scanned(plan_id, outcome);
            cmds.extend(model.after_settle());
            return cmds;
        }
        AppEvent::CodeFilesFound(Ok(files)) => return model.on_code_files(files),
        AppEvent::CodeFilesFound(Err(e)) => model.code.files = Loaded::Failed(e),
        AppEvent::FileLoaded { id, path, content } => {
            return model.on_file_loaded(id, path, content);
        }
        AppEvent::RunStarted { id, at } => model.on_run_started(id, at),
        AppEvent::RunProgress { id, progress } => model.on_run_progress(id, progress),
        AppEvent::RunFinished { id, report } => return model.on_run_finished(id, *report),
        AppEvent::Watch(WatchEvent::Changed {
            paths,
            content,
            first,
            ..
        }) => {
            return model.on_files_changed(paths, content, Instant::from_std(first));
        }
        AppEvent::ConfigLoaded(loaded) => return model.on_config_loaded(loaded),
        AppEvent::Watch(WatchEvent::Rescan { reason }) => {
            let mut cmds = vec![
                model.notify(NoticeKind::Error, reason),
                Cmd::LoadSpec,
                Cmd::ScanCode,
            ];
            cmds.extend(model.rerun(Trigger::Rescan));
            return cmds;
        }
        AppEvent::EditorClosed(result) => {
            // The watcher reports the save too; reading it now shows it without waiting.
            return match result {
                Ok(()) => vec![Cmd::LoadSpec],
                Err(e) => vec![model.notify(NoticeKind::Error, format!("Editor: {e}"))],
            };
        }
        AppEvent::ChangesReady(set) => return model.on_changes_ready(set),
        AppEvent::Applied(result) => return model.on_applied(result),
        AppEvent::Recovered(recovery) => return model.on_recovered(recovery),
        AppEvent::Undone { redo, outcome } => return model.on_undone(redo, outcome),
        AppEvent::CheckpointsListed(listed) => return checkpoints::on_listed(model, listed),
        AppEvent::FileHighlighted { id, lines } => model.on_file_highlighted(id, lines),
        AppEvent::NoticeExpired(id) => return model.expire_notice(id),
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, OnChange};
    use crate::model::layout;
    use crate::model::results::Trigger;
    use crate::runner::process::RunReport;
    use crate::runner::result::{TestResult, TestStatus};
    use crate::theme::ThemeSource;
    use crate::workspace::FileText;
    use crossterm::event::{KeyCode, KeyModifiers};
    use std::path::PathBuf;

    fn model() -> Model {
        let theme = ThemeSource::default().load("default").unwrap();
        let mut m = Model::new("/ws".into(), "ws".into(), Config::default(), theme);
        update(&mut m, Msg::Resize(120, 40));
        m
    }

    fn key(m: &mut Model, code: KeyCode) -> Vec<Cmd> {
        update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn ch(m: &mut Model, c: char) -> Vec<Cmd> {
        key(m, KeyCode::Char(c))
    }

    fn with_spec(m: &mut Model, lines: usize) {
        // Headings: lines that are neither reflowed nor clauses.
        let text: String = (0..lines).map(|i| format!("## line {i}\n")).collect();
        update(
            m,
            Msg::Event(AppEvent::SpecLoaded {
                disk: Ok(text),
                pins: Ok(Default::default()),
            }),
        );
    }

    #[test]
    fn esc_in_the_composer_stops_the_fix_loop_unless_the_draft_is_ones_own() {
        let mut m = model();
        m.session.fix = Some(crate::model::workflow::FixLoop { round: 1, max: 3 });
        m.start_composing();
        ch(&mut m, 'x');
        key(&mut m, KeyCode::Esc);
        assert_eq!(m.mode, Mode::Normal);
        assert!(
            m.session.fix.is_some(),
            "a draft of one's own only leaves the composer"
        );
        m.set_draft("");
        m.start_composing();
        key(&mut m, KeyCode::Esc);
        assert_eq!(m.mode, Mode::Normal);
        assert_eq!(
            m.session.fix, None,
            "the loop stops, as the status bar says"
        );
    }

    #[test]
    fn tab_cycles_focus_both_ways() {
        let mut m = model();
        assert_eq!(m.focus, Pane::Spec);
        key(&mut m, KeyCode::Tab);
        assert_eq!(m.focus, Pane::Conversation);
        key(&mut m, KeyCode::BackTab);
        key(&mut m, KeyCode::BackTab);
        assert_eq!(m.focus, Pane::Results);
        key(&mut m, KeyCode::Tab);
        assert_eq!(m.focus, Pane::Spec);
    }

    #[test]
    fn digits_jump_to_panes() {
        let mut m = model();
        ch(&mut m, '3');
        assert_eq!(m.focus, Pane::Code);
        ch(&mut m, '4');
        assert_eq!(m.focus, Pane::Results);
        ch(&mut m, '2');
        assert_eq!(m.focus, Pane::Conversation);
    }

    #[test]
    fn z_toggles_zoom_of_the_focused_pane() {
        let mut m = model();
        ch(&mut m, '3');
        ch(&mut m, 'z');
        assert!(m.zoomed);
        let screen = layout::screen(m.area(), m.focus, m.zoomed, m.split, m.chrome());
        assert_eq!(screen.panes.len(), 1);
        assert_eq!(screen.panes[0].0, Pane::Code);
        ch(&mut m, 'z');
        assert!(!m.zoomed);
    }

    #[test]
    fn split_moves_within_bounds_and_only_in_the_grid() {
        let mut m = model();
        for _ in 0..20 {
            ch(&mut m, '<');
        }
        assert_eq!(m.split, SPLIT_MIN);
        ch(&mut m, '>');
        assert_eq!(m.split, SPLIT_MIN + SPLIT_STEP);
        update(&mut m, Msg::Resize(80, 24));
        let cmds = ch(&mut m, '>');
        assert_eq!(m.split, SPLIT_MIN + SPLIT_STEP);
        assert!(matches!(cmds.as_slice(), [Cmd::ExpireNotice { .. }]));
        assert!(m.notice.as_ref().unwrap().text.contains("100 columns"));
    }

    #[test]
    fn layout_switches_with_the_terminal_size() {
        let mut m = model();
        let arrangement = |m: &Model| {
            layout::screen(m.area(), m.focus, m.zoomed, m.split, m.chrome()).arrangement
        };
        assert_eq!(arrangement(&m), Arrangement::Grid);
        update(&mut m, Msg::Resize(99, 30));
        assert_eq!(arrangement(&m), Arrangement::Tabs);
        update(&mut m, Msg::Resize(59, 30));
        assert_eq!(arrangement(&m), Arrangement::TooSmall);
        update(&mut m, Msg::Resize(60, 15));
        assert_eq!(arrangement(&m), Arrangement::TooSmall);
        update(&mut m, Msg::Resize(60, 16));
        assert_eq!(arrangement(&m), Arrangement::Tabs);
    }

    #[test]
    fn scrolling_is_clamped_to_the_content() {
        let mut m = model();
        with_spec(&mut m, 100);
        let height = m.body_area(Pane::Spec).unwrap().height as usize;
        key(&mut m, KeyCode::Down);
        assert_eq!(m.spec.scroll, 1);
        key(&mut m, KeyCode::End);
        assert_eq!(m.spec.scroll, 100 - height);
        key(&mut m, KeyCode::PageDown);
        assert_eq!(m.spec.scroll, 100 - height);
        key(&mut m, KeyCode::PageUp);
        assert_eq!(m.spec.scroll, 100 - height - (height - 1));
        key(&mut m, KeyCode::Home);
        assert_eq!(m.spec.scroll, 0);
        key(&mut m, KeyCode::Up);
        assert_eq!(m.spec.scroll, 0);
    }

    #[test]
    fn growing_the_terminal_pulls_the_scroll_back() {
        let mut m = model();
        with_spec(&mut m, 50);
        key(&mut m, KeyCode::End);
        update(&mut m, Msg::Resize(200, 60));
        let height = m.body_area(Pane::Spec).unwrap().height as usize;
        assert_eq!(m.spec.scroll, 50 - height);
    }

    #[test]
    fn mouse_wheel_scrolls_the_pane_under_the_cursor() {
        let mut m = model();
        with_spec(&mut m, 100);
        ch(&mut m, '4');
        let spec = m.body_area(Pane::Spec).unwrap();
        let wheel = MouseEvent {
            kind: MouseEventKind::ScrollDown,
            column: spec.x + 1,
            row: spec.y + 1,
            modifiers: KeyModifiers::NONE,
        };
        update(&mut m, Msg::Mouse(wheel));
        assert_eq!(m.spec.scroll, WHEEL_LINES);
        assert_eq!(m.focus, Pane::Results);
        let click = MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            ..wheel
        };
        update(&mut m, Msg::Mouse(click));
        assert_eq!(m.focus, Pane::Spec);
    }

    #[test]
    fn quit_without_pending_work_is_immediate() {
        let mut m = model();
        ch(&mut m, 'q');
        assert!(m.should_quit);
        assert!(m.overlay.is_none());
    }

    #[test]
    fn quit_with_a_draft_asks_first() {
        let mut m = model();
        ch(&mut m, 'i');
        assert_eq!(m.mode, Mode::Compose);
        ch(&mut m, 'h');
        ch(&mut m, 'q');
        assert_eq!(m.draft(), "hq", "q types in compose mode");
        key(&mut m, KeyCode::Esc);
        ch(&mut m, 'q');
        assert!(!m.should_quit);
        assert!(matches!(m.overlay, Some(Overlay::ConfirmQuit { .. })));
        ch(&mut m, 'n');
        assert!(m.overlay.is_none());
        assert!(!m.should_quit);
        update(
            &mut m,
            Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        );
        assert!(matches!(m.overlay, Some(Overlay::ConfirmQuit { .. })));
        ch(&mut m, 'y');
        assert!(m.should_quit);
    }

    #[test]
    fn signals_quit_without_asking() {
        let mut m = model();
        ch(&mut m, 'i');
        ch(&mut m, 'x');
        update(&mut m, Msg::Signal("SIGTERM"));
        assert!(m.should_quit);
    }

    #[test]
    fn compose_mode_edits_multiline_and_enter_sends_the_whole_draft() {
        let mut m = model();
        ch(&mut m, '1');
        ch(&mut m, 'i');
        assert_eq!(m.focus, Pane::Conversation);
        for c in "hello".chars() {
            ch(&mut m, c);
        }
        for modifiers in [KeyModifiers::ALT, KeyModifiers::SHIFT] {
            update(&mut m, Msg::Key(KeyEvent::new(KeyCode::Enter, modifiers)));
        }
        ch(&mut m, 'x');
        assert_eq!(m.draft(), "hello\n\nx");
        let cmds = key(&mut m, KeyCode::Enter);
        assert!(
            matches!(cmds.as_slice(), [Cmd::Journal(_), Cmd::Send { prompt, .. }] if prompt == "hello\n\nx"),
            "{cmds:?}"
        );
        assert_eq!(
            m.draft(),
            "",
            "the composer is cleared for the next message"
        );
        assert_eq!(m.mode, Mode::Compose);
    }

    #[test]
    fn enter_on_the_conversation_pane_composes() {
        let mut m = model();
        key(&mut m, KeyCode::Enter);
        assert_eq!(m.mode, Mode::Normal);
        ch(&mut m, '2');
        key(&mut m, KeyCode::Enter);
        assert_eq!(m.mode, Mode::Compose);
    }

    #[test]
    fn paste_goes_to_the_composer() {
        let mut m = model();
        update(&mut m, Msg::Paste("a\r\nb".into()));
        assert_eq!(m.mode, Mode::Compose);
        assert_eq!(m.draft(), "a\nb");
    }

    #[test]
    fn help_opens_scrolls_and_closes() {
        let mut m = model();
        update(&mut m, Msg::Resize(80, 24));
        ch(&mut m, '?');
        assert_eq!(m.overlay, Some(Overlay::Help { scroll: 0 }));
        key(&mut m, KeyCode::Down);
        assert_eq!(m.overlay, Some(Overlay::Help { scroll: 1 }));
        key(&mut m, KeyCode::End);
        let Some(Overlay::Help { scroll }) = m.overlay else {
            panic!("help closed")
        };
        assert!(scroll > 1 && scroll < usize::MAX);
        key(&mut m, KeyCode::Esc);
        assert_eq!(m.overlay, None);
        key(&mut m, KeyCode::F(1));
        assert!(m.overlay.is_some());
        ch(&mut m, '?');
        assert_eq!(m.overlay, None);
    }

    #[test]
    fn notices_expire_only_by_their_own_id() {
        let mut m = model();
        let first = m.notify(NoticeKind::Info, "one");
        let second = m.notify(NoticeKind::Info, "two");
        let (Cmd::ExpireNotice { id: a, .. }, Cmd::ExpireNotice { id: b, .. }) = (first, second)
        else {
            panic!("expected expiries")
        };
        update(&mut m, Msg::Event(AppEvent::NoticeExpired(a)));
        assert_eq!(m.notice.as_ref().unwrap().text, "two");
        update(&mut m, Msg::Event(AppEvent::NoticeExpired(b)));
        assert!(m.notice.is_none());
    }

    #[test]
    fn an_info_waits_behind_an_error_and_shows_when_it_expires() {
        let mut m = model();
        let Cmd::ExpireNotice { id: error, .. } = m.notify(NoticeKind::Error, "theme broken")
        else {
            panic!("expected an expiry")
        };
        let Cmd::ExpireNotice { id: info, .. } = m.notify(NoticeKind::Info, "Pinned v1") else {
            panic!("expected an expiry")
        };
        assert_eq!(m.notice.as_ref().unwrap().text, "theme broken");
        // The waiting info's own expiry does not drop it: its time starts when it shows.
        assert!(update(&mut m, Msg::Event(AppEvent::NoticeExpired(info))).is_empty());
        assert_eq!(m.notice.as_ref().unwrap().text, "theme broken");
        let cmds = update(&mut m, Msg::Event(AppEvent::NoticeExpired(error)));
        let notice = m.notice.clone().unwrap();
        assert_eq!(
            (notice.kind, notice.text.as_str()),
            (NoticeKind::Info, "Pinned v1")
        );
        assert_eq!(
            cmds,
            vec![Cmd::ExpireNotice {
                id: notice.id,
                after: NoticeKind::Info.lifetime()
            }]
        );
        update(&mut m, Msg::Event(AppEvent::NoticeExpired(notice.id)));
        assert!(m.notice.is_none());
        // An error still replaces an info at once.
        m.notify(NoticeKind::Info, "info");
        m.notify(NoticeKind::Error, "error");
        assert_eq!(m.notice.as_ref().unwrap().text, "error");
    }

    #[test]
    fn code_files_load_the_first_and_brackets_switch() {
        let mut m = model();
        let files = vec!["a.py".into(), "b.py".into()];
        let cmds = update(&mut m, Msg::Event(AppEvent::CodeFilesFound(Ok(files))));
        // With the file to show: the scope for the context worker, and its first choice.
        let [
            Cmd::LoadFile { id, path, .. },
            Cmd::Context(_),
            Cmd::Context(_),
        ] = cmds.as_slice()
        else {
            panic!("{cmds:?}")
        };
        assert_eq!(path.to_str(), Some("a.py"));
        let stale = *id;
        ch(&mut m, '3');
        let cmds = ch(&mut m, ']');
        let [
            Cmd::LoadFile {
                id: fresh, path, ..
            },
        ] = cmds.as_slice()
        else {
            panic!("{cmds:?}")
        };
        assert_eq!(path.to_str(), Some("b.py"));
        let fresh = *fresh;
        let text = |s: &str| Ok(FileText::from_text(s));
        update(
            &mut m,
            Msg::Event(AppEvent::FileLoaded {
                id: stale,
                path: "a.py".into(),
                content: text("old"),
            }),
        );
        assert_eq!(m.code.content, Loaded::Loading, "a stale load is dropped");
        update(
            &mut m,
            Msg::Event(AppEvent::FileLoaded {
                id: fresh,
                path: "b.py".into(),
                content: text("new"),
            }),
        );
        assert_eq!(m.code.content, Loaded::Ready(FileText::from_text("new")));
        // Highlighting arrives after the text; a stale one is dropped too.
        let lines = |t: &str| Some(vec![ratatui::text::Line::raw(t.to_string())]);
        update(
            &mut m,
            Msg::Event(AppEvent::FileHighlighted {
                id: stale,
                lines: lines("old"),
            }),
        );
        assert_eq!(m.code.highlighted, Loaded::Loading);
        update(
            &mut m,
            Msg::Event(AppEvent::FileHighlighted {
                id: fresh,
                lines: None,
            }),
        );
        assert!(
            matches!(m.code.highlighted, Loaded::Failed(_)),
            "too long: plain"
        );
        ch(&mut m, '[');
        assert_eq!(
            m.code.highlighted,
            Loaded::Loading,
            "a new file starts plain"
        );
        assert_eq!(m.code.selected, 0);
        ch(&mut m, '[');
        assert_eq!(m.code.selected, 1, "wraps around");
    }

    fn report(ended: Instant, results: Vec<TestResult>) -> Box<RunReport> {
        Box::new(RunReport {
            command: "t".into(),
            exit_code: Some(if results.iter().any(|r| r.status == TestStatus::Failed) {
                1
            } else {
                0
            }),
            timed_out: false,
            cancelled: false,
            duration: std::time::Duration::from_millis(5),
            format: Some(crate::runner::result::Format::Unittest),
            results,
            output: Default::default(),
            error: None,
            ended,
        })
    }

    fn changed(paths: &[&str], first: Instant) -> Msg {
        let unknown = crate::watch::ContentChange {
            before: crate::watch::Content::Unknown,
            after: crate::watch::Content::Unknown,
        };
        Msg::Event(AppEvent::Watch(WatchEvent::Changed {
            paths: paths.iter().map(PathBuf::from).collect(),
            content: vec![unknown; paths.len()],
            first: first.into_std(),
            last: first.into_std(),
        }))
    }

    fn started_id(cmds: &[Cmd]) -> u64 {
        cmds.iter()
            .find_map(|c| match c {
                Cmd::StartRun { id } => Some(*id),
                _ => None,
            })
            .expect("a run starts")
    }

    #[test]
    fn init_loads_and_runs_once() {
        let mut m = model();
        let cmds = m.init();
        assert!(cmds.contains(&Cmd::LoadSpec));
        assert!(cmds.contains(&Cmd::ScanCode));
        started_id(&cmds);
        assert!(m.animating());
    }

    #[test]
    fn r_restarts_a_run_in_flight_and_drops_the_stale_report() {
        let mut m = model();
        let first = started_id(&m.init());
        let cmds = ch(&mut m, 'r');
        assert_eq!(cmds[0], Cmd::CancelRun { id: first });
        let second = started_id(&cmds);
        let now = Instant::now();
        update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id: first,
                report: report(now, vec![]),
            }),
        );
        assert!(m.results.running.is_some(), "the stale report is dropped");
        let ok = TestResult::new("a", TestStatus::Passed);
        update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id: second,
                report: report(now, vec![ok]),
            }),
        );
        assert!(m.results.running.is_none());
        assert_eq!(m.results.last.as_ref().unwrap().number, 2);
        assert_eq!(m.results.history.len(), 1);
        assert!(!m.animating());
    }

    #[test]
    fn queue_mode_runs_once_more_after_the_run() {
        let mut m = model();
        m.config.tests.on_change = OnChange::Queue;
        let first = started_id(&m.init());
        let t = Instant::now();
        assert!(
            update(&mut m, changed(&["a.py"], t)).is_empty(),
            "no restart"
        );
        update(&mut m, changed(&["b.py"], t));
        let cmds = update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id: first,
                report: report(t, vec![]),
            }),
        );
        started_id(&cmds);
        assert_eq!(
            m.results.running.as_ref().unwrap().trigger,
            Trigger::Saved("b.py".into())
        );
    }

    #[test]
    fn the_runs_own_files_never_retrigger_it() {
        let mut m = model();
        let id = started_id(&m.init());
        let t0 = Instant::now();
        // Written during the run: caches and reports.
        assert!(update(&mut m, changed(&["__snapshots__/x.snap", "report.xml"], t0)).is_empty());
        let ended = t0 + std::time::Duration::from_millis(50);
        update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id,
                report: report(ended, vec![]),
            }),
        );
        // Delivered after the run ended, but begun before: still the run's own.
        assert!(update(&mut m, changed(&["report.xml"], t0)).is_empty());
        // A later change to the same file is the user's.
        let later = ended + std::time::Duration::from_millis(10);
        let cmds = update(&mut m, changed(&["report.xml"], later));
        started_id(&cmds);
    }

    fn bytes(hash: u64) -> crate::watch::Content {
        crate::watch::Content::Bytes { len: 8, hash }
    }

    const EMPTY: crate::watch::Content = crate::watch::Content::Bytes { len: 0, hash: 0 };

    /// A change of `path` from `before` to `after` that began at `first`.
    fn edit(
        path: &str,
        before: crate::watch::Content,
        after: crate::watch::Content,
        first: Instant,
    ) -> Msg {
        Msg::Event(AppEvent::Watch(WatchEvent::Changed {
            paths: vec![PathBuf::from(path)],
            content: vec![crate::watch::ContentChange { before, after }],
            first: first.into_std(),
            last: first.into_std(),
        }))
    }

    fn run_started(m: &mut Model, id: u64, at: Instant) {
        update(m, Msg::Event(AppEvent::RunStarted { id, at }));
    }

    fn cancels(cmds: &[Cmd]) -> bool {
        cmds.iter().any(|c| matches!(c, Cmd::CancelRun { .. }))
    }

    #[test]
    fn a_second_change_to_a_file_during_a_run_is_the_runs_own() {
        let mut m = model();
        m.config.tests.on_change = OnChange::Queue;
        let id = started_id(&m.init());
        let t = Instant::now();
        run_started(&mut m, id, t);
        assert!(update(&mut m, edit("a.py", bytes(1), bytes(2), t)).is_empty());
        assert_eq!(m.results.queued, Some(Trigger::Saved("a.py".into())));
        // Written again by the run: no more than the one queued run.
        update(&mut m, edit("a.py", bytes(2), bytes(3), t));
        let cmds = update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id,
                report: report(t, vec![]),
            }),
        );
        started_id(&cmds);
        assert_eq!(m.results.runs, 2);
    }

    #[test]
    fn the_spec_and_emptied_files_never_kill_a_run() {
        let mut m = model();
        let id = started_id(&m.init());
        let t = Instant::now();
        run_started(&mut m, id, t);
        // The spec may be half-written: the run finishes first.
        let cmds = update(&mut m, edit("SPEC.md", bytes(1), bytes(2), t));
        assert!(!cancels(&cmds), "{cmds:?}");
        assert_eq!(m.results.queued, Some(Trigger::Saved("SPEC.md".into())));
        // So may a code file that was just emptied.
        let cmds = update(&mut m, edit("a.py", bytes(1), EMPTY, t));
        assert!(!cancels(&cmds), "{cmds:?}");
        // A code file with new content is a save: the run restarts.
        let cmds = update(&mut m, edit("b.py", bytes(1), bytes(2), t));
        assert_eq!(cmds[0], Cmd::CancelRun { id });
        started_id(&cmds);
    }

    #[test]
    fn a_queued_run_is_dropped_when_the_run_put_its_files_back() {
        let mut m = model();
        m.config.tests.on_change = OnChange::Queue;
        let id = started_id(&m.init());
        let t = Instant::now();
        run_started(&mut m, id, t);
        update(&mut m, edit("SPEC.md", bytes(1), EMPTY, t));
        update(&mut m, edit("SPEC.md", EMPTY, bytes(1), t));
        let cmds = update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id,
                report: report(t, vec![]),
            }),
        );
        assert!(!cmds.iter().any(|c| matches!(c, Cmd::StartRun { .. })));
        assert!(m.results.running.is_none() && m.results.queued.is_none());
    }

    #[test]
    fn a_file_rewritten_by_three_runs_in_a_row_pauses_auto_rerun_until_a_save() {
        let mut m = model();
        m.config.tests.command = "gen > stamp.py && python3 -m unittest".into();
        let mut id = started_id(&m.init());
        let ms = std::time::Duration::from_millis;
        let mut t = Instant::now();
        for round in 1..=3 {
            run_started(&mut m, id, t);
            let cmds = update(
                &mut m,
                edit("stamp.py", bytes(round), bytes(round + 1), t + ms(30)),
            );
            if round < 3 {
                assert_eq!(cmds[0], Cmd::CancelRun { id }, "round {round}");
                id = started_id(&cmds);
            } else {
                assert!(
                    !cancels(&cmds),
                    "the third round is left to finish: {cmds:?}"
                );
                assert!(!cmds.iter().any(|c| matches!(c, Cmd::StartRun { .. })));
            }
            t += ms(40);
        }
        assert!(m.reruns.is_paused(std::path::Path::new("stamp.py")));
        let notice = m.notice.as_ref().unwrap();
        assert_eq!(notice.kind, NoticeKind::Error);
        assert_eq!(
            notice.text,
            "stamp.py is rewritten by `gen > stamp.py && python3 -m unittest` on every run: \
             auto-rerun paused · r runs the tests · a save resumes"
        );
        let ended = t + ms(100);
        update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id,
                report: report(ended, vec![]),
            }),
        );
        // `r` runs; the run's rewrite stays ignored.
        let id = started_id(&ch(&mut m, 'r'));
        run_started(&mut m, id, ended);
        assert!(update(&mut m, edit("stamp.py", bytes(8), bytes(9), ended + ms(30))).is_empty());
        let ended = ended + ms(100);
        update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id,
                report: report(ended, vec![]),
            }),
        );
        assert_eq!(m.results.runs, 4);
        // A change after the run ended is the user's: auto-rerun resumes.
        let cmds = update(
            &mut m,
            edit("other.py", bytes(1), bytes(2), ended + ms(500)),
        );
        started_id(&cmds);
        assert!(m.reruns.paused.is_empty());
    }

    #[test]
    fn saves_at_different_moments_of_each_run_are_not_a_loop() {
        let mut m = model();
        let mut id = started_id(&m.init());
        let ms = std::time::Duration::from_millis;
        let mut t = Instant::now();
        for offset in [500, 4000, 1500, 6000] {
            run_started(&mut m, id, t);
            let cmds = update(
                &mut m,
                edit("a.py", bytes(offset), bytes(offset + 1), t + ms(offset)),
            );
            assert_eq!(cmds[0], Cmd::CancelRun { id });
            id = started_id(&cmds);
            t += ms(offset + 10);
        }
        assert!(m.reruns.paused.is_empty());
    }

    #[test]
    fn a_config_change_reloads_it_unless_it_was_just_emptied() {
        let mut m = model();
        let id = started_id(&m.init());
        let t = Instant::now();
        run_started(&mut m, id, t);
        let cmds = update(&mut m, edit("specbench.toml", bytes(1), bytes(2), t));
        assert_eq!(cmds, vec![Cmd::LoadConfig], "no run until it is read");
        assert!(update(&mut m, edit("specbench.toml", bytes(2), EMPTY, t)).is_empty());
        // The user's config, outside the workspace.
        m.config_files
            .push(PathBuf::from("/home/u/.config/specbench/config.toml"));
        let user = "/home/u/.config/specbench/config.toml";
        let cmds = update(&mut m, edit(user, bytes(1), bytes(2), t));
        assert_eq!(cmds, vec![Cmd::LoadConfig]);
    }

    #[test]
    fn a_reloaded_config_applies_now_what_it_can_and_reruns_behind_the_run() {
        let mut m = model();
        started_id(&m.init());
        let mut new = m.config.clone();
        new.tests.command = "make test".into();
        new.code.include = vec!["**/*.rs".into()];
        new.loop_.fix_rounds = 7;
        new.model.model = "other-model".into();
        let cmds = update(
            &mut m,
            Msg::Event(AppEvent::ConfigLoaded(Ok(Box::new(new)))),
        );
        assert_eq!(m.config.tests.command, "make test");
        assert_eq!(m.config.loop_.fix_rounds, 7);
        assert_eq!(
            m.config.model.model, "gpt-4.1-mini",
            "[model] waits for a restart"
        );
        assert!(m.code_globs.is_match("src/lib.rs") && !m.code_globs.is_match("a.py"));
        assert!(cmds.contains(&Cmd::UseConfig {
            tests: Box::new(m.config.tests.clone()),
            code: Box::new(m.config.code.clone()),
        }));
        assert!(
            cmds.contains(&Cmd::ScanCode),
            "the scan gives the context worker its scope"
        );
        assert!(!cancels(&cmds), "a config change never kills a run");
        assert_eq!(m.results.queued, Some(Trigger::Config));
        assert_eq!(
            m.notice.as_ref().unwrap().text,
            "Config reloaded: [tests], [code], [loop] in force · [model] from the next start"
        );
    }

    #[test]
    fn a_bad_config_keeps_the_settings_in_force_and_says_where() {
        let mut m = model();
        let before = m.config.clone();
        let why = "specbench.toml:3:1: `tests.timeout_secs`: must be at least 1".to_string();
        let cmds = update(&mut m, Msg::Event(AppEvent::ConfigLoaded(Err(why))));
        assert_eq!(m.config, before);
        assert!(
            !cmds
                .iter()
                .any(|c| matches!(c, Cmd::StartRun { .. } | Cmd::UseConfig { .. }))
        );
        let notice = m.notice.as_ref().unwrap();
        assert_eq!(notice.kind, NoticeKind::Error);
        assert_eq!(
            notice.text,
            "specbench.toml:3:1: `tests.timeout_secs`: must be at least 1 · config not \
             reloaded, the settings in force stay"
        );
    }

    #[test]
    fn a_code_save_during_a_run_restarts_it() {
        let mut m = model();
        let first = started_id(&m.init());
        let cmds = update(&mut m, changed(&["pkg/mod.py"], Instant::now()));
        assert_eq!(cmds[0], Cmd::CancelRun { id: first });
        started_id(&cmds);
        assert_eq!(
            m.results.running.as_ref().unwrap().trigger,
            Trigger::Saved("pkg/mod.py".into())
        );
    }

    #[test]
    fn spec_and_selected_file_changes_reload_them() {
        let mut m = model();
        update(
            &mut m,
            Msg::Event(AppEvent::CodeFilesFound(Ok(vec!["a.py".into()]))),
        );
        let cmds = update(
            &mut m,
            changed(&["SPEC.md", "a.py", "new.py"], Instant::now()),
        );
        assert!(cmds.contains(&Cmd::LoadSpec));
        assert!(
            cmds.contains(&Cmd::ScanCode),
            "a new code file rescans the list"
        );
        assert!(
            cmds.iter()
                .any(|c| matches!(c, Cmd::LoadFile { path, .. } if path.to_str() == Some("a.py")))
        );
        assert_eq!(
            m.results.running.as_ref().unwrap().trigger,
            Trigger::Changes(3)
        );
    }

    #[test]
    fn x_cancels_the_run() {
        let mut m = model();
        let id = started_id(&m.init());
        let cmds = ch(&mut m, 'x');
        assert_eq!(cmds[0], Cmd::CancelRun { id });
        let cmds = {
            let t = Instant::now();
            update(
                &mut m,
                Msg::Event(AppEvent::RunFinished {
                    id,
                    report: report(t, vec![]),
                }),
            );
            ch(&mut m, 'x')
        };
        assert!(m.notice.as_ref().unwrap().text.contains("No test run"));
        assert_eq!(cmds.len(), 1);
    }

    #[test]
    fn results_list_selection_and_detail() {
        let mut m = model();
        let id = started_id(&m.init());
        let results = vec![
            TestResult::new("b_pass", TestStatus::Passed),
            TestResult::new("z_fail", TestStatus::Failed),
            TestResult::new("a_skip", TestStatus::Skipped),
        ];
        update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id,
                report: report(Instant::now(), results),
            }),
        );
        let last = m.results.last.as_ref().unwrap();
        let names: Vec<&str> = last
            .order
            .iter()
            .map(|&i| last.report.results[i].name.as_str())
            .collect();
        assert_eq!(names, ["z_fail", "a_skip", "b_pass"], "failures first");
        ch(&mut m, '4');
        key(&mut m, KeyCode::Down);
        key(&mut m, KeyCode::Down);
        key(&mut m, KeyCode::Down);
        assert_eq!(m.results.selected, 2);
        key(&mut m, KeyCode::Home);
        assert_eq!(m.results.selected, 0);
        key(&mut m, KeyCode::Enter);
        assert!(m.results.detail);
        key(&mut m, KeyCode::Enter);
        assert!(!m.results.detail);
    }

    #[test]
    fn selection_follows_the_test_across_runs() {
        let mut m = model();
        let id = started_id(&m.init());
        let t = Instant::now();
        let run = |names: &[(&str, TestStatus)]| {
            names
                .iter()
                .map(|(n, s)| TestResult::new(*n, *s))
                .collect::<Vec<_>>()
        };
        update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id,
                report: report(
                    t,
                    run(&[("a", TestStatus::Passed), ("b", TestStatus::Passed)]),
                ),
            }),
        );
        ch(&mut m, '4');
        key(&mut m, KeyCode::Down);
        let id = started_id(&ch(&mut m, 'r'));
        update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id,
                report: report(
                    t,
                    run(&[
                        ("0new", TestStatus::Passed),
                        ("a", TestStatus::Passed),
                        ("b", TestStatus::Passed),
                    ]),
                ),
            }),
        );
        let last = m.results.last.as_ref().unwrap();
        assert_eq!(
            last.report.results[last.order[m.results.selected]].name,
            "b"
        );
    }

    #[test]
    fn a_new_failure_takes_the_selection() {
        let mut m = model();
        let id = started_id(&m.init());
        let t = Instant::now();
        let run = |names: &[(&str, TestStatus)]| {
            names
                .iter()
                .map(|(n, s)| TestResult::new(*n, *s))
                .collect::<Vec<_>>()
        };
        let all_pass = run(&[("a", TestStatus::Passed), ("b", TestStatus::Passed)]);
        update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id,
                report: report(t, all_pass),
            }),
        );
        ch(&mut m, '4');
        key(&mut m, KeyCode::Down);
        let id = started_id(&ch(&mut m, 'r'));
        let b_fails = run(&[("a", TestStatus::Passed), ("b", TestStatus::Failed)]);
        update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id,
                report: report(t, b_fails),
            }),
        );
        let last = m.results.last.as_ref().unwrap();
        assert_eq!(
            last.report.results[last.order[m.results.selected]].name,
            "b"
        );
        ch(&mut m, 'j');
        let last = m.results.last.as_ref().unwrap();
        assert_eq!(
            last.report.results[last.order[m.results.selected]].name,
            "a"
        );
        let id = started_id(&ch(&mut m, 'r'));
        let b_fails = run(&[("a", TestStatus::Passed), ("b", TestStatus::Failed)]);
        update(
            &mut m,
            Msg::Event(AppEvent::RunFinished {
                id,
                report: report(t, b_fails),
            }),
        );
        assert_eq!(
            m.results.selected, 0,
            "from a passing test to the first failure"
        );
    }

    #[test]
    fn ctrl_z_asks_for_a_suspend() {
        let mut m = model();
        let cmds = update(
            &mut m,
            Msg::Key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL)),
        );
        assert_eq!(cmds, vec![Cmd::Suspend]);
    }
}
