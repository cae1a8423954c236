//! The `evalgate` command line: a thin layer that parses flags, loads suites, runs the engine
//! and hands the results to reporters. Exit codes: 0 all passed, 1 something failed, 2 the input
//! was wrong (a bad suite, a bad flag).

mod compare;
mod github;
#[cfg(feature = "history")]
mod history;
mod merge;
mod progress;
mod reports;
mod repro;
mod snapshots;

use crate::cassette;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::engine::baseline::Baseline;
use crate::engine::{Repro, Selection, Session};
use crate::report::style::{ColorChoice, Style};
use crate::results::RunResults;
use crate::suite::{self, Functions, LoadOptions, Suite};
use clap::{Args, Parser, Subcommand};
use progress::Progress;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

#[derive(Parser, Debug)]
#[command(
    name = "evalgate",
    version,
    about = "Regression tests for language models: suites of cases, metric floors, a gate."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run suites: every case and floor is a test; writes results.json.
    Run(RunArgs),
    /// Print the names of the tests the suites define, one per line.
    List(SuiteArgs),
    /// Run one case and show the whole exchange: prompt, parameters, raw output, judgement.
    Repro(repro::ReproArgs),
    /// Write the reports of a finished run again from its results.json, or print its summary.
    Report(reports::ReportArgs),
    /// Compare two runs' results.json: flipped cases, changed outputs, metric deltas and whether
    /// the change is significant; exits 1 when a suite regressed.
    Compare(compare::CompareArgs),
    /// Merge the results of a run's shards (`run --shard i/n`) into one results.json, as if one
    /// run had run every case, and judge the floors on it; exits 1 when the merged run fails.
    Merge(merge::MergeArgs),
    /// Work on the cassettes the suites name.
    #[command(subcommand)]
    Cassette(CassetteCommand),
    /// List pending snapshots (.snap.new) and orphaned ones.
    Pending(snapshots::PendingArgs),
    /// Accept pending snapshots: each becomes the accepted .snap.
    Accept(snapshots::AcceptArgs),
    /// Reject pending snapshots: each .snap.new is deleted.
    Reject(snapshots::SnapshotArgs),
    /// Go through pending snapshots one by one: accept, reject or skip each.
    Review(snapshots::SnapshotArgs),
    /// What the GitHub Action needs from a run: annotations, step outputs, the job summary and
    /// the pull-request comment.
    #[command(subcommand)]
    Github(github::GithubCommand),
    /// The run history: record runs, show and plot metric trends, check for drift.
    #[cfg(feature = "history")]
    #[command(subcommand)]
    History(history::HistoryCommand),
}

#[derive(Subcommand, Debug)]
enum CassetteCommand {
    /// Drop the recordings that no case of the suites uses any more.
    Prune {
        /// Suite files or folders (searched recursively).
        #[arg(default_value = "suites")]
        paths: Vec<PathBuf>,
    },
}

#[derive(Args, Debug)]
struct SuiteArgs {
    /// Suite files or folders (searched recursively) [default: suites].
    paths: Vec<PathBuf>,
    /// Run only tests whose name contains this (repeatable), as `cargo test FILTER` does.
    #[arg(short, long = "filter", value_name = "PATTERN")]
    filters: Vec<String>,
    /// Leave out tests whose name contains this (repeatable).
    #[arg(long, value_name = "PATTERN")]
    skip: Vec<String>,
    /// Filters and skips match whole test names.
    #[arg(long)]
    exact: bool,
    /// Run only the ignored cases.
    #[arg(long, conflicts_with = "include_ignored")]
    ignored: bool,
    /// Run ignored cases too (and count them in metrics).
    #[arg(long)]
    include_ignored: bool,
    /// Judge regressions against this earlier results.json: tests `<suite>::regression::<metric>`
    /// fail when a metric got significantly worse (see README, "Regressions").
    #[arg(long, value_name = "PATH")]
    baseline: Option<PathBuf>,
    /// Run only shard I of N (1 ≤ I ≤ N ≤ 1000): the cases whose name hashes to it. Floors are
    /// judged by `evalgate merge` on the results of every shard.
    #[arg(long, value_name = "I/N", conflicts_with = "baseline")]
    shard: Option<crate::engine::Shard>,
}

