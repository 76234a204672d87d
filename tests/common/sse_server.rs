//! A real HTTP/1.1 server on 127.0.0.1 for the streaming tests. Responses are written by hand
//! so a test controls the exact bytes, how they are cut into HTTP chunks, the pauses between
//! them, and how the response ends (closed, cut short, or left hanging).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// How a body is cut into pieces, each sent as one HTTP chunk (or one write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunking {
    /// The whole body at once.
    Whole,
    /// Pieces of this many bytes (at least one).
    Fixed(usize),
    /// Pieces cycling through 1, 3, 7, 13, 2, 29 and 5 bytes.
    Odd,
}

/// The sizes [`Chunking::Odd`] cycles through.
const ODD: [usize; 7] = [1, 3, 7, 13, 2, 29, 5];

/// What happens once the body is out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Finish the response (the chunked terminator) and close the connection.
    Close,
    /// Keep the socket open and send nothing more (no terminator).
    Hang,
}

/// One canned response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Headers besides the framing; a `content-length` here replaces chunked encoding.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// How the body is cut into pieces.
    pub chunking: Chunking,
    /// The pause between pieces.
    pub gap: Duration,
    /// How the response ends.
    pub end: End,
    /// Drop the connection after this many body bytes, without the chunked terminator.
    pub cut_after: Option<usize>,
}

impl Reply {
    /// A 200 `text/event-stream` response sent whole, chunked, then closed.
    pub fn sse(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "text/event-stream".into())],
            body: body.into(),
            chunking: Chunking::Whole,
            gap: Duration::ZERO,
            end: End::Close,
            cut_after: None,
        }
    }

    /// A JSON response with a `Content-Length`.
    pub fn json(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Content-Length".into(), body.len().to_string()),
            ],
            ..Reply::sse(body)
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets how the body is cut.
    pub fn chunking(mut self, chunking: Chunking) -> Self {
        self.chunking = chunking;
        self
    }

    /// Sets the pause between pieces.
    pub fn gap(mut self, gap: Duration) -> Self {
        self.gap = gap;
        self
    }

    /// Sets how the response ends.
    pub fn end(mut self, end: End) -> Self {
        self.end = end;
        self
    }

    /// Drops the connection after `n` body bytes.
    pub fn cut_after(mut self, n: usize) -> Self {
        self.cut_after = Some(n);
        self
    }

    /// Whether the body goes out with a `Content-Length` rather than chunked.
    fn has_length(&self) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    }

    /// The body cut per [`Reply::chunking`] and [`Reply::cut_after`].
    fn pieces(&self) -> Vec<&[u8]> {
        let end = self
            .cut_after
            .map_or(self.body.len(), |n| n.min(self.body.len()));
        let mut rest = &self.body[..end];
        let mut pieces = Vec::new();
        let mut sizes = ODD.iter().cycle();
        while !rest.is_empty() {
            let size = match self.chunking {
                Chunking::Whole => rest.len(),
                Chunking::Fixed(n) => n.max(1),
                Chunking::Odd => sizes.next().copied().unwrap_or(1),
            };
            let (piece, tail) = rest.split_at(size.min(rest.len()));
            pieces.push(piece);
            rest = tail;
        }
        pieces
    }
}

/// A request as the server read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `GET`, `POST`...
    pub method: String,
    /// The request target, e.g. `/v1/chat/completions`.
    pub path: String,
    /// The headers, names lowercased, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body (its `Content-Length` bytes), lossily decoded.
    pub body: String,
}

impl Recorded {
    /// The value of a header, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A running server; it stops (with every connection) when dropped.
pub struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: JoinHandle<()>,
}

