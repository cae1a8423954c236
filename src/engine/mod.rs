//! The engine: runs cases once per process, judges them, computes metrics and floors.
//!
//! A [`Session`] holds the loaded suites and one result cell per case. Whoever asks for a
//! case's outcome first (a case test, a floor test, the CLI's worker pool) calls the model;
//! everyone else waits for and reuses that outcome, so each model call happens once per process
//! however the tests are filtered or ordered. A floor needs every case of its suite and runs
//! the missing ones itself, in parallel up to the provider's `concurrency`.
//!
//! The engine never prints: the harness, the CLI's reporters and results.json all read the same
//! outcomes from the session.

pub mod baseline;
mod evaluate;
mod message;
mod select;

pub use evaluate::{FloorVerdict, SuiteMetrics, judge_bound, judge_floor, metrics, signatures};
pub use message::{
    BrokenFloor, CaseView, LabelView, Repro, SentenceView, floor_message, shell_word,
};
pub use select::{MAX_SHARDS, Plan, Selection, Shard, ShardedSuite};

use crate::cassette::{Cassettes, Recorded};
use crate::judge::{Judgement, judge};
use crate::provider::{self, ModelError, ModelFn, Provider, Reply};
use crate::snapshot::{self, SnapshotCheck};
use crate::suite::Suite;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// What happened when one case ran.
#[derive(Clone, Debug)]
pub struct CaseOutcome {
    /// The model's output and its judgement, or why the model gave none (the first run of a
    /// repeated case).
    pub result: Result<Answer, ModelError>,
    /// Time spent in the model call (not waiting for a free slot).
    pub latency: Duration,
    /// A suite with `repeat = N`: runs 2 to N of the case.
    pub repetitions: Vec<Repetition>,
    /// The share of its runs the case must pass (`min_pass_rate`; 1 without repeat).
    pub min_pass_rate: f64,
}

/// One more run of a repeated case.
#[derive(Clone, Debug)]
pub struct Repetition {
    pub result: Result<Answer, ModelError>,
    pub latency: Duration,
}

#[derive(Clone, Debug)]
pub struct Answer {
    /// The output and what the provider reported with it.
    pub reply: Reply,
    pub judgement: Judgement,
    /// The comparison with the case's snapshot, for suites that keep snapshots.
    pub snapshot: Option<SnapshotCheck>,
}

impl Answer {
    pub fn output(&self) -> &str {
        &self.reply.output
    }

    /// The output is right, and its snapshot (if any) agrees.
    pub fn passed(&self, case: &crate::suite::Case) -> bool {
        self.judgement.passed(case) && self.snapshot_passed()
    }