#[derive(Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    suites: SuiteArgs,
    /// Where to write results.json [default: target/evalgate/results.json].
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Run again only what failed or errored in the last results.json (the --out file): its
    /// cases, and its floors with every case they count; the results are merged into it.
    #[arg(long, conflicts_with_all = ["filters", "skip", "exact", "ignored", "include_ignored", "shard"])]
    failed: bool,
    /// Colour the summary: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,
    /// Run each case N times (every suite's `repeat`): a pass rate per case, flaky cases
    /// reported, metrics averaged over the runs.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=crate::suite::MAX_REPEAT as u64))]
    repeat: Option<u64>,
    #[command(flatten)]
    reports: reports::ReportPaths,
    /// Record the run in the history database: a whole run, so not with filters, --shard or
    /// --failed (record a merged run with `evalgate history record`).
    #[cfg(feature = "history")]
    #[arg(long, conflicts_with_all = ["filters", "skip", "exact", "ignored", "shard", "failed"])]
    history: bool,
    #[cfg(feature = "history")]
    #[command(flatten)]
    history_db: history::HistoryDb,
}

impl SuiteArgs {
    /// The suite paths given, or `suites`.
    fn paths(&self) -> Vec<PathBuf> {
        if self.paths.is_empty() {
            vec![PathBuf::from("suites")]
        } else {
            self.paths.clone()
        }
    }

    fn selection(&self) -> Selection {
        Selection {
            filters: self.filters.clone(),
            skip: self.skip.clone(),
            exact: self.exact,
            ignored: self.ignored,
            include_ignored: self.include_ignored,
            shard: self.shard,
        }
    }
}

/// Runs the command line; `main` of the binary.
pub fn main() -> ExitCode {
    crate::snapshot::quiet_insta_output();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Run(args) => run(args),
        Command::List(args) => list(args),
        Command::Repro(args) => repro::repro(&args),
        Command::Report(args) => reports::report(&args),
        Command::Compare(args) => compare::compare(&args),
        Command::Merge(args) => merge::merge(&args),
        Command::Cassette(CassetteCommand::Prune { paths }) => prune(&paths),
        Command::Pending(args) => snapshots::pending(&args),
        Command::Accept(args) => snapshots::accept(&args),
        Command::Reject(args) => snapshots::reject(&args),
        Command::Review(args) => snapshots::review(&args),
        Command::Github(command) => github::github(&command),
        #[cfg(feature = "history")]
        Command::History(command) => history::history(&command),
    }
}

fn bad_input(problems: &[Diagnostic]) -> ExitCode {
    eprintln!("{}", Diagnostics(problems));
    ExitCode::from(2)
}

/// Discovers and loads the suites; every problem of every file, or the suites.
fn load(paths: &[PathBuf]) -> Result<Vec<Suite>, Vec<Diagnostic>> {
    let files = suite::discover(paths)?;
    let loaded = suite::load(&files, &LoadOptions::default());
    if loaded.broken.is_empty() {
        Ok(loaded.suites)
    } else {
        Err(loaded.problems())
    }
}

/// The suites, ready to run: loaded, with their cassettes open in the environment's mode.
/// A session over the suites `args` name; `repeat` says how many runs a suite's cases get, by
/// suite name, when not what the suite file says.
fn session(
    args: &SuiteArgs,
    repeat: impl Fn(&str) -> Option<usize>,
) -> Result<Session, Vec<Diagnostic>> {
    let mode = cassette::Mode::from_env().map_err(|problem| vec![problem])?;
    let paths = args.paths();
    let mut suites = load(&paths)?;
    for suite in &mut suites {
        if let Some(times) = repeat(&suite.name) {
            suite.repeat = times;
        }
    }
    let session = session_of(suites, mode, &paths)?.include_ignored(args.include_ignored);
    match &args.baseline {
        Some(path) => match Baseline::read(path.clone()) {
            Ok(baseline) => Ok(session.against(baseline)),
            Err(problem) => Err(vec![
                Diagnostic::new(format!("--baseline: {problem}"))
                    .hint("name a results.json that `evalgate run` wrote, e.g. the main branch's"),
            ]),
        },
        None => Ok(session),
    }
}

/// A session of the CLI over loaded suites, with their cassettes open in `mode`; `paths` are
/// the suite paths the user gave (for the project root and the commands in messages).
fn session_of(
    suites: Vec<Suite>,
    mode: cassette::Mode,
    paths: &[PathBuf],
) -> Result<Session, Vec<Diagnostic>> {
    crate::snapshot::check_insta_environment().map_err(|problem| vec![problem])?;
    let (suites, broken, cassettes) = cassette::attach(suites, mode);
    if !broken.is_empty() {
        return Err(broken.into_iter().flat_map(|b| b.problems).collect());
    }
    let roots = paths.to_vec();
    Ok(Session::new(
        suites,
        &BTreeMap::new(),
        cassettes,
        Repro::Cli {
            paths: paths.to_vec(),
        },
    )
    .snapshots_under(move || crate::snapshot::cli_workspace(&roots)))
}

