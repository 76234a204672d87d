//! Sessions, the unit of work: each is an append-only journal of what happened in one
//! conversation with the model (messages, streamed chunks, usage, applies, runs, corrections,
//! pins, steps), bound to one pin. A session that got poisoned is archived and a fresh one is
//! seeded from the spec, the code, the latest results and the lessons the user kept.

pub mod export;
pub mod journal;
pub mod restore;
pub mod signature;
pub mod store;

use serde::{Deserialize, Serialize};

/// The steps of the essay's test-driven loop. The stepper advises; the user moves freely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Write and pin a precise spec.
    #[default]
    Spec,
    /// Ask for tests of the pinned clauses; they must fail for the right reason.
    Tests,
    /// Ask for the code that makes them pass, without touching the tests.
    Implement,
    /// Green tests and no violated clause.
    Verify,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 4] = [Step::Spec, Step::Tests, Step::Implement, Step::Verify];

    /// The step's name as the stepper shows it.
    pub fn label(self) -> &'static str {
        match self {
            Step::Spec => "Spec",
            Step::Tests => "Tests",
            Step::Implement => "Implement",
            Step::Verify => "Verify",
        }
    }

    /// The step after this one (the last stays).
    pub fn next(self) -> Step {
        let i = self as usize;
        Step::ALL[(i + 1).min(3)]
    }

    /// The step before this one (the first stays).
    pub fn prev(self) -> Step {
        let i = self as usize;
        Step::ALL[i.saturating_sub(1)]
    }

    /// The message the step offers in an empty composer (`None` for the spec, which the user
    /// writes in `SPEC.md`).
    pub fn prompt(self) -> Option<&'static str> {
        match self {
            Step::Spec => None,
            Step::Tests => Some(crate::assets::PROMPT_TESTS),
            Step::Implement => Some(crate::assets::PROMPT_IMPLEMENT),
            Step::Verify => Some(crate::assets::PROMPT_VERIFY),
        }
    }
}

pub use crate::llm::PromptKind;

/// Who made a correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionSource {
    /// A message the user marked as a correction (`Ctrl-R`).
    User,
    /// A fix attempt after which the same failure came back.
    Fix,
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A Unix time in milliseconds as UTC (year, month, day, hour, minute, second).
fn utc(ms: u64) -> (i64, u32, u32, i64, i64, i64) {
    let secs = (ms / 1000) as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// A Unix time in milliseconds as `YYYY-MM-DD HH:MM` UTC.
pub fn format_utc(ms: u64) -> String {
    let (y, m, d, h, min, _) = utc(ms);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}")
}

/// A Unix time in milliseconds as `YYYYMMDD-HHMMSS` UTC, the sortable start of a session id.
pub fn compact_utc(ms: u64) -> String {
    let (y, m, d, h, min, sec) = utc(ms);
    format!("{y:04}{m:02}{d:02}-{h:02}{min:02}{sec:02}")
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_in_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00");
        // 2026-11-30 10:15:42 UTC
        let ms = 1_796_033_742_000;
        assert_eq!(format_utc(ms), "2026-11-30 10:15");
        assert_eq!(compact_utc(ms), "20261130-101542");
        // A leap day.
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00");
    }

    #[test]
    fn steps_move_and_stop_at_the_ends() {
        assert_eq!(Step::Spec.prev(), Step::Spec);
        assert_eq!(Step::Spec.next(), Step::Tests);
        assert_eq!(Step::Verify.next(), Step::Verify);
        assert!(Step::Tests.prompt().is_some());
        assert!(Step::Spec.prompt().is_none());
    }
}
