//! The conversation through `update`: sending, streaming, cancelling, counting, offering.

use super::*;
use crate::config::Config;
use crate::llm::client::{LlmError, ReplyEvent};
use crate::llm::context::SegmentKind;
use crate::llm::window::Source;
use crate::llm::{Role, Usage};
use crate::model::{AppEvent, Msg, update};
use crate::model::{Cmd, Model};
use crate::session::journal::Record;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::Instant;

fn model() -> Model {
    let theme = crate::theme::ThemeSource::default()
        .load("default")
        .unwrap();
    let mut m = Model::new(PathBuf::from("/w"), "w".into(), Config::default(), theme);
    update(&mut m, Msg::Resize(120, 40));
    m
}

fn key(m: &mut Model, code: KeyCode) -> Vec<Cmd> {
    update(m, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_text(m: &mut Model, text: &str) {
    for c in text.chars() {
        key(m, KeyCode::Char(c));
    }
}

/// Composes `text`, sends it, and returns the turn id and the request.
fn send(m: &mut Model, text: &str) -> (u64, crate::llm::ChatRequest) {
    if m.mode == crate::model::Mode::Normal {
        key(m, KeyCode::Char('i'));
    }
    type_text(m, text);
    let cmds = key(m, KeyCode::Enter);
    match cmds.into_iter().find(|c| matches!(c, Cmd::Send { .. })) {
        Some(Cmd::Send {
            turn,
            request,
            prompt,
            ..
        }) => {
            assert_eq!(prompt, text);
            (turn, *request)
        }
        other => panic!("expected a send, got {other:?}"),
    }
}

fn reply(m: &mut Model, turn: u64, event: ReplyEvent, at: Instant) {
    update(m, Msg::Event(AppEvent::Reply { turn, event, at }));
}

fn end(m: &mut Model, turn: u64, result: Result<(), LlmError>) -> Vec<Cmd> {
    update(m, Msg::Event(AppEvent::ReplyEnded { turn, result }))
}

#[test]
fn a_turn_streams_completes_and_feeds_the_history() {
    let mut m = model();
    let (turn, req) = send(&mut m, "hello");
    assert!(m.composer.is_empty());
    assert_eq!(req.messages.len(), 1);
    assert!(req.system.starts_with(SYSTEM_PROMPT.trim_end()));
    let at = Instant::now();
    reply(&mut m, turn, ReplyEvent::Delta("Hi ".into()), at);
    reply(&mut m, turn, ReplyEvent::Delta("there".into()), at);
    assert_eq!(m.conversation.messages[1].text, "Hi there");
    assert_eq!(m.conversation.messages[1].status, MessageStatus::Streaming);
    assert!(m.animating());
    end(&mut m, turn, Ok(()));
    assert_eq!(m.conversation.messages[1].status, MessageStatus::Complete);
    assert!(!m.animating());
    let (_, req) = send(&mut m, "and then?");
    let roles: Vec<Role> = req.messages.iter().map(|c| c.role).collect();
    assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
    assert_eq!(req.messages[1].content, "Hi there");
}

#[test]
fn the_view_follows_the_end_until_the_user_scrolls_away() {
    let mut m = model();
    let (turn, _) = send(&mut m, "hello");
    let long = "A line of the reply.\n\n".repeat(80);
    reply(&mut m, turn, ReplyEvent::Delta(long), Instant::now());
    crate::model::prepare_frame(&mut m);
    let bottom = m.conversation.scroll;
    assert!(bottom > 0 && m.conversation.follow);
    // A growing composer shrinks the view: it still shows the end.
    m.set_draft("one\ntwo\nthree\nfour");
    update(&mut m, Msg::Resize(120, 40));
    crate::model::prepare_frame(&mut m);
    assert!(m.conversation.follow);
    assert_eq!(m.conversation.scroll, bottom + 3);
    m.set_draft("");
    update(&mut m, Msg::Resize(120, 40));
    crate::model::prepare_frame(&mut m);
    key(&mut m, KeyCode::Esc);
    update(
        &mut m,
        Msg::Mouse(crossterm::event::MouseEvent {
            kind: crossterm::event::MouseEventKind::ScrollUp,
            column: 80,
            row: 5,
            modifiers: KeyModifiers::NONE,
        }),
    );
    crate::model::prepare_frame(&mut m);
    assert!(!m.conversation.follow);
    let held = m.conversation.scroll;
    assert!(held < bottom);
    reply(
        &mut m,
        turn,
        ReplyEvent::Delta("more\n\n".repeat(10)),
        Instant::now(),
    );
    crate::model::prepare_frame(&mut m);
    assert_eq!(
        m.conversation.scroll, held,
        "new text does not yank the view"
    );
    key(&mut m, KeyCode::End);
    crate::model::prepare_frame(&mut m);
    assert!(m.conversation.follow);
    assert!(m.conversation.scroll > bottom);
}

#[test]
fn ctrl_n_steps_a_reply_only_while_one_streams() {
    let mut m = model();
    let ctrl_n = Msg::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL));
    assert!(update(&mut m, ctrl_n.clone()).is_empty());
    let (turn, _) = send(&mut m, "hello");
    assert_eq!(update(&mut m, ctrl_n.clone()), vec![Cmd::StepReply]);
    assert_eq!(m.draft(), "", "the key is not typed into the composer");
    end(&mut m, turn, Ok(()));
    assert!(update(&mut m, ctrl_n).is_empty());
}

