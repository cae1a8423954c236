//! Metric names as written in `[floors]`, and the bounds a suite sets on them.

use super::{SourceLine, Task};

/// A bound on one metric, from `[floors]`.
#[derive(Clone, Debug)]
pub struct Floor {
    /// The metric's name as written, e.g. `recall.negative`.
    pub name: String,
    pub metric: Metric,
    pub bound: Bound,
    pub source: SourceLine,
}

/// `metric = 0.8` is a minimum; `{ min = .. }`, `{ max = .. }` or both give explicit bounds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bound {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Bound {
    /// A minimum alone: what a bare number in `[floors]` or a `min_chrf` sets.
    pub fn at_least(min: f64) -> Bound {
        Bound {
            min: Some(min),
            max: None,
        }
    }

    pub fn holds(&self, value: f64) -> bool {
        !value.is_nan()
            && self.min.is_none_or(|min| value >= min)
            && self.max.is_none_or(|max| value <= max)
    }

    /// A value as a person reads it beside this bound: rounded like [`number`], unless it would
    /// then read the same as a limit it breaks (`0.6667 ≥ 0.6667`), when it is shown whole.
    pub fn show_value(&self, value: f64) -> String {
        let rounded = number(value);
        let ambiguous = [self.min, self.max]
            .into_iter()
            .flatten()
            .any(|limit| limit != value && number(limit) == rounded);
        if ambiguous {
            value.to_string()
        } else {
            rounded
        }
    }

    /// `≥ 0.8`, `≤ 2000`, or `≥ 0.1 and ≤ 0.9`.
    pub fn describe(&self) -> String {
        match (self.min, self.max) {
            (Some(min), Some(max)) => format!("≥ {} and ≤ {}", number(min), number(max)),
            (Some(min), None) => format!("≥ {}", number(min)),
            (None, Some(max)) => format!("≤ {}", number(max)),
            (None, None) => "unbounded".to_string(),
        }
    }
}

/// What is wrong with a `min_chrf` / `min_bleu` value, if anything: the message and a hint.
pub(super) fn sentence_score_problem(key: &str, score: f64) -> Option<(String, &'static str)> {
    (!(0.0..=100.0).contains(&score)).then(|| {
        (
            format!(
                "`{key}` is {}, but sentence scores run from 0 to 100",
                number(score)
            ),
            "sacreBLEU's scale: 100 is identical to a reference",
        )
    })
}

/// A number as a person writes it: no trailing zeros, at most 4 decimals.
pub fn number(value: f64) -> String {
    if value.is_nan() {
        return "n/a".to_string();
    }
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Score {
    Precision,
    Recall,
    F1,
}

impl Score {
    const ALL: [Score; 3] = [Score::Precision, Score::Recall, Score::F1];

    pub fn name(self) -> &'static str {
        match self {
            Score::Precision => "precision",
            Score::Recall => "recall",
            Score::F1 => "f1",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Average {
    Micro,
    Macro,
    Weighted,
}

impl Average {
    const ALL: [Average; 3] = [Average::Micro, Average::Macro, Average::Weighted];

    pub fn name(self) -> &'static str {
        match self {
            Average::Micro => "micro",
            Average::Macro => "macro",
            Average::Weighted => "weighted",
        }
    }
}

/// A metric a floor can bound. Names are those of DESIGN's "Metrics".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Accuracy,
    /// `precision.<label>`, `recall.<label>`, `f1.<label>`; `label` indexes the suite's labels.
    PerLabel {
        score: Score,
        label: usize,
    },
    /// `support.<label>`: how many cases expect the label.
    Support {
        label: usize,
    },
    /// `precision_macro`, `f1_weighted`, ...
    Average {
        score: Score,
        average: Average,
    },
    /// `precision`, `recall`, `f1` of the suite's `positive_label`.
    Binary(Score),
    PassRate,
    /// translate: sacreBLEU's corpus BLEU, chrF, chrF++ and TER, on its 0 to 100 scale.
    Bleu,
    Chrf,
    ChrfPlusPlus,
    Ter,
    ErrorRate,
    LatencyP50,
    LatencyP95,
    LatencyMax,
    TokensTotal,
}

/// What values a metric takes, for range checks of floors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// 0 to 1.
    Proportion,
    /// 0 to 100, as sacreBLEU reports BLEU and chrF.
    Points,
    /// 0 and up.
    Count,
}

const COMMON: [&str; 5] = [
    "error_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_max_ms",
    "tokens_total",
];

