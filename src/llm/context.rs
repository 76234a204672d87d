//! The arithmetic behind the context gauge: the request's segments and their token counts, how
//! full the usable window (context window less the output reserve) is, where the spec sits, and
//! whether the provider's count disagrees with the estimate.

use crate::theme::scope;

/// A part of the request, in the order the request is assembled (DESIGN.md section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SegmentKind {
    /// The system prompt: role, edit format, rules.
    System,
    /// The pinned spec.
    Spec,
    /// The code files in scope.
    Code,
    /// The latest parsed test failures.
    Tests,
    /// A fresh session's opening: the lessons carried over from the session before.
    Lessons,
    /// The conversation so far.
    History,
    /// The user's new message.
    Message,
    /// The short restatement of the spec's clauses at the end.
    Reanchor,
}

impl SegmentKind {
    /// Every kind, in the order of an ordinary request (DESIGN.md section 7).
    pub const ALL: [SegmentKind; 8] = [
        SegmentKind::System,
        SegmentKind::Spec,
        SegmentKind::Code,
        SegmentKind::Tests,
        SegmentKind::Lessons,
        SegmentKind::History,
        SegmentKind::Message,
        SegmentKind::Reanchor,
    ];

    /// The order of a fresh session's request: its seed (code, results, lessons) ends with
    /// the pinned spec, so the spec is the last thing before the conversation.
    pub const SEEDED: [SegmentKind; 8] = [
        SegmentKind::System,
        SegmentKind::Code,
        SegmentKind::Tests,
        SegmentKind::Lessons,
        SegmentKind::Spec,
        SegmentKind::History,
        SegmentKind::Message,
        SegmentKind::Reanchor,
    ];

    /// The kind's name as the gauge shows it.
    pub fn label(self) -> &'static str {
        match self {
            SegmentKind::System => "system",
            SegmentKind::Spec => "spec",
            SegmentKind::Code => "code",
            SegmentKind::Tests => "tests",
            SegmentKind::Lessons => "lessons",
            SegmentKind::History => "history",
            SegmentKind::Message => "message",
            SegmentKind::Reanchor => "re-anchor",
        }
    }

    /// The theme scope the kind's cells are drawn in.
    pub fn scope(self) -> &'static str {
        match self {
            SegmentKind::System => scope::GAUGE_SYSTEM,
            SegmentKind::Spec => scope::GAUGE_SPEC,
            SegmentKind::Code => scope::GAUGE_CODE,
            SegmentKind::Tests => scope::GAUGE_TESTS,
            SegmentKind::Lessons => scope::GAUGE_LESSONS,
            SegmentKind::History => scope::GAUGE_HISTORY,
            SegmentKind::Message => scope::GAUGE_MESSAGE,
            SegmentKind::Reanchor => scope::GAUGE_REANCHOR,
        }
    }
}

/// How many segments a request has.
pub const SEGMENTS: usize = 8;

/// Tokens per segment of a request, in the request's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    order: [SegmentKind; SEGMENTS],
    tokens: [u32; SEGMENTS],
}

impl Default for Segments {
    fn default() -> Self {
        Self::from_tokens([0; SEGMENTS])
    }
}

impl Segments {
    /// An ordinary request's segments ([`SegmentKind::ALL`] order) with these tokens.
    pub fn from_tokens(tokens: [u32; SEGMENTS]) -> Self {
        Self {
            order: SegmentKind::ALL,
            tokens,
        }
    }

    /// Empty segments of a fresh session's request ([`SegmentKind::SEEDED`] order).
    pub fn seeded() -> Self {
        Self {
            order: SegmentKind::SEEDED,
            tokens: [0; SEGMENTS],
        }
    }

    /// The kinds in request order.
    pub fn order(&self) -> &[SegmentKind; SEGMENTS] {
        &self.order
    }

    /// The tokens in request order.
    pub fn tokens(&self) -> &[u32; SEGMENTS] {
        &self.tokens
    }

