//! From case outcomes to a suite's metrics (by their `[floors]` names) and floor verdicts.
//!
//! Quality metrics (accuracy, precision, recall, F1, pass_rate, BLEU, chrF, TER) count the cases
//! whose model call produced an output; cases whose call failed count only in `error_rate` and
//! fail as tests of their own. Latency metrics count every call made, failed ones included: a
//! timeout is latency.
//! `tokens_total` sums the usage the provider reported, replayed answers included.

use super::CaseOutcome;
use crate::judge::Judgement;
use crate::metrics::{Confusion, classification_metrics, translation};
use crate::suite::{Floor, Suite, Task};
use std::collections::BTreeMap;

/// A suite's metrics over a set of outcomes.
#[derive(Clone, Debug, Default)]
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
}

impl SuiteMetrics {
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }
}

/// A floor's value and whether its bound holds.
#[derive(Clone, Debug, PartialEq)]
pub struct FloorVerdict {
    /// `None` when the metric has no value, e.g. no case produced an output.
    pub value: Option<f64>,
    pub passed: bool,
}

pub fn judge_floor(floor: &Floor, metrics: &SuiteMetrics) -> FloorVerdict {
    let value = metrics.get(&floor.name);
    FloorVerdict {
        value,
        passed: value.is_some_and(|v| floor.bound.holds(v)),
    }
}

/// Computes every metric of the suite's task over `outcomes` (case index, outcome).
pub fn metrics(suite: &Suite, outcomes: &[(usize, &CaseOutcome)]) -> SuiteMetrics {
    let mut values = BTreeMap::new();
    let answered = outcomes.iter().filter(|(_, o)| o.result.is_ok()).count();
    let mut confusion = None;
    let mut signatures = BTreeMap::new();
    if !outcomes.is_empty() {
        let errors = outcomes.len() - answered;
        values.insert(
            "error_rate".to_string(),
            errors as f64 / outcomes.len() as f64,
        );
        let mut latencies: Vec<f64> = outcomes
            .iter()
            .map(|(_, o)| o.latency.as_secs_f64() * 1000.0)
            .collect();
        latencies.sort_by(f64::total_cmp);
        values.insert("latency_p50_ms".to_string(), percentile(&latencies, 0.50));
        values.insert("latency_p95_ms".to_string(), percentile(&latencies, 0.95));
        values.insert("latency_max_ms".to_string(), latencies[latencies.len() - 1]);
        let usage: Vec<u64> = outcomes
            .iter()
            .filter_map(|(_, o)| o.answer()?.reply.usage.map(|u| u.total_tokens))
            .collect();
        if !usage.is_empty() {
            values.insert("tokens_total".to_string(), usage.iter().sum::<u64>() as f64);
        }
    }
    match suite.task {
        Task::Classify => {
            let mut matrix = Confusion::new(suite.labels.clone());
            for (case, outcome) in outcomes {
                if let (Some(truth), Some(answer)) = (suite.cases[*case].expected, outcome.answer())
                    && let Judgement::Label(predicted) = answer.judgement
                {
                    matrix.add(truth, predicted);
                }
            }
            if answered > 0 {
                insert_classification(&mut values, suite, &matrix);
            }
            confusion = Some(matrix);
        }
        Task::Generate | Task::Translate => {
            if suite.task == Task::Translate && answered > 0 {
                signatures = insert_translation(&mut values, suite, outcomes);
            } else {
                let references: Vec<Vec<&str>> = outcomes
                    .iter()
                    .filter(|(_, o)| o.result.is_ok())
                    .map(|(case, _)| &suite.cases[*case].references)
                    .filter(|references| !references.is_empty())
                    .map(|references| references.iter().map(String::as_str).collect())
                    .collect();
                if !references.is_empty() {
                    signatures.extend(sentence_signatures(&references));
                }
            }
            if answered > 0 {
                let passed = outcomes
                    .iter()
                    .filter(|(case, o)| {
                        o.answer()
                            .is_some_and(|a| a.judgement.passed(&suite.cases[*case]))
                    })
                    .count();
                values.insert("pass_rate".to_string(), passed as f64 / answered as f64);
            }
        }
    }
    SuiteMetrics {
        cases: outcomes.len(),
        answered,
        values,
        confusion,
        signatures,
    }
}