    pub fn snapshot_passed(&self) -> bool {
        self.snapshot.as_ref().is_none_or(|s| s.passed)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    Error,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

impl CaseOutcome {
    /// A case passes when its answer does; a repeated case when at least `min_pass_rate` of its
    /// runs do. One that falls short errs when every run that did not pass errored.
    pub fn verdict(&self, case: &crate::suite::Case) -> Verdict {
        if self.repetitions.is_empty() {
            return run_verdict(&self.result, case);
        }
        if self.pass_rate(case) >= self.min_pass_rate {
            return Verdict::Pass;
        }
        let all_errors = self
            .runs()
            .filter(|(r, _)| run_verdict(r, case) != Verdict::Pass)
            .all(|(r, _)| r.is_err());
        if all_errors {
            Verdict::Error
        } else {
            Verdict::Fail
        }
    }

    /// Every run of the case, the first one first, with its latency.
    pub fn runs(&self) -> impl Iterator<Item = (&Result<Answer, ModelError>, Duration)> {
        std::iter::once((&self.result, self.latency))
            .chain(self.repetitions.iter().map(|r| (&r.result, r.latency)))
    }

    /// How many runs the case had: 1, or the suite's `repeat`.
    pub fn run_count(&self) -> usize {
        1 + self.repetitions.len()
    }

    /// How many of its runs passed.
    pub fn passes(&self, case: &crate::suite::Case) -> usize {
        self.runs()
            .filter(|(r, _)| run_verdict(r, case) == Verdict::Pass)
            .count()
    }

    pub fn pass_rate(&self, case: &crate::suite::Case) -> f64 {
        self.passes(case) as f64 / self.run_count() as f64
    }

    /// A repeated case whose runs did not all get the same verdict.
    pub fn flaky(&self, case: &crate::suite::Case) -> bool {
        let passes = self.passes(case);
        passes > 0 && passes < self.run_count()
    }

    /// The first run that did not pass, as an outcome of its own (for its failure message).
    pub fn first_miss(&self, case: &crate::suite::Case) -> Option<CaseOutcome> {
        let (result, latency) = self
            .runs()
            .find(|(r, _)| run_verdict(r, case) != Verdict::Pass)?;
        Some(CaseOutcome {
            result: result.clone(),
            latency,
            repetitions: Vec::new(),
            min_pass_rate: 1.0,
        })
    }

    pub fn answer(&self) -> Option<&Answer> {
        self.result.as_ref().ok()
    }
}

/// The verdict of one run of a case.
pub fn run_verdict(result: &Result<Answer, ModelError>, case: &crate::suite::Case) -> Verdict {
    match result {
        Err(_) => Verdict::Error,
        Ok(answer) if answer.passed(case) => Verdict::Pass,
        Ok(_) => Verdict::Fail,
    }
}

/// Loaded suites, ready to run, with a result cell per case.
pub struct Session {
    runs: Vec<SuiteRun>,
    include_ignored: bool,
    repro: Repro,
    cassettes: Cassettes,
    snapshot_root: OnceLock<PathBuf>,
    find_snapshot_root: Box<dyn Fn() -> PathBuf + Send + Sync>,
    observer: Option<Box<Observer>>,
    baseline: Option<Arc<baseline::Baseline>>,
}

/// Told of each case's outcome as soon as it is known, on the thread that ran the case: how a
/// face shows progress without the engine printing anything.
pub type Observer = dyn Fn(&Suite, usize, &CaseOutcome) + Send + Sync;

struct SuiteRun {
    suite: Suite,
    provider: Arc<dyn Provider>,
    gate: Gate,
    outcomes: Vec<OnceLock<CaseOutcome>>,
    evaluation: OnceLock<Evaluation>,
    /// With a baseline that has this suite: the metrics its regression tests judge, and the
    /// comparison they read, made once when first asked for.
    regression_metrics: Vec<String>,
    comparison: OnceLock<crate::compare::SuiteComparison>,
}

/// A suite's metrics over all its cases and the verdict of each floor.
#[derive(Debug)]
pub struct Evaluation {
    pub metrics: SuiteMetrics,
    pub floors: Vec<FloorVerdict>,
}

impl Session {
    /// `functions` are the closures registered on the harness for `provider = "fn"`.
    /// `functions` are the closures registered on the harness for `provider = "fn"`; a suite
    /// with a cassette calls its model through it, in the cassettes' mode.
    pub fn new(
        suites: Vec<Suite>,
        functions: &BTreeMap<String, ModelFn>,
        cassettes: Cassettes,
        repro: Repro,
    ) -> Session {
        let runs = suites
            .into_iter()
            .map(|suite| {
                let mut provider = provider::build(&suite.model, functions);
                let cassette = suite
                    .cassette
                    .as_deref()
                    .and_then(|path| cassettes.get(path));
                if let (Some(cassette), Some(mode)) = (cassette, cassettes.mode) {
                    provider = Arc::new(Recorded::new(provider, cassette, mode, &suite.model));
                }
                SuiteRun {
                    provider,
                    gate: Gate::new(suite.model.concurrency()),
                    outcomes: suite.cases.iter().map(|_| OnceLock::new()).collect(),
                    evaluation: OnceLock::new(),
                    regression_metrics: Vec::new(),
                    comparison: OnceLock::new(),
                    suite,
                }
            })
            .collect();
        Session {
            runs,
            include_ignored: false,
            repro,
            cassettes,
            snapshot_root: OnceLock::new(),
            find_snapshot_root: Box::new(|| snapshot::cli_workspace(&[])),
            observer: None,
            baseline: None,
        }
    }

    /// Judges regressions against `baseline`: every suite it has gets its regression tests.
    pub fn against(mut self, baseline: baseline::Baseline) -> Self {
        for run in &mut self.runs {
            if baseline.suite(&run.suite.name).is_some() {
                run.regression_metrics = baseline::regression_metrics(&run.suite);
            }
        }
        self.baseline = Some(Arc::new(baseline));
        self
    }

    /// The baseline regressions are judged against, if any.
    pub fn baseline(&self) -> Option<&baseline::Baseline> {
        self.baseline.as_deref()
    }

    /// The metrics a suite's regression tests judge: none without a baseline that has it.
    pub fn regression_metrics(&self, suite: usize) -> &[String] {
        &self.runs[suite].regression_metrics
    }

    /// The suite compared with its baseline, once every case it counts has run.
    pub fn comparison(&self, suite: usize) -> Option<&crate::compare::SuiteComparison> {
        let base = self
            .baseline
            .as_ref()?
            .suite(&self.runs[suite].suite.name)?;
        Some(self.runs[suite].comparison.get_or_init(|| {
            self.evaluate(suite);
            let cases = (0..self.runs[suite].suite.cases.len())
                .filter(|c| self.counts(suite, *c))
                .map(|c| (suite, c))
                .collect();
            let plan = Plan {
                cases,
                ..Plan::default()
            };
            let head = crate::results::RunResults::collect(
                self,
                &plan,
                std::time::SystemTime::now(),
                Duration::ZERO,
            );
            let options = crate::compare::CompareOptions {
                alpha: 1.0 - self.runs[suite].suite.confidence,
                ..Default::default()
            };
            crate::compare::compare_suite(base, &head.suites[0], &options)
        }))
    }

    /// The verdict of regression test `index` of a suite (see [`baseline`]).
    pub fn regression(&self, suite: usize, index: usize) -> Option<baseline::RegressionVerdict> {
        let comparison = self.comparison(suite)?;
        let run = &self.runs[suite];
        Some(baseline::judge(
            comparison,
            &run.regression_metrics[index],
            run.suite.task,
            run.suite.confidence,
        ))
    }

    /// The failure message of a regression test that found a regression, whether or not it
    /// gates.
    pub fn regression_message(&self, suite: usize, index: usize) -> Option<String> {
        let verdict = self.regression(suite, index).filter(|v| v.regressed)?;
        let run = &self.runs[suite];
        Some(baseline::message(
            &verdict,
            self.comparison(suite)?,
            self.baseline.as_deref()?,
            &run.suite,
            &run.suite
                .regression_test_name(&run.regression_metrics[index]),
            &self.repro,
        ))
    }

    /// What has run, as a plan: the cases with an outcome, and the floors and regression tests
    /// of the suites evaluated (a floor or regression test that ran evaluated its suite). How
    /// the harness, which leaves the choosing to libtest, reports what it ran.
    pub fn ran(&self) -> Plan {
        let mut plan = Plan::default();
        for (s, run) in self.runs.iter().enumerate() {
            for c in 0..run.suite.cases.len() {
                if self.finished(s, c).is_some() {
                    plan.cases.push((s, c));
                }
            }
            if run.evaluation.get().is_some() {
                plan.floors
                    .extend((0..run.suite.floors.len()).map(|f| (s, f)));
            }
            if run.comparison.get().is_some() {
                plan.regressions
                    .extend((0..run.regression_metrics.len()).map(|r| (s, r)));
            }
        }
        plan
    }

    /// The verdict of one regression test: `Ok`, or the failure message libtest shows. A
    /// regression in a suite whose `fail_on` leaves out "regression" passes as a test.
    pub fn regression_test(&self, suite: usize, index: usize) -> Result<(), String> {
        match self.regression_message(suite, index) {
            Some(message) if self.runs[suite].suite.fail_on.regression => Err(message),
            _ => Ok(()),
        }
    }

    /// Calls `observer` with each case's outcome when it is first known.
    pub fn observe(
        mut self,
        observer: impl Fn(&Suite, usize, &CaseOutcome) + Send + Sync + 'static,
    ) -> Self {
        self.observer = Some(Box::new(observer));
        self
    }

    /// The cassette mode, if any suite could use one.
    pub fn cassette_mode(&self) -> Option<crate::cassette::Mode> {
        self.cassettes.mode
    }

    /// Saves what was recorded into cassettes; the error names the file.
    pub fn save_cassettes(&self) -> Result<(), String> {
        self.cassettes.save()
    }

    /// Count ignored cases in metrics and floors (`--include-ignored`).
    pub fn include_ignored(mut self, include: bool) -> Self {
        self.include_ignored = include;
        self
    }

    pub fn suites(&self) -> impl ExactSizeIterator<Item = &Suite> {
        self.runs.iter().map(|run| &run.suite)
    }

    pub fn suite(&self, index: usize) -> &Suite {
        &self.runs[index].suite
    }

    pub fn repro(&self) -> &Repro {
        &self.repro
    }

    /// The outcome of a case, running it if no one has yet.
    pub fn outcome(&self, suite: usize, case: usize) -> &CaseOutcome {
        let run = &self.runs[suite];
        run.outcomes[case].get_or_init(|| {
            let outcome = run.execute(case, || self.snapshot_root());
            if let Some(observer) = &self.observer {
                observer(&run.suite, case, &outcome);
            }
            outcome
        })
    }

    /// The project root snapshots are kept relative to, found once, when a suite first needs it.
    fn snapshot_root(&self) -> &Path {
        self.snapshot_root
            .get_or_init(|| (self.find_snapshot_root)())
    }

    /// How this face finds the project root for snapshots (see [`crate::snapshot`]).
    pub fn snapshots_under(mut self, find: impl Fn() -> PathBuf + Send + Sync + 'static) -> Self {
        self.find_snapshot_root = Box::new(find);
        self
    }

    /// The outcome of a case if it has run.
    pub fn finished(&self, suite: usize, case: usize) -> Option<&CaseOutcome> {
        self.runs[suite].outcomes[case].get()
    }

    /// Whether a case counts towards its suite's metrics and floors.
    pub fn counts(&self, suite: usize, case: usize) -> bool {
        self.include_ignored || self.runs[suite].suite.cases[case].ignore.is_none()
    }

    /// Runs the given cases on a pool of threads; each provider still runs at most its
    /// `concurrency` calls at once.
    pub fn run_cases(&self, cases: &[(usize, usize)]) {
        let workers: usize = {
            let mut suites: Vec<usize> = cases.iter().map(|(s, _)| *s).collect();
            suites.dedup();
            suites
                .iter()
                .map(|s| self.runs[*s].suite.model.concurrency())
                .sum()
        };
        self.run_pool(cases, workers);
    }

    fn run_pool(&self, cases: &[(usize, usize)], workers: usize) {
        let workers = workers.clamp(1, 64).min(cases.len());
        if workers <= 1 {
            for (suite, case) in cases {
                self.outcome(*suite, *case);
            }
            return;
        }
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    while let Some((suite, case)) = cases.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        self.outcome(*suite, *case);
                    }
                });
            }
        });
    }

    /// The suite's metrics over every counted case, and its floors' verdicts; runs the cases
    /// that have not run yet.
    pub fn evaluate(&self, suite: usize) -> &Evaluation {
        let run = &self.runs[suite];
        run.evaluation.get_or_init(|| {
            let counted: Vec<(usize, usize)> = (0..run.suite.cases.len())
                .filter(|c| self.counts(suite, *c))
                .map(|c| (suite, c))
                .collect();
            self.run_pool(&counted, run.suite.model.concurrency());
            let outcomes: Vec<(usize, &CaseOutcome)> = counted
                .iter()
                .map(|(s, c)| (*c, self.outcome(*s, *c)))
                .collect();
            let metrics = metrics(&run.suite, &outcomes);
            let floors = run
                .suite
                .floors
                .iter()
                .map(|floor| judge_floor(floor, &metrics, run.suite.floor_mode))
                .collect();
            Evaluation { metrics, floors }
        })
    }

    /// The evaluation if some floor already asked for it.
    pub fn evaluated(&self, suite: usize) -> Option<&Evaluation> {
        self.runs[suite].evaluation.get()
    }

    /// The verdict of one case test: `Ok`, or the failure message libtest shows. A wrong answer
    /// in a suite whose `fail_on` leaves out "case" passes as a test (it still counts in the
    /// metrics); a failed model call always fails.
    pub fn case_test(&self, suite: usize, case: usize) -> Result<(), String> {
        match self.case_message(suite, case) {
            Some(message) if self.case_gates(suite, case) => Err(message),
            _ => Ok(()),
        }
    }

    /// Whether the case's failure, if it failed, fails the run.
    /// A wrong answer gates as `fail_on` says; a failed call and an unreviewed change of output
    /// (a new or changed snapshot) always do.
    pub fn case_gates(&self, suite: usize, case: usize) -> bool {
        let run = &self.runs[suite];
        let outcome = self.finished(suite, case);
        run.suite.fail_on.case
            || outcome.is_some_and(|o| {
                o.verdict(&run.suite.cases[case]) == Verdict::Error
                    || o.answer().is_some_and(|answer| !answer.snapshot_passed())
            })
    }

    /// The failure message of a case that did not pass, whether or not it gates.
    pub fn case_message(&self, suite: usize, case: usize) -> Option<String> {
        let outcome = self.outcome(suite, case);
        let run = &self.runs[suite];
        match outcome.verdict(&run.suite.cases[case]) {
            Verdict::Pass => None,
            _ => Some(message::case_failure(
                &run.suite,
                case,
                outcome,
                &self.repro,
            )),
        }
    }

    /// The verdict of one floor test: `Ok`, or the failure message libtest shows. A broken floor
    /// of a suite whose `fail_on` leaves out "floor" passes as a test.
    pub fn floor_test(&self, suite: usize, floor: usize) -> Result<(), String> {
        match self.floor_message(suite, floor) {
            Some(message) if self.runs[suite].suite.fail_on.floor => Err(message),
            _ => Ok(()),
        }
    }

    /// The failure message of a broken floor, whether or not it gates.
    pub fn floor_message(&self, suite: usize, floor: usize) -> Option<String> {
        let evaluation = self.evaluate(suite);
        if evaluation.floors[floor].passed {
            return None;
        }
        let outcomes: Vec<(usize, &CaseOutcome)> = (0..self.runs[suite].suite.cases.len())
            .filter(|c| self.counts(suite, *c))
            .filter_map(|c| self.finished(suite, c).map(|o| (c, o)))
            .collect();
        Some(message::floor_failure(
            &self.runs[suite].suite,
            floor,
            evaluation,
            &outcomes,
            &self.repro,
        ))
    }
}

