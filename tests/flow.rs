//! Flow tests: scripted keys through the real event loop (`app::run`) with a `TestBackend`,
//! real effects and a real demo workspace on disk.

mod common;

use std::io;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc::{UnboundedSender, unbounded};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use specbench::app::{self, NoHost};
use specbench::config::{self, Overrides};
use specbench::effects::Effects;
use specbench::model::{AppEvent, Mode, Model, Msg, Overlay, Pane};
use specbench::theme::ThemeSource;
use specbench::watch::{WatchConfig, Watcher};
use std::path::Path;

struct Run {
    model: Model,
    terminal: Terminal<TestBackend>,
    host: NoHost,
}

/// Opens the demo workspace as its story ends (tests and implementation written) in the real
/// loop, lets `script` type into it, and returns the end.
async fn run_demo<F, Fut>(cols: u16, rows: u16, script: F) -> Run
where
    F: FnOnce(UnboundedSender<io::Result<Event>>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    finished_demo(dir.path());
    run_in(dir.path(), cols, rows, script).await
}

/// The demo workspace as its story ends: the tests and the implementation written.
fn finished_demo(root: &Path) {
    specbench::demo::write_into(root).unwrap();
    for (rel, text) in specbench::assets::DEMO_STORY_FILES {
        std::fs::write(root.join(rel), text).unwrap();
    }
}

/// Runs the real loop on the workspace at `root`, with its file watcher.
async fn run_in<F, Fut>(root: &Path, cols: u16, rows: u16, script: F) -> Run
where
    F: FnOnce(UnboundedSender<io::Result<Event>>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let theme = ThemeSource::default().load("default").unwrap();
    run_themed(root, cols, rows, (theme, None), script).await
}

/// [`run_in`] with a theme as `ThemeSource::load_or_default` gives it: a theme that could not be
/// used is reported as the binary reports it when it opens.
async fn run_themed<F, Fut>(
    root: &Path,
    cols: u16,
    rows: u16,
    (theme, theme_error): (
        specbench::theme::Theme,
        Option<specbench::theme::ThemeError>,
    ),
    script: F,
) -> Run
where
    F: FnOnce(UnboundedSender<io::Result<Event>>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let config = config::load(root, &Overrides::default()).unwrap();
    let mut model = Model::new(root.to_path_buf(), "~/demo".into(), config.clone(), theme);
    let opening = specbench::commands::tui::opening_notices(&mut model, None, theme_error.as_ref());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (watch_tx, mut watch_rx) = tokio::sync::mpsc::unbounded_channel();
    let _watcher =
        Watcher::start(WatchConfig::new(root.to_path_buf(), Vec::new()), watch_tx).unwrap();
    let forward = tx.clone();
    tokio::spawn(async move {
        while let Some(event) = watch_rx.recv().await {
            let _ = forward.send(Msg::Event(AppEvent::Watch(event)));
        }
    });
    let effects = Effects::new(root.to_path_buf(), config, tx);
    for cmd in opening {
        effects.run(cmd);
    }
    let (keys_tx, keys_rx) = unbounded();
    let mut terminal = Terminal::new(TestBackend::new(cols, rows)).unwrap();
    let mut host = NoHost::default();
    let run = app::run(&mut terminal, keys_rx, &mut host, model, &effects, rx);
    let (model, ()) = tokio::join!(run, script(keys_tx));
    Run {
        model: model.unwrap(),
        terminal,
        host,
    }
}

fn press(tx: &UnboundedSender<io::Result<Event>>, code: KeyCode, modifiers: KeyModifiers) {
    tx.unbounded_send(Ok(Event::Key(KeyEvent::new(code, modifiers))))
        .unwrap();
}

fn type_str(tx: &UnboundedSender<io::Result<Event>>, text: &str) {
    for c in text.chars() {
        press(tx, KeyCode::Char(c), KeyModifiers::NONE);
    }
}

/// Gives the effects (file reads on the blocking pool) time to report back.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn the_loop_loads_the_workspace_and_answers_keys() {
    let run = run_demo(120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "3z");
        settle().await;
        type_str(&tx, "q");
    })
    .await;
    assert_eq!(run.model.focus, Pane::Code);
    assert!(run.model.zoomed);
    assert!(run.model.should_quit);
    let screen = screen_text(&run.terminal);
    assert!(screen.contains("3 Code"), "{screen}");
    assert!(screen.contains("from collections import deque"), "{screen}");
    assert!(
        !screen.contains("1 Spec"),
        "zoomed: only the code pane\n{screen}"
    );
}

#[tokio::test]
async fn help_opens_from_the_keymap_and_closes() {
    let run = run_demo(120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "?");
        settle().await;
        press(&tx, KeyCode::Esc, KeyModifiers::NONE);
        type_str(&tx, "?");
        settle().await;
        press(&tx, KeyCode::Char('c'), KeyModifiers::CONTROL);
    })
    .await;
    let screen = screen_text(&run.terminal);
    assert!(screen.contains("Keys"), "{screen}");
    assert!(screen.contains("zoom the focused pane"), "{screen}");
    assert!(run.model.should_quit);
}

