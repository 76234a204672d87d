//! Counting off the UI task: the user's pause before a count (a newer request replaces a
//! waiting one), the count itself (the server's, or OpenAI's tables on a blocking thread; a
//! newer one aborts the older), and the estimator the background counts use once the
//! provider's plan is known.

use std::sync::PoisonError;
use std::time::Duration;

use super::Effects;
use crate::llm::ChatRequest;
use crate::llm::count::{CountError, Counter, Estimator};
use crate::llm::tokens;
use crate::model::{AppEvent, Msg};

/// How long the background counts wait for the provider's plan (the window probe) before
/// they use the model's tokenizer.
const PLAN_WAIT: Duration = Duration::from_secs(5);

impl Effects {
    /// What estimates token counts, once the provider's plan is known (waiting at most
    /// [`PLAN_WAIT`]; then the model's tokenizer): to be awaited off the UI task.
    pub(super) fn estimator_later(&self) -> impl Future<Output = Estimator> + Send + 'static {
        let mut known = self.estimator.subscribe();
        let fallback = Estimator::Tokenizer(tokens::Encoding::for_model(&self.config.model.model));
        async move {
            let wait = async { known.wait_for(Option::is_some).await.ok().and_then(|e| *e) };
            tokio::time::timeout(PLAN_WAIT, wait)
                .await
                .ok()
                .flatten()
                .unwrap_or(fallback)
        }
    }

    /// [`Self::estimator_later`] for a thread outside the runtime (the context worker): the
    /// first call waits for the plan there, later calls answer at once. Called on the runtime.
    pub(super) fn estimator_blocking(&self) -> impl Fn() -> Estimator + Send + Sync + 'static {
        let handle = tokio::runtime::Handle::current();
        let later: std::sync::Mutex<
            Option<std::pin::Pin<Box<dyn Future<Output = Estimator> + Send>>>,
        > = std::sync::Mutex::new(Some(Box::pin(self.estimator_later())));
        let fallback = Estimator::Tokenizer(tokens::Encoding::for_model(&self.config.model.model));
        let known = std::sync::OnceLock::new();
        move || {
            *known.get_or_init(|| {
                let later = later.lock().ok().and_then(|mut f| f.take());
                later.map_or(fallback, |f| handle.block_on(f))
            })
        }
    }

    /// Reports `CountDue` for `revision` after `after`, replacing a count still waiting.
    pub(super) fn count_later(&self, revision: u64, after: Duration) {
        let tx = self.tx.clone();
        let task = tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let _ = tx.send(Msg::Event(AppEvent::CountDue { revision }));
        });
        self.replace_counting(0, task.abort_handle());
    }

    /// Counts `request` by `counter` (the server, or OpenAI's tables off the UI task),
    /// replacing a count still in flight.
    pub(super) fn count(&self, revision: u64, counter: Counter, request: ChatRequest) {
        let (tx, provider) = (self.tx.clone(), self.provider.clone());
        let task = tokio::spawn(async move {
            let result = match provider.as_ref() {
                Ok(p) => p.count(counter, &request).await,
                Err(why) => Err(CountError::Unreachable {
                    url: "the provider".into(),
                    detail: why.clone(),
                }),
            };
            let _ = tx.send(Msg::Event(AppEvent::Counted {
                revision,
                counter,
                result,
            }));
        });
        self.replace_counting(1, task.abort_handle());
    }

    /// Puts `task` in counting slot `slot`, aborting the one it replaces.
    fn replace_counting(&self, slot: usize, task: tokio::task::AbortHandle) {
        let mut slots = self.counting.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(older) = slots[slot].replace(task) {
            older.abort();
        }
    }
}
