//! Whole-screen snapshots (ratatui `TestBackend` + insta) of every view a user can reach.

mod common;

use common::{
    deliver, demo_file, demo_model, demo_replies, finish_run, render, report, send_draft,
    styled_dump,
};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use specbench::llm::client::ReplyEvent;
use specbench::model::{AppEvent, Cmd, Model, Msg, NoticeKind, update};
use specbench::runner::process::{Counts, Progress};
use specbench::runner::result::{TestResult, TestStatus};
use specbench::theme::ThemeSource;

fn keys(model: &mut Model, keys: &str) {
    for c in keys.chars() {
        update(
            model,
            Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        );
    }
}

fn key(model: &mut Model, code: KeyCode, modifiers: KeyModifiers) {
    update(model, Msg::Key(KeyEvent::new(code, modifiers)));
}

#[test]
fn default_view_80x24_is_tabbed() {
    let model = demo_model("default", 80, 24);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn default_view_120x40_is_a_grid() {
    let model = demo_model("default", 120, 40);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn default_view_200x60() {
    let model = demo_model("default", 200, 60);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn each_pane_zoomed_120x40() {
    for (digit, name) in [
        ('1', "spec"),
        ('2', "conversation"),
        ('3', "code"),
        ('4', "results"),
    ] {
        let mut model = demo_model("default", 120, 40);
        keys(&mut model, &format!("{digit}z"));
        insta::assert_snapshot!(format!("zoomed_{name}"), render(&model).backend());
    }
}

#[test]
fn split_moved_left_200x60() {
    let mut model = demo_model("default", 200, 60);
    keys(&mut model, "<<<<");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn help_overlay_80x24_and_120x40() {
    let mut small = demo_model("default", 80, 24);
    keys(&mut small, "?");
    insta::assert_snapshot!("help_80x24", render(&small).backend());
    let mut large = demo_model("default", 120, 40);
    keys(&mut large, "?");
    insta::assert_snapshot!("help_120x40", render(&large).backend());
}

#[test]
fn help_overlay_scrolled_to_the_end() {
    let mut model = demo_model("default", 80, 24);
    keys(&mut model, "?");
    key(&mut model, KeyCode::End, KeyModifiers::NONE);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn narrow_layout_follows_focus() {
    let mut model = demo_model("default", 99, 30);
    keys(&mut model, "3");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn too_small_says_so() {
    let model = demo_model("default", 59, 15);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn compose_mode_with_a_multi_line_draft() {
    let mut model = demo_model("default", 120, 40);
    keys(&mut model, "iMake retry_after exact");
    key(&mut model, KeyCode::Enter, KeyModifiers::ALT);
    keys(&mut model, "and keep R4.");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn quit_confirmation_lists_what_would_be_lost() {
    let mut model = demo_model("default", 120, 40);
    keys(&mut model, "idraft");
    key(&mut model, KeyCode::Esc, KeyModifiers::NONE);
    keys(&mut model, "q");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn error_notice_in_the_status_bar() {
    let mut model = demo_model("default", 120, 40);
    model.notify(
        NoticeKind::Error,
        "themes/mine.toml:6: styles.\"ui.border\": unknown colour `bleu`; using the default theme",
    );
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn code_pane_second_file_and_scrolled() {
    let mut model = demo_model("default", 120, 40);
    keys(&mut model, "3");
    for _ in 0..5 {
        key(&mut model, KeyCode::Down, KeyModifiers::NONE);
    }
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn themes_are_style_aware() {
    for theme in ["default", "light", "high-contrast"] {
        let model = demo_model(theme, 80, 24);
        insta::assert_snapshot!(
            format!("theme_{theme}"),
            styled_dump(render(&model).backend().buffer())
        );
    }
}

fn demo_results() -> Vec<TestResult> {
    let name = |m: &str| format!("test_rate_limiter.RateLimiterTest.{m}");
    let mut fail = TestResult::new(name("test_r1_window_slides"), TestStatus::Failed);
    fail.file = Some("test_rate_limiter.py".into());
    fail.line = Some(41);
    fail.message = Some("AssertionError: True is not false".into());
    fail.output = "Traceback (most recent call last):\n  File \"test_rate_limiter.py\", line 41, in test_r1_window_slides\n    self.assertFalse(allowed)\nAssertionError: True is not false".into();
    let mut skip = TestResult::new(
        name("test_r5_concurrent_users_are_counted_separately"),
        TestStatus::Skipped,
    );
    skip.message = Some("needs 8 cores".into());
    vec![
        TestResult::new(name("test_r1_allows_up_to_limit"), TestStatus::Passed),
        fail,
        skip,
        TestResult::new(name("test_r2_retry_after_counts_down"), TestStatus::Passed),
    ]
}

#[test]
fn results_pane_lists_failures_first() {
    let mut model = demo_model("default", 120, 40);
    finish_run(&mut model, report(demo_results(), Some(1)));
    keys(&mut model, "4");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn results_pane_shows_the_suite_where_names_collide_80x24() {
    let mut model = demo_model("default", 80, 24);
    let in_suite = |name: &str, suite: &str, status| {
        let mut r = TestResult::new(name, status);
        r.suite = Some(suite.to_string());
        r
    };
    let mut failing = in_suite("test_eq", "tests/test_parse.rs", TestStatus::Failed);
    failing.message = Some("assertion `left == right` failed · left: 3 · right: 4".into());
    let results = vec![
        in_suite("test_eq", "tests/test_version.rs", TestStatus::Passed),
        failing,
        in_suite("test_cmp", "tests/test_version.rs", TestStatus::Passed),
        in_suite("tests::parse", "unittests src/lib.rs", TestStatus::Passed),
    ];
    finish_run(&mut model, report(results, Some(101)));
    keys(&mut model, "4");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn results_pane_detail_of_a_failure() {
    let mut model = demo_model("default", 120, 40);
    finish_run(&mut model, report(demo_results(), Some(1)));
    keys(&mut model, "4");
    key(&mut model, KeyCode::Enter, KeyModifiers::NONE);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn results_pane_while_running() {
    let mut model = demo_model("default", 120, 40);
    let cmds = model.init();
    let id = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::StartRun { id } => Some(*id),
            _ => None,
        })
        .unwrap();
    let at = tokio::time::Instant::now();
    update(&mut model, Msg::Event(AppEvent::RunStarted { id, at }));
    let progress = Progress {
        counts: Counts {
            passed: 3,
            failed: 1,
            skipped: 0,
        },
        tail: vec![
            "test_r1_allows_up_to_limit ... ok".into(),
            "test_r1_window_slides ... FAIL".into(),
        ],
    };
    update(
        &mut model,
        Msg::Event(AppEvent::RunProgress { id, progress }),
    );
    update(
        &mut model,
        Msg::Tick(at + std::time::Duration::from_millis(1250)),
    );
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn results_pane_when_output_is_not_recognised() {
    let mut model = demo_model("default", 120, 40);
    let mut r = report(Vec::new(), Some(2));
    r.format = None;
    r.output.push("make: *** [test] Error 2");
    finish_run(&mut model, r);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn results_pane_after_a_timeout_in_the_narrow_layout() {
    let mut model = demo_model("default", 80, 24);
    let mut r = report(Vec::new(), None);
    r.timed_out = true;
    finish_run(&mut model, r);
    keys(&mut model, "4");
    insta::assert_snapshot!(render(&model).backend());
    // Never green: the verdict and the history bar wear the failure style.
    let fail = model.theme.style(specbench::theme::scope::RESULTS_FAIL).fg;
    let buffer = render(&model).backend().buffer().clone();
    assert_eq!(buffer[(1, 2)].fg, fail.unwrap_or_default(), "the verdict");
    assert_eq!(buffer[(6, 3)].symbol(), "▁");
    assert_eq!(
        buffer[(6, 3)].fg,
        fail.unwrap_or_default(),
        "the history bar"
    );
    assert!(!model.results.last.as_ref().unwrap().report.passed());
}

#[test]
fn results_pane_when_nothing_was_recognised_80x24() {
    let mut model = demo_model("default", 80, 24);
    let mut r = report(Vec::new(), Some(0));
    r.format = None;
    r.output = Default::default();
    r.output.push("all good!");
    finish_run(&mut model, r);
    keys(&mut model, "4");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn results_pane_when_a_process_outside_the_group_held_the_output() {
    let mut model = demo_model("default", 120, 40);
    let mut r = report(Vec::new(), None);
    r.timed_out = true;
    r.error = Some(specbench::runner::process::ESCAPED.into());
    finish_run(&mut model, r);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn results_pane_with_results_and_a_process_outside_the_group() {
    let mut model = demo_model("default", 160, 40);
    let mut r = report(demo_results(), Some(1));
    r.error = Some(specbench::runner::process::ESCAPED.into());
    finish_run(&mut model, r);
    keys(&mut model, "4");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn results_pane_when_the_junit_report_is_from_an_earlier_run() {
    let mut model = demo_model("default", 120, 40);
    let mut r = report(Vec::new(), Some(3));
    r.format = Some(specbench::runner::result::Format::Junit);
    r.error = Some(
        "no JUnit report from this run: target/junit.xml was not written during it (it is left \
         from an earlier run)"
            .into(),
    );
    finish_run(&mut model, r);
    insta::assert_snapshot!(render(&model).backend());
}

/// A spec whose clauses, once evaluated, show every decided status.
const EVERY_STATUS: &str = "# Rate limiter

A per-user sliding-window rate limiter.

## Clauses
- [R1] At most 100 allowed requests in any 60 s. `test: *over_limit*`
- [R3] Stdlib only. `forbid: ^\\s*(import|from)\\s+(requests|redis)\\b`
- [R4] Uses collections.deque for the window. `require: \\bdeque\\(` `in: rate_limiter.py`
- [R6] An empty user id raises ValueError. `test: *empty_user_id*`
- [R9] Idle users are evicted after an hour. `test: *evict*`
- [R10] Refused requests are logged. `forbid: log(`
  - Each log line names the user.
";

/// The demo with `EVERY_STATUS` pinned, `import requests` in the code, and a run in which
/// R6's test fails and one test belongs to no clause.
fn every_status_model(cols: u16, rows: u16) -> Model {
    let mut model = demo_model("default", cols, rows);
    let broken = common::demo_file("rate_limiter.py").replacen(
        "import math\n",
        "import math\nimport requests\n",
        1,
    );
    let cmds = common::load_spec(&mut model, EVERY_STATUS, Some(EVERY_STATUS));
    common::scan_demo(&mut model, cmds, &[("rate_limiter.py", &broken)]);
    // The watcher's reload of the edited file, as the Code pane would receive it.
    let id = model.code.load_id;
    let content = Ok(specbench::workspace::FileText::from_text(&broken));
    let path = "rate_limiter.py".into();
    update(
        &mut model,
        Msg::Event(AppEvent::FileLoaded { id, path, content }),
    );
    let name = |m: &str| format!("test_rate_limiter.RateLimiterTest.{m}");
    let mut fail = TestResult::new(
        name("test_r6_empty_user_id_is_rejected"),
        TestStatus::Failed,
    );
    fail.message = Some("AssertionError: ValueError not raised".into());
    let results = vec![
        TestResult::new(name("test_r1_over_limit_is_refused"), TestStatus::Passed),
        fail,
        TestResult::new(name("test_warm_up"), TestStatus::Passed),
    ];
    finish_run(&mut model, report(results, Some(1)));
    model
}

#[test]
fn spec_pane_shows_every_status_with_where_and_why() {
    let mut model = every_status_model(100, 30);
    keys(&mut model, "1z");
    insta::assert_snapshot!(render(&model).backend());
    insta::assert_snapshot!(
        "spec_pane_every_status_styles",
        styled_dump(render(&model).backend().buffer())
    );
}

#[test]
fn spec_pane_title_summary_shortens_to_fit() {
    for (cols, row, name) in [(100, 0, "grid"), (80, 1, "tabs"), (60, 1, "narrow")] {
        let model = every_status_model(cols, 20);
        let buffer = render(&model).backend().buffer().clone();
        let title: String = (0..cols)
            .map(|x| buffer[(x, row)].symbol().to_string())
            .collect();
        insta::assert_snapshot!(format!("spec_title_{name}"), title);
    }
}

#[test]
fn spec_pane_on_disk_change_view() {
    let mut model = demo_model("default", 100, 30);
    let pinned = common::demo_file("SPEC.md");
    let disk = pinned
        .replace("at most 100 allowed requests", "at most 50 allowed requests")
        .replace(
            "- [R8] A limit or window that is not positive raises ValueError. `test: *bad_settings*`\n",
            "",
        )
        .replace(
            "\n## Not in scope",
            "- [R9] Idle users are evicted after an hour. `test: *evict*`\n\n## Not in scope",
        );
    let cmds = common::load_spec(&mut model, &disk, Some(pinned));
    common::scan_demo(&mut model, cmds, &[]);
    keys(&mut model, "1z");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn code_pane_marks_forbidden_lines_and_the_jump_target() {
    let mut model = every_status_model(100, 30);
    // Select R3 (the second clause) and ask where it breaks.
    keys(&mut model, "1");
    key(&mut model, KeyCode::Home, KeyModifiers::NONE);
    model.spec.selected = 0;
    key(&mut model, KeyCode::Down, KeyModifiers::NONE);
    key(&mut model, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(model.focus, specbench::model::Pane::Code);
    assert_eq!(model.code.mark, Some(4));
    keys(&mut model, "z");
    insta::assert_snapshot!(render(&model).backend());
    insta::assert_snapshot!(
        "code_pane_marker_styles",
        styled_dump(render(&model).backend().buffer())
    );
}

/// The demo with the tokenizer loaded, the code part read and the cassette's prompts offered.
fn conversation_model(cols: u16, rows: u16) -> Model {
    let mut model = demo_model("default", cols, rows);
    update(&mut model, Msg::Event(AppEvent::TokenizerReady));
    let code = specbench::llm::request::code_part([
        (
            std::path::Path::new("rate_limiter.py"),
            demo_file("rate_limiter.py"),
        ),
        (
            std::path::Path::new("test_rate_limiter.py"),
            demo_file("test_rate_limiter.py"),
        ),
    ]);
    let tokens = specbench::llm::tokens::count(model.conversation.encoding, &code);
    // The demo's code is small: the context worker sends all of it, as it always was.
    let members = ["rate_limiter.py", "test_rate_limiter.py"]
        .iter()
        .map(|p| specbench::context::set::Member {
            path: p.into(),
            reasons: vec![specbench::context::set::Reason::All],
            tokens: 0,
        })
        .collect();
    let outcome = specbench::context::worker::Outcome {
        id: 0,
        context: specbench::context::ChosenContext {
            set: specbench::context::set::ContextSet {
                all: true,
                members,
                unavailable: Vec::new(),
                dropped: Vec::new(),
                budget: 16_000,
            },
            map: Default::default(),
        },
        text: code,
        tokens,
    };
    update(
        &mut model,
        Msg::Event(AppEvent::ContextChosen(Box::new(outcome))),
    );
    let prompts = demo_replies().into_iter().map(|(p, _)| p).collect();
    let plan = specbench::llm::count::Plan::offline(&model.config.model.model);
    update(
        &mut model,
        Msg::Event(AppEvent::ProviderReady {
            probe: specbench::llm::window::Probe {
                server: specbench::llm::window::Server::Unknown,
                window: None,
            },
            plan,
            prompts,
        }),
    );
    model
}

#[test]
fn conversation_after_a_complete_reply_zoomed_120x40() {
    let mut model = conversation_model(120, 40);
    keys(&mut model, "2i");
    let turn = send_draft(&mut model);
    let (_, events) = demo_replies().remove(0);
    deliver(&mut model, turn, &events);
    update(
        &mut model,
        Msg::Event(AppEvent::ReplyEnded {
            turn,
            result: Ok(()),
        }),
    );
    key(&mut model, KeyCode::Esc, KeyModifiers::NONE);
    keys(&mut model, "z");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn conversation_streaming_shows_the_unfinished_line_200x60() {
    let mut model = conversation_model(200, 60);
    keys(&mut model, "2i");
    let turn = send_draft(&mut model);
    let partial = ReplyEvent::Delta(
        "Here is how the current `rate_limiter.py` lines up with the pinned spec, clause by clause, and this line has no newline yet".into(),
    );
    deliver(&mut model, turn, &[partial]);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn conversation_interrupted_reply_and_retry_countdown_80x24() {
    let mut model = conversation_model(80, 24);
    keys(&mut model, "2i");
    let turn = send_draft(&mut model);
    deliver(&mut model, turn, &[ReplyEvent::Delta("Half an ans".into())]);
    update(
        &mut model,
        Msg::Event(AppEvent::ReplyEnded {
            turn,
            result: Err(specbench::llm::client::LlmError::IdleTimeout { secs: 60 }),
        }),
    );
    let second = send_draft(&mut model);
    let at = tokio::time::Instant::now();
    update(&mut model, Msg::Tick(at));
    let retry = ReplyEvent::Retrying {
        attempt: 2,
        of: 5,
        wait_ms: 4000,
        reason: "rate limited (HTTP 429): slow down".into(),
    };
    update(
        &mut model,
        Msg::Event(AppEvent::Reply {
            turn: second,
            event: retry,
            at,
        }),
    );
    model.notice = None;
    insta::assert_snapshot!(render(&model).backend());
}

/// A reply whose stream held an unreadable event: the text around it kept, the header and the
/// notice saying it is damaged.
#[test]
fn conversation_damaged_reply_zoomed_100x24() {
    let mut model = conversation_model(100, 24);
    keys(&mut model, "2i");
    let turn = send_draft(&mut model);
    let events = [
        ReplyEvent::Delta("Clause R1 holds: `allow` returns a tuple. ".into()),
        ReplyEvent::Damaged("{\"choices\":[{\"delta\":{\"content\":\"R2 fa".into()),
        ReplyEvent::Delta("Clause R3 holds.".into()),
    ];
    deliver(&mut model, turn, &events);
    update(
        &mut model,
        Msg::Event(AppEvent::ReplyEnded {
            turn,
            result: Ok(()),
        }),
    );
    key(&mut model, KeyCode::Esc, KeyModifiers::NONE);
    keys(&mut model, "z");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn request_inspector_120x40() {
    let mut model = conversation_model(120, 40);
    key(&mut model, KeyCode::Char('o'), KeyModifiers::CONTROL);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn gauge_line_in_every_theme_is_style_aware() {
    for theme in ["default", "light", "high-contrast"] {
        let mut model = conversation_model(120, 40);
        model.theme = ThemeSource::default().load(theme).unwrap();
        keys(&mut model, "2");
        let terminal = render(&model);
        let buffer = terminal.backend().buffer();
        // The gauge is the first row inside the Conversation pane (row 1, right half).
        let mut row = ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, 58, 1));
        for x in 0..58 {
            row[(x, 0)] = buffer[(61 + x, 1)].clone();
        }
        insta::assert_snapshot!(format!("gauge_{theme}"), styled_dump(&row));
    }
}

#[test]
fn composer_soft_wraps_a_long_draft_80x24() {
    let mut model = conversation_model(80, 24);
    keys(&mut model, "2i");
    keys(
        &mut model,
        " And then explain, in the same words a reviewer would use, why the lock must cover the read as well.",
    );
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn code_pane_highlighted_keeps_the_theme_background_zoomed_120x40() {
    let mut model = demo_model("default", 120, 40);
    let id = model.code.load_id;
    let text = demo_file("rate_limiter.py");
    let hl = specbench::code::highlight::Highlighter::new(model.theme.syntax());
    let lines = hl.lines("py", text.trim_end_matches('\n'));
    update(
        &mut model,
        Msg::Event(AppEvent::FileHighlighted {
            id,
            lines: Some(lines),
        }),
    );
    keys(&mut model, "3z");
    let terminal = render(&model);
    let buffer = terminal.backend().buffer();
    // The top of the file: enough rows to see imports, the class and a method.
    let mut top = ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, 70, 16));
    for y in 0..16 {
        for x in 0..70 {
            top[(x, y)] = buffer[(x, y + 2)].clone();
        }
    }
    insta::assert_snapshot!(styled_dump(&top));
}

/// The demo with a reply proposing a change to rate_limiter.py and a refused edit.
fn changes_model(cols: u16, rows: u16) -> Model {
    let mut model = demo_model("default", cols, rows);
    let original = demo_file("rate_limiter.py");
    let after = original.replace(
        "window = self._requests[user_id] = deque()",
        "window = self._requests[user_id] = []",
    );
    let diff = specbench::code::changes::diff_lines(original, &after);
    let set = specbench::code::changes::ChangeSet {
        turn: 3,
        files: vec![specbench::code::changes::FileChange {
            rel: "rate_limiter.py".into(),
            before: Some(original.to_string()),
            after,
            diff,
            added: 1,
            removed: 1,
            state: specbench::code::changes::ChangeState::Pending,
        }],
        refused: vec![specbench::code::changes::Refused {
            path: "../outside.txt".into(),
            line: 12,
            why: "`..` leads out of the workspace".into(),
        }],
    };
    update(&mut model, Msg::Event(AppEvent::ChangesReady(set)));
    model.notice = None;
    model
}

#[test]
fn code_pane_shows_a_proposed_change_as_a_diff_120x40() {
    let model = changes_model(120, 40);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn code_pane_shows_a_diff_past_its_deadline_as_a_plain_replacement_80x24() {
    let mut model = demo_model("default", 80, 24);
    let before = demo_file("rate_limiter.py");
    let after = before.replace("deque", "list");
    // A deadline already past: as if the line diff had taken too long.
    let diff = specbench::code::changes::diff_lines_by(before, &after, std::time::Instant::now());
    let set = specbench::code::changes::ChangeSet {
        turn: 3,
        files: vec![specbench::code::changes::FileChange {
            rel: "rate_limiter.py".into(),
            before: Some(before.to_string()),
            added: after.lines().count(),
            removed: before.lines().count(),
            after,
            diff,
            state: specbench::code::changes::ChangeState::Pending,
        }],
        refused: Vec::new(),
    };
    update(&mut model, Msg::Event(AppEvent::ChangesReady(set)));
    key(&mut model, KeyCode::Char('3'), KeyModifiers::NONE);
    model.notice = None;
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn code_pane_shows_the_whole_new_file_on_enter_80x24() {
    let mut model = changes_model(80, 24);
    key(&mut model, KeyCode::Enter, KeyModifiers::NONE);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn code_pane_marks_where_a_test_failed_80x24() {
    let mut model = demo_model("default", 80, 24);
    let failure = TestResult {
        name: "test_rate_limiter.RateLimiterTest.test_r1_over_limit_is_refused".into(),
        suite: None,
        status: TestStatus::Failed,
        duration_ms: Some(3),
        file: Some("rate_limiter.py".into()),
        line: Some(45),
        message: Some("AssertionError: True is not false".into()),
        output: String::new(),
    };
    finish_run(&mut model, report(vec![failure], Some(1)));
    keys(&mut model, "3");
    for _ in 0..2 {
        key(&mut model, KeyCode::PageDown, KeyModifiers::NONE);
    }
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn code_pane_search_prompt_and_match_80x24() {
    let mut model = demo_model("default", 80, 24);
    keys(&mut model, "3/popleft");
    let typing = render(&model);
    let status: String = (0..80)
        .map(|x| typing.backend().buffer()[(x, 23)].symbol().to_string())
        .collect();
    assert!(status.contains("/popleft▏ Enter find"), "{status}");
    key(&mut model, KeyCode::Enter, KeyModifiers::NONE);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn checkpoint_list_80x24() {
    use specbench::model::CheckpointItem;
    let mut model = demo_model("default", 80, 24);
    let items = vec![
        CheckpointItem {
            id: 1,
            label: "reply 4: test_rate_limiter_gaps.py".into(),
            files: 1,
        },
        CheckpointItem {
            id: 2,
            label: "reply 9: rate_limiter.py, test_rate_limiter.py".into(),
            files: 2,
        },
    ];
    update(
        &mut model,
        Msg::Event(AppEvent::CheckpointsListed(Ok((items, 1)))),
    );
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn an_apply_cut_short_by_a_crash_is_reported_on_open_120x40() {
    use specbench::code::recovery::{Recovery, Stopped};
    let mut model = demo_model("default", 120, 40);
    let recovery = Recovery {
        stopped: Some(Stopped {
            label: "reply 9: rate_limiter.py, test_rate_limiter.py".into(),
            files: vec!["rate_limiter.py".into(), "test_rate_limiter.py".into()],
            written: vec!["rate_limiter.py".into()],
            finished: false,
        }),
        ..Recovery::default()
    };
    update(&mut model, Msg::Event(AppEvent::Recovered(recovery)));
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn a_restore_meeting_a_hand_edit_asks_80x24() {
    use specbench::model::review::UndoOutcome;
    let mut model = demo_model("default", 80, 24);
    let outcome = UndoOutcome::ChangedSince {
        paths: vec!["rate_limiter.py".into()],
        steps: 2,
    };
    update(
        &mut model,
        Msg::Event(AppEvent::Undone {
            redo: false,
            outcome,
        }),
    );
    insta::assert_snapshot!(render(&model).backend());
}

/// The demo mid-story: a list implementation, two fix rounds and a marked correction in the
/// conversation, R4 corrected twice.
fn poisoned_model(theme: &str, cols: u16, rows: u16) -> Model {
    use specbench::llm::Role;
    use specbench::model::conversation::{Message, MessageStatus};
    use specbench::model::workflow::{FixLoop, Verdict};
    use specbench::session::PromptKind;
    use specbench::session::signature::Signature;
    let mut model = demo_model(theme, cols, rows);
    let r4 = Signature {
        subject: "R4".into(),
        kind: "violated".into(),
    };
    let say = |role, text: &str, kind, corrects: Vec<String>| {
        let mut m = Message::new(role, text.into(), MessageStatus::Complete);
        m.kind = kind;
        m.corrects = corrects;
        m
    };
    let conv = &mut model.conversation;
    conv.messages.push(say(
        Role::User,
        "R4 says a deque, not a list.",
        PromptKind::Message,
        vec![r4.key()],
    ));
    conv.messages.push(say(
        Role::Assistant,
        "Switching the window to `collections.deque`.",
        PromptKind::Message,
        vec![],
    ));
    conv.messages.push(say(
        Role::User,
        "Fix round 2 of 3: the tests ran on your last change and this still fails.\n\n\
         Violated clauses of the pinned spec:\n- R4: Uses collections.deque for the window, not \
         a list.\n    required `\\bdeque\\(` not found in rate_limiter.py",
        PromptKind::Fix { round: 2, of: 3 },
        vec![r4.key()],
    ));
    model.set_step(specbench::session::Step::Implement);
    model.session.verdict = Some(Verdict {
        ok: false,
        text: "R4 violated".into(),
    });
    model.session.fix = Some(FixLoop { round: 2, max: 3 });
    model.session.corrections = vec![(r4, 1)];
    keys(&mut model, "2");
    model
}

#[test]
fn conversation_shows_fix_rounds_corrections_and_the_step() {
    let mut model = poisoned_model("default", 120, 40);
    keys(&mut model, "z");
    insta::assert_snapshot!("fix_rounds_zoomed_120x40", render(&model).backend());
    let model = poisoned_model("default", 80, 24);
    insta::assert_snapshot!("fix_rounds_80x24", render(&model).backend());
}

#[test]
fn the_poisoning_banner_and_the_lessons_review_high_contrast_80x24() {
    let mut model = poisoned_model("high-contrast", 80, 24);
    model.session.fix = None;
    model.session.corrections[0].1 = 2;
    model.session.poisoned = Some(model.session.corrections[0].0.clone());
    insta::assert_snapshot!("poisoned_banner", render(&model).backend());
    keys(&mut model, "F");
    insta::assert_snapshot!("lessons_review", render(&model).backend());
    let buffer = render(&model).backend().buffer().clone();
    insta::assert_snapshot!("lessons_review_styles", styled_dump(&buffer));
}

#[test]
fn a_fresh_sessions_request_ends_its_seed_with_the_spec_120x40() {
    let mut model = poisoned_model("default", 120, 40);
    model.session.corrections[0].1 = 2;
    keys(&mut model, "F");
    key(&mut model, KeyCode::Enter, KeyModifiers::NONE);
    key(&mut model, KeyCode::Esc, KeyModifiers::NONE);
    key(&mut model, KeyCode::Char('o'), KeyModifiers::CONTROL);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn results_pane_when_no_tests_ran_80x24() {
    let mut model = demo_model("default", 80, 24);
    let mut r = report(Vec::new(), Some(0));
    r.output = Default::default();
    r.output.push("Ran 0 tests in 0.000s");
    r.output.push("OK");
    finish_run(&mut model, r);
    keys(&mut model, "4");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn an_implement_reply_editing_a_test_is_flagged_in_the_code_pane_80x24() {
    let mut model = demo_model("default", 80, 24);
    model
        .session
        .turn_steps
        .insert(7, specbench::session::Step::Implement);
    let before = demo_file("test_rate_limiter.py");
    let after = before.replace("self.assertFalse(allowed)", "pass");
    let set = specbench::code::changes::ChangeSet {
        turn: 7,
        files: vec![specbench::code::changes::FileChange {
            rel: "test_rate_limiter.py".into(),
            before: Some(before.to_string()),
            diff: specbench::code::changes::diff_lines(before, &after),
            after,
            added: 1,
            removed: 1,
            state: specbench::code::changes::ChangeState::Pending,
        }],
        refused: Vec::new(),
    };
    update(&mut model, Msg::Event(AppEvent::ChangesReady(set)));
    insta::assert_snapshot!(render(&model).backend());
}

/// The demo after three runs in a row each rewrote a file it reads: auto-rerun is paused.
fn paused_model(cols: u16, rows: u16) -> Model {
    let mut model = demo_model("default", cols, rows);
    let ms = std::time::Duration::from_millis;
    let start = tokio::time::Instant::now();
    let mut id = model
        .init()
        .iter()
        .find_map(|c| match c {
            Cmd::StartRun { id } => Some(*id),
            _ => None,
        })
        .unwrap();
    for round in 0..3u64 {
        let at = start + ms(100 * round);
        update(&mut model, Msg::Event(AppEvent::RunStarted { id, at }));
        let stamp = |hash| specbench::watch::Content::Bytes { len: 20, hash };
        let changed = specbench::watch::WatchEvent::Changed {
            paths: vec!["stamp.py".into()],
            content: vec![specbench::watch::ContentChange {
                before: stamp(round),
                after: stamp(round + 1),
            }],
            first: (at + ms(30)).into_std(),
            last: (at + ms(30)).into_std(),
        };
        let cmds = update(&mut model, Msg::Event(AppEvent::Watch(changed)));
        if let Some(next) = cmds.iter().find_map(|c| match c {
            Cmd::StartRun { id } => Some(*id),
            _ => None,
        }) {
            id = next;
        }
    }
    let mut done = report(demo_results(), Some(1));
    done.ended = start + ms(400);
    update(
        &mut model,
        Msg::Event(AppEvent::RunFinished { id, report: done }),
    );
    model
}

#[test]
fn auto_rerun_paused_by_a_loop_says_so_120x40_and_80x24() {
    let model = paused_model(120, 40);
    assert!(!model.reruns.paused.is_empty());
    insta::assert_snapshot!("auto_rerun_paused_120x40", render(&model).backend());
    let mut model = paused_model(80, 24);
    keys(&mut model, "4");
    insta::assert_snapshot!("auto_rerun_paused_80x24", render(&model).backend());
}

/// The demo's conversation behind a llama.cpp server with a 4,096-token window: the server
/// counts the requests, the 8,192-token reserve is too large for the window.
fn llama_cpp_model(cols: u16, rows: u16) -> Model {
    use specbench::llm::client::Wire;
    use specbench::llm::count::Plan;
    use specbench::llm::window::{Probe, Server};
    let mut model = conversation_model(cols, rows);
    update(
        &mut model,
        Msg::Event(AppEvent::ProviderReady {
            probe: Probe {
                server: Server::LlamaCpp,
                window: Some(4096),
            },
            plan: Plan::new(Server::LlamaCpp, Wire::Openai, "smollm2"),
            prompts: Vec::new(),
        }),
    );
    model
}

/// The user paused on the current request and the server answered `result`.
fn counted(model: &mut Model, result: Result<u32, specbench::llm::count::CountError>) {
    let revision = model.conversation.revision;
    let cmds = update(model, Msg::Event(AppEvent::CountDue { revision }));
    let Some(Cmd::Count { counter, .. }) = cmds.into_iter().next() else {
        panic!("the request is counted after the pause");
    };
    update(
        model,
        Msg::Event(AppEvent::Counted {
            revision,
            counter,
            result,
        }),
    );
}

#[test]
fn gauge_estimate_then_exact_from_the_server_120x40() {
    let mut model = llama_cpp_model(120, 40);
    keys(&mut model, "2i");
    keys(&mut model, "Say hi");
    // The estimate, marked `~`; the reduced reserve's warning in the status bar.
    insta::assert_snapshot!(
        "counts_1_estimate_reserve_warning",
        render(&model).backend()
    );
    counted(&mut model, Ok(1416));
    insta::assert_snapshot!("counts_2_exact", render(&model).backend());
    key(&mut model, KeyCode::Char('o'), KeyModifiers::CONTROL);
    insta::assert_snapshot!("counts_3_inspector_exact", render(&model).backend());
    key(&mut model, KeyCode::Esc, KeyModifiers::NONE);
    keys(&mut model, " again");
    let garbage = specbench::llm::count::CountError::Garbage {
        url: "http://127.0.0.1:8080/tokenize".into(),
        excerpt: "<html>".into(),
    };
    counted(&mut model, Err(garbage));
    key(&mut model, KeyCode::Char('o'), KeyModifiers::CONTROL);
    insta::assert_snapshot!("counts_4_inspector_fallback", render(&model).backend());
}

/// A small shop package, larger than `all_below_tokens` in the tests below: the spec names
/// `shop/cart.py`; the other files are mapped or left out.
const SHOP: &[(&str, &str)] = &[
    (
        "SPEC.md",
        "# Cart\n\nThe cart in `shop/cart.py` totals its lines with `price_of` and applies \
         `tax_for` the customer's region.\n\n- R1: an empty cart totals 0.\n",
    ),
    (
        "shop/cart.py",
        "from shop.prices import price_of\nfrom shop.tax import tax_for\n\n\nclass Cart:\n    \
         def __init__(self, region):\n        self.region = region\n        self.lines = []\n\n    \
         def add(self, sku, qty=1):\n        self.lines.append((sku, qty))\n\n    \
         def total(self):\n        net = sum(price_of(s) * q for s, q in self.lines)\n        \
         return net + tax_for(self.region, net)\n",
    ),
    (
        "shop/prices.py",
        "PRICES = {\"apple\": 3, \"pear\": 4}\n\n\ndef price_of(sku: str) -> int:\n    \
         return PRICES[sku]\n\n\ndef discount(price: int, percent: int) -> int:\n    \
         return price - price * percent // 100\n",
    ),
    (
        "shop/tax.py",
        "RATES = {\"eu\": 20, \"us\": 7}\n\n\ndef tax_for(region: str, net: int) -> int:\n    \
         return net * RATES.get(region, 0) // 100\n",
    ),
    (
        "shop/report.py",
        "import csv\n\n\ndef write_report(rows, path):\n    with open(path, \"w\") as f:\n        \
         csv.writer(f).writerows(rows)\n",
    ),
    (
        "tests/test_cart.py",
        "from shop.cart import Cart\n\n\ndef test_empty_cart_totals_zero():\n    \
         assert Cart(\"eu\").total() == 0\n",
    ),
];

/// The shop's code files, in scope order.
fn shop_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<std::path::PathBuf> = SHOP
        .iter()
        .filter(|(p, _)| p.ends_with(".py"))
        .map(|(p, _)| p.into())
        .collect();
    files.sort();
    files
}

/// The shop opened in the cockpit with `context` settings: the spec pinned, the code listed,
/// and the set and the map chosen by the real context worker from the inputs the model sent
/// it (counted with the real tokenizer). The temp dir is returned to keep the files.
fn shop_model(cols: u16, rows: u16, context: &str) -> (Model, tempfile::TempDir) {
    use specbench::context::worker::{Job, Worker};
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in SHOP {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let theme = ThemeSource {
        user_dir: None,
        no_color: false,
    }
    .load("default")
    .unwrap();
    let config: specbench::config::Config = toml::from_str(&format!(
        "[tests]\ncommand = \"python3 -m pytest\"\n[model]\ncontext_window = 4096\n\
         max_output_tokens = 512\n[context]\n{context}\n"
    ))
    .unwrap();
    let mut model = Model::new(dir.path().to_path_buf(), "~/shop".into(), config, theme);
    update(&mut model, Msg::Resize(cols, rows));
    update(&mut model, Msg::Event(AppEvent::TokenizerReady));
    let spec = SHOP[0].1;
    let mut cmds = common::load_spec(&mut model, spec, Some(spec));
    cmds.extend(update(
        &mut model,
        Msg::Event(AppEvent::CodeFilesFound(Ok(shop_files()))),
    ));
    let encoding = model.conversation.encoding;
    let (tx, rx) = std::sync::mpsc::channel();
    let count = std::sync::Arc::new(move |t: &str| specbench::llm::tokens::count(encoding, t));
    let worker = Worker::spawn(dir.path().to_path_buf(), count, move |o| {
        let _ = tx.send(o);
    })
    .unwrap();
    let mut last = None;
    for cmd in cmds {
        match cmd {
            Cmd::Context(job) => {
                if let Job::Choose { id, .. } = &job {
                    last = Some(*id);
                }
                assert!(worker.send(job));
            }
            Cmd::LoadFile { id, path, .. } => {
                let text = std::fs::read_to_string(dir.path().join(&path)).unwrap();
                let content = Ok(specbench::workspace::FileText::from_text(&text));
                update(
                    &mut model,
                    Msg::Event(AppEvent::FileLoaded { id, path, content }),
                );
            }
            _ => {}
        }
    }
    let last = last.expect("the model asked for a choice");
    loop {
        let outcome = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the worker chose");
        let id = outcome.id;
        update(
            &mut model,
            Msg::Event(AppEvent::ContextChosen(Box::new(outcome))),
        );
        if id == last {
            break;
        }
    }
    assert!(model.context_settled());
    (model, dir)
}

const SHOP_CONTEXT: &str = "all_below_tokens = 50";

#[test]
fn code_pane_marks_the_set_the_map_and_the_rest_120x40() {
    let (mut model, _dir) = shop_model(120, 40, SHOP_CONTEXT);
    keys(&mut model, "3");
    assert_eq!(
        model.file_mark(std::path::Path::new("shop/cart.py")),
        specbench::model::context::FileMark::InSet(specbench::context::set::Reason::Spec)
    );
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn file_picker_filters_fuzzily_and_marks_each_file_80x24() {
    let (mut model, _dir) = shop_model(80, 24, SHOP_CONTEXT);
    keys(&mut model, "fshp");
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn request_inspector_lists_the_set_then_the_map_120x40() {
    let (mut model, _dir) = shop_model(120, 40, SHOP_CONTEXT);
    key(&mut model, KeyCode::Char('o'), KeyModifiers::CONTROL);
    insta::assert_snapshot!(render(&model).backend());
}

#[test]
fn gauge_says_the_set_and_the_map_at_80_and_200_columns() {
    let (model, _dir) = shop_model(200, 60, SHOP_CONTEXT);
    let props = specbench::render::gauge::GaugeProps {
        usage: model
            .conversation
            .context_use(model.config.model.max_output_tokens),
        thresholds: model.thresholds(),
        code: model.gauge_code(),
    };
    let mut out = String::new();
    for width in [80u16, 200] {
        let line = specbench::render::gauge::line(props, width, &model.theme);
        out.push_str(&format!("=== width {width}\n{line}|\n"));
    }
    insta::assert_snapshot!(out);
    insta::assert_snapshot!("gauge_with_a_set_200x60", render(&model).backend());
}

#[test]
fn an_overflowing_set_turns_the_code_segment_and_names_the_files_80x24() {
    let (mut model, _dir) = shop_model(80, 24, "all_below_tokens = 50\ncode_tokens = 60");
    keys(&mut model, "2");
    insta::assert_snapshot!(render(&model).backend());
    let props = specbench::render::gauge::GaugeProps {
        usage: model
            .conversation
            .context_use(model.config.model.max_output_tokens),
        thresholds: model.thresholds(),
        code: model.gauge_code(),
    };
    let line = specbench::render::gauge::line(props, 80, &model.theme);
    let critical = model
        .theme
        .style(specbench::theme::scope::GAUGE_CRITICAL)
        .fg;
    assert!(
        line.spans
            .iter()
            .any(|s| s.content.chars().any(|c| "█▉▊▋▌▍▎▏".contains(c)) && s.style.fg == critical),
        "the code segment is drawn in the critical colour: {line:?}"
    );
}

/// The first row of a styled dump (the tab bar) and its style runs.
fn first_row_styles(buffer: &ratatui::buffer::Buffer) -> String {
    let dump = styled_dump(buffer);
    let text = dump.lines().next().unwrap_or_default().to_string();
    let styles = dump
        .lines()
        .find(|l| l.starts_with(" 0: "))
        .unwrap_or_default()
        .to_string();
    format!("{text}\n{styles}\n")
}

#[test]
fn tab_badges_carry_each_panes_state_80x24() {
    let mut model = every_status_model(80, 24);
    insta::assert_snapshot!("tab_badges", render(&model).backend());
    // A run going shows as a dot.
    keys(&mut model, "r");
    insta::assert_snapshot!(
        "tab_badges_busy_styles",
        first_row_styles(render(&model).backend().buffer())
    );
    // Every tab's rectangle (what a click hits) is as wide as its label with its badge.
    let widths = model.tab_widths();
    let tabs = &model.layout.screen.tabs;
    assert_eq!(
        tabs.iter().map(|(_, r)| r.width).collect::<Vec<_>>(),
        widths
    );
}

#[test]
fn tab_badges_in_high_contrast_80x24() {
    let mut model = every_status_model(80, 24);
    model.theme = ThemeSource::default().load("high-contrast").unwrap();
    insta::assert_snapshot!(
        "tab_badges_high_contrast_styles",
        first_row_styles(render(&model).backend().buffer())
    );
}

#[test]
fn help_overlay_at_200_columns_shows_every_entry_whole() {
    let mut model = demo_model("default", 200, 60);
    keys(&mut model, "?");
    let terminal = render(&model);
    let buffer = terminal.backend().buffer();
    let text: Vec<String> = (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect()
        })
        .collect();
    // No entry runs into the box's right border: the column inside it is blank on every row.
    let top = text.iter().position(|r| r.contains('╭')).unwrap();
    let bottom = text.iter().position(|r| r.contains('╰')).unwrap();
    let right = text[top].chars().position(|c| c == '╮').unwrap();
    for row in &text[top + 1..bottom] {
        let inside = row.chars().nth(right - 1).unwrap();
        assert_eq!(inside, ' ', "an entry is cut: {}", row.trim());
    }
    insta::assert_snapshot!("help_200x60", terminal.backend());
}

#[test]
fn a_long_notice_takes_a_row_of_its_own_and_the_list_keeps_it_80x24() {
    let mut model = demo_model("default", 80, 24);
    model.notify(
        NoticeKind::Error,
        "Session likely poisoned: R4 · violated corrected 2×. F starts a fresh session, \
         seeded with the spec, the code and what was learned",
    );
    let terminal = render(&model);
    insta::assert_snapshot!("long_notice_80x24", terminal.backend());
    // Whole: its last words are on screen.
    let text = format!("{:?}", terminal.backend());
    assert!(text.contains("what was learned"), "{text}");
    model.notify(NoticeKind::Info, "Pinned SPEC.md as v2 (1c2d3e4f)");
    keys(&mut model, "!");
    insta::assert_snapshot!("recent_notices_80x24", render(&model).backend());
}

#[test]
fn composer_suggestion_before_and_after_typing_80x24() {
    let mut model = demo_model("default", 80, 24);
    model.start_composing();
    assert!(model.is_suggestion(), "the step's prompt is offered");
    let terminal = render(&model);
    // No wrapped row of the suggestion starts with a space.
    let buffer = terminal.backend().buffer();
    let rows: Vec<String> = (0..buffer.area.height)
        .map(|y| {
            (1..buffer.area.width - 1)
                .map(|x| buffer[(x, y)].symbol())
                .collect()
        })
        .collect();
    let title = rows.iter().position(|r| r.contains("suggested")).unwrap();
    for row in &rows[title + 1..rows.len() - 2] {
        assert!(!row.starts_with(' ') || row.trim().is_empty(), "{row:?}");
    }
    insta::assert_snapshot!("composer_suggestion", terminal.backend());
    insta::assert_snapshot!(
        "composer_suggestion_styles",
        styled_dump(render(&model).backend().buffer())
            .lines()
            .filter(|l| l.starts_with("17:") || l.starts_with("18:"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    keys(&mut model, "Only R1");
    assert!(!model.is_suggestion());
    insta::assert_snapshot!("composer_suggestion_replaced", render(&model).backend());
}

fn click(model: &mut Model, x: u16, y: u16) -> Vec<Cmd> {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    update(
        model,
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        }),
    )
}

/// The first cell (x, y) whose row shows `text`, on the model's screen.
fn find_on_screen(model: &Model, text: &str) -> (u16, u16) {
    let terminal = render(model);
    let buffer = terminal.backend().buffer();
    for y in 0..buffer.area.height {
        let row: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol())
            .collect();
        if let Some(at) = row.find(text) {
            let x = row[..at].chars().count() as u16;
            return (x, y);
        }
    }
    panic!("{text} is not on screen");
}

#[test]
fn clicks_open_a_file_select_a_clause_and_a_test_120x40() {
    let mut model = every_status_model(120, 40);
    // A clause: R6, in the Spec pane.
    let (x, y) = find_on_screen(&model, "[R6]");
    click(&mut model, x, y);
    assert_eq!(model.focus, specbench::model::Pane::Spec);
    let r6 = model
        .spec
        .shown()
        .unwrap()
        .clauses
        .iter()
        .position(|c| c.id == "R6")
        .unwrap();
    assert_eq!(model.spec.selected, r6);
    // A test: the third row of the Results list.
    let (x, y) = find_on_screen(&model, "test_warm_up");
    click(&mut model, x, y);
    let last = model.results.last.as_ref().unwrap();
    let shown = last.order[model.results.selected];
    assert!(last.report.results[shown].name.ends_with("test_warm_up"));
    // A file: the second name in the Code pane's header.
    let (x, y) = find_on_screen(&model, "test_rate_limiter.py ");
    let cmds = click(&mut model, x + 2, y);
    assert_eq!(model.code.selected, 1);
    assert!(
        cmds.iter().any(
            |c| matches!(c, Cmd::LoadFile { path, .. } if path.ends_with("test_rate_limiter.py"))
        ),
        "{cmds:?}"
    );
}