    /// Each kind and its tokens, in request order.
    pub fn iter(&self) -> impl Iterator<Item = (SegmentKind, u32)> + '_ {
        self.order.iter().copied().zip(self.tokens.iter().copied())
    }

    /// Where `kind` sits in the request.
    pub fn position(&self, kind: SegmentKind) -> usize {
        self.order.iter().position(|&k| k == kind).unwrap_or(0)
    }

    /// The tokens of `kind`.
    pub fn get(&self, kind: SegmentKind) -> u32 {
        self.tokens[self.position(kind)]
    }

    /// Sets the tokens of `kind`.
    pub fn set(&mut self, kind: SegmentKind, tokens: u32) {
        let at = self.position(kind);
        self.tokens[at] = tokens;
    }

    /// The tokens of the whole request (saturating).
    pub fn total(&self) -> u32 {
        sum(&self.tokens)
    }
}

/// The sum of `tokens`, saturating.
fn sum(tokens: &[u32]) -> u32 {
    tokens.iter().fold(0u32, |sum, &n| sum.saturating_add(n))
}

/// How full the usable window is, as the gauge colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// Below the warning threshold.
    Ok,
    /// At or above the warning threshold.
    Warn,
    /// At or above the critical threshold.
    Critical,
}

/// Where the zones begin, in percent of the usable window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// The percentage from which the gauge warns.
    pub warn: u8,
    /// The percentage from which the gauge is critical.
    pub critical: u8,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            warn: 60,
            critical: 85,
        }
    }
}

/// The context use of the request about to be sent (or last sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextUse {
    /// Tokens per segment.
    pub segments: Segments,
    /// The model's context window.
    pub window: u32,
    /// Tokens kept free for the reply.
    pub reserve: u32,
    /// Whether the counts are provider-reported rather than estimated.
    pub exact: bool,
    /// The provider's count disagrees with the estimate, when it does.
    pub mismatch: Option<Mismatch>,
}

impl ContextUse {
    /// The window less the output reserve: what a request may fill (0 when the reserve is
    /// larger than the window).
    pub fn usable(&self) -> u32 {
        self.window.saturating_sub(self.reserve)
    }

    /// The tokens of the whole request.
    pub fn used(&self) -> u32 {
        self.segments.total()
    }

    /// The usable tokens the request leaves free (0 when it is over).
    pub fn free(&self) -> u32 {
        self.usable().saturating_sub(self.used())
    }

    /// The request's size in percent of the usable window, rounded half up; above 100 when the
    /// request is over, `u32::MAX` when a non-empty request meets an empty usable window.
    pub fn percent(&self) -> u32 {
        let (used, usable) = (u64::from(self.used()), u64::from(self.usable()));
        if used == 0 {
            return 0;
        }
        if usable == 0 {
            return u32::MAX;
        }
        u32::try_from((used * 200 + usable) / (usable * 2)).unwrap_or(u32::MAX)
    }

    /// The zone of [`ContextUse::percent`], so the colour agrees with the number shown.
    pub fn zone(&self, thresholds: Thresholds) -> Zone {
        let percent = self.percent();
        if percent >= u32::from(thresholds.critical) {
            Zone::Critical
        } else if percent >= u32::from(thresholds.warn) {
            Zone::Warn
        } else {
            Zone::Ok
        }
    }

    /// The token offsets where the spec segment starts (inclusive) and ends (exclusive) in the
    /// request; `None` when the request holds no spec.
    pub fn spec_span(&self) -> Option<(u32, u32)> {
        let spec = self.segments.get(SegmentKind::Spec);
        if spec == 0 {
            return None;
        }
        let start = sum(&self.segments.tokens[..self.segments.position(SegmentKind::Spec)]);
        Some((start, start.saturating_add(spec)))
    }

    /// The tokens after the spec's last full statement: every segment after the spec,
    /// the re-anchor included.
    pub fn after_spec(&self) -> u32 {
        sum(&self.segments.tokens[self.segments.position(SegmentKind::Spec) + 1..])
    }

