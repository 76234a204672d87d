//! Helpers shared by the integration tests: a model loaded with the demo workspace, rendering
//! to a `TestBackend`, and a style-aware dump of a buffer.

#![allow(dead_code)] // Each test binary uses a different subset.

pub mod frames;
pub mod sse_server;

use std::fmt::Write;
use std::path::PathBuf;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use specbench::assets::{DEMO_FILES, DEMO_STORY_FILES};
use specbench::config::Config;
use specbench::model::{AppEvent, Cmd, Model, Msg, ScanOutcome, update};
use specbench::spec::pin::{Pin, PinsFound, content_hash};
use specbench::spec::scan;
use specbench::theme::ThemeSource;
use specbench::workspace::FileText;

/// The text of a path in the demo workspace as its story ends (the tests and the
/// implementation the cassette writes over the starting files).
pub fn demo_file(rel: &str) -> &'static str {
    DEMO_STORY_FILES
        .iter()
        .chain(DEMO_FILES)
        .find(|(p, _)| *p == rel)
        .map(|(_, t)| *t)
        .expect("demo file")
}

/// A model of the demo workspace with everything loaded, as the effects would deliver it.
pub fn demo_model(theme: &str, cols: u16, rows: u16) -> Model {
    let source = ThemeSource {
        user_dir: None,
        no_color: false,
    };
    let theme = source.load(theme).expect("shipped theme");
    let config: Config = toml::from_str(demo_file("specbench.toml")).expect("demo config");
    let mut model = Model::new(PathBuf::from("/demo"), "~/demo".into(), config, theme);
    update(&mut model, Msg::Resize(cols, rows));
    // Counted by the tokenizer, whichever test loaded it first: snapshots must not depend on
    // the order tests run in.
    update(&mut model, Msg::Event(AppEvent::TokenizerReady));
    let cmds = load_spec(&mut model, demo_file("SPEC.md"), Some(demo_file("SPEC.md")));
    scan_demo(&mut model, cmds, &[]);
    let files = vec![
        PathBuf::from("rate_limiter.py"),
        PathBuf::from("test_rate_limiter.py"),
    ];
    let cmds = update(&mut model, Msg::Event(AppEvent::CodeFilesFound(Ok(files))));
    let Some(specbench::model::Cmd::LoadFile { id, path, .. }) = cmds.into_iter().next() else {
        panic!("the first code file is loaded");
    };
    let content = Ok(FileText::from_text(demo_file("rate_limiter.py")));
    update(
        &mut model,
        Msg::Event(AppEvent::FileLoaded { id, path, content }),
    );
    model
}

/// Delivers the spec on disk and the pin store holding `pinned` as v1 (nothing pinned when
/// `None`); returns the commands the model asks for (the scan of the pin's checks).
pub fn load_spec(model: &mut Model, disk: &str, pinned: Option<&str>) -> Vec<Cmd> {
    let latest = pinned.map(|text| Pin {
        version: 1,
        hash: content_hash(text),
        text: text.to_string(),
        spec_path: "SPEC.md".into(),
        pinned_at: 0,
    });
    let pins = PinsFound {
        latest,
        corrupted: Vec::new(),
    };
    update(
        model,
        Msg::Event(AppEvent::SpecLoaded {
            disk: Ok(disk.to_string()),
            pins: Ok(pins),
        }),
    )
}

/// Runs the scans among `cmds` on a copy of the demo workspace, with `overrides` (path, text)
/// written over the demo's files, and delivers the results.
pub fn scan_demo(model: &mut Model, cmds: Vec<Cmd>, overrides: &[(&str, &str)]) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (rel, text) in DEMO_FILES.iter().chain(DEMO_STORY_FILES) {
        std::fs::write(dir.path().join(rel), text).expect("demo file written");
    }
    for (rel, text) in overrides {
        std::fs::write(dir.path().join(rel), text).expect("override written");
    }
    for cmd in cmds {
        if let Cmd::Scan { plan, paths } = cmd {
            let outcome = match paths {
                None => ScanOutcome::Full(scan::scan_all(dir.path(), &plan.plan)),
                Some(paths) => ScanOutcome::Files(scan::rescan(dir.path(), &plan.plan, &paths)),
            };
            update(
                model,
                Msg::Event(AppEvent::Scanned {
                    plan_id: plan.id,
                    outcome,
                }),
            );
        }
    }
}

