//! `evalgate history record|show|plot|check`, and the history flags of `evalgate run`
//! (`--history`, `--history-db`) and `evalgate report` (`--history-db`, for the HTML report's
//! trends). Exit codes as everywhere: 0 fine, 1 drift found (`check`), 2 bad input, with the
//! file or flag named and the next step.

use super::{bad_input, emit};
use crate::diagnostic::Diagnostic;
use crate::files::write_atomically;
use crate::history::drift::{self, Settings};
use crate::history::filter::{parse_since, parse_until};
use crate::history::{self, Filter, History, Recorded, RunRecord, plot, table};
use crate::results::{RunResults, check_writable};
use clap::{Args, Subcommand};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `--history-db`: which database, else `EVALGATE_HISTORY`, else `.evalgate/history.db`.
#[derive(Args, Debug, Default)]
pub struct HistoryDb {
    /// The run history database [default: $EVALGATE_HISTORY, else .evalgate/history.db].
    #[arg(long = "history-db", value_name = "PATH")]
    history_db: Option<PathBuf>,
}

impl HistoryDb {
    pub fn path(&self) -> PathBuf {
        self.history_db
            .clone()
            .or_else(|| {
                std::env::var_os(history::ENV)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from(history::DEFAULT_PATH))
    }

    /// The database as messages name it: its path, and where the path came from unless it was
    /// the flag.
    fn shown(&self) -> String {
        let path = self.path();
        let from = if self.history_db.is_some() {
            ""
        } else if std::env::var_os(history::ENV).is_some_and(|v| !v.is_empty()) {
            " (from EVALGATE_HISTORY)"
        } else {
            ""
        };
        format!("{}{from}", path.display())
    }

    /// Opens the database, naming where its path came from when that fails.
    fn open(&self, create: bool) -> Result<History, Diagnostic> {
        History::open(&self.path(), create).map_err(|mut problem| {
            if self.history_db.is_none() && std::env::var_os(history::ENV).is_some() {
                problem
                    .message
                    .push_str(" (the path is EVALGATE_HISTORY's)");
            }
            problem
        })
    }
}

#[derive(Subcommand, Debug)]
pub enum HistoryCommand {
    /// Add runs to the history from their results.json; a run recorded before is skipped.
    Record(RecordArgs),
    /// Print the recorded metrics: a row per run, suite and metric, with intervals and floors.
    Show(ShowArgs),
    /// Draw metric trends with their floors and intervals: --out trend.svg, .html or .md
    /// (Markdown with Mermaid charts, for a GitHub job summary).
    Plot(PlotArgs),
    /// Check each suite's latest run for drift against the runs before it; exits 1 and
    /// writes a Markdown section when an alert fires.
    Check(CheckArgs),
}

#[derive(Args, Debug)]
pub struct RecordArgs {
    /// The results.json files of the runs, as `evalgate run` wrote them.
    #[arg(value_name = "RESULTS", required = true)]
    results: Vec<PathBuf>,
    #[command(flatten)]
    db: HistoryDb,
}

/// Which runs, suites and metrics a command looks at.
#[derive(Args, Debug)]
pub struct FilterArgs {
    /// Only this suite (repeatable).
    #[arg(long = "suite", value_name = "NAME")]
    suites: Vec<String>,
    /// Only this metric (repeatable) [default: each suite's headline metric and its floored
    /// metrics].
    #[arg(long = "metric", value_name = "NAME")]
    metrics: Vec<String>,
    /// Only suites whose model (`provider: identity`) contains this text.
    #[arg(long, value_name = "TEXT")]
    model: Option<String>,
    /// Only runs on this git branch.
    #[arg(long, value_name = "NAME")]
    branch: Option<String>,
    /// Only runs that started at or after this time: a date (2026-11-29) or RFC 3339.
    #[arg(long, value_name = "TIME", value_parser = parse_since)]
    since: Option<i64>,
    /// Only runs that started at or before this time: a date (its whole day) or RFC 3339.
    #[arg(long, value_name = "TIME", value_parser = parse_until)]
    until: Option<i64>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// Only the last N runs (after the other filters).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    last: Option<u64>,
    #[command(flatten)]
    db: HistoryDb,
}

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// The file to write: .svg, .html (a self-contained page) or .md (Mermaid charts).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    filter: FilterArgs,
    /// Only the last N runs (after the other filters).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    last: Option<u64>,
    #[command(flatten)]
    db: HistoryDb,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// The baseline: the mean of the K runs before the latest.
    #[arg(long, value_name = "K", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
    window: u64,
    /// Alert when the label distribution's population stability index exceeds this...
    #[arg(
        long,
        value_name = "PSI",
        default_value_t = 0.2,
        allow_hyphen_values = true
    )]
    psi: f64,
    /// ...and the chi-square test's p-value is below this.
    #[arg(
        long,
        value_name = "P",
        default_value_t = 0.01,
        allow_hyphen_values = true
    )]
    p_value: f64,
    /// Alert when latency_p95_ms exceeds the baseline's by this factor...
    #[arg(
        long,
        value_name = "RATIO",
        default_value_t = 1.5,
        allow_hyphen_values = true
    )]
    latency_ratio: f64,
    /// ...and by at least this many milliseconds.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 20.0,
        allow_hyphen_values = true
    )]
    latency_min_ms: f64,
    /// Also write the Markdown section here (e.g. $GITHUB_STEP_SUMMARY); the file is replaced.
    #[arg(long, value_name = "PATH")]
    markdown: Option<PathBuf>,
    #[command(flatten)]
    db: HistoryDb,
}