impl SuiteRun {
    /// Runs a case: once, or `repeat` times one after the other. Only the first run is compared
    /// with the case's snapshot: a snapshot is one output to review, not one per run.
    fn execute<'a>(&self, index: usize, snapshot_root: impl FnOnce() -> &'a Path) -> CaseOutcome {
        let (result, latency) = self.call(index, 0, Some(snapshot_root));
        let repetitions = (1..self.suite.repeat)
            .map(|repetition| {
                let (result, latency) = self.call(index, repetition, None::<fn() -> &'a Path>);
                Repetition { result, latency }
            })
            .collect();
        CaseOutcome {
            result,
            latency,
            repetitions,
            min_pass_rate: if self.suite.repeat > 1 {
                self.suite.min_pass_rate
            } else {
                1.0
            },
        }
    }

    /// One model call for run `repetition` of case `index`, and its judgement.
    fn call<'a>(
        &self,
        index: usize,
        repetition: usize,
        snapshot_root: Option<impl FnOnce() -> &'a Path>,
    ) -> (Result<Answer, ModelError>, Duration) {
        let case = &self.suite.cases[index];
        let request = self.suite.request_at(index, repetition);
        let _slot = self.gate.enter();
        let started = Instant::now();
        let result = self.provider.call(&request);
        let latency = started.elapsed();
        drop(_slot);
        let result = result.map(|reply| {
            let judgement = judge(&self.suite, case, &reply.output);
            let snapshot = match snapshot_root {
                Some(root) if self.suite.snapshot => Some(snapshot::check(
                    &self.suite,
                    index,
                    &reply,
                    &judgement,
                    root(),
                )),
                _ => None,
            };
            Answer {
                reply,
                judgement,
                snapshot,
            }
        });
        (result, latency)
    }
}

/// A counting semaphore: at most `limit` model calls of one provider at a time.
struct Gate {
    free: Mutex<usize>,
    freed: Condvar,
}

struct Slot<'a>(&'a Gate);

impl Gate {
    fn new(limit: usize) -> Gate {
        Gate {
            free: Mutex::new(limit.max(1)),
            freed: Condvar::new(),
        }
    }

    fn enter(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}
