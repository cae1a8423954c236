//! results.json: the record of a run, versioned, read by every report.
//!
//! The schema is [`RunResults`]; `schema_version` changes whenever a field changes meaning or
//! goes away (adding a field does not change it). Values that vary from run to run (times,
//! latencies) live here and nowhere that is snapshotted.

pub use crate::compare::DeltaInterval;
use crate::engine::{CaseOutcome, Plan, Session, Verdict};
use crate::files::write_atomically;
use crate::judge::Judgement;
pub use crate::metrics::resample::Interval;
use crate::provider::Usage;
use crate::suite::FloorMode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    pub schema_version: u32,
    pub evalgate_version: String,
    /// When the run started, RFC 3339 in UTC.
    pub started_at: String,
    pub duration_ms: f64,
    pub git: Option<GitInfo>,
    /// `EVALGATE_CASSETTE` as applied: replay, record, auto or off.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cassette_mode: Option<String>,
    /// A shard's run (`evalgate run --shard i/n`): which shard. Its suites hold the shard's
    /// cases and no floor verdicts; `evalgate merge` puts the shards together and judges them.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shard: Option<ShardInfo>,
    /// Tests by verdict across all suites (cases and floors); `failed` counts only failures
    /// that gate (see a suite's `fail_on`).
    pub totals: Totals,
    pub suites: Vec<SuiteResults>,
}

/// Shard `index` (from 1) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    pub index: usize,
    pub count: usize,
}

/// What a shard's run chose of a suite across all the shards, for `evalgate merge`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardPlan {
    /// The test name of every case the run lists across all shards, in suite order.
    pub cases: Vec<String>,
    /// The floors to judge on the merged cases.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub floors: Vec<FloorDefinition>,
}

/// A floor as the suite defines it, not yet judged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FloorDefinition {
    pub test: String,
    pub metric: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max: Option<f64>,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GitInfo {
    pub commit: String,
    pub branch: Option<String>,
    /// Tracked files had uncommitted changes.
    pub dirty: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    pub ignored: usize,
    /// Failed, but the suite's `fail_on` does not let it fail the run.
    pub not_gating: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuiteResults {
    pub name: String,
    pub file: String,
    pub task: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    pub model: ModelInfo,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub labels: Vec<String>,
    /// classify: the label the binary `precision`, `recall` and `f1` are of.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub positive_label: Option<String>,
    pub fail_on: Vec<String>,
    /// Case verdicts (floors are in `floors`).
    pub cases_summary: Totals,
    /// Cases the metrics count: every non-ignored case when a floor ran, else the cases that ran.
    pub metrics_cases: usize,
    /// Metric values by their `[floors]` names.
    pub metrics: BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub confusion_matrix: Option<ConfusionMatrix>,
    /// sacreBLEU's signature of each translation metric, which says how its value was computed,
    /// so it can be compared with other tools' numbers: `bleu`, `chrf`, `chrf_pp` and `ter`
    /// (translate), `sentence_bleu` and `sentence_chrf` (any suite with references).
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub signatures: BTreeMap<String, String>,
    /// How many times each case ran (`repeat`; 1 unless set).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub repeat: usize,
    /// With `repeat`: the share of its runs a case must pass.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub min_pass_rate: Option<f64>,
    /// The level of `intervals`, e.g. 0.95.
    #[serde(default = "default_confidence")]
    pub confidence: f64,
    /// What floors are judged on: "value", or "lower_bound" (the end of the metric's interval).
    #[serde(default = "default_floor_mode")]
    pub floor_mode: String,
    /// The confidence interval of each metric that has one (Wilson for proportions, a
    /// fixed-seed bootstrap over cases for the others), by metric name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub intervals: BTreeMap<String, Interval>,
    /// The suite's metrics over the cases of each tag, by tag name; tags in name order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub slices: Vec<SliceResult>,
    pub floors: Vec<FloorResult>,
    /// With a baseline (`--baseline`): the suite's regression tests.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub regressions: Vec<RegressionResult>,
    /// A shard's run: the suite's cases across all shards and its floors, unjudged.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shard_plan: Option<ShardPlan>,
    pub cases: Vec<CaseResult>,
}

/// A regression test against the baseline: `<suite>::regression::<metric>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegressionResult {
    pub test: String,
    pub metric: String,
    /// "fail" when the metric got significantly worse, else "pass".
    pub verdict: String,
    pub gating: bool,
    /// The metric in the baseline and in this run.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub base: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub head: Option<f64>,
    /// McNemar's exact p-value (`accuracy`, `pass_rate`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub p_value: Option<f64>,
    /// The paired bootstrap interval of this run's value minus the baseline's.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub interval: Option<DeltaInterval>,
    /// What the test found, in words.
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub provider: String,
    /// The command line, or the registered function's name.
    pub identity: String,
}

