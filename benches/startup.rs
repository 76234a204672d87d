//! Whole-process startup and idle benchmarks for `specbench demo`, in a real pseudo-terminal.
//!
//! - time to first frame: from spawning the process to the end of its first synchronized-update
//!   frame on the terminal (budget: 50 ms);
//! - time to content: until the spec's text is on screen;
//! - idle: CPU time and context switches of all threads over 5 s with nothing happening
//!   (budget: under 0.1% of a core, no timer wake-ups).
//!
//! - resident memory: at the first frame, once the demo has settled (its spec evaluated and its
//!   first test run over), split into heap (anonymous) and mapped binary (file); budget: at most
//!   30 MB;
//! - the binary's size on disk (budget: at most 25 MB stripped; the release profile strips);
//! - a 200k-token session: reading its journal back (in process), recounting it, and the whole
//!   process's resident memory once `specbench` has resumed it (budget: at most 60 MB).
//!
//! Run with `cargo bench --bench startup`. Prints medians and spreads over several runs.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 15;
const END_FRAME: &[u8] = b"\x1b[?2026l";

struct Pty {
    master: File,
    slave: OwnedFd,
}

fn open_pty(cols: u16, rows: u16) -> Pty {
    let mut master = 0;
    let mut slave = 0;
    let size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two fds into the provided integers; the name and termios pointers
    // may be null; the winsize pointer is valid for the call.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: both fds were just returned by openpty and are owned by nobody else.
    unsafe {
        Pty {
            master: File::from_raw_fd(master),
            slave: OwnedFd::from_raw_fd(slave),
        }
    }
}

/// A reply of about 2,000 tokens: prose, a list and a Python block, different every time.
fn reply(i: usize) -> String {
    let mut out = format!("Turn {i}: here is how the change keeps each clause.\n\n");
    for k in 0..6 {
        out.push_str(&format!(
            "- **R{k}** holds because request {i}.{k} is counted once.\n"
        ));
    }
    out.push_str("\n```python path=rate_limiter.py\n");
    for line in 0..120 {
        out.push_str(&format!(
            "    value_{i}_{line} = compute({line}, window={i})  # step {line}\n"
        ));
    }
    out.push_str("```\n\nThe tests cover it.\n");
    out
}

/// Writes a journal of about 200k tokens (100 turns) into `root`, chunked as a stream is.
fn session_200k(root: &std::path::Path) -> (String, usize) {
    use specbench::session::journal::{EndStatus, Record, VERSION};
    let store = specbench::session::store::SessionStore::new(root);
    let id = store.new_id(specbench::session::now_ms());
    let journal = store.open(&id).expect("journal");
    let record = |r: Record| journal.append(r).expect("write");
    record(Record::Start {
        v: VERSION,
        id: id.clone(),
        model: "gpt-4.1-mini".into(),
        pin: None,
        predecessor: None,
        lessons: Vec::new(),
    });
    let mut bytes = 0;
    for turn in 1..=100u64 {
        record(Record::User {
            turn,
            text: format!("Please make change number {turn} and keep every clause."),
            kind: specbench::session::PromptKind::Message,
            corrects: Vec::new(),
        });
        let text = reply(turn as usize);
        bytes += text.len();
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let cut = rest.char_indices().nth(24).map_or(rest.len(), |(i, _)| i);
            record(Record::Chunk {
                turn,
                text: rest[..cut].to_string(),
            });
            rest = &rest[cut..];
        }
        record(Record::End {
            turn,
            status: EndStatus::Complete,
            error: None,
            usage: Default::default(),
        });
    }
    journal.sync().expect("sync");
    (id, bytes)
}

/// Resident and peak memory of `pid`, in MB.
fn rss_mb(pid: u32) -> (f64, f64) {
    (status_mb(pid, "VmRSS:"), status_mb(pid, "VmHWM:"))
}

