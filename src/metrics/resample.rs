//! What each case contributes to its suite's quality metrics, kept so that the metrics can be
//! computed again over any resample of the cases: the confidence intervals of a run, and the
//! paired comparison of two runs.
//!
//! Proportions (accuracy, a label's precision and recall, micro precision and recall,
//! `pass_rate`, `error_rate`) get the Wilson score interval; the metrics that are not a share of
//! cases (F1 of every kind, macro and weighted averages, BLEU, chrF, chrF++, TER) a percentile
//! bootstrap over cases, with a fixed seed, so an interval is the same on every run and machine.
//! Counts (`support.*`, `tokens_total`) and latencies get none.

use super::classification::{Confusion, classification_metrics};
use super::translation::{SegmentStats, corpus_scores};
use crate::stats::{self, Rng};
use crate::suite::Task;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One case, as the quality metrics see it.
#[derive(Clone, Debug, PartialEq)]
pub enum Observation {
    /// The model call failed: counted in `error_rate` only.
    Failed,
    /// classify: the expected label and the predicted one (`None`: `<invalid>`), as indices
    /// into the suite's labels.
    Label {
        expected: usize,
        predicted: Option<usize>,
    },
    /// generate and translate: whether every check held, and (translate) the segment's
    /// statistics for the corpus scores.
    Checked {
        passed: bool,
        segment: Option<Box<SegmentStats>>,
    },
}

/// A confidence interval of a metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
    /// `wilson` or `bootstrap`.
    pub method: String,
}

/// A suite's observations, in case order.
#[derive(Clone, Debug)]
pub struct Observations {
    pub task: Task,
    pub labels: Vec<String>,
    pub positive_label: Option<usize>,
    pub cases: Vec<Observation>,
    /// A suite with `repeat = N`: runs 2 to N, each in case order like `cases` (the first run).
    pub repeats: Vec<Vec<Observation>>,
}

/// How many resamples a bootstrap draws, and its seed.
pub const RESAMPLES: usize = stats::DEFAULT_RESAMPLES;
pub const SEED: u64 = stats::DEFAULT_SEED;

impl Observations {
    /// The quality metrics and `error_rate` over the cases at `indices` (repeats allowed), by
    /// their `[floors]` names; the values the engine reports for the same cases. With several
    /// runs of each case, each metric is its mean over the runs (over those where it has a
    /// value).
    pub fn metrics(&self, indices: &[usize]) -> BTreeMap<String, f64> {
        if self.repeats.is_empty() {
            return self.run_metrics(&self.cases, indices);
        }
        let mut sums: BTreeMap<String, (f64, usize)> = BTreeMap::new();
        for run in std::iter::once(&self.cases).chain(&self.repeats) {
            for (name, value) in self.run_metrics(run, indices) {
                let sum = sums.entry(name).or_insert((0.0, 0));
                sum.0 += value;
                sum.1 += 1;
            }
        }
        sums.into_iter()
            .map(|(name, (sum, runs))| (name, sum / runs as f64))
            .collect()
    }

    /// The metrics of one run of the cases.
    fn run_metrics(&self, run: &[Observation], indices: &[usize]) -> BTreeMap<String, f64> {
        let mut values = BTreeMap::new();
        if indices.is_empty() {
            return values;
        }
        let picked = || indices.iter().map(|&i| &run[i]);
        let failed = picked().filter(|o| **o == Observation::Failed).count();
        values.insert(
            "error_rate".to_string(),
            failed as f64 / indices.len() as f64,
        );
        let answered = indices.len() - failed;
        if answered == 0 {
            return values;
        }
        match self.task {
            Task::Classify => {
                let matrix = self.run_confusion(run, indices);
                values.extend(classification_values(&matrix, self.positive_label));
            }
            Task::Generate | Task::Translate => {
                let passed = picked()
                    .filter(|o| matches!(o, Observation::Checked { passed: true, .. }))
                    .count();
                values.insert("pass_rate".to_string(), passed as f64 / answered as f64);
                if self.task == Task::Translate {
                    let segments = picked().filter_map(|o| match o {
                        Observation::Checked { segment, .. } => segment.as_deref(),
                        _ => None,
                    });
                    let scores = corpus_scores(segments);
                    values.insert("bleu".to_string(), scores.bleu);
                    values.insert("chrf".to_string(), scores.chrf);
                    values.insert("chrf_pp".to_string(), scores.chrf_pp);
                    values.insert("ter".to_string(), scores.ter);
                }
            }
        }
        values
    }

    /// The confusion matrix of the classify cases at `indices`: of every run of them, when
    /// they ran several times.
    pub fn confusion(&self, indices: &[usize]) -> Confusion {
        let mut matrix = self.run_confusion(&self.cases, indices);
        for run in &self.repeats {
            let more = self.run_confusion(run, indices);
            for truth in 0..self.labels.len() {
                for predicted in (0..self.labels.len()).map(Some).chain([None]) {
                    for _ in 0..more.count(truth, predicted) {
                        matrix.add(truth, predicted);
                    }
                }
            }
        }
        matrix
    }

