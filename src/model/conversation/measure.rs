//! Counting the next request exactly, off the UI task (the state is `counting`): once the
//! user pauses (a debounce the effects time), the request as it would be sent is counted by
//! the server's own tokenizer (or OpenAI's tables); until the count arrives the gauge shows
//! the estimate, calibrated by the server's last count and marked `~`. A count that fails
//! leaves the estimate standing, silently in the UI (the inspector and the log say why); an
//! endpoint that is missing is not asked again. Also the reserve rule: the reply's reserve
//! never leaves the request less than half the window, and `max_tokens` never exceeds the room
//! left.

use super::counting::{COUNT_PAUSE, ExactCount};
use super::pane::ConversationPane;
use crate::llm::ChatRequest;
use crate::llm::calibration::{Basis, Figure};
use crate::llm::count::{CountError, Counter, Estimator, Plan};
use crate::llm::request;
use crate::llm::window::{self, Probe, Reserve, Source};
use crate::model::{Cmd, Model, NoticeKind};

impl ConversationPane {
    /// What gives the estimates now: the tokenizer once loaded, else bytes / 4.
    pub fn estimator(&self) -> Estimator {
        if self.tokenizer_ready {
            Estimator::Tokenizer(self.encoding)
        } else {
            Estimator::Bytes
        }
    }

    /// The next request's size and how it was obtained, from `raw`, its estimate: the exact
    /// count of this very revision, else what the server reported for it, else the estimate
    /// calibrated by the server's last count. While a reply streams it is an estimate.
    pub fn figure(&self, raw: u32) -> Figure {
        let idle = self.turn.is_none();
        if let Some(exact) = self
            .counting
            .exact
            .filter(|e| idle && e.revision == self.revision)
        {
            return Figure {
                tokens: exact.tokens,
                basis: Basis::Exact(exact.counter),
            };
        }
        if let Some(reported) = self
            .reported
            .filter(|r| idle && r.revision == self.revision)
        {
            return Figure {
                tokens: reported.total,
                basis: Basis::Reported,
            };
        }
        self.counting.calibration.estimate(self.estimator(), raw)
    }

    /// The reply's reserve in the current window for `max_output_tokens` ([`window::reserve`]).
    pub fn reserve(&self, max_output_tokens: u32) -> Reserve {
        window::reserve(self.window.0, max_output_tokens)
    }

    /// Where the window figure came from, in words: the server names itself.
    pub fn window_source(&self) -> String {
        match (self.window.1, self.counting.server) {
            (Source::Server, Some(server)) => format!("from the server: {}", server.name()),
            (source, _) => source.label().to_string(),
        }
    }
}

impl Model {
    /// The request that sending `message` now would send, with `max_tokens`.
    pub(crate) fn next_request(&self, message: &str, max_tokens: u32) -> ChatRequest {
        let mut chat = request::assemble(
            &self.config.model.model,
            max_tokens,
            &self.request_parts(),
            &self.conversation.history(),
            message,
            &self.conversation.reanchor.text,
        );
        // The tools offered are part of what is counted, as of what is sent.
        chat.tools = self.offered_tools();
        chat
    }

    /// After every update: when the next request changed and the server (or OpenAI's tables)
    /// can count it, a count is asked for once the user pauses.
    pub(crate) fn count_if_changed(&mut self) -> Option<Cmd> {
        let conv = &mut self.conversation;
        let counting = &conv.counting;
        let counted = counting.exact.is_some_and(|e| e.revision == conv.revision);
        let wanted = counting.ready
            && counting.plan.exact.is_some()
            && !conv.streaming()
            && !counted
            && counting.asked != Some(conv.revision);
        wanted.then(|| {
            conv.counting.asked = Some(conv.revision);
            Cmd::CountLater {
                revision: conv.revision,
                after: COUNT_PAUSE,
            }
        })
    }

    /// The user paused on `revision`: it is counted if it is still the next request.
    pub(crate) fn on_count_due(&mut self, revision: u64) -> Vec<Cmd> {
        let conv = &self.conversation;
        let Some(counter) = conv.counting.plan.exact else {
            return Vec::new();
        };
        if revision != conv.revision || conv.streaming() {
            return Vec::new();
        }
        let reserve = conv.reserve(self.config.model.max_output_tokens).tokens;
        let request = self.next_request(&self.draft(), reserve.max(1));
        vec![Cmd::Count {
            revision,
            counter,
            request: Box::new(request),
        }]
    }

