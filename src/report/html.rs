//! The HTML report: one self-contained page to read a run in a browser, from disk (`file://`).
//!
//! Everything is inline: the CSS, the SVG charts (drawn here, in Rust) and one small script. The
//! page loads nothing: its Content-Security-Policy forbids every request and lets only the
//! script whose hash it names run, so model text that slipped past escaping still could not
//! execute. Every string from the results is escaped, and the data the script needs is JSON in
//! a `<script type="application/json">` with `<`, `>` and `&` written as `\u003c` and so on.
//!
//! With JavaScript off everything is shown. The script adds filtering by suite, tag, verdict
//! and text, without reloading; a URL hash preselects it, e.g.
//! `report.html#suite=sentiment&tag=short&verdict=fail,error&q=refund`, and the script keeps the
//! hash in step with the controls so a filtered view can be linked.
//!
//! The page depends on the results alone (no clock, nothing random, maps in key order): the
//! same results render to the same bytes, so a report can be snapshotted.
//!
//! # Size
//!
//! A run of tens of thousands of cases must still give a file a browser opens quickly. The caps
//! are the constants below; in short, per suite at most [`MAX_CASE_ROWS`] table rows (cases
//! that did not pass first), [`MAX_FAILURES`] failure messages and [`MAX_CONFUSION_GROUPS`]
//! confusion groups of [`MAX_GROUP_CASES`] cases; every input and output is previewed in
//! [`PREVIEW_CHARS`] characters and expands to [`EXPANDED_CHARS`]; messages keep
//! [`MESSAGE_CHARS`]. Expanded texts and messages of the whole report share [`TEXT_BUDGET`]
//! characters; past it, cells keep their preview and messages [`SHORT_MESSAGE_CHARS`]. What a
//! cap leaves out is counted on the page, and results.json keeps everything.

use crate::report::analysis;
use crate::results::{CaseResult, ConfusionMatrix, FloorResult, RunResults, SuiteResults, Totals};
use crate::suite::{Bound, number};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Characters of an input or output a table cell shows before it offers "more".
const PREVIEW_CHARS: usize = 160;
/// Characters of an input or output once expanded; a longer text ends with how much is left.
const EXPANDED_CHARS: usize = 2_000;
/// Characters of a failure message.
const MESSAGE_CHARS: usize = 4_000;
/// Characters a message keeps once the report's text budget is spent.
const SHORT_MESSAGE_CHARS: usize = 400;
/// Characters of expanded texts and messages in the whole report (about 2 MB of text).
const TEXT_BUDGET: usize = 2_000_000;
/// Rows of a suite's cases table: a row is about 1 KB, so 2,000 rows are about 2 MB.
const MAX_CASE_ROWS: usize = 2_000;
/// Failures (cases) listed with their message per suite.
const MAX_FAILURES: usize = 100;
/// Confusion groups listed per suite, and cases listed per group.
const MAX_CONFUSION_GROUPS: usize = 30;
const MAX_GROUP_CASES: usize = 20;
/// Tags in a suite's slices table.
const MAX_SLICE_ROWS: usize = 200;
/// Tags the filter offers (the most used); a larger select is no help to anyone.
const MAX_FILTER_TAGS: usize = 500;
/// Labels of a confusion matrix drawn as a heatmap (41 × 40 cells); results.json has any matrix.
const MAX_HEATMAP_LABELS: usize = 40;
/// Characters of a label, tag or case id where space is tight; the full name is its tooltip.
const NAME_CHARS: usize = 60;
/// Worst slices named per suite.
const WORST_SLICES: usize = 5;

/// The page's script; the Content-Security-Policy allows it by [`SCRIPT_SHA256`].
const SCRIPT: &str = include_str!("html.js");
/// Base64 SHA-256 of [`SCRIPT`]. tests/html_report.rs checks it and prints the new value when
/// the script changes.
const SCRIPT_SHA256: &str = "U1KY3c9pcKTcxf7bCZUIp6+q9Nh5TjXewyk7uWDEpdo=";
const STYLE: &str = include_str!("html.css");

/// The verdicts of cases, in the order the filter shows them, with the symbol that marks each
/// (so a verdict never depends on colour alone).
const VERDICTS: [(&str, &str); 4] = [
    ("pass", "✓"),
    ("fail", "✗"),
    ("error", "!"),
    ("ignored", "○"),
];

/// The report of a run as one HTML page.
pub fn render(results: &RunResults) -> String {
    render_with_trends(results, &BTreeMap::new())
}

/// [`render`], with a trend panel under a suite's metrics for each suite `trends` has: HTML
/// that the run history drew ([`crate::history::plot::report_trends`]), already escaped.
/// Without trends the page is exactly [`render`]'s.
pub fn render_with_trends(results: &RunResults, trends: &BTreeMap<String, String>) -> String {
    let mut page = Page {
        out: String::with_capacity(64 * 1024),
        budget: TEXT_BUDGET,
        tags: filter_tags(results),
        trends,
    };
    page.head(results);
    page.out.push_str("<body>\n");
    page.header(results);
    page.overview(results);
    page.filters(results);
    page.out.push_str("<main>\n");
    for (index, suite) in results.suites.iter().enumerate() {
        page.suite(index, suite);
    }
    page.out.push_str("</main>\n");
    page.data(results);
    let _ = write!(
        page.out,
        "<pre id=\"js-errors\" class=\"js-errors\" hidden></pre>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    );
    page.out
}

struct Page<'a> {
    out: String,
    /// Characters of long text (expanded cells, messages) the report may still hold.
    budget: usize,
    /// The tags the filter offers, in name order; a case's `data-t` holds indices into it.
    tags: BTreeMap<&'a str, usize>,
    /// Trend panels from the run history, by suite name.
    trends: &'a BTreeMap<String, String>,
}

/// The most used tags of the run, at most [`MAX_FILTER_TAGS`], numbered in name order.
fn filter_tags(results: &RunResults) -> BTreeMap<&str, usize> {
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for case in results.suites.iter().flat_map(|s| &s.cases) {
        for tag in &case.tags {
            *uses.entry(tag).or_default() += 1;
        }
    }
    let mut by_use: Vec<(&str, usize)> = uses.into_iter().collect();
    by_use.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    by_use.truncate(MAX_FILTER_TAGS);
    let mut names: Vec<&str> = by_use.into_iter().map(|(tag, _)| tag).collect();
    names.sort_unstable();
    names.into_iter().enumerate().map(|(i, t)| (t, i)).collect()
}

