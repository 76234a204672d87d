//! The rerun rules with the real file watcher, effects and test runs (`sh -c`, python3): files a
//! run writes do not rerun it, a run that rewrites a file differently every time pauses
//! auto-rerun, the spec is never killed mid-write, and the config reloads while open.
//!
//! Nothing is timed: each test handles the app's messages until the model reaches the state it
//! waits for (failing after 60 s, or as soon as more runs start than the rules allow), and a
//! save of another file, whose run comes after everything the earlier runs caused, closes each
//! count.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use specbench::config::{self, Overrides};
use specbench::effects::Effects;
use specbench::model::results::Trigger;
use specbench::model::{AppEvent, Model, Msg, update};
use specbench::theme::ThemeSource;
use specbench::watch::{WatchConfig, Watcher};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// The model, the real effects and watcher on a workspace, driven message by message.
struct Cockpit {
    model: Model,
    effects: Effects,
    rx: UnboundedReceiver<Msg>,
    root: PathBuf,
}

impl Cockpit {
    /// Opens `root` as the cockpit does: the run on open is asked for at once, and the watcher
    /// walks the tree meanwhile, off the loop.
    fn open(root: &Path) -> Cockpit {
        let config = config::load(root, &Overrides::default()).expect("config");
        let theme = ThemeSource::default().load("default").expect("theme");
        let mut model = Model::new(root.to_path_buf(), "ws".into(), config.clone(), theme);
        model.watching = true;
        let (tx, rx) = unbounded_channel();
        let effects = Effects::new(root.to_path_buf(), config.clone(), tx.clone()).expect_watcher();
        let mut cockpit = Cockpit {
            model,
            effects: effects.clone(),
            rx,
            root: root.to_path_buf(),
        };
        for cmd in cockpit.model.init() {
            cockpit.effects.run(cmd);
        }
        let (watch_tx, mut watch_rx) = unbounded_channel();
        let watch = WatchConfig::new(root.to_path_buf(), config.tests.ignore.clone());
        tokio::task::spawn_blocking(move || {
            effects.attach_watcher(Watcher::start(watch, watch_tx).expect("watcher"));
        });
        tokio::spawn(async move {
            while let Some(event) = watch_rx.recv().await {
                let _ = tx.send(Msg::Event(AppEvent::Watch(event)));
            }
        });
        cockpit
    }

    fn handle(&mut self, msg: Msg) {
        for cmd in update(&mut self.model, msg) {
            self.effects.run(cmd);
        }
    }

    fn key(&mut self, c: char) {
        self.handle(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }

    /// Handles the app's messages until `done` holds; fails when more than `max_runs` runs
    /// have started meanwhile, or after 60 s.
    async fn until(&mut self, what: &str, max_runs: u64, done: impl Fn(&Model) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while !done(&self.model) {
            let runs = self.model.results.runs;
            assert!(
                runs <= max_runs,
                "{runs} runs started while waiting for {what} (at most {max_runs}); the last \
                 started on {:?}, the one before ended as {:?}",
                self.model.results.running.as_ref().map(|r| &r.trigger),
                self.model
                    .results
                    .last
                    .as_ref()
                    .map(|l| (&l.trigger, l.report.cancelled)),
            );
            let msg = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} within 60 s ({runs} runs)"))
                .expect("the app channel is open");
            self.handle(msg);
        }
    }

    /// Waits until run `number` has finished and no other is going.
    async fn finished(&mut self, number: u64) {
        self.until(&format!("run #{number} to finish"), number, |m| {
            m.results.running.is_none()
                && m.results.last.as_ref().is_some_and(|l| l.number == number)
        })
        .await;
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        std::fs::write(path, text).expect("write");
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap_or_default()
    }

    /// The lines the test command appended to `runs.log`.
    fn log(&self) -> Vec<String> {
        self.read("runs.log").lines().map(str::to_string).collect()
    }

    fn notice(&self) -> String {
        self.model
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default()
    }
}

/// A python workspace whose test command is `command`, under `[tests]` with `extra` lines.
fn workspace(command: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(root.join("gen.py"), "X = 1\n").expect("gen.py");
    std::fs::write(
        root.join("test_gen.py"),
        "import unittest\n\nimport gen\n\n\nclass GenTest(unittest.TestCase):\n    \
         def test_x(self):\n        self.assertEqual(gen.X, 1)\n",
    )
    .expect("test_gen.py");
    let toml = format!("[tests]\ncommand = {command:?}\n{extra}");
    std::fs::write(root.join("specbench.toml"), toml).expect("specbench.toml");
    dir
}

