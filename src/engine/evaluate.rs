//! From case outcomes to a suite's metrics (by their `[floors]` names) and floor verdicts.
//!
//! Quality metrics (accuracy, precision, recall, F1, pass_rate, BLEU, chrF, TER) count the cases
//! whose model call produced an output; cases whose call failed count only in `error_rate` and
//! fail as tests of their own. Latency metrics count every call made, failed ones included: a
//! timeout is latency.
//! `tokens_total` sums the usage the provider reported, replayed answers included.

use super::CaseOutcome;
use crate::judge::Judgement;
use crate::metrics::Confusion;
use crate::metrics::resample::{Interval, Observation, Observations};
use crate::metrics::translation::{self, SegmentScorer};
use crate::stats::percentile;
use crate::suite::{Bound, Floor, FloorMode, Suite, Task};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A suite's metrics over a set of outcomes.
#[derive(Clone, Debug)]
pub struct SuiteMetrics {
    /// Cases counted (ran, ignored ones included only with `--include-ignored`).
    pub cases: usize,
    /// Of those, the cases whose model call produced an output.
    pub answered: usize,
    /// Metric values by name, as in `[floors]`.
    pub values: BTreeMap<String, f64>,
    /// classify: rows are expected labels, columns predicted labels then `<invalid>`.
    pub confusion: Option<Confusion>,
    /// translate: sacreBLEU's signature of each corpus metric, by metric name.
    pub signatures: BTreeMap<String, String>,
    /// What each counted case contributes to the quality metrics, for their intervals.
    pub observations: Observations,
    /// The level of the intervals, e.g. 0.95.
    pub confidence: f64,
    intervals: OnceLock<BTreeMap<String, Interval>>,
}

impl SuiteMetrics {
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }

    /// The confidence interval of every metric that has one, computed once when first asked
    /// for (a bootstrap rescores the suite a thousand times).
    pub fn intervals(&self) -> &BTreeMap<String, Interval> {
        self.intervals
            .get_or_init(|| self.observations.intervals(self.confidence))
    }
}

/// A floor's value, the figure its bound was held against, and whether the bound holds.
#[derive(Clone, Debug, PartialEq)]
pub struct FloorVerdict {
    /// `None` when the metric has no value, e.g. no case produced an output.
    pub value: Option<f64>,
    /// The value, or with `floor_mode = "lower_bound"` the end of its interval nearer the
    /// bound's wrong side: the low end for a minimum, the high end for a maximum. A metric
    /// without an interval (latency, counts) is judged on its value.
    pub judged: Option<f64>,
    pub passed: bool,
}

pub fn judge_floor(floor: &Floor, metrics: &SuiteMetrics, mode: FloorMode) -> FloorVerdict {
    let interval = match mode {
        FloorMode::Value => None,
        FloorMode::LowerBound => metrics.intervals().get(&floor.name),
    };
    judge_bound(&floor.bound, metrics.get(&floor.name), interval)
}

/// A bound held against a metric's value, or (`floor_mode = "lower_bound"`) against its
/// interval when it has one: [`judge_floor`] on figures already computed (`evalgate merge`).
pub fn judge_bound(bound: &Bound, value: Option<f64>, interval: Option<&Interval>) -> FloorVerdict {
    let Some(interval) = interval else {
        return FloorVerdict {
            value,
            judged: value,
            passed: value.is_some_and(|v| bound.holds(v)),
        };
    };
    // A minimum is held against the low end, a maximum against the high end; with both, the
    // end that breaks its bound is the one reported (the low end when neither does).
    let low_holds = bound.min.is_none_or(|min| interval.low >= min);
    let high_holds = bound.max.is_none_or(|max| interval.high <= max);
    let judged = match (low_holds, high_holds, bound.min) {
        (true, false, _) => interval.high,
        (_, _, None) => interval.high,
        _ => interval.low,
    };
    FloorVerdict {
        value,
        judged: Some(judged),
        passed: value.is_some() && low_holds && high_holds,
    }
}

