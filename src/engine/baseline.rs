//! Regressions against a baseline run (`evalgate run --baseline BASE.json`, or
//! `EVALGATE_BASELINE` under `cargo test`): for each suite the baseline has, tests named
//! `<suite>::regression::<metric>` that fail when the metric got significantly worse, by the
//! tests `evalgate compare` makes, at the suite's `confidence`.
//!
//! A suite's regression tests judge:
//! - its correctness (`accuracy` for classify, `pass_rate` otherwise), by McNemar's exact test
//!   on the cases both runs have: it regressed when significantly more went right → wrong than
//!   wrong → right;
//! - its headline metric and every metric it has a floor on that a paired bootstrap compares
//!   (F1 of every kind, BLEU, chrF, chrF++, TER): it regressed when the interval of head − base
//!   lies wholly on the worse side of 0.

use crate::compare::{Direction, SuiteComparison, bootstrapped};
use crate::results::RunResults;
use crate::suite::{Suite, Task, number};
use std::fmt::Write;
use std::path::PathBuf;

/// A baseline run's results and where they came from.
#[derive(Debug)]
pub struct Baseline {
    pub path: PathBuf,
    pub results: RunResults,
}

impl Baseline {
    /// Reads a baseline; the error names the file and says what is wrong.
    pub fn read(path: PathBuf) -> Result<Baseline, String> {
        let results = RunResults::read(&path)?;
        Ok(Baseline { path, results })
    }

    /// The baseline's results of the suite named `name`.
    pub fn suite(&self, name: &str) -> Option<&crate::results::SuiteResults> {
        self.results.suites.iter().find(|s| s.name == name)
    }
}

/// The metric McNemar's test stands for: the share of cases that are right.
pub fn correctness_metric(task: Task) -> &'static str {
    match task {
        Task::Classify => "accuracy",
        Task::Generate | Task::Translate => "pass_rate",
    }
}

/// The metrics a suite's regression tests judge, in test order.
pub fn regression_metrics(suite: &Suite) -> Vec<String> {
    let mut metrics = vec![correctness_metric(suite.task).to_string()];
    let headline = crate::report::analysis::headline_metric(suite.task.name());
    let floored = suite.floors.iter().map(|f| f.name.as_str());
    for metric in std::iter::once(headline).chain(floored) {
        if bootstrapped(metric) && !metrics.iter().any(|m| m == metric) {
            metrics.push(metric.to_string());
        }
    }
    metrics
}

/// The verdict of one regression test.
#[derive(Clone, Debug, PartialEq)]
pub struct RegressionVerdict {
    pub metric: String,
    pub regressed: bool,
    /// The baseline's and this run's values of the metric, where both have one.
    pub base: Option<f64>,
    pub head: Option<f64>,
    /// McNemar's p-value (correctness) or the paired bootstrap interval of head − base.
    pub p_value: Option<f64>,
    pub interval: Option<(f64, f64)>,
    /// What the test found, in words: why it failed, or why it held.
    pub summary: String,
}

/// Judges `metric` of a suite's comparison with its baseline; `confidence` is the suite's.
pub fn judge(
    comparison: &SuiteComparison,
    metric: &str,
    task: Task,
    confidence: f64,
) -> RegressionVerdict {
    let delta = comparison.metrics.iter().find(|d| d.metric == metric);
    let mut verdict = RegressionVerdict {
        metric: metric.to_string(),
        regressed: false,
        base: delta.map(|d| d.base),
        head: delta.map(|d| d.head),
        p_value: None,
        interval: None,
        summary: String::new(),
    };
    let level = number(confidence * 100.0);
    if metric == correctness_metric(task) {
        let Some(test) = &comparison.mcnemar else {
            verdict.summary = "no case is in both runs: nothing to compare".to_string();
            return verdict;
        };
        let alpha = 1.0 - confidence;
        verdict.p_value = Some(test.p_value);
        verdict.regressed = test.p_value < alpha && test.right_to_wrong > test.wrong_to_right;
        let values = match (verdict.base, verdict.head) {
            (Some(base), Some(head)) => format!("{} → {}; ", number(base), number(head)),
            _ => String::new(),
        };
        verdict.summary = format!(
            "{values}{} of {} cases went right → wrong and {} wrong → right; McNemar's exact \
             test: p = {} ({} {alpha_shown}, the suite's {level}% confidence)",
            test.right_to_wrong,
            comparison.paired_cases,
            test.wrong_to_right,
            shown_p(test.p_value),
            if test.p_value < alpha { "<" } else { "≥" },
            alpha_shown = number(alpha),
        );
        return verdict;
    }
    match delta.and_then(|d| Some((d, d.interval?))) {
        Some((delta, interval)) => {
            verdict.interval = Some((interval.low, interval.high));
            verdict.regressed = delta.change == Some(Direction::Worse);
            verdict.summary = format!(
                "{} → {} (Δ {}); paired bootstrap {level}% interval of the change [{}, {}]{}",
                number(delta.base),
                number(delta.head),
                signed(delta.delta),
                signed(interval.low),
                signed(interval.high),
                match delta.change {
                    Some(Direction::Worse) => ", wholly on the worse side of 0",
                    Some(Direction::Better) => ", wholly on the better side of 0",
                    None => ", which holds 0: no significant change",
                }
            );
        }
        None => {
            verdict.summary = format!("{metric} cannot be compared: one of the runs has no value");
        }
    }
    verdict
}

/// The failure message of a regression test that failed.
pub fn message(
    verdict: &RegressionVerdict,
    comparison: &SuiteComparison,
    baseline: &Baseline,
    suite: &Suite,
    test: &str,
    repro: &super::Repro,
) -> String {
    let mut text = format!(
        "{} regressed against the baseline: {}\n",
        verdict.metric, verdict.summary
    );
    let run = &baseline.results;
    let _ = write!(text, "baseline: {}", baseline.path.display());
    if let Some(git) = &run.git {
        let _ = write!(text, " (commit {}", &git.commit[..git.commit.len().min(12)]);
        if let Some(branch) = &git.branch {
            let _ = write!(text, " on {branch}");
        }
        text.push(')');
    }
    let _ = writeln!(text, ", run {}", run.started_at);
    if !comparison.regressions.is_empty() {
        let shown = comparison.regressions.len().min(10);
        let _ = writeln!(
            text,
            "{} cases passed in the baseline and not now{}:",
            comparison.regressions.len(),
            if shown < comparison.regressions.len() {
                format!(", the first {shown}")
            } else {
                String::new()
            }
        );
        for flip in &comparison.regressions[..shown] {
            let _ = writeln!(
                text,
                "  {}  {} → {}",
                flip.test, flip.base.verdict, flip.head.verdict
            );
        }
    }
    let command = repro.command(suite, test, false);
    let path = baseline.path.display();
    let rerun = match repro {
        super::Repro::Cli { .. } => format!("{command} --baseline {path}"),
        super::Repro::Cargo { .. } => format!("EVALGATE_BASELINE={path} {command}"),
    };
    let _ = write!(text, "rerun:    {rerun}");
    text
}

fn shown_p(p: f64) -> String {
    if p != 0.0 && p < 1e-4 {
        format!("{p:.2e}")
    } else {
        number(p)
    }
}

fn signed(value: f64) -> String {
    if value > 0.0 {
        format!("+{}", number(value))
    } else {
        number(value)
    }
}