#[tokio::test]
async fn quitting_with_a_draft_asks_first() {
    let run = run_demo(120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "ihello");
        press(&tx, KeyCode::Esc, KeyModifiers::NONE);
        type_str(&tx, "q");
        settle().await;
        type_str(&tx, "y");
    })
    .await;
    // The demo offers its first recorded message in the composer; typing adds to it.
    assert!(
        run.model.draft().ends_with("hello"),
        "{}",
        run.model.draft()
    );
    assert_eq!(run.model.mode, Mode::Normal);
    assert!(matches!(
        run.model.overlay,
        Some(Overlay::ConfirmQuit { .. })
    ));
    let screen = screen_text(&run.terminal);
    assert!(screen.contains("Quit specbench?"), "{screen}");
    assert!(screen.contains("unsent message"), "{screen}");
}

#[tokio::test]
async fn ctrl_z_suspends_through_the_host_and_resumes() {
    let run = run_demo(120, 40, |tx| async move {
        settle().await;
        press(&tx, KeyCode::Char('z'), KeyModifiers::CONTROL);
        type_str(&tx, "2");
        settle().await;
        type_str(&tx, "q");
    })
    .await;
    assert_eq!(run.host.suspends, 1);
    assert_eq!(
        run.model.focus,
        Pane::Conversation,
        "keys work after resume"
    );
}

#[tokio::test]
async fn code_files_switch_with_brackets() {
    let run = run_demo(120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "3]");
        settle().await;
        type_str(&tx, "q");
    })
    .await;
    let screen = screen_text(&run.terminal);
    assert!(screen.contains("class FakeClock"), "{screen}");
    assert!(screen.contains(" 2/2 "), "{screen}");
}

#[tokio::test]
async fn end_of_input_quits() {
    let run = run_demo(80, 24, |tx| async move {
        settle().await;
        drop(tx);
    })
    .await;
    assert!(run.model.should_quit);
}

#[tokio::test]
async fn saving_a_file_reruns_the_tests_and_shows_each_fate() {
    let dir = tempfile::tempdir().unwrap();
    finished_demo(dir.path());
    let root = dir.path().to_path_buf();
    let run = run_in(&root, 120, 40, |tx| {
        let root = root.clone();
        async move {
            // The run on open finishes first.
            tokio::time::sleep(Duration::from_secs(3)).await;
            // Break R1: every request is allowed.
            let path = root.join("rate_limiter.py");
            let code = std::fs::read_to_string(&path).unwrap();
            let broken = code.replacen(
                "def allow(self, user_id: str) -> tuple[bool, int]:",
                "def allow(self, user_id: str) -> tuple[bool, int]:\n        return (True, 0)",
                1,
            );
            assert_ne!(code, broken, "the demo's allow() was found");
            std::fs::write(&path, broken).unwrap();
            tokio::time::sleep(Duration::from_secs(3)).await;
            type_str(&tx, "4");
            settle().await;
            type_str(&tx, "q");
        }
    })
    .await;
    let results = &run.model.results;
    let last = results.last.as_ref().expect("a finished run");
    assert_eq!(last.number, 2, "one run on open, one after the save");
    assert_eq!(
        last.trigger,
        specbench::model::results::Trigger::Saved("rate_limiter.py".into())
    );
    let counts = last.report.counts();
    assert!(counts.failed >= 1, "{counts:?}");
    assert!(counts.passed >= 1, "{counts:?}");
    let screen = screen_text(&run.terminal);
    assert!(screen.contains("failed"), "{screen}");
    assert!(
        screen.contains("· tests in test_rate_limiter.RateLimiterTest"),
        "{screen}"
    );
    assert!(
        screen.contains("✗ test_r1_over_limit_is_refused"),
        "{screen}"
    );
}

