//! The CLI's terminal summary: gating failures with their messages, then per suite the case
//! counts and every floor with its value, bound and verdict, then one result line. Coloured
//! when `style` says so; the words carry the meaning either way.

use super::analysis;
use super::style::Style;
use crate::results::{RunResults, Totals};
use crate::suite::number;
use std::fmt::Write;

/// How many of the slices that do worst than their suite the summary names.
const SHOWN_SLICES: usize = 3;
/// How many confusion pairs (expected → predicted) the summary names.
const SHOWN_CONFUSIONS: usize = 3;

pub fn render(results: &RunResults, style: Style) -> String {
    let mut out = String::new();
    let failures: Vec<(&str, &str)> = results
        .suites
        .iter()
        .flat_map(|suite| {
            let cases = suite
                .cases
                .iter()
                .filter(|c| c.gating)
                .map(|c| (c.test.as_str(), c.message.as_deref()));
            let floors = suite
                .floors
                .iter()
                .filter(|f| f.gating)
                .map(|f| (f.test.as_str(), f.message.as_deref()));
            let regressions = suite
                .regressions
                .iter()
                .filter(|r| r.gating)
                .map(|r| (r.test.as_str(), r.message.as_deref()));
            cases
                .chain(floors)
                .chain(regressions)
                .filter_map(|(test, message)| message.map(|m| (test, m)))
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "{}", style.bold("failures:"));
        for (test, message) in &failures {
            let _ = writeln!(out, "\n{}", style.red(&format!("---- {test} ----")));
            for line in message.lines() {
                let _ = writeln!(out, "{}", style.diff_line(&super::terminal_safe(line)));
            }
        }
        out.push('\n');
    }
    for suite in &results.suites {
        let _ = writeln!(
            out,
            "{} · {} · {} · {}: {}",
            style.bold(&suite.name),
            suite.task,
            suite.file,
            suite.model.provider,
            suite.model.identity
        );
        let _ = writeln!(
            out,
            "  cases  {}",
            counts(&suite.cases_summary, &suite.fail_on)
        );
        if let Some(line) = super::repeat_line(suite, 5) {
            let _ = writeln!(out, "  runs   {line}");
        }
        if let Some(line) = snapshots(suite) {
            let _ = writeln!(out, "  snaps  {line}");
        }
        if let Some(line) = translation_scores(suite) {
            let _ = writeln!(out, "  score  {line}");
        }
        for gap in analysis::worst_slices(suite, SHOWN_SLICES) {
            let _ = writeln!(
                out,
                "  slice  {} ({} cases): {} {} against {} overall",
                gap.tag,
                gap.cases,
                gap.metric,
                number(gap.value),
                number(gap.suite_value)
            );
        }
        let confusions: Vec<String> = analysis::confusion_groups(suite)
            .iter()
            .take(SHOWN_CONFUSIONS)
            .map(|group| {
                format!(
                    "{} → {} ×{}",
                    group.expected,
                    group.predicted,
                    group.cases.len()
                )
            })
            .collect();
        if !confusions.is_empty() {
            let _ = writeln!(
                out,
                "  wrong  {} (expected → predicted)",
                confusions.join(", ")
            );
        }
        let width = suite
            .floors
            .iter()
            .map(|f| f.metric.chars().count())
            .max()
            .unwrap_or(0);
        let intervals: Vec<String> = suite
            .floors
            .iter()
            .map(|f| {
                super::interval(suite, &f.metric).map_or_else(String::new, |(low, high)| {
                    format!("[{}, {}]", number(low), number(high))
                })
            })
            .collect();
        let interval_width = intervals
            .iter()
            .map(|i| i.chars().count())
            .max()
            .unwrap_or(0);
        if suite.floor_mode == "lower_bound" && !suite.floors.is_empty() {
            let _ = writeln!(
                out,
                "  floors judged on the end of their {} interval nearer the bound",
                super::confidence_level(suite)
            );
        }
        for (floor, interval) in suite.floors.iter().zip(&intervals) {
            let (value, bound) = super::floor_figures(floor);
            let shown = if interval_width > 0 {
                format!("{interval:<interval_width$}  ")
            } else {
                String::new()
            };
            let verdict = match (floor.verdict.as_str(), floor.gating) {
                ("pass", _) => style.green("ok"),
                (_, true) => style.red("FAILED"),
                (_, false) => style.yellow("failed (not gating)"),
            };
            let _ = writeln!(
                out,
                "  floor  {:<width$}  {value:>9}  {shown}{bound:<14} {verdict}",
                floor.metric
            );
        }
        for regression in &suite.regressions {
            let verdict = match (regression.verdict.as_str(), regression.gating) {
                ("pass", _) => style.green("ok"),
                (_, true) => style.red("REGRESSED"),
                (_, false) => style.yellow("regressed (not gating)"),
            };
            let _ = writeln!(
                out,
                "  vs baseline  {}: {}  {verdict}",
                regression.metric, regression.summary
            );
        }
    }
    let totals = &results.totals;
    let status = if results.failed() {
        style.red("FAILED")
    } else {
        style.green("ok")
    };
    let _ = write!(
        out,
        "\nresult: {status}. {} passed; {} failed; {} errored; {} ignored",
        totals.passed, totals.failed, totals.errored, totals.ignored
    );
    if totals.not_gating > 0 {
        let _ = write!(out, "; {} not gating", totals.not_gating);
    }
    let _ = writeln!(out, "; finished in {:.2}s", results.duration_ms / 1000.0);
    out
}

