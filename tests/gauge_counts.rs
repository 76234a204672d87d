//! The gauge's counts through the real loop (real effects, real HTTP to a loopback server
//! replaying llama.cpp's captured bodies, `tests/fixtures/COUNTING.md`): the estimate marked
//! `~` until the server's exact count arrives, the window and the counter named in the
//! inspector, the reserve rule on a small window, a counting endpoint that fails leaving the
//! estimate without a word in the UI and sending untouched. One opt-in test runs against the
//! real server of `../shared/tools/real-model/`.

mod common;

use std::io;
use std::path::Path;
use std::time::Duration;

use common::frames::{FrameBackend, LastFrame};
use common::sse_server::{Reply, Server};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc::{UnboundedSender, unbounded};
use ratatui::Terminal;
use secrecy::SecretString;
use specbench::app::{self, NoHost};
use specbench::config::{self, Overrides};
use specbench::effects::Effects;
use specbench::llm::calibration::Basis;
use specbench::llm::client::Patience;
use specbench::llm::count::Counter;
use specbench::llm::provider::Provider;
use specbench::model::Model;
use specbench::theme::ThemeSource;

const KEY: &str = "sk-test-g4uge-k3y";

fn fixture(path: &str) -> String {
    std::fs::read_to_string(Path::new("tests/fixtures").join(path)).expect("fixture")
}

fn json(path: &str) -> Reply {
    Reply::json(200, &fixture(path))
}

/// llama.cpp's endpoints as the real server answered them (`--ctx-size 4096`; the prompt
/// counted 35 tokens; the reply reported `prompt_tokens: 55`), the counting one replaced by
/// `tokenize` when given.
fn llama(tokenize: Option<Reply>) -> Vec<(&'static str, &'static str, Reply)> {
    vec![
        ("GET", "/props", json("llama/props.json")),
        ("POST", "/apply-template", json("llama/apply_template.json")),
        (
            "POST",
            "/tokenize",
            tokenize.unwrap_or_else(|| json("llama/tokenize.json")),
        ),
        (
            "POST",
            "/v1/chat/completions",
            Reply::sse(fixture("llama/chat_stream_usage.raw")),
        ),
    ]
}

