//! `evalgate history check`: the latest run of each suite against its rolling baseline, the
//! runs recorded just before it, and an alert for each way it drifted:
//!
//! - **metric**: a judged metric (by default the suite's headline metric and every metric it has
//!   a floor on; `--metric` chooses others) is worse than the baseline — the mean of its values
//!   in the last K runs (`--window`, 5) — by more than its interval: the baseline lies outside
//!   the latest run's confidence interval, on the worse side. Metrics without an interval
//!   (latencies, counts) are not judged this way;
//! - **label distribution** (classify): the predicted labels of the latest run against those of
//!   the baseline runs pooled, by the population stability index and Pearson's chi-square
//!   test of homogeneity; the alert needs both, a shift large enough to matter (PSI above
//!   0.2) and unlikely to be sampling noise (p below 0.01);
//! - **latency**: `latency_p95_ms` above the baseline's mean times a ratio (1.5), and by at
//!   least a few milliseconds (20), so that the jitter of a fast local model is not an alert.
//!
//! Every alert names its suite and metric, the runs compared (times and commits), and the cases
//! that changed most: the cases that passed in the baseline runs and fail now (most baseline
//! passes first), the cases whose predicted label changed, or the cases that slowed most.

use super::{CaseRecord, Filter, History, RunRecord, SuiteRecord, lower_is_better};
use crate::diagnostic::Diagnostic;
use crate::report::markdown::{cell, code};
use crate::stats::{ChiSquare, chi_square_homogeneity, population_stability_index};
use crate::suite::number;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The thresholds of the alerts (`evalgate history check` flags).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Runs in the baseline: the K recorded just before the latest.
    pub window: usize,
    /// Population stability index above which a label distribution has shifted.
    pub psi: f64,
    /// Chi-square p-value below which the shift is not sampling noise.
    pub p_value: f64,
    /// How many times the baseline's p95 latency the latest must exceed.
    pub latency_ratio: f64,
    /// By how many milliseconds at least.
    pub latency_min_ms: f64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            window: 5,
            psi: 0.2,
            p_value: 0.01,
            latency_ratio: 1.5,
            latency_min_ms: 20.0,
        }
    }
}

/// Cases listed under an alert.
pub const LISTED_CASES: usize = 10;

/// The latency percentile the latency alert watches.
pub const LATENCY_METRIC: &str = "latency_p95_ms";

/// The outcome of a check: each suite's latest run against its baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub settings: Settings,
    /// The database, as the user named it.
    pub database: String,
    pub suites: Vec<SuiteDrift>,
}

