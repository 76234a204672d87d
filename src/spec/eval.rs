//! Clause status and the drift report (DESIGN.md section 4): each clause of the pinned spec is
//! judged from the latest test results and the forbid/require scan of the code in scope.

use std::path::PathBuf;

use serde::Serialize;

use super::scan::{ScanIndex, ScanPlan};
use super::{CheckKind, Spec};
use crate::runner::result::{TestResult, TestStatus, display_names};

/// Lines kept per forbid/require check in a report; the message still counts them all.
pub const MAX_REPORTED_HITS: usize = 20;

/// A clause's status, in the order of precedence when several apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A check cannot be evaluated (bad regex, unknown kind, duplicate id).
    Invalid,
    /// A check fails: a linked test failed, a forbidden line exists, a required one is missing.
    Violated,
    /// Its checks have not run yet for the current code.
    Pending,
    /// No check, or a `test:` glob that matches no test.
    Untested,
    /// Every check passes and at least one exists.
    Holds,
}

impl Status {
    /// The status as JSON and the UI name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Invalid => "invalid",
            Status::Violated => "violated",
            Status::Pending => "pending",
            Status::Untested => "untested",
            Status::Holds => "holds",
        }
    }
}

/// What is known about the tests when a spec is evaluated.
#[derive(Debug, Clone, Copy)]
pub enum Tests<'a> {
    /// No run has finished (or `check --no-run`): test checks are pending.
    NotRun,
    /// The latest results are older than the code (a run is going or was cancelled): they link
    /// tests to clauses but decide nothing.
    Stale(&'a [TestResult]),
    /// The latest results, for the current code.
    Current(&'a [TestResult]),
}

impl<'a> Tests<'a> {
    fn results(self) -> &'a [TestResult] {
        match self {
            Tests::NotRun => &[],
            Tests::Stale(r) | Tests::Current(r) => r,
        }
    }
}

/// A line that breaks a `forbid` check or satisfies a `require` one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub text: String,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub kind: &'static str,
    pub pattern: String,
    /// For `forbid`: the offending lines; for `require`: where it was found (at most
    /// `MAX_REPORTED_HITS`, in path order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hits: Option<Vec<Location>>,
    /// For `test`: the names of the tests the glob matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tests: Option<Vec<String>>,
}

/// A test linked to a clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedTest {
    /// Index into the results the spec was evaluated with.
    pub index: usize,
    pub status: TestStatus,
}

/// One clause's evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClauseReport {
    pub status: Status,
    /// Why the clause is not `holds`, in words.
    pub message: Option<String>,
    pub checks: Vec<CheckReport>,
    /// Tests linked by a `test:` glob or by the clause id as a token of their name.
    pub tests: Vec<LinkedTest>,
    /// The offending lines of its forbid checks, across files (for markers and jumps).
    pub forbidden: Vec<Location>,
}

/// How many clauses have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub holds: usize,
    pub violated: usize,
    pub untested: usize,
    pub pending: usize,
    pub invalid: usize,
}

/// The evaluation of every clause of a spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// One report per clause, in the spec's order.
    pub clauses: Vec<ClauseReport>,
    /// Indexes of tests linked to no clause.
    pub orphan_tests: Vec<usize>,
}

impl Evaluation {
    /// Clauses per status.
    pub fn counts(&self) -> StatusCounts {
        let mut c = StatusCounts::default();
        for clause in &self.clauses {
            *match clause.status {
                Status::Holds => &mut c.holds,
                Status::Violated => &mut c.violated,
                Status::Untested => &mut c.untested,
                Status::Pending => &mut c.pending,
                Status::Invalid => &mut c.invalid,
            } += 1;
        }
        c
    }

    /// The ids of the clauses with `status`, in spec order.
    pub fn ids_with(&self, spec: &Spec, status: Status) -> Vec<String> {
        spec.clauses
            .iter()
            .zip(&self.clauses)
            .filter(|(_, r)| r.status == status)
            .map(|(c, _)| c.id.clone())
            .collect()
    }
}