impl Page<'_> {
    fn head(&mut self, results: &RunResults) {
        let status = if results.failed() { "failed" } else { "passed" };
        let _ = write!(
            self.out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{SCRIPT_SHA256}'\">\n\
             <meta name=\"generator\" content=\"evalgate {}\">\n\
             <title>evalgate report · {status} · {}</title>\n<style>{STYLE}</style>\n</head>\n",
            esc(&results.evalgate_version),
            esc(&shown_time(&results.started_at)),
        );
    }

    fn header(&mut self, results: &RunResults) {
        let (class, mark, status) = if results.failed() {
            ("fail", "✗", "failed")
        } else {
            ("pass", "✓", "passed")
        };
        let _ = write!(
            self.out,
            "<header class=\"top\">\n<h1>evalgate report <span class=\"pill {class}\">{mark} {status}</span></h1>\n<dl class=\"meta\">\n"
        );
        let mut item = |term: &str, value: String| {
            let _ = writeln!(self.out, "<div><dt>{term}</dt><dd>{value}</dd></div>");
        };
        item(
            "Started",
            format!(
                "<time datetime=\"{}\">{}</time>",
                esc(&results.started_at),
                esc(&shown_time(&results.started_at))
            ),
        );
        item("Duration", duration(results.duration_ms));
        item(
            "Git",
            match &results.git {
                Some(git) => {
                    let short: String = git.commit.chars().take(12).collect();
                    let mut text = format!(
                        "<code title=\"{}\">{}</code>",
                        esc(&git.commit),
                        esc(&short)
                    );
                    if let Some(branch) = &git.branch {
                        let _ = write!(text, " on <code>{}</code>", esc(branch));
                    }
                    if git.dirty {
                        text.push_str(" <span class=\"warn\">+ uncommitted changes</span>");
                    }
                    text
                }
                None => "<span class=\"muted\">not a git checkout</span>".to_string(),
            },
        );
        item(
            "evalgate",
            format!(
                "{} <span class=\"muted\">(results schema {})</span>",
                esc(&results.evalgate_version),
                results.schema_version
            ),
        );
        item(
            "Cassettes",
            results.cassette_mode.as_deref().map_or_else(
                || "<span class=\"muted\">not used</span>".to_string(),
                |mode| format!("<code>{}</code>", esc(mode)),
            ),
        );
        self.out.push_str("</dl>\n");
        self.totals(&results.totals, "Tests (cases and floors)");
        self.out.push_str("</header>\n");
    }

    /// Counts by verdict, each a number with its word.
    fn totals(&mut self, totals: &Totals, label: &str) {
        let _ = write!(self.out, "<ul class=\"totals\" aria-label=\"{label}\">");
        for (class, count, word) in [
            ("pass", totals.passed, "✓ passed"),
            ("fail", totals.failed, "✗ failed"),
            ("error", totals.errored, "! errored"),
            ("ignored", totals.ignored, "○ ignored"),
            ("ng", totals.not_gating, "failed, not gating"),
        ] {
            if count == 0 && matches!(class, "ignored" | "ng") {
                continue;
            }
            let zero = if count == 0 { " zero" } else { "" };
            let _ = write!(
                self.out,
                "<li class=\"total {class}{zero}\"><b>{count}</b> {word}</li>"
            );
        }
        self.out.push_str("</ul>\n");
    }

    /// One row per suite: what it is, its counts, its headline metric and its verdict.
    fn overview(&mut self, results: &RunResults) {
        self.out.push_str(
            "<section class=\"overview\" aria-labelledby=\"overview-h\">\n<h2 id=\"overview-h\">Suites</h2>\n\
             <table>\n<thead><tr><th scope=\"col\">Suite</th><th scope=\"col\">Task</th>\
             <th scope=\"col\">Model</th><th scope=\"col\" class=\"num\">Cases</th>\
             <th scope=\"col\" class=\"num\">Passed</th><th scope=\"col\" class=\"num\">Failed</th>\
             <th scope=\"col\" class=\"num\">Errored</th>\
             <th scope=\"col\" class=\"num\">Not gating</th><th scope=\"col\">Headline metric</th>\
             <th scope=\"col\">Floors</th><th scope=\"col\">Verdict</th></tr></thead>\n<tbody>\n",
        );
        for (index, suite) in results.suites.iter().enumerate() {
            let metric = analysis::headline_metric(&suite.task);
            let headline = suite.metrics.get(metric).map_or_else(
                || "<span class=\"muted\">—</span>".to_string(),
                |v| format!("{metric} <b>{}</b>", number(*v)),
            );
            let floors_failed = suite.floors.iter().filter(|f| f.verdict != "pass").count();
            let floors = if suite.floors.is_empty() {
                "<span class=\"muted\">none</span>".to_string()
            } else if floors_failed == 0 {
                format!("✓ {} held", suite.floors.len())
            } else {
                format!(
                    "<span class=\"bad\">✗ {floors_failed} of {} broken</span>",
                    suite.floors.len()
                )
            };
            let summary = &suite.cases_summary;
            let _ = writeln!(
                self.out,
                "<tr><th scope=\"row\"><a href=\"#s-{index}\">{}</a></th><td>{}</td><td>{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{headline}</td><td>{floors}</td>\
                 <td>{}</td></tr>",
                esc(&suite.name),
                esc(&suite.task),
                esc(&cut_name(&suite.model.provider)),
                suite.cases.len(),
                summary.passed,
                summary.failed,
                summary.errored,
                summary.not_gating,
                suite_pill(suite),
            );
        }
        self.out.push_str("</tbody>\n</table>\n</section>\n");
    }

    /// The filter controls. They do nothing without the script, which enables them.
    fn filters(&mut self, results: &RunResults) {
        self.out.push_str(
            "<form id=\"filters\" class=\"filters\" aria-label=\"Filter cases\">\n\
             <fieldset disabled>\n<legend class=\"sr-only\">Filter cases</legend>\n\
             <label>Suite <select name=\"suite\"><option value=\"\">all suites</option>",
        );
        for (index, suite) in results.suites.iter().enumerate() {
            let _ = write!(
                self.out,
                "<option value=\"{index}\">{}</option>",
                esc(&cut_name(&suite.name))
            );
        }
        self.out
            .push_str("</select></label>\n<label>Tag <select name=\"tag\"><option value=\"\">all tags</option>");
        let tags: Vec<(&str, usize)> = self.tags.iter().map(|(t, i)| (*t, *i)).collect();
        for (tag, index) in tags {
            let _ = write!(
                self.out,
                "<option value=\"{index}\">{}</option>",
                esc(&cut_name(tag))
            );
        }
        self.out.push_str(
            "</select></label>\n<span class=\"verdicts\" role=\"group\" aria-label=\"Verdicts\">",
        );
        for (verdict, mark) in VERDICTS {
            let _ = write!(
                self.out,
                "<label class=\"check\"><input type=\"checkbox\" name=\"verdict\" value=\"{verdict}\" checked> \
                 <span class=\"v v-{verdict}\">{mark} {verdict}</span></label>"
            );
        }
        self.out.push_str(
            "</span>\n<label class=\"search\"><span class=\"sr-only\">Text</span><input type=\"search\" name=\"q\" placeholder=\"Search cases…\"></label>\n\
             <button type=\"reset\">Reset</button>\n\
             <output id=\"filter-status\" aria-live=\"polite\"></output>\n</fieldset>\n\
             <noscript><p class=\"note\">Filtering needs JavaScript; every case is shown.</p></noscript>\n</form>\n",
        );
    }

    fn suite(&mut self, index: usize, suite: &SuiteResults) {
        let _ = write!(
            self.out,
            "<section class=\"suite\" id=\"s-{index}\" data-s=\"{index}\" aria-labelledby=\"s-{index}-h\">\n\
             <h2 id=\"s-{index}-h\">{} {}</h2>\n<p class=\"sub\"><span class=\"task\">{}</span> · \
             {}: <code>{}</code> · <code>{}</code></p>\n",
            esc(&suite.name),
            suite_pill(suite),
            esc(&suite.task),
            esc(&suite.model.provider),
            esc(&cut(&suite.model.identity, PREVIEW_CHARS)),
            esc(&suite.file),
        );
        if let Some(description) = &suite.description {
            let _ = writeln!(
                self.out,
                "<p class=\"desc\">{}</p>",
                esc(&cut(description, EXPANDED_CHARS))
            );
        }
        self.totals(&suite.cases_summary, "Cases");
        let _ = writeln!(
            self.out,
            "<p class=\"muted small\">Metrics over {}; failures gate on: {}.</p>",
            plural(suite.metrics_cases, "case"),
            fail_on(suite)
        );
        // The metrics on the left, the charts beside them; the metrics alone take the width.
        let charts_at = self.out.len();
        if let Some(matrix) = &suite.confusion_matrix {
            self.confusion(index, matrix);
        }
        if suite.task == "classify" && !suite.labels.is_empty() {
            self.per_label(index, suite);
        }
        if !suite.signatures.is_empty() {
            self.translation(suite);
        }
        self.sentence_scores(index, suite);
        let charts = self.out.split_off(charts_at);
        let layout = if charts.is_empty() { "single" } else { "split" };
        let _ = writeln!(
            self.out,
            "<div class=\"panels {layout}\">\n<div class=\"column\">"
        );
        self.metrics(suite);
        self.out.push_str("</div>\n");
        if !charts.is_empty() {
            let _ = writeln!(self.out, "<div class=\"column\">\n{charts}</div>");
        }
        self.out.push_str("</div>\n");
        if let Some(trend) = self.trends.get(&suite.name) {
            self.out.push_str(trend);
        }
        self.slices(suite);
        self.confusion_groups(index, suite);
        self.failures(index, suite);
        self.cases(index, suite);
        self.out.push_str("</section>\n");
    }

    /// Every metric with its floor, bound and verdict: floors first, in the suite's order,
    /// then the metrics no floor names. Per-label metrics of a classifier have their own table.
    fn metrics(&mut self, suite: &SuiteResults) {
        let _ = writeln!(
            self.out,
            "<div class=\"panel\">\n<h3>Metrics and floors</h3>\n<table class=\"metrics\">\n\
             <thead><tr><th scope=\"col\">Metric</th><th scope=\"col\" class=\"num\">Value</th>\
             <th scope=\"col\" class=\"num\">{} CI</th>\
             <th scope=\"col\">Floor</th><th scope=\"col\">Verdict</th></tr></thead>\n<tbody>",
            super::confidence_level(suite)
        );
        let interval = |metric: &str| {
            super::interval(suite, metric).map_or_else(
                || "<td class=\"num muted\">—</td>".to_string(),
                |(low, high)| format!("<td class=\"num\">{} – {}</td>", number(low), number(high)),
            )
        };
        for floor in &suite.floors {
            let (value, bound) = super::floor_figures(floor);
            let _ = writeln!(
                self.out,
                "<tr class=\"{}\"><th scope=\"row\"><code>{}</code></th><td class=\"num\">{}</td>{}<td>{}</td><td>{}</td></tr>",
                if floor.verdict == "pass" {
                    "ok"
                } else {
                    "broken"
                },
                esc(&floor.metric),
                esc(&value),
                interval(&floor.metric),
                esc(&bound),
                floor_verdict(floor),
            );
        }
        for (metric, value) in &suite.metrics {
            if suite.floors.iter().any(|f| &f.metric == metric)
                || is_per_label_metric(suite, metric)
            {
                continue;
            }
            let _ = writeln!(
                self.out,
                "<tr><th scope=\"row\"><code>{}</code></th><td class=\"num\">{}</td>{}\
                 <td class=\"muted\">—</td><td class=\"muted\">no floor</td></tr>",
                esc(metric),
                number(*value),
                interval(metric)
            );
        }
        self.out.push_str("</tbody>\n</table>\n</div>\n");
    }

    fn confusion(&mut self, index: usize, matrix: &ConfusionMatrix) {
        self.out
            .push_str("<div class=\"panel\">\n<h3>Confusion matrix</h3>\n");
        if matrix.labels.len() > MAX_HEATMAP_LABELS {
            let _ = writeln!(
                self.out,
                "<p class=\"note\">{} labels are too many to draw (the report draws up to \
                 {MAX_HEATMAP_LABELS}); results.json has the matrix.</p>\n</div>",
                matrix.labels.len()
            );
            return;
        }
        self.out
            .push_str(&heatmap(&format!("s-{index}-cm"), matrix));
        self.out.push_str(
            "<p class=\"muted small\">Rows: the expected label; columns: the label the output \
             named (<code>&lt;invalid&gt;</code>: none). Darker is more cases.</p>\n</div>\n",
        );
    }

    /// Precision, recall and F1 of each label as bars, with the numbers in a table.
    fn per_label(&mut self, index: usize, suite: &SuiteResults) {
        let rows: Vec<LabelScores> = suite
            .labels
            .iter()
            .map(|label| {
                let get = |metric: &str| suite.metrics.get(&format!("{metric}.{label}")).copied();
                LabelScores {
                    label,
                    scores: [get("precision"), get("recall"), get("f1")],
                    support: get("support"),
                }
            })
            .collect();
        if rows.iter().all(|r| r.scores.iter().all(Option::is_none)) {
            return;
        }
        self.out
            .push_str("<div class=\"panel\">\n<h3>Precision, recall and F1 per label</h3>\n");
        if rows.len() <= MAX_HEATMAP_LABELS {
            self.out.push_str(&bars(&format!("s-{index}-bars"), &rows));
        }
        self.out.push_str(
            "<table class=\"compact\">\n<thead><tr><th scope=\"col\">Label</th>\
             <th scope=\"col\" class=\"num\">Precision</th><th scope=\"col\" class=\"num\">Recall</th>\
             <th scope=\"col\" class=\"num\">F1</th><th scope=\"col\" class=\"num\">Support</th></tr></thead>\n<tbody>\n",
        );
        for row in &rows {
            let cell = |v: Option<f64>| v.map_or_else(|| "n/a".to_string(), number);
            let _ = writeln!(
                self.out,
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&cut_name(row.label)),
                cell(row.scores[0]),
                cell(row.scores[1]),
                cell(row.scores[2]),
                cell(row.support),
            );
        }
        self.out.push_str("</tbody>\n</table>\n</div>\n");
    }

    /// translate: the corpus scores under sacreBLEU's names, and the signatures that say how
    /// each was computed.
    fn translation(&mut self, suite: &SuiteResults) {
        self.out
            .push_str("<div class=\"panel\">\n<h3>Translation scores</h3>\n<ul class=\"scores\">");
        for (metric, shown) in TRANSLATION_METRICS {
            let Some(value) = suite.metrics.get(metric) else {
                continue;
            };
            let floor = suite.floors.iter().find(|f| f.metric == metric);
            let mark = floor.map_or_else(
                || "<span class=\"muted\">no floor</span>".to_string(),
                |f| {
                    let bound = Bound {
                        min: f.min,
                        max: f.max,
                    };
                    format!("{} {}", esc(&bound.describe()), floor_verdict(f))
                },
            );
            let better = if metric == "ter" {
                "lower is better"
            } else {
                "higher is better"
            };
            let _ = write!(
                self.out,
                "<li><span class=\"score-name\">{shown}</span><b>{}</b>\
                 <span class=\"small muted\">{better}</span><span class=\"small\">{mark}</span></li>",
                number(*value)
            );
        }
        self.out.push_str(
            "</ul>\n<table class=\"compact\">\n<caption>sacreBLEU signatures</caption>\n\
             <thead><tr><th scope=\"col\">Metric</th><th scope=\"col\">Signature</th></tr></thead>\n<tbody>\n",
        );
        for (metric, signature) in &suite.signatures {
            let _ = writeln!(
                self.out,
                "<tr><th scope=\"row\"><code>{}</code></th><td><code class=\"sig\">{}</code></td></tr>",
                esc(metric),
                esc(&cut(signature, PREVIEW_CHARS))
            );
        }
        self.out.push_str("</tbody>\n</table>\n</div>\n");
    }

    /// A histogram of the outputs' sentence chrF, for suites with references.
    fn sentence_scores(&mut self, index: usize, suite: &SuiteResults) {
        let scores: Vec<f64> = suite
            .cases
            .iter()
            .filter_map(|c| c.similarity.as_ref().map(|s| s.chrf))
            .collect();
        if scores.is_empty() {
            return;
        }
        self.out
            .push_str("<div class=\"panel\">\n<h3>Sentence chrF of the outputs</h3>\n");
        self.out
            .push_str(&histogram(&format!("s-{index}-chrf"), &scores));
        self.out.push_str(
            "<p class=\"muted small\">Each output against its closest reference; 100 is \
             identical to it.</p>\n</div>\n",
        );
    }

    /// The suite's metrics per tag, the worst slices first named on their own.
    fn slices(&mut self, suite: &SuiteResults) {
        if suite.slices.is_empty() {
            return;
        }
        let headline = analysis::headline_metric(&suite.task);
        let worst = analysis::worst_slices(suite, WORST_SLICES);
        self.out
            .push_str("<div class=\"block\">\n<h3>Slices by tag</h3>\n");
        if worst.is_empty() {
            let _ = writeln!(
                self.out,
                "<p class=\"muted\">No tag scores below the suite on <code>{headline}</code>.</p>"
            );
        } else {
            self.out
                .push_str("<ul class=\"worst\" aria-label=\"Worst slices\">");
            for gap in &worst {
                let _ = write!(
                    self.out,
                    "<li><span class=\"down\" aria-hidden=\"true\">▼</span> <span class=\"tag\">{}</span> \
                     {} <b>{}</b> against {} for the suite (<span class=\"bad\">{}</span>) over {}</li>",
                    esc(&cut_name(gap.tag)),
                    gap.metric,
                    number(gap.value),
                    number(gap.suite_value),
                    signed(gap.gap()),
                    plural(gap.cases, "case")
                );
            }
            self.out.push_str("</ul>\n");
        }
        // The columns: the headline, then the metrics the suite has floors on.
        let mut columns: Vec<&str> = vec![headline];
        for floor in &suite.floors {
            if !columns.contains(&floor.metric.as_str())
                && suite
                    .slices
                    .iter()
                    .any(|s| s.metrics.contains_key(&floor.metric))
            {
                columns.push(&floor.metric);
            }
        }
        self.out.push_str(
            "<table class=\"compact slices\">\n<thead><tr><th scope=\"col\">Tag</th>\
             <th scope=\"col\" class=\"num\">Cases</th>",
        );
        for column in &columns {
            let _ = write!(
                self.out,
                "<th scope=\"col\" class=\"num\"><code>{}</code></th>",
                esc(column)
            );
        }
        let _ = write!(
            self.out,
            "<th scope=\"col\" class=\"num\">vs suite ({headline})</th></tr></thead>\n<tbody>\n"
        );
        let suite_headline = suite.metrics.get(headline).copied();
        for slice in suite.slices.iter().take(MAX_SLICE_ROWS) {
            let is_worst = worst.iter().any(|w| w.tag == slice.tag);
            let _ = write!(
                self.out,
                "<tr{}><th scope=\"row\"><span class=\"tag\">{}</span>{}</th><td class=\"num\">{}</td>",
                if is_worst { " class=\"worst-row\"" } else { "" },
                esc(&cut_name(&slice.tag)),
                if is_worst {
                    " <span class=\"bad small\">▼ worst</span>"
                } else {
                    ""
                },
                slice.cases
            );
            for column in &columns {
                let value = slice.metrics.get(*column);
                let _ = write!(
                    self.out,
                    "<td class=\"num\">{}</td>",
                    value.map_or_else(|| "n/a".to_string(), |v| number(*v))
                );
            }
            let gap = match (slice.metrics.get(headline), suite_headline) {
                (Some(value), Some(whole)) => signed(value - whole),
                _ => "n/a".to_string(),
            };
            let _ = writeln!(self.out, "<td class=\"num\">{gap}</td></tr>");
        }
        self.out.push_str("</tbody>\n</table>\n");
        if suite.slices.len() > MAX_SLICE_ROWS {
            let _ = writeln!(
                self.out,
                "<p class=\"note\">{} more tags are not listed (at most {MAX_SLICE_ROWS}); results.json has them.</p>",
                suite.slices.len() - MAX_SLICE_ROWS
            );
        }
        self.out.push_str("</div>\n");
    }

    /// A classifier's wrong answers grouped by which label was taken for which.
    fn confusion_groups(&mut self, index: usize, suite: &SuiteResults) {
        let groups = analysis::confusion_groups(suite);
        if groups.is_empty() {
            return;
        }
        let _ = writeln!(
            self.out,
            "<div class=\"block\">\n<h3>Misclassified cases by confusion</h3>\n\
             <p class=\"muted small\">{} in {}, the largest first.</p>",
            plural(groups.iter().map(|g| g.cases.len()).sum(), "wrong answer"),
            plural(groups.len(), "group")
        );
        for group in groups.iter().take(MAX_CONFUSION_GROUPS) {
            let _ = write!(
                self.out,
                "<details class=\"group filter-group\"><summary><span class=\"label\">{}</span> \
                 <span aria-label=\"taken for\">→</span> <span class=\"label bad\">{}</span> \
                 <span class=\"muted\">· {}</span></summary>\n<ul class=\"group-cases\">\n",
                esc(&cut_name(group.expected)),
                esc(&cut_name(group.predicted)),
                plural(group.cases.len(), "case")
            );
            for case in group.cases.iter().take(MAX_GROUP_CASES) {
                let _ = writeln!(
                    self.out,
                    "<li {}><code>{}</code> <span class=\"muted\">input</span> {} \
                     <span class=\"muted\">output</span> {}</li>",
                    case_attributes("case", index, case, &self.tags),
                    esc(&cut_name(&case.id)),
                    quoted_preview(&case.input),
                    quoted_preview(case.output.as_deref().unwrap_or("")),
                );
            }
            if group.cases.len() > MAX_GROUP_CASES {
                let _ = writeln!(
                    self.out,
                    "<li class=\"muted\">… {} more (the cases table has them)</li>",
                    group.cases.len() - MAX_GROUP_CASES
                );
            }
            self.out.push_str("</ul>\n</details>\n");
        }
        if groups.len() > MAX_CONFUSION_GROUPS {
            let _ = writeln!(
                self.out,
                "<p class=\"note\">{} smaller groups are not listed.</p>",
                groups.len() - MAX_CONFUSION_GROUPS
            );
        }
        self.out.push_str("</div>\n");
    }

    /// Broken floors, then the cases that failed or errored (those that gate first), each with
    /// its message and its diff.
    fn failures(&mut self, index: usize, suite: &SuiteResults) {
        let floors: Vec<&FloorResult> = suite
            .floors
            .iter()
            .filter(|f| f.verdict != "pass")
            .collect();
        let mut cases: Vec<&CaseResult> = suite
            .cases
            .iter()
            .filter(|c| matches!(c.verdict.as_str(), "fail" | "error"))
            .collect();
        if floors.is_empty() && cases.is_empty() {
            return;
        }
        // Stable: suite order within gating and not gating.
        cases.sort_by_key(|c| !c.gating);
        let mut counts = Vec::new();
        if !floors.is_empty() {
            counts.push(format!("{} broken", plural(floors.len(), "floor")));
        }
        if !cases.is_empty() {
            let gating = match cases.iter().filter(|c| c.gating).count() {
                0 => "none gating".to_string(),
                n if n == cases.len() => "all gating".to_string(),
                n => format!("{n} gating"),
            };
            counts.push(format!(
                "{} failed or errored, {gating}",
                plural(cases.len(), "case")
            ));
        }
        let _ = writeln!(
            self.out,
            "<div class=\"block\">\n<h3>Failures</h3>\n<p class=\"muted small\">{}.</p>",
            counts.join("; ")
        );
        for floor in floors {
            let message = floor.message.as_deref().unwrap_or("");
            let _ = writeln!(
                self.out,
                "<details class=\"failure\"{}><summary>{} <code>{}</code> <span class=\"muted\">{}</span></summary>",
                if floor.gating { " open" } else { "" },
                floor_verdict(floor),
                esc(&floor.test),
                esc(&cut(super::first_line(message), PREVIEW_CHARS))
            );
            self.message(message);
            self.out.push_str("</details>\n");
        }
        // Failures that do not gate are what a suite expects to see (a weak model's wrong
        // answers): folded away, so the ones that fail the run stand out.
        let listed = cases.len().min(MAX_FAILURES);
        let not_gating = cases[..listed].iter().filter(|c| !c.gating).count();
        for (n, case) in cases.iter().take(listed).enumerate() {
            if n == listed - not_gating {
                let _ = writeln!(
                    self.out,
                    "<details class=\"not-gating filter-group\"><summary>{} that do not gate \
                     (failures gate on: {})</summary>",
                    plural(cases.len() - (listed - not_gating), "failed case"),
                    fail_on(suite)
                );
            }
            let message = case
                .message
                .as_deref()
                .or(case.error.as_deref())
                .unwrap_or("");
            let _ = writeln!(
                self.out,
                "<details {}{}><summary>{} <code>{}</code> <span class=\"muted\">{}</span></summary>",
                case_attributes("failure case", index, case, &self.tags),
                if case.gating { " open" } else { "" },
                verdict_badge(&case.verdict, case.gating),
                esc(&case.test),
                esc(&cut(&super::case_headline(case), PREVIEW_CHARS))
            );
            self.message(message);
            self.out.push_str("</details>\n");
        }
        if cases.len() > MAX_FAILURES {
            let _ = writeln!(
                self.out,
                "<p class=\"note\">{} more failed cases are not listed with their message (at \
                 most {MAX_FAILURES}); the cases table lists them.</p>",
                cases.len() - MAX_FAILURES
            );
        }
        if not_gating > 0 {
            self.out.push_str("</details>\n");
        }
        self.out.push_str("</div>\n");
    }

    /// A failure message in a `<pre>`, its diff marked, cut to what the budget allows.
    fn message(&mut self, message: &str) {
        let limit = if self.budget > 0 {
            MESSAGE_CHARS
        } else {
            SHORT_MESSAGE_CHARS
        };
        let (shown, left) = split_at_chars(message, limit);
        self.budget = self.budget.saturating_sub(shown.chars().count());
        let _ = write!(self.out, "<pre class=\"msg\">{}", message_html(shown));
        if left > 0 {
            let _ = write!(
                self.out,
                "\n<span class=\"muted\">… {left} more characters (results.json has the whole message)</span>"
            );
        }
        self.out.push_str("</pre>\n");
    }

    /// Every case (up to [`MAX_CASE_ROWS`]) with its verdict, tags, input, output and what
    /// decided the verdict.
    fn cases(&mut self, index: usize, suite: &SuiteResults) {
        let (listed, left_out) = listed_cases(suite);
        let _ = write!(
            self.out,
            "<div class=\"block\">\n<h3>Cases</h3>\n<div class=\"table-wrap\">\n<table class=\"cases\">\n\
             <caption class=\"sr-only\">Cases of {}</caption>\n\
             <colgroup><col class=\"c-verdict\"><col class=\"c-id\"><col class=\"c-tags\"><col class=\"c-text\">\
             <col class=\"c-text\"><col class=\"c-detail\"><col class=\"c-ms\"></colgroup>\n\
             <thead><tr><th scope=\"col\">Verdict</th><th scope=\"col\">Case</th><th scope=\"col\">Tags</th>\
             <th scope=\"col\">Input</th><th scope=\"col\">Output</th><th scope=\"col\">{}</th>\
             <th scope=\"col\" class=\"num\"><abbr title=\"latency in milliseconds\">ms</abbr></th></tr></thead>\n<tbody>\n",
            esc(&suite.name),
            match suite.task.as_str() {
                "classify" => "Expected → predicted",
                "translate" => "Sentence scores",
                _ => "Checks",
            }
        );
        for case in listed {
            let _ = write!(
                self.out,
                "<tr {}><td>{}</td><td><code title=\"{}:{}\">{}</code></td><td>",
                case_attributes("case", index, case, &self.tags),
                verdict_badge(&case.verdict, case.gating),
                esc(&case.file),
                case.line,
                esc(&cut_name(&case.id)),
            );
            for tag in case.tags.iter().take(8) {
                let _ = write!(
                    self.out,
                    "<span class=\"tag\">{}</span> ",
                    esc(&cut_name(tag))
                );
            }
            if case.tags.len() > 8 {
                let _ = write!(
                    self.out,
                    "<span class=\"muted\">+{}</span>",
                    case.tags.len() - 8
                );
            }
            self.out.push_str("</td><td class=\"text\">");
            self.text_cell(&case.input);
            self.out.push_str("</td><td class=\"text\">");
            match (&case.output, &case.error) {
                (Some(output), _) => self.text_cell(output),
                (None, Some(error)) => {
                    self.out.push_str("<span class=\"bad\">error: </span>");
                    self.text_cell(error);
                }
                (None, None) => self.out.push_str("<span class=\"muted\">—</span>"),
            }
            let _ = writeln!(
                self.out,
                "</td><td>{}</td><td class=\"num\">{}</td></tr>",
                case_detail(case),
                case.latency_ms.map_or_else(String::new, latency)
            );
        }
        self.out.push_str("</tbody>\n</table>\n</div>\n");
        if left_out > 0 {
            let _ = writeln!(
                self.out,
                "<p class=\"note\">{left_out} more cases are not listed: the table lists at most \
                 {MAX_CASE_ROWS} per suite, those that did not pass first. results.json has them all.</p>"
            );
        }
        self.out.push_str("</div>\n");
    }

    /// An input or output: its preview, and the longer text behind a `<details>` while the
    /// report's text budget lasts.
    fn text_cell(&mut self, text: &str) {
        let (preview, rest) = split_at_chars(text, PREVIEW_CHARS);
        if rest == 0 {
            self.out.push_str(&esc(text));
            return;
        }
        if self.budget == 0 {
            let _ = write!(
                self.out,
                "{}<span class=\"muted\">… ({rest} more characters)</span>",
                esc(preview)
            );
            return;
        }
        let (expanded, left) = split_at_chars(text, EXPANDED_CHARS);
        self.budget = self.budget.saturating_sub(expanded.chars().count());
        let _ = write!(
            self.out,
            "<details class=\"more\"><summary><span class=\"pv\">{}…</span> <span class=\"more-btn\"></span></summary>{}",
            esc(preview),
            esc(expanded)
        );
        if left > 0 {
            let _ = write!(
                self.out,
                "<span class=\"muted\">… ({left} more characters in results.json)</span>"
            );
        }
        self.out.push_str("</details>");
    }

    /// What the script needs, as JSON it parses: the names its hash parameters use.
    fn data(&mut self, results: &RunResults) {
        let data = serde_json::json!({
            "suites": results.suites.iter().map(|s| &s.name).collect::<Vec<_>>(),
            "tags": self.tags.keys().collect::<Vec<_>>(),
        });
        let _ = writeln!(
            self.out,
            "<script type=\"application/json\" id=\"evalgate-data\">{}</script>",
            json_for_script(&data.to_string())
        );
    }
}

