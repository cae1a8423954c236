//! Markdown for `$GITHUB_STEP_SUMMARY` and pull-request comments.
//!
//! A headline (the verdict and the totals), then per suite its floors with their verdicts, the
//! classifier's per-label scores and confusion matrix, the slices that do worst, the most
//! frequent confusions and sacreBLEU's signatures, then the failures with their messages in
//! collapsed sections, the ones that fail the run first.
//!
//! The document never exceeds the size it is given (GitHub takes at most 1 MiB per step
//! summary and 65,536 characters per comment): failures are dropped first, then whole suite
//! sections, and the end says how many were left out.
//!
//! Text from suites and models is escaped for where it lands: names go into code spans (with
//! pipes escaped inside tables), messages into fenced code blocks whose fence is longer than
//! any run of backticks in them, summaries of collapsed sections are HTML-escaped, and control
//! characters are shown as `\u{1b}`-style escapes.

use super::analysis::{confusion_groups, headline_metric, worst_slices};
use super::{
    Status, Test, confidence_level, cut, hidden, interval, push_visible, suite_failed, tests,
};
use crate::results::{RunResults, SuiteResults};
use crate::suite::number;
use std::fmt::Write;

/// Failures shown at most, however much room there is: past that a summary is a list nobody
/// reads, and results.json has them all.
const MAX_FAILURES: usize = 100;
/// A failure's message is cut past this many bytes, so one huge output cannot crowd out the
/// other failures.
const MAX_MESSAGE_BYTES: usize = 8_000;
/// Room kept for the closing note that says what was left out.
const NOTE_BYTES: usize = 200;
/// Slices and confusion groups shown per suite.
const TOP: usize = 5;

/// The run as Markdown of at most `max_bytes` bytes.
pub fn render(results: &RunResults, max_bytes: usize) -> String {
    let mut out = headline(results);
    let room = |out: &String, more: usize| out.len() + more + NOTE_BYTES <= max_bytes;
    let mut suites_left_out = 0;
    for suite in &results.suites {
        let section = suite_section(suite);
        if room(&out, section.len()) {
            out.push_str(&section);
        } else {
            suites_left_out += 1;
        }
    }
    let failures = failures(results);
    let mut shown = 0;
    if !failures.is_empty() {
        let heading = if failures[0].status == Status::NotGating {
            "### Failures\n\nNone of these fails the run: their suites' `fail_on` leaves them out.\n\n"
        } else {
            "### Failures\n\nThose that fail the run first, floors before cases.\n\n"
        };
        if room(&out, heading.len()) {
            out.push_str(heading);
            for test in failures.iter().take(MAX_FAILURES) {
                let block = failure_block(test);
                if !room(&out, block.len()) {
                    break;
                }
                out.push_str(&block);
                shown += 1;
            }
        }
    }
    let mut left_out = Vec::new();
    if failures.len() > shown {
        left_out.push(format!(
            "{} more failures not shown",
            failures.len() - shown
        ));
    }
    if suites_left_out > 0 {
        left_out.push(format!("{suites_left_out} suites not shown"));
    }
    if !left_out.is_empty() {
        let _ = writeln!(out, "_{}, see results.json._", left_out.join("; "));
    }
    // Only a limit too small for the headline itself gets here with too much; the cut keeps
    // the promise, at a character boundary.
    cut(&out, max_bytes).to_string()
}

fn headline(results: &RunResults) -> String {
    let mut out = if results.failed() {
        "## ❌ evalgate: failed\n\n".to_string()
    } else {
        "## ✅ evalgate: passed\n\n".to_string()
    };
    let t = &results.totals;
    let _ = write!(
        out,
        "**{}** passed · **{}** failed · **{}** errored · **{}** ignored",
        t.passed, t.failed, t.errored, t.ignored
    );
    if t.not_gating > 0 {
        let _ = write!(out, " · **{}** failed without gating", t.not_gating);
    }
    out.push_str("\n\n");
    let _ = write!(
        out,
        "evalgate {} · started {} · took {:.2} s",
        md_text(&results.evalgate_version),
        md_text(&results.started_at),
        results.duration_ms / 1000.0
    );
    if let Some(git) = &results.git {
        let _ = write!(out, " · commit {}", code(cut(&git.commit, 12)));
        if let Some(branch) = &git.branch {
            let _ = write!(out, " on {}", code(branch));
        }
        if git.dirty {
            out.push_str(" with uncommitted changes");
        }
    }
    if let Some(mode) = &results.cassette_mode {
        let _ = write!(out, " · cassettes: {}", code(mode));
    }
    out.push_str("\n\n");
    out
}

