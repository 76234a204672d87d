//! Between exact counts, the estimate is calibrated: scaled by the ratio of what the server
//! counted to what was estimated here for the same request, so a foreign tokenizer (the
//! server counting 14% more than o200k) does not leave the gauge off. A figure says how it
//! was obtained ([`Basis`]): exact figures are shown plain, estimates with `~`.
//!
//! The truncation alarm compares the server's count of a request with what it was expected
//! to count, and only when that expectation was exact or calibrated ([`truncated`]): two
//! tokenizers that merely differ never raise it.

use super::context::fmt_tokens;
use super::count::{Counter, Estimator};

/// The smallest and largest server/estimate ratio believed to be two tokenizers differing
/// (a larger gap is something else: a prompt cut short, a template that adds a lot).
const RATIO_RANGE: (f64, f64) = (0.5, 2.5);

/// The server's count of a request over the local estimate of the same request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    /// The server's count.
    pub server: u32,
    /// The local estimate of the same request.
    pub estimate: u32,
}

impl Ratio {
    /// The ratio of a request the server counted (`server`) and that was estimated here
    /// (`estimate`); `None` when nothing was estimated or the two are too far apart to be two
    /// tokenizers (see [`RATIO_RANGE`]).
    pub fn new(estimate: u32, server: u32) -> Option<Ratio> {
        let ratio = Ratio { server, estimate };
        let value = f64::from(server) / f64::from(estimate);
        (estimate > 0 && (RATIO_RANGE.0..=RATIO_RANGE.1).contains(&value)).then_some(ratio)
    }

    /// `estimate` scaled by the ratio, rounded half up (saturating).
    pub fn apply(self, estimate: u32) -> u32 {
        let scaled = (u64::from(estimate) * u64::from(self.server) * 2 + u64::from(self.estimate))
            / (u64::from(self.estimate) * 2);
        u32::try_from(scaled).unwrap_or(u32::MAX)
    }

    /// How much more (positive) or less the server counts, in percent, rounded.
    pub fn percent(self) -> i64 {
        let (server, estimate) = (i64::from(self.server), i64::from(self.estimate));
        let difference = (server - estimate) * 100;
        (difference + difference.signum() * estimate / 2) / estimate
    }
}

/// How a figure was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Counted for this very request by the counter: the server's own tokenizer, or OpenAI's
    /// tables for OpenAI's models.
    Exact(Counter),
    /// The server's reported usage for the request.
    Reported,
    /// The estimator's count scaled by the last ratio.
    Calibrated(Estimator, Ratio),
    /// The estimator's count as it is: nothing to calibrate it by yet.
    Estimated(Estimator),
}

impl Basis {
    /// Whether the figure is an estimate (shown with `~`).
    pub fn approximate(self) -> bool {
        matches!(self, Basis::Calibrated(..) | Basis::Estimated(_))
    }

    /// Which counter produced the figure, in words for the inspector.
    pub fn describe(self) -> String {
        match self {
            Basis::Exact(counter) => format!("exact: {}", counter.label()),
            Basis::Reported => "reported by the server".into(),
            Basis::Calibrated(estimator, ratio) => format!(
                "~ {} calibrated {:+}% by the server's last count ({} for ~{})",
                estimator.label(),
                ratio.percent(),
                fmt_tokens(ratio.server),
                fmt_tokens(ratio.estimate)
            ),
            Basis::Estimated(estimator) => format!("~ {}, not calibrated yet", estimator.label()),
        }
    }
}

/// A token figure and how it was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figure {
    pub tokens: u32,
    pub basis: Basis,
}

/// The ratio learnt from the server so far, per session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Calibration {
    ratio: Option<Ratio>,
}

impl Calibration {
    /// The ratio in force, if the server has counted a request.
    pub fn ratio(&self) -> Option<Ratio> {
        self.ratio
    }

    /// The figure for a request `estimator` counts as `raw`: calibrated once a ratio is known.
    pub fn estimate(&self, estimator: Estimator, raw: u32) -> Figure {
        match self.ratio {
            Some(ratio) => Figure {
                tokens: ratio.apply(raw),
                basis: Basis::Calibrated(estimator, ratio),
            },
            None => Figure {
                tokens: raw,
                basis: Basis::Estimated(estimator),
            },
        }
    }

    /// The server counted `server` tokens for a request estimated here as `raw`: the ratio to
    /// calibrate the next estimates by. A count too far from the estimate teaches nothing
    /// (the ratio stays as it was).
    pub fn learn(&mut self, raw: u32, server: u32) {
        if let Some(ratio) = Ratio::new(raw, server) {
            self.ratio = Some(ratio);
        }
    }

    /// The server reported `reported` prompt tokens for a request that was expected to count
    /// `expected` (and estimated here as `raw`): the truncation alarm if it raises, else the
    /// count calibrates what follows.
    pub fn on_usage(&mut self, expected: Figure, raw: u32, reported: u32) -> Option<Truncation> {
        let alarm = truncated(expected, reported);
        if alarm.is_none() {
            self.learn(raw, reported);
        }
        alarm
    }
}

/// The server counted fewer prompt tokens than the request was expected to hold: it may have
/// cut the front of the prompt, where the spec is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncation {
    pub expected: Figure,
    pub reported: u32,
}

impl Truncation {
    /// The alarm in words.
    pub fn describe(&self) -> String {
        let approx = if self.expected.basis.approximate() {
            "~"
        } else {
            ""
        };
        format!(
            "server counted {} prompt tokens, {approx}{} sent: possibly truncated from the \
             front (where the spec is)",
            fmt_tokens(self.reported),
            fmt_tokens(self.expected.tokens)
        )
    }
}

