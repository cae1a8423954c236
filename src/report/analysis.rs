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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn suite(task: &str, extra: serde_json::Value) -> SuiteResults {
        let mut suite = json!({
            "name": "s", "file": "s.toml", "task": task,
            "model": {"provider": "fn", "identity": "m"},
            "labels": ["negative", "neutral", "positive"],
            "fail_on": ["case", "floor"],
            "cases_summary": {"passed": 0, "failed": 0, "errored": 0, "ignored": 0, "not_gating": 0},
            "metrics_cases": 0, "metrics": {}, "floors": [], "cases": []
        });
        suite
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(suite).unwrap()
    }

    fn case(id: &str, expected: &str, predicted: &str) -> serde_json::Value {
        json!({"id": id, "test": format!("s::{id}"), "file": "s.toml", "line": 1, "input": id,
               "prompt": id, "verdict": if expected == predicted { "pass" } else { "fail" },
               "gating": true, "expected": expected, "predicted": predicted})
    }

    #[test]
    fn worst_slices_are_those_below_the_suite_largest_gap_first() {
        let suite = suite(
            "classify",
            json!({
                "metrics": {"accuracy": 0.6},
                "slices": [
                    {"tag": "a", "cases": 10, "metrics": {"accuracy": 0.5}},
                    {"tag": "b", "cases": 4, "metrics": {"accuracy": 0.25}},
                    {"tag": "c", "cases": 8, "metrics": {"accuracy": 0.9}},
                    {"tag": "d", "cases": 3, "metrics": {"accuracy": 0.5}},
                    {"tag": "e", "cases": 3, "metrics": {}}
                ]
            }),
        );
        let worst: Vec<(&str, f64)> = worst_slices(&suite, 5)
            .iter()
            .map(|g| (g.tag, g.gap()))
            .collect();
        assert_eq!(worst.len(), 3, "{worst:?}");
        assert_eq!(worst[0].0, "b");
        assert!((worst[0].1 + 0.35).abs() < 1e-12);
        assert_eq!([worst[1].0, worst[2].0], ["a", "d"], "ties by tag name");
        assert_eq!(worst_slices(&suite, 1).len(), 1);
        let translate = suite_with_chrf();
        assert_eq!(worst_slices(&translate, 3)[0].metric, "chrf");
    }

    fn suite_with_chrf() -> SuiteResults {
        suite(
            "translate",
            json!({"metrics": {"chrf": 50.0, "bleu": 10.0},
                   "slices": [{"tag": "q", "cases": 2, "metrics": {"chrf": 40.0, "bleu": 30.0}}]}),
        )
    }

    #[test]
    fn wrong_answers_group_by_expected_and_predicted_largest_first() {
        let suite = suite(
            "classify",
            json!({"cases": [
                case("1", "negative", "positive"),
                case("2", "neutral", "<invalid>"),
                case("3", "negative", "positive"),
                case("4", "positive", "positive"),
                case("5", "neutral", "positive"),
                case("6", "negative", "neutral"),
            ]}),
        );
        let groups: Vec<(&str, &str, Vec<&str>)> = confusion_groups(&suite)
            .iter()
            .map(|g| {
                let ids = g.cases.iter().map(|c| c.id.as_str()).collect();
                (g.expected, g.predicted, ids)
            })
            .collect();
        assert_eq!(
            groups,
            [
                ("negative", "positive", vec!["1", "3"]),
                ("negative", "neutral", vec!["6"]),
                ("neutral", "positive", vec!["5"]),
                ("neutral", "<invalid>", vec!["2"]),
            ]
        );
    }
}
