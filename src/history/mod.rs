//! The run history: every recorded run's metrics, intervals, floors, label distribution and
//! per-case verdicts in an embedded SQLite database, read back as trends and checked for drift.
//!
//! - [`store`]: the database (`.evalgate/history.db` unless `--history-db` or
//!   `EVALGATE_HISTORY` say otherwise): its schema and migrations, recording a run, reading runs;
//! - [`filter`]: which runs and metrics a command looks at (suite, metric, model, branch, time);
//! - [`table`]: `evalgate history show`;
//! - [`drift`]: `evalgate history check`, the drift alerts;
//! - [`plot`]: `evalgate history plot` (SVG, HTML, Markdown with Mermaid charts) and the trend
//!   panels of the HTML report.
//!
//! A run is recorded from its results ([`RunRecord::from_results`]); what is kept is what trends
//! and drift checks need, not the whole results.json (no inputs, outputs or messages).
//!
//! Only with the `history` feature (on by default): without it SQLite is not compiled.

pub mod drift;
pub mod filter;
pub mod plot;
pub mod store;
pub mod table;

use crate::results::{RunResults, SuiteResults};
use std::collections::BTreeMap;

pub use filter::Filter;
pub use store::{History, Recorded};

/// Where the history lives unless `--history-db` or `EVALGATE_HISTORY` say otherwise.
pub const DEFAULT_PATH: &str = ".evalgate/history.db";

/// The environment variable that names the history database.
pub const ENV: &str = "EVALGATE_HISTORY";

/// One recorded run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// The row id in the database; 0 for a run that is not (yet) recorded.
    pub id: i64,
    /// What makes a run the same run when it is recorded twice: its start and commit.
    pub key: String,
    /// RFC 3339, UTC, as results.json has it.
    pub started_at: String,
    /// `started_at` in milliseconds since the Unix epoch, for ordering and filtering.
    pub started_ms: i64,
    pub duration_ms: f64,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub dirty: bool,
    pub evalgate_version: String,
    pub suites: Vec<SuiteRecord>,
}

/// One suite of a recorded run.
#[derive(Clone, Debug, PartialEq)]
pub struct SuiteRecord {
    /// The row id in the database; 0 when not recorded.
    pub id: i64,
    pub name: String,
    pub task: String,
    pub provider: String,
    /// The model as results.json names it: the command line, the model name, the function.
    pub identity: String,
    /// The level of the intervals, e.g. 0.95.
    pub confidence: f64,
    pub repeat: usize,
    pub metrics_cases: usize,
    /// Every metric by name, with its interval and the floor on it, if any.
    pub metrics: BTreeMap<String, MetricRecord>,
    /// classify: how often each label (and `<invalid>`) was predicted, every run of a
    /// repeated case counted.
    pub predictions: BTreeMap<String, u64>,
    /// The cases by id; empty unless read with [`store::History::load_cases`].
    pub cases: BTreeMap<String, CaseRecord>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MetricRecord {
    /// None for a metric that only a floor names (e.g. no case finished).
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub floor_min: Option<f64>,
    pub floor_max: Option<f64>,
}

impl MetricRecord {
    pub fn interval(&self) -> Option<(f64, f64)> {
        Some((self.low?, self.high?))
    }

