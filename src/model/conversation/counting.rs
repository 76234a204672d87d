//! Who counts the next request and what was learnt: the plan (the server's counter or
//! OpenAI's tables, and the estimate between counts), the calibration, the exact count in
//! force, the count asked for, why the last one failed, and the server the window came from.
//! The updates are `measure`.

use std::time::Duration;

use crate::llm::calibration::{Calibration, Figure};
use crate::llm::count::{Counter, Plan};
use crate::llm::window::Server;

/// How long the next request must stay unchanged (the user pausing) before it is counted.
pub const COUNT_PAUSE: Duration = Duration::from_millis(300);

/// An exact count of one revision of the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactCount {
    pub revision: u64,
    pub tokens: u32,
    pub counter: Counter,
}

/// Who counts, what was learnt from the server, and the exact count in force.
#[derive(Debug, Clone)]
pub struct Counting {
    /// Who counts exactly, and what estimates in between.
    pub plan: Plan,
    /// Whether the provider is set up (counting starts then).
    pub ready: bool,
    /// The ratio learnt from the server's counts.
    pub calibration: Calibration,
    /// The last exact count (it stands while its revision is the current one).
    pub exact: Option<ExactCount>,
    /// The revision last asked to be counted (debounced or in flight).
    pub asked: Option<u64>,
    /// Why the last count failed, for the inspector; the gauge keeps its estimate.
    pub failure: Option<String>,
    /// The server the window came from, when it did.
    pub server: Option<Server>,
    /// The last request answered: what it was expected to count, and what the server
    /// reported (its `prompt_tokens`).
    pub last: Option<(Figure, u32)>,
}

impl Counting {
    /// Counting for `model` before the server has said what it is.
    pub fn new(model: &str) -> Self {
        Self {
            plan: Plan::offline(model),
            ready: false,
            calibration: Calibration::default(),
            exact: None,
            asked: None,
            failure: None,
            server: None,
            last: None,
        }
    }
}