const TRANSLATION_METRICS: [(&str, &str); 4] = [
    ("bleu", "BLEU"),
    ("chrf", "chrF"),
    ("chrf_pp", "chrF++"),
    ("ter", "TER"),
];

struct LabelScores<'a> {
    label: &'a str,
    /// Precision, recall and F1.
    scores: [Option<f64>; 3],
    support: Option<f64>,
}

/// The rows of a suite's cases table, in suite order, and how many were left out: all of them,
/// or those that did not pass and then those that did, up to [`MAX_CASE_ROWS`].
fn listed_cases(suite: &SuiteResults) -> (Vec<&CaseResult>, usize) {
    let cases = &suite.cases;
    if cases.len() <= MAX_CASE_ROWS {
        return (cases.iter().collect(), 0);
    }
    let mut keep = vec![false; cases.len()];
    let mut room = MAX_CASE_ROWS;
    for passing in [false, true] {
        for (i, case) in cases.iter().enumerate() {
            if room > 0 && (case.verdict == "pass") == passing {
                keep[i] = true;
                room -= 1;
            }
        }
    }
    let listed = cases
        .iter()
        .zip(&keep)
        .filter(|(_, keep)| **keep)
        .map(|(c, _)| c)
        .collect();
    (listed, cases.len() - MAX_CASE_ROWS)
}

