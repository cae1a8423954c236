//! Reports: readers of [`RunResults`](crate::results::RunResults), each in its own module.
//!
//! What they share lives here: the run seen as a list of tests (cases and floors) with the
//! status each shows, and how text a model wrote is made safe to embed.

pub mod analysis;
pub mod compare;
pub mod github;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod style;
pub mod terminal;

use crate::results::{CaseResult, FloorResult, RegressionResult, SuiteResults};
use crate::suite::Bound;
use std::fmt::Write;

/// What a test's report shows: libtest's view, where a failure that does not gate passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Passed,
    /// Failed, and its suite's `fail_on` lets it fail the run.
    Failed,
    /// The model call failed (or the case could not be judged); such a case fails the run.
    Errored,
    /// Failed or errored, but its suite's `fail_on` leaves it out of the run's verdict.
    NotGating,
    Ignored,
}

/// One test of a suite, case or floor, as the reports list it.
pub(crate) struct Test<'a> {
    pub name: &'a str,
    pub file: &'a str,
    pub line: usize,
    pub status: Status,
    pub message: Option<&'a str>,
    pub floor: Option<&'a FloorResult>,
    pub case: Option<&'a CaseResult>,
    pub regression: Option<&'a RegressionResult>,
}

impl Test<'_> {
    /// The failure in one line: for a case, what went wrong ([`case_headline`]); for a floor
    /// or a regression test, the first line of its message.
    pub fn headline(&self) -> String {
        match self.case {
            Some(case) => case_headline(case),
            None => first_line(self.message.unwrap_or("")).to_string(),
        }
    }

    /// `failed` for a wrong answer or a broken floor, `errored` for a failed model call: what a
    /// failure that did not gate would have been.
    pub fn failure_word(&self) -> &'static str {
        match self.case.map(|c| c.verdict.as_str()) {
            Some("error") => "errored",
            _ => "failed",
        }
    }
}

fn case_test(case: &CaseResult) -> Test<'_> {
    let status = match (case.verdict.as_str(), case.gating) {
        ("pass", _) => Status::Passed,
        ("ignored", _) => Status::Ignored,
        (_, false) => Status::NotGating,
        ("error", true) => Status::Errored,
        _ => Status::Failed,
    };
    Test {
        name: &case.test,
        file: &case.file,
        line: case.line,
        status,
        message: case.message.as_deref(),
        floor: None,
        case: Some(case),
        regression: None,
    }
}

/// The status of a floor or a regression test: it passed, or failed gating or not.
fn suite_level_status(verdict: &str, gating: bool) -> Status {
    match (verdict, gating) {
        ("pass", _) => Status::Passed,
        (_, false) => Status::NotGating,
        _ => Status::Failed,
    }
}

fn floor_test<'a>(suite: &'a SuiteResults, floor: &'a FloorResult) -> Test<'a> {
    let status = suite_level_status(&floor.verdict, floor.gating);
    Test {
        name: &floor.test,
        file: &suite.file,
        line: floor.line,
        status,
        message: floor.message.as_deref(),
        floor: Some(floor),
        case: None,
        regression: None,
    }
}

fn regression_test<'a>(suite: &'a SuiteResults, regression: &'a RegressionResult) -> Test<'a> {
    let status = suite_level_status(&regression.verdict, regression.gating);
    Test {
        name: &regression.test,
        file: &suite.file,
        line: 1,
        status,
        message: regression.message.as_deref(),
        floor: None,
        case: None,
        regression: Some(regression),
    }
}

/// A suite's cases in suite order, then its floors in `[floors]` order: the order libtest's
/// names sort into within a suite does not matter to any report, the declaration order does.
pub(crate) fn tests(suite: &SuiteResults) -> impl Iterator<Item = Test<'_>> {
    let cases = suite.cases.iter().map(case_test);
    let floors = suite.floors.iter().map(move |f| floor_test(suite, f));
    let regressions = suite
        .regressions
        .iter()
        .map(move |r| regression_test(suite, r));
    cases.chain(floors).chain(regressions)
}

/// Whether a failure in the suite fails the run.
pub(crate) fn suite_failed(suite: &SuiteResults) -> bool {
    tests(suite).any(|t| matches!(t.status, Status::Failed | Status::Errored))
}

