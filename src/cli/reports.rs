//! The report files a run or `evalgate report` writes: `--junit`, `--markdown` and `--html`, each
//! rendered from the results by its own module of `report`.

use super::{bad_input, emit};
use crate::diagnostic::Diagnostic;
use crate::files::write_atomically;
use crate::report::style::{ColorChoice, Style};
use crate::report::{html, junit, markdown};
use crate::results::{RunResults, check_writable};
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// GitHub shows at most 1 MiB of a step's summary file; the Markdown report stays under it by
/// default. A PR comment holds 65,536 characters: `--markdown-max-bytes 60000` fits one.
pub const MARKDOWN_MAX_BYTES: u64 = 1_000_000;

#[derive(Args, Debug)]
pub struct ReportPaths {
    /// Write JUnit XML here: a testsuite per suite, a testcase per case and per floor.
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
    /// Write a Markdown summary here, for $GITHUB_STEP_SUMMARY or a PR comment. The file is
    /// replaced, not appended to.
    #[arg(long, value_name = "PATH")]
    markdown: Option<PathBuf>,
    /// The Markdown report's size limit in bytes: failures are left out first, then suites.
    #[arg(long, value_name = "BYTES", default_value_t = MARKDOWN_MAX_BYTES, value_parser = clap::value_parser!(u64).range(4_000..))]
    markdown_max_bytes: u64,
    /// Write a self-contained HTML report here: charts, failures with diffs, filters.
    #[arg(long, value_name = "PATH")]
    html: Option<PathBuf>,
}

impl ReportPaths {
    /// The reports asked for, by flag.
    fn requested(&self) -> impl Iterator<Item = (&'static str, &Path)> {
        [
            ("--junit", &self.junit),
            ("--markdown", &self.markdown),
            ("--html", &self.html),
        ]
        .into_iter()
        .filter_map(|(flag, path)| Some((flag, path.as_deref()?)))
    }

    pub fn is_empty(&self) -> bool {
        self.requested().next().is_none()
    }

    /// Whether an HTML report is asked for (which shows trends from the history).
    #[cfg_attr(not(feature = "history"), allow(dead_code))]
    pub fn html_requested(&self) -> bool {
        self.html.is_some()
    }

    /// Checks, before anything runs, that every report can be written and that no two outputs
    /// (the results named by `results_flag`, when given, among them) share a file.
    pub fn check(&self, results: Option<(&str, &Path)>) -> Result<(), Diagnostic> {
        let mut taken: Vec<(&str, &Path)> = results.into_iter().collect();
        for (flag, path) in self.requested() {
            if let Some((other, _)) = taken.iter().find(|(_, p)| same_file(p, path)) {
                return Err(Diagnostic::new(format!(
                    "{flag} and {other} both name {}",
                    path.display()
                ))
                .hint("give each report its own file"));
            }
            check_writable(path).map_err(|error| {
                Diagnostic::new(format!("{flag}: cannot write {}: {error}", path.display()))
                    .hint(format!("choose another place with {flag} PATH"))
            })?;
            taken.push((flag, path));
        }
        Ok(())
    }

    /// Renders and writes every report asked for, each atomically; a line per report saying
    /// where it went (`html: report.html`). `trends` are the HTML report's trend panels from
    /// the run history, by suite (none without a history).
    pub fn write(
        &self,
        results: &RunResults,
        trends: &BTreeMap<String, String>,
    ) -> Result<String, Diagnostic> {
        let mut written = String::new();
        for (flag, path) in self.requested() {
            let text = match flag {
                "--junit" => junit::render(results),
                "--markdown" => markdown::render(results, self.markdown_max_bytes as usize),
                _ => html::render_with_trends(results, trends),
            };
            write_atomically(path, text.as_bytes()).map_err(|error| {
                Diagnostic::new(format!("{flag}: cannot write {}: {error}", path.display()))
                    .hint(format!("choose another place with {flag} PATH"))
            })?;
            written.push_str(&format!("{}: {}\n", &flag[2..], path.display()));
        }
        Ok(written)
    }
}

/// Whether two paths name one file, as far as can be told before either exists (a link to a
/// file names that file).
pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    let resolved = |p: &Path| {
        let parent = p
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::canonicalize(parent)
            .map(|parent| parent.join(p.file_name().unwrap_or_default()))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let existing = match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    a == b || existing || resolved(a) == resolved(b)
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The results to read, as `evalgate run` wrote them.
    /// [default: target/evalgate/results.json]
    #[arg(value_name = "RESULTS")]
    results: Option<PathBuf>,
    #[command(flatten)]
    reports: ReportPaths,
    /// Colour the summary printed when no report file is asked for: auto, always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,
    /// The HTML report shows trends from this run history, when it exists.
    #[cfg(feature = "history")]
    #[command(flatten)]
    history_db: super::history::HistoryDb,
}

/// `evalgate report`: renders the reports of a finished run again, or prints its terminal
/// summary when no report file is asked for. It describes the run; it does not gate, so it
/// exits 0 whatever the run's verdict.
pub fn report(args: &ReportArgs) -> ExitCode {
    let path = args
        .results
        .clone()
        .unwrap_or_else(super::default_results_path);
    let results = match RunResults::read(&path) {
        Ok(results) => results,
        Err(problem) => {
            return bad_input(&[Diagnostic::new(problem).hint(
                "name a results.json that `evalgate run` wrote (by default target/evalgate/results.json)",
            )]);
        }
    };
    if args.reports.is_empty() {
        emit(&crate::report::terminal::render(
            &results,
            Style::for_stdout(args.color),
        ));
        return ExitCode::SUCCESS;
    }
    let input = Some(("RESULTS", path.as_path()));
    #[cfg(feature = "history")]
    let trends = if args.reports.html_requested() {
        super::history::html_trends(&args.history_db, &results)
    } else {
        BTreeMap::new()
    };
    #[cfg(not(feature = "history"))]
    let trends = BTreeMap::new();
    match args
        .reports
        .check(input)
        .and_then(|()| args.reports.write(&results, &trends))
    {
        Ok(written) => {
            emit(&written);
            ExitCode::SUCCESS
        }
        Err(problem) => bad_input(&[problem]),
    }
}
