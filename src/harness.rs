//! The `cargo test` face: every case and every floor is a libtest-mimic trial.
//!
//! Trials are named `<suite>::<case-id>` and `<suite>::floor::<metric>` (and, with a baseline
//! in `EVALGATE_BASELINE`, `<suite>::regression::<metric>`), so filters, `--exact`,
//! `--skip`, `--list`, `--ignored` and `cargo nextest run` work as for ordinary tests. A suite
//! file with problems becomes one failing trial, `<suite>::suite_file`, whose message lists them
//! all; the other suites still run.

use crate::cassette;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::engine::baseline::Baseline;
use crate::engine::{Repro, Session};
use crate::provider::{BoxError, ModelFn, Request};
use crate::results::RunResults;
use crate::suite::{self, Functions, LoadOptions};
use libtest_mimic::{Arguments, Failed, Trial};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Once};

/// Runs suites as tests under `cargo test`. In `tests/suites.rs` (with `harness = false`):
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     evalgate::Harness::from_dir("suites")
///         .model("my-classifier", |req: &evalgate::Request| Ok(req.input.to_lowercase()))
///         .run()
/// }
/// ```
pub struct Harness {
    paths: Vec<PathBuf>,
    functions: BTreeMap<String, ModelFn>,
}

impl Harness {
    /// Suites from one folder (searched recursively), relative to the package root, which is
    /// where `cargo test` runs test binaries.
    pub fn from_dir(dir: impl Into<PathBuf>) -> Harness {
        Harness::from_paths([dir])
    }

    /// Suites from several files or folders.
    pub fn from_paths<P: Into<PathBuf>>(paths: impl IntoIterator<Item = P>) -> Harness {
        Harness {
            paths: paths.into_iter().map(Into::into).collect(),
            functions: BTreeMap::new(),
        }
    }

    /// Registers a model for suites with `provider = "fn"` and `name = "<name>"`. The closure
    /// returns the output (anything that converts into a `String`) or an error; it may be called
    /// from several threads at once.
    pub fn model<F, O>(mut self, name: &str, model: F) -> Harness
    where
        F: Fn(&Request) -> Result<O, BoxError> + Send + Sync + 'static,
        O: Into<String>,
    {
        let model: ModelFn = Arc::new(move |request: &Request| model(request).map(Into::into));
        self.functions.insert(name.to_string(), model);
        self
    }

    /// Parses libtest's arguments from the command line and runs the trials.
    pub fn run(self) -> ExitCode {
        self.run_with(Arguments::from_args())
    }

    /// Runs the trials with the given arguments.
    pub fn run_with(self, arguments: Arguments) -> ExitCode {
        install_quiet_panic_hook();
        crate::snapshot::quiet_insta_output();
        let (trials, session) = self.prepare(arguments.include_ignored);
        let started = std::time::SystemTime::now();
        let clock = std::time::Instant::now();
        let conclusion = libtest_mimic::run(&arguments, trials);
        let Some(session) = session else {
            return conclusion.exit_code();
        };
        if let Err(problem) = session.save_cassettes() {
            eprintln!("error: {problem}");
            return ExitCode::FAILURE;
        }
        // EVALGATE_RESULTS: the results of what ran, as `evalgate run` writes them, for the
        // reports and the GitHub Action.
        if let Some(path) = std::env::var_os("EVALGATE_RESULTS").filter(|p| !p.is_empty()) {
            let results = RunResults::collect(&session, &session.ran(), started, clock.elapsed());
            if let Err(error) = results.write(std::path::Path::new(&path)) {
                eprintln!(
                    "error: EVALGATE_RESULTS: cannot write {}: {error}",
                    std::path::Path::new(&path).display()
                );
                return ExitCode::FAILURE;
            }
        }
        conclusion.exit_code()
    }

