//! The comparison of two runs ([`Comparison`]) as a terminal summary, as Markdown for a
//! pull-request comment, and as JSON.
//!
//! Suites are shown most serious first: regressed, improved, unchanged. Every list names the
//! cases by test name; text a model wrote (outputs, errors, labels) is shown with control
//! characters as `\u{1b}`-style escapes, and in Markdown inside code spans or fenced blocks.
//!
//! The Markdown stays under the size it is given (GitHub comments hold 65,536 characters): it
//! cuts the lists first, all suites alike (changed outputs before the others), then leaves out
//! whole suite sections from the least serious, and says what it left out. The table of suites
//! stays.

use super::markdown::{cell, code, longest_run, md_text, visible};
use super::style::Style;
use super::{cut, first_line, hidden, push_visible};
use crate::compare::{
    Comparison, Direction, Evidence, Flip, MetricDelta, RunInfo, SuiteComparison, Verdict,
};
use crate::suite::number;
use std::fmt::Write;

/// The Markdown's size limit for `evalgate compare --markdown`: under GitHub's 65,536
/// characters per comment, with room for a line a workflow adds.
pub const MARKDOWN_MAX_BYTES: usize = 60_000;

/// Entries of each list the terminal shows; the JSON report has them all.
const TERMINAL_LIST: usize = 50;
/// Test names shown in a line of cases not compared.
const NAMES_SHOWN: usize = 20;
/// A diff in the Markdown is cut past this many bytes.
const MAX_DIFF_BYTES: usize = 2_000;
/// An error message in a list is cut past this many bytes.
const MAX_ERROR_BYTES: usize = 200;
/// Room kept at the end of the Markdown for the note that says what was left out.
const NOTE_BYTES: usize = 400;
/// How much a suite's section of the Markdown shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Detail {
    /// Entries of each list (flips, cases not compared); 0: only the counts.
    lists: usize,
    /// Changed outputs shown with their diffs; 0: only their count.
    outputs: usize,
    /// The collapsed table of the metrics that were not tested.
    other_metrics: bool,
}

/// The details tried in turn until the document fits, most first: changed outputs and lists
/// are cut first, then the untested metrics go.
const MARKDOWN_LEVELS: [Detail; 7] = [
    Detail {
        lists: usize::MAX,
        outputs: 50,
        other_metrics: true,
    },
    Detail {
        lists: 50,
        outputs: 20,
        other_metrics: true,
    },
    Detail {
        lists: 20,
        outputs: 10,
        other_metrics: true,
    },
    Detail {
        lists: 10,
        outputs: 3,
        other_metrics: true,
    },
    Detail {
        lists: 5,
        outputs: 0,
        other_metrics: true,
    },
    Detail {
        lists: 5,
        outputs: 0,
        other_metrics: false,
    },
    Detail {
        lists: 0,
        outputs: 0,
        other_metrics: false,
    },
];

/// The suites in the order the reports show them: regressed, improved, unchanged; otherwise as
/// in the head run.
fn ordered(comparison: &Comparison) -> Vec<&SuiteComparison> {
    let mut suites: Vec<&SuiteComparison> = comparison.suites.iter().collect();
    suites.sort_by_key(|s| match s.verdict {
        Verdict::Regressed => 0,
        Verdict::Improved => 1,
        Verdict::Unchanged => 2,
    });
    suites
}

/// The comparison as pretty JSON, ending with a line break.
pub fn json(comparison: &Comparison) -> String {
    let mut text = serde_json::to_string_pretty(comparison).expect("a comparison serialises");
    text.push('\n');
    text
}

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

/// A delta with its sign: `+0.05`, `-0.3`, `0`.
fn signed(value: f64) -> String {
    let text = number(value);
    if value > 0.0 && text != "0" {
        format!("+{text}")
    } else {
        text
    }
}

