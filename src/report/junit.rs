//! JUnit XML: the test report format CI systems read (Jenkins, GitLab, Azure DevOps, GitHub
//! Actions' report actions, CircleCI).
//!
//! The mapping:
//!
//! - `<testsuites>` holds the run's totals and its wall time; a `<testsuite>` per suite, with
//!   the run's start as `timestamp` and the run's metadata as `<properties>` (evalgate version,
//!   git commit, branch and dirtiness, cassette mode, the suite's task, model and `fail_on`, its
//!   metric values and sacreBLEU signatures).
//! - A `<testcase>` per case and per floor, named as libtest names them (`sentiment::tweet-17`,
//!   `sentiment::floor::accuracy`), `classname` the suite, `file` and `line` where it is
//!   declared, `time` the model call's latency (floors take no time of their own).
//! - A gating failure is a `<failure>`, a failed model call an `<error>` (both with the first
//!   line of the message as `message` and the whole message, diff included, as text), an
//!   ignored case `<skipped/>`.
//! - A failure that does not gate (its suite's `fail_on` leaves it out) is a *passing*
//!   testcase whose `<system-out>` says so and holds the message. This is what libtest and
//!   nextest report for the same test, and what keeps the CI status in step with evalgate's
//!   exit code: consumers turn any `<failure>` red (Jenkins marks the build unstable, GitHub's
//!   report actions fail their check) whatever a property beside it says. Each suite's
//!   `not_gating` property counts them, so they are not hidden.
//!
//! Written by hand rather than with `quick-junit`: the format is a flat tree of a few elements,
//! its escaping is the only subtle part (done and tested here), and the crate would bring
//! quick-xml, chrono and more for it. The output is checked against the Jenkins xunit plugin's
//! `junit-10.xsd` and read back by `junitparser` in tests (tests/reports.rs).
//!
//! `file` and `line` on `<testcase>` go beyond `junit-10.xsd`, which has no place for them: GitLab,
//! CircleCI and the GitHub annotation actions read them to point at the case, and the consumers
//! that do not know them ignore them (only a validator as strict as the xunit plugin's objects).

use super::{Status, Test, hidden, push_visible, tests};
use crate::results::{RunResults, SuiteResults};
use std::fmt::Write;

/// The run's JUnit XML document.
pub fn render(results: &RunResults) -> String {
    let suites: Vec<Counts> = results.suites.iter().map(Counts::of).collect();
    let total = suites.iter().fold(Counts::default(), |a, b| a.add(b));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<testsuites");
    attr(&mut out, "name", "evalgate");
    total.attrs(&mut out, false);
    attr(&mut out, "time", &seconds(results.duration_ms));
    out.push_str(">\n");
    for (suite, counts) in results.suites.iter().zip(&suites) {
        testsuite(&mut out, results, suite, counts);
    }
    out.push_str("</testsuites>\n");
    out
}

#[derive(Clone, Copy, Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    not_gating: usize,
    /// Milliseconds spent in the suite's model calls (their latencies added up).
    time_ms: f64,
}

impl Counts {
    /// Counted from the testcases written, so the totals always match the elements.
    fn of(suite: &SuiteResults) -> Counts {
        let mut counts = Counts::default();
        for test in tests(suite) {
            counts.tests += 1;
            match test.status {
                Status::Passed => {}
                Status::Failed => counts.failures += 1,
                Status::Errored => counts.errors += 1,
                Status::Ignored => counts.skipped += 1,
                Status::NotGating => counts.not_gating += 1,
            }
            counts.time_ms += test.case.and_then(|c| c.latency_ms).unwrap_or(0.0);
        }
        counts
    }

    fn add(self, other: &Counts) -> Counts {
        Counts {
            tests: self.tests + other.tests,
            failures: self.failures + other.failures,
            errors: self.errors + other.errors,
            skipped: self.skipped + other.skipped,
            not_gating: self.not_gating + other.not_gating,
            time_ms: self.time_ms + other.time_ms,
        }
    }

    /// `tests`, `failures`, `errors`, and for a `<testsuite>` `skipped` (junit-10.xsd has no
    /// `skipped` on `<testsuites>`).
    fn attrs(&self, out: &mut String, skipped: bool) {
        attr(out, "tests", &self.tests.to_string());
        attr(out, "failures", &self.failures.to_string());
        attr(out, "errors", &self.errors.to_string());
        if skipped {
            attr(out, "skipped", &self.skipped.to_string());
        }
    }
}

fn testsuite(out: &mut String, results: &RunResults, suite: &SuiteResults, counts: &Counts) {
    out.push_str("  <testsuite");
    attr(out, "name", &suite.name);
    counts.attrs(out, true);
    // The schema has no per-suite wall time (suites run interleaved): the time of its model
    // calls is what a reader of a suite's time wants to know.
    attr(out, "time", &seconds(counts.time_ms));
    attr(out, "timestamp", &results.started_at);
    attr(out, "file", &suite.file);
    out.push_str(">\n    <properties>\n");
    for (name, value) in properties(results, suite, counts) {
        out.push_str("      <property");
        attr(out, "name", &name);
        attr(out, "value", &value);
        out.push_str("/>\n");
    }
    out.push_str("    </properties>\n");
    for test in tests(suite) {
        testcase(out, suite, &test);
    }
    out.push_str("  </testsuite>\n");
}

