//! Generated code to the workspace on real temp directories: a reply's edits become reviewable
//! diffs; applying, undoing and redoing them is exact; a malicious reply changes nothing outside
//! the workspace (the whole tree is compared before and after) and says why; through the real
//! effects, what specbench wrote is told from hand edits across applies, undos, redos, restores
//! and restarts, and no hand edit is overwritten without asking.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use specbench::code::changes::{self, ApplyError, ChangeState, DiffTag};
use specbench::code::checkpoint::{CheckpointError, CheckpointStore};
use specbench::code::extract::extract;

/// Every file under `dir` with its bytes (symlinks as their target).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                out.insert(path, target.to_string_lossy().as_bytes().to_vec());
            } else if meta.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ws")).unwrap();
    let root = dir.path().join("ws").canonicalize().unwrap();
    std::fs::write(root.join("calc.py"), "def add(a, b):\n    return a - b\n").unwrap();
    std::fs::write(root.join("util.py"), "X = 1\nY = 2\n").unwrap();
    (dir, root)
}

fn allowed() -> globset::GlobSet {
    specbench::workspace::glob_set(&["**/*.py".to_string(), "**/*.md".to_string()]).unwrap()
}

const THREE_FILES: &str = r#"Three changes.

calc.py
```python
<<<<<<< SEARCH
    return a - b
=======
    return a + b
>>>>>>> REPLACE
```

```python path=util.py
X = 10
Y = 2
Z = 3
```

```python path=pkg/new_mod.py
def hello():
    return "hi"
```
"#;

#[test]
fn a_reply_editing_three_files_gives_three_diffs_and_apply_undo_redo_are_exact() {
    let (_dir, root) = workspace();
    let before = tree(&root);
    let extracted = extract(THREE_FILES);
    assert!(extracted.problems.is_empty(), "{:?}", extracted.problems);
    let set = changes::prepare(&root, 7, &extracted.edits, &[], Some(&allowed()));
    assert!(set.refused.is_empty(), "{:?}", set.refused);
    let names: Vec<String> = set
        .files
        .iter()
        .map(|f| f.rel.display().to_string())
        .collect();
    assert_eq!(names, ["calc.py", "util.py", "pkg/new_mod.py"]);
    assert_eq!((set.files[0].added, set.files[0].removed), (1, 1));
    assert!(
        set.files[0]
            .diff
            .iter()
            .any(|l| l.tag == DiffTag::Added && l.text == "    return a + b")
    );
    assert_eq!(set.files[2].before, None, "a new file");
    assert!(set.files.iter().all(|f| f.state == ChangeState::Pending));
    assert_eq!(tree(&root), before, "preparing writes nothing");

    let files: Vec<_> = set
        .files
        .iter()
        .map(|f| (f.rel.clone(), f.before.clone(), f.after.clone()))
        .collect();
    changes::apply(&root, "reply 7", &files, Some(&allowed())).unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join("calc.py")).unwrap(),
        "def add(a, b):\n    return a + b\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("pkg/new_mod.py")).unwrap(),
        "def hello():\n    return \"hi\"\n"
    );
    let applied = tree(&root);

    let store = CheckpointStore::new(&root);
    store.undo(false).unwrap();
    let mut undone = tree(&root);
    undone.retain(|p, _| !p.starts_with(root.join(".specbench")));
    assert_eq!(
        undone, before,
        "undo puts every file back and removes the created one"
    );
    assert!(!root.join("pkg/new_mod.py").exists());
    store.redo(false).unwrap();
    let mut redone = tree(&root);
    redone.retain(|p, _| !p.starts_with(root.join(".specbench")));
    let mut applied_code = applied.clone();
    applied_code.retain(|p, _| !p.starts_with(root.join(".specbench")));
    assert_eq!(redone, applied_code);
}

