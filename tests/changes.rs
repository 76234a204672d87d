//! Generated code to the workspace on real temp directories: a reply's edits become reviewable
//! diffs; applying, undoing and redoing them is exact; a malicious reply changes nothing outside
//! the workspace (the whole tree is compared before and after) and says why.

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
