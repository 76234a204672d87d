//! The parts of the next request before the history (system, spec, code, tests, re-anchor),
//! rebuilt when what they show changes, and counted: with the tokenizer once it is loaded.

use super::pane::Counted;
use crate::llm::context::Thresholds;
use crate::llm::request;
use crate::llm::tokens;
use crate::model::Model;

impl Model {
    /// Rebuilds the spec and re-anchor parts from the pinned spec.
    pub fn rebuild_spec_part(&mut self) {
        let conv = &self.conversation;
        let (spec, reanchor) = match &self.spec.pinned {
            Some(p) => {
                let version = format!("v{}", p.pin.version);
                let clauses: Vec<(String, String)> = p
                    .spec
                    .clauses
                    .iter()
                    .map(|c| (c.id.clone(), c.text.clone()))
                    .collect();
                (
                    conv.counted(request::spec_part(&p.pin.text, &version)),
                    conv.counted(request::reanchor(&version, &clauses)),
                )
            }
            None => (Counted::default(), Counted::default()),
        };
        let conv = &mut self.conversation;
        if conv.spec != spec || conv.reanchor != reanchor {
            conv.spec = spec;
            conv.reanchor = reanchor;
            conv.revision += 1;
        }
    }

    /// Rebuilds the tests part from the latest finished run.
    pub fn rebuild_tests_part(&mut self) {
        let text = match &self.results.last {
            Some(run) => request::failures_part(&run.report.results),
            None => String::new(),
        };
        if text != self.conversation.tests.text {
            self.conversation.tests = self.conversation.counted(text);
            self.conversation.revision += 1;
        }
    }

    /// The code part arrived (read and counted off the UI task).
    pub fn on_code_context(&mut self, text: String, tokens: u32) {
        if text != self.conversation.code.text {
            self.conversation.code = Counted { text, tokens };
            self.conversation.revision += 1;
        }
    }

    /// The tokenizer finished loading: every cached count is redone with it.
    pub fn on_tokenizer_ready(&mut self) {
        let conv = &mut self.conversation;
        conv.tokenizer_ready = true;
        for part in [
            &mut conv.system,
            &mut conv.spec,
            &mut conv.tests,
            &mut conv.lessons,
            &mut conv.reanchor,
            &mut conv.draft,
        ] {
            part.tokens = tokens::count(conv.encoding, &part.text);
        }
        // A restored session arrives counted (off the UI task); only estimates are redone.
        for m in conv.messages.iter_mut().filter(|m| !m.exact_count) {
            m.tokens = tokens::count(conv.encoding, &m.text);
            m.exact_count = true;
            m.touch();
        }
        conv.revision += 1;
    }

    /// The provider is ready: the window the server reports, the prompts a cassette offers.
    pub fn on_provider_ready(&mut self, server_window: Option<u32>, prompts: Vec<String>) {
        let conv = &mut self.conversation;
        conv.window = crate::llm::window::resolve(
            server_window,
            self.config.model.context_window,
            &self.config.model.model,
        );
        conv.offered = prompts;
        self.offer_next();
    }

    /// The gauge thresholds from config.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            warn: self.config.ui.gauge_warn,
            critical: self.config.ui.gauge_critical,
        }
    }

    /// The request's parts before the history, in request order, for [`request::assemble`]:
    /// a fresh session ends its seed with the spec.
    pub(crate) fn request_parts(&self) -> Vec<request::Part> {
        use crate::llm::context::SegmentKind as K;
        let conv = &self.conversation;
        conv.order()
            .iter()
            .take_while(|&&kind| kind != K::History)
            .filter_map(|&kind| {
                conv.part(kind).map(|c| request::Part {
                    kind,
                    text: c.text.clone(),
                })
            })
            .collect()
    }
}
