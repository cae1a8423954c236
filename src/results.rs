//! results.json: the record of a run, versioned, read by every report.
//!
//! The schema is [`RunResults`]; `schema_version` changes whenever a field changes meaning or
//! goes away (adding a field does not change it). Values that vary from run to run (times,
//! latencies) live here and nowhere that is snapshotted.

use crate::engine::{CaseOutcome, Plan, Session, Verdict};
use crate::files::write_atomically;
use crate::judge::Judgement;
use crate::provider::Usage;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
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
    /// Tests by verdict across all suites (cases and floors); `failed` counts only failures
    /// that gate (see a suite's `fail_on`).
    pub totals: Totals,
    pub suites: Vec<SuiteResults>,
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
    /// The suite's metrics over the cases of each tag, by tag name; tags in name order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub slices: Vec<SliceResult>,
    pub floors: Vec<FloorResult>,
    pub cases: Vec<CaseResult>,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FloorResult {
    pub test: String,
    pub metric: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max: Option<f64>,
    pub value: Option<f64>,
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
            if case_indices.is_empty() && floor_indices.is_empty() {
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
            let evaluation = (!floor_indices.is_empty()).then(|| session.evaluate(s));
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
            let confusion = metrics.confusion.clone();
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
            let fail_on = [("case", suite.fail_on.case), ("floor", suite.fail_on.floor)]
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
                fail_on,
                cases_summary: summary,
                metrics_cases: metrics.cases,
                metrics: metrics.values,
                signatures: metrics.signatures,
                slices,
                confusion_matrix: confusion.map(|matrix| ConfusionMatrix {
                    labels: matrix.labels().to_vec(),
                    predicted: matrix
                        .labels()
                        .iter()
                        .cloned()
                        .chain(["<invalid>".to_string()])
                        .collect(),
                    counts: matrix.rows(),
                }),
                floors,
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
            totals,
            suites,
        }
    }

    /// Whether any gating test failed or errored.
    pub fn failed(&self) -> bool {
        self.totals.failed + self.totals.errored > 0
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
pub fn check_writable(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Err(std::io::Error::other("it is a folder"));
    }
    let probe = path.with_file_name(format!(".evalgate-probe.{}", std::process::id()));
    write_atomically(&probe, b"")?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap_day = SystemTime::UNIX_EPOCH + Duration::from_millis(951_782_400_250);
        assert_eq!(rfc3339(leap_day), "2000-02-29T00:00:00.250Z");
        let later = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_910_399);
        assert_eq!(rfc3339(later), "2026-11-28T23:59:59.000Z");
    }
}