fn list(args: SuiteArgs) -> ExitCode {
    let session = match session(&args, |_| None) {
        Ok(session) => session,
        Err(problems) => return bad_input(&problems),
    };
    let names = args.selection().names(&session);
    emit(
        &names
            .iter()
            .map(|name| format!("{name}\n"))
            .collect::<String>(),
    );
    ExitCode::SUCCESS
}

fn run(mut args: RunArgs) -> ExitCode {
    let out = args.out.clone().unwrap_or_else(default_results_path);
    let mut previous = None;
    if args.failed {
        let last = match RunResults::read(&out) {
            Ok(last) => last,
            Err(problem) => {
                return bad_input(&[Diagnostic::new(format!("--failed: {problem}")).hint(
                    "run the suites once without --failed, or point --out at the last results",
                )]);
            }
        };
        if let Some(problem) = rerun_problem(&last, &args) {
            return bad_input(&[problem]);
        }
        let tests = failed_last_time(&last);
        if tests.is_empty() {
            emit(&format!(
                "nothing failed or errored in {}: nothing to run\n",
                out.display()
            ));
            return ExitCode::SUCCESS;
        }
        if args.suites.paths.is_empty() {
            // The suites of the last run, wherever they were.
            let mut files: Vec<PathBuf> =
                last.suites.iter().map(|s| PathBuf::from(&s.file)).collect();
            files.dedup();
            args.suites.paths = files;
        }
        args.suites.filters = tests;
        args.suites.exact = true;
        previous = Some(last);
    }
    // --failed runs a case as many times as the run it failed in did.
    let last_repeats: BTreeMap<String, usize> = previous
        .iter()
        .flat_map(|last: &RunResults| &last.suites)
        .map(|s| (s.name.clone(), s.repeat))
        .collect();
    let repeat = |name: &str| match args.repeat {
        Some(times) => Some(times as usize),
        None => last_repeats.get(name).copied(),
    };
    let session = match session(&args.suites, repeat) {
        Ok(session) => session,
        Err(problems) => return bad_input(&problems),
    };

    let mut selection = args.suites.selection();
    // --failed runs a failed case that is ignored too (it failed in a run that included it),
    // without counting ignored cases in metrics the last run did not count them in.
    selection.include_ignored |= args.failed;
    let plan = selection.plan(&session);
    if plan.cases.is_empty()
        && plan.floors.is_empty()
        && plan.regressions.is_empty()
        && plan.ignored.is_empty()
        && plan.sharded.is_empty()
    {
        let hint = if args.failed {
            "the cases that failed are gone from the suites; run them all with `evalgate run`"
        } else {
            "`evalgate list` prints the test names; filters match parts of names unless --exact"
        };
        return bad_input(&[Diagnostic::new("no test matches the filters").hint(hint)]);
    }
    let progress = Progress::for_stderr(cases_to_run(&session, &plan)).map(std::sync::Arc::new);
    let session = match &progress {
        Some(progress) => {
            let progress = progress.clone();
            session.observe(move |suite, case, outcome| {
                let passed = outcome.verdict(&suite.cases[case]) == crate::engine::Verdict::Pass;
                progress.advance(!passed);
            })
        }
        None => session,
    };
    if let Err(code) = check_outputs(&out, &args.reports) {
        return code;
    }
    // The history database is opened (created) before the run: a bad path is bad input before
    // any model is called.
    #[cfg(feature = "history")]
    let mut recorder = match args
        .history
        .then(|| history::open_for_run(&args.history_db))
    {
        Some(Ok(history)) => Some(history),
        Some(Err(problem)) => return bad_input(&[problem]),
        None => None,
    };
    let started = SystemTime::now();
    let clock = Instant::now();
    session.run_cases(&plan.cases);
    let mut whole_suites: Vec<usize> = plan
        .floors
        .iter()
        .chain(&plan.regressions)
        .map(|(s, _)| *s)
        .collect();
    whole_suites.dedup();
    for suite in whole_suites {
        session.evaluate(suite);
    }
    if let Some(progress) = &progress {
        progress.finish();
    }
    let saved = session.save_cassettes();
    let mut results = RunResults::collect(&session, &plan, started, clock.elapsed());
    if let Some(previous) = previous {
        results = results.merged_over(previous);
    }
    // The run is recorded before it is published, so that the HTML report's trend has it. A
    // failure to record loses no results: it is reported after them, and the run fails.
    #[cfg(feature = "history")]
    let recorded = match recorder.as_mut() {
        Some(history) => history::record_run(history, &args.history_db, &results).map(Some),
        None => Ok(None),
    };
    #[cfg(feature = "history")]
    let trends = if args.reports.html_requested() {
        history::html_trends(&args.history_db, &results)
    } else {
        BTreeMap::new()
    };
    #[cfg(not(feature = "history"))]
    let trends = BTreeMap::new();
    let mut note = plan
        .shard
        .map_or(String::new(), |shard| merge::shard_note(shard, &results));
    note.push_str(&format!("results: {}\n", out.display()));
    #[cfg(feature = "history")]
    if let Ok(Some(line)) = &recorded {
        note.push_str(line);
    }
    if let Err(code) = publish(&results, &out, args.color, &note, &args.reports, &trends) {
        return code;
    }
    if let Err(problem) = saved {
        // The answers are in the results; only their recording is lost.
        eprintln!("error: {problem}");
        return ExitCode::from(1);
    }
    #[cfg(feature = "history")]
    if let Err(problem) = recorded {
        eprintln!("{problem}");
        return ExitCode::from(1);
    }
    exit_code(&results)
}

