//! Two runs of the same suites compared: what flipped, what changed, and whether the change is
//! more than noise. The engine side of `evalgate compare`; it never prints (the renderers are
//! in [`crate::report::compare`]).
//!
//! Suites are matched by name, and within a suite cases by test name. A case counts in the
//! comparison (is *paired*) when it is in both runs and ignored in neither; the others are
//! listed (`added_cases`, `removed_cases`, `ignored_cases`) and not compared.
//!
//! Two tests decide a suite's verdict, both on the paired cases:
//!
//! - McNemar's exact test on paired correctness (classify: the predicted label is the expected
//!   one; generate and translate: the case passed; a failed model call is wrong), with
//!   `b` = right in base and wrong in head, `c` = wrong in base and right in head;
//! - a paired bootstrap of `head − base` for the F1 metrics, BLEU, chrF, chrF++ and TER: both
//!   runs' metrics recomputed over the same resampled cases ([`stats::DEFAULT_SEED`],
//!   [`stats::DEFAULT_RESAMPLES`] resamples, the percentile interval at `1 − alpha`), exactly
//!   [`stats::paired_bootstrap_delta`] for each metric, drawn once for all of them.
//!
//! A suite *regressed* when a test is significant at `alpha` in the worse direction (McNemar
//! with `p < alpha` and `b > c`; a bootstrap interval entirely below 0, or above 0 for TER, where
//! lower is better); it *improved* when a test is significant in the better direction and none
//! in the worse; else it is *unchanged*. The run regressed when any suite did.

use crate::metrics::resample::{Observation, Observations};
use crate::metrics::translation::SegmentScorer;
use crate::results::{CaseResult, RunResults, SuiteResults};
use crate::stats::{self, Rng};
use crate::suite::Task;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The version of the comparison's JSON; changes whenever a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

/// The significance level when none is given.
pub const DEFAULT_ALPHA: f64 = 0.05;

/// How many changed outputs a suite's comparison lists (the rest are counted).
pub const MAX_CHANGED_OUTPUTS: usize = 50;

/// How a comparison is made.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareOptions {
    /// The significance level: a test with `p < alpha`, or a `1 − alpha` interval that excludes
    /// 0, is significant. Strictly between 0 and 1.
    pub alpha: f64,
    pub resamples: usize,
    pub seed: u64,
    /// How many changed outputs each suite lists with their diffs.
    pub max_changed_outputs: usize,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            alpha: DEFAULT_ALPHA,
            resamples: stats::DEFAULT_RESAMPLES,
            seed: stats::DEFAULT_SEED,
            max_changed_outputs: MAX_CHANGED_OUTPUTS,
        }
    }
}

/// The comparison of two runs, as `evalgate compare --json` writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub schema_version: u32,
    pub base: RunInfo,
    pub head: RunInfo,
    pub alpha: f64,
    /// The level of the bootstrap intervals: `1 − alpha`.
    pub confidence: f64,
    pub resamples: usize,
    pub seed: u64,
    /// Regressed when any suite regressed; improved when any improved and none regressed.
    pub verdict: Verdict,
    /// The suites of both runs, in the head run's order.
    pub suites: Vec<SuiteComparison>,
    /// Suites only the head run has.
    pub added_suites: Vec<String>,
    /// Suites only the base run has.
    pub removed_suites: Vec<String>,
}

/// Which run a side of the comparison is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The results file, as the user named it (set by the command line).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub file: Option<String>,
    pub started_at: String,
    pub evalgate_version: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub branch: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub dirty: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Regressed,
    Improved,
    Unchanged,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Unchanged => "unchanged",
        }
    }
}

/// Which way a significant change went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Worse,
    Better,
}

