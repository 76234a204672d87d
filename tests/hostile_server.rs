//! A server that cannot be trusted, on 127.0.0.1: it redirects the request to another origin,
//! asks to wait for days, streams an unreadable event between good ones, answers with a web
//! page, or echoes the key back. The request and the key never leave for another origin, waits
//! are bounded and said, damage is kept and marked, and the key reaches no file.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::sse_server::{Chunking, Reply, Server, openai_stream};
use secrecy::SecretString;
use specbench::config::{ModelConfig, ProviderKind as Kind};
use specbench::llm::client::{LlmError, Patience, ReplyEvent};
use specbench::llm::provider::Provider;
use specbench::llm::{ChatMessage, ChatRequest};
use specbench::session::PromptKind;

const KEY: &str = "sk-hostile-7c2e9b41d5a8f3e6";
const KEY_ENV: &str = "SPECBENCH_HOSTILE_TEST_KEY";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new("tests/fixtures/sse").join(name)).expect("fixture")
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "test-model".into(),
        system: "You are terse.".into(),
        messages: vec![ChatMessage::user("Say hi")],
        max_tokens: 256,
        tools: Vec::new(),
    }
}

fn patience() -> Patience {
    Patience {
        connect: Duration::from_secs(2),
        idle: Duration::from_secs(5),
        retries: 3,
        backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        ..Patience::default()
    }
}

fn provider(kind: Kind, base: &str, root: &Path) -> Provider {
    let config = ModelConfig {
        provider: kind,
        model: "test-model".into(),
        base_url: format!("{base}/v1"),
        api_key_env: KEY_ENV.into(),
        ..ModelConfig::default()
    };
    Provider::with_key(root, &config, Some(SecretString::from(KEY)))
        .and_then(|p| p.with_patience(patience()))
        .expect("provider")
}

async fn stream(p: &Provider) -> (Vec<ReplyEvent>, Result<(), LlmError>) {
    let mut events = Vec::new();
    let result = p
        .stream(&request(), "Say hi", PromptKind::Message, &mut |e| {
            events.push(e)
        })
        .await;
    (events, result)
}

