//! The history database: SQLite in one file, safe for several writers at once.
//!
//! - **Concurrency**: write-ahead logging (readers never wait for a writer), a busy timeout of
//!   [`BUSY_TIMEOUT`] (a writer waits for another instead of failing), and one `IMMEDIATE`
//!   transaction per recorded run, so a run is in the history whole or not at all, and two
//!   processes recording at once take turns.
//! - **Schema versions**: `PRAGMA user_version` holds the number of [`MIGRATIONS`] applied.
//!   Opening a database applies the missing ones, in one transaction, so every evalgate command
//!   that opens an older database upgrades it; a database from a newer evalgate is refused.
//! - **Idempotence**: a run's key is its `started_at` and commit; recording it again finds the
//!   key and adds nothing.
//!
//! # Schema (version 2)
//!
//! | table | a row per | columns |
//! | --- | --- | --- |
//! | `runs` | recorded run | `key` (unique), `started_at`, `started_ms`, `duration_ms`, `git_commit`, `git_branch`, `git_dirty`, `evalgate_version`, `recorded_at` |
//! | `suites` | suite of a run | `run_id`, `name`, `task`, `model_provider`, `model_identity`, `confidence`, `repeat`, `metrics_cases` |
//! | `metrics` | metric of a suite | `suite_id`, `name`, `value`, `low`, `high` (the interval), `floor_min`, `floor_max` |
//! | `predictions` | predicted label of a suite | `suite_id`, `label`, `count` (every run of a repeated case) |
//! | `cases` | case of a suite | `suite_id`, `case_id`, `verdict`, `expected`, `predicted`, `latency_ms` |

use super::{CaseRecord, MetricRecord, RunRecord, SuiteRecord};
use crate::diagnostic::Diagnostic;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer waits for another before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The schema, one migration per version: `MIGRATIONS[i]` takes a database from version `i` to
/// `i + 1`. Append only: a released migration never changes.
pub const MIGRATIONS: [&str; 2] = [
    // 1: runs, suites, their metrics with intervals and floors, and per-case verdicts.
    "CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        started_at TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        git_commit TEXT,
        git_branch TEXT,
        git_dirty INTEGER NOT NULL DEFAULT 0,
        evalgate_version TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX runs_by_time ON runs (started_ms);
    CREATE TABLE suites (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        task TEXT NOT NULL,
        model_provider TEXT NOT NULL,
        model_identity TEXT NOT NULL,
        confidence REAL NOT NULL,
        repeat INTEGER NOT NULL,
        metrics_cases INTEGER NOT NULL,
        UNIQUE (run_id, name)
    );
    CREATE TABLE metrics (
        suite_id INTEGER NOT NULL REFERENCES suites (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value REAL,
        low REAL,
        high REAL,
        floor_min REAL,
        floor_max REAL,
        PRIMARY KEY (suite_id, name)
    ) WITHOUT ROWID;
    CREATE TABLE cases (
        suite_id INTEGER NOT NULL REFERENCES suites (id) ON DELETE CASCADE,
        case_id TEXT NOT NULL,
        verdict TEXT NOT NULL,
        expected TEXT,
        predicted TEXT,
        latency_ms REAL,
        PRIMARY KEY (suite_id, case_id)
    ) WITHOUT ROWID;",
    // 2: the label distribution of each suite's predictions, counting every run of a repeated
    // case; for runs recorded before, from their cases' (first) predictions.
    "CREATE TABLE predictions (
        suite_id INTEGER NOT NULL REFERENCES suites (id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (suite_id, label)
    ) WITHOUT ROWID;
    INSERT INTO predictions (suite_id, label, count)
        SELECT suite_id, predicted, COUNT(*) FROM cases
        WHERE predicted IS NOT NULL GROUP BY suite_id, predicted;
    CREATE INDEX suites_by_name ON suites (name, run_id);",
];

/// The schema version this evalgate writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// An open history database.
pub struct History {
    connection: Connection,
    path: PathBuf,
}

/// What recording a run did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// Added, with this id.
    New(i64),
    /// The run was there already, with this id; nothing was added.
    Already(i64),
}