/// `evalgate history ...`.
pub fn history(command: &HistoryCommand) -> ExitCode {
    match command {
        HistoryCommand::Record(args) => record(args),
        HistoryCommand::Show(args) => show(args),
        HistoryCommand::Plot(args) => plot_command(args),
        HistoryCommand::Check(args) => check(args),
    }
}

const RESULTS_HINT: &str =
    "name a results.json that `evalgate run` wrote (by default target/evalgate/results.json)";

fn record(args: &RecordArgs) -> ExitCode {
    // Every file is read before the database is touched: one bad file records nothing.
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for path in &args.results {
        match RunResults::read(path).and_then(|results| {
            RunRecord::from_results(&results).map_err(|e| format!("{}: {e}", path.display()))
        }) {
            Ok(run) => runs.push((path, run)),
            Err(problem) => problems.push(Diagnostic::new(problem).hint(RESULTS_HINT)),
        }
    }
    if !problems.is_empty() {
        return bad_input(&problems);
    }
    let mut history = match args.db.open(true) {
        Ok(history) => history,
        Err(problem) => return bad_input(&[problem]),
    };
    let mut report = String::new();
    for (path, run) in runs {
        match history.record(&run) {
            Ok(recorded) => report.push_str(&recorded_line(path, &run, recorded, &args.db)),
            Err(problem) => {
                emit(&report);
                return bad_input(&[problem]);
            }
        }
    }
    emit(&report);
    ExitCode::SUCCESS
}

fn recorded_line(path: &Path, run: &RunRecord, recorded: Recorded, db: &HistoryDb) -> String {
    let what = format!(
        "the run of {} (commit {}, {})",
        run.shown_time(),
        run.short_commit(),
        plural(run.suites.len(), "suite")
    );
    match recorded {
        Recorded::New(_) => format!("{}: recorded {what} in {}\n", path.display(), db.shown()),
        Recorded::Already(_) => format!(
            "{}: {what} is already in {}; nothing added\n",
            path.display(),
            db.shown()
        ),
    }
}

