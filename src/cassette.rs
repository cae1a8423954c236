//! Cassettes: model answers recorded once and replayed, so CI needs neither a live model nor a
//! secret, and a floor under nextest (a process per test) does not call the model again.
//!
//! A cassette is a JSONL file, one [`Entry`] a line, sorted by test name and key, so that
//! re-recording unchanged answers rewrites the same bytes and a changed answer is a one-line
//! diff. An entry is found by its key: a stable hash of the model's [parameters] (provider,
//! model and everything that shapes an answer) and of what the model is sent: the rendered
//! prompt for an `openai` model, every field of the request (suite, case id, input, vars,
//! prompt) for a program or a closure, which may read any of them.
//!
//! The mode comes from `EVALGATE_CASSETTE`: `replay` (only recordings; a miss fails the case),
//! `record` (call the model, keep every answer), `auto` (replay what is recorded, call and record
//! the rest) or `off` (ignore cassettes). The default is `replay` when `CI` is set, `auto`
//! otherwise.
//!
//! Saving is safe under a SIGKILL (the file is replaced by a rename, never rewritten in place)
//! and between processes (a folder lock; each save merges what other processes saved). New
//! answers are saved at most [`SAVE_INTERVAL`] apart and when the cassette is dropped.
//!
//! [parameters]: crate::suite::ModelSpec::parameters

use crate::diagnostic::{Diagnostic, Location, MAX_PROBLEMS_SHOWN, capped};
use crate::files::{FolderLock, write_atomically};
use crate::provider::{ModelError, Provider, Reply, Request, Usage};
use crate::suite::{BrokenFile, ModelSpec, Suite};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// New answers wait at most this long in memory before they are saved.
pub const SAVE_INTERVAL: Duration = Duration::from_millis(200);

/// `EVALGATE_CASSETTE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Replay,
    Record,
    Auto,
    Off,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Replay => "replay",
            Mode::Record => "record",
            Mode::Auto => "auto",
            Mode::Off => "off",
        }
    }

    /// The mode from `EVALGATE_CASSETTE`, defaulting on `CI`.
    pub fn from_env() -> Result<Mode, Diagnostic> {
        let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
        match std::env::var("EVALGATE_CASSETTE") {
            Ok(value) => Mode::parse(Some(&value), ci),
            Err(std::env::VarError::NotPresent) => Mode::parse(None, ci),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(Diagnostic::new("EVALGATE_CASSETTE is not valid UTF-8")
                    .hint("use replay, record, auto or off"))
            }
        }
    }

    fn parse(value: Option<&str>, ci: bool) -> Result<Mode, Diagnostic> {
        match value.map(str::trim) {
            None | Some("") => Ok(if ci { Mode::Replay } else { Mode::Auto }),
            Some("replay") => Ok(Mode::Replay),
            Some("record") => Ok(Mode::Record),
            Some("auto") => Ok(Mode::Auto),
            Some("off") => Ok(Mode::Off),
            Some(other) => Err(Diagnostic::new(format!(
                "EVALGATE_CASSETTE={other} is not a cassette mode"
            ))
            .hint(
                "use replay, record, auto or off (unset: replay when CI is set, auto otherwise)",
            )),
        }
    }
}

/// What of a request a model is sent, as a cassette records it: the prompt alone for a model
/// behind an API (the rest is in its parameters), every field for a program or a closure.
///
/// The runs of a repeated case after the first carry their number (`"repetition": 1`, ...), so
/// each is recorded apart; the first run's recording is the same with or without `repeat`.
pub fn sent(model: &ModelSpec, request: &Request) -> serde_json::Value {
    let mut sent = if model.sees_whole_request() {
        serde_json::json!({
            "suite": request.suite,
            "id": request.case_id,
            "input": request.input,
            "vars": request.vars,
            "prompt": request.prompt,
        })
    } else {
        serde_json::json!({"prompt": request.prompt})
    };
    if request.repetition > 0 {
        sent["repetition"] = request.repetition.into();
    }
    sent
}

/// The key of a recording: FNV-1a (64 bits) over the canonical JSON of the parameters, a NUL,
/// and the canonical JSON of what was sent, as 16 hex digits. Stable across runs, machines,
/// versions and serde_json's features (keys are sorted here, not by the map type).
pub fn key(parameters: &serde_json::Value, sent: &serde_json::Value) -> String {
    let mut text = String::new();
    canonical(parameters, &mut text);
    text.push('\0');
    canonical(sent, &mut text);
    format!("{:016x}", fnv1a64(text.as_bytes()))
}

