//! `evalgate history show`: the recorded runs as a table, a row per run, suite and metric,
//! grouped by suite and metric so that each trend reads down the page.

use super::{Filter, RunRecord};
use crate::report::terminal_safe;
use crate::suite::{Bound, number};
use std::fmt::Write;

/// Characters of a model's name in the table.
const MODEL_CHARS: usize = 40;

/// The table of `runs` (filtered, in time order): started, commit, branch, suite, metric,
/// value, interval, floor and model; a note when nothing matched.
pub fn render(runs: &[RunRecord], filter: &Filter) -> String {
    let mut rows: Vec<[String; 9]> = Vec::new();
    let mut keys: Vec<(String, String)> = Vec::new();
    for run in runs {
        for suite in &run.suites {
            for metric in filter.metrics_of(suite) {
                if !keys.contains(&(suite.name.clone(), metric.clone())) {
                    keys.push((suite.name.clone(), metric));
                }
            }
        }
    }
    keys.sort();
    for (name, metric) in &keys {
        for run in runs {
            let Some(suite) = run.suite(name) else {
                continue;
            };
            let Some(record) = suite.metrics.get(metric) else {
                continue;
            };
            let interval = record.interval().map_or_else(
                || "-".to_string(),
                |(low, high)| format!("{} – {}", number(low), number(high)),
            );
            let floor = if record.floored() {
                Bound {
                    min: record.floor_min,
                    max: record.floor_max,
                }
                .describe()
            } else {
                "-".to_string()
            };
            let model: String = suite.model().chars().take(MODEL_CHARS).collect();
            rows.push([
                run.shown_time(),
                run.short_commit(),
                run.branch.clone().unwrap_or_else(|| "-".to_string()),
                suite.name.clone(),
                metric.clone(),
                record.value.map_or_else(|| "n/a".to_string(), number),
                interval,
                floor,
                terminal_safe(&model),
            ]);
        }
    }
    if rows.is_empty() {
        return "no recorded run matches\n".to_string();
    }
    let header = [
        "started", "commit", "branch", "suite", "metric", "value", "interval", "floor", "model",
    ];
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[&str]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            // Numbers right-aligned, the rest left.
            if i == 5 {
                let _ = write!(text, "{cell:>width$}");
            } else {
                let _ = write!(text, "{cell:<width$}");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut out, &header);
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&mut out, &cells);
    }
    let runs_shown = runs.len();
    let _ = writeln!(
        out,
        "\n{} run{}, {} series (suite and metric)",
        runs_shown,
        if runs_shown == 1 { "" } else { "s" },
        keys.len()
    );
    out
}