#[test]
fn a_malicious_reply_changes_nothing_outside_the_workspace_and_says_why() {
    let (dir, root) = workspace();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret.py"), "keep me\n").unwrap();
    std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
    std::fs::create_dir(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/config"), "[core]\n").unwrap();
    let reply = r#"
```python path=../outside.txt
pwned
```

```text path=/etc/passwd
root::0:0::/:/bin/sh
```

```python path=link/secret.py
pwned
```

```ini path=.git/config
pwned
```

```python path=calc.py
def add(a, b):
    return a + b
```
"#;
    let before = tree(dir.path());
    let extracted = extract(reply);
    let set = changes::prepare(
        &root,
        1,
        &extracted.edits,
        &extracted.problems,
        Some(&allowed()),
    );
    let refused: Vec<(&str, &str)> = set
        .refused
        .iter()
        .map(|r| (r.path.as_str(), r.why.as_str()))
        .collect();
    assert_eq!(refused.len(), 4, "{refused:?}");
    for (path, why) in &refused {
        assert!(!why.is_empty(), "{path} refused without a reason");
    }
    assert_eq!(set.files.len(), 1, "only calc.py is a change");
    // Even if a tampered change list reached apply, the paths are checked again.
    let evil = vec![(PathBuf::from("../outside.txt"), None, "pwned\n".to_string())];
    let err = changes::apply(&root, "evil", &evil, Some(&allowed())).unwrap_err();
    assert!(matches!(err, ApplyError::Refused { .. }), "{err}");
    assert_eq!(tree(dir.path()), before, "nothing changed anywhere");
}

#[test]
fn a_file_changed_after_the_reply_is_not_overwritten() {
    let (_dir, root) = workspace();
    let extracted = extract(THREE_FILES);
    let set = changes::prepare(&root, 1, &extracted.edits, &[], Some(&allowed()));
    std::fs::write(root.join("util.py"), "X = 99\n").unwrap();
    let before = tree(&root);
    let files: Vec<_> = set
        .files
        .iter()
        .map(|f| (f.rel.clone(), f.before.clone(), f.after.clone()))
        .collect();
    let err = changes::apply(&root, "reply", &files, Some(&allowed())).unwrap_err();
    assert!(
        matches!(&err, ApplyError::Stale { path } if path == Path::new("util.py")),
        "{err}"
    );
    assert_eq!(tree(&root), before, "nothing was written");
}

#[test]
fn an_undo_over_a_hand_edit_asks_first() {
    let (_dir, root) = workspace();
    let extracted = extract(THREE_FILES);
    let set = changes::prepare(&root, 1, &extracted.edits, &[], Some(&allowed()));
    let files: Vec<_> = set
        .files
        .iter()
        .map(|f| (f.rel.clone(), f.before.clone(), f.after.clone()))
        .collect();
    changes::apply(&root, "reply", &files, Some(&allowed())).unwrap();
    std::fs::write(root.join("calc.py"), "# my own fix\n").unwrap();
    let store = CheckpointStore::new(&root);
    match store.undo(false) {
        Err(CheckpointError::ChangedSince { paths }) => {
            assert_eq!(paths, vec![PathBuf::from("calc.py")]);
        }
        other => panic!("expected ChangedSince, got {other:?}"),
    }
    assert_eq!(
        std::fs::read_to_string(root.join("calc.py")).unwrap(),
        "# my own fix\n"
    );
    store.undo(true).unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join("calc.py")).unwrap(),
        "def add(a, b):\n    return a - b\n"
    );
}

/// The model and the real effects on a workspace, driven by hand: commands run through the
/// effects, their results go back through `update` (test runs are left out).
struct Driver {
    model: specbench::model::Model,
    effects: specbench::effects::Effects,
    rx: tokio::sync::mpsc::UnboundedReceiver<specbench::model::Msg>,
    /// Every notice shown, in order.
    notices: Vec<String>,
}

impl Driver {
    fn new(root: &Path) -> Driver {
        use specbench::model::{AppEvent, Msg, update};
        let mut config = specbench::config::Config::default();
        config.code.include = vec!["**/*.py".into()];
        let theme = specbench::theme::ThemeSource::default()
            .load("default")
            .unwrap();
        let mut model =
            specbench::model::Model::new(root.into(), "w".into(), config.clone(), theme);
        // Reloads are asked for by the test, as a watcher would.
        model.watching = true;
        update(&mut model, Msg::Resize(120, 40));
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let effects = specbench::effects::Effects::new(root.into(), config, tx);
        let mut driver = Driver {
            model,
            effects,
            rx,
            notices: Vec::new(),
        };
        let files = vec![PathBuf::from("a.py"), PathBuf::from("b.py")];
        let cmds = update(
            &mut driver.model,
            Msg::Event(AppEvent::CodeFilesFound(Ok(files))),
        );
        driver.run(cmds);
        driver
    }

