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
use specbench::model::{Mode, Model, Overlay, Pane};
use specbench::theme::ThemeSource;

struct Run {
    model: Model,
    terminal: Terminal<TestBackend>,
    host: NoHost,
}

/// Opens the demo workspace in the real loop, lets `script` type into it, and returns the end.
async fn run_demo<F, Fut>(cols: u16, rows: u16, script: F) -> Run
where
    F: FnOnce(UnboundedSender<io::Result<Event>>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    specbench::demo::write_into(dir.path()).unwrap();
    let config = config::load(dir.path(), &Overrides::default()).unwrap();
    let theme = ThemeSource::default().load("default").unwrap();
    let model = Model::new(
        dir.path().to_path_buf(),
        "~/demo".into(),
        config.clone(),
        theme,
    );
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = Effects::new(dir.path().to_path_buf(), config, tx);
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
    assert_eq!(run.model.draft(), "hello");
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