/// Waits until `ready` holds for the files on disk, checking every 50 ms, at most `secs`.
async fn wait_for(secs: u64, mut ready: impl FnMut() -> bool) {
    for _ in 0..secs * 20 {
        if ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_forbidden_import_turns_its_clause_red_and_enter_jumps_to_it() {
    let dir = tempfile::tempdir().unwrap();
    finished_demo(dir.path());
    let root = dir.path().to_path_buf();
    let run = run_in(&root, 120, 40, |tx| {
        let root = root.clone();
        async move {
            // The first open pins the spec.
            let pin = root.join(".specbench/pins/v1.json");
            wait_for(5, || pin.exists()).await;
            settle().await;
            let path = root.join("rate_limiter.py");
            let code = std::fs::read_to_string(&path).unwrap();
            let broken = code.replacen("import math\n", "import math\nimport requests\n", 1);
            std::fs::write(&path, broken).unwrap();
            tokio::time::sleep(Duration::from_secs(2)).await;
            // The new violation is selected: Enter shows the offending line.
            press(&tx, KeyCode::Enter, KeyModifiers::NONE);
            settle().await;
            type_str(&tx, "q");
        }
    })
    .await;
    let spec = &run.model.spec;
    let pinned = spec.pinned.as_ref().expect("pinned on first open");
    assert_eq!(pinned.pin.version, 1);
    let r3 = pinned
        .spec
        .clauses
        .iter()
        .position(|c| c.id == "R3")
        .unwrap();
    assert_eq!(
        spec.eval.clauses[r3].status,
        specbench::spec::eval::Status::Violated
    );
    assert_eq!(spec.selected, r3, "the new violation is selected");
    assert_eq!(run.model.focus, Pane::Code, "Enter jumped to the code");
    assert_eq!(run.model.code.mark, Some(4));
    let screen = screen_text(&run.terminal);
    assert!(screen.contains("1 violated"), "{screen}");
    assert!(screen.contains("✗ [R3]"), "{screen}");
    assert!(
        screen.contains("rate_limiter.py:4  import requests"),
        "{screen}"
    );
    assert!(screen.contains("R3 forbids this"), "{screen}");
}

#[tokio::test]
async fn editing_the_spec_shows_the_change_and_p_pins_it() {
    let dir = tempfile::tempdir().unwrap();
    finished_demo(dir.path());
    let root = dir.path().to_path_buf();
    let pins = root.join(".specbench/pins");
    let edited = run_in(&root, 120, 40, |tx| {
        let (root, pins) = (root.clone(), pins.clone());
        async move {
            wait_for(5, || pins.join("v1.json").exists()).await;
            settle().await;
            let path = root.join("SPEC.md");
            let spec = std::fs::read_to_string(&path).unwrap();
            std::fs::write(
                &path,
                spec.replace("at most 100 allowed", "at most 50 allowed"),
            )
            .unwrap();
            tokio::time::sleep(Duration::from_secs(1)).await;
            type_str(&tx, "q");
        }
    })
    .await;
    assert!(
        !pins.join("v2.json").exists(),
        "nothing is pinned behind the user's back"
    );
    let diff = edited.model.spec.diff.as_ref().expect("the edit is seen");
    let ids: Vec<&str> = diff.changes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["R1"]);
    let screen = screen_text(&edited.terminal);
    assert!(
        screen.contains("SPEC.md edited since v1: 1 changed · p pins v2"),
        "{screen}"
    );
    assert!(
        screen.contains("spec edited"),
        "the title says so too\n{screen}"
    );
    assert!(
        edited
            .model
            .spec
            .pinned
            .as_ref()
            .unwrap()
            .pin
            .text
            .contains("at most 100 allowed"),
        "clauses are still judged against the pin"
    );

    // Reopened: the pin is read back, and p pins the edit as v2.
    let pinned = run_in(&root, 120, 40, |tx| {
        let pins = pins.clone();
        async move {
            settle().await;
            type_str(&tx, "p");
            wait_for(5, || pins.join("v2.json").exists()).await;
            settle().await;
            type_str(&tx, "q");
        }
    })
    .await;
    let spec = &pinned.model.spec;
    let pin = &spec.pinned.as_ref().unwrap().pin;
    assert_eq!(pin.version, 2);
    assert!(pin.text.contains("at most 50 allowed"), "v2 holds the edit");
    assert!(!spec.changed_on_disk(), "the pin matches the file again");
}

#[tokio::test]
async fn a_theme_error_on_first_open_is_not_covered_by_the_pinned_notice() {
    let dir = tempfile::tempdir().unwrap();
    finished_demo(dir.path());
    let themes = tempfile::tempdir().unwrap();
    std::fs::write(
        themes.path().join("mine.toml"),
        "inherits = \"default\"\nsyntax = \"no-such-syntax\"\n",
    )
    .unwrap();
    let source = ThemeSource {
        user_dir: Some(themes.path().to_path_buf()),
        no_color: false,
    };
    let root = dir.path().to_path_buf();
    let pins = root.join(".specbench/pins");
    let run = run_themed(&root, 120, 40, source.load_or_default("mine"), |tx| {
        let pins = pins.clone();
        async move {
            // The first open pins the spec, which says so in a notice.
            wait_for(5, || pins.join("v1.json").exists()).await;
            settle().await;
            type_str(&tx, "q");
        }
    })
    .await;
    let pinned = run
        .model
        .spec
        .pinned
        .as_ref()
        .expect("pinned on first open");
    assert_eq!(pinned.pin.version, 1);
    let screen = screen_text(&run.terminal);
    assert!(
        screen.contains("mine.toml:2: syntax: unknown syntax theme `no-suc"),
        "{screen}"
    );
    let waiting = run
        .model
        .notice_waiting
        .as_ref()
        .expect("the pin's notice waits");
    assert!(
        waiting.text.starts_with("Pinned SPEC.md as v1"),
        "{waiting:?}"
    );
}

#[tokio::test]
async fn e_lends_the_terminal_to_the_editor_on_the_spec() {
    let run = run_demo(120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "e");
        settle().await;
        type_str(&tx, "q");
    })
    .await;
    let edits = &run.host.edits;
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert!(edits[0].ends_with("SPEC.md"), "{edits:?}");
    assert!(
        run.model.should_quit,
        "the cockpit came back and answered keys"
    );
}