    /// The tokens by which the request exceeds the usable window (0 when it fits).
    pub fn over(&self) -> u32 {
        self.used().saturating_sub(self.usable())
    }
}

/// The provider counted the prompt differently from the estimate, by more than 10%.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    /// The estimated prompt tokens.
    pub estimate: u32,
    /// The prompt tokens the provider reported.
    pub reported: u32,
}

impl Mismatch {
    /// A mismatch when `reported` differs from `estimate` by more than 10% of the estimate;
    /// `None` when they agree that well or when nothing was estimated.
    pub fn check(estimate: u32, reported: u32) -> Option<Mismatch> {
        let difference = u64::from(estimate.abs_diff(reported));
        (estimate > 0 && difference * 10 > u64::from(estimate))
            .then_some(Mismatch { estimate, reported })
    }

    /// Whether the provider counted fewer tokens than were sent: the server may have cut the
    /// front of the prompt, where the spec lives.
    pub fn truncated(&self) -> bool {
        self.reported < self.estimate
    }

    /// The mismatch in words.
    pub fn describe(&self) -> String {
        if self.truncated() {
            format!(
                "server counted {} prompt tokens, ~{} sent: possibly truncated from the front \
                 (where the spec is)",
                fmt_tokens(self.reported),
                fmt_tokens(self.estimate)
            )
        } else {
            let extra = u64::from(self.reported - self.estimate);
            let estimate = u64::from(self.estimate.max(1));
            let percent = (extra * 200 + estimate) / (estimate * 2);
            format!("server counted {percent}% more tokens than estimated")
        }
    }
}

/// `estimate` scaled proportionally so that the segments sum to exactly `reported_total`, by
/// largest remainder (ties to the earlier segment). With nothing estimated, the whole count
/// goes to the message.
pub fn scale(estimate: Segments, reported_total: u32) -> Segments {
    let total: u64 = estimate.tokens.iter().map(|&n| u64::from(n)).sum();
    if total == 0 {
        let mut only = Segments {
            tokens: [0; SEGMENTS],
            ..estimate
        };
        only.set(SegmentKind::Message, reported_total);
        return only;
    }
    let target = u64::from(reported_total);
    let mut scaled = [0u32; SEGMENTS];
    let mut remainders = [0u64; SEGMENTS];
    let mut assigned = 0u64;
    for (i, &n) in estimate.tokens.iter().enumerate() {
        let exact = u64::from(n) * target;
        // At most `target`, which fits in a u32.
        scaled[i] = u32::try_from(exact / total).unwrap_or(u32::MAX);
        remainders[i] = exact % total;
        assigned += exact / total;
    }
    let mut order: Vec<usize> = (0..SEGMENTS).collect();
    order.sort_by(|&a, &b| remainders[b].cmp(&remainders[a]).then(a.cmp(&b)));
    let short = usize::try_from(target - assigned).unwrap_or(0);
    for &i in order.iter().take(short) {
        scaled[i] += 1;
    }
    Segments {
        tokens: scaled,
        ..estimate
    }
}