/// FNV-1a, 64 bits: a stable hash (the same on every run, machine and version), for cassette
/// keys and for the shard a case falls in (`evalgate run --shard`).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// JSON with object keys sorted and no spaces.
fn canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::from(key.as_str()).to_string());
                out.push(':');
                canonical(&object[key], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// One recorded answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub key: String,
    /// The test that recorded it (the first by name, when several cases share a prompt).
    pub test: String,
    pub parameters: serde_json::Value,
    /// What the model was sent (see [`sent`]).
    pub request: serde_json::Value,
    pub output: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub usage: Option<Usage>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub finish_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub system_fingerprint: Option<String>,
}

/// A cassette file and its entries, shared by the suites that name it.
pub struct Cassette {
    path: PathBuf,
    state: Mutex<State>,
}

struct State {
    entries: BTreeMap<String, Entry>,
    /// Keys recorded in this process and not saved yet.
    unsaved: HashSet<String>,
    last_save: Instant,
}

impl Cassette {
    /// Reads a cassette; a file that does not exist yet is an empty cassette.
    pub fn open(path: &Path) -> Result<Cassette, Vec<Diagnostic>> {
        let entries = read(path)?;
        Ok(Cassette {
            path: path.to_path_buf(),
            state: Mutex::new(State {
                entries,
                unsaved: HashSet::new(),
                last_save: Instant::now(),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, key: &str) -> Option<Entry> {
        self.lock().entries.get(key).cloned()
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps an answer; saves if the last save is [`SAVE_INTERVAL`] old. A save that fails is
    /// tried again at the next one, and its error is kept for [`Cassette::save`] to report.
    pub fn record(&self, entry: Entry) {
        let due = {
            let mut state = self.lock();
            let key = entry.key.clone();
            match state.entries.get_mut(&key) {
                // The same answer recorded by another test of the same request: keep one, the
                // first by name, so the file does not depend on which ran first.
                Some(existing) if same_answer(existing, &entry) => {
                    if entry.test < existing.test {
                        existing.test = entry.test;
                        state.unsaved.insert(key);
                    }
                }
                _ => {
                    state.entries.insert(key.clone(), entry);
                    state.unsaved.insert(key);
                }
            }
            !state.unsaved.is_empty() && state.last_save.elapsed() >= SAVE_INTERVAL
        };
        if due {
            let _ = self.save();
        }
    }

    /// The folder that holds the cassette, which is locked while it is written.
    fn folder(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    /// Saves the answers recorded since the last save, merged with whatever other processes
    /// saved meanwhile (this process's answers win for the same key).
    pub fn save(&self) -> std::io::Result<()> {
        let mut state = self.lock();
        if state.unsaved.is_empty() {
            return Ok(());
        }
        state.last_save = Instant::now();
        let _lock = FolderLock::acquire(self.folder())?;
        // Another process's saves, unless the file has become unreadable (then ours replace it).
        let mut merged = read(&self.path).unwrap_or_default();
        for key in &state.unsaved {
            if let Some(entry) = state.entries.get(key) {
                merged.insert(key.clone(), entry.clone());
            }
        }
        write_atomically(&self.path, render(merged.values()).as_bytes())?;
        state.entries = merged;
        state.unsaved.clear();
        Ok(())
    }

    /// Whether the cassette can be written: its folder can be created, locked and written.
    /// Checked before a recording run calls any model.
    pub fn check_writable(&self) -> std::io::Result<()> {
        let _lock = FolderLock::acquire(self.folder())?;
        let probe = self
            .folder()
            .join(format!(".evalgate-probe.{}", std::process::id()));
        write_atomically(&probe, b"")?;
        std::fs::remove_file(probe)
    }

    /// Drops the entries `keep` rejects; returns how many were kept and dropped.
    pub fn prune(&self, keep: impl Fn(&Entry) -> bool) -> std::io::Result<(usize, usize)> {
        self.save()?;
        let mut state = self.lock();
        let _lock = FolderLock::acquire(self.folder())?;
        let mut entries = read(&self.path).unwrap_or_default();
        let before = entries.len();
        entries.retain(|_, entry| keep(entry));
        let kept = entries.len();
        if kept != before {
            write_atomically(&self.path, render(entries.values()).as_bytes())?;
        }
        state.entries = entries;
        Ok((kept, before - kept))
    }
}

impl Drop for Cassette {
    fn drop(&mut self) {
        // A failure here has no one to report to; `save` is called explicitly where it does.
        let _ = self.save();
    }
}

fn same_answer(a: &Entry, b: &Entry) -> bool {
    (&a.output, &a.usage, &a.finish_reason, &a.system_fingerprint)
        == (&b.output, &b.usage, &b.finish_reason, &b.system_fingerprint)
}

/// The file's text: entries sorted by test, then key, one JSON object a line.
fn render<'a>(entries: impl Iterator<Item = &'a Entry>) -> String {
    let mut sorted: Vec<&Entry> = entries.collect();
    sorted.sort_by(|a, b| (&a.test, &a.key).cmp(&(&b.test, &b.key)));
    let mut text = String::new();
    for entry in sorted {
        text.push_str(&serde_json::to_string(entry).expect("an entry is always JSON"));
        text.push('\n');
    }
    text
}

/// The entries of a cassette file by key; problems name the line.
fn read(path: &Path) -> Result<BTreeMap<String, Entry>, Vec<Diagnostic>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(error) => {
            let message = format!("cannot read cassette {}: {error}", path.display());
            return Err(vec![Diagnostic::new(message)]);
        }
    };
    let mut entries = BTreeMap::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || {
            let mut location = Location::line(path, index + 1, 1);
            location.source_line = Some(line.to_string());
            location.width = line.chars().count();
            location
        };
        match serde_json::from_str::<Entry>(line) {
            Ok(entry) if entry.key == key(&entry.parameters, &entry.request) => {
                entries.insert(entry.key.clone(), entry);
            }
            Ok(entry) => problems.push(
                Diagnostic::new(format!(
                    "the recording of {} in the cassette does not match its own request and parameters",
                    entry.test
                ))
                .at(at())
                .hint("a cassette is written by evalgate; re-record it (EVALGATE_CASSETTE=record) instead of editing it"),
            ),
            Err(error) => {
                let text = error.to_string();
                let what = text.rsplit_once(" at line ").map_or(text.as_str(), |(what, _)| what);
                problems.push(
                    Diagnostic::new(format!("line {} of the cassette is not a recording: {what}", index + 1))
                        .at(at())
                        .hint("delete the line, or the file, and record again (EVALGATE_CASSETTE=record)"),
                );
            }
        }
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(capped(problems, path, MAX_PROBLEMS_SHOWN))
    }
}

/// Every cassette the suites name, opened once each, and the mode they are used in.
#[derive(Default)]
pub struct Cassettes {
    /// `None` when no cassette is in use (a session built without them).
    pub mode: Option<Mode>,
    files: HashMap<PathBuf, Arc<Cassette>>,
}

impl Cassettes {
    pub fn get(&self, path: &Path) -> Option<Arc<Cassette>> {
        self.files.get(&identity(path)).cloned()
    }

    /// Saves every cassette; the first error, naming its file.
    pub fn save(&self) -> Result<(), String> {
        for cassette in self.files.values() {
            cassette.save().map_err(|error| {
                format!(
                    "cannot save cassette {}: {error}",
                    cassette.path().display()
                )
            })?;
        }
        Ok(())
    }
}

/// One name for a cassette however its path is spelled (`a/../c.jsonl`, `./c.jsonl`): the
/// absolute path with `.` and `..` resolved as text.
pub fn identity(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut normal = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

/// Opens the cassettes the suites name (each once). A suite whose cassette cannot be read is
/// broken, with the cassette's problems; the others come back ready to run.
pub fn attach(suites: Vec<Suite>, mode: Mode) -> (Vec<Suite>, Vec<BrokenFile>, Cassettes) {
    let mut cassettes = Cassettes {
        mode: Some(mode),
        files: HashMap::new(),
    };
    let mut problems: HashMap<PathBuf, Vec<Diagnostic>> = HashMap::new();
    if mode != Mode::Off {
        for path in suites.iter().filter_map(|s| s.cassette.as_deref()) {
            let id = identity(path);
            if cassettes.files.contains_key(&id) || problems.contains_key(&id) {
                continue;
            }
            let opened = Cassette::open(path).and_then(|cassette| {
                if matches!(mode, Mode::Record | Mode::Auto) {
                    cassette.check_writable().map_err(|error| {
                        let message = format!("cannot write the cassette {}: {error}", path.display());
                        vec![Diagnostic::new(message).hint(
                            "recording needs a folder it can write; EVALGATE_CASSETTE=replay only reads",
                        )]
                    })?;
                }
                Ok(cassette)
            });
            match opened {
                Ok(cassette) => {
                    cassettes.files.insert(id, Arc::new(cassette));
                }
                Err(found) => {
                    problems.insert(id, found);
                }
            }
        }
    }
    let (mut ready, mut broken) = (Vec::new(), Vec::new());
    for suite in suites {
        match suite
            .cassette
            .as_deref()
            .and_then(|path| problems.get(&identity(path)))
        {
            Some(found) => broken.push(BrokenFile {
                file: suite.file.clone(),
                name: suite.name.clone(),
                problems: found.clone(),
            }),
            None => ready.push(suite),
        }
    }
    (ready, broken, cassettes)
}

/// A provider seen through a cassette: answers come from the recording when there is one (and
/// the mode allows), else from the model, and are recorded (when the mode says so).
pub struct Recorded {
    inner: Arc<dyn Provider>,
    cassette: Arc<Cassette>,
    mode: Mode,
    model: ModelSpec,
    /// The model's parameters, for the key.
    parameters: serde_json::Value,
}

impl Recorded {
    pub fn new(
        inner: Arc<dyn Provider>,
        cassette: Arc<Cassette>,
        mode: Mode,
        model: &ModelSpec,
    ) -> Recorded {
        Recorded {
            inner,
            cassette,
            mode,
            model: model.clone(),
            parameters: model.parameters(),
        }
    }
}

impl Provider for Recorded {
    fn call(&self, request: &Request) -> Result<Reply, ModelError> {
        let sent = sent(&self.model, request);
        let key = key(&self.parameters, &sent);
        if matches!(self.mode, Mode::Replay | Mode::Auto) {
            if let Some(entry) = self.cassette.get(&key) {
                return Ok(Reply {
                    output: entry.output,
                    usage: entry.usage,
                    finish_reason: entry.finish_reason,
                    system_fingerprint: entry.system_fingerprint,
                    attempts: 0,
                    replayed: true,
                });
            }
            if self.mode == Mode::Replay {
                let mut error = ModelError::new(format!(
                    "no recording of this case in the cassette {} (EVALGATE_CASSETTE=replay)",
                    self.cassette.path().display()
                ));
                error.attempts = 0;
                error.missing_from = Some(self.cassette.path().to_path_buf());
                return Err(error);
            }
        }
        let reply = self.inner.call(request)?;
        // A failed save is kept by the cassette and reported when the run saves at its end;
        // the answer itself is good.
        self.cassette.record(Entry {
            key,
            test: match request.repetition {
                0 => format!("{}::{}", request.suite, request.case_id),
                n => format!("{}::{}#{}", request.suite, request.case_id, n + 1),
            },
            parameters: self.parameters.clone(),
            request: sent,
            output: reply.output.clone(),
            usage: reply.usage,
            finish_reason: reply.finish_reason.clone(),
            system_fingerprint: reply.system_fingerprint.clone(),
        });
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(test: &str, prompt: &str, output: &str) -> Entry {
        let parameters = serde_json::json!({"provider": "openai", "model": "m"});
        let request = serde_json::json!({"prompt": prompt});
        Entry {
            key: key(&parameters, &request),
            test: test.to_string(),
            parameters,
            request,
            output: output.to_string(),
            usage: None,
            finish_reason: None,
            system_fingerprint: None,
        }
    }

    #[test]
    fn keys_are_stable_and_depend_on_everything() {
        let parameters =
            serde_json::json!({"temperature": 0.0, "provider": "openai", "model": "m"});
        let request = serde_json::json!({"prompt": "hello"});
        // Computed independently: FNV-1a 64 of
        // `{"model":"m","provider":"openai","temperature":0.0}\0{"prompt":"hello"}`.
        assert_eq!(key(&parameters, &request), "2ddd75b6a6cf7c10");
        assert_ne!(
            key(&parameters, &request),
            key(&parameters, &serde_json::json!({"prompt": "hello "}))
        );
        let other = serde_json::json!({"provider": "openai", "model": "m", "temperature": 0.5});
        assert_ne!(key(&parameters, &request), key(&other, &request));
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let mut text = String::new();
        canonical(
            &serde_json::json!({"b": [{"z": 1, "a": "x"}], "a": null}),
            &mut text,
        );
        assert_eq!(text, r#"{"a":null,"b":[{"a":"x","z":1}]}"#);
    }

    #[test]
    fn programs_are_keyed_by_the_whole_request() {
        let program = ModelSpec::Function {
            name: "m".into(),
            timeout: Duration::from_secs(1),
            concurrency: 1,
        };
        let request = |lang: &str| Request {
            suite: "s".into(),
            case_id: format!("c-{lang}"),
            input: "hello".into(),
            prompt: "hello".into(),
            vars: BTreeMap::from([("lang".to_string(), lang.to_string())]),
            repetition: 0,
        };
        let parameters = program.parameters();
        let (en, fr) = (
            sent(&program, &request("en")),
            sent(&program, &request("fr")),
        );
        assert_ne!(
            key(&parameters, &en),
            key(&parameters, &fr),
            "same prompt, other vars"
        );
        assert_eq!(en["vars"]["lang"], "en");
        // A repeated case's later runs are recorded apart; its first run as without repeat.
        let again = Request {
            repetition: 2,
            ..request("en")
        };
        let again = sent(&program, &again);
        assert_eq!(again["repetition"], 2);
        assert_ne!(key(&parameters, &again), key(&parameters, &en));
        assert!(en.get("repetition").is_none());
    }

    #[test]
    fn modes_come_from_the_environment_value() {
        assert_eq!(Mode::parse(None, true).unwrap(), Mode::Replay);
        assert_eq!(Mode::parse(None, false).unwrap(), Mode::Auto);
        assert_eq!(Mode::parse(Some("record"), true).unwrap(), Mode::Record);
        let error = Mode::parse(Some("sometimes"), false)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("EVALGATE_CASSETTE=sometimes is not a cassette mode"),
            "{error}"
        );
    }

    #[test]
    fn saving_sorts_and_rerecording_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let cassette = Cassette::open(&path).unwrap();
        cassette.record(entry("s::b", "two", "2"));
        cassette.record(entry("s::a", "one", "1"));
        cassette.save().unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        let tests: Vec<&str> = first
            .lines()
            .map(|l| if l.contains("s::a") { "a" } else { "b" })
            .collect();
        assert_eq!(tests, ["a", "b"]);
        drop(cassette);

        let again = Cassette::open(&path).unwrap();
        again.record(entry("s::a", "one", "1"));
        again.record(entry("s::b", "two", "2"));
        again.save().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
    }

    #[test]
    fn a_shared_request_keeps_the_first_test_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let cassette = Cassette::open(&dir.path().join("c.jsonl")).unwrap();
        cassette.record(entry("s::z", "same", "x"));
        cassette.record(entry("s::m", "same", "x"));
        assert_eq!(
            cassette.get(&entry("s::a", "same", "x").key).unwrap().test,
            "s::m"
        );
    }

    #[test]
    fn saves_merge_with_other_writers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let one = Cassette::open(&path).unwrap();
        let two = Cassette::open(&path).unwrap();
        one.record(entry("s::a", "one", "1"));
        two.record(entry("s::b", "two", "2"));
        one.save().unwrap();
        two.save().unwrap();
        let reread = Cassette::open(&path).unwrap();
        assert_eq!(
            reread.len(),
            2,
            "{}",
            std::fs::read_to_string(&path).unwrap()
        );
    }

    #[test]
    fn a_failed_save_is_reported_by_the_next_save() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("cassettes");
        let cassette = Cassette::open(&folder.join("c.jsonl")).unwrap();
        // The folder cannot be made: a file stands where it would be.
        std::fs::write(&folder, "").unwrap();
        assert!(cassette.check_writable().is_err());
        cassette.record(entry("s::a", "one", "1"));
        assert!(
            cassette.save().is_err(),
            "the answer is still unsaved, and saying so"
        );
        assert_eq!(
            cassette.get(&entry("s::a", "one", "1").key).unwrap().output,
            "1"
        );
    }

    #[test]
    fn broken_lines_and_edited_entries_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let mut edited = entry("s::a", "one", "1");
        edited.request = serde_json::json!({"prompt": "changed by hand"});
        let text = format!(
            "{}\n{{\"key\": \"x\"\n",
            serde_json::to_string(&edited).unwrap()
        );
        std::fs::write(&path, text).unwrap();
        let problems = Cassette::open(&path).err().unwrap();
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0]
                .message
                .contains("does not match its own request"),
            "{}",
            problems[0]
        );
        assert_eq!(problems[1].location.as_ref().unwrap().line, 2);
    }

    #[test]
    fn prune_keeps_what_the_test_says() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let cassette = Cassette::open(&path).unwrap();
        cassette.record(entry("s::a", "one", "1"));
        cassette.record(entry("s::gone", "old", "0"));
        assert_eq!(cassette.prune(|e| e.test != "s::gone").unwrap(), (1, 1));
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
    }

    #[test]
    fn identities_ignore_spelling() {
        assert_eq!(
            identity(Path::new("a/./b/../c.jsonl")),
            identity(Path::new("a/c.jsonl"))
        );
    }
}