/// A suite's metrics over the cases that carry one tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SliceResult {
    pub tag: String,
    /// Cases of the tag among those the suite's metrics count.
    pub cases: usize,
    /// Metric values by their `[floors]` names, as for the whole suite.
    pub metrics: BTreeMap<String, f64>,
}

/// Rows are expected labels in `labels` order; columns are `predicted`: the labels, then
/// `<invalid>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    pub labels: Vec<String>,
    pub predicted: Vec<String>,
    pub counts: Vec<Vec<u64>>,
}

impl ConfusionMatrix {
    /// A suite's confusion matrix as results.json holds it.
    pub fn of(matrix: &crate::metrics::Confusion) -> ConfusionMatrix {
        ConfusionMatrix {
            labels: matrix.labels().to_vec(),
            predicted: matrix
                .labels()
                .iter()
                .cloned()
                .chain(["<invalid>".to_string()])
                .collect(),
            counts: matrix.rows(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FloorResult {
    pub test: String,
    pub metric: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max: Option<f64>,
    pub value: Option<f64>,
    /// With `floor_mode = "lower_bound"`: the end of the value's interval the bound was held
    /// against.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub judged: Option<f64>,
    /// "pass" or "fail".
    pub verdict: String,
    pub gating: bool,
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub id: String,
    pub test: String,
    /// Where the case is declared: the suite file or its cases file.
    pub file: String,
    pub line: usize,
    pub input: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expected: Option<String>,
    /// translate, and generate cases with `min_chrf` / `min_bleu`: the reference texts.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub references: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub vars: BTreeMap<String, String>,
    pub prompt: String,
    /// "pass", "fail", "error" or "ignored".
    pub verdict: String,
    pub gating: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub output: Option<String>,
    /// classify: the label the output names, or `<invalid>`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub predicted: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub failed_checks: Vec<FailedCheck>,
    /// The output's sentence scores against the references.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub similarity: Option<SimilarityResult>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub latency_ms: Option<f64>,
    /// Token counts, where the provider reports them.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub usage: Option<Usage>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub finish_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub system_fingerprint: Option<String>,
    /// Requests made to the model: 1 plus retries; 0 when the answer came from a cassette.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub attempts: Option<u32>,
    /// The answer was replayed from a cassette.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub replayed: bool,
    /// The comparison with the case's snapshot, in suites that keep snapshots.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub snapshot: Option<SnapshotResult>,
    /// The failure message, as the test shows it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
    /// A suite with `repeat`: every run of the case. The fields above describe its first run.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub runs: Option<RunsResult>,
}

/// The runs of a repeated case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunsResult {
    pub count: usize,
    pub passed: usize,
    pub pass_rate: f64,
    /// Its runs disagree: some passed, some did not.
    pub flaky: bool,
    /// Each run's verdict (pass, fail or error) and output (`null` when the call failed).
    pub verdicts: Vec<String>,
    pub outputs: Vec<Option<String>>,
    /// classify: each run's predicted label (`<invalid>`; `null` when the call failed).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub predictions: Vec<Option<String>>,
    /// Each run's latency, in milliseconds.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub latencies_ms: Vec<f64>,
    /// Each run's total tokens (`null` when the call failed or the provider reported none);
    /// left out when no run has any.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub total_tokens: Vec<Option<u64>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotResult {
    /// The accepted snapshot's file.
    pub file: String,
    /// "matched", "new" or "changed".
    pub status: String,
    /// insta's verdict (it also passes when told to, e.g. `INSTA_FORCE_PASS`).
    pub passed: bool,
    /// The pending `.snap.new` holding this output, if there is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pending: Option<String>,
}

/// sacreBLEU's sentence scores (0 to 100) of an output against its case's references.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimilarityResult {
    /// Sentence chrF (`sacrebleu.sentence_chrf`).
    pub chrf: f64,
    /// Sentence BLEU with effective order (`sacrebleu.sentence_bleu`).
    pub bleu: f64,
    /// 0-based index of the reference closest to the output (highest chrF against it alone).
    pub closest_reference: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailedCheck {
    pub check: String,
    pub detail: String,
}

impl RunResults {
    /// The results of the tests `plan` chose, which must have run.
    pub fn collect(
        session: &Session,
        plan: &Plan,
        started: SystemTime,
        duration: Duration,
    ) -> RunResults {
        let mut suites = Vec::new();
        let mut totals = Totals::default();
        for (s, suite) in session.suites().enumerate() {
            let case_indices: Vec<usize> = plan
                .cases
                .iter()
                .chain(&plan.ignored)
                .filter(|(ps, _)| *ps == s)
                .map(|(_, c)| *c)
                .collect();
            let floor_indices: Vec<usize> = plan
                .floors
                .iter()
                .filter(|(ps, _)| *ps == s)
                .map(|(_, f)| *f)
                .collect();
            let regression_indices: Vec<usize> = plan
                .regressions
                .iter()
                .filter(|(ps, _)| *ps == s)
                .map(|(_, r)| *r)
                .collect();
            let sharded = plan.sharded.iter().find(|sharded| sharded.suite == s);
            if case_indices.is_empty()
                && floor_indices.is_empty()
                && regression_indices.is_empty()
                && sharded.is_none()
            {
                continue;
            }
            let mut summary = Totals::default();
            let mut cases = Vec::new();
            let mut sorted = case_indices.clone();
            sorted.sort_unstable();
            for c in sorted {
                let case = &suite.cases[c];
                let outcome = session
                    .finished(s, c)
                    .filter(|_| !plan.ignored.contains(&(s, c)));
                let verdict = outcome.map(|o| o.verdict(case));
                let gating = session.case_gates(s, c);
                count(&mut summary, verdict, gating);
                cases.push(case_result(session, s, c, outcome, gating));
            }
            let evaluation = (!floor_indices.is_empty() || !regression_indices.is_empty())
                .then(|| session.evaluate(s));
            // The cases the metrics count: every counted case when a floor asked for them all,
            // else the cases that ran.
            let counted: Vec<(usize, &CaseOutcome)> = (0..suite.cases.len())
                .filter(|c| match evaluation {
                    Some(_) => session.counts(s, *c),
                    None => !plan.ignored.contains(&(s, *c)),
                })
                .filter_map(|c| session.finished(s, c).map(|o| (c, o)))
                .collect();
            let metrics = match evaluation {
                Some(evaluation) => evaluation.metrics.clone(),
                None => crate::engine::metrics(suite, &counted),
            };
            let confusion = metrics.confusion.as_ref().map(ConfusionMatrix::of);
            let slices = slices(suite, &counted);
            let mut floors = Vec::new();
            for f in floor_indices {
                let floor = &suite.floors[f];
                let verdict = &session.evaluate(s).floors[f];
                let gating = suite.fail_on.floor;
                count(
                    &mut totals,
                    Some(if verdict.passed {
                        Verdict::Pass
                    } else {
                        Verdict::Fail
                    }),
                    gating,
                );
                floors.push(FloorResult {
                    test: suite.floor_test_name(f),
                    metric: floor.name.clone(),
                    min: floor.bound.min,
                    max: floor.bound.max,
                    value: verdict.value,
                    judged: (suite.floor_mode == FloorMode::LowerBound)
                        .then_some(verdict.judged)
                        .flatten(),
                    verdict: if verdict.passed { "pass" } else { "fail" }.to_string(),
                    gating,
                    line: floor.source.line,
                    message: session.floor_message(s, f),
                });
            }
            totals.passed += summary.passed;
            totals.failed += summary.failed;
            totals.errored += summary.errored;
            totals.ignored += summary.ignored;
            totals.not_gating += summary.not_gating;
            let mut regressions = Vec::new();
            for r in regression_indices {
                let Some(verdict) = session.regression(s, r) else {
                    continue;
                };
                let gating = suite.fail_on.regression;
                count(
                    &mut totals,
                    Some(if verdict.regressed {
                        Verdict::Fail
                    } else {
                        Verdict::Pass
                    }),
                    gating,
                );
                regressions.push(RegressionResult {
                    test: suite.regression_test_name(&verdict.metric),
                    verdict: if verdict.regressed { "fail" } else { "pass" }.to_string(),
                    gating,
                    message: session.regression_message(s, r),
                    summary: verdict.summary,
                    metric: verdict.metric,
                    base: verdict.base,
                    head: verdict.head,
                    p_value: verdict.p_value,
                    interval: verdict
                        .interval
                        .map(|(low, high)| DeltaInterval { low, high }),
                });
            }
            let with_baseline = session
                .baseline()
                .is_some_and(|b| b.suite(&suite.name).is_some());
            let fail_on = [
                ("case", suite.fail_on.case),
                ("floor", suite.fail_on.floor),
                ("regression", suite.fail_on.regression && with_baseline),
            ]
            .into_iter()
            .filter(|(_, on)| *on)
            .map(|(kind, _)| kind.to_string())
            .collect();
            suites.push(SuiteResults {
                name: suite.name.clone(),
                file: suite.file.display().to_string(),
                task: suite.task.name().to_string(),
                description: suite.description.clone(),
                model: ModelInfo {
                    provider: suite.model.provider().to_string(),
                    identity: suite.model.identity(),
                },
                labels: suite.labels.clone(),
                positive_label: suite.positive_label.map(|p| suite.labels[p].clone()),
                fail_on,
                cases_summary: summary,
                metrics_cases: metrics.cases,
                repeat: suite.repeat,
                min_pass_rate: (suite.repeat > 1).then_some(suite.min_pass_rate),
                confidence: suite.confidence,
                floor_mode: suite.floor_mode.name().to_string(),
                intervals: metrics.intervals().clone(),
                metrics: metrics.values,
                signatures: metrics.signatures,
                slices,
                confusion_matrix: confusion,
                floors,
                regressions,
                shard_plan: sharded.map(|sharded| ShardPlan {
                    cases: sharded
                        .cases
                        .iter()
                        .map(|c| suite.case_test_name(*c))
                        .collect(),
                    floors: sharded
                        .floors
                        .iter()
                        .map(|f| {
                            let floor = &suite.floors[*f];
                            FloorDefinition {
                                test: suite.floor_test_name(*f),
                                metric: floor.name.clone(),
                                min: floor.bound.min,
                                max: floor.bound.max,
                                line: floor.source.line,
                            }
                        })
                        .collect(),
                }),
                cases,
            });
        }
        RunResults {
            schema_version: SCHEMA_VERSION,
            evalgate_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: rfc3339(started),
            duration_ms: duration.as_secs_f64() * 1000.0,
            git: GitInfo::current(),
            cassette_mode: session.cassette_mode().map(|m| m.name().to_string()),
            shard: plan.shard.map(|shard| ShardInfo {
                index: shard.index,
                count: shard.count,
            }),
            totals,
            suites,
        }
    }

    /// Whether any gating test failed or errored.
    pub fn failed(&self) -> bool {
        self.totals.failed + self.totals.errored > 0
    }

    /// These results of a run of some tests (`evalgate run --failed`) laid over `previous`,
    /// the run before: each case and floor that ran again replaces its old entry, a suite whose
    /// floors were judged again takes its new metrics (a floor counts every case), and every
    /// other suite, case and floor is kept as it was. The counts are recounted; the run's own
    /// data (time, git, version) are this run's.
    pub fn merged_over(self, previous: RunResults) -> RunResults {
        let mut suites = previous.suites;
        for new in self.suites {
            let Some(old) = suites.iter_mut().find(|s| s.name == new.name) else {
                suites.push(new);
                continue;
            };
            for case in new.cases {
                match old.cases.iter_mut().find(|c| c.test == case.test) {
                    Some(slot) => *slot = case,
                    None => old.cases.push(case),
                }
            }
            if !new.floors.is_empty() {
                old.metrics_cases = new.metrics_cases;
                old.metrics = new.metrics;
                old.intervals = new.intervals;
                old.confusion_matrix = new.confusion_matrix;
                old.signatures = new.signatures;
                old.slices = new.slices;
            }
            for floor in new.floors {
                match old.floors.iter_mut().find(|f| f.test == floor.test) {
                    Some(slot) => *slot = floor,
                    None => old.floors.push(floor),
                }
            }
            for regression in new.regressions {
                match old
                    .regressions
                    .iter_mut()
                    .find(|r| r.test == regression.test)
                {
                    Some(slot) => *slot = regression,
                    None => old.regressions.push(regression),
                }
            }
            old.cases_summary = Totals::default();
            for case in &old.cases {
                count(
                    &mut old.cases_summary,
                    verdict_of(&case.verdict),
                    case.gating,
                );
            }
        }
        let mut totals = Totals::default();
        for suite in &suites {
            for case in &suite.cases {
                count(&mut totals, verdict_of(&case.verdict), case.gating);
            }
            for floor in &suite.floors {
                count(&mut totals, verdict_of(&floor.verdict), floor.gating);
            }
            for regression in &suite.regressions {
                count(
                    &mut totals,
                    verdict_of(&regression.verdict),
                    regression.gating,
                );
            }
        }
        RunResults {
            totals,
            suites,
            ..self
        }
    }

    /// Reads results written by [`RunResults::write`]; the error says what is wrong with the file,
    /// naming it.
    pub fn read(path: &Path) -> Result<RunResults, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let version: Option<u64> = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|value| value.get("schema_version")?.as_u64());
        if let Some(version) = version.filter(|v| *v != u64::from(SCHEMA_VERSION)) {
            return Err(format!(
                "{} has results schema version {version}; this evalgate reads version {SCHEMA_VERSION}",
                path.display()
            ));
        }
        serde_json::from_str(&text).map_err(|error| {
            format!(
                "{} is not an evalgate results.json: {error}",
                path.display()
            )
        })
    }

    /// Writes the results as pretty JSON, atomically: a reader sees the old file or the new one.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        write_atomically(path, json.as_bytes())
    }
}

