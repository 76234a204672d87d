//! The watcher on real directories: bursts, ignores, content fingerprints, the watch limit.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use notify::EventKind;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::debounce::Msg;
use super::fingerprint::began;
use super::tree::is_watch_limit;
use super::*;

const WAIT: Duration = Duration::from_secs(5);
const SILENCE: Duration = Duration::from_millis(300);

/// A quiet period much longer than the default, so that a test thread descheduled between
/// two syscalls of one save (on a loaded machine) does not split the save into two bursts.
fn config(root: &Path) -> WatchConfig {
    WatchConfig {
        quiet: Duration::from_millis(200),
        max_wait: Duration::from_secs(2),
        ..WatchConfig::new(root.to_path_buf(), Vec::new())
    }
}

fn start(config: WatchConfig) -> (Watcher, UnboundedReceiver<WatchEvent>) {
    let (tx, rx) = unbounded_channel();
    let watcher = Watcher::start(config, tx).expect("watcher starts");
    (watcher, rx)
}

async fn next(rx: &mut UnboundedReceiver<WatchEvent>) -> WatchEvent {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("an event within 5 s")
        .expect("the channel is open")
}

async fn next_paths(rx: &mut UnboundedReceiver<WatchEvent>) -> Vec<PathBuf> {
    match next(rx).await {
        WatchEvent::Changed {
            paths,
            content,
            first,
            last,
        } => {
            assert!(first <= last);
            assert_eq!(paths.len(), content.len());
            paths
        }
        other => panic!("expected Changed, got {other:?}"),
    }
}

async fn assert_silent(rx: &mut UnboundedReceiver<WatchEvent>) {
    if let Ok(event) = tokio::time::timeout(SILENCE, rx.recv()).await {
        panic!("expected no event, got {event:?}");
    }
}

fn paths(list: &[&str]) -> Vec<PathBuf> {
    list.iter().map(PathBuf::from).collect()
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create parent");
    }
    fs::write(path, text).expect("write file");
}

#[test]
fn config_defaults() {
    let config = WatchConfig::new(PathBuf::from("/ws"), vec!["*.log".into()]);
    assert_eq!(config.quiet, Duration::from_millis(5));
    assert_eq!(config.max_wait, Duration::from_millis(250));
    assert_eq!(config.ignore, vec!["*.log".to_string()]);
}

#[test]
fn watcher_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Watcher>();
}

#[tokio::test]
async fn rewriting_a_file_with_the_same_content_gives_no_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "gen.py", "X = 1\n");
    write(dir.path(), "SPEC.md", "# Spec\n");
    let (_watcher, mut rx) = start(config(dir.path()));
    // The first rewrite after the walk is recognised too: the walk took a baseline.
    write(dir.path(), "gen.py", "X = 1\n");
    // Truncated and written again within one burst, as `cat tmp > SPEC.md` does.
    fs::write(dir.path().join("SPEC.md"), "").expect("truncate");
    write(dir.path(), "SPEC.md", "# Spec\n");
    assert_silent(&mut rx).await;
    write(dir.path(), "gen.py", "X = 2\n");
    match next(&mut rx).await {
        WatchEvent::Changed {
            paths: p, content, ..
        } => {
            assert_eq!(p, paths(&["gen.py"]));
            let [change] = content.as_slice() else {
                panic!("{content:?}")
            };
            assert!(matches!(change.before, Content::Bytes { len: 6, .. }));
            assert!(matches!(change.after, Content::Bytes { len: 6, .. }));
            assert!(!change.before.same(change.after));
        }
        other => panic!("expected Changed, got {other:?}"),
    }
    // And back: the same content as before the last change is a change again.
    write(dir.path(), "gen.py", "X = 1\n");
    assert_eq!(next_paths(&mut rx).await, paths(&["gen.py"]));
    write(dir.path(), "gen.py", "X = 1\n");
    assert_silent(&mut rx).await;
}