/// A field of `/proc/PID/status` given in kB, in MB.
fn status_mb(pid: u32, name: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The 200k-token session: read back and recounted in process, then resumed by the binary.
fn big_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    specbench::demo::write_into(dir.path()).expect("demo");
    let (id, bytes) = session_200k(dir.path());
    let store = specbench::session::store::SessionStore::new(dir.path());
    let encoding = specbench::llm::tokens::Encoding::for_model("gpt-4.1-mini");
    specbench::llm::tokens::preload(encoding);
    let mut read = Vec::new();
    let mut recount = Vec::new();
    let mut tokens = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let restored = store.load(&id).expect("load");
        read.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        tokens = restored
            .messages
            .iter()
            .map(|m| specbench::llm::tokens::count(encoding, &m.text))
            .sum::<u32>();
        recount.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let journal_mb = std::fs::metadata(store.path(&id)).map_or(0, |m| m.len()) as f64 / 1e6;
    println!(
        "a session of {tokens} tokens ({:.1} MB of text, a {journal_mb:.1} MB journal)",
        bytes as f64 / 1e6
    );
    stats("journal read back + folded", read, "ms", "off the UI task");
    stats("recount of every message", recount, "ms", "off the UI task");
    let mut resident = Vec::new();
    let mut peak = Vec::new();
    let mut resumed = Vec::new();
    for _ in 0..3 {
        let mut pty = open_pty(200, 60);
        let start = Instant::now();
        let mut child = spawn(&pty, &[dir.path().as_os_str()]);
        let deadline = start + Duration::from_secs(30);
        let mut seen = Vec::new();
        let at = wait_for(&mut pty.master, b"Resumed the session", &mut seen, deadline);
        resumed.push((at - start).as_secs_f64() * 1000.0);
        // Let the first test run and the layout of every message finish.
        std::thread::sleep(Duration::from_secs(3));
        let (rss, hwm) = rss_mb(child.id());
        resident.push(rss);
        peak.push(hwm);
        quit(&mut pty, &mut child);
    }
    stats("start to session resumed", resumed, "ms", "-");
    stats("RSS with the session open", resident, "MB", "<= 60 MB");
    stats("peak RSS (VmHWM)", peak, "MB", "-");
}

/// `specbench ARGS...` in the pseudo-terminal.
fn spawn(pty: &Pty, args: &[&std::ffi::OsStr]) -> Child {
    let stdio = || Stdio::from(pty.slave.try_clone().expect("dup pty"));
    Command::new(env!("CARGO_BIN_EXE_specbench"))
        .args(args)
        .env("TERM", "xterm-256color")
        .env("SPECBENCH_CONFIG_DIR", "/nonexistent/specbench-bench")
        .stdin(stdio())
        .stdout(stdio())
        .stderr(stdio())
        .spawn()
        .expect("spawn specbench")
}