    /// The count of `revision` by `counter` arrived (or failed: the estimate stands, and a
    /// missing endpoint is not asked again).
    pub(crate) fn on_counted(
        &mut self,
        revision: u64,
        counter: Counter,
        result: Result<u32, CountError>,
    ) {
        let conv = &mut self.conversation;
        match result {
            Ok(tokens) => {
                if revision == conv.revision {
                    let raw = conv.raw_segments().total();
                    conv.counting.calibration.learn(raw, tokens);
                    tracing::debug!(revision, tokens, raw, counter = %counter.label(), "counted");
                }
                conv.counting.exact = Some(ExactCount {
                    revision,
                    tokens,
                    counter,
                });
                conv.counting.failure = None;
            }
            Err(e) => {
                tracing::warn!(error = %e, counter = %counter.label(), "no exact count; the estimate stands");
                if e.permanent() && conv.counting.plan.exact == Some(counter) {
                    conv.counting.plan.exact = None;
                }
                conv.counting.failure = Some(e.to_string());
            }
        }
    }

    /// The provider is ready: the server's window (and who it is), who counts, the prompts a
    /// cassette offers. A reserve too large for the window is reduced, with a warning.
    pub fn on_provider_ready(
        &mut self,
        probe: Probe,
        plan: Plan,
        prompts: Vec<String>,
    ) -> Vec<Cmd> {
        tracing::info!(
            server = probe.server.name(),
            window = ?probe.window,
            exact = ?plan.exact.map(Counter::label),
            estimate = %plan.estimate.label(),
            "provider ready"
        );
        let conv = &mut self.conversation;
        conv.counting.plan = plan;
        conv.counting.ready = true;
        if let Some(encoding) = plan.estimate.encoding() {
            conv.encoding = encoding;
        }
        conv.offered = prompts;
        let cmds = self.use_window(probe);
        self.offer_next();
        cmds
    }

    /// The server was asked again after a context-size error.
    pub fn on_reprobed(&mut self, probe: Probe) -> Vec<Cmd> {
        tracing::info!(window = ?probe.window, "the window asked again");
        self.use_window(probe)
    }

    /// Puts the window `probe` found in force (config, then the table, when it found none),
    /// warning when the configured reserve would leave the request less than half of it.
    fn use_window(&mut self, probe: Probe) -> Vec<Cmd> {
        let before = self.conversation.window;
        let conv = &mut self.conversation;
        conv.window = window::resolve(
            probe.window,
            self.config.model.context_window,
            &self.config.model.model,
        );
        conv.counting.server = probe.window.map(|_| probe.server);
        let window = conv.window.0;
        let reserve = conv.reserve(self.config.model.max_output_tokens);
        match reserve.warning(window) {
            Some(warning) if conv.window != before || probe.window.is_some() => {
                tracing::warn!(window, reserve = reserve.tokens, "reserve reduced");
                vec![self.notify(NoticeKind::Error, warning)]
            }
            _ => Vec::new(),
        }
    }

    /// The `max_tokens` to send with the request of `figure` (the reserve rule): `None`, with
    /// the notice to show, when the window leaves no room for a reply.
    pub(crate) fn max_tokens_for(&mut self, figure: Figure) -> Result<u32, Box<Cmd>> {
        let window = self.conversation.window.0;
        let reserve = self
            .conversation
            .reserve(self.config.model.max_output_tokens);
        let exact = !figure.basis.approximate();
        window::max_tokens(window, reserve.tokens, figure.tokens, exact).ok_or_else(|| {
            let approx = if exact { "" } else { "~" };
            Box::new(self.notify(
                NoticeKind::Error,
                format!(
                    "Not sent: the request ({approx}{} tokens) leaves no room for a reply in the \
                     {window}-token window; the draft is kept (shorten the request or start a \
                     fresh session)",
                    figure.tokens
                ),
            ))
        })
    }
}