#[tokio::test]
async fn created_emptied_and_removed_files_say_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.py", "x = 1\n");
    let (_watcher, mut rx) = start(config(dir.path()));
    let change = |event: WatchEvent| match event {
        WatchEvent::Changed { content, .. } => content[0],
        other => panic!("expected Changed, got {other:?}"),
    };
    write(dir.path(), "new.py", "y = 1\n");
    let created = change(next(&mut rx).await);
    assert_eq!(created.before, Content::Absent);
    assert!(matches!(created.after, Content::Bytes { len: 6, .. }));
    fs::write(dir.path().join("a.py"), "").expect("truncate");
    let emptied = change(next(&mut rx).await);
    assert!(emptied.after.is_empty() && !emptied.before.is_empty());
    fs::remove_file(dir.path().join("a.py")).expect("rm");
    let removed = change(next(&mut rx).await);
    assert_eq!(removed.after, Content::Absent);
    assert!(Content::Absent.same(Content::Absent));
    assert!(!Content::Unknown.same(Content::Unknown));
}

#[cfg(unix)]
#[tokio::test]
async fn a_fifo_is_reported_without_being_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_watcher, mut rx) = start(config(dir.path()));
    let fifo = dir.path().join("pipe.py");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    match next(&mut rx).await {
        WatchEvent::Changed {
            paths: p, content, ..
        } => {
            assert_eq!(p, paths(&["pipe.py"]));
            assert_eq!(content[0].after, Content::Unknown);
        }
        other => panic!("expected Changed, got {other:?}"),
    }
}

#[tokio::test]
async fn files_outside_the_root_can_be_watched_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("ws");
    write(&root, "a.py", "");
    write(dir.path(), "user/config.toml", "[ui]\n");
    write(dir.path(), "user/other.toml", "");
    let extra = fs::canonicalize(dir.path().join("user/config.toml")).expect("canon");
    let config = WatchConfig {
        extra: vec![extra.clone()],
        ..config(&root)
    };
    let (_watcher, mut rx) = start(config);
    write(dir.path(), "user/other.toml", "x = 1\n");
    write(dir.path(), "user/config.toml", "[ui]\n");
    assert_silent(&mut rx).await;
    write(dir.path(), "user/config.toml", "[ui]\ntheme = \"light\"\n");
    assert_eq!(next_paths(&mut rx).await, vec![extra]);
}

#[tokio::test]
async fn new_ignore_rules_apply_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "gen/a.py", "");
    write(root, "src/b.py", "");
    let (watcher, mut rx) = start(config(root));
    watcher
        .set_ignore(&["gen/".to_string()])
        .expect("good globs");
    write(root, "gen/a.py", "noise\n");
    assert_silent(&mut rx).await;
    let deadline = Instant::now() + WAIT;
    while watcher.watched_dirs().contains(&PathBuf::from("gen")) {
        assert!(Instant::now() < deadline, "gen/ still watched");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    watcher.set_ignore(&[]).expect("no globs");
    let deadline = Instant::now() + WAIT;
    while !watcher.watched_dirs().contains(&PathBuf::from("gen")) {
        assert!(Instant::now() < deadline, "gen/ not watched again");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    write(root, "gen/a.py", "x\n");
    assert_eq!(next_paths(&mut rx).await, paths(&["gen/a.py"]));
    assert!(matches!(
        watcher.set_ignore(&["src/{a,b".to_string()]),
        Err(WatchError::BadIgnoreGlob { .. })
    ));
}

#[tokio::test]
async fn one_save_gives_one_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "src/app.py", "x = 1\n");
    let (_watcher, mut rx) = start(config(dir.path()));
    write(dir.path(), "src/app.py", "x = 2\n");
    assert_eq!(next_paths(&mut rx).await, paths(&["src/app.py"]));
    assert_silent(&mut rx).await;
}

#[tokio::test]
async fn default_config_reports_a_save() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_watcher, mut rx) = start(WatchConfig::new(dir.path().to_path_buf(), Vec::new()));
    write(dir.path(), "main.py", "print()\n");
    // With the 5 ms default a preempted writer could split a save; only check the path.
    assert_eq!(next_paths(&mut rx).await, paths(&["main.py"]));
}

