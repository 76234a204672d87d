//! Conversation benchmarks: frame time (update + layout + draw) at 200x60 with conversations of
//! 1k, 20k and 200k tokens against a naive `Paragraph` over the whole text; a frame while a
//! reply streams; token counting per message and a full recount; SSE parse throughput; RSS with
//! a 200k-token conversation loaded.
//!
//! Run with `cargo bench --bench conversation`.

use std::path::PathBuf;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::widgets::{Paragraph, Wrap};
use specbench::config::Config;
use specbench::llm::client::ReplyEvent;
use specbench::llm::{openai, tokens};
use specbench::model::{AppEvent, Model, Msg, update};
use specbench::theme::ThemeSource;

const COLS: u16 = 200;
const ROWS: u16 = 60;

fn stats(name: &str, mut v: Vec<f64>, unit: &str, budget: &str) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let med = v[n / 2];
    println!(
        "{name:<44} median {med:>10.3} {unit:<5} (min {:.3}, max {:.3}, n={n})  budget {budget}",
        v[0],
        v[n - 1]
    );
    med
}

/// A model reply of about 1,000 tokens: prose, a list and a fenced code block.
fn reply(i: usize) -> String {
    let mut s = format!(
        "## Step {i}\n\nThe limiter keeps a `deque` per user; here is why that holds **R4** and what the tests check. "
    );
    for _ in 0..6 {
        s.push_str("Each call drops the timestamps that left the window, then compares the length with the limit, all under one lock so concurrent callers never both take the last slot. ");
    }
    s.push_str("\n\n- R1: the window slides\n- R2: retry_after is rounded up\n- R5: one lock around read, check and append\n\n```python path=rate_limiter.py\n");
    for j in 0..30 {
        s.push_str(&format!("    while window and now - window[0] >= self._window:  # {j}\n        window.popleft()\n"));
    }
    s.push_str("```\n\nThat is the whole change.\n");
    s
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A model at 200x60 with the Conversation pane focused and about `target` tokens of turns.
fn conversation(target: u32) -> Model {
    let theme = ThemeSource::default().load("default").unwrap();
    let mut model = Model::new(
        PathBuf::from("/bench"),
        "bench".into(),
        Config::default(),
        theme,
    );
    update(&mut model, Msg::Resize(COLS, ROWS));
    update(&mut model, Msg::Event(AppEvent::TokenizerReady));
    open_big_file(&mut model);
    update(&mut model, key(KeyCode::Char('2')));
    let mut i = 0;
    while model
        .conversation
        .messages
        .iter()
        .map(|m| m.tokens)
        .sum::<u32>()
        < target
    {
        model.set_draft(&format!("Please explain step {i} and keep R4 in mind."));
        let Some(specbench::model::Cmd::Send { turn, .. }) = model
            .send()
            .into_iter()
            .find(|c| matches!(c, specbench::model::Cmd::Send { .. }))
        else {
            panic!("sent");
        };
        let at = tokio::time::Instant::now();
        model.on_reply(turn, ReplyEvent::Delta(reply(i)), at);
        model.on_reply_ended(turn, Ok(()));
        i += 1;
    }
    specbench::model::prepare_frame(&mut model);
    model
}

/// Opens a 5,000-line Python file in the Code pane, highlighted, as the effects deliver it.
fn open_big_file(model: &mut Model) {
    let text: String = (0..5000)
        .map(|i| {
            format!(
                "def handler_{i}(request, limit={i}):\n    return request.allow({i})  # R{}\n",
                i % 8
            )
        })
        .collect::<String>()
        .lines()
        .take(5000)
        .collect::<Vec<_>>()
        .join("\n");
    let cmds = update(
        model,
        Msg::Event(AppEvent::CodeFilesFound(Ok(vec![PathBuf::from("big.py")]))),
    );
    let Some(specbench::model::Cmd::LoadFile { id, path, syntax }) = cmds.into_iter().next() else {
        panic!("the file is loaded");
    };
    let lines = specbench::code::highlight::Highlighter::new(&syntax).lines("py", &text);
    let content = Ok(specbench::workspace::FileText::from_text(&text));
    update(
        model,
        Msg::Event(AppEvent::FileLoaded { id, path, content }),
    );
    update(
        model,
        Msg::Event(AppEvent::FileHighlighted {
            id,
            lines: Some(lines),
        }),
    );
}

fn frame(model: &mut Model, terminal: &mut Terminal<TestBackend>, msg: Msg) {
    update(model, msg);
    specbench::model::prepare_frame(model);
    terminal.draw(|f| specbench::ui::draw(f, model)).unwrap();
}

fn frames() {
    for target in [1_000, 20_000, 200_000] {
        let start = Instant::now();
        let mut model = conversation(target);
        let built = start.elapsed();
        let tokens: u32 = model.conversation.messages.iter().map(|m| m.tokens).sum();
        let mut terminal = Terminal::new(TestBackend::new(COLS, ROWS)).unwrap();
        // Scroll up and down through the conversation, one frame per key.
        let mut times = Vec::new();
        for i in 0..300 {
            let code = if i % 100 < 50 {
                KeyCode::PageUp
            } else {
                KeyCode::PageDown
            };
            let t = Instant::now();
            frame(&mut model, &mut terminal, key(code));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let ours = stats(
            &format!(
                "frame, {}k-token conversation + 5,000-line file",
                tokens / 1000
            ),
            times,
            "ms",
            "< 1 ms",
        );
        // A resize re-renders every message once.
        let t = Instant::now();
        update(&mut model, Msg::Resize(COLS - 1, ROWS));
        specbench::model::prepare_frame(&mut model);
        let relayout = t.elapsed().as_secs_f64() * 1e3;
        println!(
            "  (built in {:.0} ms; re-layout after a resize {relayout:.1} ms)",
            built.as_secs_f64() * 1e3
        );

        // The naive way: one Paragraph over the whole text, wrapped every frame.
        let text: String = model
            .conversation
            .messages
            .iter()
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        // Scrolled to the end, where a user following the conversation looks (Paragraph
        // stops wrapping once the screen is full, so the top would flatter it).
        let end = model.conversation.total_lines.min(usize::from(u16::MAX)) as u16;
        let mut naive = Vec::new();
        for i in 0..20u16 {
            let t = Instant::now();
            terminal
                .draw(|f| {
                    let p = Paragraph::new(text.as_str())
                        .wrap(Wrap { trim: false })
                        .scroll((end.saturating_sub(ROWS + i), 0));
                    f.render_widget(p, f.area());
                })
                .unwrap();
            naive.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let naive = stats(
            &format!("  naive Paragraph, {}k tokens", tokens / 1000),
            naive,
            "ms",
            "(baseline)",
        );
        println!("  ratio naive / ours: {:.0}x", naive / ours);
    }
}

fn streaming_frame() {
    let mut model = conversation(20_000);
    let mut terminal = Terminal::new(TestBackend::new(COLS, ROWS)).unwrap();
    model.set_draft("One more, streamed.");
    let Some(specbench::model::Cmd::Send { turn, .. }) = model
        .send()
        .into_iter()
        .find(|c| matches!(c, specbench::model::Cmd::Send { .. }))
    else {
        panic!("sent");
    };
    let text = reply(99);
    let pieces: Vec<String> = text
        .as_bytes()
        .chunks(12)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let mut times = Vec::new();
    let mut at = tokio::time::Instant::now();
    for piece in pieces.iter().cycle().take(2_000) {
        at += std::time::Duration::from_millis(5);
        let t = Instant::now();
        frame(
            &mut model,
            &mut terminal,
            Msg::Event(AppEvent::Reply {
                turn,
                event: ReplyEvent::Delta(piece.clone()),
                at,
            }),
        );
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    stats(
        "frame while a reply streams (to ~40 KB)",
        times,
        "ms",
        "< 1 ms",
    );
}

fn counting() {
    let enc = tokens::Encoding::O200k;
    let t = Instant::now();
    tokens::preload(enc);
    println!(
        "{:<44} {:>10.1} ms (once, in the background)",
        "tokenizer load (o200k)",
        t.elapsed().as_secs_f64() * 1e3
    );
    let message = reply(1);
    let mut per = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        std::hint::black_box(tokens::count(enc, &message));
        per.push(t.elapsed().as_secs_f64() * 1e6);
    }
    stats(
        &format!("count one message ({} bytes)", message.len()),
        per,
        "µs",
        "cached per message",
    );
    // What a restored session costs off the UI task: every message counted.
    let model = conversation(200_000);
    let mut full = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let total: u32 = model
            .conversation
            .messages
            .iter()
            .map(|m| tokens::count(enc, &m.text))
            .sum();
        std::hint::black_box(total);
        full.push(t.elapsed().as_secs_f64() * 1e3);
    }
    stats(
        "full recount, 200k-token conversation",
        full,
        "ms",
        "off the UI task",
    );
}

fn sse_throughput() {
    let chunk = r#"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" the limiter keeps a deque"},"finish_reason":null}]}"#;
    let mut body = Vec::new();
    while body.len() < 50_000_000 {
        body.extend_from_slice(chunk.as_bytes());
        body.extend_from_slice(b"\n\n");
    }
    let mut speeds = Vec::new();
    for _ in 0..5 {
        let pieces: Vec<bytes::Bytes> = body
            .chunks(16 * 1024)
            .map(bytes::Bytes::copy_from_slice)
            .collect();
        let t = Instant::now();
        let mut parser = specbench::llm::sse::SseParser::default();
        let mut items = Vec::new();
        let mut text_len = 0;
        for piece in &pieces {
            parser.feed(piece, &mut items);
            for item in items.drain(..) {
                if let specbench::llm::sse::Item::Event {
                    event,
                    data: Some(data),
                } = item
                {
                    text_len += openai::decode(event.as_deref(), &data).len();
                }
            }
        }
        std::hint::black_box(text_len);
        speeds.push(body.len() as f64 / t.elapsed().as_secs_f64() / 1e6);
    }
    stats(
        "SSE parse + decode (OpenAI chunks)",
        speeds,
        "MB/s",
        ">= 100 MB/s",
    );
}

fn rss() {
    let model = conversation(200_000);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("VmRSS: ?")
        .to_string();
    println!(
        "{:<44} {rss} (this whole bench process, {} messages laid out)",
        "RSS with a 200k-token conversation",
        model.conversation.messages.len()
    );
}

fn main() {
    let only = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let want = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    // Counting first: the tokenizer's load is timed only before anything else loads it.
    if want("counting") {
        counting();
    }
    if want("frames") {
        frames();
    }
    if want("streaming") {
        streaming_frame();
    }
    if want("sse") {
        sse_throughput();
    }
    if want("rss") {
        rss();
    }
}