/// A case element's class and the attributes the filter reads: suite, tags (indices into the
/// filter's tags) and verdict. The script filters every element of class `case`.
fn case_attributes(
    class: &str,
    suite: usize,
    case: &CaseResult,
    tags: &BTreeMap<&str, usize>,
) -> String {
    let indices: Vec<String> = case
        .tags
        .iter()
        .filter_map(|t| tags.get(t.as_str()))
        .map(usize::to_string)
        .collect();
    format!(
        "class=\"{class}\" data-s=\"{suite}\" data-t=\"{}\" data-v=\"{}\"",
        indices.join(" "),
        esc(&case.verdict)
    )
}

/// classify: expected and predicted label; with references: the sentence scores; otherwise
/// the checks that failed.
fn case_detail(case: &CaseResult) -> String {
    if let Some(expected) = &case.expected {
        return match &case.predicted {
            Some(predicted) if predicted == expected => {
                format!(
                    "<span class=\"label\">{}</span> ✓",
                    esc(&cut_name(expected))
                )
            }
            Some(predicted) => format!(
                "<span class=\"label\">{}</span> → <span class=\"label bad\">✗ {}</span>",
                esc(&cut_name(expected)),
                esc(&cut_name(predicted))
            ),
            None => format!("<span class=\"label\">{}</span>", esc(&cut_name(expected))),
        };
    }
    let mut detail = String::new();
    if let Some(similarity) = &case.similarity {
        let _ = write!(
            detail,
            "chrF {} · BLEU {}",
            number(similarity.chrf),
            number(similarity.bleu)
        );
    }
    for check in case.failed_checks.iter().take(5) {
        let _ = write!(
            detail,
            "<div class=\"bad\" title=\"{}\">✗ {}</div>",
            esc(&cut(&check.detail, PREVIEW_CHARS)),
            esc(&cut(&check.check, NAME_CHARS))
        );
    }
    if case.failed_checks.len() > 5 {
        let _ = write!(
            detail,
            "<div class=\"muted\">+{} more</div>",
            case.failed_checks.len() - 5
        );
    }
    if detail.is_empty() && case.verdict == "pass" {
        detail.push_str("<span class=\"muted\">all held</span>");
    }
    detail
}