const MODES: [&str; 2] = ["on_change = \"restart\"\n", "on_change = \"queue\"\n"];

/// The README's promise: what a run writes (the same code and spec again, caches, reports)
/// never starts another run, whichever `on_change`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_the_run_writes_never_trigger_it() {
    for mode in MODES {
        let command = "echo run >> runs.log; printf 'X = 1\\n' > gen.py; \
                       cat SPEC.md > spec.tmp; cat spec.tmp > SPEC.md; rm spec.tmp; \
                       mkdir -p cache; date +%s%N > cache/stamp; date +%s%N > report.xml; \
                       python3 -m unittest -q";
        let dir = workspace(command, mode);
        std::fs::write(dir.path().join("SPEC.md"), "# Gen\n\n- [R1] X is 1.\n").expect("spec");
        let mut c = Cockpit::open(dir.path());
        c.finished(1).await;
        // A save by hand: its run comes after anything the first run's writes caused.
        c.write("user.py", "Y = 2\n");
        c.finished(2).await;
        let last = c.model.results.last.as_ref().expect("a run");
        assert_eq!(last.trigger, Trigger::Saved("user.py".into()), "{mode}");
        assert_eq!(last.report.counts().passed, 1, "{mode}");
        assert_eq!(c.log().len(), 2, "{mode}");
        assert_eq!(c.read("SPEC.md"), "# Gen\n\n- [R1] X is 1.\n");
        assert!(c.model.reruns.paused.is_empty(), "{mode}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_rewrites_a_file_differently_each_time_pauses_auto_rerun() {
    for mode in MODES {
        let command = "echo run >> runs.log; echo \"STAMP = $(date +%s%N)\" > stamp.py; \
                       python3 -m unittest -q";
        let dir = workspace(command, mode);
        let mut c = Cockpit::open(dir.path());
        c.until("auto-rerun to pause", 3, |m| {
            !m.reruns.paused.is_empty() && m.results.running.is_none()
        })
        .await;
        assert_eq!(c.model.results.runs, 3, "{mode}");
        let notice = c.notice();
        assert!(
            notice.starts_with("stamp.py is rewritten by `echo run >> runs.log; echo \"STAMP"),
            "{notice}"
        );
        assert!(
            notice.ends_with("on every run: auto-rerun paused · r runs the tests · a save resumes"),
            "{notice}"
        );
        // The run that completed the third round was left to finish.
        let last = c.model.results.last.as_ref().expect("a run");
        assert_eq!(last.number, 3, "{mode}");
        assert!(!last.report.cancelled, "{mode}");

        // `r` still runs by hand, and its own rewrite does not undo the pause.
        c.key('r');
        c.finished(4).await;
        assert!(c.model.reruns.is_paused(Path::new("stamp.py")), "{mode}");
        // A save of another file is the user's: it runs, and the runs' rewrite is caught at
        // once this time.
        c.write("user.py", "Y = 2\n");
        c.finished(5).await;
        assert_eq!(
            c.model.results.last.as_ref().map(|l| l.trigger.clone()),
            Some(Trigger::Saved("user.py".into()))
        );
        assert!(c.model.reruns.is_paused(Path::new("stamp.py")), "{mode}");
        assert_eq!(c.log().len(), 5, "{mode}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spec_rewrite_during_a_run_queues_and_is_never_killed_mid_write() {
    // A formatter that truncates the spec, pauses, then writes it back without trailing
    // spaces (the kill of a restart would leave it empty).
    let command = "echo run >> runs.log; python3 fmt.py; python3 -m unittest -q; \
                   echo end >> runs.log";
    let dir = workspace(command, MODES[0]);
    let root = dir.path();
    std::fs::write(
        root.join("fmt.py"),
        "import time\n\ntext = open('SPEC.md').read()\n\
         tidy = '\\n'.join(l.rstrip() for l in text.split('\\n'))\n\
         with open('SPEC.md', 'w') as f:\n    f.flush()\n    time.sleep(0.3)\n    f.write(tidy)\n",
    )
    .expect("fmt.py");
    std::fs::write(root.join("SPEC.md"), "# Gen   \n\n- [R1] X is 1.  \n").expect("spec");
    let mut c = Cockpit::open(root);
    // The spec changed during the first run: one more run, queued behind it, starts as it
    // ends. That run empties and rewrites the spec as it found it: nothing asks for a third.
    c.until("run #1 to finish", 2, |m| m.results.last.is_some())
        .await;
    assert_eq!(
        c.model.results.running.as_ref().map(|r| r.trigger.clone()),
        Some(Trigger::Saved("SPEC.md".into()))
    );
    c.finished(2).await;
    c.write("user.py", "Y = 2\n");
    c.finished(3).await;
    assert_eq!(
        c.log(),
        ["run", "end", "run", "end", "run", "end"],
        "no run was killed"
    );
    assert_eq!(c.read("SPEC.md"), "# Gen\n\n- [R1] X is 1.\n");
    assert_eq!(
        c.model.results.last.as_ref().map(|l| l.trigger.clone()),
        Some(Trigger::Saved("user.py".into()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_the_config_while_open_changes_the_next_runs() {
    let dir = workspace("echo one >> runs.log", "");
    let mut c = Cockpit::open(dir.path());
    c.finished(1).await;
    c.write(
        "specbench.toml",
        "[tests]\ncommand = \"echo two >> runs.log\"\n",
    );
    // The new command reruns the tests.
    c.finished(2).await;
    assert_eq!(c.log(), ["one", "two"]);
    assert_eq!(
        c.model.results.last.as_ref().map(|l| l.trigger.clone()),
        Some(Trigger::Config)
    );

    // A bad edit keeps the settings in force and says where it is wrong.
    c.write(
        "specbench.toml",
        "[tests]\ncommand = \"echo three >> runs.log\"\ntimeout_secs = 0\n",
    );
    c.until("the bad config to be reported", 2, |m| {
        m.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("specbench.toml:3"))
    })
    .await;
    let notice = c.notice();
    assert!(
        notice.starts_with("specbench.toml:3:1: `tests.timeout_secs`: must be at least 1"),
        "{notice}"
    );
    assert!(notice.contains("settings in force stay"), "{notice}");
    c.key('r');
    c.finished(3).await;
    assert_eq!(c.log(), ["one", "two", "two"]);

    // New ignore rules reach the watcher.
    c.write(
        "specbench.toml",
        "[tests]\ncommand = \"echo two >> runs.log\"\nignore = [\"gen/\"]\n",
    );
    c.finished(4).await;
    assert_eq!(c.model.config.tests.ignore, ["gen/"]);
    c.write("gen/made.py", "Z = 3\n");
    c.write("user.py", "Y = 2\n");
    c.finished(5).await;
    assert_eq!(
        c.model.results.last.as_ref().map(|l| l.trigger.clone()),
        Some(Trigger::Saved("user.py".into())),
        "gen/made.py is ignored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_run_waits_for_the_watchers_walk() {
    use specbench::model::Cmd;
    let dir = workspace("echo run >> runs.log", "");
    let root = dir.path();
    let config = config::load(root, &Overrides::default()).expect("config");
    let (tx, mut rx) = unbounded_channel();
    let effects = Effects::new(root.to_path_buf(), config, tx).expect_watcher();
    effects.run(Cmd::StartRun { id: 1 });
    // While the watcher walks the tree, and takes what each file holds, no process starts: a
    // file the run writes would otherwise be read half-written as the "before".
    let early = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
    assert!(early.is_err(), "{early:?}");
    assert!(!root.join("runs.log").exists());
    // Restarted meanwhile: the first never starts at all.
    effects.run(Cmd::CancelRun { id: 1 });
    effects.run(Cmd::StartRun { id: 2 });
    let (watch_tx, _watch_rx) = unbounded_channel();
    let watch = WatchConfig::new(root.to_path_buf(), Vec::new());
    effects.attach_watcher(Watcher::start(watch, watch_tx).expect("watcher"));
    let mut seen = Vec::new();
    while !matches!(seen.last(), Some((false, _))) {
        let msg = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("the run within 60 s")
            .expect("open");
        match msg {
            Msg::Event(AppEvent::RunStarted { id, .. }) => seen.push((true, id)),
            Msg::Event(AppEvent::RunFinished { id, .. }) => seen.push((false, id)),
            _ => {}
        }
    }
    assert_eq!(seen, [(true, 2), (false, 2)]);
    assert_eq!(
        std::fs::read_to_string(root.join("runs.log")).unwrap(),
        "run\n"
    );
}