#[tokio::test]
async fn a_storm_with_pauses_gives_one_fast_event_and_one_more() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir(dir.path().join("gen")).expect("mkdir");
    let (_watcher, mut rx) = start(WatchConfig::new(dir.path().to_path_buf(), Vec::new()));
    // Pauses longer than the 5 ms quiet period, shorter than the storm gap.
    for i in 0..200 {
        write(dir.path(), &format!("gen/f{i}.py"), "x\n");
        if i % 40 == 39 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let mut seen = BTreeSet::new();
    let mut events = 0;
    while seen.len() < 200 {
        seen.extend(next_paths(&mut rx).await);
        events += 1;
    }
    assert!(events <= 2, "{events} events for one storm");
    assert_silent(&mut rx).await;
}

#[tokio::test]
async fn temporary_files_of_a_sed_style_save_are_not_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "app.py", "x = 1\n");
    let (_watcher, mut rx) = start(config(dir.path()));
    // sed -i: write a new file beside the original, then rename it over the original.
    write(dir.path(), "sedAbC123", "x = 2\n");
    fs::rename(dir.path().join("sedAbC123"), dir.path().join("app.py")).expect("rename");
    assert_eq!(next_paths(&mut rx).await, paths(&["app.py"]));
    assert_silent(&mut rx).await;
}

#[tokio::test]
async fn a_burst_of_1000_files_gives_one_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir(dir.path().join("gen")).expect("mkdir");
    // Creating a file takes about a millisecond on some disks, and much longer on a loaded
    // machine: wait generously so that the burst ends on its quiet period alone.
    let config = WatchConfig {
        quiet: Duration::from_millis(500),
        max_wait: Duration::from_secs(60),
        ..config(dir.path())
    };
    let (_watcher, mut rx) = start(config);
    let mut expected = Vec::new();
    for i in 0..1000 {
        let rel = format!("gen/file_{i:04}.py");
        write(dir.path(), &rel, "pass\n");
        expected.push(PathBuf::from(rel));
    }
    expected.sort();
    assert_eq!(next_paths(&mut rx).await, expected);
    assert_silent(&mut rx).await;
}

#[tokio::test]
async fn max_wait_ends_a_long_burst() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = WatchConfig {
        quiet: Duration::from_secs(30),
        max_wait: Duration::from_millis(50),
        ..config(dir.path())
    };
    let (_watcher, mut rx) = start(config);
    write(dir.path(), "a.py", "pass\n");
    // Well past `max_wait`, well within `quiet`: the first burst has been cut off.
    std::thread::sleep(Duration::from_secs(1));
    write(dir.path(), "b.py", "pass\n");
    // (A writer preempted mid-save may split a save itself: only check the two stay apart.)
    let (a, b) = (PathBuf::from("a.py"), PathBuf::from("b.py"));
    loop {
        let changed = next_paths(&mut rx).await;
        assert!(
            !(changed.contains(&a) && changed.contains(&b)),
            "one burst: {changed:?}"
        );
        if changed.contains(&b) {
            break;
        }
    }
}

#[tokio::test]
async fn writes_under_ignored_paths_give_no_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    for d in [
        "target",
        ".git",
        ".specbench",
        "__pycache__",
        "build",
        "out",
    ] {
        fs::create_dir(root.join(d)).expect("mkdir");
    }
    write(root, ".gitignore", "build/\n*.dat\n");
    let config = WatchConfig {
        ignore: vec!["*.log".into(), "out/".into()],
        ..config(root)
    };
    let (_watcher, mut rx) = start(config);
    for rel in [
        "target/x",
        ".git/x",
        ".specbench/x",
        "__pycache__/x.pyc",
        "build/x.py",
        "data.dat",
        "run.log",
        "out/x.py",
        "foo.swp",
        "foo.py~",
        ".#foo.py",
        "#foo.py#",
        "4913",
        "a.tmp",
        ".a.py.4242.Ab3dE9.specbench-tmp",
        "mod.pyc",
    ] {
        write(root, rel, "noise\n");
    }
    // New ignored directories are not reported either, nor what is inside them.
    write(root, "node_modules/pkg/index.js", "noise\n");
    write(root, "sub/target/debug/x", "noise\n");
    assert_silent(&mut rx).await;
    // The watcher is alive: a real change still comes through, alone.
    write(root, "keep.py", "pass\n");
    assert_eq!(next_paths(&mut rx).await, paths(&["keep.py"]));
}