/// Whether results.json can be written to `out` and the reports where they are asked for,
/// before anything runs; the problem's exit code (2) when not.
fn check_outputs(out: &Path, reports: &reports::ReportPaths) -> Result<(), ExitCode> {
    if let Err(error) = crate::results::check_writable(out) {
        return Err(bad_input(&[Diagnostic::new(format!(
            "cannot write results to {}: {error}",
            out.display()
        ))
        .hint("choose another place with --out PATH")]));
    }
    reports
        .check(Some(("--out", out)))
        .map_err(|problem| bad_input(&[problem]))
}

/// Writes a run's results to `out`, prints its summary and `note` (which names `out`), then
/// writes the reports (the HTML one with the history's `trends`, if any); the exit code (2) of
/// what could not be written.
fn publish(
    results: &RunResults,
    out: &Path,
    color: ColorChoice,
    note: &str,
    reports: &reports::ReportPaths,
    trends: &BTreeMap<String, String>,
) -> Result<(), ExitCode> {
    // The results first: a reader that closes the terminal output early loses nothing.
    if let Err(error) = results.write(out) {
        eprintln!("error: cannot write results to {}: {error}", out.display());
        return Err(ExitCode::from(2));
    }
    emit(&crate::report::terminal::render(
        results,
        Style::for_stdout(color),
    ));
    emit(note);
    // The paths were checked before the run; the results and the summary stand.
    let written = reports
        .write(results, trends)
        .map_err(|problem| bad_input(&[problem]))?;
    emit(&written);
    Ok(())
}