/// The demo workspace with its cassette paced at `speed`.
fn demo_at_speed(speed: f64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    specbench::demo::write_into(dir.path()).unwrap();
    let path = dir.path().join("specbench.toml");
    let toml = std::fs::read_to_string(&path).unwrap();
    let toml = toml.replace(
        "cassette = \"demo.cassette.jsonl\"",
        &format!("cassette = \"demo.cassette.jsonl\"\nreplay_speed = {speed:?}"),
    );
    std::fs::write(&path, toml).unwrap();
    dir
}

#[tokio::test]
async fn enter_sends_the_offered_message_and_the_cassette_reply_streams_in() {
    let dir = demo_at_speed(0.0);
    let run = run_in(dir.path(), 120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "2");
        press(&tx, KeyCode::Enter, KeyModifiers::NONE); // compose
        press(&tx, KeyCode::Enter, KeyModifiers::NONE); // send the offered message
        settle().await;
        press(&tx, KeyCode::Esc, KeyModifiers::NONE);
        type_str(&tx, "q");
    })
    .await;
    let messages = &run.model.conversation.messages;
    assert_eq!(messages.len(), 2);
    assert!(
        messages[0]
            .text
            .starts_with("Write the tests for the pinned spec")
    );
    assert!(
        messages[1]
            .text
            .starts_with("Tests first, at least one per clause")
    );
    assert!(
        messages[1]
            .text
            .ends_with("the behaviour is missing, nothing is broken.\n")
    );
    assert!(
        run.model.should_quit,
        "an untouched offer is not unsent work"
    );
    let screen = screen_text(&run.terminal);
    // The view follows the reply to its end.
    let last = messages[1]
        .lines()
        .iter()
        .map(|l| l.to_string())
        .rfind(|l| !l.trim().is_empty())
        .unwrap();
    assert!(screen.contains(last.trim_end()), "{last}\n{screen}");
}

#[tokio::test]
async fn esc_cancels_a_reply_mid_stream_and_keeps_what_arrived() {
    let dir = demo_at_speed(1.0);
    let run = run_in(dir.path(), 120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "2");
        press(&tx, KeyCode::Enter, KeyModifiers::NONE);
        press(&tx, KeyCode::Enter, KeyModifiers::NONE);
        tokio::time::sleep(Duration::from_millis(900)).await;
        press(&tx, KeyCode::Esc, KeyModifiers::NONE); // leave compose
        press(&tx, KeyCode::Esc, KeyModifiers::NONE); // cancel the reply
        settle().await;
        press(&tx, KeyCode::Char('c'), KeyModifiers::CONTROL);
        type_str(&tx, "y");
    })
    .await;
    let reply = &run.model.conversation.messages[1];
    assert!(!reply.text.is_empty(), "some of the reply arrived");
    let whole = common::demo_replies()[0]
        .1
        .iter()
        .filter_map(|e| match e {
            specbench::llm::client::ReplyEvent::Delta(t) => Some(t.len()),
            _ => None,
        })
        .sum::<usize>();
    assert!(
        reply.text.len() < whole / 2,
        "the rest never did: {} of {whole}",
        reply.text.len()
    );
    assert_eq!(
        reply.status,
        specbench::model::conversation::MessageStatus::Interrupted("cancelled".into())
    );
    assert!(!run.model.conversation.streaming());
}

#[tokio::test]
async fn ctrl_e_lends_the_draft_to_the_editor_and_takes_it_back() {
    let dir = demo_at_speed(0.0);
    let root = dir.path().to_path_buf();
    let run = run_in(dir.path(), 120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "i");
        press(&tx, KeyCode::Char('e'), KeyModifiers::CONTROL);
        settle().await;
        press(&tx, KeyCode::Esc, KeyModifiers::NONE);
        press(&tx, KeyCode::Char('c'), KeyModifiers::CONTROL);
        type_str(&tx, "y");
    })
    .await;
    let draft_file = root.join(".specbench/draft.md");
    assert_eq!(run.host.edits, vec![draft_file.clone()]);
    assert!(
        !draft_file.exists(),
        "the draft file is removed after the edit"
    );
    assert!(
        run.model.draft().starts_with("Write the tests"),
        "{}",
        run.model.draft()
    );
}

#[tokio::test]
async fn ctrl_e_never_writes_the_draft_through_a_planted_symlink() {
    let dir = demo_at_speed(0.0);
    let root = dir.path().to_path_buf();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "# the user's shell profile\n").unwrap();
    std::fs::create_dir_all(root.join(".specbench")).unwrap();
    std::os::unix::fs::symlink(&victim, root.join(".specbench/draft.md")).unwrap();
    let run = run_in(dir.path(), 120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "i");
        press(&tx, KeyCode::Char('e'), KeyModifiers::CONTROL);
        settle().await;
        press(&tx, KeyCode::Esc, KeyModifiers::NONE);
        press(&tx, KeyCode::Char('c'), KeyModifiers::CONTROL);
        type_str(&tx, "y");
    })
    .await;
    assert_eq!(run.host.edits.len(), 1);
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "# the user's shell profile\n"
    );
    assert!(run.model.draft().starts_with("Write the tests"));
    assert!(std::fs::symlink_metadata(root.join(".specbench/draft.md")).is_err());
}