fn suite_section(suite: &SuiteResults) -> String {
    let mark = if suite_failed(suite) { "❌" } else { "✅" };
    let mut out = format!(
        "### {mark} {} · {}",
        code(&suite.name),
        md_text(&suite.task)
    );
    // The number that stands for the suite, so the headings compare at a glance.
    let metric = headline_metric(&suite.task);
    if let Some(value) = suite.metrics.get(metric) {
        let _ = write!(out, " · {metric} {}", number(*value));
    }
    out.push_str("\n\n");
    if let Some(description) = &suite.description {
        let _ = write!(out, "{}\n\n", md_text(description));
    }
    let _ = write!(
        out,
        "{} · {}: {} · {}\n\n",
        code(&suite.file),
        md_text(&suite.model.provider),
        code(&suite.model.identity),
        code(&super::fail_on(suite))
    );
    let c = &suite.cases_summary;
    let _ = write!(
        out,
        "Cases: {} passed, {} failed, {} errored",
        c.passed, c.failed, c.errored
    );
    if c.ignored > 0 {
        let _ = write!(out, ", {} ignored", c.ignored);
    }
    if c.not_gating > 0 {
        let _ = write!(out, ", {} failed without gating", c.not_gating);
    }
    let _ = write!(out, ". Metrics over {} cases.\n\n", suite.metrics_cases);
    if let Some(line) = super::repeat_line(suite, 20) {
        let _ = write!(out, "Runs: {}.\n\n", md_text(&line));
    }
    floors(&mut out, suite);
    per_label(&mut out, suite);
    confusion_matrix(&mut out, suite);
    slices(&mut out, suite);
    confusions(&mut out, suite);
    signatures(&mut out, suite);
    all_metrics(&mut out, suite);
    out
}

fn floors(out: &mut String, suite: &SuiteResults) {
    if suite.floors.is_empty() {
        return;
    }
    let intervals = suite
        .floors
        .iter()
        .any(|f| interval(suite, &f.metric).is_some());
    if suite.floor_mode == "lower_bound" {
        let _ = writeln!(
            out,
            "Floors are judged on the end of each metric's {} interval nearer the bound \
             (`floor_mode = \"lower_bound\"`).\n",
            confidence_level(suite)
        );
    }
    out.push_str("| floor | value | bound | verdict |");
    if intervals {
        let _ = writeln!(out, " {} CI |", confidence_level(suite));
    } else {
        out.push('\n');
    }
    out.push_str("| --- | ---: | --- | --- |");
    out.push_str(if intervals { " --- |\n" } else { "\n" });
    for floor in &suite.floors {
        let (value, bound) = super::floor_figures(floor);
        let verdict = match (floor.verdict.as_str(), floor.gating) {
            ("pass", _) => "✅ pass",
            (_, true) => "❌ **fail**",
            (_, false) => "⚠️ fail (not gating)",
        };
        let _ = write!(
            out,
            "| {} | {value} | {bound} | {verdict} |",
            cell(&floor.metric),
        );
        if intervals {
            let shown = interval(suite, &floor.metric).map_or_else(String::new, |(lo, hi)| {
                format!("{} – {}", number(lo), number(hi))
            });
            let _ = write!(out, " {shown} |");
        }
        out.push('\n');
    }
    out.push('\n');
}