/// A floor's value as the reports show it (rounded, unless rounding would hide which side of
/// its bound it is on), and its bound: `("0.3333", "≥ 0.9")`.
pub(crate) fn floor_figures(floor: &FloorResult) -> (String, String) {
    let bound = Bound {
        min: floor.min,
        max: floor.max,
    };
    let value = floor
        .value
        .map_or_else(|| "n/a".to_string(), |v| bound.show_value(v));
    (value, bound.describe())
}

/// A repeated suite's runs in one line: `each case ran 5 times (min_pass_rate 0.8); 2 flaky:
/// a (3/5), b (1/5)`; `None` without `repeat`.
pub(crate) fn repeat_line(suite: &SuiteResults, shown: usize) -> Option<String> {
    if suite.repeat <= 1 {
        return None;
    }
    let mut line = format!(
        "each case ran {} times (min_pass_rate {})",
        suite.repeat,
        crate::suite::number(suite.min_pass_rate.unwrap_or(1.0))
    );
    let flaky: Vec<String> = suite
        .cases
        .iter()
        .filter_map(|c| {
            let runs = c.runs.as_ref().filter(|r| r.flaky)?;
            Some(format!("{} ({}/{})", c.test, runs.passed, runs.count))
        })
        .collect();
    match flaky.len() {
        0 => line.push_str("; none flaky"),
        n => {
            let _ = write!(line, "; {n} flaky: {}", flaky[..n.min(shown)].join(", "));
            if n > shown {
                let _ = write!(line, ", and {} more", n - shown);
            }
        }
    }
    Some(line)
}

/// A metric's confidence interval, when the results carry one.
pub(crate) fn interval(suite: &SuiteResults, metric: &str) -> Option<(f64, f64)> {
    suite.intervals.get(metric).map(|i| (i.low, i.high))
}

/// The level of a suite's intervals as a percentage: `95%`.
pub(crate) fn confidence_level(suite: &SuiteResults) -> String {
    format!("{}%", crate::suite::number(suite.confidence * 100.0))
}

/// Why a failure did not gate, in the README's words: `fail_on = ["floor"]`.
pub(crate) fn fail_on(suite: &SuiteResults) -> String {
    let kinds: Vec<String> = suite.fail_on.iter().map(|k| format!("\"{k}\"")).collect();
    format!("fail_on = [{}]", kinds.join(", "))
}

/// What went wrong with a case, in one line: the labels, the error, or the first failed check.
pub(crate) fn case_headline(case: &CaseResult) -> String {
    if let Some(error) = &case.error {
        return first_line(error).to_string();
    }
    if let (Some(expected), Some(predicted)) = (&case.expected, &case.predicted) {
        return format!("expected {expected}, predicted {predicted}");
    }
    if let Some(check) = case.failed_checks.first() {
        let more = match case.failed_checks.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        let detail = first_line(&check.detail).trim_end_matches(':');
        return format!("{}: {detail}{more}", check.check);
    }
    case.message
        .as_deref()
        .map_or_else(String::new, |m| first_line(m).to_string())
}

/// The first line of a failure message: its headline.
pub(crate) fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or("")
}

/// Whether a character is shown as an escape rather than written: control characters but tab,
/// line feed and carriage return (each format handles CR its own way), and the noncharacters
/// U+FFFE and U+FFFF.
///
/// Model output can hold any character. XML 1.0 cannot carry most control characters at all
/// (not even as `&#1;`), and a terminal escape sequence in a step summary shows as noise; the
/// escape keeps them visible to whoever reads why a case failed.
pub(crate) fn hidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
}

/// Appends `text`, with the characters `hide` picks shown as `\u{1b}`-style escapes.
pub(crate) fn push_visible(out: &mut String, text: &str, hide: impl Fn(char) -> bool) {
    for c in text.chars() {
        if hide(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
}

/// Text a model may have written, for a terminal: every control character but line feed and
/// tab (escape sequences, carriage returns, bells) shown as an escape, so it cannot recolour,
/// move or clear the terminal.
pub(crate) fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_visible(&mut out, text, |c| hidden(c) || c == '\r');
    out
}

/// Cuts `text` to at most `max` bytes, at a character boundary.
pub(crate) fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
