//! What the GitHub Action (`action.yml`) shows of a run: an `::error` annotation per failing
//! test, the step outputs, the job summary and the pull-request comment.
//!
//! Everything here is text for GitHub's runner or its REST API, rendered from results.json (and
//! the comparison with the base branch's results, when there is one). The action's scripts
//! call it through `evalgate github ...` (`cli::github`); the HTTP stays in the scripts.
//!
//! Model outputs reach the runner's log through annotations, so they are escaped as workflow
//! commands want ([`escape_data`], [`escape_property`]): a message is always one line, and no
//! text a model wrote can start a line of its own, where the runner would take it for a command.

use super::{Status, Test, tests};
use crate::compare::Comparison;
use crate::results::RunResults;
use std::fmt::Write;

/// GitHub shows at most 1 MiB of a step's summary.
pub const SUMMARY_MAX_BYTES: usize = 1024 * 1024;
/// A pull-request comment holds at most 65,536 characters; the body stays under it in bytes.
pub const COMMENT_MAX_BYTES: usize = 65_000;
/// The comparison's share of a comment; the run's report gets the rest.
const COMMENT_COMPARISON_BYTES: usize = 40_000;
/// Room kept for the lines around the reports (marker, headings, footer).
const FRAME_BYTES: usize = 2_000;
/// The smallest size the Markdown report is rendered at; below it, only a pointer to the run.
const MIN_REPORT_BYTES: usize = 4_000;

/// Escapes the message of a workflow command: `%`, CR and LF.
pub fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a property of a workflow command (`file=`, `title=`): as [`escape_data`], and `:`
/// and `,`, which end a property.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error` annotation: the test that failed, where it is declared and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    /// The file, relative to the repository's root.
    pub file: String,
    pub line: usize,
    /// The test's name: `sentiment::floor::accuracy`.
    pub title: String,
    /// The failure's headline.
    pub message: String,
}

impl Annotation {
    /// The workflow command, one line: `::error file=..,line=..,title=..::message`.
    pub fn command(&self) -> String {
        format!(
            "::error file={},line={},title={}::{}",
            escape_property(&self.file),
            self.line.max(1),
            escape_property(&self.title),
            escape_data(&self.message)
        )
    }
}

/// An annotation per test that fails the run: broken floors and regression tests first (a
/// suite's verdict, and GitHub shows only the first few annotations of a step), then cases,
/// each in suite order. `path` turns a file as results.json has it into the repository path.
pub fn annotations(results: &RunResults, path: impl Fn(&str) -> String) -> Vec<Annotation> {
    let failing: Vec<Test<'_>> = results
        .suites
        .iter()
        .flat_map(tests)
        .filter(|t| matches!(t.status, Status::Failed | Status::Errored))
        .collect();
    let (suite_level, cases): (Vec<&Test<'_>>, Vec<&Test<'_>>) =
        failing.iter().partition(|t| t.case.is_none());
    suite_level
        .into_iter()
        .chain(cases)
        .map(|test| {
            let headline = test.headline();
            let message = match (test.status, headline.is_empty()) {
                (_, false) => headline,
                (Status::Errored, true) => "errored".to_string(),
                _ => "failed".to_string(),
            };
            Annotation {
                file: path(test.file),
                line: test.line,
                title: test.name.to_string(),
                message,
            }
        })
        .collect()
}

/// The run's verdict as the action's `verdict` output: `passed`, `failed` (a test that gates
/// failed) or `error` (no results to judge, or the run failed outside its tests). `exit_code`
/// is the run's; without results a non-zero code other than evalgate's 2 is a failed test run
/// (`cargo test` exits 101).
pub fn verdict(results: Option<&RunResults>, exit_code: i32) -> &'static str {
    match results {
        Some(results) if results.failed() => "failed",
        Some(_) if exit_code != 0 => "error",
        Some(_) => "passed",
        None if exit_code == 0 => "passed",
        None if exit_code == 2 => "error",
        None => "failed",
    }
}

/// The regression tests (`<suite>::regression::<metric>`) that found a regression, gating or
/// not.
pub fn regressions(results: &RunResults) -> usize {
    results
        .suites
        .iter()
        .flat_map(|s| &s.regressions)
        .filter(|r| r.verdict == "fail")
        .count()
}