/// A run as an alert names it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    pub started_at: String,
    /// The commit in 8 characters (`+`: uncommitted changes), `-` outside git.
    pub commit: String,
    pub branch: Option<String>,
    /// `provider: identity`.
    pub model: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SuiteDrift {
    pub suite: String,
    pub latest: RunInfo,
    /// The baseline runs, oldest first; empty when the suite has one recorded run.
    pub baseline: Vec<RunInfo>,
    /// The metrics judged against their baseline, with the latest value and the baseline mean.
    pub judged: Vec<(String, f64, f64)>,
    pub alerts: Vec<Alert>,
    /// Cases that passed in a baseline run and fail or err now, most baseline passes first.
    pub flips: Vec<Flip>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Alert {
    Metric {
        metric: String,
        value: f64,
        low: f64,
        high: f64,
        /// The level of the interval, e.g. 0.95.
        confidence: f64,
        /// The mean of the baseline runs' values.
        baseline: f64,
        /// Each baseline run's value, oldest first (None: the run lacks the metric).
        baseline_values: Vec<Option<f64>>,
    },
    Distribution {
        psi: f64,
        test: ChiSquare,
        /// Per label: the baseline runs' pooled count, the latest run's.
        counts: Vec<(String, u64, u64)>,
        /// Cases whose predicted label is not the one the baseline runs gave them.
        changes: Vec<LabelChange>,
    },
    Latency {
        value: f64,
        baseline: f64,
        /// Each baseline run's p95 latency, oldest first.
        baseline_values: Vec<Option<f64>>,
        /// The cases whose latency grew most.
        slowest: Vec<LatencyChange>,
    },
}

impl Alert {
    /// The metric the alert is about.
    pub fn metric(&self) -> &str {
        match self {
            Alert::Metric { metric, .. } => metric,
            Alert::Distribution { .. } => "label distribution",
            Alert::Latency { .. } => LATENCY_METRIC,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Flip {
    pub case: String,
    /// Baseline runs the case passed in, and those it was in.
    pub passed_before: usize,
    pub runs_before: usize,
    /// fail or error.
    pub verdict: String,
    pub expected: Option<String>,
    pub predicted: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LabelChange {
    pub case: String,
    /// The label the baseline runs gave most often, and in how many of them.
    pub before: String,
    pub agreeing: usize,
    pub now: String,
    pub expected: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LatencyChange {
    pub case: String,
    /// The mean over the baseline runs, in ms.
    pub before: f64,
    pub now: f64,
}

impl Report {
    pub fn alerts(&self) -> usize {
        self.suites.iter().map(|s| s.alerts.len()).sum()
    }
}

/// Checks the latest run of every suite among `runs` (in time order, filtered) against the
/// runs before it. Reads the cases of the runs compared from `history`.
pub fn check(
    history: &History,
    runs: &[RunRecord],
    filter: &Filter,
    settings: &Settings,
    database: &str,
) -> Result<Report, Diagnostic> {
    // The suites of the newest run (or those --suite names): a suite no longer run would
    // otherwise raise its last alert for ever.
    let mut names: Vec<&str> = Vec::new();
    let judged = |name: &str| filter.suites.is_empty() || filter.suites.iter().any(|s| s == name);
    let newest = runs.last().map(|r| r.suites.as_slice()).unwrap_or_default();
    let candidates: Vec<&SuiteRecord> = if filter.suites.is_empty() {
        newest.iter().collect()
    } else {
        runs.iter().flat_map(|r| &r.suites).collect()
    };
    for suite in candidates {
        if judged(&suite.name) && !names.contains(&suite.name.as_str()) {
            names.push(&suite.name);
        }
    }
    names.sort_unstable();
    let mut suites = Vec::new();
    for name in names {
        let series: Vec<(&RunRecord, &SuiteRecord)> = runs
            .iter()
            .filter_map(|run| Some((run, run.suite(name)?)))
            .collect();
        let Some((&(latest_run, latest), before)) = series.split_last() else {
            continue;
        };
        let baseline = &before[before.len().saturating_sub(settings.window)..];
        let mut latest = latest.clone();
        history.load_cases(&mut latest)?;
        let mut baseline_suites = Vec::with_capacity(baseline.len());
        for (_, suite) in baseline {
            let mut suite = (*suite).clone();
            history.load_cases(&mut suite)?;
            baseline_suites.push(suite);
        }
        let baseline_runs: Vec<&RunRecord> = baseline.iter().map(|(run, _)| *run).collect();
        suites.push(check_suite(
            latest_run,
            &latest,
            &baseline_runs,
            &baseline_suites,
            filter,
            settings,
        ));
    }
    Ok(Report {
        settings: settings.clone(),
        database: database.to_string(),
        suites,
    })
}

fn info(run: &RunRecord, suite: &SuiteRecord) -> RunInfo {
    RunInfo {
        started_at: run.shown_time(),
        commit: run.short_commit(),
        branch: run.branch.clone(),
        model: suite.model(),
    }
}

/// One suite: its latest run against the baseline runs (with their cases).
pub fn check_suite(
    latest_run: &RunRecord,
    latest: &SuiteRecord,
    baseline_runs: &[&RunRecord],
    baseline: &[SuiteRecord],
    filter: &Filter,
    settings: &Settings,
) -> SuiteDrift {
    let mut drift = SuiteDrift {
        suite: latest.name.clone(),
        latest: info(latest_run, latest),
        baseline: baseline_runs
            .iter()
            .zip(baseline)
            .map(|(run, suite)| info(run, suite))
            .collect(),
        judged: Vec::new(),
        alerts: Vec::new(),
        flips: flips(latest, baseline),
    };
    if baseline.is_empty() {
        return drift;
    }
    let values_of = |metric: &str| -> Vec<Option<f64>> {
        baseline
            .iter()
            .map(|s| s.metrics.get(metric).and_then(|m| m.value))
            .collect()
    };
    for metric in filter.metrics_of(latest) {
        let Some(record) = latest.metrics.get(&metric) else {
            continue;
        };
        let (Some(value), Some((low, high))) = (record.value, record.interval()) else {
            continue;
        };
        let baseline_values = values_of(&metric);
        let Some(mean) = mean(&baseline_values) else {
            continue;
        };
        drift.judged.push((metric.clone(), value, mean));
        let worse = if lower_is_better(&metric) {
            low > mean
        } else {
            high < mean
        };
        if worse {
            drift.alerts.push(Alert::Metric {
                metric,
                value,
                low,
                high,
                confidence: latest.confidence,
                baseline: mean,
                baseline_values,
            });
        }
    }
    if let Some(alert) = distribution(latest, baseline, settings) {
        drift.alerts.push(alert);
    }
    if let Some(alert) = latency(latest, baseline, settings, values_of(LATENCY_METRIC)) {
        drift.alerts.push(alert);
    }
    drift
}

fn mean(values: &[Option<f64>]) -> Option<f64> {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    (!present.is_empty()).then(|| present.iter().sum::<f64>() / present.len() as f64)
}

/// Cases that passed in some baseline run and did not pass now.
fn flips(latest: &SuiteRecord, baseline: &[SuiteRecord]) -> Vec<Flip> {
    let mut flips: Vec<Flip> = latest
        .cases
        .iter()
        .filter(|(_, case)| matches!(case.verdict.as_str(), "fail" | "error"))
        .filter_map(|(id, case)| {
            let before: Vec<&CaseRecord> =
                baseline.iter().filter_map(|s| s.cases.get(id)).collect();
            let passed_before = before.iter().filter(|c| c.verdict == "pass").count();
            (passed_before > 0).then(|| Flip {
                case: id.clone(),
                passed_before,
                runs_before: before.len(),
                verdict: case.verdict.clone(),
                expected: case.expected.clone(),
                predicted: case.predicted.clone(),
            })
        })
        .collect();
    flips.sort_by(|a, b| {
        b.passed_before
            .cmp(&a.passed_before)
            .then(a.case.cmp(&b.case))
    });
    flips
}

fn distribution(
    latest: &SuiteRecord,
    baseline: &[SuiteRecord],
    settings: &Settings,
) -> Option<Alert> {
    if latest.task != "classify" || latest.predictions.is_empty() {
        return None;
    }
    let mut pooled: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for suite in baseline {
        for (label, count) in &suite.predictions {
            pooled.entry(label).or_default().0 += count;
        }
    }
    for (label, count) in &latest.predictions {
        pooled.entry(label).or_default().1 += count;
    }
    let (before, now): (Vec<u64>, Vec<u64>) = pooled.values().copied().unzip();
    let psi = population_stability_index(&before, &now)?;
    let test = chi_square_homogeneity(&[before, now])?;
    if !(psi > settings.psi && test.p_value < settings.p_value) {
        return None;
    }
    let counts = pooled
        .into_iter()
        .map(|(label, (b, n))| (label.to_string(), b, n))
        .collect();
    Some(Alert::Distribution {
        psi,
        test,
        counts,
        changes: label_changes(latest, baseline),
    })
}

/// Cases whose label now differs from the one the baseline runs gave most often (the latest
/// of them on a tie); cases the baseline agreed on most first.
fn label_changes(latest: &SuiteRecord, baseline: &[SuiteRecord]) -> Vec<LabelChange> {
    let mut changes: Vec<LabelChange> = latest
        .cases
        .iter()
        .filter_map(|(id, case)| {
            let now = case.predicted.as_ref()?;
            let mut votes: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            for (order, suite) in baseline.iter().enumerate() {
                if let Some(label) = suite.cases.get(id).and_then(|c| c.predicted.as_deref()) {
                    let vote = votes.entry(label).or_default();
                    vote.0 += 1;
                    vote.1 = order;
                }
            }
            let (before, (agreeing, _)) = votes.into_iter().max_by_key(|(_, vote)| *vote)?;
            (before != now).then(|| LabelChange {
                case: id.clone(),
                before: before.to_string(),
                agreeing,
                now: now.clone(),
                expected: case.expected.clone(),
            })
        })
        .collect();
    changes.sort_by(|a, b| b.agreeing.cmp(&a.agreeing).then(a.case.cmp(&b.case)));
    changes
}

fn latency(
    latest: &SuiteRecord,
    baseline: &[SuiteRecord],
    settings: &Settings,
    baseline_values: Vec<Option<f64>>,
) -> Option<Alert> {
    let value = latest.metrics.get(LATENCY_METRIC)?.value?;
    let before = mean(&baseline_values)?;
    if !(before > 0.0
        && value > settings.latency_ratio * before
        && value - before >= settings.latency_min_ms)
    {
        return None;
    }
    let mut slowest: Vec<LatencyChange> = latest
        .cases
        .iter()
        .filter_map(|(id, case)| {
            let now = case.latency_ms?;
            let earlier: Vec<Option<f64>> = baseline
                .iter()
                .map(|s| s.cases.get(id).and_then(|c| c.latency_ms))
                .collect();
            Some(LatencyChange {
                case: id.clone(),
                before: mean(&earlier)?,
                now,
            })
        })
        .filter(|change| change.now > change.before)
        .collect();
    slowest.sort_by(|a, b| {
        (b.now - b.before)
            .total_cmp(&(a.now - a.before))
            .then(a.case.cmp(&b.case))
    });
    slowest.truncate(LISTED_CASES);
    Some(Alert::Latency {
        value,
        baseline: before,
        baseline_values,
        slowest,
    })
}

// ---------------------------------------------------------------------------------------------
// Markdown

impl Report {
    /// The report as a Markdown section: `## evalgate history: drift` with an alert per
    /// subsection, or `## evalgate history: no drift` with what was compared.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let alerts = self.alerts();
        let compared = self
            .suites
            .iter()
            .filter(|s| !s.baseline.is_empty())
            .count();
        let window = self.settings.window;
        if alerts == 0 {
            out.push_str("## evalgate history: no drift\n\n");
            let _ = writeln!(
                out,
                "The latest run of {} against up to {window} run{} before it, from {}.\n",
                plural(self.suites.len(), "suite"),
                if window == 1 { "" } else { "s" },
                code(&self.database),
            );
        } else {
            out.push_str("## evalgate history: drift\n\n");
            let drifted = self.suites.iter().filter(|s| !s.alerts.is_empty()).count();
            let _ = writeln!(
                out,
                "❌ **{}** in {drifted} of {}: the latest run of each suite against up to \
                 {window} run{} before it, from {}.\n",
                plural(alerts, "alert"),
                plural(self.suites.len(), "suite"),
                if window == 1 { "" } else { "s" },
                code(&self.database),
            );
        }
        for suite in &self.suites {
            suite.markdown(&mut out, &self.settings);
        }
        if compared < self.suites.len() {
            out.push_str(
                "A suite with one recorded run has no baseline yet: it is checked from its \
                 second run on.\n",
            );
        }
        out
    }
}

impl SuiteDrift {
    fn markdown(&self, out: &mut String, settings: &Settings) {
        if self.baseline.is_empty() {
            let _ = writeln!(
                out,
                "### {} · one run\n\nOnly the run of {} is recorded: nothing to compare yet.\n",
                self.suite,
                run_text(&self.latest)
            );
            return;
        }
        if self.alerts.is_empty() {
            let _ = write!(out, "### ✅ {} · no drift\n\n", self.suite);
            let figures: Vec<String> = self
                .judged
                .iter()
                .map(|(metric, value, baseline)| {
                    format!(
                        "{} {} (baseline {})",
                        code(metric),
                        number(*value),
                        number(*baseline)
                    )
                })
                .collect();
            let _ = writeln!(out, "{}\n", self.runs_compared());
            if !figures.is_empty() {
                let _ = writeln!(out, "{}.\n", figures.join(", "));
            }
            return;
        }
        let _ = write!(
            out,
            "### ❌ {} · {}\n\n{}\n\n",
            self.suite,
            plural(self.alerts.len(), "alert"),
            self.runs_compared()
        );
        for alert in &self.alerts {
            self.alert_markdown(out, alert, settings);
        }
        self.flips_markdown(out);
    }

    /// `Runs compared: the latest, 2026-11-29 04:10:03Z `abc12345` on `main`, against 5 runs
    /// from ... to ...: `a`, `b`, ...`
    fn runs_compared(&self) -> String {
        let first = &self.baseline[0];
        let last = &self.baseline[self.baseline.len() - 1];
        let mut commits: Vec<String> = Vec::new();
        for run in &self.baseline {
            let commit = code(&run.commit);
            if !commits.contains(&commit) {
                commits.push(commit);
            }
        }
        let span = if self.baseline.len() == 1 {
            format!("the run of {} {}", first.started_at, commits[0])
        } else {
            format!(
                "{} runs from {} to {} ({} {})",
                self.baseline.len(),
                first.started_at,
                last.started_at,
                if commits.len() == 1 {
                    "commit"
                } else {
                    "commits"
                },
                commits.join(", ")
            )
        };
        let mut text = format!(
            "Runs compared: the latest, {}, against {span}.",
            run_text(&self.latest)
        );
        if let Some(before) = self
            .baseline
            .iter()
            .rev()
            .find(|r| r.model != self.latest.model)
        {
            let _ = write!(
                text,
                " The model changed: {} before, {} now.",
                code(&before.model),
                code(&self.latest.model)
            );
        }
        text
    }

    fn alert_markdown(&self, out: &mut String, alert: &Alert, settings: &Settings) {
        match alert {
            Alert::Metric {
                metric,
                value,
                low,
                high,
                confidence,
                baseline,
                baseline_values,
            } => {
                let lower = lower_is_better(metric);
                let _ = write!(
                    out,
                    "#### ❌ {} · {} {} its baseline\n\n",
                    self.suite,
                    code(metric),
                    if lower { "above" } else { "below" },
                );
                let level = format!("{}%", number(confidence * 100.0));
                let _ = writeln!(
                    out,
                    "{} is {} ({level} interval {} – {}); the baseline, the mean of {}, is {}: \
                     {} the interval, {} worse.\n",
                    code(metric),
                    number(*value),
                    number(*low),
                    number(*high),
                    plural(baseline_values.iter().flatten().count(), "run"),
                    number(*baseline),
                    if lower { "below" } else { "above" },
                    number((value - baseline).abs()),
                );
                self.values_table(out, metric, *value, baseline_values);
            }
            Alert::Distribution {
                psi,
                test,
                counts,
                changes,
            } => {
                let _ = write!(
                    out,
                    "#### ❌ {} · the label distribution shifted\n\n",
                    self.suite,
                );
                let _ = writeln!(
                    out,
                    "The predictions of the latest run ({}) against those of the {} pooled. \
                     Population stability index {} (alert above {}); chi-square {} with {} \
                     degree{} of freedom, p = {} (alert below {}).\n",
                    run_text(&self.latest),
                    plural(self.baseline.len(), "baseline run"),
                    number(*psi),
                    number(settings.psi),
                    number(test.statistic),
                    test.df,
                    if test.df == 1 { "" } else { "s" },
                    p_value(test.p_value),
                    p_value(settings.p_value),
                );
                let (before_total, now_total) = counts
                    .iter()
                    .fold((0, 0), |(b, n), (_, cb, cn)| (b + cb, n + cn));
                out.push_str(
                    "| predicted label | baseline runs | latest run |\n| --- | ---: | ---: |\n",
                );
                for (label, before, now) in counts {
                    let _ = writeln!(
                        out,
                        "| {} | {} ({}) | {} ({}) |",
                        cell(label),
                        share(*before, before_total),
                        before,
                        share(*now, now_total),
                        now
                    );
                }
                out.push('\n');
                if !changes.is_empty() {
                    let _ = writeln!(
                        out,
                        "Cases whose predicted label changed ({}{}):\n",
                        changes.len(),
                        shown_of(changes.len())
                    );
                    out.push_str("| case | before | now | expected |\n| --- | --- | --- | --- |\n");
                    for change in changes.iter().take(LISTED_CASES) {
                        let _ = writeln!(
                            out,
                            "| {} | {} ({} of {}) | {} | {} |",
                            cell(&change.case),
                            cell(&change.before),
                            change.agreeing,
                            plural(self.baseline.len(), "run"),
                            cell(&change.now),
                            change.expected.as_deref().map_or("—".to_string(), cell),
                        );
                    }
                    out.push('\n');
                }
            }
            Alert::Latency {
                value,
                baseline,
                baseline_values,
                slowest,
            } => {
                let _ = write!(
                    out,
                    "#### ❌ {} · {} grew\n\n",
                    self.suite,
                    code(LATENCY_METRIC),
                );
                let _ = writeln!(
                    out,
                    "{} is {} ms, {}× the baseline's {} ms (alert above {}× and {} ms more).\n",
                    code(LATENCY_METRIC),
                    number(*value),
                    number(value / baseline),
                    number(*baseline),
                    number(settings.latency_ratio),
                    number(settings.latency_min_ms),
                );
                self.values_table(out, LATENCY_METRIC, *value, baseline_values);
                if !slowest.is_empty() {
                    out.push_str(
                        "The cases that slowed most (the baseline: their mean over the baseline runs):\n\n\
                         | case | baseline (ms) | now (ms) |\n| --- | ---: | ---: |\n",
                    );
                    for change in slowest {
                        let _ = writeln!(
                            out,
                            "| {} | {} | {} |",
                            cell(&change.case),
                            number(change.before),
                            number(change.now)
                        );
                    }
                    out.push('\n');
                }
            }
        }
    }

    /// The metric in each run compared, oldest first, the latest last.
    fn values_table(&self, out: &mut String, metric: &str, value: f64, before: &[Option<f64>]) {
        let _ = writeln!(
            out,
            "| run | started | commit | {} |\n| --- | --- | --- | ---: |",
            cell(metric)
        );
        for (run, value) in self.baseline.iter().zip(before) {
            let _ = writeln!(
                out,
                "| baseline | {} | {} | {} |",
                run.started_at,
                cell(&run.commit),
                value.map_or("—".to_string(), number)
            );
        }
        let _ = writeln!(
            out,
            "| **latest** | {} | {} | **{}** |\n",
            self.latest.started_at,
            cell(&self.latest.commit),
            number(value)
        );
    }

    fn flips_markdown(&self, out: &mut String) {
        if self.flips.is_empty() {
            let _ = writeln!(
                out,
                "#### {} · no case that passed in a baseline run fails now\n",
                self.suite
            );
            return;
        }
        let _ = writeln!(
            out,
            "#### {} · cases that flipped from pass to fail ({}{}; most baseline passes first)\n",
            self.suite,
            self.flips.len(),
            shown_of(self.flips.len())
        );
        out.push_str(
            "| case | passed before | now | expected | predicted |\n| --- | --- | --- | --- | --- |\n",
        );
        for flip in self.flips.iter().take(LISTED_CASES) {
            let _ = writeln!(
                out,
                "| {} | {} of {} | {} | {} | {} |",
                cell(&flip.case),
                flip.passed_before,
                flip.runs_before,
                flip.verdict,
                flip.expected.as_deref().map_or("—".to_string(), cell),
                flip.predicted.as_deref().map_or("—".to_string(), cell),
            );
        }
        out.push('\n');
    }
}

fn run_text(run: &RunInfo) -> String {
    let mut text = format!("{} {}", run.started_at, code(&run.commit));
    if let Some(branch) = &run.branch {
        let _ = write!(text, " on {}", code(branch));
    }
    text
}

fn shown_of(total: usize) -> String {
    if total > LISTED_CASES {
        format!(", the first {LISTED_CASES} shown")
    } else {
        String::new()
    }
}

fn share(count: u64, total: u64) -> String {
    if total == 0 {
        return "—".to_string();
    }
    format!("{:.1}%", 100.0 * count as f64 / total as f64)
}

fn p_value(p: f64) -> String {
    if p >= 0.001 {
        number(p)
    } else {
        format!("{p:.2e}")
    }
}

fn plural(count: usize, noun: &str) -> String {
    format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{MetricRecord, RunRecord};

    /// A metric's name, value and interval.
    type Figure<'a> = (&'a str, f64, Option<(f64, f64)>);

    fn suite(metrics: &[Figure], predictions: &[(&str, u64)]) -> SuiteRecord {
        SuiteRecord {
            id: 0,
            name: "s".to_string(),
            task: "classify".to_string(),
            provider: "command".to_string(),
            identity: "m".to_string(),
            confidence: 0.95,
            repeat: 1,
            metrics_cases: 100,
            metrics: metrics
                .iter()
                .map(|(name, value, interval)| {
                    (
                        name.to_string(),
                        MetricRecord {
                            value: Some(*value),
                            low: interval.map(|i| i.0),
                            high: interval.map(|i| i.1),
                            floor_min: None,
                            floor_max: None,
                        },
                    )
                })
                .collect(),
            predictions: predictions
                .iter()
                .map(|(l, c)| (l.to_string(), *c))
                .collect(),
            cases: BTreeMap::new(),
        }
    }

    fn run(k: i64) -> RunRecord {
        RunRecord {
            id: k,
            key: k.to_string(),
            started_at: format!("2026-11-{:02}T00:00:00.000Z", k + 1),
            started_ms: k,
            duration_ms: 1.0,
            commit: Some(format!("{k:08}")),
            branch: None,
            dirty: false,
            evalgate_version: "0.1.0".to_string(),
            suites: Vec::new(),
        }
    }

    fn drift(latest: SuiteRecord, baseline: Vec<SuiteRecord>, filter: &Filter) -> SuiteDrift {
        let runs: Vec<RunRecord> = (0..baseline.len() as i64).map(run).collect();
        let refs: Vec<&RunRecord> = runs.iter().collect();
        check_suite(
            &run(99),
            &latest,
            &refs,
            &baseline,
            filter,
            &Settings::default(),
        )
    }

    #[test]
    fn a_metric_alerts_when_the_baseline_leaves_its_interval_on_the_worse_side() {
        let before = suite(&[("accuracy", 0.80, Some((0.75, 0.85)))], &[]);
        let inside = suite(&[("accuracy", 0.77, Some((0.72, 0.81)))], &[]);
        assert!(
            drift(inside, vec![before.clone()], &Filter::default())
                .alerts
                .is_empty()
        );
        let below = suite(&[("accuracy", 0.70, Some((0.65, 0.79)))], &[]);
        let alerts = drift(below, vec![before.clone()], &Filter::default()).alerts;
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].metric(), "accuracy");
        // Better is never an alert.
        let above = suite(&[("accuracy", 0.95, Some((0.9, 0.98)))], &[]);
        assert!(
            drift(above, vec![before], &Filter::default())
                .alerts
                .is_empty()
        );
        // A metric where lower is better alerts when its interval lies above the baseline.
        let filter = Filter {
            metrics: vec!["error_rate".to_string()],
            ..Filter::default()
        };
        let calm = suite(&[("error_rate", 0.01, Some((0.0, 0.05)))], &[]);
        let worse = suite(&[("error_rate", 0.2, Some((0.12, 0.3)))], &[]);
        assert_eq!(drift(worse, vec![calm.clone()], &filter).alerts.len(), 1);
        assert!(drift(calm.clone(), vec![calm], &filter).alerts.is_empty());
    }

    #[test]
    fn a_distribution_alert_needs_both_a_large_shift_and_a_significant_test() {
        let metrics = [("accuracy", 0.5, Some((0.4, 0.6)))];
        let before = suite(&metrics, &[("negative", 3), ("positive", 3)]);
        // Few cases: a large index, but a test that cannot tell it from noise.
        let small = suite(&metrics, &[("negative", 5), ("positive", 1)]);
        let psi = population_stability_index(&[3, 3], &[5, 1]).unwrap();
        assert!(psi > 0.2, "{psi}");
        assert!(
            drift(small, vec![before.clone()], &Filter::default())
                .alerts
                .is_empty()
        );
        // Many cases: a significant test, but a shift too small to matter.
        let big_before = suite(&metrics, &[("negative", 50_000), ("positive", 50_000)]);
        let nudged = suite(&metrics, &[("negative", 51_000), ("positive", 49_000)]);
        assert!(
            drift(nudged, vec![big_before.clone()], &Filter::default())
                .alerts
                .is_empty()
        );
        // Both.
        let moved = suite(&metrics, &[("negative", 80_000), ("positive", 20_000)]);
        let alerts = drift(moved, vec![big_before], &Filter::default()).alerts;
        assert!(
            matches!(alerts[..], [Alert::Distribution { .. }]),
            "{alerts:?}"
        );
    }

    #[test]
    fn latency_needs_the_ratio_and_the_milliseconds() {
        let at = |ms: f64| suite(&[("latency_p95_ms", ms, None)], &[]);
        // 1 ms to 5 ms: five times, but 4 ms.
        assert!(
            drift(at(5.0), vec![at(1.0)], &Filter::default())
                .alerts
                .is_empty()
        );
        // 200 ms to 260 ms: 60 ms, but 1.3 times.
        assert!(
            drift(at(260.0), vec![at(200.0)], &Filter::default())
                .alerts
                .is_empty()
        );
        let alerts = drift(at(400.0), vec![at(200.0), at(220.0)], &Filter::default()).alerts;
        assert!(matches!(alerts[..], [Alert::Latency { baseline, .. }] if baseline == 210.0));
    }

    #[test]
    fn one_run_has_nothing_to_compare() {
        let only = suite(&[("accuracy", 0.1, Some((0.0, 0.2)))], &[("a", 1)]);
        let result = drift(only, Vec::new(), &Filter::default());
        assert!(result.alerts.is_empty() && result.baseline.is_empty());
    }
}