fn verdict_badge(verdict: &str, gating: bool) -> String {
    let mark = VERDICTS
        .iter()
        .find(|(v, _)| *v == verdict)
        .map_or("?", |(_, mark)| mark);
    let mut badge = format!("<span class=\"v v-{0}\">{mark} {0}</span>", esc(verdict));
    if !gating && matches!(verdict, "fail" | "error") {
        badge.push_str(" <span class=\"ng\">not gating</span>");
    }
    badge
}

fn floor_verdict(floor: &FloorResult) -> String {
    verdict_badge(&floor.verdict, floor.gating)
}

/// A suite fails when a case or floor that gates does.
fn suite_pill(suite: &SuiteResults) -> &'static str {
    let cases = suite.cases_summary.failed + suite.cases_summary.errored > 0;
    let floors = suite.floors.iter().any(|f| f.gating && f.verdict != "pass");
    if cases || floors {
        "<span class=\"pill fail\">✗ failed</span>"
    } else {
        "<span class=\"pill pass\">✓ passed</span>"
    }
}

/// What makes the suite fail: `case, floor`, `floor` or `nothing`.
fn fail_on(suite: &SuiteResults) -> String {
    if suite.fail_on.is_empty() {
        "nothing".to_string()
    } else {
        esc(&suite.fail_on.join(", "))
    }
}