#[tokio::test]
async fn a_reply_proposing_a_file_is_reviewed_applied_tested_and_undone() {
    let dir = demo_at_speed(0.0);
    let root = dir.path().to_path_buf();
    // Reviewed by hand, not applied as it arrives.
    let toml = std::fs::read_to_string(root.join("specbench.toml")).unwrap();
    let toml = toml.replace("auto_apply = true", "auto_apply = false");
    std::fs::write(root.join("specbench.toml"), toml).unwrap();
    let new_file = root.join("test_rate_limiter.py");
    let probe = new_file.clone();
    let run = run_in(dir.path(), 120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "2");
        press(&tx, KeyCode::Enter, KeyModifiers::NONE); // compose
        press(&tx, KeyCode::Enter, KeyModifiers::NONE); // the Tests step: proposes a test file
        settle().await;
        press(&tx, KeyCode::Esc, KeyModifiers::NONE);
        assert!(!probe.exists(), "nothing is written before review");
        type_str(&tx, "A");
        // Long enough for the run the apply triggers to finish, even on a busy machine.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert!(probe.exists(), "applied");
        type_str(&tx, "u");
        tokio::time::sleep(Duration::from_millis(2500)).await;
        type_str(&tx, "q");
    })
    .await;
    assert!(!new_file.exists(), "the undo removed the created file");
    // The demo starts without tests; the applied file brings 11 (14 results against the stub:
    // test_r8's four subTests fail one by one), and the undo takes them away.
    let totals: Vec<usize> = run
        .model
        .results
        .history
        .iter()
        .map(|r| r.counts.passed + r.counts.failed + r.counts.skipped)
        .collect();
    assert!(totals.contains(&14), "the applied tests ran: {totals:?}");
    assert_eq!(
        totals.last(),
        Some(&0),
        "and left with the undo: {totals:?}"
    );
    let checkpoints = root.join(".specbench/checkpoints");
    assert!(checkpoints.is_dir());
}

#[tokio::test]
async fn a_50000_line_file_does_not_block_the_loop() {
    let dir = demo_at_speed(0.0);
    let big: String = (0..50_000)
        .map(|i| format!("x_{i} = {i}  # line\n"))
        .collect();
    std::fs::write(dir.path().join("big.py"), big).unwrap();
    let run = run_in(dir.path(), 120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "3"); // big.py is listed first, so it is the file open
        // Keys right behind the load are answered at once.
        for _ in 0..5 {
            press(&tx, KeyCode::PageDown, KeyModifiers::NONE);
        }
        type_str(&tx, "4");
        settle().await;
        type_str(&tx, "3");
        press(&tx, KeyCode::End, KeyModifiers::NONE);
        settle().await;
        type_str(&tx, "q");
    })
    .await;
    assert_eq!(run.model.focus, Pane::Code);
    let specbench::model::Loaded::Ready(file) = &run.model.code.content else {
        panic!("the big file is shown");
    };
    assert_eq!(file.lines.len(), 50_000);
    assert!(run.model.code.scroll > 49_000, "End reaches the last lines");
    let screen = screen_text(&run.terminal);
    assert!(screen.contains("x_49999 = 49999"), "{screen}");
    assert!(screen.contains("plain: too long to highlight"), "{screen}");
}

