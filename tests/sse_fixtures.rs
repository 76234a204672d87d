//! The streaming fixtures served over real HTTP (whole, in odd pieces and byte by byte),
//! parsed with specbench's SSE parser and decoded with the provider's `decode`; plus what the
//! parser does with a bad line, and the test server's cut and hanging connections.

mod common;

use std::time::Duration;

use common::sse_server::{Chunking, End, Reply, Server};
use futures::StreamExt;
use specbench::llm::sse::{Item, SseParser};
use specbench::llm::{ApiError, Decoded, ErrorKind, Usage, anthropic, client, openai};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A wire format's event decoder.
type Decode = fn(Option<&str>, &str) -> Vec<Decoded>;

/// A wire format's error classifier.
type Classify = fn(u16, &str) -> ApiError;

/// Each stream fixture is served with each of these.
const CHUNKINGS: [Chunking; 3] = [Chunking::Fixed(1), Chunking::Odd, Chunking::Whole];

/// The text of `llama_chat_stream_usage.sse`, U+FFFD included as the server sent it.
const LLAMA_CHAT_TEXT: &str = " nituminum creating pitted righteouswm))) starving minutes172research dissemin Galnce virtue283 Giles Clyonelinessverningalkyrie\u{FFFD} frustrationsressor";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/sse/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn http(idle: Duration) -> reqwest::Client {
    client::http(Duration::from_secs(5), idle).unwrap()
}