#[test]
fn stale_replies_are_dropped() {
    let mut m = model();
    let (turn, _) = send(&mut m, "hello");
    reply(
        &mut m,
        turn + 99,
        ReplyEvent::Delta("ghost".into()),
        Instant::now(),
    );
    end(&mut m, turn + 99, Ok(()));
    assert_eq!(m.conversation.messages[1].text, "");
    assert!(m.conversation.streaming());
}

#[test]
fn an_error_after_content_keeps_the_partial_reply_marked_interrupted() {
    let mut m = model();
    let (turn, _) = send(&mut m, "hello");
    reply(
        &mut m,
        turn,
        ReplyEvent::Delta("partial".into()),
        Instant::now(),
    );
    let cmds = end(&mut m, turn, Err(LlmError::Ended));
    let msg = &m.conversation.messages[1];
    assert_eq!(msg.text, "partial");
    assert!(matches!(&msg.status, MessageStatus::Interrupted(why) if why.contains("ended")));
    assert!(
        matches!(
            cmds.as_slice(),
            [
                Cmd::Journal(Record::End {
                    status: crate::session::journal::EndStatus::Interrupted,
                    ..
                }),
                Cmd::ExpireNotice { .. }
            ]
        ),
        "{cmds:?}"
    );
    // The partial reply stays in the history the next request carries.
    let (_, req) = send(&mut m, "go on");
    assert_eq!(req.messages[1].content, "partial");
}

#[test]
fn unreadable_events_mark_the_reply_damaged_and_keep_its_text() {
    let mut m = model();
    let (turn, _) = send(&mut m, "hello");
    let now = Instant::now();
    // A failed attempt's damage goes with it.
    reply(&mut m, turn, ReplyEvent::Damaged("old".into()), now);
    let retrying = ReplyEvent::Retrying {
        attempt: 2,
        of: 3,
        wait_ms: 10,
        reason: "overloaded".into(),
    };
    reply(&mut m, turn, retrying, now);
    reply(&mut m, turn, ReplyEvent::Delta("one ".into()), now);
    reply(&mut m, turn, ReplyEvent::Damaged("{\"choi".into()), now);
    reply(&mut m, turn, ReplyEvent::Delta("three".into()), now);
    let cmds = end(&mut m, turn, Ok(()));
    let msg = &m.conversation.messages[1];
    assert_eq!(msg.text, "one three");
    let why =
        "an event of the stream could not be read (`{\"choi`); a piece of the reply may be missing";
    assert_eq!(msg.status, MessageStatus::Damaged(why.into()));
    assert!(
        cmds.iter().any(|c| matches!(c, Cmd::Journal(Record::End {
            status: crate::session::journal::EndStatus::Damaged,
            error: Some(e),
            ..
        }) if e == why)),
        "{cmds:?}"
    );
    let notice = m.notice.as_ref().unwrap();
    assert_eq!(notice.text, format!("The reply is damaged: {why}"));
    assert!(m.conversation.damaged.contains(&turn));
    // The damaged reply stays in the history the next request carries.
    let (_, req) = send(&mut m, "go on");
    assert_eq!(req.messages[1].content, "one three");
}