/// The truncation alarm: the server's count `reported` is below the expectation by more than
/// 10% (and more than 16 tokens), and the expectation was exact or calibrated. An
/// uncalibrated estimate never raises it: it may be another tokenizer's count.
pub fn truncated(expected: Figure, reported: u32) -> Option<Truncation> {
    let trusted = matches!(expected.basis, Basis::Exact(_) | Basis::Calibrated(..));
    let short = expected.tokens.saturating_sub(reported);
    let beyond_noise = u64::from(short) * 10 > u64::from(expected.tokens) && short > 16;
    (trusted && beyond_noise).then_some(Truncation { expected, reported })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::tokens::Encoding;

    const O200K: Estimator = Estimator::Tokenizer(Encoding::O200k);

    #[test]
    fn a_ratio_scales_estimates_and_rounds() {
        // llama.cpp with SmolLM2 counted 14% more than o200k.
        let ratio = Ratio::new(1000, 1140).expect("a plausible ratio");
        assert_eq!(ratio.apply(1000), 1140);
        assert_eq!(ratio.apply(2000), 2280);
        assert_eq!(ratio.apply(3), 3, "3.42 rounds down");
        assert_eq!(ratio.apply(5), 6, "5.7 rounds up");
        assert_eq!(ratio.apply(0), 0);
        assert_eq!(ratio.percent(), 14);
        let fewer = Ratio::new(1000, 860).expect("plausible");
        assert_eq!(fewer.percent(), -14);
        assert_eq!(fewer.apply(500), 430);
        let huge = Ratio::new(1, 2).expect("plausible");
        assert_eq!(huge.apply(u32::MAX), u32::MAX);
    }

    #[test]
    fn implausible_ratios_are_not_learnt() {
        assert_eq!(Ratio::new(0, 100), None);
        assert_eq!(Ratio::new(1000, 499), None);
        assert_eq!(Ratio::new(1000, 2501), None);
        assert!(Ratio::new(1000, 500).is_some());
        assert!(Ratio::new(1000, 2500).is_some());
        let mut calibration = Calibration::default();
        calibration.learn(1000, 1140);
        calibration.learn(1000, 100);
        assert_eq!(
            calibration.ratio(),
            Ratio::new(1000, 1140),
            "the cut one taught nothing"
        );
    }

    #[test]
    fn estimates_are_marked_until_exact() {
        let mut calibration = Calibration::default();
        let first = calibration.estimate(O200K, 1000);
        assert_eq!(first.tokens, 1000);
        assert_eq!(first.basis, Basis::Estimated(O200K));
        assert!(first.basis.approximate());
        calibration.learn(1000, 1140);
        let next = calibration.estimate(O200K, 2000);
        assert_eq!(next.tokens, 2280);
        assert!(next.basis.approximate());
        assert_eq!(
            next.basis.describe(),
            "~ o200k tokenizer calibrated +14% by the server's last count (1.1k for ~1k)"
        );
        let exact = Basis::Exact(Counter::LlamaCpp);
        assert!(!exact.approximate());
        assert!(!Basis::Reported.approximate());
        assert_eq!(
            exact.describe(),
            "exact: llama.cpp /apply-template + /tokenize"
        );
        assert_eq!(
            Basis::Estimated(Estimator::Bytes).describe(),
            "~ bytes / 4, not calibrated yet"
        );
    }

    #[test]
    fn a_foreign_tokenizer_never_raises_the_alarm() {
        // The server's tokenizer counts 14% fewer than o200k: uncalibrated, no alarm.
        let mut calibration = Calibration::default();
        let expected = calibration.estimate(O200K, 12_000);
        assert_eq!(calibration.on_usage(expected, 12_000, 10_320), None);
        // Calibrated by it, the next request of the same kind matches.
        let expected = calibration.estimate(O200K, 20_000);
        assert_eq!(expected.tokens, 17_200);
        assert_eq!(calibration.on_usage(expected, 20_000, 17_150), None);
        // An uncalibrated estimate far above the count: still no alarm.
        let fresh = Calibration::default().estimate(O200K, 12_000);
        assert_eq!(truncated(fresh, 4100), None);
    }

    #[test]
    fn a_count_below_a_calibrated_or_exact_expectation_raises_it() {
        let mut calibration = Calibration::default();
        calibration.learn(1000, 1140);
        let expected = calibration.estimate(O200K, 10_000);
        assert_eq!(expected.tokens, 11_400);
        let alarm = calibration
            .on_usage(expected, 10_000, 4096)
            .expect("cut to the window");
        assert_eq!(
            alarm.describe(),
            "server counted 4.1k prompt tokens, ~11.4k sent: possibly truncated from the front \
             (where the spec is)"
        );
        assert_eq!(
            calibration.ratio(),
            Ratio::new(1000, 1140),
            "a cut request does not recalibrate"
        );
        let exact = Figure {
            tokens: 6000,
            basis: Basis::Exact(Counter::LlamaCpp),
        };
        assert!(truncated(exact, 4096).is_some());
        assert!(
            !truncated(exact, 4096)
                .expect("alarm")
                .describe()
                .contains('~')
        );
        assert_eq!(truncated(exact, 6000), None);
        assert_eq!(truncated(exact, 5401), None, "within 10%");
        assert_eq!(truncated(exact, 7000), None, "more is never truncation");
        // Tiny prompts: a few tokens apart is noise.
        let tiny = Figure {
            tokens: 40,
            basis: Basis::Exact(Counter::LlamaCpp),
        };
        assert_eq!(truncated(tiny, 30), None);
        assert!(truncated(tiny, 20).is_some());
    }
}