/// Evaluates every clause of `spec`. `scan` is `None` until the first scan of the code is in;
/// `plan` must have been built from `spec`.
pub fn evaluate(
    spec: &Spec,
    plan: &ScanPlan,
    scan: Option<&ScanIndex>,
    tests: Tests,
) -> Evaluation {
    let results = tests.results();
    let links = link_tests(spec, plan, results);
    let names = display_names(results);
    let mut linked_any = vec![false; results.len()];
    let mut clauses = Vec::with_capacity(spec.clauses.len());
    for (ci, clause) in spec.clauses.iter().enumerate() {
        if clause.is_invalid() {
            let message = clause
                .problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            clauses.push(ClauseReport {
                status: Status::Invalid,
                message: Some(message),
                checks: Vec::new(),
                tests: Vec::new(),
                forbidden: Vec::new(),
            });
            continue;
        }
        let mut judge = Judge::default();
        let mut checks = Vec::new();
        let mut forbidden = Vec::new();
        let mut linked: Vec<usize> = links.by_id[ci].clone();
        for (ki, check) in clause.checks.iter().enumerate() {
            let mut report = CheckReport {
                kind: check.kind.as_str(),
                pattern: check.arg.clone(),
                hits: None,
                tests: None,
            };
            match check.kind {
                CheckKind::Test => {
                    let matched = &links.by_glob[ci][ki];
                    linked.extend(matched);
                    if matches!(tests, Tests::Current(_)) && matched.is_empty() {
                        judge.untested(format!("no test matches `{}`", check.arg));
                    }
                    report.tests = Some(matched.iter().map(|&i| names[i].to_string()).collect());
                }
                CheckKind::Forbid | CheckKind::Require => {
                    let entry = plan
                        .entries
                        .iter()
                        .position(|e| e.clause == ci && e.check == ki);
                    let (Some(entry), Some(scan)) = (entry, scan) else {
                        judge.pending("the code has not been scanned yet");
                        report.hits = Some(Vec::new());
                        checks.push(report);
                        continue;
                    };
                    let total = scan.hit_count(entry);
                    let hits: Vec<Location> = scan
                        .hits(entry)
                        .take(MAX_REPORTED_HITS)
                        .map(|(file, hit)| Location {
                            file: file.to_path_buf(),
                            line: hit.line,
                            text: hit.text.clone(),
                        })
                        .collect();
                    if check.kind == CheckKind::Forbid {
                        if let Some(first) = hits.first() {
                            let more = match total {
                                1 => String::new(),
                                n => format!(" (+{} more)", n - 1),
                            };
                            judge.violated(format!(
                                "forbidden pattern at {}:{}: {}{more}",
                                first.file.display(),
                                first.line,
                                first.text
                            ));
                        } else {
                            judge.passed();
                        }
                        forbidden.extend(hits.iter().cloned());
                    } else if hits.is_empty() {
                        let scope = scope_words(clause);
                        judge.violated(if scan.files_in_scope(entry) == 0 {
                            format!("no file in scope ({scope}) to find `{}` in", check.arg)
                        } else {
                            format!("required pattern `{}` not found in {scope}", check.arg)
                        });
                    } else {
                        judge.passed();
                    }
                    report.hits = Some(hits);
                }
                CheckKind::In => continue,
            }
            checks.push(report);
        }
        linked.sort_unstable();
        linked.dedup();
        for &i in &linked {
            linked_any[i] = true;
        }
        let has_tests = clause.checks_of(CheckKind::Test).next().is_some() || !linked.is_empty();
        match tests {
            Tests::Current(_) => {
                for &i in &linked {
                    let t = &results[i];
                    match t.status {
                        TestStatus::Failed => judge.violated(match &t.message {
                            Some(m) => format!("test {} failed: {m}", names[i]),
                            None => format!("test {} failed", names[i]),
                        }),
                        TestStatus::Passed => judge.passed(),
                        TestStatus::Skipped => {}
                    }
                }
                if has_tests
                    && !linked
                        .iter()
                        .any(|&i| results[i].status != TestStatus::Skipped)
                {
                    judge.untested("its tests were skipped".to_string());
                }
            }
            Tests::NotRun | Tests::Stale(_) if has_tests => {
                judge.pending("its tests have not run for the current code");
            }
            _ => {}
        }
        let (status, message) = judge.verdict();
        clauses.push(ClauseReport {
            status,
            message,
            checks,
            tests: linked
                .iter()
                .map(|&index| LinkedTest {
                    index,
                    status: results[index].status,
                })
                .collect(),
            forbidden,
        });
    }
    let orphan_tests = (0..results.len()).filter(|&i| !linked_any[i]).collect();
    Evaluation {
        clauses,
        orphan_tests,
    }
}