/// classify: precision, recall, F1 and support of each label.
fn per_label(out: &mut String, suite: &SuiteResults) {
    let metric = |name: &str, label: &str| {
        suite
            .metrics
            .get(&format!("{name}.{label}"))
            .map_or_else(|| "n/a".to_string(), |v| number(*v))
    };
    if !suite
        .labels
        .iter()
        .any(|l| suite.metrics.contains_key(&format!("recall.{l}")))
    {
        return;
    }
    out.push_str("| label | precision | recall | F1 | support |\n");
    out.push_str("| --- | ---: | ---: | ---: | ---: |\n");
    for label in &suite.labels {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(label),
            metric("precision", label),
            metric("recall", label),
            metric("f1", label),
            metric("support", label)
        );
    }
    out.push('\n');
}

fn confusion_matrix(out: &mut String, suite: &SuiteResults) {
    let Some(matrix) = &suite.confusion_matrix else {
        return;
    };
    out.push_str("Confusion matrix (rows: expected, columns: predicted):\n\n");
    out.push_str("| expected \\ predicted |");
    for predicted in &matrix.predicted {
        let _ = write!(out, " {} |", cell(predicted));
    }
    out.push_str("\n| --- |");
    out.push_str(&" ---: |".repeat(matrix.predicted.len()));
    out.push('\n');
    for (row, (label, counts)) in matrix.labels.iter().zip(&matrix.counts).enumerate() {
        let _ = write!(out, "| {} |", cell(label));
        for (column, count) in counts.iter().enumerate() {
            // The diagonal (right answers) in bold, so the eye finds the errors around it.
            if row == column {
                let _ = write!(out, " **{count}** |");
            } else {
                let _ = write!(out, " {count} |");
            }
        }
        out.push('\n');
    }
    out.push('\n');
}

fn slices(out: &mut String, suite: &SuiteResults) {
    let worst = worst_slices(suite, TOP);
    let Some(first) = worst.first() else {
        return;
    };
    let _ = write!(
        out,
        "Worst slices by {} (whole suite: {}):\n\n| tag | cases | {} | vs suite |\n\
         | --- | ---: | ---: | ---: |\n",
        code(first.metric),
        number(first.suite_value),
        first.metric
    );
    for gap in &worst {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(gap.tag),
            gap.cases,
            number(gap.value),
            number(gap.gap())
        );
    }
    out.push('\n');
}

fn confusions(out: &mut String, suite: &SuiteResults) {
    let groups = confusion_groups(suite);
    if groups.is_empty() {
        return;
    }
    out.push_str("Most frequent confusions:\n\n");
    for group in groups.iter().take(TOP) {
        let names: Vec<String> = group
            .cases
            .iter()
            .take(TOP)
            .map(|c| code(&c.test))
            .collect();
        let more = group.cases.len().saturating_sub(TOP);
        let _ = write!(
            out,
            "- {} taken for {}: {} {}: {}",
            code(group.expected),
            code(group.predicted),
            group.cases.len(),
            if group.cases.len() == 1 {
                "case"
            } else {
                "cases"
            },
            names.join(", ")
        );
        if more > 0 {
            let _ = write!(out, " and {more} more");
        }
        out.push('\n');
    }
    if groups.len() > TOP {
        let _ = writeln!(out, "- and {} more confusions", groups.len() - TOP);
    }
    out.push('\n');
}

fn signatures(out: &mut String, suite: &SuiteResults) {
    if suite.signatures.is_empty() {
        return;
    }
    out.push_str("sacreBLEU signatures:\n\n");
    for (metric, signature) in &suite.signatures {
        let _ = writeln!(out, "- {}: {}", code(metric), code(signature));
    }
    out.push('\n');
}

/// Every metric the suite computed, collapsed: the floors table shows the ones that gate.
fn all_metrics(out: &mut String, suite: &SuiteResults) {
    if suite.metrics.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<details><summary>All metrics ({})</summary>\n\n| metric | value | {} CI |\n\
         | --- | ---: | ---: |\n",
        suite.metrics.len(),
        confidence_level(suite)
    );
    for (metric, value) in &suite.metrics {
        let shown = interval(suite, metric).map_or_else(String::new, |(low, high)| {
            format!("{} – {}", number(low), number(high))
        });
        let _ = writeln!(out, "| {} | {} | {shown} |", cell(metric), number(*value));
    }
    out.push_str("\n</details>\n\n");
}