/// One suite of both runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuiteComparison {
    pub name: String,
    /// The head run's task.
    pub task: String,
    /// The base run's task, when it differs from the head's.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub base_task: Option<String>,
    pub verdict: Verdict,
    /// The significant tests in the verdict's direction: what decided it (empty when
    /// unchanged).
    pub decided_by: Vec<Evidence>,
    /// Cases in both runs and ignored in neither: the cases compared.
    pub paired_cases: usize,
    /// McNemar's exact test on the paired cases' correctness; absent without paired cases.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mcnemar: Option<McNemar>,
    /// Every metric both runs report, by name.
    pub metrics: Vec<MetricDelta>,
    /// Passed in base, failed or errored in head.
    pub regressions: Vec<Flip>,
    /// Failed or errored in base, passed in head.
    pub fixes: Vec<Flip>,
    /// Errored in head, not in base.
    pub new_errors: Vec<Flip>,
    /// Paired cases whose output changed, at most `max_changed_outputs` of them.
    pub changed_outputs: Vec<ChangedOutput>,
    /// Changed outputs beyond those listed.
    pub changed_outputs_not_listed: usize,
    /// Tests only the head run has.
    pub added_cases: Vec<String>,
    /// Tests only the base run has.
    pub removed_cases: Vec<String>,
    /// Tests of both runs that are ignored in either.
    pub ignored_cases: Vec<String>,
    /// What the comparison could not do, and why.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
}

/// McNemar's exact test on paired correctness.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct McNemar {
    /// b: right in base, wrong in head.
    pub right_to_wrong: u64,
    /// c: wrong in base, right in head.
    pub wrong_to_right: u64,
    pub both_right: u64,
    pub both_wrong: u64,
    /// [`stats::mcnemar_exact`]`(b, c)`.
    pub p_value: f64,
    /// `p_value < alpha`.
    pub significant: bool,
}

/// A metric in both runs: the runs' own values, and for the bootstrapped metrics the interval
/// of `head − base` over the paired cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricDelta {
    pub metric: String,
    pub base: f64,
    pub head: f64,
    /// `head − base`.
    pub delta: f64,
    /// The values are over the cases both runs have (quality metrics), not each whole run
    /// (latency, tokens, support).
    pub over_paired: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub interval: Option<DeltaInterval>,
    /// Set when the interval excludes 0.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub change: Option<Direction>,
}

/// The paired bootstrap's percentile interval of `head − base`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeltaInterval {
    pub low: f64,
    pub high: f64,
}

/// A significant test behind a suite's verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// `mcnemar` or `bootstrap`.
    pub test: String,
    /// The bootstrapped metric.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub metric: Option<String>,
    pub direction: Direction,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub p_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub interval: Option<DeltaInterval>,
}

/// A case whose verdict changed (or that newly errored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flip {
    pub test: String,
    pub id: String,
    /// classify: the expected label.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expected: Option<String>,
    pub base: Side,
    pub head: Side,
}

/// A case in one run, as a flip shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// pass, fail or error.
    pub verdict: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub predicted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    /// The checks that failed (generate, translate).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub failed_checks: Vec<String>,
}

/// A paired case whose output differs between the runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangedOutput {
    pub test: String,
    pub id: String,
    pub base_verdict: String,
    pub head_verdict: String,
    /// [`crate::diff::inline`] of the base output against the head output.
    pub diff: String,
}

/// Compares the `head` run with the `base` run.
pub fn compare(base: &RunResults, head: &RunResults, options: &CompareOptions) -> Comparison {
    let base_suites: HashMap<&str, &SuiteResults> =
        base.suites.iter().map(|s| (s.name.as_str(), s)).collect();
    let head_names: std::collections::HashSet<&str> =
        head.suites.iter().map(|s| s.name.as_str()).collect();
    let mut suites = Vec::new();
    let mut added_suites = Vec::new();
    for suite in &head.suites {
        match base_suites.get(suite.name.as_str()) {
            Some(base_suite) => suites.push(compare_suite(base_suite, suite, options)),
            None => added_suites.push(suite.name.clone()),
        }
    }
    let removed_suites = base
        .suites
        .iter()
        .filter(|s| !head_names.contains(s.name.as_str()))
        .map(|s| s.name.clone())
        .collect();
    let verdicts = || suites.iter().map(|s: &SuiteComparison| s.verdict);
    let verdict = if verdicts().any(|v| v == Verdict::Regressed) {
        Verdict::Regressed
    } else if verdicts().any(|v| v == Verdict::Improved) {
        Verdict::Improved
    } else {
        Verdict::Unchanged
    };
    Comparison {
        schema_version: SCHEMA_VERSION,
        base: RunInfo::of(base),
        head: RunInfo::of(head),
        alpha: options.alpha,
        confidence: 1.0 - options.alpha,
        resamples: options.resamples,
        seed: options.seed,
        verdict,
        suites,
        added_suites,
        removed_suites,
    }
}