/// Whether a metric is one label's (`recall.negative`): the per-label table shows those.
fn is_per_label_metric(suite: &SuiteResults, metric: &str) -> bool {
    metric.split_once('.').is_some_and(|(kind, label)| {
        matches!(kind, "precision" | "recall" | "f1" | "support")
            && suite.labels.iter().any(|l| l == label)
    })
}

// ---------------------------------------------------------------------------------------------
// Charts: SVG with a title and a description, text in the page's font, every value also
// written as text (or in a tooltip and a table), never told by colour alone.

/// ColorBrewer's sequential Blues, light to dark: a count's shade in the heatmap.
const BLUES: [(u8, u8, u8); 9] = [
    (0xf7, 0xfb, 0xff),
    (0xde, 0xeb, 0xf7),
    (0xc6, 0xdb, 0xef),
    (0x9e, 0xca, 0xe1),
    (0x6b, 0xae, 0xd6),
    (0x42, 0x92, 0xc6),
    (0x21, 0x71, 0xb5),
    (0x08, 0x51, 0x9c),
    (0x08, 0x30, 0x6b),
];

/// The Blues colour at `t` in 0..=1, interpolated between its stops.
fn blue(t: f64) -> String {
    let t = t.clamp(0.0, 1.0) * (BLUES.len() - 1) as f64;
    let (low, frac) = (t.floor() as usize, t.fract());
    let high = (low + 1).min(BLUES.len() - 1);
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * frac).round() as u8;
    let (a, b) = (BLUES[low], BLUES[high]);
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

/// Approximate width in pixels of `text` at 12px in a sans-serif font.
fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * 6.8
}

