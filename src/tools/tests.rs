use std::os::unix::fs::symlink;

use super::*;

fn call(name: &str, arguments: &str) -> ToolCall {
    ToolCall {
        id: "c1".into(),
        name: name.into(),
        arguments: arguments.into(),
    }
}

fn read_call(path: &str) -> ToolCall {
    call("read_file", &json!({ "path": path }).to_string())
}

/// A workspace with code, state, links, ignored, binary, oversized and special files, beside
/// a private file outside it.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    let w = |rel: &str, text: &[u8]| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    std::fs::write(dir.path().join("outside.txt"), "private\n").unwrap();
    std::fs::create_dir_all(dir.path().join("outdir")).unwrap();
    std::fs::write(dir.path().join("outdir/x.py"), "private\n").unwrap();
    w("a.py", b"import time\n\ndef allow(n):\n    return n < 5\n");
    w("pkg/b.py", b"from a import allow\n\nprint(allow(3))\n");
    w(".gitignore", b"build/\n*.env\n");
    w("build/out.py", b"generated\n");
    w("app.env", b"TOKEN=abc\n");
    w(".git/config", b"[core]\n");
    w(".specbench/sessions/s.jsonl", b"{}\n");
    w(".hidden/h.py", b"hidden = 1\n");
    w("blob.bin", b"PK\x03\x04\0\0binary");
    w("latin1.txt", b"caf\xe9\n");
    w("big.py", &vec![b'x'; MAX_FILE_BYTES as usize + 1]);
    let root = root.canonicalize().unwrap();
    symlink(dir.path().join("outside.txt"), root.join("link.txt")).unwrap();
    symlink(dir.path().join("outdir"), root.join("outlink")).unwrap();
    symlink(root.join(".specbench"), root.join("state")).unwrap();
    symlink(root.join("a.py"), root.join("alias.py")).unwrap();
    symlink(root.join("nowhere.py"), root.join("dangling.py")).unwrap();
    let fifo = std::ffi::CString::new(root.join("pipe").as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path and mode.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    (dir, root)
}

#[test]
fn reads_a_file_with_line_numbers_and_ranges() {
    let (_dir, root) = workspace();
    let out = run(&root, &read_call("a.py"), &Secrets::default());
    assert!(!out.result.is_error, "{}", out.result.content);
    assert_eq!(
        out.result.content,
        "a.py: lines 1-4 of 4\n1  import time\n2  \n3  def allow(n):\n4      return n < 5\n"
    );
    assert_eq!(out.read, Some(PathBuf::from("a.py")));
    assert_eq!(out.result.call_id, "c1");
    let part = run(
        &root,
        &call(
            "read_file",
            r#"{"path":"./pkg//b.py","start_line":"2","end_line":9}"#,
        ),
        &Secrets::default(),
    );
    assert_eq!(
        part.result.content,
        "pkg/b.py: lines 2-3 of 3\n2  \n3  print(allow(3))\n"
    );
    // A link that stays inside is read under the name given.
    let alias = run(&root, &read_call("alias.py"), &Secrets::default());
    assert!(alias.result.content.starts_with("alias.py: lines 1-4 of 4"));
}

#[test]
fn bad_ranges_are_error_results() {
    let (_dir, root) = workspace();
    let cases = [
        (
            r#"{"path":"a.py","start_line":9}"#,
            "a.py has 4 lines; start_line 9 is past its end",
        ),
        (
            r#"{"path":"a.py","start_line":3,"end_line":2}"#,
            "end_line 2 is before start_line 3 in a.py",
        ),
        (
            r#"{"path":"a.py","start_line":0}"#,
            "read_file's `start_line` must be a line number from 1",
        ),
        (
            r#"{"path":"a.py","end_line":-4}"#,
            "read_file's `end_line` must be a line number from 1",
        ),
    ];
    for (args, words) in cases {
        let out = run(&root, &call("read_file", args), &Secrets::default());
        assert!(out.result.is_error, "{args}");
        assert_eq!(out.result.content, format!("error: {words}"), "{args}");
        assert_eq!(out.read, None);
    }
}