impl RunInfo {
    fn of(results: &RunResults) -> RunInfo {
        RunInfo {
            file: None,
            started_at: results.started_at.clone(),
            evalgate_version: results.evalgate_version.clone(),
            commit: results.git.as_ref().map(|g| g.commit.clone()),
            branch: results.git.as_ref().and_then(|g| g.branch.clone()),
            dirty: results.git.as_ref().is_some_and(|g| g.dirty),
        }
    }
}

/// The metric whose paired bootstrap decides a suite's verdict; `None` where McNemar's test on
/// correctness does (classify, generate).
pub fn primary_metric(task: Task) -> Option<&'static str> {
    match task {
        Task::Translate => Some("chrf"),
        Task::Classify | Task::Generate => None,
    }
}

/// Whether a metric is compared by the paired bootstrap.
pub fn bootstrapped(metric: &str) -> bool {
    metric == "f1"
        || metric.starts_with("f1_")
        || metric.starts_with("f1.")
        || matches!(metric, "bleu" | "chrf" | "chrf_pp" | "ter")
}

/// Whether a smaller value of the metric is better.
pub fn lower_is_better(metric: &str) -> bool {
    metric == "ter"
}

/// Compares one suite of two runs; what [`compare`] does for each suite both runs have.
pub fn compare_suite(
    base: &SuiteResults,
    head: &SuiteResults,
    options: &CompareOptions,
) -> SuiteComparison {
    let mut notes = Vec::new();
    let base_cases: HashMap<&str, &CaseResult> =
        base.cases.iter().map(|c| (c.test.as_str(), c)).collect();
    let head_cases: HashMap<&str, &CaseResult> =
        head.cases.iter().map(|c| (c.test.as_str(), c)).collect();
    let mut paired: Vec<(&CaseResult, &CaseResult)> = Vec::new();
    let mut removed_cases = Vec::new();
    let mut ignored_cases = Vec::new();
    for case in &base.cases {
        match head_cases.get(case.test.as_str()) {
            None => removed_cases.push(case.test.clone()),
            Some(other) if case.verdict == "ignored" || other.verdict == "ignored" => {
                ignored_cases.push(case.test.clone());
            }
            Some(other) => paired.push((case, other)),
        }
    }
    let added_cases = head
        .cases
        .iter()
        .filter(|c| !base_cases.contains_key(c.test.as_str()))
        .map(|c| c.test.clone())
        .collect();
    if base.task != head.task {
        notes.push(format!(
            "the task changed from {} to {}: correctness is judged by each run's own task",
            base.task, head.task
        ));
    }

    let (mut regressions, mut fixes, mut new_errors) = (Vec::new(), Vec::new(), Vec::new());
    let mut changed_outputs = Vec::new();
    let mut changed_outputs_not_listed = 0;
    for &(b, h) in &paired {
        let flip = || flip(b, h);
        let (b_pass, h_pass) = (b.verdict == "pass", h.verdict == "pass");
        if b_pass && matches!(h.verdict.as_str(), "fail" | "error") {
            regressions.push(flip());
        }
        if h_pass && matches!(b.verdict.as_str(), "fail" | "error") {
            fixes.push(flip());
        }
        if h.verdict == "error" && b.verdict != "error" {
            new_errors.push(flip());
        }
        if let (Some(before), Some(after)) = (&b.output, &h.output)
            && before != after
        {
            if changed_outputs.len() < options.max_changed_outputs {
                changed_outputs.push(ChangedOutput {
                    test: h.test.clone(),
                    id: h.id.clone(),
                    base_verdict: b.verdict.clone(),
                    head_verdict: h.verdict.clone(),
                    diff: crate::diff::inline(before, after),
                });
            } else {
                changed_outputs_not_listed += 1;
            }
        }
    }

    let mcnemar = (!paired.is_empty()).then(|| {
        let (mut both_right, mut both_wrong, mut b, mut c) = (0, 0, 0, 0);
        for &(base_case, head_case) in &paired {
            match (correct(base, base_case), correct(head, head_case)) {
                (true, true) => both_right += 1,
                (false, false) => both_wrong += 1,
                (true, false) => b += 1,
                (false, true) => c += 1,
            }
        }
        let p_value = stats::mcnemar_exact(b, c);
        McNemar {
            right_to_wrong: b,
            wrong_to_right: c,
            both_right,
            both_wrong,
            p_value,
            significant: p_value < options.alpha,
        }
    });

    let runs = common_runs(base, head);
    if base.repeat != head.repeat {
        notes.push(format!(
            "the runs ran each case {} and {} times: compared on each case's first run",
            base.repeat, head.repeat
        ));
    }
    let base_observations = observations(base, paired.iter().map(|(b, _)| *b), runs);
    let head_observations = observations(head, paired.iter().map(|(_, h)| *h), runs);
    let all: Vec<usize> = (0..paired.len()).collect();
    let (paired_base, paired_head) = (
        base_observations.metrics(&all),
        head_observations.metrics(&all),
    );
    let intervals = paired_intervals(
        base,
        head,
        &base_observations,
        &head_observations,
        options,
        &mut notes,
    );
    let metrics: Vec<MetricDelta> = head
        .metrics
        .iter()
        .filter_map(|(name, &head_value)| {
            let base_value = *base.metrics.get(name)?;
            // Quality metrics over the cases both runs have, which their intervals resample;
            // the others (latency, tokens, support) over each whole run.
            let paired = (paired_base.get(name), paired_head.get(name));
            let (base_value, head_value, over_paired) = match paired {
                (Some(&b), Some(&h)) => (b, h, true),
                _ => (base_value, head_value, false),
            };
            let interval = intervals.get(name).copied();
            let change = interval.and_then(|i| direction(name, i));
            Some(MetricDelta {
                metric: name.clone(),
                base: base_value,
                head: head_value,
                delta: head_value - base_value,
                over_paired,
                interval,
                change,
            })
        })
        .collect();

    // One test decides the verdict, so a suite is flagged at the rate α says: McNemar's on
    // correctness, or for translate the bootstrap of chrF, its headline. The other intervals
    // are reported beside it.
    let primary = primary_metric(task(head));
    let mut worse = Vec::new();
    let mut better = Vec::new();
    if let Some(m) = mcnemar
        .as_ref()
        .filter(|m| m.significant && primary.is_none())
    {
        let evidence = |direction| Evidence {
            test: "mcnemar".to_string(),
            metric: None,
            direction,
            p_value: Some(m.p_value),
            interval: None,
        };
        if m.right_to_wrong > m.wrong_to_right {
            worse.push(evidence(Direction::Worse));
        } else if m.wrong_to_right > m.right_to_wrong {
            better.push(evidence(Direction::Better));
        }
    }
    for metric in metrics
        .iter()
        .filter(|m| Some(m.metric.as_str()) == primary)
    {
        if let (Some(direction), Some(interval)) = (metric.change, metric.interval) {
            let evidence = Evidence {
                test: "bootstrap".to_string(),
                metric: Some(metric.metric.clone()),
                direction,
                p_value: None,
                interval: Some(interval),
            };
            match direction {
                Direction::Worse => worse.push(evidence),
                Direction::Better => better.push(evidence),
            }
        }
    }
    let (verdict, decided_by) = if !worse.is_empty() {
        (Verdict::Regressed, worse)
    } else if !better.is_empty() {
        (Verdict::Improved, better)
    } else {
        (Verdict::Unchanged, Vec::new())
    };
    if paired.is_empty() {
        notes.push("no case is in both runs: nothing to test".to_string());
    }
    SuiteComparison {
        name: head.name.clone(),
        task: head.task.clone(),
        base_task: (base.task != head.task).then(|| base.task.clone()),
        verdict,
        decided_by,
        paired_cases: paired.len(),
        mcnemar,
        metrics,
        regressions,
        fixes,
        new_errors,
        changed_outputs,
        changed_outputs_not_listed,
        added_cases,
        removed_cases,
        ignored_cases,
        notes,
    }
}