/// A p-value: four decimals, or two significant digits below 0.001.
fn p_value(p: f64) -> String {
    if p >= 0.001 || p == 0.0 {
        number(p)
    } else {
        format!("{p:.1e}")
    }
}

fn interval_text(low: f64, high: f64) -> String {
    format!("[{}, {}]", signed(low), signed(high))
}

fn level(comparison: &Comparison) -> String {
    format!("{}%", number(comparison.confidence * 100.0))
}

fn verdict_word(verdict: Verdict) -> &'static str {
    verdict.name()
}

fn total_changed(suite: &SuiteComparison) -> usize {
    suite.changed_outputs.len() + suite.changed_outputs_not_listed
}

/// What decided a suite's verdict, in words.
fn evidence_text(evidence: &Evidence, alpha: f64, code: impl Fn(&str) -> String) -> String {
    match (&evidence.metric, evidence.interval, evidence.p_value) {
        (Some(metric), Some(i), _) => {
            let side = if i.high < 0.0 { "below" } else { "above" };
            format!(
                "{} Δ {} {side} 0",
                code(metric),
                interval_text(i.low, i.high)
            )
        }
        (_, _, Some(p)) => format!("McNemar's test p = {} < {}", p_value(p), number(alpha)),
        _ => evidence.test.clone(),
    }
}

/// A flip in words, without its test name: `pass → fail · expected positive, predicted
/// positive → negative`.
fn flip_text(flip: &Flip, code: impl Fn(&str) -> String) -> String {
    let mut parts = vec![format!("{} → {}", flip.base.verdict, flip.head.verdict)];
    if let Some(expected) = &flip.expected {
        let predicted = |side: &crate::compare::Side| match (&side.predicted, &side.error) {
            (Some(p), _) => code(p),
            (None, Some(_)) => "(error)".to_string(),
            (None, None) => "(none)".to_string(),
        };
        parts.push(format!(
            "expected {}, predicted {} → {}",
            code(expected),
            predicted(&flip.base),
            predicted(&flip.head)
        ));
    }
    // The side that did not pass says why.
    let failing = if flip.head.verdict != "pass" {
        &flip.head
    } else {
        &flip.base
    };
    let which = if std::ptr::eq(failing, &flip.head) {
        ""
    } else {
        "was "
    };
    if let Some(error) = &failing.error {
        let line = first_line(error);
        let mut shown = cut(line, MAX_ERROR_BYTES).to_string();
        if shown.len() < error.len() {
            shown.push('…');
        }
        parts.push(format!("{which}error: {}", code(&shown)));
    } else if !failing.failed_checks.is_empty() {
        let checks: Vec<String> = failing.failed_checks.iter().map(|c| code(c)).collect();
        parts.push(format!("{which}failed {}", checks.join(", ")));
    }
    parts.join(" · ")
}

// ---------------------------------------------------------------------------------------------
// Terminal
// ---------------------------------------------------------------------------------------------

/// The comparison for a terminal: per suite its verdict and what decided it, the metric deltas,
/// the flips and changed outputs; then the run's verdict.
pub fn terminal(comparison: &Comparison, style: Style) -> String {
    let mut out = String::new();
    let name = |info: &RunInfo, default: &str| info.file.clone().unwrap_or(default.to_string());
    let _ = writeln!(
        out,
        "{} {} → {}",
        style.bold("evalgate compare"),
        safe(&name(&comparison.base, "base")),
        safe(&name(&comparison.head, "head"))
    );
    for (label, info) in [("base", &comparison.base), ("head", &comparison.head)] {
        let _ = writeln!(out, "  {label}  {}", safe(&run_line(info)));
    }
    let _ = writeln!(
        out,
        "  tests McNemar's exact test on paired correctness; paired bootstrap of F1/BLEU/chrF/TER \
         deltas, {} resamples, {} intervals; α = {}",
        comparison.resamples,
        level(comparison),
        number(comparison.alpha)
    );
    out.push('\n');
    for suite in ordered(comparison) {
        terminal_suite(&mut out, comparison, suite, style);
        out.push('\n');
    }
    if !comparison.added_suites.is_empty() {
        let _ = writeln!(
            out,
            "suites only in head: {}",
            safe(&comparison.added_suites.join(", "))
        );
    }
    if !comparison.removed_suites.is_empty() {
        let _ = writeln!(
            out,
            "suites only in base: {}",
            safe(&comparison.removed_suites.join(", "))
        );
    }
    let count = |v: Verdict| comparison.suites.iter().filter(|s| s.verdict == v).count();
    let _ = writeln!(
        out,
        "verdict: {} · {} regressed, {} improved, {} unchanged",
        painted_verdict(comparison.verdict, style),
        count(Verdict::Regressed),
        count(Verdict::Improved),
        count(Verdict::Unchanged)
    );
    out
}

