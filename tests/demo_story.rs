//! The demo's cassette played through the real loop (real effects, file watcher, python3 tests
//! on the code the replay writes), driven by Enter on the offered prompts: key frames are
//! snapshotted and the story must end green with every clause holding.

mod common;

use std::io;
use std::path::Path;
use std::time::Duration;

use common::frames::{FrameBackend, LastFrame};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc::{UnboundedSender, unbounded};
use ratatui::Terminal;
use specbench::app::{self, NoHost};
use specbench::config::{self, Overrides};
use specbench::effects::Effects;
use specbench::model::presenter::Beat;
use specbench::model::{AppEvent, Model, Msg, update};
use specbench::session::Step;
use specbench::spec::eval::Status;
use specbench::theme::ThemeSource;
use specbench::watch::{WatchConfig, Watcher};

fn press(tx: &UnboundedSender<io::Result<Event>>, code: KeyCode) {
    tx.unbounded_send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))))
        .unwrap();
}

/// Every session journal of the workspace, concatenated.
fn journals(root: &Path) -> String {
    let dir = root.join(".specbench/sessions");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect()
}

/// Waits until `ready` holds, for at most `secs` seconds.
async fn wait_for(what: &str, secs: u64, mut ready: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !ready() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The frame with what varies from run to run (durations, run numbers, bar heights) masked.
fn stable(frame: &LastFrame) -> String {
    stable_str(&frame.text())
}

/// `stable` on a frame's text.
fn stable_str(text: &str) -> String {
    let durations = regex::Regex::new(r"\d+\.\d+ s").unwrap();
    let runs = regex::Regex::new(r"#\d+").unwrap();
    // A dialog may cover the `#` of the Results title's run number: the number alone, then.
    let covered = regex::Regex::new(r"(^|[^#\d])\d+ · #\.## s").unwrap();
    let text = durations.replace_all(text, "#.## s");
    let text = runs.replace_all(&text, "#n");
    let text = covered.replace_all(&text, "${1}n · #.## s");
    // The number of digits moves the title's border.
    let title = regex::Regex::new(r"─+ #n · ").unwrap();
    let text = title.replace_all(&text, "─── #n · ");
    // The history's bar heights depend on which runs a save restarted: keep only which runs
    // had tests.
    let bars = regex::Regex::new(r"[▂▃▄▅▆▇]").unwrap();
    bars.replace_all(&text, "█").into_owned()
}

/// Whether the gauge shows an exact count (the demo's model is counted with OpenAI's tables,
/// once the user pauses): a percentage without `~`.
fn exact_gauge(frame: &LastFrame) -> bool {
    let exact = regex::Regex::new(r"┃\d+% ").unwrap();
    exact.is_match(&frame.text())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_plays_the_essay_offline_and_ends_green() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    specbench::demo::write_into(&root).unwrap();
    let toml_path = root.join("specbench.toml");
    let toml = std::fs::read_to_string(&toml_path).unwrap().replace(
        "cassette = \"demo.cassette.jsonl\"",
        "cassette = \"demo.cassette.jsonl\"\nreplay_speed = 0.0",
    );
    std::fs::write(&toml_path, toml).unwrap();
    let config = config::load(&root, &Overrides::default()).unwrap();
    let theme = ThemeSource::default().load("default").unwrap();
    let mut model = Model::new(root.clone(), "~/demo".into(), config.clone(), theme);
    model.watching = true;
    model.start_composing();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (watch_tx, mut watch_rx) = tokio::sync::mpsc::unbounded_channel();
    let _watcher = Watcher::start(WatchConfig::new(root.clone(), Vec::new()), watch_tx).unwrap();
    let forward = tx.clone();
    tokio::spawn(async move {
        while let Some(event) = watch_rx.recv().await {
            let _ = forward.send(Msg::Event(AppEvent::Watch(event)));
        }
    });
    let effects = Effects::new(root.clone(), config, tx);
    let (keys, keys_rx) = unbounded();
    let (backend, frame) = FrameBackend::new(120, 40);
    let mut terminal = Terminal::new(backend).unwrap();
    let mut host = NoHost::default();
    let script_root = root.clone();
    let script = async move {
        let root = script_root;
        let has = |needle: &'static str| {
            let root = root.clone();
            move || journals(&root).contains(needle)
        };
        // The first run is in and the stepper offers the Tests prompt.
        wait_for("the Tests step", 10, || {
            frame.text().contains("Tests: ✗ no tests ran")
        })
        .await;
        // Tests: written, applied, failing for the right reason; the stepper moves on.
        press(&keys, KeyCode::Enter);
        wait_for("the Implement step", 20, has(r#""step":"implement""#)).await;
        // Implement: a list; two fix rounds bring R4 back; the session is poisoned.
        press(&keys, KeyCode::Enter);
        wait_for("the poisoning", 30, has(r#""type":"poisoned""#)).await;
        wait_for("the banner", 10, || {
            frame.text().contains("Likely poisoned")
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        wait_for("the exact count", 10, || exact_gauge(&frame)).await;
        insta::assert_snapshot!("demo_1_poisoned", stable(&frame));
        // A fresh session, seeded with the lesson.
        press(&keys, KeyCode::Char('F'));
        wait_for("the lessons review", 10, || {
            frame.text().contains("Fresh session")
        })
        .await;
        insta::assert_snapshot!("demo_2_lessons_review", stable(&frame));
        press(&keys, KeyCode::Enter);
        wait_for("the fresh session", 10, has(r#""type":"archived""#)).await;
        press(&keys, KeyCode::Enter);
        wait_for("the Verify step", 30, has(r#""step":"verify""#)).await;
        wait_for("every clause holding", 10, || {
            frame.text().contains("8 hold")
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        wait_for("the exact count", 10, || exact_gauge(&frame)).await;
        insta::assert_snapshot!("demo_3_green", stable(&frame));
        press(&keys, KeyCode::Esc);
        press(&keys, KeyCode::Char('q'));
    };
    let (model, ()) = tokio::join!(
        app::run(&mut terminal, keys_rx, &mut host, model, &effects, rx),
        script
    );
    let model = model.unwrap();
    // Green, and every clause holds, on the code the replay wrote.
    let last = &model.results.last.as_ref().unwrap().report;
    assert!(last.passed(), "the tests pass");
    assert_eq!(last.results.len(), 11);
    assert!(
        model
            .spec
            .eval
            .clauses
            .iter()
            .all(|c| c.status == Status::Holds),
        "{:?}",
        model.spec.eval.clauses
    );
    assert_eq!(model.session.step, Step::Verify);
    let code = std::fs::read_to_string(root.join("rate_limiter.py")).unwrap();
    assert!(code.contains("deque()") && !code.contains("pop(0)"));
    // Two sessions: the poisoned one archived, linked to its successor seeded with a lesson.
    let store = specbench::session::store::SessionStore::new(&root);
    let ids = store.ids();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let old = store.load(&ids[0]).unwrap();
    let new = store.load(&ids[1]).unwrap();
    assert_eq!(old.successor.as_deref(), Some(ids[1].as_str()));
    assert_eq!(old.poisoned.as_deref(), Some("R4 · violated"));
    assert_eq!(new.predecessor.as_deref(), Some(ids[0].as_str()));
    assert!(new.lessons[0].starts_with("R4: "), "{:?}", new.lessons);
    assert_eq!(new.turns(), 1, "the fresh session needed one turn");
}

/// A story reply with its `{{file}}` placeholders filled in, as `make_cassette.py` does.
fn story_reply(name: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/story");
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    let re = regex::Regex::new(r"\{\{([\w.]+)\}\}\n?").unwrap();
    re.replace_all(&text, |c: &regex::Captures| {
        std::fs::read_to_string(dir.join(&c[1])).unwrap()
    })
    .into_owned()
}

#[test]
fn the_cassette_plays_the_story_and_offers_the_step_prompts() {
    let replies = common::demo_replies();
    let story = [
        "1-tests.md",
        "2-implement-list.md",
        "3-fix-1.md",
        "4-fix-2.md",
        "5-implement-deque.md",
        "6-verify.md",
    ];
    assert_eq!(
        replies.len(),
        story.len(),
        "regenerate with make_cassette.py"
    );
    for ((prompt, events), name) in replies.iter().zip(story) {
        let text: String = events
            .iter()
            .filter_map(|e| match e {
                specbench::llm::client::ReplyEvent::Delta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(text, story_reply(name), "{name}: run make_cassette.py");
        assert!(!prompt.is_empty());
    }
    let step = |s: Step| s.prompt().unwrap().trim_end().to_string();
    assert_eq!(replies[0].0, step(Step::Tests));
    assert_eq!(replies[1].0, step(Step::Implement));
    assert_eq!(replies[4].0, step(Step::Implement));
    assert_eq!(replies[5].0, step(Step::Verify));
    let cassette = specbench::llm::cassette::Cassette::parse(
        Path::new("demo.cassette.jsonl"),
        common::demo_file("demo.cassette.jsonl"),
    )
    .unwrap();
    let fixes: Vec<bool> = cassette.entries.iter().map(|e| e.fix).collect();
    assert_eq!(fixes, [false, false, true, true, false, false]);
    // The story's code is what the tests expect: the list passes them, R4 aside.
    assert!(story_reply("2-implement-list.md").contains("times.pop(0)"));
    assert!(story_reply("5-implement-deque.md").contains("deque()"));
}

/// The whole frame's text with what varies from run to run masked (see `stable`).
fn stable_text(buffer: &ratatui::buffer::Buffer) -> String {
    let text = (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    stable_str(&text)
}

/// Every colour of a high-contrast frame, the highlighted code included, is black, white,
/// yellow or cyan.
fn assert_high_contrast_palette(buffer: &ratatui::buffer::Buffer) {
    use ratatui::style::Color;
    let allowed = [
        Color::Rgb(0, 0, 0),
        Color::Rgb(255, 255, 255),
        Color::Rgb(255, 255, 0),
        Color::Rgb(0, 255, 255),
        Color::Reset,
    ];
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            let cell = &buffer[(x, y)];
            for colour in [cell.fg, cell.bg] {
                assert!(
                    allowed.contains(&colour),
                    "{colour:?} at {x},{y} in {:?}",
                    cell.symbol()
                );
            }
        }
    }
}

/// Plays the demo in presenter mode through the real effects (replies, applies, python3 test
/// runs, scans, journals), stopping at each beat: the beat is snapshotted at 80x24, 120x40 and
/// 200x60 once everything in flight has settled, then `Space` goes on.
async fn present_the_story(theme_name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    specbench::demo::write_into(&root).unwrap();
    let overrides = Overrides {
        speed: Some(0.0),
        ..Overrides::default()
    };
    let config = config::load(&root, &overrides).unwrap();
    let theme = ThemeSource::default().load(theme_name).unwrap();
    let mut model = Model::new(root.clone(), "demo".into(), config.clone(), theme);
    model.start_composing();
    model.start_presenting();
    update(&mut model, Msg::Resize(80, 24));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (watch_tx, mut watch_rx) = tokio::sync::mpsc::unbounded_channel();
    let _watcher = Watcher::start(WatchConfig::new(root.clone(), Vec::new()), watch_tx).unwrap();
    let forward = tx.clone();
    tokio::spawn(async move {
        while let Some(event) = watch_rx.recv().await {
            let _ = forward.send(Msg::Event(AppEvent::Watch(event)));
        }
    });
    model.watching = true;
    let effects = Effects::new(root.clone(), config, tx);
    for cmd in model.init() {
        effects.run(cmd);
    }
    let settled = |m: &Model| {
        m.results.running.is_none()
            && !m.conversation.streaming()
            && m.spec.scans_pending == 0
            && matches!(m.code.highlighted, specbench::model::Loaded::Ready(_))
    };
    for beat in Beat::ALL {
        // Up to the beat, then until nothing more comes for a moment.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
        let mut quiet_since = None;
        loop {
            let at_beat = model.beat() == Some(beat) && settled(&model);
            if at_beat
                && quiet_since
                    .is_some_and(|t: tokio::time::Instant| t.elapsed() > Duration::from_millis(400))
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{theme_name}: timed out waiting for {beat:?} (at {:?})",
                model.beat()
            );
            match tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
                Ok(Some(msg)) => {
                    quiet_since = None;
                    for cmd in update(&mut model, msg) {
                        effects.run(cmd);
                    }
                }
                Ok(None) => panic!("the effects' channel closed"),
                Err(_) => {
                    quiet_since.get_or_insert_with(tokio::time::Instant::now);
                }
            }
        }
        for (cols, rows) in [(80, 24), (120, 40), (200, 60)] {
            let mut shown = model.clone();
            // Notices come and go on timers: the caption is what this test is about.
            shown.notice = None;
            update(&mut shown, Msg::Resize(cols, rows));
            let terminal = common::render(&shown);
            let buffer = terminal.backend().buffer();
            let name = format!(
                "present_{theme_name}_{}_{:?}_{cols}x{rows}",
                beat.number(),
                beat
            )
            .to_lowercase();
            if theme_name == "high-contrast" {
                assert_high_contrast_palette(buffer);
            }
            insta::assert_snapshot!(name, stable_text(buffer));
        }
        for cmd in update(
            &mut model,
            Msg::Key(KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE)),
        ) {
            effects.run(cmd);
        }
    }
    assert_eq!(model.beat(), None, "the story is over");
    assert!(model.results.last.as_ref().unwrap().report.passed());
    assert_eq!(model.session.step, Step::Verify);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_presenter_stops_at_each_beat_default_theme() {
    present_the_story("default").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_presenter_stops_at_each_beat_high_contrast() {
    present_the_story("high-contrast").await;
}