/// Which way an interval of `head − base` of `metric` says the metric moved, if it excludes 0.
fn direction(metric: &str, interval: DeltaInterval) -> Option<Direction> {
    let (worse, better) = if lower_is_better(metric) {
        (interval.low > 0.0, interval.high < 0.0)
    } else {
        (interval.high < 0.0, interval.low > 0.0)
    };
    if worse {
        Some(Direction::Worse)
    } else if better {
        Some(Direction::Better)
    } else {
        None
    }
}

fn flip(base: &CaseResult, head: &CaseResult) -> Flip {
    Flip {
        test: head.test.clone(),
        id: head.id.clone(),
        expected: head.expected.clone().or_else(|| base.expected.clone()),
        base: side(base),
        head: side(head),
    }
}

fn side(case: &CaseResult) -> Side {
    Side {
        verdict: case.verdict.clone(),
        predicted: case.predicted.clone(),
        error: case.error.clone(),
        failed_checks: case.failed_checks.iter().map(|f| f.check.clone()).collect(),
    }
}

/// Whether a case's answer was right, for McNemar's test: classify, the predicted label is the
/// expected one; generate and translate, the case passed; a failed call is wrong.
fn correct(suite: &SuiteResults, case: &CaseResult) -> bool {
    // A repeated case is right when it passed by its pass rate.
    if case.verdict == "error" || case.runs.is_some() {
        return case.verdict == "pass";
    }
    match task(suite) {
        Task::Classify => case.predicted.is_some() && case.predicted == case.expected,
        Task::Generate | Task::Translate => case.verdict == "pass",
    }
}