    /// The trials, one per case, floor and broken suite file, and the session they share.
    fn prepare(self, include_ignored: bool) -> (Vec<Trial>, Option<Arc<Session>>) {
        let mode = match cassette::Mode::from_env() {
            Ok(mode) => mode,
            Err(problem) => {
                return (
                    vec![failing_trial("evalgate::cassette_mode".into(), &[problem])],
                    None,
                );
            }
        };
        if let Err(problem) = crate::snapshot::check_insta_environment() {
            return (
                vec![failing_trial(
                    "evalgate::insta_environment".into(),
                    &[problem],
                )],
                None,
            );
        }
        let files = match suite::discover(&self.paths) {
            Ok(files) => files,
            Err(problems) => {
                return (
                    vec![failing_trial("evalgate::suites".into(), &problems)],
                    None,
                );
            }
        };
        let options = LoadOptions {
            functions: Functions::Registered(self.functions.keys().cloned().collect()),
        };
        let loaded = suite::load(&files, &options);
        let (suites, unreadable_cassettes, cassettes) = cassette::attach(loaded.suites, mode);
        let mut trials: Vec<Trial> = loaded
            .broken
            .iter()
            .chain(&unreadable_cassettes)
            .map(|broken| failing_trial(format!("{}::suite_file", broken.name), &broken.problems))
            .collect();
        let session = Session::new(suites, &self.functions, cassettes, cargo_repro())
            .snapshots_under(crate::snapshot::harness_workspace)
            .include_ignored(include_ignored);
        // EVALGATE_BASELINE: regression tests against an earlier run, as `--baseline` gives.
        let session = match std::env::var_os("EVALGATE_BASELINE").filter(|p| !p.is_empty()) {
            Some(path) => match Baseline::read(path.into()) {
                Ok(baseline) => session.against(baseline),
                Err(problem) => {
                    let problem = Diagnostic::new(format!("EVALGATE_BASELINE: {problem}"))
                        .hint("point it at a results.json that `evalgate run` wrote, or unset it");
                    trials.push(failing_trial("evalgate::baseline".into(), &[problem]));
                    session
                }
            },
            None => session,
        };
        let session = Arc::new(session);
        for (s, suite) in session.suites().enumerate() {
            for (c, case) in suite.cases.iter().enumerate() {
                let runner = session.clone();
                let trial = Trial::test(suite.case_test_name(c), move || {
                    runner.case_test(s, c).map_err(Failed::from)
                })
                .with_ignored_flag(case.ignore.is_some());
                trials.push(trial);
            }
            for f in 0..suite.floors.len() {
                let runner = session.clone();
                trials.push(Trial::test(suite.floor_test_name(f), move || {
                    runner.floor_test(s, f).map_err(Failed::from)
                }));
            }
            for (r, metric) in session.regression_metrics(s).iter().enumerate() {
                let runner = session.clone();
                trials.push(Trial::test(suite.regression_test_name(metric), move || {
                    runner.regression_test(s, r).map_err(Failed::from)
                }));
            }
        }
        (trials, Some(session))
    }
}

fn failing_trial(name: String, problems: &[Diagnostic]) -> Trial {
    let message = Diagnostics(problems).to_string();
    Trial::test(name, move || Err(Failed::from(message.clone())))
}

/// The command that re-runs one test of this test binary: cargo sets `CARGO_PKG_NAME` when it
/// runs tests, and the binary's name is the test target's name plus a hash.
fn cargo_repro() -> Repro {
    let target = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map(|stem| match stem.rsplit_once('-') {
            Some((name, hash))
                if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) =>
            {
                name.to_string()
            }
            _ => stem,
        })
        .unwrap_or_else(|| "suites".to_string());
    Repro::Cargo {
        package: std::env::var("CARGO_PKG_NAME").ok(),
        target,
    }
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with panics on this thread kept off stderr: a model closure that panics fails its
/// case with the panic's message, which the failure message already shows.
pub(crate) fn quiet_panics<T>(f: impl FnOnce() -> T) -> T {
    install_quiet_panic_hook();
    QUIET.with(|q| q.set(true));
    let result = f();
    QUIET.with(|q| q.set(false));
    result
}

fn install_quiet_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
}
