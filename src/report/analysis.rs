//! What the reports point a reader to, computed from the results alone: the slices (tags) that
//! do worst against their whole suite, and the wrong answers of a classifier grouped by the
//! confusion they show (which label was taken for which).

use crate::results::{CaseResult, SuiteResults};

/// The metric that stands for a suite's quality in comparisons: `accuracy` for classify,
/// `pass_rate` for generate, `chrf` for translate (a sentence-friendly score, unlike BLEU).
pub fn headline_metric(task: &str) -> &'static str {
    match task {
        "classify" => "accuracy",
        "translate" => "chrf",
        _ => "pass_rate",
    }
}

/// A tag whose cases score below the suite as a whole on its headline metric.
#[derive(Clone, Debug, PartialEq)]
pub struct SliceGap<'a> {
    pub tag: &'a str,
    pub cases: usize,
    pub metric: &'static str,
    pub value: f64,
    pub suite_value: f64,
}

impl SliceGap<'_> {
    /// How far below the suite the slice is (negative).
    pub fn gap(&self) -> f64 {
        self.value - self.suite_value
    }
}

/// The slices below their suite on its headline metric, worst first (ties by tag name), at most
/// `limit`. A slice of the whole suite (every case tagged alike) is never below it.
pub fn worst_slices(suite: &SuiteResults, limit: usize) -> Vec<SliceGap<'_>> {
    let metric = headline_metric(&suite.task);
    let Some(&suite_value) = suite.metrics.get(metric) else {
        return Vec::new();
    };
    let mut gaps: Vec<SliceGap> = suite
        .slices
        .iter()
        .filter_map(|slice| {
            let value = *slice.metrics.get(metric)?;
            (value < suite_value).then_some(SliceGap {
                tag: &slice.tag,
                cases: slice.cases,
                metric,
                value,
                suite_value,
            })
        })
        .collect();
    gaps.sort_by(|a, b| a.gap().total_cmp(&b.gap()).then(a.tag.cmp(b.tag)));
    gaps.truncate(limit);
    gaps
}

/// The wrong answers of a classify suite that share an expected and a predicted label.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfusionGroup<'a> {
    pub expected: &'a str,
    /// A label, or `<invalid>`.
    pub predicted: &'a str,
    pub cases: Vec<&'a CaseResult>,
}

/// Misclassified cases grouped by (expected, predicted), the largest group first (ties in label
/// order); cases within a group in suite order.
pub fn confusion_groups(suite: &SuiteResults) -> Vec<ConfusionGroup<'_>> {
    let mut groups: Vec<ConfusionGroup> = Vec::new();
    for case in &suite.cases {
        let (Some(expected), Some(predicted)) = (&case.expected, &case.predicted) else {
            continue;
        };
        if expected == predicted {
            continue;
        }
        match groups
            .iter_mut()
            .find(|g| g.expected == expected && g.predicted == predicted)
        {
            Some(group) => group.cases.push(case),
            None => groups.push(ConfusionGroup {
                expected,
                predicted,
                cases: vec![case],
            }),
        }
    }
    let position = |label: &str| {
        suite
            .labels
            .iter()
            .position(|l| l == label)
            .unwrap_or(suite.labels.len())
    };
    groups.sort_by(|a, b| {
        b.cases
            .len()
            .cmp(&a.cases.len())
            .then(position(a.expected).cmp(&position(b.expected)))
            .then(position(a.predicted).cmp(&position(b.predicted)))
    });
    groups
}
