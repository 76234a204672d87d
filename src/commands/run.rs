//! `specbench run`: one step of the loop without the TUI. The same model, `update` and effects
//! as the cockpit: the message is sent with the request assembled as always, the reply streams
//! to stdout, its changes are applied with `--yes`, the tests run, failures go back for up to
//! `--auto-test N` fix rounds, everything is journaled, and the exit code is `check`'s. With
//! `--format json`, stdout gets one JSON report instead: the turns, the applied and refused
//! edits, each run's counts and the final check report.
//!
//! Long file: the step's loop, what it prints for each event (replies, tool calls, retries,
//! applies, runs) and the JSON report it builds are one contract with the user's terminal and
//! scripts; apart they would hide which event says what.

use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::config::{self, Overrides};
use crate::effects::Effects;
use crate::llm::client::ReplyEvent;
use crate::model::{AppEvent, Cmd, Model, Msg, update};
use crate::runner::ansi::{self, Stripper};
use crate::session::PromptKind;
use crate::startup::{StartError, workspace_root};
use crate::stdio::{errln, out, outln};
use crate::theme::ThemeSource;
use crate::{logging, workspace};

/// What the step was asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub message: String,
    /// Fix rounds after the first test run (0: test once, no fixes).
    pub fix_rounds: u32,
    /// Apply the proposed changes without asking.
    pub yes: bool,
    /// The step the message belongs to (Tests: failing tests are expected, no fix rounds).
    pub step: crate::session::Step,
    /// Print one JSON report on stdout instead of streaming the reply.
    pub json: bool,
}

/// What the step did, for `--format json`.
#[derive(Debug, Default, Serialize)]
struct StepLog {
    turns: Vec<TurnJson>,
    applied: Vec<AppliedJson>,
    refused: Vec<RefusedJson>,
    /// Applies that did not happen, with why (a file changed on disk, a write error).
    not_applied: Vec<String>,
    /// Files a reply proposed that were left unapplied (no `--yes`).
    proposed: Vec<String>,
    runs: Vec<RunJson>,
}

/// One user turn and the reply to it.
#[derive(Debug, Serialize)]
struct TurnJson {
    /// `message` (the step's message) or `fix` (a fix round specbench wrote).
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    round: Option<u32>,
    message: String,
    reply: String,
    /// `complete`, `interrupted`, `damaged` or `failed`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The tool calls the model made for this turn, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<ToolJson>,
}

/// One tool call and what became of it.
#[derive(Debug, Serialize)]
struct ToolJson {
    name: String,
    arguments: String,
    /// `read more.py 120-180`.
    label: String,
    /// `ok`, `error`, `cut` (not run: the stream broke inside it) or `not_run`.
    status: &'static str,
    /// The result's tokens (its error, for `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct AppliedJson {
    checkpoint: String,
    files: Vec<String>,
}

#[derive(Debug, Serialize)]
struct RefusedJson {
    path: String,
    /// The reply's line where the edit starts.
    line: usize,
    reason: String,
}

#[derive(Debug, Serialize)]
struct RunJson {
    number: u64,
    passed: usize,
    failed: usize,
    skipped: usize,
    exit_code: Option<i32>,
    timed_out: bool,
    failing: Vec<String>,
}

/// The report `run --format json` prints.
#[derive(Serialize)]
struct RunReportJson<T: Serialize> {
    #[serde(flatten)]
    log: StepLog,
    check: T,
    ok: bool,
}

/// Where the step stands, from what the loop has seen.
#[derive(Debug, Default)]
struct Progress {
    provider: Option<Result<(), String>>,
    sent: bool,
    /// A reply's edits are being read, or its changes written.
    preparing: bool,
    applying: bool,
}

impl Progress {
    /// Ready to send: the session read back, the spec pinned and scanned (or known to be
    /// missing), the first run in,
    /// the code and the provider ready.
    fn ready(&self, m: &Model) -> bool {
        // A spec that cannot be read or pinned is no reason to wait forever: the step goes on
        // without it, as the cockpit would.
        let spec = match &m.spec.disk {
            crate::model::Loaded::Loading => false,
            _ if m.spec.pinning => false,
            _ => m.spec.pinned.is_none() || m.spec.scan.is_some(),
        };
        m.session.opened
            && spec
            && m.results.last.is_some()
            && m.results.running.is_none()
            && m.context_settled()
            && self.provider.is_some()
    }

    /// Done: nothing streams, runs, applies or waits for a verdict any more.
    fn done(&self, m: &Model) -> bool {
        self.sent
            && !self.preparing
            && !self.applying
            && !m.conversation.streaming()
            && m.results.running.is_none()
            && m.session.fix.is_none()
            && m.session.judging.is_none()
            && m.spec.scans_pending == 0
    }
}