fn text(events: &[ReplyEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            ReplyEvent::Delta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

fn redirect(status: u16, to: &str) -> Reply {
    Reply::json(status, "").header("Location", to)
}

/// A redirect to another origin (another port of 127.0.0.1) is never followed, with either
/// provider and any redirect status: the other server hears nothing, neither the prompt nor the
/// key, and the error names both URLs.
#[tokio::test]
async fn a_redirect_to_another_origin_is_refused_and_named() {
    let dir = tempfile::tempdir().unwrap();
    for kind in [Kind::Openai, Kind::Anthropic] {
        for status in [301, 302, 303, 307, 308] {
            let elsewhere = Server::start(vec![Reply::sse(fixture("openai_stream.sse"))]).await;
            let target = format!("{}/v1/steal", elsewhere.url());
            let first = Server::start(vec![redirect(status, &target)]).await;
            let (events, result) = stream(&provider(kind, &first.url(), dir.path())).await;
            assert!(
                elsewhere.requests().is_empty(),
                "{kind:?} {status}: the other origin heard {:?}",
                elsewhere.requests()
            );
            let err = result.unwrap_err().to_string();
            assert!(err.contains(&first.url()), "{kind:?} {status}: {err}");
            assert!(err.contains(&target), "{kind:?} {status}: {err}");
            assert!(err.contains("another origin"), "{kind:?} {status}: {err}");
            assert!(!err.contains(KEY), "{err}");
            assert!(text(&events).is_empty());
            assert_eq!(first.requests().len(), 1, "{kind:?} {status}: not retried");
        }
    }
}

/// A 307 or 308 to the same origin (scheme, host and port) is followed with the body and the
/// key, as the server that already has both asks; a 301, 302 or 303 would turn the POST into a
/// bodiless GET, so it is refused with both URLs.
#[tokio::test]
async fn a_same_origin_307_or_308_is_followed_and_other_statuses_are_not() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, key_header) in [
        (Kind::Openai, "authorization"),
        (Kind::Anthropic, "x-api-key"),
    ] {
        for status in [307, 308] {
            let body = match kind {
                Kind::Anthropic => fixture("anthropic_stream.sse"),
                _ => fixture("openai_stream.sse"),
            };
            // The server hands out its replies in order: first the redirect to itself.
            let server = Server::start(vec![
                redirect(status, "/v2/moved"),
                Reply::sse(body).chunking(Chunking::Odd),
            ])
            .await;
            let (events, result) = stream(&provider(kind, &server.url(), dir.path())).await;
            result.unwrap_or_else(|e| panic!("{kind:?} {status}: {e}"));
            assert!(!text(&events).is_empty());
            let requests = server.requests();
            assert_eq!(requests.len(), 2, "{kind:?} {status}");
            assert_eq!(requests[1].path, "/v2/moved");
            assert_eq!(requests[1].method, "POST");
            assert_eq!(requests[1].body, requests[0].body, "the body is sent again");
            assert!(
                requests[1]
                    .header(key_header)
                    .is_some_and(|v| v.contains(KEY)),
                "{kind:?} {status}: the same origin keeps the key"
            );
        }
        for status in [301, 302, 303] {
            let server = Server::start(vec![
                redirect(status, "/v2/moved"),
                Reply::sse(fixture("openai_stream.sse")),
            ])
            .await;
            let (_, result) = stream(&provider(kind, &server.url(), dir.path())).await;
            let err = result.unwrap_err().to_string();
            assert!(err.contains(&format!("{}/v2/moved", server.url())), "{err}");
            assert!(err.contains(&format!("HTTP {status}")), "{err}");
            assert_eq!(server.requests().len(), 1, "{kind:?} {status}");
        }
    }
}

/// The window probes (llama.cpp's, vLLM's, LM Studio's, Ollama's) follow no redirect to
/// another origin either.
#[tokio::test]
async fn the_window_probes_never_follow_a_redirect_to_another_origin() {
    let props = String::from_utf8(fixture("../llama/props.json")).unwrap();
    let elsewhere = Server::start(vec![Reply::json(200, &props)]).await;
    let first = Server::start(vec![redirect(307, &format!("{}/props", elsewhere.url()))]).await;
    let dir = tempfile::tempdir().unwrap();
    let p = provider(Kind::Openai, &first.url(), dir.path());
    assert_eq!(p.window().await, None);
    assert!(
        elsewhere.requests().is_empty(),
        "{:?}",
        elsewhere.requests()
    );
    let paths: Vec<String> = first.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/props",
            "/v1/models",
            "/api/v1/models",
            "/api/v0/models/test-model",
            "/api/ps",
            "/api/show"
        ],
        "every probe asked the server itself"
    );
}

/// An event whose data is not what the API sends, between good ones: the text around it is
/// kept, the reply ends as the stream did, and it says it is damaged with an excerpt.
#[tokio::test]
async fn an_unreadable_event_between_good_ones_marks_the_reply_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let openai = concat!(
        "data: {\"choices\":[{\"delta\":{\"content\":\"one \"}}]}\n\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\"tw\n\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\"three\"}}]}\n\n",
        "data: [DONE]\n\n",
    );
    let anthropic = concat!(
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"one \"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"te\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"three\"}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );
    for (kind, body) in [(Kind::Openai, openai), (Kind::Anthropic, anthropic)] {
        for chunking in [Chunking::Whole, Chunking::Odd, Chunking::Fixed(1)] {
            let server = Server::start(vec![Reply::sse(body).chunking(chunking)]).await;
            let (events, result) = stream(&provider(kind, &server.url(), dir.path())).await;
            result.unwrap_or_else(|e| panic!("{kind:?} {chunking:?}: {e}"));
            assert_eq!(text(&events), "one three", "{kind:?} {chunking:?}");
            let damage: Vec<&String> = events
                .iter()
                .filter_map(|e| match e {
                    ReplyEvent::Damaged(what) => Some(what),
                    _ => None,
                })
                .collect();
            assert_eq!(damage.len(), 1, "{kind:?} {chunking:?}: {events:?}");
            assert!(damage[0].contains("\"content_block_delta\"") || damage[0].contains("\"tw"));
        }
    }
}

