//! Code benchmarks: loading the syntaxes, highlight throughput (Python, cold: every run is new
//! text), the first highlight of another language, and opening a 5,000-line file (read,
//! display lines, highlight) plus a frame with it open at 200x60.
//!
//! Run with `cargo bench --bench code`.

use std::path::PathBuf;
use std::time::Instant;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use specbench::code::highlight::{self, Highlighter};
use specbench::config::Config;
use specbench::model::{AppEvent, Model, Msg, update};
use specbench::theme::ThemeSource;
use specbench::workspace;

fn stats(name: &str, mut v: Vec<f64>, unit: &str, budget: &str) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let med = v[n / 2];
    println!(
        "{name:<44} median {med:>10.2} {unit:<7} (min {:.2}, max {:.2}, n={n})  budget {budget}",
        v[0],
        v[n - 1]
    );
    med
}

/// A Python file of `lines` lines; `salt` makes each one new to the highlighter's memory.
fn python(lines: usize, salt: usize) -> String {
    let demo = include_str!("../assets/demo/rate_limiter.py");
    let mut out = format!("# generated {salt}\n");
    while out.lines().count() < lines {
        out.push_str(demo);
    }
    out.lines().take(lines).collect::<Vec<_>>().join("\n") + "\n"
}

fn main() {
    let t = Instant::now();
    highlight::preload();
    println!(
        "{:<44} {:>10.1} ms (once, in the background)",
        "load syntaxes and themes",
        t.elapsed().as_secs_f64() * 1e3
    );
    let hl = Highlighter::new("base16-ocean.dark");
    let t = Instant::now();
    let rust = hl.lines("rs", "fn main() {\n    println!(\"hi\");\n}\n");
    std::hint::black_box(rust);
    println!(
        "{:<44} {:>10.2} ms",
        "first highlight of a new language (Rust)",
        t.elapsed().as_secs_f64() * 1e3
    );

    let mut speeds = Vec::new();
    for salt in 0..7 {
        let text = python(5_000, salt);
        let t = Instant::now();
        let lines = hl.lines("py", &text);
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(lines.len(), 5_000);
        speeds.push(5_000.0 / secs);
    }
    stats(
        "highlight Python, cold",
        speeds,
        "lines/s",
        "off the UI task",
    );

    let dir = tempfile::tempdir().unwrap();
    let mut opens = Vec::new();
    for salt in 0..7 {
        let path = dir.path().join(format!("big{salt}.py"));
        std::fs::write(&path, python(5_000, 100 + salt)).unwrap();
        let t = Instant::now();
        let file =
            workspace::read_code_file(dir.path(), path.file_name().unwrap().as_ref()).unwrap();
        let shown = t.elapsed().as_secs_f64() * 1e3;
        let lines = hl.lines("py", &file.lines.join("\n"));
        let total = t.elapsed().as_secs_f64() * 1e3;
        std::hint::black_box(lines);
        opens.push((shown, total));
    }
    stats(
        "open a 5,000-line file: shown plain",
        opens.iter().map(|o| o.0).collect(),
        "ms",
        "next frame",
    );
    stats(
        "open a 5,000-line file: highlighted",
        opens.iter().map(|o| o.1).collect(),
        "ms",
        "off the UI task",
    );

    // A frame at 200x60 with that file open and highlighted, scrolling.
    let theme = ThemeSource::default().load("default").unwrap();
    let mut model = Model::new(
        PathBuf::from("/bench"),
        "bench".into(),
        Config::default(),
        theme,
    );
    update(&mut model, Msg::Resize(200, 60));
    let files = vec![PathBuf::from("big.py")];
    let cmds = update(&mut model, Msg::Event(AppEvent::CodeFilesFound(Ok(files))));
    let Some(specbench::model::Cmd::LoadFile { id, path, .. }) = cmds.into_iter().next() else {
        panic!("a load");
    };
    let text = python(5_000, 999);
    let content = Ok(workspace::FileText::from_text(&text));
    update(
        &mut model,
        Msg::Event(AppEvent::FileLoaded { id, path, content }),
    );
    let lines = Some(hl.lines("py", text.trim_end_matches('\n')));
    update(
        &mut model,
        Msg::Event(AppEvent::FileHighlighted { id, lines }),
    );
    update(
        &mut model,
        Msg::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('3'),
            crossterm::event::KeyModifiers::NONE,
        )),
    );
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let mut frames = Vec::new();
    for i in 0..300 {
        let code = if i % 100 < 50 {
            crossterm::event::KeyCode::PageDown
        } else {
            crossterm::event::KeyCode::PageUp
        };
        let t = Instant::now();
        update(
            &mut model,
            Msg::Key(crossterm::event::KeyEvent::new(
                code,
                crossterm::event::KeyModifiers::NONE,
            )),
        );
        specbench::model::prepare_frame(&mut model);
        terminal.draw(|f| specbench::ui::draw(f, &model)).unwrap();
        frames.push(t.elapsed().as_secs_f64() * 1e3);
    }
    stats(
        "frame, 5,000-line file open (200x60)",
        frames,
        "ms",
        "< 1 ms",
    );
}