fn task(suite: &SuiteResults) -> Task {
    match suite.task.as_str() {
        "classify" => Task::Classify,
        "translate" => Task::Translate,
        _ => Task::Generate,
    }
}

/// The index of the suite's `positive_label`: as results.json records it, or, for results that
/// predate the field, the one label whose scores are the binary ones bit for bit.
fn positive_label(suite: &SuiteResults) -> Option<usize> {
    if let Some(label) = &suite.positive_label {
        return suite.labels.iter().position(|l| l == label);
    }
    let get = |name: &str| suite.metrics.get(name).map(|v| v.to_bits());
    let binary = [get("precision")?, get("recall")?, get("f1")?];
    let mut candidates = suite.labels.iter().enumerate().filter(|(_, label)| {
        [
            get(&format!("precision.{label}")),
            get(&format!("recall.{label}")),
            get(&format!("f1.{label}")),
        ] == binary.map(Some)
    });
    let (index, _) = candidates.next()?;
    candidates.next().is_none().then_some(index)
}

/// A run's paired cases as the quality metrics see them, in the paired order. With `runs` > 1
/// (both runs repeated each case that many times), every run of each case, as the run's own
/// metrics were computed.
pub fn observations<'a>(
    suite: &SuiteResults,
    cases: impl IntoIterator<Item = &'a CaseResult>,
    runs: usize,
) -> Observations {
    let task = task(suite);
    let mut scorer = SegmentScorer::default();
    let index = |name: &str| suite.labels.iter().position(|l| l == name);
    let cases: Vec<&CaseResult> = cases.into_iter().collect();
    let mut observe = |case: &CaseResult, run: usize| -> Observation {
        let repeated = case.runs.as_ref().filter(|_| runs > 1);
        let verdict = repeated.map_or(case.verdict.as_str(), |r| r.verdicts[run].as_str());
        if verdict == "error" {
            return Observation::Failed;
        }
        let output = match repeated {
            Some(r) => r.outputs[run].as_deref(),
            None => case.output.as_deref(),
        };
        match task {
            Task::Classify => {
                let predicted = match repeated {
                    Some(r) => r.predictions.get(run).cloned().flatten(),
                    None => case.predicted.clone(),
                };
                match case.expected.as_deref().and_then(index) {
                    Some(expected) => Observation::Label {
                        expected,
                        predicted: predicted.as_deref().and_then(index),
                    },
                    // Not written by a run: a classify case always has an expected label.
                    None => Observation::Failed,
                }
            }
            Task::Generate | Task::Translate => {
                let segment = (task == Task::Translate && !case.references.is_empty()).then(|| {
                    let references: Vec<&str> =
                        case.references.iter().map(String::as_str).collect();
                    Box::new(scorer.segment(output.unwrap_or_default(), &references))
                });
                // `pass_rate` counts the checks, not the snapshot: a first run that failed only
                // its snapshot passed its checks (later runs are not compared with it).
                let passed = match run {
                    0 => case.failed_checks.is_empty(),
                    _ => verdict == "pass",
                };
                Observation::Checked { passed, segment }
            }
        }
    };
    let first = cases.iter().map(|case| observe(case, 0)).collect();
    let repeats = (1..runs)
        .map(|run| cases.iter().map(|case| observe(case, run)).collect())
        .collect();
    Observations {
        task,
        labels: suite.labels.clone(),
        positive_label: positive_label(suite),
        cases: first,
        repeats,
    }
}