/// The metrics of each tag's cases among `counted`.
fn slices(suite: &crate::suite::Suite, counted: &[(usize, &CaseOutcome)]) -> Vec<SliceResult> {
    let mut tags: Vec<&str> = counted
        .iter()
        .flat_map(|(c, _)| suite.cases[*c].tags.iter().map(String::as_str))
        .collect();
    tags.sort_unstable();
    tags.dedup();
    tags.into_iter()
        .map(|tag| {
            let cases: Vec<(usize, &CaseOutcome)> = counted
                .iter()
                .filter(|(c, _)| suite.cases[*c].tags.iter().any(|t| t == tag))
                .copied()
                .collect();
            SliceResult {
                tag: tag.to_string(),
                cases: cases.len(),
                metrics: crate::engine::metrics(suite, &cases).values,
            }
        })
        .collect()
}

/// A verdict as results.json spells it; `None` for an ignored case.
fn verdict_of(name: &str) -> Option<Verdict> {
    match name {
        "pass" => Some(Verdict::Pass),
        "fail" => Some(Verdict::Fail),
        "error" => Some(Verdict::Error),
        _ => None,
    }
}

fn count(totals: &mut Totals, verdict: Option<Verdict>, gating: bool) {
    match verdict {
        None => totals.ignored += 1,
        Some(Verdict::Pass) => totals.passed += 1,
        Some(_) if !gating => totals.not_gating += 1,
        Some(Verdict::Fail) => totals.failed += 1,
        Some(Verdict::Error) => totals.errored += 1,
    }
}