impl Server {
    /// Serves `replies[i]` to the i-th request (one per connection), then the last one again.
    pub async fn start(replies: Vec<Reply>) -> Server {
        assert!(!replies.is_empty(), "a server needs at least one reply");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            // Dropping the set (when this task is aborted) aborts every connection.
            let mut connections = JoinSet::new();
            let mut replies = replies.into_iter();
            let mut last = None;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                if let Some(next) = replies.next() {
                    last = Some(next);
                }
                let Some(reply) = last.clone() else { continue };
                connections.spawn(serve(stream, reply, Arc::clone(&recorded)));
                while connections.try_join_next().is_some() {}
            }
        });
        Server {
            addr,
            requests,
            task,
        }
    }

    /// Serves `replies[i]` to the i-th chat request (`.../chat/completions` or `.../messages`),
    /// then the last one again; any other request (a window probe such as `/props`) gets a 404
    /// and takes no reply.
    pub async fn start_chat(replies: Vec<Reply>) -> Server {
        assert!(!replies.is_empty(), "a server needs at least one reply");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let queue = Arc::new(Mutex::new((replies, 0usize)));
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                let (recorded, queue) = (Arc::clone(&recorded), Arc::clone(&queue));
                connections.spawn(async move {
                    let Some(request) = read_request(&mut stream).await else {
                        return;
                    };
                    let chat = request.path.ends_with("/chat/completions")
                        || request.path.ends_with("/messages");
                    recorded
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(request);
                    let reply = if chat {
                        let mut q = queue.lock().unwrap_or_else(PoisonError::into_inner);
                        let (replies, next) = &mut *q;
                        let reply = replies[(*next).min(replies.len() - 1)].clone();
                        *next += 1;
                        reply
                    } else {
                        Reply::json(404, "{\"error\":\"not found\"}")
                    };
                    let _ = respond(&mut stream, &reply).await;
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Server {
            addr,
            requests,
            task,
        }
    }

    /// Serves by route: the reply of the first `(method, path)` that matches the request
    /// (its path without the query; the same reply every time); a 404 for any other. For the
    /// probes and counting endpoints of each kind of server.
    pub async fn routes(routes: Vec<(&'static str, &'static str, Reply)>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let routes = Arc::new(routes);
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                let (recorded, routes) = (Arc::clone(&recorded), Arc::clone(&routes));
                connections.spawn(async move {
                    let Some(request) = read_request(&mut stream).await else {
                        return;
                    };
                    let path = request.path.split('?').next().unwrap_or("").to_string();
                    let reply = routes
                        .iter()
                        .find(|(method, route, _)| *method == request.method && *route == path)
                        .map_or_else(
                            || Reply::json(404, "{\"error\":\"not found\"}"),
                            |(_, _, reply)| reply.clone(),
                        );
                    recorded
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(request);
                    let _ = respond(&mut stream, &reply).await;
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Server {
            addr,
            requests,
            task,
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests read so far, in the order they arrived.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request, records it, and writes `reply`.
async fn serve(mut stream: TcpStream, reply: Reply, requests: Arc<Mutex<Vec<Recorded>>>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request);
    // A write fails only when the client has gone, which ends the test's interest too.
    let _ = respond(&mut stream, &reply).await;
}

/// Reads the head and a `Content-Length` body, however the bytes arrive.
async fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut piece = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut piece).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&piece[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let method = start.next()?.to_string();
    let path = start.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf.split_off(head_end + 4);
    while body.len() < length {
        let n = stream.read(&mut piece).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&piece[..n]);
    }
    body.truncate(length);
    Some(Recorded {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Writes the head, the body piece by piece (flushed, `gap` apart), and the ending.
async fn respond(stream: &mut TcpStream, reply: &Reply) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let chunked = !reply.has_length();
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.flush().await?;
    for (i, piece) in reply.pieces().into_iter().enumerate() {
        if i > 0 && !reply.gap.is_zero() {
            tokio::time::sleep(reply.gap).await;
        }
        let mut bytes = Vec::with_capacity(piece.len() + 12);
        if chunked {
            bytes.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        }
        bytes.extend_from_slice(piece);
        if chunked {
            bytes.extend_from_slice(b"\r\n");
        }
        stream.write_all(&bytes).await?;
        stream.flush().await?;
    }
    if reply.cut_after.is_some() {
        // Dropping the stream closes the connection mid-response.
        return Ok(());
    }
    match reply.end {
        End::Close => {
            if chunked {
                stream.write_all(b"0\r\n\r\n").await?;
            }
            stream.flush().await?;
            stream.shutdown().await
        }
        End::Hang => std::future::pending().await,
    }
}

/// A reason phrase for the status line (clients ignore it).
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// An OpenAI-compatible stream of `text`: a role chunk, the text in pieces of about `piece`
/// bytes (on character boundaries), a usage chunk and `[DONE]`.
pub fn openai_stream(text: &str, piece: usize) -> String {
    let chunk = |delta: serde_json::Value| {
        let event = serde_json::json!({
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": delta, "finish_reason": null}],
        });
        format!("data: {event}\n\n")
    };
    let mut out = chunk(serde_json::json!({"role": "assistant", "content": ""}));
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = piece.min(rest.len());
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        out.push_str(&chunk(serde_json::json!({ "content": &rest[..end] })));
        rest = &rest[end..];
    }
    let usage = serde_json::json!({
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "choices": [],
        "usage": {"prompt_tokens": 900, "completion_tokens": text.len() / 4, "total_tokens": 900 + text.len() / 4},
    });
    out.push_str(&format!("data: {usage}\n\ndata: [DONE]\n\n"));
    out
}