    fn run(&mut self, cmds: Vec<specbench::model::Cmd>) {
        use specbench::model::Cmd;
        if let Some(n) = &self.model.notice
            && self.notices.last() != Some(&n.text)
        {
            self.notices.push(n.text.clone());
        }
        for cmd in cmds {
            if !matches!(cmd, Cmd::StartRun { .. } | Cmd::CancelRun { .. }) {
                self.effects.run(cmd);
            }
        }
    }

    fn update(&mut self, msg: specbench::model::Msg) {
        let cmds = specbench::model::update(&mut self.model, msg);
        self.run(cmds);
    }

    /// Handles events until one matching `done` was handled.
    async fn until(&mut self, done: impl Fn(&specbench::model::AppEvent) -> bool) {
        loop {
            let msg = tokio::time::timeout(std::time::Duration::from_secs(30), self.rx.recv())
                .await
                .expect("an event in time")
                .expect("the channel is open");
            let matched = matches!(&msg, specbench::model::Msg::Event(e) if done(e));
            self.update(msg);
            if matched {
                return;
            }
        }
    }

    fn key(&mut self, c: char) {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        self.update(specbench::model::Msg::Key(key));
    }

    /// A reply's edits, checked against the disk, applied with `A` and reported.
    async fn apply_reply(&mut self, turn: u64, reply: &str) {
        use specbench::model::AppEvent;
        let root = self.model.root.clone();
        let extracted = extract(reply);
        let set = changes::prepare(&root, turn, &extracted.edits, &[], Some(&allowed()));
        self.update(specbench::model::Msg::Event(AppEvent::ChangesReady(set)));
        self.key('A');
        self.until(|e| matches!(e, AppEvent::Applied(_))).await;
    }

    /// Shows `rel` as a reload does (the watcher saw it change), and waits for it.
    async fn reload(&mut self, rel: &str) {
        use specbench::model::{AppEvent, Cmd, Loaded};
        let Loaded::Ready(files) = &self.model.code.files else {
            panic!("no file list");
        };
        self.model.code.selected = files.iter().position(|f| f == Path::new(rel)).unwrap();
        let id = self.model.code.load_id + 1000;
        self.model.code.load_id = id;
        self.effects.run(Cmd::LoadFile {
            id,
            path: rel.into(),
            syntax: "base16-ocean.dark".into(),
        });
        self.until(|e| matches!(e, AppEvent::FileLoaded { id: got, .. } if *got == id))
            .await;
    }

    fn hand_edits_noticed(&self) -> Vec<&String> {
        self.notices
            .iter()
            .filter(|n| n.contains("edited by hand"))
            .collect()
    }
}