#[test]
fn damage_is_counted_in_words() {
    let many: Vec<String> = (0..3).map(|i| format!("e{i}")).collect();
    assert_eq!(
        damage_words(&many),
        "3 events of the stream could not be read (the first: `e0`); pieces of the reply \
         may be missing"
    );
    let capped = vec!["x".to_string(); crate::llm::client::MAX_DAMAGE_REPORTS];
    assert!(damage_words(&capped).starts_with("10 or more events"));
}

#[test]
fn a_failure_before_content_leaves_the_exchange_out_of_the_history() {
    let mut m = model();
    let (turn, _) = send(&mut m, "hello");
    let error = LlmError::BadKey {
        env: "OPENAI_API_KEY".into(),
        url: "https://api.openai.com/v1".into(),
    };
    end(&mut m, turn, Err(error));
    assert!(matches!(
        &m.conversation.messages[1].status,
        MessageStatus::Failed(_)
    ));
    let notice = m.notice.as_ref().unwrap();
    assert!(
        notice.text.contains("$OPENAI_API_KEY was refused"),
        "{}",
        notice.text
    );
    assert_eq!(
        m.conversation.history_tokens(),
        0,
        "a failed exchange is not history"
    );
    let (_, req) = send(&mut m, "retry");
    assert_eq!(req.messages.len(), 1);
    assert!(req.messages[0].content.starts_with("retry"));
}

#[test]
fn esc_cancels_the_reply_and_keeps_what_arrived() {
    let mut m = model();
    let (turn, _) = send(&mut m, "hello");
    reply(
        &mut m,
        turn,
        ReplyEvent::Delta("so far".into()),
        Instant::now(),
    );
    key(&mut m, KeyCode::Esc); // leaves compose mode
    assert!(m.conversation.streaming());
    let cmds = key(&mut m, KeyCode::Esc);
    assert!(cmds.contains(&Cmd::CancelReply { turn }));
    assert_eq!(
        m.conversation.messages[1].status,
        MessageStatus::Interrupted("cancelled".into())
    );
    // What the effect still delivers for the cancelled turn is dropped.
    reply(
        &mut m,
        turn,
        ReplyEvent::Delta(" more".into()),
        Instant::now(),
    );
    assert_eq!(m.conversation.messages[1].text, "so far");
}

#[test]
fn a_second_send_while_streaming_keeps_the_draft() {
    let mut m = model();
    send(&mut m, "one");
    type_text(&mut m, "two");
    let cmds = key(&mut m, KeyCode::Enter);
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::Send { .. })));
    assert_eq!(m.draft(), "two");
    assert!(m.pending_work().iter().any(|r| r.contains("streaming")));
}

#[test]
fn streaming_text_is_recounted_at_most_ten_times_a_second() {
    let mut m = model();
    m.on_tokenizer_ready();
    let (turn, _) = send(&mut m, "hello");
    let t0 = Instant::now();
    reply(&mut m, turn, ReplyEvent::Delta("one two three ".into()), t0);
    let first = m.conversation.messages[1].tokens;
    assert!(first > 0);
    reply(
        &mut m,
        turn,
        ReplyEvent::Delta("four five six ".repeat(10)),
        t0 + Duration::from_millis(50),
    );
    assert_eq!(
        m.conversation.messages[1].tokens, first,
        "not yet recounted"
    );
    reply(
        &mut m,
        turn,
        ReplyEvent::Delta("x".into()),
        t0 + Duration::from_millis(120),
    );
    assert!(m.conversation.messages[1].tokens > first);
}

#[test]
fn reported_usage_replaces_the_estimate_until_something_changes() {
    let mut m = model();
    m.on_tokenizer_ready();
    let (turn, _) = send(&mut m, "hello");
    let estimate = m.conversation.turn.as_ref().unwrap().estimate;
    assert!(!m.conversation.context_use(8192).exact);
    reply(&mut m, turn, ReplyEvent::Delta("hi".into()), Instant::now());
    let usage = Usage {
        prompt: Some(estimate),
        completion: Some(1),
    };
    reply(&mut m, turn, ReplyEvent::Usage(usage), Instant::now());
    end(&mut m, turn, Ok(()));
    let now = m.conversation.context_use(8192);
    assert!(now.exact);
    assert_eq!(now.used(), estimate + 1);
    assert_eq!(now.mismatch, None);
    key(&mut m, KeyCode::Char('x'));
    assert!(
        !m.conversation.context_use(8192).exact,
        "a draft makes it an estimate again"
    );
}