impl History {
    /// Opens the database at `path`, creating it (and its folder) when `create` is set;
    /// applies the migrations it lacks. The error names the file and says what to do.
    pub fn open(path: &Path, create: bool) -> Result<History, Diagnostic> {
        if !create && !path.exists() {
            return Err(Diagnostic::new(format!(
                "no history database at {}",
                path.display()
            ))
            .hint(
                "record runs first with `evalgate run --history` or `evalgate history record \
                 RESULTS.json`, or name another database with --history-db PATH or EVALGATE_HISTORY",
            ));
        }
        if path.is_dir() {
            return Err(Diagnostic::new(format!(
                "the history database {} is a folder",
                path.display()
            ))
            .hint("name a file with --history-db PATH"));
        }
        if create
            && let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && let Err(error) = std::fs::create_dir_all(folder)
        {
            return Err(Diagnostic::new(format!(
                "cannot create the folder of the history database {}: {error}",
                path.display()
            ))
            .hint("name another place with --history-db PATH"));
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let failed = |error: rusqlite::Error| problem(path, &error);
        let connection = Connection::open_with_flags(path, flags).map_err(failed)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(failed)?;
        // Before anything writes to it: an SQLite file of something else is not ours to change.
        let (version, tables): (i64, i64) = connection
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version), \
                 (SELECT count(*) FROM sqlite_master WHERE type = 'table')",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(failed)?;
        if version == 0 && tables > 0 {
            return Err(Diagnostic::new(format!(
                "{} is an SQLite database of something else, not an evalgate history",
                path.display()
            ))
            .hint("name another file with --history-db PATH or EVALGATE_HISTORY; this one is left as it is"));
        }
        let mut history = History {
            connection,
            path: path.to_path_buf(),
        };
        history.prepare().map_err(failed)?;
        history.migrate()?;
        Ok(history)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write-ahead logging, foreign keys. The journal mode is kept in the file; setting it
    /// again is a no-op. `synchronous = NORMAL` is safe with WAL (a power cut may lose the last
    /// run recorded, never corrupt the file).
    fn prepare(&mut self) -> rusqlite::Result<()> {
        // The first statement that reads the file: a file that is not a database fails here.
        let mode: String = self
            .connection
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            self.connection
                .query_row("PRAGMA journal_mode = WAL", [], |row| {
                    row.get::<_, String>(0)
                })?;
        }
        self.connection
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
    }