fn run_line(info: &RunInfo) -> String {
    let mut line = String::new();
    if let Some(commit) = &info.commit {
        let _ = write!(line, "commit {}", cut(commit, 12));
        if let Some(branch) = &info.branch {
            let _ = write!(line, " on {branch}");
        }
        if info.dirty {
            line.push_str(" (uncommitted changes)");
        }
        line.push_str(", ");
    }
    let _ = write!(
        line,
        "started {}, evalgate {}",
        info.started_at, info.evalgate_version
    );
    line
}

fn painted_verdict(verdict: Verdict, style: Style) -> String {
    let word = verdict_word(verdict).to_uppercase();
    match verdict {
        Verdict::Regressed => style.red(&word),
        Verdict::Improved => style.green(&word),
        Verdict::Unchanged => word,
    }
}

/// Text from a run (outputs, errors, names) with control characters as escapes.
fn safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_visible(&mut out, text, |c| hidden(c) || c == '\r');
    out
}

fn terminal_suite(
    out: &mut String,
    comparison: &Comparison,
    suite: &SuiteComparison,
    style: Style,
) {
    let _ = writeln!(
        out,
        "{} · {} · {}",
        style.bold(&safe(&suite.name)),
        suite.task,
        painted_verdict(suite.verdict, style)
    );
    let _ = writeln!(
        out,
        "  cases    {} paired · regressions {} · fixes {} · new errors {} · changed outputs {}",
        suite.paired_cases,
        suite.regressions.len(),
        suite.fixes.len(),
        suite.new_errors.len(),
        total_changed(suite)
    );
    if let Some(m) = &suite.mcnemar {
        let _ = writeln!(
            out,
            "  mcnemar  {} right → wrong, {} wrong → right: p = {}",
            m.right_to_wrong,
            m.wrong_to_right,
            p_value(m.p_value)
        );
    }
    if !suite.decided_by.is_empty() {
        let reasons: Vec<String> = suite
            .decided_by
            .iter()
            .map(|e| evidence_text(e, comparison.alpha, str::to_string))
            .collect();
        let _ = writeln!(out, "  by       {}", reasons.join("; "));
    }
    for note in &suite.notes {
        let _ = writeln!(out, "  note     {}", safe(note));
    }
    if !suite.metrics.is_empty() {
        let rows: Vec<[String; 5]> = suite
            .metrics
            .iter()
            .map(|m| {
                [
                    safe(&m.metric),
                    number(m.base),
                    number(m.head),
                    signed(m.delta),
                    m.interval
                        .map_or_else(String::new, |i| interval_text(i.low, i.high)),
                ]
            })
            .collect();
        let header = [
            "metric".to_string(),
            "base".to_string(),
            "head".to_string(),
            "Δ".to_string(),
            format!("{} CI of Δ", level(comparison)),
        ];
        let widths: Vec<usize> = (0..5)
            .map(|i| {
                rows.iter()
                    .chain([&header])
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |row: &[String; 5]| {
            let mut text = String::from("  ");
            for (i, cell) in row.iter().enumerate() {
                let pad = widths[i] - cell.chars().count();
                if (1..4).contains(&i) {
                    let _ = write!(text, "  {}{cell}", " ".repeat(pad));
                } else {
                    let _ = write!(text, "  {cell}{}", " ".repeat(pad));
                }
            }
            text
        };
        let _ = writeln!(out, "{}", line(&header).trim_end());
        for (row, metric) in rows.iter().zip(&suite.metrics) {
            let mut text = line(row);
            match metric.change {
                Some(Direction::Worse) => {
                    let _ = write!(text, "  {}", style.red("worse"));
                }
                Some(Direction::Better) => {
                    let _ = write!(text, "  {}", style.green("better"));
                }
                None => {}
            }
            let _ = writeln!(out, "{}", text.trim_end());
        }
    }
    for (title, flips) in [
        ("regressions", &suite.regressions),
        ("fixes", &suite.fixes),
        ("new errors", &suite.new_errors),
    ] {
        if flips.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  {title} ({}):", flips.len());
        for flip in flips.iter().take(TERMINAL_LIST) {
            let _ = writeln!(
                out,
                "    {}  {}",
                safe(&flip.test),
                safe(&flip_text(flip, str::to_string))
            );
        }
        more(out, flips.len());
    }
    if total_changed(suite) > 0 {
        let _ = writeln!(out, "  changed outputs ({}):", total_changed(suite));
        for changed in &suite.changed_outputs {
            let _ = writeln!(
                out,
                "    {} ({} → {})",
                safe(&changed.test),
                changed.base_verdict,
                changed.head_verdict
            );
            for line in changed.diff.lines() {
                let _ = writeln!(out, "      {}", style.diff_line(&safe(line)));
            }
        }
        if suite.changed_outputs_not_listed > 0 {
            let _ = writeln!(
                out,
                "    … and {} more (the first {} are listed)",
                suite.changed_outputs_not_listed,
                suite.changed_outputs.len()
            );
        }
    }
    for (title, names) in [
        ("only in base", &suite.removed_cases),
        ("only in head", &suite.added_cases),
        ("ignored", &suite.ignored_cases),
    ] {
        if names.is_empty() {
            continue;
        }
        let mut shown: Vec<String> = names.iter().take(NAMES_SHOWN).map(|n| safe(n)).collect();
        if names.len() > NAMES_SHOWN {
            shown.push(format!("… and {} more", names.len() - NAMES_SHOWN));
        }
        let _ = writeln!(
            out,
            "  {title} ({}, not compared): {}",
            names.len(),
            shown.join(", ")
        );
    }
}

fn more(out: &mut String, total: usize) {
    if total > TERMINAL_LIST {
        let _ = writeln!(
            out,
            "    … and {} more (--json PATH writes them all)",
            total - TERMINAL_LIST
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

/// The comparison as Markdown of at most `max_bytes` bytes: a headline, one table of suites
/// with their verdicts and p-values, then per suite its metric deltas with intervals, flips and
/// changed outputs (collapsed).
pub fn markdown(comparison: &Comparison, max_bytes: usize) -> String {
    let mut out = md_headline(comparison);
    let budget = max_bytes.saturating_sub(NOTE_BYTES);
    let suites = ordered(comparison);
    let mut rows_left_out = 0;
    let table_start = out.len();
    out.push_str(
        "| suite | task | verdict | paired cases | regressions | fixes | new errors | McNemar p | decided by |\n\
         | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n",
    );
    for suite in &suites {
        let row = md_row(suite);
        if out.len() + row.len() <= budget {
            out.push_str(&row);
        } else {
            rows_left_out += 1;
        }
    }
    if out.len() == table_start {
        out.truncate(table_start);
    }
    out.push('\n');
    let mut changes = Vec::new();
    if !comparison.added_suites.is_empty() {
        changes.push(format!(
            "only in head: {}",
            md_names(&comparison.added_suites, NAMES_SHOWN)
        ));
    }
    if !comparison.removed_suites.is_empty() {
        changes.push(format!(
            "only in base: {}",
            md_names(&comparison.removed_suites, NAMES_SHOWN)
        ));
    }
    if !changes.is_empty() {
        let line = format!("Suites not compared: {}.\n\n", changes.join("; "));
        if out.len() + line.len() <= budget {
            out.push_str(&line);
        }
    }
    // The most detailed level at which every section fits; else the least detailed, with as
    // many sections as fit.
    let mut chosen = None;
    for detail in MARKDOWN_LEVELS {
        let sections: Vec<String> = suites
            .iter()
            .map(|s| md_suite(comparison, s, detail))
            .collect();
        let size: usize = sections.iter().map(String::len).sum();
        if out.len() + size <= budget {
            chosen = Some((detail, sections));
            break;
        }
    }
    let (detail, sections_left_out) = match chosen {
        Some((detail, sections)) => {
            sections.iter().for_each(|s| out.push_str(s));
            (detail, 0)
        }
        None => {
            let detail = MARKDOWN_LEVELS[MARKDOWN_LEVELS.len() - 1];
            let mut left_out = 0;
            for suite in &suites {
                let section = md_suite(comparison, suite, detail);
                if left_out == 0 && out.len() + section.len() <= budget {
                    out.push_str(&section);
                } else {
                    left_out += 1;
                }
            }
            (detail, left_out)
        }
    };
    let full = MARKDOWN_LEVELS[0];
    let mut cuts = Vec::new();
    if detail.lists == 0 {
        cuts.push("lists and changed outputs left out (their counts shown)".to_string());
    } else {
        if detail.lists < full.lists {
            cuts.push(format!("lists cut to {} entries each", detail.lists));
        }
        if detail.outputs == 0 {
            cuts.push("changed outputs left out (their counts shown)".to_string());
        } else if detail.outputs < full.outputs {
            cuts.push(format!(
                "changed outputs cut to {} per suite",
                detail.outputs
            ));
        }
    }
    if !detail.other_metrics {
        cuts.push("untested metrics left out".to_string());
    }
    if sections_left_out > 0 {
        cuts.push(format!("{sections_left_out} suite sections left out"));
    }
    if rows_left_out > 0 {
        cuts.push(format!("{rows_left_out} suites left out of the table"));
    }
    if !cuts.is_empty() {
        let _ = writeln!(
            out,
            "_To fit a comment: {}. `evalgate compare --json PATH` writes everything._",
            cuts.join("; ")
        );
    }
    cut(&out, max_bytes).to_string()
}

fn md_headline(comparison: &Comparison) -> String {
    let mark = verdict_mark(comparison.verdict);
    let mut out = format!(
        "## {mark} evalgate compare: {}\n\n",
        verdict_word(comparison.verdict)
    );
    for (label, info) in [("Base", &comparison.base), ("Head", &comparison.head)] {
        let _ = write!(out, "{label}: ");
        if let Some(file) = &info.file {
            let _ = write!(out, "{} · ", code(file));
        }
        if let Some(commit) = &info.commit {
            let _ = write!(out, "commit {}", code(cut(commit, 12)));
            if let Some(branch) = &info.branch {
                let _ = write!(out, " on {}", code(branch));
            }
            if info.dirty {
                out.push_str(" with uncommitted changes");
            }
            out.push_str(" · ");
        }
        let _ = writeln!(out, "started {}\\", code(&info.started_at));
    }
    // The last line break of the pair is not a hard break.
    if out.ends_with("\\\n") {
        out.truncate(out.len() - 2);
        out.push('\n');
    }
    let _ = write!(
        out,
        "\nMcNemar's exact test on paired correctness and a paired bootstrap of the F1, BLEU, chrF \
         and TER deltas ({} resamples, {} intervals), at α = {}.\n\n",
        comparison.resamples,
        level(comparison),
        number(comparison.alpha)
    );
    out
}

fn verdict_mark(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Regressed => "❌",
        Verdict::Improved => "✅",
        Verdict::Unchanged => "➖",
    }
}

fn md_row(suite: &SuiteComparison) -> String {
    let p = suite
        .mcnemar
        .as_ref()
        .map_or_else(|| "n/a".to_string(), |m| p_value(m.p_value));
    let decided: Vec<String> = suite
        .decided_by
        .iter()
        .take(3)
        .map(|e| match &e.metric {
            Some(metric) => format!("{} Δ", cell(metric)),
            None => "McNemar".to_string(),
        })
        .collect();
    let mut decided = decided.join(", ");
    if suite.decided_by.len() > 3 {
        let _ = write!(decided, " and {} more", suite.decided_by.len() - 3);
    }
    format!(
        "| {} | {} | {} {} | {} | {} | {} | {} | {} | {} |\n",
        cell(&suite.name),
        cell(&suite.task),
        verdict_mark(suite.verdict),
        verdict_word(suite.verdict),
        suite.paired_cases,
        suite.regressions.len(),
        suite.fixes.len(),
        suite.new_errors.len(),
        p,
        if decided.is_empty() { "—" } else { &decided }
    )
}

/// A suite's section, with as much as `detail` says.
fn md_suite(comparison: &Comparison, suite: &SuiteComparison, detail: Detail) -> String {
    let Detail {
        lists,
        outputs,
        other_metrics,
    } = detail;
    let mut out = format!(
        "### {} {} · {} · {}\n\n",
        verdict_mark(suite.verdict),
        code(&suite.name),
        md_text(&suite.task),
        verdict_word(suite.verdict)
    );
    let _ = write!(out, "**{}** paired cases", suite.paired_cases);
    if let Some(m) = &suite.mcnemar {
        let _ = write!(
            out,
            ". McNemar's exact test: **{}** right → wrong, **{}** wrong → right, p = {}",
            m.right_to_wrong,
            m.wrong_to_right,
            p_value(m.p_value)
        );
    }
    out.push_str(".\n\n");
    if !suite.decided_by.is_empty() {
        let reasons: Vec<String> = suite
            .decided_by
            .iter()
            .map(|e| evidence_text(e, comparison.alpha, code))
            .collect();
        let _ = write!(out, "Decided by: {}.\n\n", reasons.join("; "));
    }
    for note in &suite.notes {
        let _ = write!(out, "_Note: {}._\n\n", md_text(note));
    }
    // The metrics tested, and the shares that headline a suite, in view; the others collapsed.
    let (main, others): (Vec<&MetricDelta>, Vec<&MetricDelta>) =
        suite.metrics.iter().partition(|m| {
            m.interval.is_some()
                || matches!(m.metric.as_str(), "accuracy" | "pass_rate" | "error_rate")
        });
    if !main.is_empty() {
        metric_table(&mut out, comparison, &main);
    }
    if !others.is_empty() && !other_metrics {
        let _ = write!(
            out,
            "{} other metrics, untested: in the JSON report.\n\n",
            others.len()
        );
    } else if !others.is_empty() {
        let _ = write!(
            out,
            "<details><summary>Other metrics ({})</summary>\n\n",
            others.len()
        );
        metric_table(&mut out, comparison, &others);
        out.push_str("</details>\n\n");
    }
    for (title, flips) in [
        ("Regressions", &suite.regressions),
        ("Fixes", &suite.fixes),
        ("New errors", &suite.new_errors),
    ] {
        if flips.is_empty() {
            continue;
        }
        let _ = write!(out, "**{title}** ({})", flips.len());
        if lists == 0 {
            out.push_str(": listed in the JSON report.\n\n");
            continue;
        }
        out.push_str("\n\n");
        for flip in flips.iter().take(lists) {
            let _ = writeln!(out, "- {} {}", code(&flip.test), flip_text(flip, code));
        }
        if flips.len() > lists {
            let _ = writeln!(
                out,
                "- _… and {} more, in the JSON report._",
                flips.len() - lists
            );
        }
        out.push('\n');
    }
    let not_compared: Vec<String> = [
        ("only in base", &suite.removed_cases),
        ("only in head", &suite.added_cases),
        ("ignored", &suite.ignored_cases),
    ]
    .into_iter()
    .filter(|(_, names)| !names.is_empty())
    .map(|(title, names)| {
        if lists == 0 {
            format!("{title} ({})", names.len())
        } else {
            format!(
                "{title} ({}): {}",
                names.len(),
                md_names(names, lists.min(NAMES_SHOWN))
            )
        }
    })
    .collect();
    if !not_compared.is_empty() {
        let _ = write!(
            out,
            "**Cases not compared**: {}.\n\n",
            not_compared.join(" · ")
        );
    }
    let changed = total_changed(suite);
    if changed > 0 {
        if outputs == 0 || lists == 0 {
            let _ = write!(
                out,
                "**Changed outputs** ({changed}): their diffs are in the JSON report.\n\n"
            );
        } else {
            let _ = write!(
                out,
                "<details><summary>Changed outputs ({changed})</summary>\n\n"
            );
            for changed in suite.changed_outputs.iter().take(outputs) {
                let _ = write!(
                    out,
                    "{} ({} → {})\n\n",
                    code(&changed.test),
                    changed.base_verdict,
                    changed.head_verdict
                );
                let diff = cut(&changed.diff, MAX_DIFF_BYTES);
                let mut body = visible(diff);
                if diff.len() < changed.diff.len() {
                    let _ = write!(
                        body,
                        "\n… {} more bytes of diff",
                        changed.diff.len() - diff.len()
                    );
                }
                let fence = "`".repeat(longest_run(&body, '`').max(2) + 1);
                let _ = write!(out, "{fence}text\n{body}\n{fence}\n\n");
            }
            let shown = suite.changed_outputs.len().min(outputs);
            if changed > shown {
                let _ = write!(out, "_… and {} more changed outputs._\n\n", changed - shown);
            }
            out.push_str("</details>\n\n");
        }
    }
    out
}

/// A table of metric deltas, with their intervals where they have one.
fn metric_table(out: &mut String, comparison: &Comparison, metrics: &[&MetricDelta]) {
    let _ = writeln!(
        out,
        "| metric | base | head | Δ | {} CI of Δ | |\n| --- | ---: | ---: | ---: | --- | --- |",
        level(comparison)
    );
    for m in metrics {
        let change = match m.change {
            Some(Direction::Worse) => "❌ worse",
            Some(Direction::Better) => "✅ better",
            None => "",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {change} |",
            cell(&m.metric),
            number(m.base),
            number(m.head),
            signed(m.delta),
            m.interval
                .map_or_else(String::new, |i| interval_text(i.low, i.high))
        );
    }
    out.push('\n');
}

/// Names as code spans, at most `max` of them, then how many more.
fn md_names(names: &[String], max: usize) -> String {
    let mut shown: Vec<String> = names.iter().take(max).map(|n| code(n)).collect();
    if names.len() > max {
        shown.push(format!("… and {} more", names.len() - max));
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures() {
        assert_eq!(signed(0.05), "+0.05");
        assert_eq!(signed(-0.3), "-0.3");
        assert_eq!(signed(0.000001), "0");
        assert_eq!(p_value(1.0), "1");
        assert_eq!(p_value(0.0117), "0.0117");
        assert_eq!(p_value(0.000_123), "1.2e-4");
    }

    #[test]
    fn code_spans_hold_anything() {
        assert_eq!(code("a `b`"), "`` a `b` ``");
        assert_eq!(cell("a|b"), "`a\\|b`");
        assert_eq!(code("x\u{1b}y"), "`x\\u{1b}y`");
    }
}