#[test]
fn nothing_outside_the_workspace_or_its_rules_is_ever_read() {
    let (_dir, root) = workspace();
    let cases = [
        ("/etc/passwd", "an absolute path"),
        ("\\etc\\passwd", "an absolute path"),
        ("C:\\Windows\\win.ini", "an absolute path"),
        ("\\\\server\\share\\x", "an absolute path"),
        ("../outside.txt", "climbs out of the workspace"),
        ("pkg/../../outside.txt", "climbs out of the workspace"),
        ("link.txt", "goes through the symlink link.txt"),
        ("outlink/x.py", "goes through the symlink outlink"),
        ("dangling.py", "goes through the symlink dangling.py"),
        (".git/config", "inside .git/"),
        (".GIT/config", "inside .git/"),
        (".specbench/sessions/s.jsonl", "inside .specbench/"),
        ("state/sessions/s.jsonl", "inside .specbench/"),
        ("build/out.py", "ignored by the workspace's .gitignore"),
        ("app.env", "ignored by the workspace's .gitignore"),
        ("blob.bin", "a binary (or non-UTF-8) file"),
        ("latin1.txt", "a binary (or non-UTF-8) file"),
        ("big.py", "over the 1048576-byte limit"),
        ("pipe", "not a regular file"),
        ("pkg", "not a regular file"),
        ("a\n.py", "has control characters"),
        ("", "read_file needs `path`"),
        ("missing.py", "no such file"),
    ];
    for (path, words) in cases {
        let out = run(&root, &read_call(path), &Secrets::default());
        assert!(
            out.result.is_error,
            "{path:?} was read: {}",
            out.result.content
        );
        assert!(out.result.content.starts_with("error: "), "{path:?}");
        assert!(
            out.result.content.contains(words),
            "{path:?}: {}",
            out.result.content
        );
        assert!(!out.result.content.contains("private"), "{path:?}");
        assert_eq!(out.read, None, "{path:?}");
    }
    // A hidden file that is not ignored may be read by name.
    let hidden = run(&root, &read_call(".hidden/h.py"), &Secrets::default());
    assert!(!hidden.result.is_error, "{}", hidden.result.content);
}

#[test]
fn long_files_and_lines_are_cut_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let text: String = (1..=1000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(root.join("long.py"), &text).unwrap();
    let out = run(&root, &read_call("long.py"), &Secrets::default());
    let content = &out.result.content;
    assert!(
        content.starts_with("long.py: lines 1-400 of 1000\n"),
        "{content}"
    );
    assert!(
        content.ends_with(
            "[cut at 400 lines: lines 401-1000 not shown; read on with start_line=401]\n"
        ),
        "{content}"
    );
    let wide: String = (0..200).map(|_| format!("{}\n", "y".repeat(300))).collect();
    std::fs::write(root.join("wide.py"), &wide).unwrap();
    let out = run(&root, &read_call("wide.py"), &Secrets::default());
    assert!(out.result.content.len() <= MAX_RESULT_BYTES + 200);
    assert!(
        out.result
            .content
            .contains("[cut at 16 KiB: lines 54-200 not shown; read on with start_line=54]"),
        "{}",
        &out.result.content[out.result.content.len() - 200..]
    );
    std::fs::write(root.join("min.js"), "z".repeat(1000)).unwrap();
    let out = run(&root, &read_call("min.js"), &Secrets::default());
    assert!(
        out.result.content.contains("… [600 more characters]"),
        "{}",
        out.result.content
    );
    std::fs::write(root.join("empty.py"), "").unwrap();
    let out = run(&root, &read_call("empty.py"), &Secrets::default());
    assert_eq!(out.result.content, "empty.py: an empty file");
}