#[cfg(unix)]
#[tokio::test]
async fn access_and_metadata_changes_give_no_event() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.py", "pass\n");
    let (_watcher, mut rx) = start(config(dir.path()));
    let file = dir.path().join("a.py");
    fs::read_to_string(&file).expect("read");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).expect("chmod");
    assert_silent(&mut rx).await;
}

#[tokio::test]
async fn removal_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "old.py", "pass\n");
    let (_watcher, mut rx) = start(config(dir.path()));
    fs::remove_file(dir.path().join("old.py")).expect("rm");
    assert_eq!(next_paths(&mut rx).await, paths(&["old.py"]));
}

#[tokio::test]
async fn new_directory_is_watched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let (watcher, mut rx) = start(config(root));
    fs::create_dir(root.join("pkg")).expect("mkdir");
    write(root, "pkg/mod.py", "pass\n");
    assert_eq!(next_paths(&mut rx).await, paths(&["pkg/mod.py"]));

    // Nested directories made at once, with a file in the deepest one.
    write(root, "a/b/c/deep.py", "pass\n");
    assert_eq!(next_paths(&mut rx).await, paths(&["a/b/c/deep.py"]));
    assert!(watcher.watched_dirs().contains(&PathBuf::from("a/b/c")));
    // The new directories are watched from now on.
    write(root, "a/b/c/later.py", "pass\n");
    assert_eq!(next_paths(&mut rx).await, paths(&["a/b/c/later.py"]));
}

#[tokio::test]
async fn directory_moved_in_reports_its_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("ws");
    fs::create_dir(&root).expect("mkdir");
    write(dir.path(), "outside/lib/x.py", "pass\n");
    write(dir.path(), "outside/lib/sub/y.py", "pass\n");
    write(dir.path(), "outside/lib/__pycache__/x.pyc", "noise\n");
    let (watcher, mut rx) = start(config(&root));
    fs::rename(dir.path().join("outside/lib"), root.join("lib")).expect("mv in");
    assert_eq!(
        next_paths(&mut rx).await,
        paths(&["lib/sub/y.py", "lib/x.py"])
    );
    assert!(watcher.watched_dirs().contains(&PathBuf::from("lib/sub")));

    // Moved away again: its own path is reported and its watches are forgotten.
    fs::rename(root.join("lib"), dir.path().join("gone")).expect("mv out");
    assert_eq!(next_paths(&mut rx).await, paths(&["lib"]));
    assert!(!watcher.watched_dirs().iter().any(|d| d.starts_with("lib")));
}

/// Receives `Changed` events until all of `expected` have been named.
async fn until_seen(rx: &mut UnboundedReceiver<WatchEvent>, expected: &[&str]) {
    let mut missing: BTreeSet<PathBuf> = expected.iter().map(PathBuf::from).collect();
    while !missing.is_empty() {
        for path in next_paths(rx).await {
            missing.remove(&path);
        }
    }
}

#[tokio::test]
async fn replaced_directory_is_watched_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("ws");
    write(&root, "d/a.py", "pass\n");
    fs::create_dir(root.join("e")).expect("mkdir");
    write(dir.path(), "outside/n.py", "pass\n");
    let (_watcher, mut rx) = start(config(&root));

    // Removed and made anew, quickly.
    fs::remove_dir_all(root.join("d")).expect("rm -r");
    write(&root, "d/b.py", "pass\n");
    // An empty directory replaced by a rename over it.
    fs::rename(dir.path().join("outside"), root.join("e")).expect("mv over");
    until_seen(&mut rx, &["d/a.py", "d/b.py", "e/n.py"]).await;

    write(&root, "d/c.py", "pass\n");
    write(&root, "e/m.py", "pass\n");
    until_seen(&mut rx, &["d/c.py", "e/m.py"]).await;
}