    /// The schema version of the file.
    pub fn version(&self) -> Result<i64, Diagnostic> {
        self.connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|e| problem(&self.path, &e))
    }

    /// Applies the migrations the file lacks, all in one transaction taken before the version
    /// is read, so that two processes opening a new database do not both create it.
    fn migrate(&mut self) -> Result<(), Diagnostic> {
        let version = self.version()?;
        if version > SCHEMA_VERSION {
            return Err(newer(&self.path, version));
        }
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        let path = self.path.clone();
        let failed = |error: rusqlite::Error| problem(&path, &error);
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        let version: i64 = transaction
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(failed)?;
        if version > SCHEMA_VERSION {
            return Err(newer(&path, version));
        }
        for migration in &MIGRATIONS[version as usize..] {
            transaction.execute_batch(migration).map_err(failed)?;
        }
        transaction
            .execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
            .map_err(failed)?;
        transaction.commit().map_err(failed)
    }

    /// Records a run, whole, in one transaction; a run with the same key (start and commit)
    /// already there is left as it is.
    pub fn record(&mut self, run: &RunRecord) -> Result<Recorded, Diagnostic> {
        let path = self.path.clone();
        let failed = |error: rusqlite::Error| problem(&path, &error);
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        let existing: Option<i64> = transaction
            .query_row("SELECT id FROM runs WHERE key = ?1", [&run.key], |row| {
                row.get(0)
            })
            .optional()
            .map_err(failed)?;
        if let Some(id) = existing {
            return Ok(Recorded::Already(id));
        }
        transaction
            .execute(
                "INSERT INTO runs (key, started_at, started_ms, duration_ms, git_commit, git_branch,
                    git_dirty, evalgate_version, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    run.key,
                    run.started_at,
                    run.started_ms,
                    run.duration_ms,
                    run.commit,
                    run.branch,
                    run.dirty,
                    run.evalgate_version,
                    crate::results::rfc3339(std::time::SystemTime::now()),
                ],
            )
            .map_err(failed)?;
        let run_id = transaction.last_insert_rowid();
        {
            let mut suite_insert = transaction
                .prepare(
                    "INSERT INTO suites (run_id, name, task, model_provider, model_identity,
                        confidence, repeat, metrics_cases)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(failed)?;
            let mut metric_insert = transaction
                .prepare(
                    "INSERT INTO metrics (suite_id, name, value, low, high, floor_min, floor_max)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(failed)?;
            let mut prediction_insert = transaction
                .prepare("INSERT INTO predictions (suite_id, label, count) VALUES (?1, ?2, ?3)")
                .map_err(failed)?;
            let mut case_insert = transaction
                .prepare(
                    "INSERT INTO cases (suite_id, case_id, verdict, expected, predicted, latency_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(failed)?;
            for suite in &run.suites {
                suite_insert
                    .execute(params![
                        run_id,
                        suite.name,
                        suite.task,
                        suite.provider,
                        suite.identity,
                        suite.confidence,
                        suite.repeat as i64,
                        suite.metrics_cases as i64,
                    ])
                    .map_err(failed)?;
                let suite_id = transaction.last_insert_rowid();
                for (name, metric) in &suite.metrics {
                    metric_insert
                        .execute(params![
                            suite_id,
                            name,
                            metric.value.filter(|v| v.is_finite()),
                            metric.low.filter(|v| v.is_finite()),
                            metric.high.filter(|v| v.is_finite()),
                            metric.floor_min,
                            metric.floor_max,
                        ])
                        .map_err(failed)?;
                }
                for (label, count) in &suite.predictions {
                    prediction_insert
                        .execute(params![suite_id, label, *count as i64])
                        .map_err(failed)?;
                }
                for (id, case) in &suite.cases {
                    case_insert
                        .execute(params![
                            suite_id,
                            id,
                            case.verdict,
                            case.expected,
                            case.predicted,
                            case.latency_ms,
                        ])
                        .map_err(failed)?;
                }
            }
        }
        transaction.commit().map_err(failed)?;
        Ok(Recorded::New(run_id))
    }

    /// Every recorded run in time order, with its suites, metrics and label distributions but
    /// without cases (see [`History::load_cases`]).
    pub fn runs(&self) -> Result<Vec<RunRecord>, Diagnostic> {
        self.read_runs().map_err(|e| problem(&self.path, &e))
    }

    fn read_runs(&self) -> rusqlite::Result<Vec<RunRecord>> {
        let mut runs: Vec<RunRecord> = self
            .connection
            .prepare(
                "SELECT id, key, started_at, started_ms, duration_ms, git_commit, git_branch,
                    git_dirty, evalgate_version
                 FROM runs ORDER BY started_ms, id",
            )?
            .query_map([], |row| {
                Ok(RunRecord {
                    id: row.get(0)?,
                    key: row.get(1)?,
                    started_at: row.get(2)?,
                    started_ms: row.get(3)?,
                    duration_ms: row.get(4)?,
                    commit: row.get(5)?,
                    branch: row.get(6)?,
                    dirty: row.get(7)?,
                    evalgate_version: row.get(8)?,
                    suites: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut metrics: BTreeMap<i64, BTreeMap<String, MetricRecord>> = BTreeMap::new();
        let mut statement = self.connection.prepare(
            "SELECT suite_id, name, value, low, high, floor_min, floor_max FROM metrics",
        )?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            metrics.entry(row.get(0)?).or_default().insert(
                row.get(1)?,
                MetricRecord {
                    value: row.get(2)?,
                    low: row.get(3)?,
                    high: row.get(4)?,
                    floor_min: row.get(5)?,
                    floor_max: row.get(6)?,
                },
            );
        }
        let mut predictions: BTreeMap<i64, BTreeMap<String, u64>> = BTreeMap::new();
        let mut statement = self
            .connection
            .prepare("SELECT suite_id, label, count FROM predictions")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let count: i64 = row.get(2)?;
            predictions
                .entry(row.get(0)?)
                .or_default()
                .insert(row.get(1)?, count.max(0) as u64);
        }
        let index: BTreeMap<i64, usize> = runs.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let mut statement = self.connection.prepare(
            "SELECT id, run_id, name, task, model_provider, model_identity, confidence, repeat,
                metrics_cases
             FROM suites ORDER BY run_id, id",
        )?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let run_id: i64 = row.get(1)?;
            let Some(&run) = index.get(&run_id) else {
                continue;
            };
            let repeat: i64 = row.get(7)?;
            let metrics_cases: i64 = row.get(8)?;
            runs[run].suites.push(SuiteRecord {
                id,
                name: row.get(2)?,
                task: row.get(3)?,
                provider: row.get(4)?,
                identity: row.get(5)?,
                confidence: row.get(6)?,
                repeat: repeat.max(1) as usize,
                metrics_cases: metrics_cases.max(0) as usize,
                metrics: metrics.remove(&id).unwrap_or_default(),
                predictions: predictions.remove(&id).unwrap_or_default(),
                cases: BTreeMap::new(),
            });
        }
        Ok(runs)
    }

    /// Reads the cases of a recorded suite into it.
    pub fn load_cases(&self, suite: &mut SuiteRecord) -> Result<(), Diagnostic> {
        let read = || -> rusqlite::Result<BTreeMap<String, CaseRecord>> {
            let mut statement = self.connection.prepare(
                "SELECT case_id, verdict, expected, predicted, latency_ms FROM cases
                 WHERE suite_id = ?1",
            )?;
            let rows = statement.query_map([suite.id], |row| {
                Ok((
                    row.get(0)?,
                    CaseRecord {
                        verdict: row.get(1)?,
                        expected: row.get(2)?,
                        predicted: row.get(3)?,
                        latency_ms: row.get(4)?,
                    },
                ))
            })?;
            rows.collect()
        };
        suite.cases = read().map_err(|e| problem(&self.path, &e))?;
        Ok(())
    }
}

/// A database error as the user sees it: the file, what SQLite said, and what to do.
fn problem(path: &Path, error: &rusqlite::Error) -> Diagnostic {
    let code = error.sqlite_error_code();
    let hint = match code {
        Some(rusqlite::ErrorCode::NotADatabase) => {
            "the file is not an evalgate history (SQLite) database: name another with --history-db PATH"
        }
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            "another process held the database for too long; try again"
        }
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::PermissionDenied) => {
            "make the file and its folder writable, or name another with --history-db PATH"
        }
        Some(rusqlite::ErrorCode::CannotOpen) => {
            "check that the folder exists and can be written, or name another with --history-db PATH"
        }
        _ => "name another database with --history-db PATH",
    };
    Diagnostic::new(format!("history database {}: {error}", path.display())).hint(hint)
}