/// What came out of one stream, in order: decoded pieces, or the lines that were no SSE field
/// and a body error, as text.
async fn fetch(reply: Reply, decode: Decode) -> Vec<Result<Decoded, String>> {
    let server = Server::start(vec![reply]).await;
    let response = http(Duration::from_secs(5))
        .post(format!("{}/v1/chat/completions", server.url()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut parser = SseParser::default();
    let mut items = Vec::new();
    let mut out = Vec::new();
    while let Some(piece) = body.next().await {
        match piece {
            Ok(bytes) => parser.feed(&bytes, &mut items),
            Err(error) => {
                out.push(Err(format!("body error: {error}")));
                break;
            }
        }
        for item in items.drain(..) {
            match item {
                Item::Event { event, data } => {
                    let data = data.as_deref().unwrap_or("");
                    out.extend(decode(event.as_deref(), data).into_iter().map(Ok));
                }
                Item::Unknown(line) => out.push(Err(format!("unknown line: {line}"))),
            }
        }
    }
    out
}

/// A stream's expected outcome.
struct Expected {
    fixture: &'static str,
    decode: Decode,
    text: &'static str,
    usage: Usage,
    stop: Option<&'static str>,
    /// The kind of the in-band error that ends the stream; `None`: it ends with `Done`.
    error: Option<ErrorKind>,
}

fn usage(prompt: Option<u32>, completion: Option<u32>) -> Usage {
    Usage { prompt, completion }
}

/// Serves the fixture with every chunking and checks the decoded outcome.
async fn check(expected: Expected) {
    let body = fixture(expected.fixture);
    for chunking in CHUNKINGS {
        let context = format!("{} with {chunking:?}", expected.fixture);
        let items = fetch(Reply::sse(body.clone()).chunking(chunking), expected.decode).await;
        let pieces: Vec<Decoded> = items
            .into_iter()
            .map(|item| item.unwrap_or_else(|e| panic!("{context}: sse error {e}")))
            .collect();
        let mut text = String::new();
        let mut got_usage = Usage::default();
        let mut stop = None;
        for piece in &pieces {
            match piece {
                Decoded::Delta(delta) => text.push_str(delta),
                Decoded::Usage(u) => got_usage = got_usage.merge(*u),
                Decoded::StopReason(reason) => stop = Some(reason.as_str()),
                Decoded::Done
                | Decoded::Error(_)
                | Decoded::ToolDelta { .. }
                | Decoded::BlockStop(_) => {}
                Decoded::Malformed(what) => panic!("{context}: unreadable event {what}"),
            }
        }
        assert_eq!(text, expected.text, "{context}");
        assert_eq!(got_usage, expected.usage, "{context}");
        assert_eq!(stop, expected.stop, "{context}");
        let last = pieces.last();
        match expected.error {
            None => assert_eq!(last, Some(&Decoded::Done), "{context}"),
            Some(kind) => {
                let Some(Decoded::Error(error)) = last else {
                    panic!("{context}: ends with {last:?}");
                };
                assert_eq!((error.kind, error.status), (kind, None), "{context}");
                assert!(!pieces.contains(&Decoded::Done), "{context}");
            }
        }
        let terminal = pieces
            .iter()
            .filter(|p| matches!(p, Decoded::Done | Decoded::Error(_)))
            .count();
        assert_eq!(terminal, 1, "{context}: one terminal piece");
    }
}

#[tokio::test]
async fn openai_documented_stream() {
    check(Expected {
        fixture: "openai_stream.sse",
        decode: openai::decode,
        text: "Café → crab 🦀\n\"ok\"",
        usage: usage(Some(19), Some(10)),
        stop: Some("stop"),
        error: None,
    })
    .await;
}

#[tokio::test]
async fn openai_crlf_bom_and_keep_alive_comments() {
    check(Expected {
        fixture: "openai_keepalive_crlf.sse",
        decode: openai::decode,
        text: "Héllo wörld → 🦀🦀",
        usage: usage(Some(12), Some(6)),
        stop: Some("stop"),
        error: None,
    })
    .await;
}

#[tokio::test]
async fn openai_bare_cr_line_endings() {
    check(Expected {
        fixture: "openai_bare_cr.sse",
        decode: openai::decode,
        text: "naïve → ok 🦀",
        usage: usage(Some(8), Some(5)),
        stop: Some("stop"),
        error: None,
    })
    .await;
}

#[tokio::test]
async fn openai_error_after_partial_text() {
    check(Expected {
        fixture: "openai_error_in_stream.sse",
        decode: openai::decode,
        text: "Partial answér",
        usage: Usage::default(),
        stop: None,
        error: Some(ErrorKind::Server),
    })
    .await;
}

#[tokio::test]
async fn llama_server_chat_capture() {
    check(Expected {
        fixture: "llama_chat_stream_usage.sse",
        decode: openai::decode,
        text: LLAMA_CHAT_TEXT,
        usage: usage(Some(55), Some(24)),
        stop: Some("length"),
        error: None,
    })
    .await;
}

#[tokio::test]
async fn anthropic_documented_stream() {
    check(Expected {
        fixture: "anthropic_stream.sse",
        decode: anthropic::decode,
        text: "Hello, café → Ferris 🦀!",
        usage: usage(Some(1325), Some(15)),
        stop: Some("end_turn"),
        error: None,
    })
    .await;
}

#[tokio::test]
async fn anthropic_overloaded_after_partial_text() {
    check(Expected {
        fixture: "anthropic_overloaded.sse",
        decode: anthropic::decode,
        text: "Déjà vu",
        usage: usage(Some(31), None),
        stop: None,
        error: Some(ErrorKind::Overloaded),
    })
    .await;
}

#[tokio::test]
async fn llama_server_anthropic_capture() {
    check(Expected {
        fixture: "llama_anthropic_stream.sse",
        decode: anthropic::decode,
        text: " band matured Dun Philadelphiauminum Ideas",
        usage: usage(Some(29), Some(6)),
        stop: Some("max_tokens"),
        error: None,
    })
    .await;
}

/// A line without a colon is no SSE field: it is reported, and costs nothing else, however
/// the body is cut (`sse-stream`, used before, dropped the rest of the HTTP chunk that held it).
#[tokio::test]
async fn an_invalid_line_loses_nothing_around_it() {
    let body = concat!(
        "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n",
        "bogus\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n",
        "data: [DONE]\n\n",
    );
    let want = [
        Ok(Decoded::Delta("a".into())),
        Err("unknown line: bogus".to_string()),
        Ok(Decoded::Delta("b".into())),
        Ok(Decoded::Done),
    ];
    for chunking in CHUNKINGS {
        let got = fetch(Reply::sse(body).chunking(chunking), openai::decode).await;
        assert_eq!(got, want, "{chunking:?}");
    }
}

/// An unknown field is reported and the stream goes on; an event not closed by a blank line
/// before the body ends is dropped (as the spec says), so a `[DONE]` without its blank line
/// never arrives.
#[tokio::test]
async fn unknown_fields_are_reported_and_an_unclosed_event_is_dropped() {
    let body = concat!(
        "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n",
        "x-custom: 1\n\n",
        "data: [DONE]\n",
    );
    let items = fetch(
        Reply::sse(body).chunking(Chunking::Fixed(1)),
        openai::decode,
    )
    .await;
    assert_eq!(
        items,
        [
            Err("unknown line: x-custom: 1".to_string()),
            Ok(Decoded::Delta("a".into()))
        ]
    );
}

/// `cut_after` ends the body without the chunked terminator: reqwest hands over the bytes
/// sent, then a decode error (hyper's "unexpected EOF during chunk size line").
#[tokio::test]
async fn a_cut_connection_is_a_body_error() {
    let body = fixture("openai_stream.sse");
    let server = Server::start(vec![
        Reply::sse(body.clone())
            .chunking(Chunking::Fixed(40))
            .cut_after(100),
    ])
    .await;
    let response = http(Duration::from_secs(5))
        .post(server.url())
        .send()
        .await
        .unwrap();
    let mut stream = response.bytes_stream();
    let mut got = Vec::new();
    let error = loop {
        match stream.next().await {
            Some(Ok(bytes)) => got.extend_from_slice(&bytes),
            Some(Err(error)) => break error,
            None => panic!("the body ended cleanly after {} bytes", got.len()),
        }
    };
    assert_eq!(got, body[..100]);
    assert!(error.is_decode(), "{error:?}");

    // Cut a few bytes into the third event: two events decoded, then the error, then the end.
    let cut = body
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w == b"\n\n")
        .nth(1)
        .map(|(i, _)| i + 2 + 10)
        .unwrap();
    let items = fetch(
        Reply::sse(body).chunking(Chunking::Odd).cut_after(cut),
        openai::decode,
    )
    .await;
    let [Ok(Decoded::Delta(text)), Err(error)] = &items[..] else {
        panic!("{items:?}");
    };
    assert_eq!(text, "Café");
    assert!(error.starts_with("body error:"), "{error}");
}

#[tokio::test]
async fn a_hanging_stream_times_out_between_reads() {
    let first = "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n";
    let server = Server::start(vec![Reply::sse(first).end(End::Hang)]).await;
    let started = tokio::time::Instant::now();
    let response = http(Duration::from_millis(200))
        .post(server.url())
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    let mut items = Vec::new();
    SseParser::default().feed(&body.next().await.unwrap().unwrap(), &mut items);
    let [
        Item::Event {
            data: Some(data), ..
        },
    ] = &items[..]
    else {
        panic!("{items:?}");
    };
    assert_eq!(openai::decode(None, data), [Decoded::Delta("Hi".into())]);
    let next = tokio::time::timeout(Duration::from_secs(5), body.next())
        .await
        .expect("the idle timeout fires first");
    let Some(Err(error)) = next else {
        panic!("a body error, got {next:?}");
    };
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn gaps_between_pieces_are_kept() {
    let body = fixture("openai_stream.sse");
    let reply = Reply::sse(body.clone())
        .chunking(Chunking::Fixed(body.len() / 3 + 1))
        .gap(Duration::from_millis(60));
    let server = Server::start(vec![reply]).await;
    let started = tokio::time::Instant::now();
    let response = http(Duration::from_secs(5))
        .post(server.url())
        .send()
        .await
        .unwrap();
    let got = response.bytes().await.unwrap();
    assert_eq!(got, body);
    assert!(started.elapsed() >= Duration::from_millis(120));
}

#[tokio::test]
async fn records_requests_and_repeats_the_last_reply() {
    let server = Server::start(vec![
        Reply::json(401, "{\"error\":\"no\"}"),
        Reply::sse("data: [DONE]\n\n").header("X-Test", "yes"),
    ])
    .await;
    let http = http(Duration::from_secs(5));
    let mut statuses = Vec::new();
    for i in 0..3 {
        let response = http
            .post(format!("{}/v1/messages", server.url()))
            .header("x-api-key", "sk-test")
            .json(&serde_json::json!({"n": i, "text": "é"}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        let header = response.headers().get("x-test").cloned();
        let body = response.text().await.unwrap();
        if i > 0 {
            assert_eq!(header.unwrap(), "yes");
            assert_eq!(body, "data: [DONE]\n\n");
        }
    }
    assert_eq!(statuses, [401, 200, 200]);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/v1/messages");
    assert_eq!(requests[0].header("x-api-key"), Some("sk-test"));
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
    assert_eq!(requests[2].body, r#"{"n":2,"text":"é"}"#);
}

#[tokio::test]
async fn reads_a_request_that_arrives_in_pieces() {
    let server = Server::start(vec![Reply::json(200, "{}")]).await;
    let addr = server.url().trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":\"bé\"}";
    for piece in request.as_bytes().chunks(7) {
        stream.write_all(piece).await.unwrap();
        stream.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\n{}"), "{response}");
    let recorded = &server.requests()[0];
    assert_eq!(recorded.path, "/v1/chat/completions");
    assert_eq!(recorded.body, "{\"a\":\"bé\"}");
}

/// Serves an error fixture with `status` (in odd pieces, with a `Content-Length`) and
/// classifies what the client received.
async fn classify_served(classify: Classify, name: &str, status: u16) -> ApiError {
    let body = String::from_utf8(fixture(name)).unwrap();
    let server = Server::start(vec![Reply::json(status, &body).chunking(Chunking::Odd)]).await;
    let response = http(Duration::from_secs(5))
        .post(server.url())
        .send()
        .await
        .unwrap();
    let got = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(text, body, "{name}");
    classify(got, &text)
}

#[tokio::test]
async fn error_bodies_over_http_are_classified() {
    let cases: [(Classify, &str, u16, ErrorKind); 8] = [
        (
            openai::classify,
            "llama_bad_key.json",
            401,
            ErrorKind::BadKey,
        ),
        (
            openai::classify,
            "llama_ctx_exceeded.json",
            400,
            ErrorKind::ContextTooLong,
        ),
        (
            openai::classify,
            "llama_bad_request.json",
            400,
            ErrorKind::BadRequest,
        ),
        (
            openai::classify,
            "openai_error_404.json",
            404,
            ErrorKind::ModelNotFound,
        ),
        (
            openai::classify,
            "openai_error_context.json",
            400,
            ErrorKind::ContextTooLong,
        ),
        (
            anthropic::classify,
            "anthropic_error_429.json",
            429,
            ErrorKind::RateLimited,
        ),
        (
            anthropic::classify,
            "anthropic_error_401.json",
            401,
            ErrorKind::BadKey,
        ),
        (
            anthropic::classify,
            "llama_ctx_exceeded.json",
            400,
            ErrorKind::ContextTooLong,
        ),
    ];
    for (classify, name, status, kind) in cases {
        let error = classify_served(classify, name, status).await;
        assert_eq!((error.kind, error.status), (kind, Some(status)), "{name}");
    }
}

/// hyper hands each HTTP chunk to the body stream as its own frame (a chunk may come in two
/// frames when it straddles reads, never merged with the next), so the chunking reaches
/// the SSE parser intact: byte by byte means one-byte frames.
#[tokio::test]
async fn each_piece_reaches_the_client_as_its_own_frame() {
    let body = fixture("llama_chat_stream_usage.sse");
    for (chunking, largest) in [(Chunking::Fixed(1), 1), (Chunking::Odd, 29)] {
        let server = Server::start(vec![Reply::sse(body.clone()).chunking(chunking)]).await;
        let response = http(Duration::from_secs(5))
            .post(server.url())
            .send()
            .await
            .unwrap();
        let mut frames = response.bytes_stream();
        let mut got = Vec::new();
        while let Some(frame) = frames.next().await {
            let frame = frame.unwrap();
            assert!(
                frame.len() <= largest,
                "{chunking:?}: {} bytes",
                frame.len()
            );
            got.extend_from_slice(&frame);
        }
        assert_eq!(got, body, "{chunking:?}");
    }
}