/// Runs one step on the workspace at `dir`.
pub fn run(dir: &Path, overrides: &Overrides, step: RunOptions) -> Result<ExitCode, StartError> {
    if step.message.trim().is_empty() {
        return Err(StartError::Usage(
            "the message (-m) is empty: say what the step should do".into(),
        ));
    }
    let root = workspace_root(dir)?;
    let mut config = config::load(&root, overrides)?;
    config.loop_.auto_apply = step.yes;
    config.loop_.auto_test = true;
    config.loop_.fix_rounds = step.fix_rounds;
    let secrets = crate::secrets::Secrets::from_env(&config.model.api_key_env);
    let _log_guard = logging::init(&root, &secrets)
        .inspect_err(|e| errln!("specbench: {}", logging::off_notice(e)))
        .ok();
    tracing::info!(root = %root.display(), "headless step");
    // Ctrl-C and the like end the test run in flight before the process dies.
    crate::runner::groups::end_on_signals()?;
    let (theme, _) = ThemeSource::from_env().load_or_default(&config.ui.theme);
    let mut model = Model::new(root.clone(), workspace::label(&root), config.clone(), theme);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let json = step.json;
    let mut log = StepLog::default();
    let result = runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let effects = Effects::new(root.clone(), config, tx);
        let mut progress = Progress::default();
        // The reply goes to stdout as text: a terminal's escape sequences in it (a clipboard
        // write, a screen switch, a title) are removed, as the cockpit never draws them.
        let mut reply = Stripper::printable();
        let mut pending: Vec<Cmd> = model.init();
        let mut first_message = 0;
        loop {
            for cmd in pending.drain(..) {
                carry_out(&effects, &mut progress, cmd);
            }
            if !progress.sent && progress.ready(&model) {
                if let Some(Err(why)) = &progress.provider {
                    return Err(StartError::Usage(format!("the model provider: {why}")));
                }
                pending = model.set_step(step.step);
                // Nobody is there to choose: an overflowing set is sent, and said so.
                if model.gauge_code().is_some_and(|c| c.over > 0) {
                    errln!(
                        "specbench: {}; sent anyway",
                        model
                            .overflow_words()
                            .split(" · ")
                            .next()
                            .unwrap_or_default()
                    );
                    model.accept_overflow();
                }
                model.set_draft(&step.message);
                first_message = model.conversation.messages.len();
                pending.extend(model.send());
                progress.sent = true;
                continue;
            }
            if progress.done(&model) {
                break;
            }
            let Some(msg) = rx.recv().await else { break };
            observe(&msg, &model, &mut progress, &mut reply, &mut log, json);
            let stopped = model.conversation.tools.stopped.clone();
            pending = update(&mut model, msg);
            if let Some(why) = &model.conversation.tools.stopped
                && stopped.as_ref() != Some(why)
            {
                errln!("\nspecbench: {why}");
            }
            report(&pending, &mut log, json);
        }
        if !json {
            outln!();
        }
        Ok(first_message)
    });
    // A step that ended early (an error) may leave a run going: it ends before the process.
    crate::runner::groups::end_all();
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    let first_message = result?;
    if json {
        log.turns = turns(&model, first_message);
        if let Some(view) = &model.code.changes {
            log.proposed = view
                .set
                .files
                .iter()
                .filter(|f| f.state == crate::code::changes::ChangeState::Pending)
                .map(|f| f.rel.display().to_string())
                .collect();
        }
    }
    if let Some(view) = &model.code.changes {
        let files = view.set.pending();
        let plural = if files == 1 { "" } else { "s" };
        match &view.warning {
            Some(warning) if files > 0 => errln!(
                "specbench: {}: not applied (review it in specbench)",
                ansi::printable(warning)
            ),
            _ if files > 0 => errln!(
                "specbench: the reply proposes changes to {files} file{plural} (not applied: \
                 --yes applies them)"
            ),
            _ => {}
        }
    }
    if let Some(class) = &model.session.poisoned {
        errln!(
            "specbench: the session is likely poisoned ({class} corrected {}×): open specbench and \
             press F for a fresh one",
            model.session.count(class)
        );
    }
    let run = model.results.last.as_ref().map(|l| l.report.clone());
    let findings = crate::check::evaluate_with(&model.root, &model.config, run)?;
    if json {
        let report = RunReportJson {
            log,
            check: crate::check::json(&findings),
            ok: findings.ok(),
        };
        match serde_json::to_string_pretty(&report) {
            Ok(text) => outln!("{text}"),
            Err(e) => errln!("specbench: cannot write the JSON report: {e}"),
        }
    } else {
        errln!(
            "{}",
            crate::check::human_report(&findings, false).trim_end()
        );
    }
    Ok(if findings.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Hands a command to the effects layer; the terminal's own commands have no terminal here.
fn carry_out(effects: &Effects, progress: &mut Progress, cmd: Cmd) {
    match cmd {
        Cmd::Suspend | Cmd::EditSpec | Cmd::EditDraft { .. } => {}
        Cmd::Apply { .. } => {
            progress.applying = true;
            effects.run(cmd);
        }
        Cmd::PrepareChanges { .. } => {
            progress.preparing = true;
            effects.run(cmd);
        }
        other => effects.run(other),
    }
}

/// The turns of this step: each user message from `first` on and the reply to it.
fn turns(model: &Model, first: usize) -> Vec<TurnJson> {
    use crate::llm::Role;
    use crate::model::conversation::MessageStatus;
    let messages = model.conversation.messages.get(first..).unwrap_or_default();
    let mut out: Vec<TurnJson> = Vec::new();
    for m in messages {
        match m.role {
            Role::User => {
                let (kind, round) = match m.kind {
                    PromptKind::Fix { round, .. } => ("fix", Some(round)),
                    PromptKind::Message => ("message", None),
                };
                out.push(TurnJson {
                    kind,
                    round,
                    message: m.text.clone(),
                    reply: String::new(),
                    status: "failed",
                    error: Some("no reply".into()),
                    tools: Vec::new(),
                });
            }
            Role::Assistant => {
                if let Some(turn) = out.last_mut() {
                    // A tool round's continuation carries on the reply before it.
                    if !turn.reply.is_empty() && !m.text.is_empty() {
                        turn.reply.push_str("\n\n");
                    }
                    turn.reply.push_str(&m.text);
                    turn.tools.extend(m.tools.iter().map(tool_json));
                    (turn.status, turn.error) = match &m.status {
                        MessageStatus::Complete | MessageStatus::Streaming => ("complete", None),
                        MessageStatus::Interrupted(why) => ("interrupted", Some(why.clone())),
                        MessageStatus::Damaged(why) => ("damaged", Some(why.clone())),
                        MessageStatus::Failed(why) => ("failed", Some(why.clone())),
                    };
                }
            }
        }
    }
    out
}

/// A tool call for the JSON report.
fn tool_json(t: &crate::model::conversation::ToolUse) -> ToolJson {
    let (status, tokens, error) = match &t.result {
        _ if t.cut => ("cut", None, None),
        Some(r) if r.is_error => ("error", None, Some(r.content.clone())),
        Some(_) => ("ok", Some(t.result_tokens), None),
        None => ("not_run", None, None),
    };
    ToolJson {
        name: t.call.name.clone(),
        arguments: t.call.arguments.clone(),
        label: t.label.clone(),
        status,
        tokens,
        error,
    }
}

/// The line `run` prints for a tool call that ran: `read more.py 120-180 · 1.2k tokens`, or
/// its error.
fn tool_line(label: &str, result: &crate::llm::ToolResult, tokens: u32) -> String {
    if result.is_error {
        let first = result.content.lines().next().unwrap_or_default();
        format!("{label} · {}", ansi::printable(first))
    } else {
        format!(
            "{label} · {} tokens",
            crate::llm::context::fmt_tokens(tokens)
        )
    }
}

/// Streams the reply to stdout (not with `--format json`), says on stderr what became of its
/// edits, notes what the step waits for and logs what it did.
fn observe(
    msg: &Msg,
    model: &Model,
    progress: &mut Progress,
    reply: &mut Stripper,
    log: &mut StepLog,
    json: bool,
) {
    let Msg::Event(event) = msg else { return };
    let in_flight = |turn: &u64| {
        model
            .conversation
            .turn
            .as_ref()
            .is_some_and(|t| t.id == *turn)
    };
    match event {
        AppEvent::Reply {
            event: ReplyEvent::Delta(text),
            turn,
            ..
        } if !json && in_flight(turn) => {
            let mut shown = String::with_capacity(text.len());
            reply.push(text, &mut shown);
            out!("{shown}");
        }
        AppEvent::Reply {
            event:
                ReplyEvent::Retrying {
                    attempt,
                    of,
                    wait_ms,
                    reason,
                },
            turn,
            ..
        } if in_flight(turn) => {
            errln!(
                "\nspecbench: {reason}; retrying in {:.1} s (attempt {attempt} of {of})",
                *wait_ms as f64 / 1000.0
            );
        }
        AppEvent::ReplyEnded {
            result: Ok(()),
            turn,
        } if in_flight(turn) => {
            if let Some(t) = &model.conversation.turn
                && !t.damage.is_empty()
            {
                let words = crate::model::conversation::damage_words(&t.damage);
                errln!("\nspecbench: the reply is damaged: {words}");
            }
        }
        AppEvent::ToolsRan { turn, outcomes } if in_flight(turn) => {
            // The reply goes on after the results: a paragraph apart on stdout.
            if !json {
                out!("\n\n");
            }
            let count = model.conversation.counter();
            let calls = model
                .conversation
                .turn
                .as_ref()
                .and_then(|t| model.conversation.messages.get(t.message))
                .map(|m| m.tools.as_slice())
                .unwrap_or_default();
            for (i, outcome) in outcomes.iter().enumerate() {
                let label = calls
                    .iter()
                    .find(|t| t.call.id == outcome.result.call_id)
                    .map_or_else(|| outcome.result.call_id.clone(), |t| t.label.clone());
                let gap = if i == 0 { "\n" } else { "" };
                let tokens = count(&outcome.result.content);
                errln!(
                    "{gap}specbench: ▸ {}",
                    tool_line(&label, &outcome.result, tokens)
                );
            }
        }
        AppEvent::ReplyEnded {
            result: Err(e @ crate::llm::client::LlmError::ToolsUnsupported { .. }),
            turn,
        } if in_flight(turn)
            && model
                .conversation
                .turn
                .as_ref()
                .is_some_and(|t| !t.resent && !t.request.tools.is_empty()) =>
        {
            errln!(
                "\nspecbench: {}: tools are off for this session; the message goes again \
                 without them",
                ansi::printable(&e.to_string())
            );
        }
        AppEvent::ToolSupport(Some(false))
            if model.config.model.tools == crate::config::Tools::Read =>
        {
            errln!(
                "specbench: the server's chat template takes no tools: tools are off for this session"
            );
        }
        AppEvent::ChangesReady(set) => {
            progress.preparing = false;
            // What the cockpit lists under the diffs: every edit refused, and why.
            for (i, refused) in set.refused.iter().enumerate() {
                let gap = if i == 0 { "\n" } else { "" };
                errln!(
                    "{gap}specbench: ✗ {}",
                    ansi::printable(&refused.to_string())
                );
            }
            log.refused.extend(set.refused.iter().map(|r| RefusedJson {
                path: r.path.clone(),
                line: r.line,
                reason: r.why.clone(),
            }));
        }
        AppEvent::ProviderReady { .. } => progress.provider = Some(Ok(())),
        AppEvent::ProviderFailed(why) => progress.provider = Some(Err(why.clone())),
        AppEvent::Applied(result) => {
            progress.applying = false;
            match result {
                Ok(done) => {
                    let names: Vec<String> = done
                        .files
                        .iter()
                        .map(|w| w.rel.display().to_string())
                        .collect();
                    errln!("\nspecbench: applied {}", names.join(", "));
                    log.applied.push(AppliedJson {
                        checkpoint: done.label.clone(),
                        files: names,
                    });
                }
                Err(e) => {
                    errln!("\nspecbench: not applied: {}", ansi::printable(e));
                    log.not_applied.push(e.clone());
                }
            }
        }
        AppEvent::Recovered(recovery) => {
            let (_, report) = crate::model::review::recovery_report(
                &recovery.stopped,
                &recovery.sweep,
                recovery.error.clone(),
            );
            for line in report {
                errln!("specbench: {line}");
            }
        }
        AppEvent::JournalFailed(why) => errln!("specbench: the session journal: {why}"),
        AppEvent::Pinned(Err(why)) => errln!("specbench: the spec is not pinned: {why}"),
        AppEvent::SpecLoaded { pins: Err(why), .. } => {
            errln!("specbench: the pins cannot be read: {why}");
        }
        AppEvent::ReplyEnded {
            result: Err(e),
            turn,
        } if in_flight(turn) => {
            errln!(
                "\nspecbench: the reply did not complete: {}",
                ansi::printable(&e.to_string())
            );
        }
        _ => {}
    }
}

/// Says on stderr what the loop does next (a test run's result, a fix round) and logs runs.
fn report(cmds: &[Cmd], log: &mut StepLog, json: bool) {
    for cmd in cmds {
        match cmd {
            Cmd::Send {
                kind: PromptKind::Fix { round, of },
                ..
            } => {
                errln!("\nspecbench: fix round {round}/{of}: the failures go back to the model");
                if !json {
                    outln!("\n");
                }
            }
            Cmd::Journal(crate::session::journal::Record::Run {
                number,
                passed,
                failed,
                skipped,
                failing,
                exit_code,
                timed_out,
            }) => {
                if passed + failed + skipped == 0 {
                    errln!("specbench: tests: no tests ran");
                } else {
                    errln!("specbench: tests: {passed} passed, {failed} failed, {skipped} skipped");
                }
                log.runs.push(RunJson {
                    number: *number,
                    passed: *passed,
                    failed: *failed,
                    skipped: *skipped,
                    exit_code: *exit_code,
                    timed_out: *timed_out,
                    failing: failing.clone(),
                });
            }
            _ => {}
        }
    }
}