#[test]
fn a_server_count_far_below_the_estimate_is_flagged() {
    let mut m = model();
    m.on_tokenizer_ready();
    let (turn, _) = send(&mut m, "hello");
    let estimate = m.conversation.turn.as_ref().unwrap().estimate;
    let usage = Usage {
        prompt: Some(estimate / 2),
        completion: Some(1),
    };
    reply(&mut m, turn, ReplyEvent::Usage(usage), Instant::now());
    end(&mut m, turn, Ok(()));
    let mismatch = m.conversation.context_use(8192).mismatch.unwrap();
    assert!(mismatch.truncated());
}

#[test]
fn retries_show_in_the_turn_until_content_arrives() {
    let mut m = model();
    let (turn, _) = send(&mut m, "hello");
    let at = Instant::now();
    let retrying = ReplyEvent::Retrying {
        attempt: 2,
        of: 5,
        wait_ms: 1500,
        reason: "rate limited (HTTP 429): slow down".into(),
    };
    reply(&mut m, turn, retrying, at);
    let retry = m.conversation.turn.as_ref().unwrap().retry.clone().unwrap();
    assert_eq!(
        (retry.0, retry.1, retry.2),
        (2, 5, at + Duration::from_millis(1500))
    );
    reply(&mut m, turn, ReplyEvent::Delta("ok".into()), at);
    assert!(m.conversation.turn.as_ref().unwrap().retry.is_none());
}

#[test]
fn up_and_down_browse_sent_messages_only_from_an_empty_composer() {
    let mut m = model();
    for text in ["first", "second"] {
        let (turn, _) = send(&mut m, text);
        end(&mut m, turn, Ok(()));
    }
    key(&mut m, KeyCode::Up);
    assert_eq!(m.draft(), "second");
    key(&mut m, KeyCode::Up);
    assert_eq!(m.draft(), "first");
    key(&mut m, KeyCode::Up);
    assert_eq!(m.draft(), "first");
    key(&mut m, KeyCode::Down);
    assert_eq!(m.draft(), "second");
    key(&mut m, KeyCode::Down);
    assert_eq!(m.draft(), "");
    // With text of the user's own, Up moves the cursor instead.
    type_text(&mut m, "mine");
    key(&mut m, KeyCode::Up);
    assert_eq!(m.draft(), "mine");
}

#[test]
fn a_cassette_offers_its_prompts_in_turn_and_an_untouched_offer_is_not_work() {
    let mut m = model();
    update(
        &mut m,
        Msg::Event(AppEvent::ProviderReady {
            window: Some(4096),
            prompts: vec!["one".into(), "two".into()],
        }),
    );
    assert_eq!(m.conversation.window, (4096, Source::Server));
    assert_eq!(m.draft(), "one");
    assert!(m.pending_work().is_empty());
    key(&mut m, KeyCode::Char('i'));
    let cmds = key(&mut m, KeyCode::Enter);
    let Some(Cmd::Send { turn, .. }) = cmds.into_iter().find(|c| matches!(c, Cmd::Send { .. }))
    else {
        panic!("sent");
    };
    end(&mut m, turn, Ok(()));
    assert_eq!(m.draft(), "two");
}

#[test]
fn the_inspector_opens_with_ctrl_o_and_closes_with_esc() {
    let mut m = model();
    let ctrl_o = KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL);
    update(&mut m, Msg::Key(ctrl_o));
    assert!(matches!(
        m.overlay,
        Some(crate::model::Overlay::Inspector { scroll: 0 })
    ));
    key(&mut m, KeyCode::Down);
    assert!(matches!(
        m.overlay,
        Some(crate::model::Overlay::Inspector { scroll: 1 })
    ));
    key(&mut m, KeyCode::Esc);
    assert!(m.overlay.is_none());
}

#[test]
fn the_parts_follow_the_pin_and_the_latest_run() {
    let mut m = model();
    assert_eq!(m.conversation.spec.text, "");
    let before = m.conversation.revision;
    m.on_code_context("# The code in scope\n".into(), 5);
    assert_eq!(m.conversation.code.tokens, 5);
    assert!(m.conversation.revision > before);
    let usage = m.conversation.context_use(8192);
    assert_eq!(usage.segments.get(SegmentKind::Code), 5);
    assert_eq!(
        usage.segments.get(SegmentKind::System),
        m.conversation.system.tokens
    );
}