/// The action's outputs, by name, in the order they are written. Counts are empty when the run
/// wrote no results.
pub fn outputs(
    results: Option<&RunResults>,
    results_path: &str,
    exit_code: i32,
    comparison: Option<&Comparison>,
) -> Vec<(&'static str, String)> {
    let count =
        |f: &dyn Fn(&RunResults) -> usize| results.map(f).map_or(String::new(), |n| n.to_string());
    let failed_tests: Vec<String> = results
        .into_iter()
        .flat_map(|r| &r.suites)
        .flat_map(tests)
        .filter(|t| matches!(t.status, Status::Failed | Status::Errored))
        .map(|t| t.name.to_string())
        .collect();
    vec![
        (
            "results",
            results.map_or(String::new(), |_| results_path.to_string()),
        ),
        ("passed", count(&|r| r.totals.passed)),
        ("failed", count(&|r| r.totals.failed)),
        ("errored", count(&|r| r.totals.errored)),
        ("regressions", count(&regressions)),
        ("verdict", verdict(results, exit_code).to_string()),
        (
            "comparison",
            comparison.map_or(String::new(), |c| c.verdict.name().to_string()),
        ),
        ("failed-tests", failed_tests.join("\n")),
    ]
}

/// `$GITHUB_OUTPUT`'s format: `name=value` for one line, else the heredoc form
/// `name<<DELIMITER` … `DELIMITER`, with a delimiter that `delimiter` draws until it is in no
/// line of the value (as GitHub's own toolkit does).
pub fn output_lines(outputs: &[(&str, String)], mut delimiter: impl FnMut() -> String) -> String {
    let mut out = String::new();
    for (name, value) in outputs {
        if value.contains(['\n', '\r']) {
            let mut marker = delimiter();
            while marker.is_empty() || value.contains(&marker) || name.contains(&marker) {
                marker = delimiter();
            }
            let _ = write!(out, "{name}<<{marker}\n{value}\n{marker}\n");
        } else {
            let _ = writeln!(out, "{name}={value}");
        }
    }
    out
}

/// What the summary and the comment say of the baseline and the run, besides the results.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Where the baseline came from, in words; `None` without one.
    pub baseline: Option<String>,
    /// The workflow run's page.
    pub run_url: Option<String>,
    /// The artifact that holds the results and reports.
    pub artifact: Option<String>,
    /// The run's exit code.
    pub exit_code: i32,
}

/// The job summary: the Markdown report, then the comparison with the baseline, in at most
/// `max_bytes` bytes (what is left of the step's 1 MiB).
pub fn summary(
    results: Option<&RunResults>,
    comparison: Option<&Comparison>,
    context: &Context,
    max_bytes: usize,
) -> String {
    let mut comparison_text = String::new();
    if let Some(comparison) = comparison {
        comparison_text = compared(
            comparison,
            context,
            crate::report::compare::MARKDOWN_MAX_BYTES,
        );
    } else if let Some(note) = &context.baseline {
        comparison_text = format!("_{}_\n\n", plain(note));
    }
    let room = max_bytes.saturating_sub(comparison_text.len() + FRAME_BYTES);
    let mut out = report_or_note(results, context, room);
    if out.len() + comparison_text.len() <= max_bytes {
        out.push_str(&comparison_text);
    }
    super::cut(&out, max_bytes).to_string()
}

/// The pull request's comment: `marker` on the first line (how the action finds it again),
/// then the comparison with the base branch, the run's report and a footer, under GitHub's
/// limit for a comment.
pub fn comment(
    results: Option<&RunResults>,
    comparison: Option<&Comparison>,
    context: &Context,
    marker: &str,
) -> String {
    let mut out = format!("{marker}\n");
    match comparison {
        Some(comparison) => out.push_str(&compared(comparison, context, COMMENT_COMPARISON_BYTES)),
        None => {
            let why = context
                .baseline
                .as_deref()
                .unwrap_or("no baseline: nothing to compare with");
            let _ = write!(out, "_{}_\n\n", plain(why));
        }
    }
    let mut footer = String::from("---\n<sub>");
    match &context.run_url {
        Some(url) => {
            let _ = write!(
                footer,
                "[The workflow run]({})",
                url.replace(['(', ')', ' '], "")
            );
        }
        None => footer.push_str("The workflow run"),
    }
    footer.push_str(" has the job summary");
    if let Some(artifact) = &context.artifact {
        let _ = write!(
            footer,
            " and the artifact `{}` (results.json, JUnit, Markdown, HTML, pending snapshots)",
            artifact.replace('`', "")
        );
    }
    footer.push_str(".</sub>\n");
    let room = COMMENT_MAX_BYTES.saturating_sub(out.len() + footer.len() + 100);
    out.push_str(&report_or_note(results, context, room));
    out.push_str(&footer);
    super::cut(&out, COMMENT_MAX_BYTES).to_string()
}