/// A line that is no SSE field in the middle of a piece of the body loses nothing after it.
#[tokio::test]
async fn a_bad_line_loses_nothing_after_it() {
    let body = concat!(
        "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n",
        "garbage without a colon\n\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n",
        "data: [DONE]\n\n",
    );
    let server = Server::start(vec![Reply::sse(body)]).await;
    let dir = tempfile::tempdir().unwrap();
    let (events, result) = stream(&provider(Kind::Openai, &server.url(), dir.path())).await;
    result.unwrap();
    assert_eq!(text(&events), "ab");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ReplyEvent::Damaged(w) if w.contains("garbage without a colon"))),
        "{events:?}"
    );
}

/// A `200` web page (a captive portal, a proxy's login) says what came back.
#[tokio::test]
async fn a_200_web_page_says_what_came_back() {
    let page = "<!DOCTYPE html>\n<html><head><title>Sign in to Corp Proxy</title></head>\n<body>\n<form>...</form></body></html>\n";
    let dir = tempfile::tempdir().unwrap();
    for kind in [Kind::Openai, Kind::Anthropic] {
        let mut html = Reply::sse(page);
        html.headers = vec![("Content-Type".into(), "text/html; charset=utf-8".into())];
        let server = Server::start(vec![html]).await;
        let (_, result) = stream(&provider(kind, &server.url(), dir.path())).await;
        let err = result.unwrap_err().to_string();
        assert!(err.contains("text/html"), "{kind:?}: {err}");
        assert!(err.contains("Sign in to Corp Proxy"), "{kind:?}: {err}");
        assert_eq!(server.requests().len(), 1, "not retried");

        // The same page without a content type: still named by what came back.
        let mut bare = Reply::sse(page);
        bare.headers.clear();
        let server = Server::start(vec![bare]).await;
        let (_, result) = stream(&provider(kind, &server.url(), dir.path())).await;
        let err = result.unwrap_err().to_string();
        assert!(err.contains("Sign in to Corp Proxy"), "{kind:?}: {err}");

        // An event stream with nothing in it (or keep-alives only) is a stream cut short.
        for body in ["", ": keep-alive\n\n"] {
            let server = Server::start(vec![Reply::sse(body)]).await;
            let (_, result) = stream(&provider(kind, &server.url(), dir.path())).await;
            assert_eq!(result, Err(LlmError::Ended), "{kind:?} {body:?}");
        }
    }
}

/// A cassette event stamped `u64::MAX` ms is played after a bounded pause (paused clock).
#[tokio::test(start_paused = true)]
async fn a_cassette_stamped_at_the_end_of_time_still_plays() {
    use specbench::llm::cassette::{End, Tape};
    let dir = tempfile::tempdir().unwrap();
    let mut tape = Tape::new();
    tape.note(&ReplyEvent::Delta("hello ".into()));
    tape.note(&ReplyEvent::Delta("world".into()));
    let mut entry = tape.finish("Say hi", false, 0, "m", End::Complete);
    entry.events[1].at_ms = u64::MAX;
    let path = dir.path().join("c.jsonl");
    std::fs::write(&path, serde_json::to_string(&entry).unwrap() + "\n").unwrap();
    for speed in [1.0, 0.001] {
        let config = ModelConfig {
            provider: Kind::Replay,
            cassette: Some(path.clone()),
            replay_speed: speed,
            ..ModelConfig::default()
        };
        let replay = Provider::with_key(dir.path(), &config, None).unwrap();
        let start = tokio::time::Instant::now();
        let (events, result) = stream(&replay).await;
        result.unwrap();
        assert_eq!(text(&events), "hello world");
        let waited = start.elapsed();
        assert!(
            waited <= Duration::from_secs(600),
            "speed {speed}: waited {waited:?} of virtual time"
        );
    }
}