/// The confusion matrix as a heatmap: counts in the cells, a shade by count, a legend.
fn heatmap(id: &str, matrix: &ConfusionMatrix) -> String {
    const LABEL_CHARS: usize = 18;
    let rows = matrix.labels.len();
    let cols = matrix.predicted.len();
    let max = matrix.counts.iter().flatten().copied().max().unwrap_or(0);
    let short = |label: &str| cut(label, LABEL_CHARS);
    let cell = (440.0 / cols as f64).clamp(30.0, 64.0).floor();
    let row_label = matrix
        .labels
        .iter()
        .map(|l| text_width(&short(l)))
        .fold(0.0, f64::max);
    let col_label = matrix
        .predicted
        .iter()
        .map(|l| text_width(&short(l)))
        .fold(0.0, f64::max);
    // Column labels turn when they are wider than a cell.
    let rotate = col_label > cell - 4.0;
    let left = 28.0 + row_label + 8.0;
    let top = 26.0 + if rotate { col_label * 0.72 + 8.0 } else { 18.0 };
    let grid_w = cell * cols as f64;
    let grid_h = cell * rows as f64;
    let width = left + grid_w + 56.0;
    let height = top + grid_h + 58.0;
    let mut svg = format!(
        "<svg class=\"chart heatmap\" id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" \
         width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n\
         <title id=\"{id}-t\">Confusion matrix</title>\n\
         <desc id=\"{id}-d\">Rows are expected labels, columns predicted labels; each cell holds \
         the number of cases, from 0 to {max}.</desc>\n"
    );
    let _ = writeln!(
        svg,
        "<text class=\"axis-title\" x=\"{}\" y=\"14\" text-anchor=\"middle\">predicted</text>\
         <text class=\"axis-title\" transform=\"translate(12 {}) rotate(-90)\" text-anchor=\"middle\">expected</text>\
         <text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">total</text>",
        left + grid_w / 2.0,
        top + grid_h / 2.0,
        left + grid_w + 28.0,
        top - 8.0,
    );
    for (c, label) in matrix.predicted.iter().enumerate() {
        let x = left + cell * (c as f64 + 0.5);
        let transform = if rotate {
            format!(
                "transform=\"translate({x} {}) rotate(-40)\" text-anchor=\"start\"",
                top - 6.0
            )
        } else {
            format!("x=\"{x}\" y=\"{}\" text-anchor=\"middle\"", top - 8.0)
        };
        let _ = writeln!(
            svg,
            "<text class=\"tick\" {transform}><title>{}</title>{}</text>",
            esc(label),
            esc(&short(label))
        );
    }
    for (r, label) in matrix.labels.iter().enumerate() {
        let y = top + cell * r as f64;
        let _ = writeln!(
            svg,
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"central\"><title>{}</title>{}</text>",
            left - 8.0,
            y + cell / 2.0,
            esc(label),
            esc(&short(label))
        );
        let row = matrix.counts.get(r).map_or(&[][..], Vec::as_slice);
        for (c, predicted) in matrix.predicted.iter().enumerate() {
            let count = row.get(c).copied().unwrap_or(0);
            let t = if max == 0 {
                0.0
            } else {
                count as f64 / max as f64
            };
            let x = left + cell * c as f64;
            let ink = if t > 0.5 { "light" } else { "dark" };
            let diagonal = if matrix.labels.get(c) == Some(label) {
                " diagonal"
            } else {
                ""
            };
            let _ = writeln!(
                svg,
                "<g class=\"cell{diagonal}\" data-row=\"{r}\" data-col=\"{c}\"><title>expected {}, predicted {}: {count}</title>\
                 <rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"{}\"/>\
                 <text class=\"ink-{ink}\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" dominant-baseline=\"central\">{count}</text></g>",
                esc(label),
                esc(predicted),
                blue(t),
                x + cell / 2.0,
                y + cell / 2.0,
            );
        }
        let _ = writeln!(
            svg,
            "<text class=\"tick muted\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" dominant-baseline=\"central\">{}</text>",
            left + grid_w + 28.0,
            y + cell / 2.0,
            row.iter().sum::<u64>()
        );
    }
    // The grid's outline, then the legend: the shade of 0 to the largest count.
    let legend_y = top + grid_h + 22.0;
    let legend_w = grid_w.min(240.0);
    let _ = writeln!(
        svg,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{grid_w}\" height=\"{grid_h}\" fill=\"none\" stroke=\"#d1d9e0\"/>\n\
         <defs><linearGradient id=\"{id}-scale\">{}</linearGradient></defs>\n\
         <g class=\"legend\"><rect x=\"{left}\" y=\"{legend_y}\" width=\"{legend_w}\" height=\"10\" fill=\"url(#{id}-scale)\" stroke=\"#d1d9e0\"/>\
         <text class=\"tick\" x=\"{left}\" y=\"{}\" text-anchor=\"start\">0</text>\
         <text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{max}</text>\
         <text class=\"tick muted\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">cases</text></g>\n</svg>",
        (0..BLUES.len())
            .map(|i| {
                let at = i as f64 / (BLUES.len() - 1) as f64;
                format!("<stop offset=\"{at:.3}\" stop-color=\"{}\"/>", blue(at))
            })
            .collect::<String>(),
        legend_y + 24.0,
        left + legend_w,
        legend_y + 24.0,
        left + legend_w / 2.0,
        legend_y + 24.0,
    );
    svg
}

/// The bar colours of precision, recall and F1 (Tableau 10: apart also for colour-blind eyes),
/// with their names for the legend.
const BAR_SERIES: [(&str, &str); 3] = [
    ("precision", "#4e79a7"),
    ("recall", "#f28e2b"),
    ("F1", "#59a14f"),
];