#[tokio::test]
async fn save_by_rename_gives_one_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "a.py", "x = 1\n");
    let (_watcher, mut rx) = start(config(root));
    write(root, "a.py.tmp", "x = 2\n");
    fs::rename(root.join("a.py.tmp"), root.join("a.py")).expect("rename");
    assert_eq!(next_paths(&mut rx).await, paths(&["a.py"]));
    assert_silent(&mut rx).await;
}

#[tokio::test]
async fn vim_backup_dance_gives_one_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "a.py", "x = 1\n");
    let (_watcher, mut rx) = start(config(root));
    // vim's writability probe, then backup by rename, write anew, drop the backup.
    write(root, "4913", "");
    fs::remove_file(root.join("4913")).expect("rm probe");
    fs::rename(root.join("a.py"), root.join("a.py~")).expect("backup");
    write(root, "a.py", "x = 2\n");
    fs::remove_file(root.join("a.py~")).expect("rm backup");
    assert_eq!(next_paths(&mut rx).await, paths(&["a.py"]));
    assert_silent(&mut rx).await;
}

#[tokio::test]
async fn pruned_directories_get_no_watch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    for rel in [
        "src/pkg/m.py",
        "target/debug/deps/x",
        "node_modules/a/b/i.js",
        ".git/objects/ab/cd",
        ".specbench/sessions/s.json",
        "build/gen/g.py",
        "src/pkg/__pycache__/m.pyc",
        "src/generated/g.py",
        "logs/today/a",
    ] {
        write(root, rel, "");
    }
    write(root, ".gitignore", "build/\n");
    write(root, "src/.gitignore", "generated/\n");
    write(root, ".git/info/exclude", "logs/\n");
    let config = WatchConfig {
        ignore: vec!["*.log".into()],
        ..config(root)
    };
    let (watcher, mut rx) = start(config);
    assert_eq!(watcher.watched_dirs(), paths(&["", "src", "src/pkg"]));
    for rel in [
        "target",
        "node_modules",
        ".git",
        ".specbench",
        "build",
        "src/generated",
        "src/pkg/__pycache__",
        "logs",
    ] {
        assert!(watcher.is_ignored(Path::new(rel), true), "{rel} ignored");
    }
    assert!(watcher.is_ignored(Path::new("target/debug/deps/x"), false));
    assert!(watcher.is_ignored(Path::new("src/generated/g.py"), false));
    assert!(watcher.is_ignored(Path::new("a/b/c.log"), false));
    assert!(!watcher.is_ignored(Path::new("src/pkg/m.py"), false));
    // `build/` names directories only; gitignore rules are relative to their directory.
    assert!(!watcher.is_ignored(Path::new("build"), false));
    assert!(!watcher.is_ignored(Path::new("generated"), true));
    assert_silent(&mut rx).await;
}

#[tokio::test]
async fn gitignore_can_reinclude_builtin_noise() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "venv/lib.py", "");
    write(root, ".gitignore", "!venv/\n");
    let config = WatchConfig {
        ignore: vec!["*.py".into(), "!keep.py".into()],
        ..config(root)
    };
    let (watcher, _rx) = start(config);
    assert!(watcher.watched_dirs().contains(&PathBuf::from("venv")));
    assert!(watcher.is_ignored(Path::new("venv/lib.py"), false));
    assert!(!watcher.is_ignored(Path::new("keep.py"), false));
}