/// Computes every metric of the suite's task over `outcomes` (case index, outcome).
pub fn metrics(suite: &Suite, outcomes: &[(usize, &CaseOutcome)]) -> SuiteMetrics {
    let observations = observations(suite, outcomes);
    let all: Vec<usize> = (0..outcomes.len()).collect();
    let mut values = observations.metrics(&all);
    let answered = outcomes.iter().filter(|(_, o)| o.result.is_ok()).count();
    if !outcomes.is_empty() {
        let mut latencies: Vec<f64> = outcomes
            .iter()
            .flat_map(|(_, o)| o.runs().map(|(_, latency)| latency.as_secs_f64() * 1000.0))
            .collect();
        latencies.sort_by(f64::total_cmp);
        values.insert("latency_p50_ms".to_string(), percentile(&latencies, 0.50));
        values.insert("latency_p95_ms".to_string(), percentile(&latencies, 0.95));
        values.insert("latency_max_ms".to_string(), latencies[latencies.len() - 1]);
        let usage: Vec<u64> = outcomes
            .iter()
            .flat_map(|(_, o)| o.runs())
            .filter_map(|(result, _)| result.as_ref().ok()?.reply.usage.map(|u| u.total_tokens))
            .collect();
        if !usage.is_empty() {
            values.insert("tokens_total".to_string(), usage.iter().sum::<u64>() as f64);
        }
    }
    let references: Vec<Vec<&str>> = outcomes
        .iter()
        .filter(|(_, o)| o.result.is_ok())
        .map(|(case, _)| &suite.cases[*case].references)
        .filter(|references| !references.is_empty())
        .map(|references| references.iter().map(String::as_str).collect())
        .collect();
    let signatures = signatures(suite.task == Task::Translate && answered > 0, &references);
    let confusion = (suite.task == Task::Classify).then(|| observations.confusion(&all));
    SuiteMetrics {
        cases: outcomes.len(),
        answered,
        values,
        confusion,
        signatures,
        observations,
        confidence: suite.confidence,
        intervals: OnceLock::new(),
    }
}

/// What each outcome contributes to the quality metrics, in the order given: the first runs,
/// and (`repeat`) each further run of every case.
pub fn observations(suite: &Suite, outcomes: &[(usize, &CaseOutcome)]) -> Observations {
    let mut scorer = SegmentScorer::default();
    let mut run = |repetition: usize| -> Vec<Observation> {
        outcomes
            .iter()
            .map(|(case, outcome)| {
                let result = match repetition {
                    0 => &outcome.result,
                    r => &outcome.repetitions[r - 1].result,
                };
                observation(suite, *case, result.as_ref().ok(), &mut scorer)
            })
            .collect()
    };
    let cases = run(0);
    let runs = outcomes.first().map_or(1, |(_, o)| o.run_count());
    let repeats = (1..runs).map(&mut run).collect();
    Observations {
        task: suite.task,
        labels: suite.labels.clone(),
        positive_label: suite.positive_label,
        cases,
        repeats,
    }
}

/// What one run of case `index` contributes.
fn observation(
    suite: &Suite,
    index: usize,
    answer: Option<&super::Answer>,
    scorer: &mut SegmentScorer,
) -> Observation {
    let case = &suite.cases[index];
    let Some(answer) = answer else {
        return Observation::Failed;
    };
    match (suite.task, &answer.judgement) {
        (Task::Classify, Judgement::Label(predicted)) => Observation::Label {
            expected: case.expected.expect("a classify case has a label"),
            predicted: *predicted,
        },
        _ => {
            let segment = (suite.task == Task::Translate).then(|| {
                let references: Vec<&str> = case.references.iter().map(String::as_str).collect();
                Box::new(scorer.segment(answer.output(), &references))
            });
            Observation::Checked {
                passed: answer.judgement.passed(case),
                segment,
            }
        }
    }
}

/// sacreBLEU's signatures, by metric name, over the references of the answered cases: the
/// corpus metrics' when `corpus` (a translate suite with an answered case), and those of the
/// sentence scores behind `min_bleu` and `min_chrf` (results' `similarity`) when an answered
/// case has references.
pub fn signatures(corpus: bool, references: &[Vec<&str>]) -> BTreeMap<String, String> {
    let mut signatures = BTreeMap::new();
    if corpus {
        signatures.insert("bleu".to_string(), translation::bleu_signature(references));
        signatures.insert(
            "chrf".to_string(),
            translation::chrf_signature(references, 0),
        );
        signatures.insert(
            "chrf_pp".to_string(),
            translation::chrf_signature(references, 2),
        );
        signatures.insert("ter".to_string(), translation::ter_signature(references));
    }
    if !references.is_empty() {
        signatures.insert(
            "sentence_bleu".to_string(),
            translation::sentence_bleu_signature(references),
        );
        signatures.insert(
            "sentence_chrf".to_string(),
            translation::chrf_signature(references, 0),
        );
    }
    signatures
}