/// A workspace with one passing python test, pointing at `url`, retrying up to 4 times.
fn workspace(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| std::fs::write(dir.path().join(rel), text).unwrap();
    write(
        "SPEC.md",
        "# Hi\n\n## Clauses\n- [R1] hi says hi. `test: *r1*`\n",
    );
    write("hi.py", "def hi():\n    return 'hi'\n");
    write(
        "test_hi.py",
        "import unittest\n\nfrom hi import hi\n\n\nclass HiTest(unittest.TestCase):\n\
         \x20   def test_r1_hi(self):\n        self.assertEqual(hi(), 'hi')\n",
    );
    write(
        "specbench.toml",
        &format!(
            "[tests]\ncommand = \"PYTHONDONTWRITEBYTECODE=1 python3 -m unittest -v\"\n\
             format = \"unittest\"\ntimeout_secs = 60\n\n[code]\ninclude = [\"**/*.py\"]\n\n\
             [model]\nprovider = \"openai\"\nmodel = \"gpt-4o-mini\"\nbase_url = \"{url}/v1\"\n\
             api_key_env = \"{KEY_ENV}\"\ncontext_window = 16000\nmax_output_tokens = 1000\n\
             connect_timeout_secs = 5\nidle_timeout_secs = 20\nmax_retries = 4\n"
        ),
    );
    dir
}

/// `specbench run` in `root`, with the key in its variable; stdout and stderr, and the exit
/// code. A run still going after two minutes is killed and fails the test (a watchdog, not a
/// measurement).
async fn run(root: &Path, args: &[&str]) -> (String, String, Option<i32>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_specbench"));
    cmd.arg("run")
        .args(args)
        .current_dir(root)
        .env(KEY_ENV, KEY)
        .env("SPECBENCH_LOG", "trace")
        .env_remove("OPENAI_API_KEY")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let pid = child.id();
    let waiter = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap());
    match tokio::time::timeout(Duration::from_secs(120), waiter).await {
        Ok(out) => {
            let out = out.unwrap();
            (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
                out.status.code(),
            )
        }
        Err(_) => {
            // SAFETY: kill(2) on the child this test started.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("specbench run was still waiting after two minutes");
        }
    }
}

/// A server asking to wait 999,999 s: the run ends at once with words that say so, rather than
/// waiting silently; each wait that is taken is said on stderr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_says_each_wait_and_refuses_one_of_days() {
    let limited = Reply::json(
        429,
        r#"{"error":{"message":"Rate limit reached for requests","type":"requests"}}"#,
    );
    let server = Server::start_chat(vec![limited.clone().header("Retry-After", "999999")]).await;
    let dir = workspace(&server.url());
    let (_, stderr, _) = run(dir.path(), &["-m", "Say hi."]).await;
    assert!(stderr.contains("Rate limit reached"), "{stderr}");
    assert!(stderr.contains("11 days"), "{stderr}");
    assert!(stderr.contains("try again later"), "{stderr}");
    let chats = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .count();
    assert_eq!(chats, 1, "no retry is taken when the wait is refused");

    let server = Server::start_chat(vec![
        limited.header("retry-after-ms", "20"),
        Reply::sse(openai_stream("hi there", 4)),
    ])
    .await;
    let dir = workspace(&server.url());
    let (stdout, stderr, _) = run(dir.path(), &["-m", "Say hi."]).await;
    assert!(stdout.contains("hi there"), "{stdout}");
    assert!(
        stderr.contains("Rate limit reached")
            && stderr.contains("retrying in 0.0 s (attempt 2 of 5)"),
        "{stderr}"
    );
}