/// Formats a token count compactly: `950`, `1.2k`, `119.8k`, `128k`, `1.5M`.
pub fn fmt_tokens(n: u32) -> String {
    let scaled = |v: f64, unit: &str| {
        let s = format!("{v:.1}");
        format!("{}{unit}", s.strip_suffix(".0").unwrap_or(&s))
    };
    match n {
        0..1000 => n.to_string(),
        1000..999_950 => scaled(f64::from(n) / 1000.0, "k"),
        _ => scaled(f64::from(n) / 1_000_000.0, "M"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Segments of an ordinary request from the seven kinds other than lessons.
    fn segments(t: [u32; 7]) -> Segments {
        Segments::from_tokens([t[0], t[1], t[2], t[3], 0, t[4], t[5], t[6]])
    }

    fn usage(tokens: [u32; 7], window: u32, reserve: u32) -> ContextUse {
        ContextUse {
            segments: segments(tokens),
            window,
            reserve,
            exact: false,
            mismatch: None,
        }
    }

    #[test]
    fn kinds_are_in_request_order_with_labels_and_scopes() {
        assert_eq!(Segments::default().order(), &SegmentKind::ALL);
        let labels: Vec<&str> = SegmentKind::ALL.iter().map(|k| k.label()).collect();
        assert_eq!(
            labels,
            [
                "system",
                "spec",
                "code",
                "tests",
                "lessons",
                "history",
                "message",
                "re-anchor"
            ]
        );
        assert_eq!(SegmentKind::Spec.scope(), scope::GAUGE_SPEC);
        assert_eq!(SegmentKind::Reanchor.scope(), scope::GAUGE_REANCHOR);
    }

    #[test]
    fn segments_get_set_and_total() {
        let mut s = Segments::default();
        s.set(SegmentKind::Code, 500);
        s.set(SegmentKind::Reanchor, 20);
        assert_eq!(s.get(SegmentKind::Code), 500);
        assert_eq!(s.get(SegmentKind::Spec), 0);
        assert_eq!(s.tokens()[2], 500);
        assert_eq!(s.total(), 520);
        assert_eq!(segments([u32::MAX, 1, 0, 0, 0, 0, 0]).total(), u32::MAX);
    }

    #[test]
    fn usable_is_window_less_reserve_and_never_negative() {
        let u = usage([0; 7], 128_000, 8192);
        assert_eq!(u.usable(), 119_808);
        assert_eq!(u.free(), 119_808);
        let tiny = usage([10, 0, 0, 0, 0, 0, 0], 100, 8192);
        assert_eq!(tiny.usable(), 0);
        assert_eq!(tiny.free(), 0);
        assert_eq!(tiny.over(), 10);
        assert_eq!(tiny.percent(), u32::MAX);
        assert_eq!(tiny.zone(Thresholds::default()), Zone::Critical);
        assert_eq!(usage([0; 7], 100, 8192).percent(), 0);
    }

    #[test]
    fn percent_rounds_and_may_exceed_100() {
        let at = |used: u32| usage([used, 0, 0, 0, 0, 0, 0], 1200, 200).percent();
        assert_eq!(at(0), 0);
        assert_eq!(at(4), 0);
        assert_eq!(at(5), 1);
        assert_eq!(at(450), 45);
        assert_eq!(at(1000), 100);
        assert_eq!(at(1100), 110);
        let over = usage([1100, 0, 0, 0, 0, 0, 0], 1200, 200);
        assert_eq!(over.over(), 100);
        assert_eq!(over.free(), 0);
    }

    #[test]
    fn zones_change_at_the_thresholds() {
        let t = Thresholds::default();
        assert_eq!(
            t,
            Thresholds {
                warn: 60,
                critical: 85
            }
        );
        let zone = |used: u32| usage([0, 0, used, 0, 0, 0, 0], 1000, 0).zone(t);
        assert_eq!(zone(0), Zone::Ok);
        assert_eq!(zone(594), Zone::Ok);
        assert_eq!(zone(595), Zone::Warn, "59.5% shows as 60%");
        assert_eq!(zone(600), Zone::Warn);
        assert_eq!(zone(844), Zone::Warn);
        assert_eq!(zone(850), Zone::Critical);
        assert_eq!(zone(2000), Zone::Critical);
        let custom = Thresholds {
            warn: 10,
            critical: 20,
        };
        let u = usage([0, 0, 150, 0, 0, 0, 0], 1000, 0);
        assert_eq!(u.zone(custom), Zone::Warn);
    }

    #[test]
    fn spec_span_and_what_follows_it() {
        let u = usage([1020, 8290, 30_000, 2000, 8000, 1000, 22], 128_000, 8192);
        assert_eq!(u.spec_span(), Some((1020, 9310)));
        assert_eq!(u.after_spec(), 41_022);
        assert_eq!(u.used(), 50_332);

        let first = usage([0, 500, 100, 0, 0, 0, 0], 1000, 0);
        assert_eq!(first.spec_span(), Some((0, 500)));
        assert_eq!(first.after_spec(), 100);

        let none = usage([1000, 0, 300, 0, 0, 50, 0], 1000, 0);
        assert_eq!(none.spec_span(), None);
        assert_eq!(none.after_spec(), 350);
    }

    #[test]
    fn mismatch_beyond_ten_percent_either_way() {
        assert_eq!(Mismatch::check(1000, 1000), None);
        assert_eq!(Mismatch::check(1000, 1100), None, "exactly 10% more");
        assert_eq!(Mismatch::check(1000, 900), None, "exactly 10% less");
        let more = Mismatch::check(1000, 1101).expect("over 10% more");
        assert!(!more.truncated());
        let less = Mismatch::check(1000, 899).expect("over 10% less");
        assert!(less.truncated());
        assert_eq!(Mismatch::check(0, 500), None);
        assert!(Mismatch::check(u32::MAX, 0).is_some());
        assert!(Mismatch::check(1, u32::MAX).is_some());
    }

    #[test]
    fn mismatch_in_words() {
        let cut = Mismatch {
            estimate: 12_000,
            reported: 4100,
        };
        assert_eq!(
            cut.describe(),
            "server counted 4.1k prompt tokens, ~12k sent: possibly truncated from the front \
             (where the spec is)"
        );
        let more = Mismatch {
            estimate: 10_000,
            reported: 11_300,
        };
        assert_eq!(
            more.describe(),
            "server counted 13% more tokens than estimated"
        );
    }

    #[test]
    fn scale_sums_exactly_to_the_reported_total() {
        let estimate = segments([1000, 3000, 3000, 0, 2000, 999, 1]);
        for reported in [0, 1, 7, 9999, 10_000, 10_001, 12_345, 1_000_000] {
            let scaled = scale(estimate, reported);
            assert_eq!(scaled.total(), reported, "{reported}");
            assert_eq!(scaled.get(SegmentKind::Tests), 0, "empty stays empty");
        }
        assert_eq!(scale(estimate, 10_000), estimate);
        assert_eq!(
            scale(estimate, 20_000),
            segments([2000, 6000, 6000, 0, 4000, 1998, 2])
        );
        // 3 / 3 / 3 of 10: one remainder cell, to the earliest of the ties.
        assert_eq!(
            scale(segments([3, 3, 3, 0, 0, 0, 0]), 10),
            segments([4, 3, 3, 0, 0, 0, 0])
        );
        let nothing = scale(Segments::default(), 500);
        assert_eq!(nothing.get(SegmentKind::Message), 500);
        assert_eq!(nothing.total(), 500);
        let huge = scale(segments([u32::MAX, u32::MAX, 0, 0, 0, 0, 0]), u32::MAX);
        assert_eq!(huge.total(), u32::MAX);
    }

    #[test]
    fn a_seeded_request_puts_the_spec_after_code_tests_and_lessons() {
        let mut s = Segments::seeded();
        s.set(SegmentKind::System, 100);
        s.set(SegmentKind::Code, 1000);
        s.set(SegmentKind::Tests, 200);
        s.set(SegmentKind::Lessons, 50);
        s.set(SegmentKind::Spec, 400);
        s.set(SegmentKind::Message, 30);
        s.set(SegmentKind::Reanchor, 20);
        let u = ContextUse {
            segments: s,
            window: 10_000,
            reserve: 0,
            exact: false,
            mismatch: None,
        };
        assert_eq!(u.spec_span(), Some((1350, 1750)));
        assert_eq!(u.after_spec(), 50);
        let scaled = scale(s, 3600);
        assert_eq!(scaled.order(), &SegmentKind::SEEDED);
        assert_eq!(scaled.get(SegmentKind::Spec), 800);
    }
}