fn writes_a(text: &str) -> String {
    format!("```python path=a.py\n{text}```\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_racing_consecutive_applies_are_never_taken_for_hand_edits() {
    use specbench::model::{AppEvent, Cmd, Msg};
    let (_dir, root) = workspace();
    std::fs::write(root.join("a.py"), "x = 0\n").unwrap();
    let mut d = Driver::new(&root);
    for generation in 1..=6u64 {
        let extracted = extract(&writes_a(&format!("x = {generation}\n")));
        let set = changes::prepare(&root, generation, &extracted.edits, &[], Some(&allowed()));
        d.update(Msg::Event(AppEvent::ChangesReady(set)));
        d.key('A');
        // While the apply writes, the file is reloaded again and again, as a watcher that saw
        // the write would: no reload may be taken for a hand edit.
        d.model.code.selected = 0;
        let id = d.model.code.load_id;
        loop {
            d.effects.run(Cmd::LoadFile {
                id,
                path: "a.py".into(),
                syntax: "base16-ocean.dark".into(),
            });
            tokio::time::sleep(std::time::Duration::from_micros(300)).await;
            let mut applied = false;
            while let Ok(msg) = d.rx.try_recv() {
                applied |= matches!(&msg, Msg::Event(AppEvent::Applied(_)));
                d.update(msg);
            }
            if applied {
                break;
            }
        }
        d.reload("a.py").await;
    }
    assert_eq!(
        std::fs::read_to_string(root.join("a.py")).unwrap(),
        "x = 6\n"
    );
    assert!(d.hand_edits_noticed().is_empty(), "{:?}", d.notices);
    assert!(d.model.authorship.human.is_empty());
    // A real hand edit is still noticed.
    std::fs::write(root.join("a.py"), "x = 6  # mine\n").unwrap();
    d.reload("a.py").await;
    assert_eq!(d.hand_edits_noticed().len(), 1, "{:?}", d.notices);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_edits_after_an_undo_a_restore_or_a_restart_are_noticed_and_never_overwritten_without_asking()
 {
    use specbench::model::{AppEvent, Cmd, Overlay};
    let (_dir, root) = workspace();
    std::fs::write(root.join("a.py"), "a0\n").unwrap();
    std::fs::write(root.join("b.py"), "b0\n").unwrap();
    let mut d = Driver::new(&root);
    d.apply_reply(1, &writes_a("a1\n")).await;
    d.apply_reply(
        2,
        "```python path=a.py\na2\n```\n\n```python path=b.py\nb2\n```\n",
    )
    .await;
    let undone = |e: &AppEvent| matches!(e, AppEvent::Undone { .. });
    // Undo reply 2: a.py is back to a1, b.py to b0, and those are specbench's writes.
    d.key('u');
    d.until(undone).await;
    d.reload("a.py").await;
    d.reload("b.py").await;
    assert!(d.hand_edits_noticed().is_empty(), "{:?}", d.notices);
    // A hand edit after the undo is noticed...
    std::fs::write(root.join("a.py"), "a1 # mine\n").unwrap();
    d.reload("a.py").await;
    assert_eq!(d.hand_edits_noticed().len(), 1, "{:?}", d.notices);
    // ...and redo asks before overwriting it; no leaves it.
    d.key('U');
    d.until(undone).await;
    assert!(
        matches!(&d.model.overlay, Some(Overlay::ConfirmUndo { redo: true, paths, .. }) if paths == &[PathBuf::from("a.py")])
    );
    d.key('n');
    assert_eq!(
        std::fs::read_to_string(root.join("a.py")).unwrap(),
        "a1 # mine\n"
    );
    // A restore to before reply 1 asks too; yes goes over the edit and on to the end.
    d.run(vec![Cmd::Travel {
        steps: -1,
        force: false,
    }]);
    d.until(undone).await;
    assert!(matches!(
        &d.model.overlay,
        Some(Overlay::ConfirmUndo { redo: false, .. })
    ));
    d.key('y');
    d.until(undone).await;
    assert_eq!(std::fs::read_to_string(root.join("a.py")).unwrap(), "a0\n");
    assert_eq!(std::fs::read_to_string(root.join("b.py")).unwrap(), "b0\n");
    // Forward again with a restore of two steps: each step is specbench's write.
    d.run(vec![Cmd::Travel {
        steps: 2,
        force: false,
    }]);
    d.until(undone).await;
    d.until(undone).await;
    assert_eq!(std::fs::read_to_string(root.join("a.py")).unwrap(), "a2\n");
    let before = d.hand_edits_noticed().len();
    d.reload("a.py").await;
    d.reload("b.py").await;
    assert_eq!(d.hand_edits_noticed().len(), before, "{:?}", d.notices);
    std::fs::write(root.join("b.py"), "b2 # mine\n").unwrap();
    d.reload("b.py").await;
    assert_eq!(d.hand_edits_noticed().len(), before + 1, "{:?}", d.notices);
    // After a restart, what specbench wrote is still known.
    std::fs::write(
        root.join("a.py"),
        "a2 # edited while specbench was closed\n",
    )
    .unwrap();
    let mut d = Driver::new(&root);
    d.run(vec![Cmd::OpenSession]);
    d.until(|e| matches!(e, AppEvent::Recovered(_))).await;
    d.reload("a.py").await;
    assert_eq!(d.hand_edits_noticed().len(), 1, "{:?}", d.notices);
    d.key('u');
    d.until(undone).await;
    assert!(
        matches!(&d.model.overlay, Some(Overlay::ConfirmUndo { paths, .. }) if paths.len() == 2)
    );
}