/// sacreBLEU's corpus BLEU, chrF, chrF++ and TER over the answered cases, with defaults; returns
/// their signatures.
fn insert_translation(
    values: &mut BTreeMap<String, f64>,
    suite: &Suite,
    outcomes: &[(usize, &CaseOutcome)],
) -> BTreeMap<String, String> {
    let (hypotheses, references): (Vec<&str>, Vec<Vec<&str>>) = outcomes
        .iter()
        .filter_map(|(case, outcome)| {
            let references = suite.cases[*case].references.iter().map(String::as_str);
            Some((outcome.answer()?.output(), references.collect()))
        })
        .unzip();
    let scores = [
        (
            "bleu",
            translation::corpus_bleu(&hypotheses, &references).score,
            translation::bleu_signature(&references),
        ),
        (
            "chrf",
            translation::corpus_chrf(&hypotheses, &references, 0),
            translation::chrf_signature(&references, 0),
        ),
        (
            "chrf_pp",
            translation::corpus_chrf(&hypotheses, &references, 2),
            translation::chrf_signature(&references, 2),
        ),
        (
            "ter",
            translation::corpus_ter(&hypotheses, &references).score,
            translation::ter_signature(&references),
        ),
    ];
    let mut signatures = BTreeMap::new();
    for (name, score, signature) in scores {
        values.insert(name.to_string(), score);
        signatures.insert(name.to_string(), signature);
    }
    signatures.extend(sentence_signatures(&references));
    signatures
}

fn insert_classification(values: &mut BTreeMap<String, f64>, suite: &Suite, matrix: &Confusion) {
    let scores = classification_metrics(matrix, suite.positive_label);
    values.insert("accuracy".to_string(), scores.accuracy);
    for label in &scores.per_label {
        values.insert(format!("precision.{}", label.label), label.precision);
        values.insert(format!("recall.{}", label.label), label.recall);
        values.insert(format!("f1.{}", label.label), label.f1);
        values.insert(format!("support.{}", label.label), label.support as f64);
    }
    for (average, s) in [
        ("micro", &scores.micro),
        ("macro", &scores.macro_avg),
        ("weighted", &scores.weighted),
    ] {
        values.insert(format!("precision_{average}"), s.precision);
        values.insert(format!("recall_{average}"), s.recall);
        values.insert(format!("f1_{average}"), s.f1);
    }
    if let Some(binary) = &scores.binary {
        values.insert("precision".to_string(), binary.precision);
        values.insert("recall".to_string(), binary.recall);
        values.insert("f1".to_string(), binary.f1);
    }
}

/// The signatures of the sentence scores behind `min_bleu` and `min_chrf` (results' `similarity`).
fn sentence_signatures(references: &[Vec<&str>]) -> [(String, String); 2] {
    [
        (
            "sentence_bleu".to_string(),
            translation::sentence_bleu_signature(references),
        ),
        (
            "sentence_chrf".to_string(),
            translation::chrf_signature(references, 0),
        ),
    ]
}

/// The `q` quantile of sorted values by linear interpolation between the closest ranks
/// (numpy's default method).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let (a, b) = (sorted[below], sorted[above]);
    let t = position - below as f64;
    // numpy's _lerp, which is exact at both ends.
    let difference = b - a;
    if t >= 0.5 {
        b - difference * (1.0 - t)
    } else {
        a + difference * t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_numpy() {
        // numpy.percentile([1, 2, 3, 4, 10], [50, 95, 100]) == [3.0, 8.8, 10.0]
        let values = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(percentile(&values, 0.5), 3.0);
        assert!((percentile(&values, 0.95) - 8.8).abs() < 1e-12);
        assert_eq!(percentile(&values, 1.0), 10.0);
        assert_eq!(percentile(&[7.0], 0.95), 7.0);
    }
}
