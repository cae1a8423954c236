//! `evalgate merge`: the results of a run's shards (`evalgate run --shard i/n`) put together as
//! the results of one run over every case, with the floors judged on them.
//!
//! A shard's results hold its cases and, per suite, its plan (`shard_plan`): the test names of
//! every case the run lists across all shards, in suite order, and the floors to judge. The
//! merge checks that the shards are one run's (the same count, each index once, the same
//! suites and plans, each case in the shard its name hashes to), orders the cases as one run
//! would, and computes each suite's figures again from its cases, as the engine computes them
//! from its outcomes: the quality metrics and their intervals from
//! [`compare::observations`](crate::compare::observations), bit for bit; latencies, tokens, the
//! confusion matrix, slices and signatures; then each floor's verdict and message.

use crate::compare;
use crate::diagnostic::Diagnostic;
use crate::engine::{
    BrokenFloor, CaseView, LabelView, SentenceView, Shard, floor_message, judge_bound, shell_word,
    signatures,
};
use crate::metrics::resample::Observations;
use crate::results::{
    CaseResult, ConfusionMatrix, FloorResult, RunResults, SliceResult, SuiteResults, Totals,
};
use crate::stats::percentile;
use crate::suite::{Bound, Metric, Task};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One shard's results and the file they came from.
pub struct ShardResults {
    pub path: PathBuf,
    pub results: RunResults,
}

/// The shards merged into the results of one run; or every reason they cannot be, each naming
/// the files.
pub fn merge(mut shards: Vec<ShardResults>) -> Result<RunResults, Vec<Diagnostic>> {
    check_shards(&shards)?;
    shards.sort_by_key(|shard| shard.results.shard.map(|s| s.index));
    check_suites(&shards)?;
    let first = &shards[0];
    let mut suites = Vec::new();
    let mut totals = Totals::default();
    for (s, base) in first.results.suites.iter().enumerate() {
        let plan = base
            .shard_plan
            .as_ref()
            .expect("checked: every suite has a plan");
        let mut by_test: BTreeMap<&str, &CaseResult> = BTreeMap::new();
        for shard in &shards {
            for case in &shard.results.suites[s].cases {
                by_test.insert(&case.test, case);
            }
        }
        let cases: Vec<CaseResult> = plan
            .cases
            .iter()
            .map(|test| by_test[test.as_str()].clone())
            .collect();
        let suite = merged_suite(base, cases);
        for case in &suite.cases {
            count(&mut totals, &case.verdict, case.gating);
        }
        for floor in &suite.floors {
            count(&mut totals, &floor.verdict, floor.gating);
        }
        suites.push(suite);
    }
    let same = |field: fn(&RunResults) -> Option<String>| {
        let values: BTreeSet<Option<String>> =
            shards.iter().map(|shard| field(&shard.results)).collect();
        (values.len() == 1).then(|| field(&first.results)).flatten()
    };
    Ok(RunResults {
        schema_version: first.results.schema_version,
        evalgate_version: first.results.evalgate_version.clone(),
        started_at: shards
            .iter()
            .map(|shard| shard.results.started_at.clone())
            .min()
            .unwrap_or_default(),
        duration_ms: shards
            .iter()
            .map(|shard| shard.results.duration_ms)
            .fold(0.0, f64::max),
        git: first.results.git.clone(),
        cassette_mode: same(|results| results.cassette_mode.clone()),
        shard: None,
        totals,
        suites,
    })
}