/// A shop whose spec names `shop/cart.py`; its test lives in another file, and a bug in
/// `shop/tax.py` (a third file, only mapped at first) is what a failing test points to.
fn shop_workspace(root: &Path, url: &str) {
    let files = [
        (
            "specbench.toml".to_string(),
            format!(
                "spec = \"SPEC.md\"\n[tests]\ncommand = \"python3 -m unittest -v\"\n\
                 [code]\ninclude = [\"**/*.py\"]\n\
                 [model]\nprovider = \"openai\"\nmodel = \"gpt-4o-mini\"\n\
                 base_url = \"{url}/v1\"\napi_key_env = \"SPECBENCH_FLOW_NO_KEY\"\n\
                 context_window = 16000\nmax_output_tokens = 1000\n\
                 [context]\nall_below_tokens = 50\n"
            ),
        ),
        (
            "SPEC.md".into(),
            "# Cart\n\nThe cart in `shop/cart.py` totals its lines and adds the region's tax.\n\n\
             - R1: a cart of one 100 apple in `eu` totals 120.\n"
                .into(),
        ),
        (
            "shop/cart.py".into(),
            "from shop.tax import tax_for\n\n\nclass Cart:\n    def __init__(self, region):\n        \
             self.region = region\n        self.lines = []\n\n    def add(self, price):\n        \
             self.lines.append(price)\n\n    def total(self):\n        net = sum(self.lines)\n        \
             return net + tax_for(self.region, net)\n"
                .into(),
        ),
        (
            "shop/tax.py".into(),
            "RATES = {\"eu\": 20, \"us\": 7}\n\n\ndef tax_for(region, net):\n    \
             return net * RATES[region] // 100\n"
                .into(),
        ),
        (
            "shop/report.py".into(),
            "import csv\n\n\ndef write_report(rows, path):\n    with open(path, \"w\") as f:\n        \
             csv.writer(f).writerows(rows)\n"
                .into(),
        ),
        (
            "test_cart.py".into(),
            "import unittest\n\nfrom shop.cart import Cart\n\n\nclass CartTest(unittest.TestCase):\n    \
             def test_r1_eu_total(self):\n        cart = Cart(\"eu\")\n        cart.add(100)\n        \
             self.assertEqual(cart.total(), 120)\n"
                .into(),
        ),
    ];
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

#[tokio::test]
async fn a_failing_test_pulls_the_file_its_traceback_names_into_the_next_request() {
    use common::sse_server::{Reply, Server, openai_stream};
    let server = Server::start_chat(vec![Reply::sse(openai_stream("Noted.", 8))]).await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    shop_workspace(&root, &server.url());
    let chats = |server: &Server| {
        server
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/chat/completions"))
            .map(|r| r.body)
            .collect::<Vec<_>>()
    };
    let run = run_in(&root, 120, 40, |tx| {
        let (root, server) = (root.clone(), &server);
        async move {
            // The run on open passes; the set is the spec's file, the rest is mapped.
            tokio::time::sleep(Duration::from_secs(3)).await;
            type_str(&tx, "2iFirst");
            press(&tx, KeyCode::Enter, KeyModifiers::NONE);
            wait_for(10, || chats(server).len() == 1).await;
            settle().await;
            // A bug in the tax: the test in test_cart.py fails, its traceback in shop/tax.py.
            std::fs::write(
                root.join("shop/tax.py"),
                "RATES = {\"eu\": 20, \"us\": 7}\n\n\ndef tax_for(region, net):\n    \
                 return net * RATES[region] // 0\n",
            )
            .unwrap();
            tokio::time::sleep(Duration::from_secs(4)).await;
            type_str(&tx, "Second");
            press(&tx, KeyCode::Enter, KeyModifiers::NONE);
            wait_for(10, || chats(server).len() == 2).await;
            settle().await;
            press(&tx, KeyCode::Esc, KeyModifiers::NONE);
            type_str(&tx, "q");
        }
    })
    .await;
    let bodies = chats(&server);
    assert_eq!(bodies.len(), 2, "two requests reached the server");
    let request: Vec<serde_json::Value> = bodies
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    let system = |r: &serde_json::Value| r["messages"][0]["content"].as_str().unwrap().to_string();
    let (first, second) = (system(&request[0]), system(&request[1]));
    // First: the spec's file in full; tax.py and the test only outlined in the map.
    assert!(first.contains("```py path=shop/cart.py\n"), "{first}");
    assert!(!first.contains("path=shop/tax.py"), "{first}");
    assert!(!first.contains("path=test_cart.py"), "{first}");
    assert!(first.contains("# Repository map"), "{first}");
    assert!(
        first.contains("shop/tax.py\n  def tax_for(region, net):"),
        "{first}"
    );
    // Second: the failing test's file and the file its traceback names, in full.
    assert!(second.contains("```py path=shop/cart.py\n"), "{second}");
    assert!(
        second.contains("```py path=test_cart.py\n"),
        "the failing test's file: {second}"
    );
    assert!(
        second.contains("```py path=shop/tax.py\nRATES = {\"eu\": 20, \"us\": 7}"),
        "the file the traceback names: {second}"
    );
    assert!(
        second.contains("ZeroDivisionError"),
        "the failure: {second}"
    );
    assert!(!second.contains("path=shop/report.py"), "{second}");
    assert_eq!(
        run.model.file_mark(Path::new("shop/tax.py")),
        specbench::model::context::FileMark::InSet(specbench::context::set::Reason::Failing)
    );
}

/// The next message the effects report, within 10 s.
async fn next_msg(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Msg>) -> Msg {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an answer")
        .expect("the channel is open")
}

#[tokio::test]
async fn a_fresh_session_starts_with_the_users_adds_and_drops() {
    use specbench::context::set::Choices;
    use specbench::model::Cmd;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    specbench::demo::write_into(root).unwrap();
    let config = config::load(root, &Overrides::default()).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = Effects::new(root.to_path_buf(), config, tx);
    effects.run(Cmd::OpenSession);
    loop {
        if let Msg::Event(AppEvent::SessionOpened { .. }) = next_msg(&mut rx).await {
            break;
        }
    }
    let context = Choices {
        added: vec!["rate_limiter.py".into()],
        dropped: vec!["test_rate_limiter.py".into()],
    };
    effects.run(Cmd::FreshSession {
        lessons: vec!["R4: keep the window sliding".into()],
        step: specbench::session::Step::Implement,
        pin: None,
        context: context.clone(),
    });
    let id = loop {
        if let Msg::Event(AppEvent::SessionStarted(started)) = next_msg(&mut rx).await {
            break started.expect("the fresh session's journal");
        }
    };
    let restored = specbench::session::store::SessionStore::new(root)
        .load(&id)
        .unwrap();
    assert_eq!(restored.context, context);
    assert_eq!(restored.lessons, ["R4: keep the window sliding"]);
}

#[tokio::test]
async fn after_ctrl_e_the_edited_draft_shows_at_once() {
    let dir = demo_at_speed(0.0);
    let root = dir.path();
    let config = config::load(root, &Overrides::default()).unwrap();
    let theme = ThemeSource::default().load("default").unwrap();
    let model = Model::new(root.to_path_buf(), "~/demo".into(), config.clone(), theme);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = Effects::new(root.to_path_buf(), config, tx);
    let (keys, keys_rx) = unbounded();
    let (backend, frame) = common::frames::FrameBackend::new(120, 40);
    let mut terminal = Terminal::new(backend).unwrap();
    let mut host = NoHost {
        writes: Some("Edited in the editor\n".into()),
        ..NoHost::default()
    };
    let script = async move {
        // Idle first: the first run in, nothing left to wake the loop.
        let first = frame.clone();
        wait_for(10, move || first.text().contains("no tests ran")).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        type_str(&keys, "i");
        press(&keys, KeyCode::Char('e'), KeyModifiers::CONTROL);
        // No other key: the loop shows the edited draft by itself.
        settle().await;
        let shown = frame.text();
        press(&keys, KeyCode::Esc, KeyModifiers::NONE);
        press(&keys, KeyCode::Char('c'), KeyModifiers::CONTROL);
        type_str(&keys, "y");
        shown
    };
    let (model, shown) = tokio::join!(
        app::run(&mut terminal, keys_rx, &mut host, model, &effects, rx),
        script
    );
    assert!(shown.contains("Edited in the editor"), "{shown}");
    assert_eq!(model.unwrap().draft(), "Edited in the editor");
}

#[tokio::test]
async fn the_offered_prompt_is_a_suggestion_typing_replaces() {
    let dir = demo_at_speed(0.0);
    let run = run_in(dir.path(), 120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "2");
        press(&tx, KeyCode::Enter, KeyModifiers::NONE); // compose: the step's prompt offered
        type_str(&tx, "Only R1, please");
        settle().await;
        press(&tx, KeyCode::Esc, KeyModifiers::NONE);
        press(&tx, KeyCode::Char('c'), KeyModifiers::CONTROL);
        type_str(&tx, "y");
    })
    .await;
    assert_eq!(run.model.draft(), "Only R1, please", "typing replaced it");
    assert!(run.model.draft_is_own());
}