/// New and changed snapshots, when there are any: also those insta let pass
/// (`INSTA_FORCE_PASS`), which still wait for review.
fn snapshots(suite: &crate::results::SuiteResults) -> Option<String> {
    let statuses: Vec<(&str, bool)> = suite
        .cases
        .iter()
        .filter_map(|c| {
            c.snapshot
                .as_ref()
                .map(|s| (s.status.as_str(), s.pending.is_some()))
        })
        .collect();
    let count = |status: &str| statuses.iter().filter(|(s, _)| *s == status).count();
    let (new, changed) = (count("new"), count("changed"));
    if new + changed == 0 {
        return None;
    }
    let pending = statuses.iter().filter(|(_, pending)| *pending).count();
    Some(format!(
        "{} matched, {new} new, {changed} changed; {pending} pending review",
        count("matched")
    ))
}

/// translate: the corpus scores, sacreBLEU's names and scale.
fn translation_scores(suite: &crate::results::SuiteResults) -> Option<String> {
    let scores: Vec<String> = [
        ("bleu", "BLEU"),
        ("chrf", "chrF"),
        ("chrf_pp", "chrF++"),
        ("ter", "TER"),
    ]
    .into_iter()
    .filter(|(metric, _)| suite.signatures.contains_key(*metric))
    .filter_map(|(metric, shown)| {
        let value = suite.metrics.get(metric)?;
        let interval = super::interval(suite, metric).map_or_else(String::new, |(low, high)| {
            format!(" [{}, {}]", number(low), number(high))
        });
        Some(format!("{shown} {}{interval}", number(*value)))
    })
    .collect();
    // The corpus is the cases that produced an output.
    let errored = suite.metrics.get("error_rate").copied().unwrap_or(0.0);
    let answered = suite.metrics_cases - (errored * suite.metrics_cases as f64).round() as usize;
    (!scores.is_empty()).then(|| format!("{} over {answered} cases", scores.join(" · ")))
}

fn counts(totals: &Totals, fail_on: &[String]) -> String {
    let mut text = format!(
        "{} passed, {} failed, {} errored",
        totals.passed, totals.failed, totals.errored
    );
    if totals.ignored > 0 {
        let _ = write!(text, ", {} ignored", totals.ignored);
    }
    if totals.not_gating > 0 {
        let _ = write!(
            text,
            ", {} failed without gating (fail_on = [{}])",
            totals.not_gating,
            fail_on
                .iter()
                .map(|k| format!("\"{k}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    text
}