    fn run_confusion(&self, run: &[Observation], indices: &[usize]) -> Confusion {
        let mut matrix = Confusion::new(self.labels.clone());
        for &i in indices {
            if let Observation::Label {
                expected,
                predicted,
            } = run[i]
            {
                matrix.add(expected, predicted);
            }
        }
        matrix
    }

    /// The interval of every metric that has one, at `confidence` (e.g. 0.95). The runs of a
    /// repeated case are not independent draws, so with `repeat` every interval is a bootstrap
    /// that resamples cases, each with all its runs.
    pub fn intervals(&self, confidence: f64) -> BTreeMap<String, Interval> {
        let all: Vec<usize> = (0..self.cases.len()).collect();
        let proportions = if self.repeats.is_empty() {
            self.proportions(&all)
        } else {
            BTreeMap::new()
        };
        let mut intervals: BTreeMap<String, Interval> = proportions
            .into_iter()
            .filter_map(|(name, (successes, trials))| {
                let (low, high) = stats::wilson(successes, trials, confidence)?;
                Some((name, interval(low, high, "wilson")))
            })
            .collect();
        let point = self.metrics(&all);
        let bootstrapped: Vec<&String> = point
            .keys()
            .filter(|name| !intervals.contains_key(*name) && !name.starts_with("support."))
            .collect();
        if bootstrapped.is_empty() {
            return intervals;
        }
        let mut samples: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        let mut rng = Rng::new(SEED);
        let mut indices = vec![0; all.len()];
        for _ in 0..RESAMPLES {
            for index in &mut indices {
                *index = rng.below(all.len());
            }
            let values = self.metrics(&indices);
            for name in &bootstrapped {
                // A metric undefined on a resample (every picked call failed) or NaN gets no
                // interval: leaving such resamples out would bias it.
                let value = values.get(*name).copied().unwrap_or(f64::NAN);
                samples.entry(name.as_str()).or_default().push(value);
            }
        }
        for (name, mut values) in samples {
            if values.iter().any(|v| v.is_nan()) {
                continue;
            }
            values.sort_by(f64::total_cmp);
            let tail = (1.0 - confidence) / 2.0;
            let low = stats::percentile(&values, tail);
            let high = stats::percentile(&values, 1.0 - tail);
            intervals.insert(name.to_string(), interval(low, high, "bootstrap"));
        }
        intervals
    }

    /// The metrics that are a share of cases, as (successes, trials) over `indices`.
    pub fn proportions(&self, indices: &[usize]) -> BTreeMap<String, (u64, u64)> {
        let mut shares = BTreeMap::new();
        let n = indices.len() as u64;
        let failed = indices
            .iter()
            .filter(|&&i| self.cases[i] == Observation::Failed)
            .count() as u64;
        if n > 0 {
            shares.insert("error_rate".to_string(), (failed, n));
        }
        let answered = n - failed;
        if answered == 0 {
            return shares;
        }
        match self.task {
            Task::Classify => {
                let matrix = self.confusion(indices);
                let k = self.labels.len();
                let tp = |l: usize| matrix.count(l, Some(l));
                let support = |l: usize| {
                    (0..k).map(|p| matrix.count(l, Some(p))).sum::<u64>() + matrix.count(l, None)
                };
                let predicted = |l: usize| (0..k).map(|t| matrix.count(t, Some(l))).sum::<u64>();
                let correct: u64 = (0..k).map(tp).sum();
                let predicted_any: u64 = (0..k).map(predicted).sum();
                shares.insert("accuracy".to_string(), (correct, answered));
                shares.insert("recall_micro".to_string(), (correct, answered));
                shares.insert("precision_micro".to_string(), (correct, predicted_any));
                for (l, label) in self.labels.iter().enumerate() {
                    shares.insert(format!("recall.{label}"), (tp(l), support(l)));
                    shares.insert(format!("precision.{label}"), (tp(l), predicted(l)));
                }
                if let Some(l) = self.positive_label {
                    shares.insert("recall".to_string(), (tp(l), support(l)));
                    shares.insert("precision".to_string(), (tp(l), predicted(l)));
                }
            }
            Task::Generate | Task::Translate => {
                let passed = indices
                    .iter()
                    .filter(|&&i| {
                        matches!(self.cases[i], Observation::Checked { passed: true, .. })
                    })
                    .count() as u64;
                shares.insert("pass_rate".to_string(), (passed, answered));
            }
        }
        shares
    }
}

fn interval(low: f64, high: f64, method: &str) -> Interval {
    Interval {
        low,
        high,
        method: method.to_string(),
    }
}