/// How many runs of each case both runs of a suite have: `repeat` when both repeated every
/// case the same number of times, else 1 (the first runs alone, which both have).
fn common_runs(base: &SuiteResults, head: &SuiteResults) -> usize {
    if base.repeat == head.repeat && base.repeat > 1 {
        base.repeat
    } else {
        1
    }
}

/// The paired bootstrap interval of `head − base` of every bootstrapped metric both runs
/// report, over the paired cases.
fn paired_intervals(
    base: &SuiteResults,
    head: &SuiteResults,
    base_observations: &Observations,
    head_observations: &Observations,
    options: &CompareOptions,
    notes: &mut Vec<String>,
) -> BTreeMap<String, DeltaInterval> {
    let names: Vec<&String> = head
        .metrics
        .keys()
        .filter(|name| bootstrapped(name) && base.metrics.contains_key(*name))
        .collect();
    if base_observations.cases.is_empty() || names.is_empty() {
        return BTreeMap::new();
    }
    let confidence = 1.0 - options.alpha;
    let deltas = paired_bootstrap(
        base_observations,
        head_observations,
        &names,
        options.resamples,
        confidence,
        options.seed,
    );
    let mut intervals = BTreeMap::new();
    for name in names {
        match deltas.get(name.as_str()).copied().flatten() {
            Some((low, high)) => {
                intervals.insert(name.clone(), DeltaInterval { low, high });
            }
            None if name == "f1"
                && (base_observations.positive_label.is_none()
                    || head_observations.positive_label.is_none()) =>
            {
                notes.push(
                    "f1 has no interval: the results do not say which label is positive"
                        .to_string(),
                );
            }
            None => notes.push(format!(
                "{name} has no interval: it is undefined on some resamples of the paired cases"
            )),
        }
    }
    intervals
}