/// The demo workspace pointed at `base_url` (a llama.cpp server), with no window in config and
/// `extra` settings of `[model]` (the default 8,192-token reserve when none).
fn workspace(base_url: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    specbench::demo::write_into(dir.path()).unwrap();
    let path = dir.path().join("specbench.toml");
    let toml = std::fs::read_to_string(&path).unwrap();
    let model = toml.find("[model]").unwrap();
    let after = toml[model..].find("\n[").map_or(toml.len(), |i| model + i);
    let toml = format!(
        "{}[model]\nprovider = \"openai\"\nmodel = \"smollm2\"\nbase_url = \"{base_url}\"\n\
         api_key_env = \"SPECBENCH_GAUGE_TEST_KEY\"\n{extra}\n{}",
        &toml[..model],
        &toml[after..]
    );
    std::fs::write(&path, toml).unwrap();
    dir
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

/// Waits until `ready` holds, for at most `secs` seconds.
async fn wait_for(what: &str, secs: u64, frame: &LastFrame, ready: impl Fn(&str) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !ready(&frame.text()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}:\n{}",
            frame.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The gauge's percentage: `Some(true)` when exact, `Some(false)` when marked `~`.
fn gauge(screen: &str) -> Option<bool> {
    let re = regex::Regex::new(r"[┃│](~?)(>?\d+)% ").unwrap();
    re.captures(screen).map(|c| c[1].is_empty())
}

/// Runs the real loop on `root` against `provider`, with `script` typing into it.
async fn run<F, Fut>(root: &Path, provider: Provider, script: F) -> Model
where
    F: FnOnce(UnboundedSender<io::Result<Event>>, LastFrame) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let config = config::load(root, &Overrides::default()).unwrap();
    let theme = ThemeSource::default().load("default").unwrap();
    let mut model = Model::new(root.to_path_buf(), "~/w".into(), config.clone(), theme);
    model.start_composing();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let effects = Effects::with_provider(root.to_path_buf(), config, tx, Ok(provider));
    let (keys, keys_rx) = unbounded();
    let (backend, frame) = FrameBackend::new(140, 40);
    let mut terminal = Terminal::new(backend).unwrap();
    let mut host = NoHost::default();
    let (model, ()) = tokio::join!(
        app::run(&mut terminal, keys_rx, &mut host, model, &effects, rx),
        script(keys, frame)
    );
    model.unwrap()
}

fn provider(root: &Path, base_url: &str, key: Option<&str>, idle: Duration) -> Provider {
    let config = config::load(root, &Overrides::default()).unwrap();
    let patience = Patience {
        connect: Duration::from_secs(2),
        idle,
        retries: 0,
        ..Patience::default()
    };
    assert_eq!(config.model.base_url, base_url);
    Provider::with_key(root, &config.model, key.map(SecretString::from))
        .and_then(|p| p.with_patience(patience))
        .expect("provider")
}

/// Leaves compose mode and quits (through the confirmation if one is asked).
async fn quit(keys: &UnboundedSender<io::Result<Event>>, frame: &LastFrame) {
    press(keys, KeyCode::Esc, KeyModifiers::NONE);
    press(keys, KeyCode::Char('q'), KeyModifiers::NONE);
    tokio::time::sleep(Duration::from_millis(300)).await;
    if frame.text().contains("Quit") {
        press(keys, KeyCode::Char('y'), KeyModifiers::NONE);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gauge_goes_from_estimate_to_exact_when_llama_cpp_counts() {
    let server = Server::routes(llama(None)).await;
    let base_url = format!("{}/v1", server.url());
    let dir = workspace(&base_url, "");
    let p = provider(dir.path(), &base_url, Some(KEY), Duration::from_secs(5));
    let model = run(dir.path(), p, |keys, frame| async move {
        // A 4,096-token window from /props (with the key): the 8,192 reserve is halved.
        wait_for("the reserve warning", 10, &frame, |s| {
            s.contains("Reply reserve 2048, not 8192")
        })
        .await;
        wait_for("an exact count of the empty draft", 10, &frame, |s| {
            gauge(s) == Some(true)
        })
        .await;
        type_str(&keys, "Say hi");
        wait_for("the estimate while typing", 10, &frame, |s| {
            gauge(s) == Some(false)
        })
        .await;
        wait_for("the exact count after the pause", 10, &frame, |s| {
            gauge(s) == Some(true)
        })
        .await;
        press(&keys, KeyCode::Char('o'), KeyModifiers::CONTROL);
        wait_for("the inspector's provenance", 10, &frame, |s| {
            s.contains("count: exact: llama.cpp /apply-template + /tokenize")
                && s.contains("window 4.1k (from the server: llama.cpp)")
                && s.contains("⚠ Reply reserve 2048, not 8192: max_output_tokens would leave")
        })
        .await;
        press(&keys, KeyCode::Esc, KeyModifiers::NONE);
        press(&keys, KeyCode::Enter, KeyModifiers::NONE);
        wait_for("the estimate while the reply streams", 10, &frame, |s| {
            gauge(s) == Some(false)
        })
        .await;
        wait_for("the exact count after the reply", 10, &frame, |s| {
            gauge(s) == Some(true)
        })
        .await;
        press(&keys, KeyCode::Esc, KeyModifiers::NONE);
        press(&keys, KeyCode::Char('o'), KeyModifiers::CONTROL);
        wait_for("the last request in the inspector", 10, &frame, |s| {
            s.contains(
                "last request: 35 expected (exact: llama.cpp /apply-template + /tokenize); \
                 the server counted 55",
            )
        })
        .await;
        press(&keys, KeyCode::Esc, KeyModifiers::NONE);
        quit(&keys, &frame).await;
    })
    .await;
    // The request sent was counted exactly before it went, and its max_tokens fits the window.
    let (expected, reported) = model
        .conversation
        .counting
        .last
        .expect("a request answered");
    assert_eq!(expected.tokens, 35);
    assert_eq!(expected.basis, Basis::Exact(Counter::LlamaCpp));
    assert_eq!(reported, 55);
    let requests = server.requests();
    let chat = requests
        .iter()
        .find(|r| r.path == "/v1/chat/completions")
        .expect("the turn was sent");
    let body: serde_json::Value = serde_json::from_str(&chat.body).unwrap();
    assert_eq!(body["max_tokens"], 2048, "the reduced reserve");
    // The probe and the counts carried the key; the count was of the typed message.
    for path in ["/props", "/apply-template", "/tokenize"] {
        let r = requests.iter().find(|r| r.path == path).expect(path);
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str()),
            "{path}"
        );
    }
    let counted = requests
        .iter()
        .filter(|r| r.path == "/apply-template")
        .any(|r| r.body.contains("Say hi"));
    assert!(counted, "the typed draft was counted");
    // Typing six characters asked for far fewer counts: one per pause.
    let counts = requests.iter().filter(|r| r.path == "/tokenize").count();
    assert!(counts <= 4, "{counts} counts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_cannot_count_leaves_the_estimate_silently_and_sending_works() {
    // Garbage from /tokenize (asked again at the next change), or no /apply-template at all
    // (a 404: never asked again).
    let garbage = Reply::json(200, "<html>upstream error</html>");
    for (case, routes) in [
        ("garbage", llama(Some(garbage))),
        (
            "missing",
            llama(None)
                .into_iter()
                .filter(|(_, path, _)| *path != "/apply-template")
                .collect(),
        ),
    ] {
        let server = Server::routes(routes).await;
        let base_url = format!("{}/v1", server.url());
        let dir = workspace(&base_url, "max_output_tokens = 512");
        let p = provider(dir.path(), &base_url, None, Duration::from_secs(5));
        let model = run(dir.path(), p, |keys, frame| async move {
            // The server's 4,096-token window less the 512-token reserve: the gauge's usable
            // window (its `N window` tail gives way to the context's code segment when narrow).
            wait_for("the window", 10, &frame, |s| s.contains("/3.6k ")).await;
            type_str(&keys, "Say hi");
            tokio::time::sleep(Duration::from_millis(800)).await;
            type_str(&keys, " again");
            tokio::time::sleep(Duration::from_millis(800)).await;
            let screen = frame.text();
            assert_eq!(gauge(&screen), Some(false), "{case}: still an estimate");
            let status = screen.lines().last().unwrap_or_default().to_string();
            assert!(
                !status.contains("count") && !status.contains("tokenize"),
                "{case}: nothing said in the UI: {status}"
            );
            press(&keys, KeyCode::Char('o'), KeyModifiers::CONTROL);
            wait_for("the failure in the inspector", 10, &frame, |s| {
                s.contains("last count failed, the estimate stands: http://127.0.0.1:")
            })
            .await;
            press(&keys, KeyCode::Esc, KeyModifiers::NONE);
            press(&keys, KeyCode::Enter, KeyModifiers::NONE);
            press(&keys, KeyCode::Esc, KeyModifiers::NONE);
            press(&keys, KeyCode::Char('o'), KeyModifiers::CONTROL);
            wait_for("the reply", 10, &frame, |s| s.contains("last request: ~")).await;
            press(&keys, KeyCode::Esc, KeyModifiers::NONE);
            quit(&keys, &frame).await;
        })
        .await;
        let requests = server.requests();
        let asked = |path: &str| requests.iter().filter(|r| r.path == path).count();
        assert_eq!(asked("/v1/chat/completions"), 1, "{case}: sent");
        let (expected, reported) = model.conversation.counting.last.expect("answered");
        assert!(expected.basis.approximate(), "{case}: {expected:?}");
        assert_eq!(reported, 55);
        match case {
            "garbage" => assert!(asked("/tokenize") >= 2, "{case}: asked again"),
            _ => assert_eq!(asked("/apply-template"), 1, "{case}: asked once"),
        }
    }
}

/// Against the real `llama-server` of `../shared/tools/real-model/` (start it with
/// `PORT=... [KEY=...] start.sh`), set `SPECBENCH_REAL_MODEL=http://127.0.0.1:PORT/v1` (and
/// `SPECBENCH_REAL_MODEL_KEY` when it has a key): the gauge's exact count of the demo's first
/// request, before it is sent, equals the `prompt_tokens` the server reports for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_server_gauge_count_equals_its_prompt_tokens() {
    let Ok(base_url) = std::env::var("SPECBENCH_REAL_MODEL") else {
        eprintln!(
            "skipped: set SPECBENCH_REAL_MODEL=http://127.0.0.1:PORT/v1 to run against the \
             real llama-server of ../shared/tools/real-model/"
        );
        return;
    };
    let key = std::env::var("SPECBENCH_REAL_MODEL_KEY").ok();
    let dir = workspace(&base_url, "max_output_tokens = 16");
    // A 135M model on one thread reads the demo's request (spec, code) in some seconds.
    let p = provider(
        dir.path(),
        &base_url,
        key.as_deref(),
        Duration::from_secs(120),
    );
    let model = run(dir.path(), p, |keys, frame| async move {
        wait_for("the window from the server", 20, &frame, |s| {
            s.contains("k window") && gauge(s) == Some(true)
        })
        .await;
        type_str(&keys, "Say hi to the spec: R1 holds, café → ok 🦀");
        wait_for("the exact count", 20, &frame, |s| gauge(s) == Some(false)).await;
        wait_for("the exact count", 20, &frame, |s| gauge(s) == Some(true)).await;
        press(&keys, KeyCode::Enter, KeyModifiers::NONE);
        press(&keys, KeyCode::Esc, KeyModifiers::NONE);
        press(&keys, KeyCode::Char('o'), KeyModifiers::CONTROL);
        wait_for("the reply", 180, &frame, |s| s.contains("last request: ")).await;
        press(&keys, KeyCode::Esc, KeyModifiers::NONE);
        quit(&keys, &frame).await;
    })
    .await;
    let (expected, reported) = model.conversation.counting.last.expect("answered");
    assert_eq!(expected.basis, Basis::Exact(Counter::LlamaCpp));
    assert_eq!(
        expected.tokens, reported,
        "the gauge's count is the server's"
    );
    eprintln!(
        "the gauge counted {} tokens exactly; the server reported prompt_tokens {reported}",
        expected.tokens
    );
}