/// Collects the findings for one clause and decides its status by precedence.
#[derive(Default)]
struct Judge {
    worst: Option<(Status, String)>,
    /// Whether at least one check passed.
    any_check: bool,
}

impl Judge {
    fn note(&mut self, status: Status, message: String) {
        if self.worst.as_ref().is_none_or(|(s, _)| status < *s) {
            self.worst = Some((status, message));
        }
    }

    fn violated(&mut self, message: String) {
        self.any_check = true;
        self.note(Status::Violated, message);
    }

    fn pending(&mut self, message: &str) {
        self.any_check = true;
        self.note(Status::Pending, message.to_string());
    }

    fn untested(&mut self, message: String) {
        self.note(Status::Untested, message);
    }

    fn passed(&mut self) {
        self.any_check = true;
    }

    fn verdict(self) -> (Status, Option<String>) {
        match self.worst {
            Some((status, message)) => (status, Some(message)),
            None if self.any_check => (Status::Holds, None),
            None => (
                Status::Untested,
                Some(
                    "no check (`test:`, `forbid:`, `require:`) and no test named after it"
                        .to_string(),
                ),
            ),
        }
    }
}

/// The scope of a clause's forbid/require checks, in words.
pub(crate) fn scope_words(clause: &super::Clause) -> String {
    let globs: Vec<&str> = clause
        .checks_of(CheckKind::In)
        .map(|c| c.arg.as_str())
        .collect();
    if globs.is_empty() {
        "the code files".to_string()
    } else {
        globs.join(", ")
    }
}

/// Which tests each clause links to: by each `test:` glob, and by the clause's explicit id.
struct Links {
    /// `by_glob[clause][check]`: indexes of the tests that check's glob matches (empty for
    /// checks that are not `test:`).
    by_glob: Vec<Vec<Vec<usize>>>,
    /// `by_id[clause]`: tests whose name holds the clause's explicit id as a token.
    by_id: Vec<Vec<usize>>,
}

fn link_tests(spec: &Spec, plan: &ScanPlan, results: &[TestResult]) -> Links {
    let mut by_glob: Vec<Vec<Vec<usize>>> = spec
        .clauses
        .iter()
        .map(|c| vec![Vec::new(); c.checks.len()])
        .collect();
    let mut by_id = vec![Vec::new(); spec.clauses.len()];
    let ids: Vec<Option<String>> = spec
        .clauses
        .iter()
        .map(|c| (c.explicit_id && !c.is_invalid()).then(|| c.id.to_lowercase()))
        .collect();
    let mut matched = Vec::new();
    let mut qualified = Vec::new();
    for (ti, test) in results.iter().enumerate() {
        // One glob set for every `test:` check, matched once per test.
        let set = &plan.test_globs;
        set.matches_into(test.name.as_str(), &mut matched);
        // `tests/test_version.rs::test_eq`: a glob may name the suite too.
        if test.suite.is_some() && !set.is_empty() {
            set.matches_into(test.qualified_name().as_ref(), &mut qualified);
            matched.extend(&qualified);
            matched.sort_unstable();
            matched.dedup();
        }
        for &g in &matched {
            if let Some(&(ci, ki)) = plan.test_owners.get(g)
                && let Some(tests) = by_glob.get_mut(ci).and_then(|c| c.get_mut(ki))
            {
                tests.push(ti);
            }
        }
        let name = test.name.to_lowercase();
        for (ci, id) in ids.iter().enumerate() {
            if id.as_deref().is_some_and(|id| has_token(&name, id)) {
                by_id[ci].push(ti);
            }
        }
    }
    Links { by_glob, by_id }
}