#[tokio::test]
async fn changed_gitignore_updates_the_watches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "gen/a.py", "");
    write(root, "src/b.py", "");
    let (watcher, mut rx) = start(config(root));
    write(root, ".gitignore", "gen/\n");
    assert_eq!(next_paths(&mut rx).await, paths(&[".gitignore"]));
    // The resync runs right after the burst is sent; wait for it to show.
    let deadline = Instant::now() + WAIT;
    while watcher.watched_dirs().contains(&PathBuf::from("gen")) {
        assert!(Instant::now() < deadline, "gen/ still watched");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    write(root, "gen/a.py", "noise\n");
    assert_silent(&mut rx).await;
    fs::remove_file(root.join(".gitignore")).expect("rm");
    assert_eq!(next_paths(&mut rx).await, paths(&[".gitignore"]));
    let deadline = Instant::now() + WAIT;
    while !watcher.watched_dirs().contains(&PathBuf::from("gen")) {
        assert!(Instant::now() < deadline, "gen/ not watched again");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    write(root, "gen/a.py", "x\n");
    assert_eq!(next_paths(&mut rx).await, paths(&["gen/a.py"]));
}

#[tokio::test]
async fn queue_overflow_and_watch_limit_give_rescan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (watcher, mut rx) = start(config(dir.path()));
    let overflow = notify::Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan);
    watcher.stop.send(Msg::Raw(Ok(overflow))).expect("send");
    match next(&mut rx).await {
        WatchEvent::Rescan { reason } => assert!(reason.contains("overflowed"), "{reason}"),
        other => panic!("expected Rescan, got {other:?}"),
    }
    // Many limit errors in one burst give one Rescan naming the sysctl.
    for _ in 0..3 {
        let err = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
        watcher.stop.send(Msg::Raw(Err(err))).expect("send");
    }
    match next(&mut rx).await {
        WatchEvent::Rescan { reason } => {
            assert!(reason.contains("fs.inotify.max_user_watches"), "{reason}");
            assert!(reason.contains("sysctl"), "{reason}");
        }
        other => panic!("expected Rescan, got {other:?}"),
    }
    assert_silent(&mut rx).await;
}

#[test]
fn a_burst_is_dated_by_its_files_writes_within_a_second() {
    let arrived = Instant::now();
    let wall = SystemTime::now();
    assert_eq!(began(arrived, None), arrived);
    let early = began(arrived, Some(wall - Duration::from_millis(200)));
    let by = arrived - early;
    assert!(
        by > Duration::from_millis(150) && by <= Duration::from_millis(200),
        "{by:?}"
    );
    let old = began(arrived, Some(wall - Duration::from_secs(3600)));
    assert_eq!(arrived - old, MAX_EVENT_DELAY);
    let future = began(arrived, Some(wall + Duration::from_secs(5)));
    assert_eq!(future, arrived);
}

#[test]
fn limit_errors_are_recognised() {
    assert!(is_watch_limit(&notify::Error::new(
        notify::ErrorKind::MaxFilesWatch
    )));
    let enospc = io::Error::from_raw_os_error(28);
    assert!(is_watch_limit(&notify::Error::io(enospc)));
    assert!(!is_watch_limit(&notify::Error::path_not_found()));
}

#[test]
fn bad_ignore_glob_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tx, _rx) = unbounded_channel();
    let config = WatchConfig::new(
        dir.path().to_path_buf(),
        vec!["*.log".into(), "src/{a,b".into()],
    );
    match Watcher::start(config, tx) {
        Err(err @ WatchError::BadIgnoreGlob { .. }) => {
            assert!(err.to_string().contains("src/{a,b"), "{err}");
        }
        other => panic!("expected BadIgnoreGlob, got {other:?}"),
    }
}

#[test]
fn unreadable_root_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tx, _rx) = unbounded_channel();
    let config = WatchConfig::new(dir.path().join("missing"), Vec::new());
    assert!(matches!(
        Watcher::start(config, tx),
        Err(WatchError::RootUnreadable { .. })
    ));
}

#[tokio::test]
async fn dropping_the_watcher_stops_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (watcher, mut rx) = start(config(dir.path()));
    drop(watcher);
    write(dir.path(), "a.py", "pass\n");
    let end = tokio::time::timeout(WAIT, rx.recv()).await.expect("closed");
    assert_eq!(end, None);
}