impl Metric {
    /// Parses a floor key for a suite with this task and label set.
    pub fn parse(
        name: &str,
        task: Task,
        labels: &[String],
        positive_label: Option<usize>,
    ) -> Option<Metric> {
        let metric = match name {
            "error_rate" => Metric::ErrorRate,
            "latency_p50_ms" => Metric::LatencyP50,
            "latency_p95_ms" => Metric::LatencyP95,
            "latency_max_ms" => Metric::LatencyMax,
            "tokens_total" => Metric::TokensTotal,
            "pass_rate" if task.has_checks() => Metric::PassRate,
            "bleu" if task == Task::Translate => Metric::Bleu,
            "chrf" if task == Task::Translate => Metric::Chrf,
            "chrf_pp" if task == Task::Translate => Metric::ChrfPlusPlus,
            "ter" if task == Task::Translate => Metric::Ter,
            _ if task != Task::Classify => return None,
            "accuracy" => Metric::Accuracy,
            "precision" | "recall" | "f1" => {
                positive_label?;
                Metric::Binary(Score::ALL.into_iter().find(|s| s.name() == name)?)
            }
            _ => {
                if let Some((kind, label)) = name.split_once('.') {
                    let label = labels.iter().position(|l| l == label)?;
                    if kind == "support" {
                        Metric::Support { label }
                    } else {
                        let score = Score::ALL.into_iter().find(|s| s.name() == kind)?;
                        Metric::PerLabel { score, label }
                    }
                } else {
                    let (kind, average) = name.split_once('_')?;
                    let score = Score::ALL.into_iter().find(|s| s.name() == kind)?;
                    let average = Average::ALL.into_iter().find(|a| a.name() == average)?;
                    Metric::Average { score, average }
                }
            }
        };
        Some(metric)
    }

    /// Every metric name a suite of this shape can bound, for hints.
    pub fn known_names(
        task: Task,
        labels: &[String],
        positive_label: Option<usize>,
    ) -> Vec<String> {
        let mut names = Vec::new();
        match task {
            Task::Classify => {
                names.push("accuracy".to_string());
                if positive_label.is_some() {
                    names.extend(Score::ALL.iter().map(|s| s.name().to_string()));
                }
                for score in Score::ALL {
                    for average in Average::ALL {
                        names.push(format!("{}_{}", score.name(), average.name()));
                    }
                }
                for label in labels {
                    for kind in ["precision", "recall", "f1", "support"] {
                        names.push(format!("{kind}.{label}"));
                    }
                }
            }
            Task::Generate => names.push("pass_rate".to_string()),
            Task::Translate => names.extend(
                ["bleu", "chrf", "chrf_pp", "ter", "pass_rate"]
                    .iter()
                    .map(|s| s.to_string()),
            ),
        }
        names.extend(COMMON.iter().map(|s| s.to_string()));
        names
    }

    pub fn scale(self) -> Scale {
        match self {
            Metric::Support { .. }
            | Metric::LatencyP50
            | Metric::LatencyP95
            | Metric::LatencyMax
            | Metric::TokensTotal
            | Metric::Ter => Scale::Count,
            Metric::Bleu | Metric::Chrf | Metric::ChrfPlusPlus => Scale::Points,
            _ => Scale::Proportion,
        }
    }

    /// Metrics where smaller is better; a bare number would be a minimum, which is never meant.
    pub fn lower_is_better(self) -> bool {
        matches!(
            self,
            Metric::ErrorRate
                | Metric::LatencyP50
                | Metric::LatencyP95
                | Metric::LatencyMax
                | Metric::TokensTotal
                | Metric::Ter
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        ["negative", "neutral", "positive"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn parses_every_known_name_back() {
        for task in [Task::Classify, Task::Generate, Task::Translate] {
            for name in Metric::known_names(task, &labels(), Some(2)) {
                assert!(
                    Metric::parse(&name, task, &labels(), Some(2)).is_some(),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn names_map_to_metrics() {
        let parse = |n| Metric::parse(n, Task::Classify, &labels(), None);
        assert_eq!(
            parse("recall.negative"),
            Some(Metric::PerLabel {
                score: Score::Recall,
                label: 0
            })
        );
        assert_eq!(
            parse("f1_weighted"),
            Some(Metric::Average {
                score: Score::F1,
                average: Average::Weighted
            })
        );
        assert_eq!(
            parse("support.positive"),
            Some(Metric::Support { label: 2 })
        );
        assert_eq!(parse("recall.nope"), None);
        assert_eq!(parse("f1"), None, "binary metrics need a positive_label");
        assert_eq!(parse("pass_rate"), None, "pass_rate belongs to generate");
        assert_eq!(parse("bleu"), None, "bleu belongs to translate");
        let translate = |n| Metric::parse(n, Task::Translate, &[], None);
        assert_eq!(translate("chrf_pp"), Some(Metric::ChrfPlusPlus));
        assert!(translate("ter").is_some_and(Metric::lower_is_better));
        assert_eq!(translate("accuracy"), None);
    }

    #[test]
    fn bounds_and_numbers() {
        let bound = Bound {
            min: Some(0.8),
            max: None,
        };
        assert!(bound.holds(0.8) && !bound.holds(0.79) && !bound.holds(f64::NAN));
        assert_eq!(
            Bound {
                min: None,
                max: Some(2000.0)
            }
            .describe(),
            "≤ 2000"
        );
        assert_eq!(number(0.81234567), "0.8123");
        let two_thirds = Bound {
            min: Some(0.66667),
            max: None,
        };
        assert_eq!(two_thirds.show_value(2.0 / 3.0), "0.6666666666666666");
        assert_eq!(two_thirds.show_value(0.5), "0.5");
    }
}