#[tokio::test]
async fn tab_takes_the_suggestion_and_readline_keys_edit_the_line() {
    let dir = demo_at_speed(0.0);
    let run = run_in(dir.path(), 120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "2");
        press(&tx, KeyCode::Enter, KeyModifiers::NONE);
        press(&tx, KeyCode::Tab, KeyModifiers::NONE); // taken: typing now appends
        type_str(&tx, " Also R9");
        press(&tx, KeyCode::Char('w'), KeyModifiers::CONTROL); // the word R9 goes
        type_str(&tx, "R4");
        settle().await;
        press(&tx, KeyCode::Esc, KeyModifiers::NONE);
        press(&tx, KeyCode::Char('c'), KeyModifiers::CONTROL);
        type_str(&tx, "y");
    })
    .await;
    let draft = run.model.draft();
    assert!(draft.starts_with("Write the tests"), "{draft}");
    assert!(draft.ends_with(" Also R4"), "{draft}");
}

#[tokio::test]
async fn ctrl_u_clears_to_the_start_ctrl_a_and_end_move() {
    let dir = demo_at_speed(0.0);
    let run = run_in(dir.path(), 120, 40, |tx| async move {
        settle().await;
        type_str(&tx, "2");
        press(&tx, KeyCode::Enter, KeyModifiers::NONE);
        type_str(&tx, "first draft");
        press(&tx, KeyCode::Char('u'), KeyModifiers::CONTROL);
        type_str(&tx, "keep R4");
        press(&tx, KeyCode::Char('a'), KeyModifiers::CONTROL);
        type_str(&tx, "Please ");
        press(&tx, KeyCode::End, KeyModifiers::NONE);
        type_str(&tx, ".");
        settle().await;
        press(&tx, KeyCode::Esc, KeyModifiers::NONE);
        press(&tx, KeyCode::Char('c'), KeyModifiers::CONTROL);
        type_str(&tx, "y");
    })
    .await;
    assert_eq!(run.model.draft(), "Please keep R4.");
}