/// Draws the model once on a `TestBackend` of the model's size.
pub fn render(model: &Model) -> Terminal<TestBackend> {
    // The loop prepares each frame; so does this.
    let mut model = model.clone();
    specbench::model::prepare_frame(&mut model);
    let mut terminal = Terminal::new(TestBackend::new(model.size.0, model.size.1)).unwrap();
    terminal
        .draw(|frame| specbench::ui::draw(frame, &model))
        .unwrap();
    terminal
}

/// The demo cassette's recorded replies: (prompt, reply events).
pub fn demo_replies() -> Vec<(String, Vec<specbench::llm::client::ReplyEvent>)> {
    let cassette = specbench::llm::cassette::Cassette::parse(
        std::path::Path::new("demo.cassette.jsonl"),
        demo_file("demo.cassette.jsonl"),
    )
    .expect("the demo cassette parses");
    cassette
        .entries
        .into_iter()
        .map(|e| (e.prompt, e.events.into_iter().map(|t| t.event).collect()))
        .collect()
}

/// Sends the draft (the model must be composing) and returns the turn id.
pub fn send_draft(model: &mut Model) -> u64 {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let cmds = update(
        model,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    match cmds.into_iter().find(|c| matches!(c, Cmd::Send { .. })) {
        Some(Cmd::Send { turn, .. }) => turn,
        other => panic!("expected a send, got {other:?}"),
    }
}

/// Delivers reply events to `turn`, all at one instant.
pub fn deliver(model: &mut Model, turn: u64, events: &[specbench::llm::client::ReplyEvent]) {
    let at = tokio::time::Instant::now();
    for event in events {
        update(
            model,
            Msg::Event(AppEvent::Reply {
                turn,
                event: event.clone(),
                at,
            }),
        );
    }
}

/// The buffer's text, then each row's style runs: `row: start-end fg bg modifiers`.
pub fn styled_dump(buffer: &Buffer) -> String {
    let mut out = String::new();
    let area = buffer.area;
    for y in 0..area.height {
        let line: String = (0..area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        writeln!(out, "{line}").unwrap();
    }
    writeln!(out, "--- styles").unwrap();
    for y in 0..area.height {
        let mut runs: Vec<(u16, u16, String)> = Vec::new();
        for x in 0..area.width {
            let cell = &buffer[(x, y)];
            let style = format!("{:?} {:?} {:?}", cell.fg, cell.bg, cell.modifier);
            match runs.last_mut() {
                Some((_, end, s)) if *s == style => *end = x,
                _ => runs.push((x, x, style)),
            }
        }
        let runs: Vec<String> = runs
            .into_iter()
            .map(|(a, b, s)| format!("{a}-{b} {s}"))
            .collect();
        writeln!(out, "{y:>2}: {}", runs.join(" | ")).unwrap();
    }
    out
}

/// A finished run's report with the given results.
pub fn report(
    results: Vec<specbench::runner::result::TestResult>,
    exit_code: Option<i32>,
) -> Box<specbench::runner::process::RunReport> {
    let mut output = specbench::runner::output::OutputLog::default();
    output.push("Ran 3 tests in 0.004s");
    Box::new(specbench::runner::process::RunReport {
        command: "python3 -m unittest -v".into(),
        exit_code,
        timed_out: false,
        cancelled: false,
        duration: std::time::Duration::from_millis(412),
        format: Some(specbench::runner::result::Format::Unittest),
        results,
        output,
        error: None,
        ended: tokio::time::Instant::now(),
    })
}

/// Starts a run in the model and finishes it with `report`.
pub fn finish_run(model: &mut Model, report: Box<specbench::runner::process::RunReport>) {
    let cmds = model.init();
    let id = cmds
        .iter()
        .find_map(|c| match c {
            specbench::model::Cmd::StartRun { id } => Some(*id),
            _ => None,
        })
        .expect("init starts a run");
    update(model, Msg::Event(AppEvent::RunFinished { id, report }));
}