/// Failures, the most important first: gating floors, gating cases, then those that do not
/// gate (floors before cases again); suite order within each.
fn failures(results: &RunResults) -> Vec<Test<'_>> {
    let mut list: Vec<Test> = results
        .suites
        .iter()
        .flat_map(tests)
        .filter(|t| {
            matches!(
                t.status,
                Status::Failed | Status::Errored | Status::NotGating
            )
        })
        .collect();
    list.sort_by_key(|t| (t.status == Status::NotGating, t.case.is_some()));
    list
}

fn failure_block(test: &Test) -> String {
    let (mark, verdict) = match test.status {
        Status::Errored => ("❌", "errored".to_string()),
        Status::NotGating => ("⚠️", format!("{} (not gating)", test.failure_word())),
        _ => ("❌", "failed".to_string()),
    };
    let message = test.message.unwrap_or("");
    let mut out = format!("<details>\n<summary>{mark} <code>");
    html_text(&mut out, test.name);
    let _ = write!(out, "</code> {verdict}: ");
    html_text(&mut out, cut(&test.headline(), 300));
    out.push_str("</summary>\n\n");
    let shown = cut(message, MAX_MESSAGE_BYTES);
    let mut body = visible(shown);
    if shown.len() < message.len() {
        let _ = write!(
            body,
            "\n… {} more bytes in results.json",
            message.len() - shown.len()
        );
    }
    let fence = "`".repeat(longest_run(&body, '`').max(2) + 1);
    let _ = write!(out, "{fence}text\n{body}\n{fence}\n\n</details>\n\n");
    out
}

/// `text` with CR LF as LF and other control characters (ANSI colours, NUL, a lone CR) shown
/// as escapes; tabs and line breaks stay.
pub(crate) fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_visible(&mut out, &text.replace("\r\n", "\n"), |c| {
        c == '\r' || hidden(c)
    });
    out
}

pub(crate) fn longest_run(text: &str, of: char) -> usize {
    let (mut longest, mut current) = (0, 0);
    for c in text.chars() {
        current = if c == of { current + 1 } else { 0 };
        longest = longest.max(current);
    }
    longest
}

/// A code span: nothing inside is Markdown, HTML, a mention or a link. Its fence is longer
/// than any run of backticks inside; line breaks become spaces (a span is one line).
pub(crate) fn code(text: &str) -> String {
    let one_line = visible(text).replace(['\n', '\t'], " ");
    if one_line.is_empty() {
        return "(empty)".to_string();
    }
    let fence = "`".repeat(longest_run(&one_line, '`') + 1);
    // A span that starts or ends with a backtick needs a space between it and the fence; the
    // parser strips one space from each end.
    let pad = if one_line.starts_with(['`', ' ']) || one_line.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{one_line}{pad}{fence}")
}

/// A code span in a table cell: a pipe would end the cell, even inside the span, unless
/// escaped (GitHub's table extension removes the backslash).
pub(crate) fn cell(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// Prose from a suite (its description): Markdown's active characters escaped, on one line.
pub(crate) fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in visible(text).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '$' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text inside HTML (a collapsed section's summary).
fn html_text(out: &mut String, text: &str) {
    for c in visible(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_outlast_the_backticks_inside() {
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("a `b` c"), "``a `b` c``");
        assert_eq!(code("`x``"), "``` `x`` ```");
        assert_eq!(code("two\nlines"), "`two lines`");
        assert_eq!(cell("a|b"), "`a\\|b`");
        assert_eq!(code(""), "(empty)");
    }

    #[test]
    fn prose_and_html_are_escaped() {
        assert_eq!(md_text("*a* | <b> $x$"), "\\*a\\* \\| \\<b\\> \\$x\\$");
        let mut out = String::new();
        html_text(&mut out, "</summary><script>\"&\"\u{1b}");
        assert_eq!(
            out,
            "&lt;/summary&gt;&lt;script&gt;&quot;&amp;&quot;\\u{1b}"
        );
    }
}