/// The classification metrics of a confusion matrix by their `[floors]` names.
pub fn classification_values(
    matrix: &Confusion,
    positive_label: Option<usize>,
) -> BTreeMap<String, f64> {
    let mut values = BTreeMap::new();
    let scores = classification_metrics(matrix, positive_label);
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
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::translation::SegmentScorer;

    fn sentiment(cases: &[(usize, Option<usize>)], failed: usize) -> Observations {
        let mut observations: Vec<Observation> = cases
            .iter()
            .map(|&(expected, predicted)| Observation::Label {
                expected,
                predicted,
            })
            .collect();
        observations.extend(std::iter::repeat_n(Observation::Failed, failed));
        Observations {
            task: Task::Classify,
            labels: vec!["negative".into(), "neutral".into(), "positive".into()],
            positive_label: Some(2),
            cases: observations,
            repeats: Vec::new(),
        }
    }

    /// 40 cases: mostly right, some confusions, an `<invalid>`, and 2 failed calls.
    fn example() -> Observations {
        let mut cases = Vec::new();
        for i in 0..38 {
            let expected = i % 3;
            let predicted = match i % 7 {
                0 => Some((expected + 1) % 3),
                1 if i > 20 => None,
                _ => Some(expected),
            };
            cases.push((expected, predicted));
        }
        sentiment(&cases, 2)
    }

    #[test]
    fn every_proportion_is_the_share_its_metric_reports() {
        let observations = example();
        let all: Vec<usize> = (0..observations.cases.len()).collect();
        let values = observations.metrics(&all);
        let shares = observations.proportions(&all);
        for name in [
            "accuracy",
            "error_rate",
            "recall_micro",
            "precision_micro",
            "recall.neutral",
            "precision.positive",
            "recall",
            "precision",
        ] {
            let (successes, trials) = shares[name];
            assert_eq!(
                successes as f64 / trials as f64,
                values[name],
                "{name}: {successes}/{trials}"
            );
        }
    }

    #[test]
    fn intervals_hold_their_metric_and_are_the_same_every_time() {
        let observations = example();
        let all: Vec<usize> = (0..observations.cases.len()).collect();
        let values = observations.metrics(&all);
        let intervals = observations.intervals(0.95);
        assert_eq!(intervals, observations.intervals(0.95));
        assert_eq!(intervals["accuracy"].method, "wilson");
        assert_eq!(intervals["f1_macro"].method, "bootstrap");
        assert_eq!(intervals["f1.negative"].method, "bootstrap");
        assert!(!intervals.contains_key("support.negative"));
        for (name, interval) in &intervals {
            assert!(interval.low <= interval.high, "{name}: {interval:?}");
            assert!(
                interval.low <= values[name] && values[name] <= interval.high,
                "{name} = {} outside {interval:?}",
                values[name]
            );
        }
        // A wider level gives a wider interval.
        let wider = observations.intervals(0.99);
        for name in ["accuracy", "f1_macro"] {
            assert!(wider[name].low <= intervals[name].low, "{name}");
            assert!(wider[name].high >= intervals[name].high, "{name}");
        }
    }

    #[test]
    fn more_cases_give_narrower_intervals() {
        let small = example();
        let mut large = example();
        for _ in 0..9 {
            large.cases.extend(example().cases);
        }
        let (small, large) = (small.intervals(0.95), large.intervals(0.95));
        for name in ["accuracy", "f1_macro", "recall.neutral"] {
            let width = |i: &Interval| i.high - i.low;
            assert!(
                width(&large[name]) < width(&small[name]) / 2.0,
                "{name}: {:?} against {:?}",
                large[name],
                small[name]
            );
        }
    }

    #[test]
    fn a_translate_suite_gets_bootstrap_intervals_of_its_corpus_scores() {
        let mut scorer = SegmentScorer::default();
        let pairs = [
            ("Le chat est sur le tapis.", "Le chat est sur le tapis."),
            ("Il pleut.", "Il pleut aujourd'hui."),
            ("Bonjour tout le monde", "Bonjour à tous."),
            ("Je suis content.", "Je suis heureux."),
            ("Merci beaucoup.", "Merci beaucoup !"),
            ("Où est la gare ?", "Où se trouve la gare ?"),
        ];
        let cases = pairs
            .iter()
            .enumerate()
            .map(|(i, (hyp, reference))| Observation::Checked {
                passed: i % 2 == 0,
                segment: Some(Box::new(scorer.segment(hyp, &[reference]))),
            })
            .collect();
        let observations = Observations {
            task: Task::Translate,
            labels: Vec::new(),
            positive_label: None,
            cases,
            repeats: Vec::new(),
        };
        let intervals = observations.intervals(0.95);
        let names: Vec<&str> = intervals.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["bleu", "chrf", "chrf_pp", "error_rate", "pass_rate", "ter"]
        );
        assert_eq!(intervals["pass_rate"].method, "wilson");
        assert_eq!(intervals["chrf"].method, "bootstrap");
        assert!(intervals["chrf"].low < intervals["chrf"].high);
    }

    #[test]
    fn no_cases_no_intervals() {
        assert!(sentiment(&[], 0).intervals(0.95).is_empty());
        let failed_only = sentiment(&[], 3).intervals(0.95);
        assert_eq!(failed_only.keys().collect::<Vec<_>>(), ["error_rate"]);
    }
}