/// [`stats::paired_bootstrap_delta`] of each metric in `names`, the resamples drawn once for
/// all of them: the same draws (`Rng::new(seed)`, `below(n)` per index) and percentiles, so the
/// same intervals. None for a metric missing or NaN in either run on some resample.
pub fn paired_bootstrap<'n>(
    base: &Observations,
    head: &Observations,
    names: &[&'n String],
    resamples: usize,
    confidence: f64,
    seed: u64,
) -> BTreeMap<&'n str, Option<(f64, f64)>> {
    let n = base.cases.len().min(head.cases.len());
    let mut samples: BTreeMap<&str, Option<Vec<f64>>> = names
        .iter()
        .map(|name| (name.as_str(), Some(Vec::with_capacity(resamples))))
        .collect();
    if n == 0 || resamples == 0 || !(confidence > 0.0 && confidence < 1.0) {
        return samples.into_keys().map(|name| (name, None)).collect();
    }
    let mut rng = Rng::new(seed);
    let mut indices = vec![0; n];
    for _ in 0..resamples {
        for index in &mut indices {
            *index = rng.below(n);
        }
        let before = base.metrics(&indices);
        let after = head.metrics(&indices);
        for (name, values) in &mut samples {
            let Some(list) = values else { continue };
            let delta = match (before.get(*name), after.get(*name)) {
                (Some(b), Some(h)) => h - b,
                _ => f64::NAN,
            };
            if delta.is_nan() {
                *values = None;
            } else {
                list.push(delta);
            }
        }
    }
    let tail = (1.0 - confidence) / 2.0;
    samples
        .into_iter()
        .map(|(name, values)| {
            let interval = values.map(|mut values| {
                values.sort_by(f64::total_cmp);
                (
                    stats::percentile(&values, tail),
                    stats::percentile(&values, 1.0 - tail),
                )
            });
            (name, interval)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Totals;

    // Built from JSON with only the fields a results.json must have, so that fields added to
    // the results later (all optional) leave these tests alone.
    fn case(id: &str, expected: &str, predicted: Option<&str>, verdict: &str) -> CaseResult {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "test": format!("s::{id}"),
            "file": "s.toml",
            "line": 1,
            "input": id,
            "expected": expected,
            "prompt": id,
            "verdict": verdict,
            "gating": true,
            "output": predicted,
            "predicted": predicted,
            "error": (verdict == "error").then_some("model refused"),
        }))
        .unwrap()
    }

    /// A classify suite of `n` cases where the cases in `wrong` are answered with the other label.
    fn suite(n: usize, wrong: &[usize], positive: bool) -> SuiteResults {
        let labels = vec!["neg".to_string(), "pos".to_string()];
        let cases: Vec<CaseResult> = (0..n)
            .map(|i| {
                let expected = &labels[i % 2];
                let other = &labels[(i + 1) % 2];
                if wrong.contains(&i) {
                    case(&format!("c{i}"), expected, Some(other), "fail")
                } else {
                    case(&format!("c{i}"), expected, Some(expected), "pass")
                }
            })
            .collect();
        let mut suite: SuiteResults = serde_json::from_value(serde_json::json!({
            "name": "s",
            "file": "s.toml",
            "task": "classify",
            "model": {"provider": "command", "identity": "m"},
            "labels": labels,
            "fail_on": ["case"],
            "cases_summary": Totals::default(),
            "metrics_cases": n,
            "metrics": {},
            "floors": [],
            "cases": cases,
        }))
        .unwrap();
        let mut observations = observations(&suite, &suite.cases, 1);
        observations.positive_label = positive.then_some(1);
        let all: Vec<usize> = (0..n).collect();
        suite.metrics = observations.metrics(&all);
        suite
    }

    fn run(suites: Vec<SuiteResults>) -> RunResults {
        serde_json::from_value(serde_json::json!({
            "schema_version": crate::results::SCHEMA_VERSION,
            "evalgate_version": "0.0.0",
            "started_at": "2026-01-01T00:00:00.000Z",
            "duration_ms": 1.0,
            "git": null,
            "totals": Totals::default(),
            "suites": suites,
        }))
        .unwrap()
    }

    #[test]
    fn the_binary_label_is_found_from_its_scores() {
        assert_eq!(positive_label(&suite(20, &[1, 3], true)), Some(1));
        assert_eq!(positive_label(&suite(20, &[1, 3], false)), None);
    }

    #[test]
    fn mcnemar_counts_the_discordant_pairs() {
        let base = run(vec![suite(40, &[0], true)]);
        let head = run(vec![suite(40, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], true)]);
        let comparison = compare(&base, &head, &CompareOptions::default());
        let s = &comparison.suites[0];
        let m = s.mcnemar.as_ref().unwrap();
        assert_eq!((m.right_to_wrong, m.wrong_to_right), (11, 1));
        assert_eq!(m.p_value, stats::mcnemar_exact(11, 1));
        assert_eq!(s.verdict, Verdict::Regressed);
        assert_eq!(s.decided_by[0].test, "mcnemar");
        assert_eq!(s.regressions.len(), 11);
        assert_eq!(s.fixes.len(), 1);
        assert_eq!(comparison.verdict, Verdict::Regressed);
        // The other way round it is an improvement.
        let back = compare(&head, &base, &CompareOptions::default());
        assert_eq!(back.verdict, Verdict::Improved);
        assert!(
            back.suites[0]
                .decided_by
                .iter()
                .all(|e| e.direction == Direction::Better)
        );
    }

    #[test]
    fn the_shared_bootstrap_equals_one_per_metric() {
        let base = suite(30, &[0, 5, 9], true);
        let head = suite(30, &[0, 4, 7, 11, 12, 20], true);
        let cases = |s: &SuiteResults| observations(s, &s.cases, 1);
        let (b, h) = (cases(&base), cases(&head));
        let names: Vec<String> = ["f1", "f1_macro", "f1.neg", "f1_weighted"]
            .map(String::from)
            .to_vec();
        let refs: Vec<&String> = names.iter().collect();
        let shared = paired_bootstrap(&b, &h, &refs, 500, 0.9, 7);
        for name in &names {
            let alone = stats::paired_bootstrap_delta(30, 500, 0.9, 7, |indices| {
                (b.metrics(indices)[name], h.metrics(indices)[name])
            });
            assert_eq!(shared[name.as_str()], alone, "{name}");
        }
    }

    #[test]
    fn a_case_that_failed_only_its_snapshot_passed_its_checks() {
        let mut suite = suite(2, &[], false);
        suite.task = "generate".to_string();
        suite.cases[0].verdict = "fail".to_string();
        let observed = observations(&suite, &suite.cases, 1);
        assert_eq!(
            observed.cases[0],
            Observation::Checked {
                passed: true,
                segment: None
            }
        );
        suite.cases[1].verdict = "fail".to_string();
        suite.cases[1].failed_checks = vec![crate::results::FailedCheck {
            check: "contains".into(),
            detail: "no".into(),
        }];
        let observed = observations(&suite, &suite.cases, 1);
        assert!(matches!(
            observed.cases[1],
            Observation::Checked { passed: false, .. }
        ));
    }

    #[test]
    fn pairing_the_cases_narrows_the_interval_of_a_change() {
        // Head gets 4 of 200 cases wrong that base got right, and the same 20 others wrong:
        // most cases agree, so the paired interval is narrow and below 0, while resampling the
        // two runs independently gives one that holds 0.
        let common: Vec<usize> = (0..200).filter(|i| i % 10 == 0).collect();
        let mut worse = common.clone();
        worse.extend([1, 51, 101, 151]);
        let (base, head) = (suite(200, &common, false), suite(200, &worse, false));
        let (base, head) = (
            observations(&base, &base.cases, 1),
            observations(&head, &head.cases, 1),
        );
        let name = "f1_macro".to_string();
        let paired = paired_bootstrap(&base, &head, &[&name], 1000, 0.95, 7)["f1_macro"].unwrap();
        let (mut base_rng, mut head_rng) = (Rng::new(7), Rng::new(8));
        let mut deltas: Vec<f64> = (0..1000)
            .map(|_| {
                let draw = |rng: &mut Rng| (0..200).map(|_| rng.below(200)).collect::<Vec<_>>();
                let (b, h) = (draw(&mut base_rng), draw(&mut head_rng));
                head.metrics(&h)["f1_macro"] - base.metrics(&b)["f1_macro"]
            })
            .collect();
        deltas.sort_by(f64::total_cmp);
        let unpaired = (
            stats::percentile(&deltas, 0.025),
            stats::percentile(&deltas, 0.975),
        );
        assert!(paired.1 < 0.0, "{paired:?}");
        assert!(unpaired.0 < 0.0 && unpaired.1 > 0.0, "{unpaired:?}");
        assert!(
            paired.1 - paired.0 < (unpaired.1 - unpaired.0) / 3.0,
            "{paired:?} against {unpaired:?}"
        );
    }

    #[test]
    fn the_observations_give_the_runs_own_metrics() {
        let suite = suite(25, &[2, 3, 17], true);
        let observations = observations(&suite, &suite.cases, 1);
        let all: Vec<usize> = (0..suite.cases.len()).collect();
        assert_eq!(observations.metrics(&all), suite.metrics);
    }

    #[test]
    fn intervals_decide_by_direction_and_ter_is_lower_better() {
        let below = DeltaInterval {
            low: -2.0,
            high: -0.5,
        };
        let around = DeltaInterval {
            low: -1.0,
            high: 1.0,
        };
        assert_eq!(direction("chrf", below), Some(Direction::Worse));
        assert_eq!(direction("ter", below), Some(Direction::Better));
        assert_eq!(direction("chrf", around), None);
        assert_eq!(
            direction(
                "ter",
                DeltaInterval {
                    low: 0.5,
                    high: 3.0
                }
            ),
            Some(Direction::Worse)
        );
        // An interval that touches 0 does not exclude it.
        assert_eq!(
            direction(
                "bleu",
                DeltaInterval {
                    low: 0.0,
                    high: 1.0
                }
            ),
            None
        );
    }

    #[test]
    fn cases_in_one_run_or_ignored_are_listed_not_compared() {
        let base_suite = suite(10, &[], true);
        let mut head_suite = suite(10, &[], true);
        head_suite.cases.remove(0);
        head_suite.cases[0].verdict = "ignored".to_string();
        let mut extra = head_suite.cases[1].clone();
        extra.test = "s::new".to_string();
        head_suite.cases.push(extra);
        let comparison = compare(
            &run(vec![base_suite]),
            &run(vec![head_suite]),
            &CompareOptions::default(),
        );
        let s = &comparison.suites[0];
        assert_eq!(s.removed_cases, ["s::c0"]);
        assert_eq!(s.ignored_cases, ["s::c1"]);
        assert_eq!(s.added_cases, ["s::new"]);
        assert_eq!(s.paired_cases, 8);
        assert_eq!(s.verdict, Verdict::Unchanged);
    }
}