fn properties(
    results: &RunResults,
    suite: &SuiteResults,
    counts: &Counts,
) -> Vec<(String, String)> {
    let mut list = vec![(
        "evalgate.version".to_string(),
        results.evalgate_version.clone(),
    )];
    if let Some(git) = &results.git {
        list.push(("git.commit".into(), git.commit.clone()));
        if let Some(branch) = &git.branch {
            list.push(("git.branch".into(), branch.clone()));
        }
        list.push(("git.dirty".into(), git.dirty.to_string()));
    }
    if let Some(mode) = &results.cassette_mode {
        list.push(("cassette_mode".into(), mode.clone()));
    }
    list.push(("task".into(), suite.task.clone()));
    list.push(("model.provider".into(), suite.model.provider.clone()));
    list.push(("model.identity".into(), suite.model.identity.clone()));
    list.push(("fail_on".into(), suite.fail_on.join(",")));
    list.push(("not_gating".into(), counts.not_gating.to_string()));
    list.push(("metrics_cases".into(), suite.metrics_cases.to_string()));
    for (metric, value) in &suite.metrics {
        list.push((format!("metric.{metric}"), value.to_string()));
    }
    for (metric, interval) in &suite.intervals {
        list.push((
            format!("interval.{metric}"),
            format!("{} {}", interval.low, interval.high),
        ));
    }
    for (metric, signature) in &suite.signatures {
        list.push((format!("signature.{metric}"), signature.clone()));
    }
    list
}

fn testcase(out: &mut String, suite: &SuiteResults, test: &Test) {
    out.push_str("    <testcase");
    attr(out, "name", test.name);
    attr(out, "classname", &suite.name);
    attr(out, "file", test.file);
    attr(out, "line", &test.line.to_string());
    let latency = test.case.and_then(|c| c.latency_ms).unwrap_or(0.0);
    attr(out, "time", &seconds(latency));
    let message = test.message.unwrap_or("");
    let kind = if test.floor.is_some() {
        "floor"
    } else if test.regression.is_some() {
        "regression"
    } else {
        "case"
    };
    match test.status {
        Status::Passed => {
            out.push_str("/>\n");
            return;
        }
        Status::Failed => outcome(out, "failure", kind, &test.headline(), message),
        Status::Errored => outcome(out, "error", "model call", &test.headline(), message),
        Status::Ignored => out.push_str(">\n      <skipped message=\"ignored\"/>\n"),
        Status::NotGating => {
            out.push_str(">\n      <system-out>");
            let note = format!(
                "{} without gating: its suite's {} leaves it out of the run's verdict \
                 (it is still reported and counted in the metrics)\n\n{message}",
                test.failure_word(),
                super::fail_on(suite),
            );
            text(out, &note);
            out.push_str("</system-out>\n");
        }
    }
    out.push_str("    </testcase>\n");
}

/// `<failure>` or `<error>`: the headline as `message`, the whole message as text.
fn outcome(out: &mut String, element: &str, kind: &str, headline: &str, message: &str) {
    let _ = write!(out, ">\n      <{element}");
    attr(out, "message", headline);
    attr(out, "type", kind);
    out.push('>');
    text(out, message);
    let _ = writeln!(out, "</{element}>");
}

/// Seconds with millisecond precision: the xunit schema's `SUREFIRE_TIME` allows at most three
/// decimals and no exponent.
fn seconds(ms: f64) -> String {
    let ms = if ms.is_finite() && ms > 0.0 { ms } else { 0.0 };
    format!("{:.3}", ms / 1000.0)
}

/// Appends ` name="value"`, escaped. Tabs and line breaks become character references:
/// a parser normalises them to spaces in an attribute otherwise.
fn attr(out: &mut String, name: &str, value: &str) {
    let _ = write!(out, " {name}=\"");
    escape(out, value, true);
    out.push('"');
}

/// Appends character data, escaped. `>` is escaped too, so `]]>` never appears in it.
fn text(out: &mut String, value: &str) {
    escape(out, value, false);
}

fn escape(out: &mut String, value: &str, in_attribute: bool) {
    let mut visible = String::with_capacity(value.len());
    push_visible(&mut visible, value, hidden);
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            // A parser turns a raw CR (or CR LF) into LF; the reference keeps it.
            '\r' => out.push_str("&#13;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_shows_illegal_characters() {
        let mut out = String::new();
        text(&mut out, "a<b>&c ]]> \u{1b}[31m\u{0}\r\n\u{fffe}");
        assert_eq!(
            out,
            "a&lt;b&gt;&amp;c ]]&gt; \\u{1b}[31m\\u{0}&#13;\n\\u{fffe}"
        );
        let mut out = String::new();
        attr(&mut out, "m", "say \"hi\"\n\tnow");
        assert_eq!(out, " m=\"say &quot;hi&quot;&#10;&#9;now\"");
    }

    #[test]
    fn times_have_at_most_three_decimals() {
        assert_eq!(seconds(1234.5678), "1.235");
        assert_eq!(seconds(0.0), "0.000");
        assert_eq!(seconds(f64::NAN), "0.000");
        assert_eq!(seconds(-3.0), "0.000");
        assert_eq!(seconds(1e12), "1000000000.000");
    }
}