/// The shards' indexes and versions: all shards of one count, each index once.
fn check_shards(shards: &[ShardResults]) -> Result<(), Vec<Diagnostic>> {
    let shown = |path: &Path| path.display().to_string();
    let mut problems = Vec::new();
    let mut indexed = Vec::new();
    for shard in shards {
        match shard.results.shard {
            Some(info) => indexed.push((info.index, info.count, shard)),
            None => problems.push(
                Diagnostic::new(format!(
                    "{} is not a shard's results: it has no `shard`",
                    shown(&shard.path)
                ))
                .hint("write each shard's results with `evalgate run --shard I/N --out FILE`"),
            ),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let counts: BTreeSet<usize> = indexed.iter().map(|(_, count, _)| *count).collect();
    if counts.len() > 1 {
        let list = indexed
            .iter()
            .map(|(index, count, shard)| format!("{} is {index}/{count}", shown(&shard.path)))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(vec![
            Diagnostic::new(format!("the shards split different runs: {list}"))
                .hint("merge the shards of one run, all run with the same --shard I/N count N"),
        ]);
    }
    let count = indexed[0].1;
    let mut by_index: BTreeMap<usize, Vec<&Path>> = BTreeMap::new();
    for (index, _, shard) in &indexed {
        by_index.entry(*index).or_default().push(&shard.path);
    }
    for (index, paths) in &by_index {
        if paths.len() > 1 {
            let files = paths.iter().map(|p| shown(p)).collect::<Vec<_>>();
            problems.push(
                Diagnostic::new(format!(
                    "shard {index}/{count} is given {} times: {}",
                    paths.len(),
                    files.join(", ")
                ))
                .hint("give each shard's results.json once"),
            );
        }
    }
    let missing: Vec<usize> = (1..=count).filter(|i| !by_index.contains_key(i)).collect();
    if !missing.is_empty() {
        const SHOWN: usize = 20;
        let mut names: Vec<String> = missing
            .iter()
            .take(SHOWN)
            .map(|i| format!("{i}/{count}"))
            .collect();
        if missing.len() > SHOWN {
            names.push(format!("and {} more", missing.len() - SHOWN));
        }
        let given = by_index
            .iter()
            .map(|(index, paths)| format!("{index}/{count} {}", shown(paths[0])))
            .collect::<Vec<_>>()
            .join(", ");
        problems.push(
            Diagnostic::new(format!(
                "{} missing: {} (given: {given})",
                if missing.len() == 1 {
                    "a shard is"
                } else {
                    "shards are"
                },
                names.join(", ")
            ))
            .hint(format!(
                "give the results of every shard, 1/{count} to {count}/{count}"
            )),
        );
    }
    let first = indexed[0].2;
    for shard in shards {
        let (a, b) = (&first.results, &shard.results);
        if (a.schema_version, &a.evalgate_version) != (b.schema_version, &b.evalgate_version) {
            problems.push(
                Diagnostic::new(format!(
                    "{} was written by evalgate {} (results schema {}) and {} by evalgate {} \
                     (results schema {})",
                    shown(&first.path),
                    a.evalgate_version,
                    a.schema_version,
                    shown(&shard.path),
                    b.evalgate_version,
                    b.schema_version
                ))
                .hint("run every shard with the same evalgate"),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The shards ran the same suites with the same plans, and each holds the cases its index
/// says, every case of a plan in one of them. `shards` are in index order.
fn check_suites(shards: &[ShardResults]) -> Result<(), Vec<Diagnostic>> {
    let shown = |path: &Path| path.display().to_string();
    let hint = "run every shard from the same commit, on the same suite paths, with the same \
                filters and flags";
    let first = &shards[0];
    let names = |results: &RunResults| -> Vec<String> {
        results.suites.iter().map(|s| s.name.clone()).collect()
    };
    let mut problems = Vec::new();
    for shard in &shards[1..] {
        let (a, b) = (names(&first.results), names(&shard.results));
        if a != b {
            problems.push(
                Diagnostic::new(format!(
                    "{} and {} ran different suites: {} has {}; {} has {}",
                    shown(&first.path),
                    shown(&shard.path),
                    shown(&first.path),
                    listed(&a),
                    shown(&shard.path),
                    listed(&b)
                ))
                .hint(hint),
            );
            continue;
        }
        for (x, y) in first.results.suites.iter().zip(&shard.results.suites) {
            if let Some(part) = definition_difference(x, y) {
                problems.push(
                    Diagnostic::new(format!(
                        "suite {} differs between {} and {}: its {part}",
                        x.name,
                        shown(&first.path),
                        shown(&shard.path)
                    ))
                    .hint(hint),
                );
            }
        }
    }
    for shard in shards {
        for suite in &shard.results.suites {
            if suite.shard_plan.is_none() {
                problems.push(
                    Diagnostic::new(format!(
                        "suite {} in {} has no `shard_plan`",
                        suite.name,
                        shown(&shard.path)
                    ))
                    .hint("write each shard's results with `evalgate run --shard I/N`"),
                );
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for (s, suite) in first.results.suites.iter().enumerate() {
        let plan = suite.shard_plan.as_ref().expect("checked above");
        let planned: BTreeSet<&str> = plan.cases.iter().map(String::as_str).collect();
        let mut found: BTreeMap<&str, &Path> = BTreeMap::new();
        for shard in shards {
            let info = shard.results.shard.expect("checked: a shard");
            for case in &shard.results.suites[s].cases {
                let home = Shard::of(&case.test, info.count);
                if !planned.contains(case.test.as_str()) {
                    problems.push(
                        Diagnostic::new(format!(
                            "{} has {}, which its suite's `shard_plan` does not list",
                            shown(&shard.path),
                            case.test
                        ))
                        .hint(hint),
                    );
                } else if home != info.index {
                    problems.push(
                        Diagnostic::new(format!(
                            "{} (shard {}/{}) has {}, which falls in shard {home}/{}",
                            shown(&shard.path),
                            info.index,
                            info.count,
                            case.test,
                            info.count
                        ))
                        .hint("each shard's results must be as `evalgate run --shard` wrote them"),
                    );
                } else if let Some(other) = found.insert(&case.test, &shard.path) {
                    problems.push(
                        Diagnostic::new(format!(
                            "{} is in {} and in {}",
                            case.test,
                            shown(other),
                            shown(&shard.path)
                        ))
                        .hint("each shard's results must be as `evalgate run --shard` wrote them"),
                    );
                }
            }
        }
        for test in &plan.cases {
            if !found.contains_key(test.as_str()) {
                let home = Shard::of(test, shards.len());
                problems.push(
                    Diagnostic::new(format!(
                        "{test} is missing: shard {home}/{} ({}) should have it",
                        shards.len(),
                        shown(&shards[home - 1].path)
                    ))
                    .hint("each shard's results must be as `evalgate run --shard` wrote them"),
                );
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Names, comma-separated, or `no suite`.
fn listed(names: &[String]) -> String {
    if names.is_empty() {
        "no suite".to_string()
    } else {
        names.join(", ")
    }
}

/// What of a suite's definition differs between two shards, if anything.
fn definition_difference(a: &SuiteResults, b: &SuiteResults) -> Option<&'static str> {
    let plan = |s: &SuiteResults| s.shard_plan.clone();
    let floors = |s: &SuiteResults| plan(s).map(|p| p.floors);
    let cases = |s: &SuiteResults| plan(s).map(|p| p.cases);
    let checks: [(&'static str, bool); 11] = [
        ("file", a.file == b.file),
        ("task", a.task == b.task),
        ("model", a.model == b.model),
        ("labels", a.labels == b.labels),
        ("positive_label", a.positive_label == b.positive_label),
        ("fail_on", a.fail_on == b.fail_on),
        (
            "repeat",
            (a.repeat, a.min_pass_rate.map(f64::to_bits))
                == (b.repeat, b.min_pass_rate.map(f64::to_bits)),
        ),
        (
            "confidence and floor_mode",
            (a.confidence.to_bits(), &a.floor_mode) == (b.confidence.to_bits(), &b.floor_mode),
        ),
        ("floor definitions", floors(a) == floors(b)),
        ("cases (shard_plan.cases)", cases(a) == cases(b)),
        ("description", a.description == b.description),
    ];
    checks
        .into_iter()
        .find(|(_, same)| !same)
        .map(|(part, _)| part)
}

/// A suite of the merged run: its cases in suite order, its figures computed from them and its
/// floors judged.
fn merged_suite(base: &SuiteResults, cases: Vec<CaseResult>) -> SuiteResults {
    let plan = base
        .shard_plan
        .clone()
        .expect("checked: every suite has a plan");
    let mut summary = Totals::default();
    for case in &cases {
        count(&mut summary, &case.verdict, case.gating);
    }
    // The cases the metrics count: those that ran (ignored ones only with --include-ignored,
    // when they ran), which are every counted case of the suite when a floor was chosen.
    let counted: Vec<&CaseResult> = cases.iter().filter(|c| c.verdict != "ignored").collect();
    let figures = Figures::of(base, &counted);
    let intervals = figures.observations.intervals(base.confidence);
    let all: Vec<usize> = (0..counted.len()).collect();
    let confusion = (figures.observations.task == Task::Classify)
        .then(|| ConfusionMatrix::of(&figures.observations.confusion(&all)));
    let gating = base.fail_on.iter().any(|kind| kind == "floor");
    let lower_bound = base.floor_mode == "lower_bound";
    let floors = plan
        .floors
        .iter()
        .map(|floor| {
            let bound = Bound {
                min: floor.min,
                max: floor.max,
            };
            let value = figures.values.get(&floor.metric).copied();
            let interval = intervals.get(&floor.metric).filter(|_| lower_bound);
            let verdict = judge_bound(&bound, value, interval);
            FloorResult {
                test: floor.test.clone(),
                metric: floor.metric.clone(),
                min: floor.min,
                max: floor.max,
                value: verdict.value,
                judged: lower_bound.then_some(verdict.judged).flatten(),
                verdict: if verdict.passed { "pass" } else { "fail" }.to_string(),
                gating,
                line: floor.line,
                message: (!verdict.passed).then(|| {
                    broken_floor_message(
                        base,
                        floor,
                        &bound,
                        (verdict.value, verdict.judged),
                        interval,
                        &figures,
                        &counted,
                    )
                }),
            }
        })
        .collect();
    SuiteResults {
        cases_summary: summary,
        metrics_cases: counted.len(),
        metrics: figures.values.clone(),
        confusion_matrix: confusion,
        signatures: figures.signatures.clone(),
        intervals,
        slices: slices(base, &counted),
        floors,
        regressions: Vec::new(),
        shard_plan: None,
        cases,
        ..base.clone()
    }
}

/// A suite's figures over some of its cases, as the engine's `metrics` computes them from
/// outcomes.
struct Figures {
    values: BTreeMap<String, f64>,
    signatures: BTreeMap<String, String>,
    observations: Observations,
    /// Cases whose (first) model call produced an output.
    answered: usize,
}

impl Figures {
    fn of(suite: &SuiteResults, cases: &[&CaseResult]) -> Figures {
        let runs = if cases.is_empty() { 1 } else { suite.repeat };
        // A case whose snapshot changed fails as a test but counts in the metrics as its
        // output was judged: as the engine scores it.
        let judged: Vec<CaseResult> = cases.iter().map(|case| as_judged(case)).collect();
        let observations = compare::observations(suite, &judged, runs);
        let all: Vec<usize> = (0..cases.len()).collect();
        let mut values = observations.metrics(&all);
        if !cases.is_empty() {
            let mut latencies: Vec<f64> = cases
                .iter()
                .flat_map(|case| match &case.runs {
                    Some(runs) if !runs.latencies_ms.is_empty() => runs.latencies_ms.clone(),
                    _ => case.latency_ms.into_iter().collect(),
                })
                .collect();
            latencies.sort_by(f64::total_cmp);
            if let Some(max) = latencies.last().copied() {
                values.insert("latency_p50_ms".to_string(), percentile(&latencies, 0.50));
                values.insert("latency_p95_ms".to_string(), percentile(&latencies, 0.95));
                values.insert("latency_max_ms".to_string(), max);
            }
            let usage: Vec<u64> = cases
                .iter()
                .flat_map(|case| match &case.runs {
                    Some(runs) if !runs.total_tokens.is_empty() => runs
                        .total_tokens
                        .iter()
                        .flatten()
                        .copied()
                        .collect::<Vec<u64>>(),
                    _ => case.usage.map(|u| u.total_tokens).into_iter().collect(),
                })
                .collect();
            if !usage.is_empty() {
                values.insert("tokens_total".to_string(), usage.iter().sum::<u64>() as f64);
            }
        }
        let answered_cases: Vec<&&CaseResult> =
            cases.iter().filter(|case| first_answered(case)).collect();
        let references: Vec<Vec<&str>> = answered_cases
            .iter()
            .filter(|case| !case.references.is_empty())
            .map(|case| case.references.iter().map(String::as_str).collect())
            .collect();
        let signatures = signatures(
            observations.task == Task::Translate && !answered_cases.is_empty(),
            &references,
        );
        Figures {
            values,
            signatures,
            answered: answered_cases.len(),
            observations,
        }
    }
}

/// Whether the case's first (or only) model call produced an output.
fn first_answered(case: &CaseResult) -> bool {
    match &case.runs {
        Some(runs) if !runs.verdicts.is_empty() => runs.verdicts[0] != "error",
        _ => case.verdict != "error",
    }
}

/// The case as the quality metrics judge it: a generate or translate case whose checks held
/// but whose snapshot did not agree passes (the snapshot is a test of its own).
fn as_judged(case: &CaseResult) -> CaseResult {
    let mut case = case.clone();
    let snapshot_failed = case.snapshot.as_ref().is_some_and(|s| !s.passed);
    if snapshot_failed && case.failed_checks.is_empty() && case.predicted.is_none() {
        let first_run = match &mut case.runs {
            Some(runs) => runs.verdicts.first_mut(),
            None => Some(&mut case.verdict),
        };
        if let Some(verdict) = first_run.filter(|v| *v == "fail") {
            *verdict = "pass".to_string();
        }
    }
    case
}

/// The metrics of each tag's cases among `counted`, tags in name order.
fn slices(suite: &SuiteResults, counted: &[&CaseResult]) -> Vec<SliceResult> {
    let tags: BTreeSet<&str> = counted
        .iter()
        .flat_map(|case| case.tags.iter().map(String::as_str))
        .collect();
    tags.into_iter()
        .map(|tag| {
            let cases: Vec<&CaseResult> = counted
                .iter()
                .filter(|case| case.tags.iter().any(|t| t == tag))
                .copied()
                .collect();
            SliceResult {
                tag: tag.to_string(),
                cases: cases.len(),
                metrics: Figures::of(suite, &cases).values,
            }
        })
        .collect()
}

/// A verdict as results.json spells it, counted into `totals`.
fn count(totals: &mut Totals, verdict: &str, gating: bool) {
    match verdict {
        "pass" => totals.passed += 1,
        "fail" | "error" if !gating => totals.not_gating += 1,
        "fail" => totals.failed += 1,
        "error" => totals.errored += 1,
        _ => totals.ignored += 1,
    }
}

/// A broken floor's message, as the engine writes it ([`floor_message`]), from the merged
/// results.
fn broken_floor_message(
    suite: &SuiteResults,
    floor: &crate::results::FloorDefinition,
    bound: &Bound,
    (value, judged): (Option<f64>, Option<f64>),
    interval: Option<&crate::results::Interval>,
    figures: &Figures,
    counted: &[&CaseResult],
) -> String {
    let observations = &figures.observations;
    let labels = &observations.labels;
    let cases: Vec<CaseView> = counted.iter().map(|case| case_view(labels, case)).collect();
    floor_message(
        &BrokenFloor {
            name: &floor.metric,
            metric: Metric::parse(
                &floor.metric,
                observations.task,
                labels,
                observations.positive_label,
            ),
            bound,
            value,
            judged,
            interval,
            confidence: suite.confidence,
            cases: counted.len(),
            answered: figures.answered,
            labels,
            positive_label: observations.positive_label,
            file: &suite.file,
            line: floor.line,
            rerun: format!(
                "evalgate run {} --exact --filter {}",
                shell_word(&suite.file),
                shell_word(&floor.test)
            ),
        },
        &cases,
    )
}

/// What a floor message reads of a case's results: what its first run answered, as the
/// engine reads it from the case's outcome.
fn case_view<'a>(labels: &[String], case: &'a CaseResult) -> CaseView<'a> {
    let answered = first_answered(case);
    let index = |name: &str| labels.iter().position(|l| l == name);
    CaseView {
        test: Cow::Borrowed(&case.test),
        input: &case.input,
        error: case.error.as_deref(),
        latency_ms: case.latency_ms.unwrap_or_default(),
        failed_check: case
            .failed_checks
            .first()
            .filter(|_| answered)
            .map(|failed| (failed.check.as_str(), failed.detail.as_str())),
        sentence: match (&case.similarity, &case.output) {
            (Some(similarity), Some(output)) if answered => Some(SentenceView {
                bleu: similarity.bleu,
                chrf: similarity.chrf,
                output,
                references: &case.references,
            }),
            _ => None,
        },
        label: match (case.expected.as_deref().and_then(index), &case.predicted) {
            (Some(expected), Some(predicted)) if answered => Some(LabelView {
                expected,
                predicted: index(predicted),
                predicted_name: predicted,
            }),
            _ => None,
        },
    }
}