/// 1 when a gating test of the run failed or errored, else 0.
fn exit_code(results: &RunResults) -> ExitCode {
    if results.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// How many cases the run will call the model for: those chosen, and every counted case of a
/// suite whose floors run.
fn cases_to_run(session: &Session, plan: &crate::engine::Plan) -> usize {
    let mut cases: HashSet<(usize, usize)> = plan.cases.iter().copied().collect();
    for (suite, _) in plan.floors.iter().chain(&plan.regressions) {
        for case in 0..session.suite(*suite).cases.len() {
            if session.counts(*suite, case) {
                cases.insert((*suite, case));
            }
        }
    }
    cases.len()
}

/// Why `--failed` cannot judge again what failed in `last` the way `last` judged it: its
/// regression tests need the baseline again, and its cases the same number of runs.
fn rerun_problem(last: &RunResults, args: &RunArgs) -> Option<Diagnostic> {
    let regressed = last
        .suites
        .iter()
        .flat_map(|s| &s.regressions)
        .find(|r| r.verdict == "fail");
    if let (Some(regression), None) = (regressed, &args.suites.baseline) {
        return Some(
            Diagnostic::new(format!(
                "--failed: {} failed against a baseline, and no --baseline is given",
                regression.test
            ))
            .hint("give the same --baseline PATH again, or run everything without --failed"),
        );
    }
    let times = args.repeat? as usize;
    let suite = last
        .suites
        .iter()
        .find(|s| s.repeat != times && failed_last_time_in(s))?;
    Some(
        Diagnostic::new(format!(
            "--failed --repeat {times}: the last run ran each case of {} {} time{}",
            suite.name,
            suite.repeat,
            if suite.repeat == 1 { "" } else { "s" }
        ))
        .hint("re-run with the same --repeat, or run everything without --failed"),
    )
}

/// Whether anything of the suite failed in its run.
fn failed_last_time_in(suite: &crate::results::SuiteResults) -> bool {
    suite
        .cases
        .iter()
        .any(|c| matches!(c.verdict.as_str(), "fail" | "error"))
        || suite.floors.iter().any(|f| f.verdict == "fail")
        || suite.regressions.iter().any(|r| r.verdict == "fail")
}

/// The names of the cases that failed or errored in `results`, of its broken floors and of its
/// regression tests that found a regression.
fn failed_last_time(results: &RunResults) -> Vec<String> {
    let cases = results
        .suites
        .iter()
        .flat_map(|suite| &suite.cases)
        .filter(|case| matches!(case.verdict.as_str(), "fail" | "error"))
        .map(|case| case.test.clone());
    let floors = results
        .suites
        .iter()
        .flat_map(|suite| &suite.floors)
        .filter(|floor| floor.verdict == "fail")
        .map(|floor| floor.test.clone());
    let regressions = results
        .suites
        .iter()
        .flat_map(|suite| &suite.regressions)
        .filter(|regression| regression.verdict == "fail")
        .map(|regression| regression.test.clone());
    cases.chain(floors).chain(regressions).collect()
}

/// Drops every recording that no case of the suites asks for any more (a case removed, a prompt
/// or a parameter changed). A recording made by a suite that was not named is left alone: only
/// the suites given are judged. Every cassette is read before any is written.
fn prune(paths: &[PathBuf]) -> ExitCode {
    let files = match suite::discover(paths) {
        Ok(files) => files,
        Err(problems) => return bad_input(&problems),
    };
    let loaded = suite::load(
        &files,
        &LoadOptions {
            functions: Functions::Unchecked,
        },
    );
    if !loaded.broken.is_empty() {
        return bad_input(&loaded.problems());
    }
    struct Use {
        shown: PathBuf,
        suites: HashSet<String>,
        keys: HashSet<String>,
    }
    let mut uses: BTreeMap<PathBuf, Use> = BTreeMap::new();
    for suite in &loaded.suites {
        let Some(path) = &suite.cassette else {
            continue;
        };
        let parameters = suite.model.parameters();
        let used = uses.entry(cassette::identity(path)).or_insert_with(|| Use {
            shown: path.clone(),
            suites: HashSet::new(),
            keys: HashSet::new(),
        });
        used.suites.insert(suite.name.clone());
        for case in 0..suite.cases.len() {
            let sent = cassette::sent(&suite.model, &suite.request(case));
            used.keys.insert(cassette::key(&parameters, &sent));
        }
    }
    if uses.is_empty() {
        emit("no suite names a cassette\n");
        return ExitCode::SUCCESS;
    }
    let mut opened = Vec::new();
    let mut problems = Vec::new();
    for used in uses.values() {
        match cassette::Cassette::open(&used.shown) {
            Ok(cassette) => opened.push((used, cassette)),
            Err(found) => problems.extend(found),
        }
    }
    if !problems.is_empty() {
        return bad_input(&problems);
    }
    let mut report = String::new();
    for (used, cassette) in opened {
        let judged = |entry: &cassette::Entry| {
            let suite = entry.test.split("::").next().unwrap_or_default();
            used.suites.contains(suite)
        };
        // A later run of a repeated case is kept while its first run is: however many runs
        // `repeat` or --repeat asked for.
        let first_run = |entry: &cassette::Entry| {
            let mut request = entry.request.clone();
            request
                .as_object_mut()
                .and_then(|fields| fields.remove("repetition"))
                .map(|_| cassette::key(&entry.parameters, &request))
        };
        let used_key = |entry: &cassette::Entry| {
            used.keys.contains(&entry.key)
                || first_run(entry).is_some_and(|k| used.keys.contains(&k))
        };
        match cassette.prune(|entry| used_key(entry) || !judged(entry)) {
            Ok((kept, dropped)) => {
                let shown = used.shown.display();
                report.push_str(&format!("{shown}: kept {kept}, dropped {dropped}\n"));
            }
            Err(error) => {
                emit(&report);
                eprintln!("error: cannot prune {}: {error}", used.shown.display());
                return ExitCode::from(1);
            }
        }
    }
    emit(&report);
    ExitCode::SUCCESS
}

/// Writes to stdout; a closed stdout (`evalgate list | head -1`) is not an error.
fn emit(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

fn default_results_path() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    target.join("evalgate").join("results.json")
}