fn case_result(
    session: &Session,
    s: usize,
    c: usize,
    outcome: Option<&CaseOutcome>,
    gating: bool,
) -> CaseResult {
    let suite = session.suite(s);
    let case = &suite.cases[c];
    let answer = outcome.and_then(CaseOutcome::answer);
    let (predicted, failed_checks, similarity) = match answer.map(|a| &a.judgement) {
        Some(Judgement::Label(p)) => (
            Some(
                p.map_or("<invalid>", |p| suite.labels[p].as_str())
                    .to_string(),
            ),
            Vec::new(),
            None,
        ),
        Some(Judgement::Checks { failed, similarity }) => (
            None,
            failed
                .iter()
                .map(|f| FailedCheck {
                    check: f.check.clone(),
                    detail: f.detail.clone(),
                })
                .collect(),
            similarity.as_ref().map(|s| SimilarityResult {
                chrf: s.chrf,
                bleu: s.bleu,
                closest_reference: s.closest,
            }),
        ),
        None => (None, Vec::new(), None),
    };
    CaseResult {
        id: case.id.clone(),
        test: suite.case_test_name(c),
        file: case.source.file.display().to_string(),
        line: case.source.line,
        input: case.input.clone(),
        expected: case.expected.map(|e| suite.labels[e].clone()),
        references: case.references.clone(),
        tags: case.tags.clone(),
        vars: case.vars.clone(),
        prompt: suite.prompt.render(&case.input, &case.vars),
        verdict: outcome
            .map_or("ignored", |o| o.verdict(case).name())
            .to_string(),
        gating,
        output: answer.map(|a| a.output().to_string()),
        predicted,
        failed_checks,
        similarity,
        error: outcome
            .and_then(|o| o.result.as_ref().err())
            .map(|e| e.to_string()),
        latency_ms: outcome.map(|o| o.latency.as_secs_f64() * 1000.0),
        usage: answer.and_then(|a| a.reply.usage),
        finish_reason: answer.and_then(|a| a.reply.finish_reason.clone()),
        system_fingerprint: answer.and_then(|a| a.reply.system_fingerprint.clone()),
        attempts: outcome.map(|o| match &o.result {
            Ok(answer) => answer.reply.attempts,
            Err(error) => error.attempts,
        }),
        replayed: answer.is_some_and(|a| a.reply.replayed),
        snapshot: answer
            .and_then(|a| a.snapshot.as_ref())
            .map(|s| SnapshotResult {
                file: crate::files::shown(&s.file),
                status: s.status().to_string(),
                passed: s.passed,
                pending: s.pending.as_deref().map(crate::files::shown),
            }),
        message: outcome.and_then(|_| session.case_message(s, c)),
        runs: outcome
            .filter(|o| !o.repetitions.is_empty())
            .map(|o| RunsResult {
                count: o.run_count(),
                passed: o.passes(case),
                pass_rate: o.pass_rate(case),
                flaky: o.flaky(case),
                verdicts: o
                    .runs()
                    .map(|(result, _)| crate::engine::run_verdict(result, case).name().to_string())
                    .collect(),
                outputs: o
                    .runs()
                    .map(|(result, _)| result.as_ref().ok().map(|a| a.output().to_string()))
                    .collect(),
                predictions: o
                    .runs()
                    .filter(|_| suite.task == crate::suite::Task::Classify)
                    .map(
                        |(result, _)| match result.as_ref().ok().map(|a| &a.judgement) {
                            Some(Judgement::Label(p)) => Some(
                                p.map_or("<invalid>", |p| suite.labels[p].as_str())
                                    .to_string(),
                            ),
                            _ => None,
                        },
                    )
                    .collect(),
                latencies_ms: o
                    .runs()
                    .map(|(_, latency)| latency.as_secs_f64() * 1000.0)
                    .collect(),
                total_tokens: {
                    let tokens: Vec<Option<u64>> = o
                        .runs()
                        .map(|(result, _)| {
                            result
                                .as_ref()
                                .ok()?
                                .reply
                                .usage
                                .map(|usage| usage.total_tokens)
                        })
                        .collect();
                    if tokens.iter().any(Option::is_some) {
                        tokens
                    } else {
                        Vec::new()
                    }
                },
            }),
    }
}