fn newer(path: &Path, version: i64) -> Diagnostic {
    Diagnostic::new(format!(
        "the history database {} has schema version {version}; this evalgate reads version \
         {SCHEMA_VERSION} and older",
        path.display()
    ))
    .hint("upgrade evalgate, or name another database with --history-db PATH")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(started_at: &str, commit: &str) -> RunRecord {
        RunRecord {
            id: 0,
            key: format!("{started_at} {commit}"),
            started_at: started_at.to_string(),
            started_ms: super::super::filter::parse_rfc3339(started_at).unwrap(),
            duration_ms: 12.5,
            commit: Some(commit.to_string()),
            branch: Some("main".to_string()),
            dirty: false,
            evalgate_version: "0.1.0".to_string(),
            suites: vec![SuiteRecord {
                id: 0,
                name: "sentiment".to_string(),
                task: "classify".to_string(),
                provider: "command".to_string(),
                identity: "python3 model.py".to_string(),
                confidence: 0.95,
                repeat: 1,
                metrics_cases: 2,
                metrics: BTreeMap::from([(
                    "accuracy".to_string(),
                    MetricRecord {
                        value: Some(0.5),
                        low: Some(0.1),
                        high: Some(0.9),
                        floor_min: Some(0.4),
                        floor_max: None,
                    },
                )]),
                predictions: BTreeMap::from([("positive".to_string(), 2)]),
                cases: BTreeMap::from([
                    (
                        "a".to_string(),
                        CaseRecord {
                            verdict: "pass".to_string(),
                            expected: Some("positive".to_string()),
                            predicted: Some("positive".to_string()),
                            latency_ms: Some(1.5),
                        },
                    ),
                    (
                        "b".to_string(),
                        CaseRecord {
                            verdict: "fail".to_string(),
                            expected: Some("negative".to_string()),
                            predicted: Some("positive".to_string()),
                            latency_ms: None,
                        },
                    ),
                ]),
            }],
        }
    }

    #[test]
    fn records_once_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/history.db");
        let mut history = History::open(&path, true).unwrap();
        assert_eq!(history.version().unwrap(), SCHEMA_VERSION);
        let first = run("2026-11-29T04:10:00.000Z", "abc");
        let Recorded::New(id) = history.record(&first).unwrap() else {
            panic!("not recorded");
        };
        assert_eq!(history.record(&first).unwrap(), Recorded::Already(id));
        history
            .record(&run("2026-11-28T04:10:00.000Z", "abd"))
            .unwrap();
        let mut runs = history.runs().unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].commit.as_deref(), Some("abd"), "in time order");
        let mut suite = runs[1].suites.remove(0);
        history.load_cases(&mut suite).unwrap();
        let mut expected = first.suites[0].clone();
        expected.id = suite.id;
        assert_eq!(suite, expected);
        let mode: String = history
            .connection
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_version_1_database_is_migrated_with_its_distributions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        {
            // A database as the first schema wrote it, with one run.
            let connection = Connection::open(&path).unwrap();
            connection.execute_batch(MIGRATIONS[0]).unwrap();
            connection
                .execute_batch(
                    "PRAGMA user_version = 1;
                     INSERT INTO runs VALUES (1, 'k', '2026-11-01T00:00:00.000Z', 1793491200000,
                        5.0, 'abc', 'main', 0, '0.1.0', '2026-11-01T00:00:01.000Z');
                     INSERT INTO suites VALUES (1, 1, 's', 'classify', 'command', 'm', 0.95, 1, 3);
                     INSERT INTO metrics VALUES (1, 'accuracy', 0.5, 0.2, 0.8, NULL, NULL);
                     INSERT INTO cases VALUES (1, 'a', 'pass', 'x', 'x', 1.0),
                        (1, 'b', 'fail', 'x', 'y', 1.0), (1, 'c', 'pass', 'y', 'y', 1.0),
                        (1, 'd', 'error', 'y', NULL, NULL);",
                )
                .unwrap();
        }
        let mut history = History::open(&path, false).unwrap();
        assert_eq!(history.version().unwrap(), 2);
        let runs = history.runs().unwrap();
        assert_eq!(runs.len(), 1);
        let suite = &runs[0].suites[0];
        assert_eq!(suite.metrics["accuracy"].interval(), Some((0.2, 0.8)));
        assert_eq!(
            suite.predictions,
            BTreeMap::from([("x".to_string(), 1), ("y".to_string(), 2)])
        );
        // And it takes new runs.
        history
            .record(&run("2026-11-29T04:10:00.000Z", "abc"))
            .unwrap();
        assert_eq!(history.runs().unwrap().len(), 2);
    }

    #[test]
    fn refuses_newer_files_and_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
        let newer = History::open(&path, false).err().unwrap();
        assert!(newer.message.contains("schema version 99"), "{newer}");
        let text = dir.path().join("results.json");
        std::fs::write(
            &text,
            "{\"schema_version\": 1, \"this is\": \"not a database\"}",
        )
        .unwrap();
        let other = History::open(&text, false).err().unwrap();
        assert!(other.message.contains("not a database"), "{other}");
        let missing = History::open(&dir.path().join("none.db"), false)
            .err()
            .unwrap();
        assert!(
            missing.message.starts_with("no history database at"),
            "{missing}"
        );
        assert!(!dir.path().join("none.db").exists());

        // Another program's SQLite file: refused, for reading and for recording, and unchanged.
        let foreign = dir.path().join("notes.db");
        Connection::open(&foreign)
            .unwrap()
            .execute_batch("CREATE TABLE notes(x); INSERT INTO notes VALUES (1);")
            .unwrap();
        let before = std::fs::read(&foreign).unwrap();
        for create in [false, true] {
            let refused = History::open(&foreign, create).err().unwrap();
            assert!(
                refused
                    .message
                    .ends_with("is an SQLite database of something else, not an evalgate history"),
                "{refused}"
            );
        }
        assert_eq!(std::fs::read(&foreign).unwrap(), before);
        assert!(!dir.path().join("notes.db-wal").exists());
    }
}