    pub fn floored(&self) -> bool {
        self.floor_min.is_some() || self.floor_max.is_some()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CaseRecord {
    /// pass, fail, error or ignored.
    pub verdict: String,
    pub expected: Option<String>,
    /// classify: the label the output named (`<invalid>`); the first run's for a repeated case.
    pub predicted: Option<String>,
    pub latency_ms: Option<f64>,
}

impl RunRecord {
    /// What the history keeps of a run. Errors when `started_at` is not an RFC 3339 time.
    pub fn from_results(results: &RunResults) -> Result<RunRecord, String> {
        let started_ms = filter::parse_rfc3339(&results.started_at).ok_or_else(|| {
            format!(
                "started_at {:?} is not an RFC 3339 time",
                results.started_at
            )
        })?;
        let commit = results.git.as_ref().map(|g| g.commit.clone());
        Ok(RunRecord {
            id: 0,
            key: format!(
                "{} {}",
                results.started_at,
                commit.as_deref().unwrap_or("-")
            ),
            started_at: results.started_at.clone(),
            started_ms,
            duration_ms: results.duration_ms,
            branch: results.git.as_ref().and_then(|g| g.branch.clone()),
            dirty: results.git.as_ref().is_some_and(|g| g.dirty),
            commit,
            evalgate_version: results.evalgate_version.clone(),
            suites: results
                .suites
                .iter()
                .map(SuiteRecord::from_results)
                .collect(),
        })
    }

    pub fn suite(&self, name: &str) -> Option<&SuiteRecord> {
        self.suites.iter().find(|s| s.name == name)
    }

    /// The commit in 8 characters, `-` outside git; `+` marks uncommitted changes.
    pub fn short_commit(&self) -> String {
        match &self.commit {
            Some(commit) => {
                let short: String = commit.chars().take(8).collect();
                if self.dirty {
                    format!("{short}+")
                } else {
                    short
                }
            }
            None => "-".to_string(),
        }
    }

    /// The start as `2026-11-29 04:10:03Z`: to the second, readable.
    pub fn shown_time(&self) -> String {
        shown_time(&self.started_at)
    }
}

/// An RFC 3339 time as `2026-11-29 04:10:03Z` (the `T` a space, no fraction).
pub fn shown_time(rfc3339: &str) -> String {
    let text = rfc3339.replacen('T', " ", 1);
    match (text.find('.'), text.ends_with('Z')) {
        (Some(dot), true) => format!("{}Z", &text[..dot]),
        _ => text,
    }
}

impl SuiteRecord {
    fn from_results(suite: &SuiteResults) -> SuiteRecord {
        let mut metrics: BTreeMap<String, MetricRecord> = suite
            .metrics
            .iter()
            .map(|(name, value)| {
                let interval = suite.intervals.get(name);
                (
                    name.clone(),
                    MetricRecord {
                        value: Some(*value),
                        low: interval.map(|i| i.low),
                        high: interval.map(|i| i.high),
                        floor_min: None,
                        floor_max: None,
                    },
                )
            })
            .collect();
        for floor in &suite.floors {
            let metric = metrics
                .entry(floor.metric.clone())
                .or_insert_with(|| MetricRecord {
                    value: floor.value,
                    low: None,
                    high: None,
                    floor_min: None,
                    floor_max: None,
                });
            metric.floor_min = floor.min;
            metric.floor_max = floor.max;
        }
        let mut predictions: BTreeMap<String, u64> = BTreeMap::new();
        let mut cases = BTreeMap::new();
        for case in &suite.cases {
            match &case.runs {
                Some(runs) if !runs.predictions.is_empty() => {
                    for label in runs.predictions.iter().flatten() {
                        *predictions.entry(label.clone()).or_default() += 1;
                    }
                }
                _ => {
                    if let Some(label) = &case.predicted {
                        *predictions.entry(label.clone()).or_default() += 1;
                    }
                }
            }
            cases.insert(
                case.id.clone(),
                CaseRecord {
                    verdict: case.verdict.clone(),
                    expected: case.expected.clone(),
                    predicted: case.predicted.clone(),
                    latency_ms: case.latency_ms,
                },
            );
        }
        SuiteRecord {
            id: 0,
            name: suite.name.clone(),
            task: suite.task.clone(),
            provider: suite.model.provider.clone(),
            identity: suite.model.identity.clone(),
            confidence: suite.confidence,
            repeat: suite.repeat,
            metrics_cases: suite.metrics_cases,
            metrics,
            predictions,
            cases,
        }
    }

    /// `provider: identity`, as the reports name a model.
    pub fn model(&self) -> String {
        format!("{}: {}", self.provider, self.identity)
    }

    /// The metrics a trend or a drift check looks at unless told otherwise: the suite's
    /// headline metric (accuracy, pass_rate or chrf) and every metric it has a floor on.
    pub fn default_metrics(&self) -> Vec<String> {
        let headline = crate::report::analysis::headline_metric(&self.task);
        let mut names = vec![headline.to_string()];
        for (name, metric) in &self.metrics {
            if metric.floored() && name != headline {
                names.push(name.clone());
            }
        }
        names
    }
}

/// Whether a smaller value of the metric is better: error rate, latencies, token counts, TER.
pub fn lower_is_better(metric: &str) -> bool {
    matches!(metric, "error_rate" | "ter" | "tokens_total") || metric.starts_with("latency_")
}