/// Every file under `root`.
fn files_under(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// The key in the user's message and in the model's reply (cut across stream pieces): the
/// session journal, the recorded cassette and the log hold `[redacted]` where it was, and no
/// file anywhere under the workspace holds the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_in_the_messages_reaches_no_file() {
    let reply = format!("Your key is {KEY}, keep it safe.");
    // After the first event, one the client cannot read, holding the key: it is logged.
    let stream = openai_stream(&reply, 5);
    let second = stream.find("\n\n").unwrap() + 2;
    let body = format!(
        "{}data: {{\"echo\": \"{KEY}\n\n{}",
        &stream[..second],
        &stream[second..]
    );
    let server = Server::start_chat(vec![Reply::sse(body)]).await;
    let dir = workspace(&server.url());
    let message = format!("My key is {KEY}: say hi.");
    let (stdout, stderr, _) = run(
        dir.path(),
        &["-m", &message, "--record", "rec.cassette.jsonl"],
    )
    .await;
    assert!(
        stdout.contains("Your key is [redacted], keep it safe."),
        "{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("the reply is damaged") && stderr.contains("[redacted]"),
        "{stderr}"
    );
    assert!(!stderr.contains(KEY), "{stderr}");
    // The key went to the server it belongs to, in the message the user sent.
    let chats: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .collect();
    assert_eq!(chats.len(), 1);
    assert!(chats[0].body.contains(KEY));

    let files = files_under(dir.path());
    let cassette = dir.path().join("rec.cassette.jsonl");
    let sessions = dir.path().join(".specbench/sessions");
    assert!(files.contains(&cassette), "{files:?}");
    assert!(files.iter().any(|f| f.starts_with(&sessions)), "{files:?}");
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let leaked = bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes());
        assert!(!leaked, "the key is in {}", file.display());
    }
    let recorded = std::fs::read_to_string(&cassette).unwrap();
    assert!(
        recorded.contains("My key is [redacted]: say hi."),
        "{recorded}"
    );
    let journal: String = files
        .iter()
        .filter(|f| f.starts_with(&sessions))
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    assert!(
        journal.contains("My key is [redacted]: say hi."),
        "{journal}"
    );
    let log = std::fs::read_to_string(dir.path().join(".specbench/specbench.log")).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains("an unreadable event") && l.contains("[redacted]")),
        "{log}"
    );
}

/// A fix round whose reply is damaged: its changes wait for a look, so the fix loop ends there
/// (with words on stderr) instead of `run` waiting forever for an apply that never comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_fix_round_ends_the_loop_for_a_look() {
    let writes = |code: &str| format!("Here.\n\n```python path=hi.py\n{code}```\n");
    let good = openai_stream(&writes("def hi():\n    return 'ho'\n"), 16);
    let fixed = openai_stream(&writes("def hi():\n    return 'hi'\n"), 16);
    let second = fixed.find("\n\n").unwrap() + 2;
    let damaged = format!(
        "{}data: {{\"choices\": [\n\n{}",
        &fixed[..second],
        &fixed[second..]
    );
    let server = Server::start_chat(vec![Reply::sse(good), Reply::sse(damaged)]).await;
    let dir = workspace(&server.url());
    let (_, stderr, _) = run(
        dir.path(),
        &["-m", "Write hi.", "--auto-test", "2", "--yes"],
    )
    .await;
    assert!(stderr.contains("fix round 1/2"), "{stderr}");
    assert!(stderr.contains("the reply is damaged"), "{stderr}");
    assert!(
        stderr.contains("⚠ The reply is damaged (a piece may be missing): not applied"),
        "{stderr}"
    );
    let code = std::fs::read_to_string(dir.path().join("hi.py")).unwrap();
    assert_eq!(
        code, "def hi():\n    return 'ho'\n",
        "the damaged fix is not applied"
    );
}