/// Quits: Esc leaves the composer (alone, so it is not read as Alt-q), `q` asks first while a
/// test run is going, `y` confirms.
fn quit(pty: &mut Pty, child: &mut Child) {
    pty.master.write_all(b"\x1b").expect("send Esc");
    std::thread::sleep(Duration::from_millis(100));
    pty.master.write_all(b"qy").expect("send q");
    let quit_by = Instant::now() + Duration::from_secs(10);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > quit_by {
            let _ = child.kill();
            panic!("specbench did not quit");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Reads the terminal until `needle` appears `count` times; returns when it did.
fn wait_for(master: &mut File, needle: &[u8], seen: &mut Vec<u8>, deadline: Instant) -> Instant {
    let mut buf = [0u8; 65536];
    loop {
        if let Some(pos) = find(seen, needle) {
            seen.drain(..pos + needle.len());
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "timed out waiting for output");
        let n = master.read(&mut buf).expect("read pty");
        seen.extend_from_slice(&buf[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// CPU ticks (user + system) of `pid` and context switches per thread id.
fn usage(pid: u32) -> (u64, std::collections::HashMap<String, u64>) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = fields
        .get(11)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    let mut switches = std::collections::HashMap::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
            let tid = task.file_name().to_string_lossy().into_owned();
            for line in status.lines() {
                if line.starts_with("voluntary_ctxt_switches")
                    || line.starts_with("nonvoluntary_ctxt_switches")
                {
                    *switches.entry(tid.clone()).or_insert(0) += line
                        .split_whitespace()
                        .last()
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0);
                }
            }
        }
    }
    (ticks, switches)
}

fn stats(name: &str, mut values: Vec<f64>, unit: &str, budget: &str) {
    values.sort_by(f64::total_cmp);
    let median = values[values.len() / 2];
    let (min, max) = (values[0], values[values.len() - 1]);
    println!(
        "{name:<28} median {median:>8.2} {unit}  (min {min:.2}, max {max:.2}, n={})   budget {budget}",
        values.len()
    );
}

/// The binary's size on disk, and what its largest embedded data is.
fn binary_size() {
    let path = env!("CARGO_BIN_EXE_specbench");
    let mb = |bytes: u64| bytes as f64 / 1e6;
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let vocabularies: u64 = ["o200k_base", "cl100k_base"]
        .iter()
        .filter_map(|name| {
            let file = format!(
                "{}/assets/tokenizers/{name}.tiktoken.gz",
                env!("CARGO_MANIFEST_DIR")
            );
            std::fs::metadata(file).ok()
        })
        .map(|m| m.len())
        .sum();
    println!(
        "{:<28} {:>8.2} MB (the tokenizers' vocabularies: {:.2} MB)   budget <= 25 MB stripped",
        "binary size",
        mb(size),
        mb(vocabularies)
    );
}

fn main() {
    binary_size();
    let mut first_frame = Vec::new();
    let mut content = Vec::new();
    let mut idle_cpu = Vec::new();
    let mut idle_switches = Vec::new();
    let mut rss_first = Vec::new();
    let mut rss_settled = Vec::new();
    let mut heap_settled = Vec::new();
    let mut file_settled = Vec::new();
    for run in 0..RUNS {
        let dir = tempfile::tempdir().expect("tempdir");
        let demo = dir.path().join("demo");
        let mut pty = open_pty(120, 40);
        let start = Instant::now();
        let mut child = spawn(
            &pty,
            &["demo".as_ref(), "--into".as_ref(), demo.as_os_str()],
        );
        let deadline = start + Duration::from_secs(20);
        let mut seen = Vec::new();
        let first = wait_for(&mut pty.master, END_FRAME, &mut seen, deadline);
        first_frame.push((first - start).as_secs_f64() * 1000.0);
        rss_first.push(status_mb(child.id(), "VmRSS:"));
        let shown = wait_for(&mut pty.master, b"Spec \xe2\x9c\x93", &mut seen, deadline);
        content.push((shown - start).as_secs_f64() * 1000.0);
        if run < 3 {
            // The first test run, the watcher's walk and the tokenizer finish meanwhile.
            std::thread::sleep(Duration::from_secs(2));
            rss_settled.push(status_mb(child.id(), "VmRSS:"));
            heap_settled.push(status_mb(child.id(), "RssAnon:"));
            file_settled.push(status_mb(child.id(), "RssFile:"));
        }
        // Idle: measure only a few runs, it takes seconds each.
        if run < 3 {
            // Let the startup notice expire (4 s) so nothing is scheduled at all.
            std::thread::sleep(Duration::from_secs(5));
            let (t0, s0) = usage(child.id());
            let window = Duration::from_secs(5);
            std::thread::sleep(window);
            let (t1, s1) = usage(child.id());
            // SAFETY: sysconf has no preconditions.
            let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
            idle_cpu.push((t1 - t0) as f64 / hz / window.as_secs_f64() * 100.0);
            // Threads alive in both samples; a blocking-pool thread may retire in between.
            let woke: u64 = s1
                .iter()
                .filter_map(|(tid, after)| Some(after.saturating_sub(*s0.get(tid)?)))
                .sum();
            idle_switches.push(woke as f64 / window.as_secs_f64());
        }
        quit(&mut pty, &mut child);
    }
    println!("specbench demo at 120x40 in a pseudo-terminal, release build");
    stats("start to first frame", first_frame, "ms", "< 50 ms");
    stats("start to spec on screen", content, "ms", "-");
    stats("RSS at the first frame", rss_first, "MB", "<= 30 MB");
    stats("RSS, the demo settled", rss_settled, "MB", "<= 30 MB");
    stats("  of which heap (RssAnon)", heap_settled, "MB", "-");
    stats("  of which binary (RssFile)", file_settled, "MB", "-");
    stats("idle CPU", idle_cpu, "%", "< 0.1 % of a core");
    stats(
        "idle wake-ups (all threads)",
        idle_switches,
        "/s",
        "~0 when nothing moves",
    );
    big_session();
}