#[test]
fn lists_files_gitignore_honoured_and_narrowed() {
    let (_dir, root) = workspace();
    let out = run(&root, &call("list_files", "{}"), &Secrets::default());
    assert_eq!(
        out.result.content, "5 files\na.py\nbig.py\nblob.bin\nlatin1.txt\npkg/b.py\n",
        "hidden, ignored, state, links and special files are left out"
    );
    let py = run(
        &root,
        &call("list_files", r#"{"glob":"*.py"}"#),
        &Secrets::default(),
    );
    assert_eq!(
        py.result.content,
        "3 files matching `*.py`\na.py\nbig.py\npkg/b.py\n"
    );
    let folder = run(
        &root,
        &call("list_files", r#"{"glob":"pkg/"}"#),
        &Secrets::default(),
    );
    assert_eq!(folder.result.content, "1 file matching `pkg/`\npkg/b.py\n");
    let none = run(
        &root,
        &call("list_files", r#"{"glob":"**/*.rs"}"#),
        &Secrets::default(),
    );
    assert_eq!(
        none.result.content,
        "no files matching `**/*.rs` (gitignored and hidden files are left out)"
    );
    let bad = run(
        &root,
        &call("list_files", r#"{"glob":"a[.py"}"#),
        &Secrets::default(),
    );
    assert!(bad.result.is_error);
    assert!(
        bad.result
            .content
            .starts_with("error: `a[.py` is not a glob"),
        "{}",
        bad.result.content
    );
}

#[test]
fn a_long_listing_is_cut_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    for i in 0..450 {
        std::fs::write(root.join(format!("f{i:03}.py")), "").unwrap();
    }
    let out = run(&root, &call("list_files", "{}"), &Secrets::default());
    assert!(out.result.content.starts_with("450 files\nf000.py\n"));
    assert!(
        out.result
            .content
            .ends_with("f399.py\n[cut: 50 more not shown; narrow the list with a glob]\n"),
        "{}",
        out.result.content
    );
}

#[test]
fn search_finds_lines_in_text_files_only() {
    let (_dir, root) = workspace();
    let out = run(
        &root,
        &call("search", r#"{"pattern":"allow\\("}"#),
        &Secrets::default(),
    );
    assert_eq!(
        out.result.content,
        "2 hits for `allow\\(` in 2 files\na.py:3: def allow(n):\npkg/b.py:3: print(allow(3))\n\
         [3 binary, oversized or unreadable files not searched]\n"
    );
    let narrowed = run(
        &root,
        &call("search", r#"{"pattern":"allow","glob":"pkg/**"}"#),
        &Secrets::default(),
    );
    assert_eq!(
        narrowed.result.content,
        "2 hits for `allow` in 1 file in files matching `pkg/**`\npkg/b.py:1: from a import allow\npkg/b.py:3: print(allow(3))\n"
    );
    let none = run(
        &root,
        &call("search", r#"{"pattern":"generated|private|TOKEN|core"}"#),
        &Secrets::default(),
    );
    assert!(
        none.result.content.starts_with("no lines match"),
        "{}",
        none.result.content
    );
    let bad = run(
        &root,
        &call("search", r#"{"pattern":"(unclosed"}"#),
        &Secrets::default(),
    );
    assert!(bad.result.is_error);
    assert!(
        bad.result
            .content
            .starts_with("error: `(unclosed` is not a pattern the search takes: "),
        "{}",
        bad.result.content
    );
    let huge = run(
        &root,
        &call("search", r#"{"pattern":"\\w{1000}{1000}"}"#),
        &Secrets::default(),
    );
    assert!(huge.result.is_error, "{}", huge.result.content);
}

#[test]
fn many_hits_are_cut_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let text: String = (0..300).map(|i| format!("hit {i}\n")).collect();
    std::fs::write(root.join("a.txt"), text).unwrap();
    let out = run(
        &root,
        &call("search", r#"{"pattern":"hit"}"#),
        &Secrets::default(),
    );
    assert!(
        out.result
            .content
            .starts_with("100 hits for `hit` in 1 file\na.txt:1: hit 0\n")
    );
    assert!(
        out.result.content.ends_with(
            "a.txt:100: hit 99\n[cut at 100 hits: the search stopped there; narrow the pattern or add a glob]\n"
        ),
        "{}",
        out.result.content
    );
}

#[test]
fn bad_calls_are_error_results_that_say_why() {
    let (_dir, root) = workspace();
    let cases = [
        (
            call("write_file", "{}"),
            "error: there is no tool named `write_file`; the tools are read_file, list_files, search",
        ),
        (
            call("read_file", "{\"path\": \"a.py\""),
            "error: read_file's arguments are not valid JSON (EOF while parsing an object at line 1 column 15): `{\"path\": \"a.py\"`",
        ),
        (
            call("read_file", "[\"a.py\"]"),
            "error: read_file's arguments must be a JSON object",
        ),
        (call("read_file", "{}"), "error: read_file needs `path`"),
        (
            call("read_file", "{\"path\": 7}"),
            "error: read_file's `path` must be a string, not 7",
        ),
        (
            call("search", "{\"glob\": \"*.py\"}"),
            "error: search needs `pattern`",
        ),
        (call("search", ""), "error: search needs `pattern`"),
    ];
    for (c, words) in cases {
        let out = run(&root, &c, &Secrets::default());
        assert!(out.result.is_error, "{c:?}");
        assert_eq!(out.result.content, words, "{c:?}");
    }
    // Unknown keys are ignored; an empty argument text is `{}`.
    let out = run(&root, &call("list_files", ""), &Secrets::default());
    assert!(!out.result.is_error, "{}", out.result.content);
    let out = run(
        &root,
        &call("read_file", r#"{"path":"a.py","mode":"r"}"#),
        &Secrets::default(),
    );
    assert!(!out.result.is_error, "{}", out.result.content);
}

#[test]
fn known_secrets_never_go_back_to_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let key = "local-key-value-0123456789";
    std::fs::write(
        root.join("conf.py"),
        format!("KEY = \"{key}\"\nOTHER = \"sk-abcdefghijklmnopqrstuvwx\"\n"),
    )
    .unwrap();
    let secrets = Secrets::new([key.to_string()]);
    for c in [
        read_call("conf.py"),
        call("search", r#"{"pattern":"KEY|OTHER"}"#),
    ] {
        let out = run(&root, &c, &secrets);
        assert!(!out.result.content.contains(key), "{}", out.result.content);
        assert!(
            !out.result.content.contains("sk-abcdefghij"),
            "{}",
            out.result.content
        );
        assert!(
            out.result.content.contains("[redacted]"),
            "{}",
            out.result.content
        );
    }
}

#[test]
fn labels_say_what_each_call_does() {
    let cases = [
        (read_call("more.py"), "read more.py"),
        (
            call(
                "read_file",
                r#"{"path":"more.py","start_line":120,"end_line":180}"#,
            ),
            "read more.py 120-180",
        ),
        (
            call("read_file", r#"{"path":"more.py","start_line":120}"#),
            "read more.py 120-",
        ),
        (call("list_files", "{}"), "list files"),
        (
            call("list_files", r#"{"glob":"src/**/*.py"}"#),
            "list src/**/*.py",
        ),
        (
            call("search", r#"{"pattern":"def allow","glob":"*.py"}"#),
            "search \"def allow\" in *.py",
        ),
        (call("read_file", "{\"pa"), "read_file (bad arguments)"),
        (call("rm\n-rf", "{}"), "rm -rf (no such tool)"),
    ];
    for (c, label) in cases {
        assert_eq!(super::label(&c), label, "{c:?}");
    }
}

#[test]
fn the_ledger_answers_a_repeat_and_stops_a_loop() {
    let mut ledger = Ledger::default();
    let first = call("read_file", r#"{"path":"a.py","start_line":1}"#);
    assert_eq!(ledger.repeat(&first, 1), None);
    // The same arguments written otherwise.
    let again = call("read_file", r#"{ "start_line": 1, "path": "a.py" }"#);
    let repeat = ledger.repeat(&again, 2).expect("a repeat");
    assert!(repeat.is_error);
    assert!(repeat.content.contains("round 1"), "{}", repeat.content);
    assert_eq!(
        ledger.repeat(&call("read_file", r#"{"path":"b.py"}"#), 2),
        None
    );
    assert!(!ledger.end_round(2, 1));
    assert!(!ledger.end_round(1, 1));
    assert!(ledger.end_round(3, 3), "two rounds of repeats only");
    assert!(!ledger.end_round(1, 0));
}

#[test]
fn definitions_are_the_three_read_only_tools() {
    let defs = definitions();
    let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, NAMES);
    for d in &defs {
        assert_eq!(d.parameters["type"], "object", "{}", d.name);
    }
    assert_eq!(defs[0].parameters["required"], json!(["path"]));
    assert_eq!(defs[2].parameters["required"], json!(["pattern"]));
}