/// The demo workspace on the Implement step with a cassette whose first fix reply's SEARCH
/// block matches nothing, then a fix that writes the deque version; `auto_apply` as given.
fn stalling_demo(auto_apply: bool) -> tempfile::TempDir {
    let dir = demo_at_speed(0.0);
    let root = dir.path();
    for (rel, text) in specbench::assets::DEMO_STORY_FILES {
        if *rel == "test_rate_limiter.py" {
            std::fs::write(root.join(rel), text).unwrap();
        }
    }
    let lines: Vec<serde_json::Value> = common::demo_file("demo.cassette.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let implement_list = lines[1].clone();
    let mut bad_fix = lines[2].clone();
    let search = "<<<<<<< SEARCH\n            while times and now";
    let mut replaced = false;
    for event in bad_fix["events"].as_array_mut().unwrap() {
        if let Some(delta) = event["delta"].as_str()
            && delta.contains("while times")
        {
            event["delta"] = delta
                .replace("while times", "while nothing_like_this")
                .into();
            replaced = true;
        }
    }
    assert!(
        replaced,
        "the fix's SEARCH text was found to break: {search}"
    );
    let mut good_fix = lines[4].clone();
    good_fix["fix"] = true.into();
    let cassette: String = [implement_list, bad_fix, good_fix]
        .iter()
        .map(|e| format!("{e}\n"))
        .collect();
    std::fs::write(root.join("demo.cassette.jsonl"), cassette).unwrap();
    let path = root.join("specbench.toml");
    let toml = std::fs::read_to_string(&path)
        .unwrap()
        .replace("auto_apply = true ", &format!("auto_apply = {auto_apply} "))
        .replace("fresh_after = 2", "fresh_after = 5");
    std::fs::write(&path, toml).unwrap();
    dir
}

/// Sends the Implement prompt and waits for `done`, at most 30 s.
async fn implement_until(
    tx: &UnboundedSender<io::Result<Event>>,
    root: &Path,
    done: impl Fn(&str) -> bool,
) {
    settle().await;
    type_str(tx, "s2"); // Implement, the Conversation pane
    press(tx, KeyCode::Enter, KeyModifiers::NONE); // compose
    press(tx, KeyCode::Enter, KeyModifiers::NONE); // send the offered prompt
    let journal = || {
        let dir = root.join(".specbench/sessions");
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                    .collect::<String>()
            })
            .unwrap_or_default()
    };
    wait_for(30, || done(&journal())).await;
    settle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_fix_round_says_what_failed_without_auto_apply() {
    let dir = stalling_demo(false);
    let root = dir.path().to_path_buf();
    let run = run_in(&root, 120, 40, |tx| {
        let root = root.clone();
        async move {
            // The list arrives, waits for review: apply it; R4 breaks; round 1's edit fails.
            implement_until(&tx, &root, |j| j.contains(r#""step":"implement""#)).await;
            wait_for(20, || root.join("rate_limiter.py").exists()).await;
            tokio::time::sleep(Duration::from_secs(3)).await;
            press(&tx, KeyCode::Esc, KeyModifiers::NONE);
            type_str(&tx, "3A");
            tokio::time::sleep(Duration::from_secs(6)).await;
            press(&tx, KeyCode::Char('c'), KeyModifiers::CONTROL);
            type_str(&tx, "y");
        }
    })
    .await;
    let said: Vec<&str> = run
        .model
        .recent_notices
        .iter()
        .map(|n| n.text.as_str())
        .collect();
    let stalled = said
        .iter()
        .find(|t| t.contains("stalled"))
        .unwrap_or_else(|| panic!("{said:#?}"));
    assert!(
        stalled.starts_with("Fix round 1/3 stalled: no edit applies: rate_limiter.py refused"),
        "{stalled}"
    );
    assert!(
        stalled.contains("The loop stops (auto_apply is off)"),
        "{stalled}"
    );
    assert!(stalled.contains("i to ask again"), "{stalled}");
    assert_eq!(
        run.model.session.fix, None,
        "the loop says it stopped, and has"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_fix_round_goes_back_to_the_model_with_auto_apply() {
    let dir = stalling_demo(true);
    let root = dir.path().to_path_buf();
    let run = run_in(&root, 120, 40, |tx| {
        let root = root.clone();
        async move {
            implement_until(&tx, &root, |j| {
                j.matches(r#""kind":"fix""#).count() >= 2 || j.contains("deque()")
            })
            .await;
            wait_for(20, || {
                std::fs::read_to_string(root.join("rate_limiter.py"))
                    .is_ok_and(|c| c.contains("deque()"))
            })
            .await;
            tokio::time::sleep(Duration::from_secs(3)).await;
            press(&tx, KeyCode::Esc, KeyModifiers::NONE);
            press(&tx, KeyCode::Char('c'), KeyModifiers::CONTROL);
            type_str(&tx, "y");
        }
    })
    .await;
    let user: Vec<&str> = run
        .model
        .conversation
        .messages
        .iter()
        .filter(|m| m.role == specbench::llm::Role::User)
        .map(|m| m.text.as_str())
        .collect();
    let back = user
        .iter()
        .find(|t| t.contains("none of your edits could be applied"))
        .unwrap_or_else(|| panic!("{user:#?}"));
    assert!(back.starts_with("Fix round 2 of 3"), "{back}");
    assert!(back.contains("rate_limiter.py refused"), "{back}");
    let code = std::fs::read_to_string(root.join("rate_limiter.py")).unwrap();
    assert!(code.contains("deque()"), "the next round's answer applied");
}