/// Grouped horizontal bars: per label, precision, recall and F1 on a 0 to 1 axis, each bar's
/// value written after it.
fn bars(id: &str, rows: &[LabelScores]) -> String {
    const BAR: f64 = 11.0;
    const GAP: f64 = 2.0;
    const GROUP_GAP: f64 = 14.0;
    const PLOT: f64 = 300.0;
    let label_w = rows
        .iter()
        .map(|r| text_width(&cut(r.label, 18)))
        .fold(0.0, f64::max);
    let left = label_w + 16.0;
    let top = 44.0;
    let group = 3.0 * BAR + 2.0 * GAP;
    let plot_h = rows.len() as f64 * (group + GROUP_GAP) - GROUP_GAP;
    let width = left + PLOT + 44.0;
    let height = top + plot_h + 8.0;
    let mut svg = format!(
        "<svg class=\"chart bars\" id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" \
         width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n\
         <title id=\"{id}-t\">Precision, recall and F1 per label</title>\n\
         <desc id=\"{id}-d\">For each label three bars from 0 to 1: precision, recall and F1; \
         the table below has the same numbers.</desc>\n"
    );
    // Legend: a swatch and a name per series.
    let mut x = left;
    for (name, colour) in BAR_SERIES {
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"4\" width=\"10\" height=\"10\" rx=\"2\" fill=\"{colour}\"/>\
             <text class=\"tick\" x=\"{}\" y=\"13\">{name}</text>",
            x + 14.0
        );
        x += 14.0 + text_width(name) + 18.0;
    }
    svg.push('\n');
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let x = left + PLOT * tick;
        let _ = writeln!(
            svg,
            "<line class=\"grid\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>\
             <text class=\"tick muted\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            top - 6.0,
            top + plot_h,
            top - 12.0,
            number(tick)
        );
    }
    for (r, row) in rows.iter().enumerate() {
        let y0 = top + r as f64 * (group + GROUP_GAP);
        let _ = writeln!(
            svg,
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\" dominant-baseline=\"central\"><title>{}</title>{}</text>",
            left - 8.0,
            y0 + group / 2.0,
            esc(row.label),
            esc(&cut(row.label, 18))
        );
        for (s, (name, colour)) in BAR_SERIES.iter().enumerate() {
            let y = y0 + s as f64 * (BAR + GAP);
            let Some(value) = row.scores[s].filter(|v| v.is_finite()) else {
                let _ = writeln!(
                    svg,
                    "<text class=\"tick muted\" x=\"{}\" y=\"{}\" dominant-baseline=\"central\">{name} n/a</text>",
                    left + 4.0,
                    y + BAR / 2.0
                );
                continue;
            };
            let w = PLOT * value.clamp(0.0, 1.0);
            let _ = writeln!(
                svg,
                "<g class=\"bar\"><title>{} {name}: {}</title><rect x=\"{left}\" y=\"{y}\" width=\"{w:.1}\" height=\"{BAR}\" fill=\"{colour}\"/>\
                 <text class=\"value\" x=\"{:.1}\" y=\"{}\" dominant-baseline=\"central\">{}</text></g>",
                esc(row.label),
                number(value),
                left + w + 4.0,
                y + BAR / 2.0,
                number_2(value)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// Sentence scores (0 to 100) in ten bins, as vertical bars with their counts.
fn histogram(id: &str, scores: &[f64]) -> String {
    const PLOT_W: f64 = 320.0;
    const PLOT_H: f64 = 120.0;
    let mut bins = [0usize; 10];
    for score in scores {
        bins[((score / 10.0).floor().max(0.0) as usize).min(9)] += 1;
    }
    let max = bins.iter().copied().max().unwrap_or(0).max(1);
    let (left, top) = (16.0, 20.0);
    let width = left + PLOT_W + 16.0;
    let height = top + PLOT_H + 40.0;
    let step = PLOT_W / bins.len() as f64;
    let mut svg = format!(
        "<svg class=\"chart histogram\" id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" \
         width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n\
         <title id=\"{id}-t\">Sentence chrF of {} outputs</title>\n\
         <desc id=\"{id}-d\">How many outputs score in each tenth of 0 to 100.</desc>\n",
        scores.len()
    );
    for (b, count) in bins.iter().enumerate() {
        let h = PLOT_H * *count as f64 / max as f64;
        let x = left + step * b as f64;
        let _ = writeln!(
            svg,
            "<g class=\"bin\"><title>chrF {} to {}: {count}</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#4e79a7\"/>\
             <text class=\"value\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>",
            b * 10,
            b * 10 + 10,
            x + 2.0,
            top + PLOT_H - h,
            step - 4.0,
            x + step / 2.0,
            top + PLOT_H - h - 4.0,
            if *count > 0 {
                count.to_string()
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(
        svg,
        "<line class=\"axis\" x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\"/>",
        top + PLOT_H,
        left + PLOT_W
    );
    for tick in (0..=100).step_by(20) {
        let _ = writeln!(
            svg,
            "<text class=\"tick muted\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{tick}</text>",
            left + PLOT_W * tick as f64 / 100.0,
            top + PLOT_H + 16.0
        );
    }
    let _ = writeln!(
        svg,
        "<text class=\"axis-title\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">sentence chrF</text>\n</svg>",
        left + PLOT_W / 2.0,
        top + PLOT_H + 34.0
    );
    svg
}

// ---------------------------------------------------------------------------------------------
// Text

/// Text escaped for HTML content and quoted attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON made safe inside `<script>`: no `<` (so no `</script>` or `<!--`), `>` or `&` in it.
/// They occur only in strings, where the escapes mean the same characters.
fn json_for_script(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The first `limit` characters of `text`, and how many characters follow them.
fn split_at_chars(text: &str, limit: usize) -> (&str, usize) {
    match text.char_indices().nth(limit) {
        Some((at, _)) => (&text[..at], text[at..].chars().count()),
        None => (text, 0),
    }
}

/// `text` cut to `limit` characters, with `…` where it was cut.
fn cut(text: &str, limit: usize) -> String {
    match split_at_chars(text, limit) {
        (all, 0) => all.to_string(),
        (head, _) => format!("{head}…"),
    }
}

fn cut_name(name: &str) -> String {
    cut(name, NAME_CHARS)
}

/// A short quoted preview of an input or output, for lists.
fn quoted_preview(text: &str) -> String {
    format!("<q>{}</q>", esc(&cut(text.trim(), 100)))
}

/// `1 case`, `2 cases`.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// A failure message as HTML: escaped, each diff marker pair `[-removed-]` and `{+added+}` a
/// `<del>` or `<ins>`, and the `- `/`+ ` lines of a line diff (an indented block after `diff:`
/// or a changed snapshot) marked as a whole. The markers stay in the text, only hidden from
/// view, so copied text and screen readers still say what changed.
fn message_html(message: &str) -> String {
    let mut html = String::with_capacity(message.len() + 64);
    let mut in_line_diff = false;
    for (i, line) in message.split('\n').enumerate() {
        if i > 0 {
            html.push('\n');
        }
        in_line_diff = in_line_diff && line.starts_with("    ");
        let whole = if !in_line_diff {
            None
        } else if line.starts_with("    - ") {
            Some("del-line")
        } else if line.starts_with("    + ") {
            Some("ins-line")
        } else {
            None
        };
        if let Some(class) = whole {
            let _ = write!(html, "<span class=\"{class}\">");
        }
        diff_markers(line, &mut html);
        if whole.is_some() {
            html.push_str("</span>");
        }
        if line == "diff:" || line.starts_with("snapshot: the output changed") {
            in_line_diff = true;
        }
    }
    html
}

/// One line with its diff markers as `<del>`/`<ins>`, escaped; a marker without its closing
/// half is plain text.
fn diff_markers(line: &str, html: &mut String) {
    const MARKERS: [(&str, &str, &str); 2] = [("[-", "-]", "del"), ("{+", "+}", "ins")];
    let mut rest = line;
    loop {
        let next = MARKERS
            .iter()
            .filter_map(|m| rest.find(m.0).map(|at| (at, m)))
            .min_by_key(|(at, _)| *at);
        let Some((at, (open, close, tag))) = next else {
            break;
        };
        let body = at + open.len();
        match rest[body..].find(close) {
            Some(length) => {
                let _ = write!(
                    html,
                    "{}<{tag}><span class=\"mk\">{open}</span>{}<span class=\"mk\">{close}</span></{tag}>",
                    esc(&rest[..at]),
                    esc(&rest[body..body + length])
                );
                rest = &rest[body + length + close.len()..];
            }
            None => {
                html.push_str(&esc(&rest[..body]));
                rest = &rest[body..];
            }
        }
    }
    html.push_str(&esc(rest));
}

/// `2026-11-28T23:52:10.123Z` as `2026-11-28 23:52:10 UTC`; anything else as it is.
fn shown_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..19)) {
        (Some(date), Some(time)) if rfc3339.ends_with('Z') => format!("{date} {time} UTC"),
        _ => rfc3339.to_string(),
    }
}

fn duration(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        let seconds = (ms / 1000.0).round() as u64;
        format!("{} min {} s", seconds / 60, seconds % 60)
    }
}

fn latency(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

/// A value with two decimals, for bar labels.
fn number_2(value: f64) -> String {
    format!("{value:.2}")
}

/// A difference with its sign: `+0.12`, `−0.3`.
fn signed(value: f64) -> String {
    if value < 0.0 {
        format!("−{}", number(-value))
    } else {
        format!("+{}", number(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_markers_become_del_and_ins_and_the_rest_is_escaped() {
        assert_eq!(
            message_html("diff:     [-<b>-]{+&+} x"),
            "diff:     <del><span class=\"mk\">[-</span>&lt;b&gt;<span class=\"mk\">-]</span></del>\
             <ins><span class=\"mk\">{+</span>&amp;<span class=\"mk\">+}</span></ins> x"
        );
        // An opening marker without its end is text, and later markers still count.
        assert_eq!(
            message_html("a [- b {+c+}"),
            "a [- b <ins><span class=\"mk\">{+</span>c<span class=\"mk\">+}</span></ins>"
        );
    }

    #[test]
    fn the_lines_of_a_line_diff_are_marked_only_inside_the_diff() {
        let html =
            message_html("- not a diff\ndiff:\n    - old\n    + new\n      same\noutput:\n    - x");
        assert!(html.starts_with("- not a diff\n"), "{html}");
        assert!(
            html.contains("<span class=\"del-line\">    - old</span>"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"ins-line\">    + new</span>"),
            "{html}"
        );
        assert!(html.ends_with("output:\n    - x"), "{html}");
    }

    #[test]
    fn json_for_a_script_has_no_angle_brackets_and_parses_back() {
        let text = "</script><!-- & >";
        let json = json_for_script(&serde_json::to_string(text).unwrap());
        assert!(!json.contains(['<', '>', '&']), "{json}");
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), text);
    }

    #[test]
    fn texts_are_cut_on_characters_with_a_count() {
        assert_eq!(split_at_chars("héllo", 2), ("hé", 3));
        assert_eq!(split_at_chars("hé", 5), ("hé", 0));
        assert_eq!(cut("abcdef", 3), "abc…");
    }

    #[test]
    fn the_heatmap_shades_run_from_the_lightest_to_the_darkest_blue() {
        assert_eq!(blue(0.0), "#f7fbff");
        assert_eq!(blue(1.0), "#08306b");
        assert_eq!(blue(0.0625), "#ebf3fb");
    }
}