impl GitInfo {
    /// The commit and branch of the working directory's repository, if it is one.
    pub fn current() -> Option<GitInfo> {
        let git = |args: &[&str]| {
            let output = std::process::Command::new("git")
                .args(args)
                .stderr(std::process::Stdio::null())
                .output()
                .ok()?;
            output
                .status
                .success()
                .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
        };
        let commit = git(&["rev-parse", "HEAD"])?;
        let branch = git(&["rev-parse", "--abbrev-ref", "HEAD"]).filter(|b| b != "HEAD");
        let dirty =
            git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
        Some(GitInfo {
            commit,
            branch,
            dirty,
        })
    }
}

/// Whether results can be written at `path`, checked before anything runs: its folder can be
/// created and written, and it is not itself a folder.
///
/// Nothing is left behind: folders that do not exist yet are not created (their nearest
/// existing ancestor must be a writable folder), and the probe file is removed. A path that
/// is a device or a pipe (`/dev/stdout`) is written in place and needs no probe.
pub fn check_writable(path: &Path) -> std::io::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return Err(std::io::Error::other("it is a folder")),
        Ok(meta) if !meta.is_file() => return Ok(()),
        _ => {}
    }
    let mut folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    while !folder.exists() {
        match folder.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(parent) => folder = parent.to_path_buf(),
            None => folder = PathBuf::from("."),
        }
    }
    if !folder.is_dir() {
        return Err(std::io::Error::other(format!(
            "{} is not a folder",
            folder.display()
        )));
    }
    let probe = folder.join(format!(".evalgate-probe.{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(probe)
}

/// RFC 3339 UTC with milliseconds, e.g. `2026-11-28T23:52:10.123Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let since_epoch = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since_epoch.subsec_millis()
    )
}

fn one() -> usize {
    1
}

fn is_one(value: &usize) -> bool {
    *value == 1
}

fn default_confidence() -> f64 {
    crate::stats::DEFAULT_CONFIDENCE
}

fn default_floor_mode() -> String {
    FloorMode::Value.name().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checking_a_path_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        check_writable(&dir.path().join("new/deeper/results.json")).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let under_a_file = check_writable(&file.join("results.json")).unwrap_err();
        assert!(
            under_a_file.to_string().ends_with("file is not a folder"),
            "{under_a_file}"
        );
        assert_eq!(
            check_writable(dir.path()).unwrap_err().to_string(),
            "it is a folder"
        );
        check_writable(Path::new("/dev/null")).unwrap();
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap_day = SystemTime::UNIX_EPOCH + Duration::from_millis(951_782_400_250);
        assert_eq!(rfc3339(leap_day), "2000-02-29T00:00:00.250Z");
        let later = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_910_399);
        assert_eq!(rfc3339(later), "2026-11-28T23:59:59.000Z");
    }
}