/// The comparison as Markdown, saying where the baseline came from, the paths of both files
/// (temporary files of the runner) left out.
fn compared(comparison: &Comparison, context: &Context, max_bytes: usize) -> String {
    let mut comparison = comparison.clone();
    comparison.base.file = None;
    comparison.head.file = None;
    let mut out = String::new();
    if let Some(note) = &context.baseline {
        let _ = write!(out, "_Compared with {}._\n\n", plain(note));
    }
    let room = max_bytes.saturating_sub(out.len());
    out.push_str(&crate::report::compare::markdown(&comparison, room));
    out.push('\n');
    out
}

/// The run's Markdown report in at most `max_bytes`, or what is known without results.
fn report_or_note(results: Option<&RunResults>, context: &Context, max_bytes: usize) -> String {
    match results {
        Some(results) if max_bytes >= MIN_REPORT_BYTES => {
            let mut out = crate::report::markdown::render(results, max_bytes);
            out.push('\n');
            out
        }
        Some(results) => {
            let t = &results.totals;
            format!(
                "## evalgate: {}\n\n{} passed · {} failed · {} errored; the report did not fit here, see the workflow run.\n\n",
                verdict(Some(results), context.exit_code),
                t.passed,
                t.failed,
                t.errored
            )
        }
        None => format!(
            "## {} evalgate: no results.json\n\nThe run exited with code {} and wrote no results.json, so there is no report; its log has the output.\n\n",
            if context.exit_code == 0 { "✅" } else { "❌" },
            context.exit_code
        ),
    }
}

/// A line of prose with Markdown's and HTML's active characters escaped.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '#' | '!' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The comment's marker for an action instance: its artifact's name, reduced to characters
/// that cannot end an HTML comment (no `--`).
pub fn marker(id: &str) -> String {
    let mut id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .collect();
    while id.contains("--") {
        id = id.replace("--", "-");
    }
    format!("<!-- evalgate-comment id={id} -->")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_data("a::b"), "a::b");
        assert_eq!(
            escape_property("suite::floor::f1, macro%\nx"),
            "suite%3A%3Afloor%3A%3Af1%2C macro%25%0Ax"
        );
        // An escaped `%0A` in the text is not a line break once read back.
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn an_annotation_is_one_line_whatever_the_model_wrote() {
        let annotation = Annotation {
            file: "suites/a,b:c.toml".into(),
            line: 0,
            title: "nasty::x".into(),
            message: "expected ok, predicted \n::set-output name=verdict::passed\r\n::error::pwned"
                .into(),
        };
        let command = annotation.command();
        assert_eq!(
            command,
            "::error file=suites/a%2Cb%3Ac.toml,line=1,title=nasty%3A%3Ax::expected ok, predicted \
             %0A::set-output name=verdict::passed%0D%0A::error::pwned"
        );
        assert_eq!(command.lines().count(), 1);
    }

    #[test]
    fn outputs_file_format() {
        let outputs = vec![
            ("passed", "3".to_string()),
            ("verdict", "failed".to_string()),
            ("failed-tests", "a::x\nb::floor::accuracy".to_string()),
            ("empty", String::new()),
        ];
        let mut draws = vec!["ghadelimiter_2".to_string(), "x".to_string()].into_iter();
        let text = output_lines(&outputs, || draws.next().unwrap());
        assert_eq!(
            text,
            "passed=3\nverdict=failed\nfailed-tests<<ghadelimiter_2\na::x\nb::floor::accuracy\nghadelimiter_2\nempty=\n"
        );
        // A delimiter the value holds is drawn again.
        let outputs = vec![("v", "line\nEOF\nmore".to_string())];
        let mut draws = vec!["EOF".to_string(), "EOF2".to_string()].into_iter();
        assert_eq!(
            output_lines(&outputs, || draws.next().unwrap()),
            "v<<EOF2\nline\nEOF\nmore\nEOF2\n"
        );
    }

    #[test]
    fn verdicts() {
        assert_eq!(verdict(None, 0), "passed");
        assert_eq!(verdict(None, 2), "error");
        assert_eq!(verdict(None, 101), "failed");
    }

    #[test]
    fn markers_cannot_close_the_comment() {
        assert_eq!(
            marker("evalgate-results"),
            "<!-- evalgate-comment id=evalgate-results -->"
        );
        assert_eq!(marker("a --> b"), "<!-- evalgate-comment id=a-b -->");
    }
}