/// The database opened and its runs read, filtered; every way the filters can be wrong is
/// bad input, named by its flag.
fn load(
    db: &HistoryDb,
    args: &FilterArgs,
    last: Option<u64>,
) -> Result<(History, Vec<RunRecord>, Filter), Vec<Diagnostic>> {
    if let (Some(since), Some(until)) = (args.since, args.until)
        && since > until
    {
        return Err(vec![
            Diagnostic::new("--since is after --until: no run can match")
                .hint("swap them, or drop one"),
        ]);
    }
    let history = db.open(false).map_err(|p| vec![p])?;
    let runs = history.runs().map_err(|p| vec![p])?;
    if runs.is_empty() {
        return Err(vec![
            Diagnostic::new(format!("the history database {} has no runs", db.shown())).hint(
                "record runs with `evalgate run --history` or `evalgate history record RESULTS.json`",
            ),
        ]);
    }
    let filter = Filter {
        suites: args.suites.clone(),
        metrics: args.metrics.clone(),
        model: args.model.clone(),
        branch: args.branch.clone(),
        since: args.since,
        until: args.until,
        last: last.map(|n| n as usize),
    };
    let mut problems = Vec::new();
    let suites: BTreeSet<&str> = runs
        .iter()
        .flat_map(|r| &r.suites)
        .map(|s| s.name.as_str())
        .collect();
    for name in &filter.suites {
        if !suites.contains(name.as_str()) {
            problems.push(
                Diagnostic::new(format!("--suite {name}: no recorded run has this suite")).hint(
                    format!("the history has: {}", listed(suites.iter().copied())),
                ),
            );
        }
    }
    let metrics: BTreeSet<&str> = runs
        .iter()
        .flat_map(|r| &r.suites)
        .filter(|s| filter.suites.is_empty() || filter.suites.contains(&s.name))
        .flat_map(|s| s.metrics.keys())
        .map(String::as_str)
        .collect();
    for name in &filter.metrics {
        if !metrics.contains(name.as_str()) {
            problems.push(
                Diagnostic::new(format!(
                    "--metric {name}: no recorded run of {} has this metric",
                    if filter.suites.is_empty() {
                        "any suite".to_string()
                    } else {
                        filter.suites.join(", ")
                    }
                ))
                .hint(format!(
                    "recorded metrics: {}",
                    listed(metrics.iter().copied())
                )),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let kept = filter.clone().apply(runs.clone());
    if kept.is_empty() {
        return Err(vec![nothing_matches(args, &runs)]);
    }
    Ok((history, kept, filter))
}

/// Why the filters matched nothing: what the history does have.
fn nothing_matches(args: &FilterArgs, runs: &[RunRecord]) -> Diagnostic {
    let mut flags = Vec::new();
    for name in &args.suites {
        flags.push(format!("--suite {name}"));
    }
    if let Some(model) = &args.model {
        flags.push(format!("--model {model}"));
    }
    if let Some(branch) = &args.branch {
        flags.push(format!("--branch {branch}"));
    }
    if args.since.is_some() {
        flags.push("--since".to_string());
    }
    if args.until.is_some() {
        flags.push("--until".to_string());
    }
    let branches: BTreeSet<&str> = runs.iter().filter_map(|r| r.branch.as_deref()).collect();
    let models: BTreeSet<String> = runs
        .iter()
        .flat_map(|r| &r.suites)
        .map(|s| s.model())
        .collect();
    let (first, last) = (&runs[0], &runs[runs.len() - 1]);
    Diagnostic::new(format!("no recorded run matches {}", flags.join(" "))).hint(format!(
        "the history has {} from {} to {}; branches: {}; models: {}",
        plural(runs.len(), "run"),
        first.shown_time(),
        last.shown_time(),
        listed(branches.into_iter()),
        listed(models.iter().map(String::as_str)),
    ))
}

fn listed<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        return "none".to_string();
    }
    const SHOWN: usize = 20;
    let mut text = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

fn show(args: &ShowArgs) -> ExitCode {
    match load(&args.db, &args.filter, args.last) {
        Ok((_, runs, filter)) => {
            emit(&table::render(&runs, &filter));
            ExitCode::SUCCESS
        }
        Err(problems) => bad_input(&problems),
    }
}

fn plot_command(args: &PlotArgs) -> ExitCode {
    let extension = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let format = match extension.as_deref() {
        Some("svg") => Format::Svg,
        Some("html" | "htm") => Format::Html,
        Some("md" | "markdown") => Format::Markdown,
        _ => {
            return bad_input(&[Diagnostic::new(format!(
                "--out {}: evalgate draws .svg, .html or .md files",
                args.out.display()
            ))
            .hint("name the file trend.svg, trend.html (a self-contained page) or trend.md (Markdown with Mermaid charts)")]);
        }
    };
    if let Err(error) = check_writable(&args.out) {
        return bad_input(&[Diagnostic::new(format!(
            "--out: cannot write {}: {error}",
            args.out.display()
        ))
        .hint("choose another place with --out FILE")]);
    }
    let (_, runs, filter) = match load(&args.db, &args.filter, args.last) {
        Ok(loaded) => loaded,
        Err(problems) => return bad_input(&problems),
    };
    let series = plot::series(&runs, &filter, None);
    let about = format!(
        "{} from {} to {}, from {}",
        plural(runs.len(), "run"),
        runs[0].shown_time(),
        runs[runs.len() - 1].shown_time(),
        args.db.shown()
    );
    let text = match format {
        Format::Svg => plot::svg(&series),
        Format::Html => plot::html(&series, &about),
        Format::Markdown => plot::markdown(&series, &about),
    };
    if let Err(error) = write_atomically(&args.out, text.as_bytes()) {
        return bad_input(&[Diagnostic::new(format!(
            "--out: cannot write {}: {error}",
            args.out.display()
        ))
        .hint("choose another place with --out FILE")]);
    }
    emit(&format!(
        "plot: {} ({} series over {})\n",
        args.out.display(),
        series.len(),
        plural(runs.len(), "run")
    ));
    ExitCode::SUCCESS
}

enum Format {
    Svg,
    Html,
    Markdown,
}

fn check(args: &CheckArgs) -> ExitCode {
    let mut problems = Vec::new();
    if !(args.psi > 0.0 && args.psi.is_finite()) {
        problems.push(
            Diagnostic::new(format!("--psi must be a positive number, not {}", args.psi))
                .hint("0.2 is the usual threshold of a large shift; 0.1 of a moderate one"),
        );
    }
    if !(args.p_value > 0.0 && args.p_value < 1.0) {
        problems.push(
            Diagnostic::new(format!(
                "--p-value must be between 0 and 1 (exclusive), not {}",
                args.p_value
            ))
            .hint("0.01 is the default; a smaller one asks for stronger evidence"),
        );
    }
    if !(args.latency_ratio > 1.0 && args.latency_ratio.is_finite()) {
        problems.push(
            Diagnostic::new(format!(
                "--latency-ratio must be a number above 1, not {}",
                args.latency_ratio
            ))
            .hint("1.5 alerts when p95 latency grows by half"),
        );
    }
    if !(args.latency_min_ms >= 0.0 && args.latency_min_ms.is_finite()) {
        problems.push(
            Diagnostic::new(format!(
                "--latency-min-ms must be 0 or more, not {}",
                args.latency_min_ms
            ))
            .hint("20 ignores the jitter of fast local models"),
        );
    }
    if let Some(path) = &args.markdown
        && let Err(error) = check_writable(path)
    {
        problems.push(
            Diagnostic::new(format!(
                "--markdown: cannot write {}: {error}",
                path.display()
            ))
            .hint("choose another place with --markdown PATH"),
        );
    }
    if !problems.is_empty() {
        return bad_input(&problems);
    }
    let (history, runs, filter) = match load(&args.db, &args.filter, None) {
        Ok(loaded) => loaded,
        Err(problems) => return bad_input(&problems),
    };
    let settings = Settings {
        window: args.window as usize,
        psi: args.psi,
        p_value: args.p_value,
        latency_ratio: args.latency_ratio,
        latency_min_ms: args.latency_min_ms,
    };
    let database = args.db.path().display().to_string();
    let report = match drift::check(&history, &runs, &filter, &settings, &database) {
        Ok(report) => report,
        Err(problem) => return bad_input(&[problem]),
    };
    let markdown = report.markdown();
    if let Some(path) = &args.markdown
        && let Err(error) = write_atomically(path, markdown.as_bytes())
    {
        return bad_input(&[Diagnostic::new(format!(
            "--markdown: cannot write {}: {error}",
            path.display()
        ))
        .hint("choose another place with --markdown PATH")]);
    }
    emit(&markdown);
    if report.alerts() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `evalgate run --history`: the database opened (and created) before the run, so that a bad
/// path is bad input before any model is called.
pub fn open_for_run(db: &HistoryDb) -> Result<History, Diagnostic> {
    db.open(true)
}

/// Records a finished run; the line that says so.
pub fn record_run(
    history: &mut History,
    db: &HistoryDb,
    results: &RunResults,
) -> Result<String, Diagnostic> {
    let run = RunRecord::from_results(results).map_err(Diagnostic::new)?;
    let recorded = history.record(&run)?;
    Ok(match recorded {
        Recorded::New(_) => format!("history: {}\n", db.shown()),
        Recorded::Already(_) => format!("history: {} (already recorded)\n", db.shown()),
    })
}

/// The HTML report's trend panels, by suite, when a history database exists: the runs recorded
/// up to this one, and this one. Nothing when there is no database; a database that cannot be
/// read gives a warning and no trends (the report itself does not depend on it).
pub fn html_trends(db: &HistoryDb, results: &RunResults) -> BTreeMap<String, String> {
    if !db.path().exists() {
        return BTreeMap::new();
    }
    let Ok(current) = RunRecord::from_results(results) else {
        return BTreeMap::new();
    };
    let runs = match db.open(false).and_then(|h| h.runs()) {
        Ok(runs) => runs,
        Err(problem) => {
            eprintln!(
                "warning: the HTML report has no trends: {}",
                problem.message
            );
            return BTreeMap::new();
        }
    };
    let mut runs: Vec<RunRecord> = runs
        .into_iter()
        .filter(|r| r.started_ms <= current.started_ms && r.key != current.key)
        .collect();
    runs.push(current.clone());
    plot::report_trends(&runs, &current)
}

fn plural(count: usize, noun: &str) -> String {
    format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
}