/// Whether `token` occurs in `name` with no letter or digit on either side.
fn has_token(name: &str, token: &str) -> bool {
    let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    name.match_indices(token).any(|(at, _)| {
        boundary(name[..at].chars().next_back())
            && boundary(name[at + token.len()..].chars().next())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::parse;
    use crate::spec::scan::{FileOutcome, FileScan, Hit, Scope};

    const SPEC: &str = "\
- [R1] Over the limit is refused. `test: *over_limit*`
- [R2] No prints. `forbid: print\\(` `test: *r2*`
- [R3] Uses a deque. `require: deque\\(`
- [R4] Evicts idle users. `test: *evict*`
- Thread-safe.
- [R5] Bad. `forbid: (`
";

    fn plan(spec: &Spec) -> ScanPlan {
        let scope = Scope::new(&["**/*.py".into()], &["**/test_*".into()]).unwrap();
        ScanPlan::new(spec, scope)
    }

    /// A scan where `lib.py` prints on line 3 and holds a deque on line 7.
    fn scan(plan: &ScanPlan) -> ScanIndex {
        let mut file = FileScan::default();
        for (i, entry) in plan.entries.iter().enumerate() {
            let hit = |line, text: &str| Hit {
                line,
                text: text.into(),
            };
            let hits = match entry.kind {
                CheckKind::Forbid => vec![hit(3, "print(x)")],
                _ => vec![hit(7, "q = deque()")],
            };
            file.entries.push((i, hits));
        }
        let mut index = ScanIndex::default();
        index.apply("lib.py".into(), FileOutcome::Scanned(file));
        index
    }

    fn result(name: &str, status: TestStatus) -> TestResult {
        TestResult::new(name, status)
    }

    fn statuses(eval: &Evaluation) -> Vec<Status> {
        eval.clauses.iter().map(|c| c.status).collect()
    }

    #[test]
    fn every_status_from_tests_and_scan() {
        let spec = parse(SPEC);
        let plan = plan(&spec);
        let scan = scan(&plan);
        let results = [
            result("t.test_over_limit", TestStatus::Passed),
            result("t.test_r2_no_print_in_output", TestStatus::Passed),
            result("t.test_unrelated", TestStatus::Passed),
        ];
        let eval = evaluate(&spec, &plan, Some(&scan), Tests::Current(&results));
        use Status::*;
        assert_eq!(
            statuses(&eval),
            [Holds, Violated, Holds, Untested, Untested, Invalid]
        );
        assert_eq!(
            eval.clauses[1].message.as_deref(),
            Some("forbidden pattern at lib.py:3: print(x)")
        );
        assert_eq!(
            eval.clauses[3].message.as_deref(),
            Some("no test matches `*evict*`")
        );
        assert_eq!(eval.orphan_tests, [2]);
        // R2's test is linked by its id token, R1's by the glob.
        let linked: Vec<usize> = eval.clauses[1].tests.iter().map(|t| t.index).collect();
        assert_eq!(linked, [1]);
    }

    #[test]
    fn tests_decide_nothing_until_they_ran_for_the_current_code() {
        let spec = parse(SPEC);
        let plan = plan(&spec);
        let results = [result("t.test_over_limit", TestStatus::Failed)];
        let stale = evaluate(&spec, &plan, None, Tests::Stale(&results));
        assert_eq!(stale.clauses[0].status, Status::Pending);
        assert_eq!(stale.clauses[2].status, Status::Pending, "not scanned yet");
        assert!(stale.orphan_tests.is_empty(), "stale results still link");
        let current = evaluate(&spec, &plan, None, Tests::Current(&results));
        assert_eq!(current.clauses[0].status, Status::Violated);
        assert_eq!(
            current.clauses[0].message.as_deref(),
            Some("test t.test_over_limit failed")
        );
    }

    #[test]
    fn a_violation_outranks_pending_and_skips_are_untested() {
        let spec = parse(SPEC);
        let plan = plan(&spec);
        let scan = scan(&plan);
        // R2: the forbid fails while its tests are still running.
        let eval = evaluate(&spec, &plan, Some(&scan), Tests::NotRun);
        assert_eq!(eval.clauses[1].status, Status::Violated);
        let skipped = [result("t.test_over_limit", TestStatus::Skipped)];
        let eval = evaluate(&spec, &plan, Some(&scan), Tests::Current(&skipped));
        assert_eq!(eval.clauses[0].status, Status::Untested);
        assert_eq!(
            eval.clauses[0].message.as_deref(),
            Some("its tests were skipped")
        );
    }

    #[test]
    fn a_missing_require_names_its_scope_and_positional_ids_never_link() {
        let spec = parse(SPEC);
        let plan = plan(&spec);
        let eval = evaluate(&spec, &plan, Some(&ScanIndex::default()), Tests::NotRun);
        assert_eq!(eval.clauses[2].status, Status::Violated);
        assert_eq!(
            eval.clauses[2].message.as_deref(),
            Some("no file in scope (the code files) to find `deque\\(` in")
        );
        // C5 is positional: a test that mentions `c5` is not linked to it.
        let results = [result("t.test_c5_threads", TestStatus::Passed)];
        let eval = evaluate(&spec, &plan, None, Tests::Current(&results));
        assert!(eval.clauses[4].tests.is_empty());
        assert_eq!(eval.orphan_tests, [0]);
    }

    #[test]
    fn globs_match_suite_and_name_and_colliding_names_show_their_suite() {
        let spec = parse(
            "- [V1] Version equality. `test: tests/test_version.rs::test_eq`\n\
             - [P1] Parsing. `test: *test_parse.rs::*`\n",
        );
        let plan = plan(&spec);
        let in_suite = |name: &str, suite: &str, status| {
            let mut r = result(name, status);
            r.suite = Some(suite.into());
            r
        };
        let results = [
            in_suite("test_eq", "tests/test_version.rs", TestStatus::Failed),
            in_suite("test_eq", "tests/test_parse.rs", TestStatus::Passed),
            in_suite("test_other", "tests/test_parse.rs", TestStatus::Passed),
        ];
        let eval = evaluate(&spec, &plan, None, Tests::Current(&results));
        let linked =
            |c: usize| -> Vec<usize> { eval.clauses[c].tests.iter().map(|t| t.index).collect() };
        assert_eq!(linked(0), [0]);
        assert_eq!(linked(1), [1, 2]);
        assert_eq!(eval.clauses[0].status, Status::Violated);
        assert_eq!(
            eval.clauses[0].message.as_deref(),
            Some("test tests/test_version.rs::test_eq failed")
        );
        assert_eq!(
            eval.clauses[1].checks[0].tests.as_deref(),
            Some(
                &[
                    "tests/test_parse.rs::test_eq".to_string(),
                    "test_other".to_string()
                ][..]
            )
        );
    }

    #[test]
    fn a_parent_and_its_subtests_are_told_apart() {
        let spec = parse(
            "- [V1] Validates. `test: */TestValidate`\n- [V2] Each case. `test: */TestValidate/*`\n",
        );
        let plan = plan(&spec);
        let results = [
            result("example.com/m/TestValidate", TestStatus::Failed),
            result("example.com/m/TestValidate/empty", TestStatus::Failed),
            result("example.com/m/TestValidate/long", TestStatus::Passed),
            result("example.com/m/TestValidateAll", TestStatus::Passed),
        ];
        let eval = evaluate(&spec, &plan, None, Tests::Current(&results));
        let linked =
            |c: usize| -> Vec<usize> { eval.clauses[c].tests.iter().map(|t| t.index).collect() };
        assert_eq!(linked(0), [0]);
        assert_eq!(linked(1), [1, 2]);
        assert_eq!(eval.orphan_tests, [3]);
    }

    #[test]
    fn tokens_need_boundaries() {
        assert!(has_token("test_r4_uses_deque", "r4"));
        assert!(has_token("r4", "r4"));
        assert!(has_token("mod.test_r4", "r4"));
        assert!(!has_token("test_r40_x", "r4"));
        assert!(!has_token("testr4", "r4"));
        assert!(has_token("auth-1 works", "auth-1"));
    }
}
