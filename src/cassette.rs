//! Cassettes: model answers recorded once and replayed, so CI needs neither a live model nor a
//! secret, and a floor under nextest (a process per test) does not call the model again.
//!
//! A cassette is a JSONL file, one [`Entry`] a line, sorted by test name and key, so that
//! re-recording unchanged answers rewrites the same bytes and a changed answer is a one-line
//! diff. An entry is found by its key: a stable hash of the model's [parameters]
//! (provider, model and everything that shapes an answer) and the rendered prompt.
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
use crate::suite::{BrokenFile, Suite};
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
        Mode::parse(std::env::var("EVALGATE_CASSETTE").ok().as_deref(), ci)
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

/// The key of a recording: FNV-1a (64 bits) over the canonical JSON of the parameters, a NUL,
/// and the prompt, as 16 hex digits. Stable across runs, machines and versions.
pub fn key(parameters: &serde_json::Value, prompt: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let canonical = parameters.to_string();
    for byte in canonical.bytes().chain([0]).chain(prompt.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// One recorded answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub key: String,
    /// The test that recorded it (the first by name, when several cases share a prompt).
    pub test: String,
    pub parameters: serde_json::Value,
    pub prompt: String,
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

    /// Keeps an answer; saves if the last save is [`SAVE_INTERVAL`] old.
    pub fn record(&self, entry: Entry) -> std::io::Result<()> {
        let due = {
            let mut state = self.lock();
            let key = entry.key.clone();
            match state.entries.get_mut(&key) {
                // The same answer recorded by another test of the same prompt: keep one, the
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
        if due { self.save() } else { Ok(()) }
    }

    /// Saves the answers recorded since the last save, merged with whatever other processes
    /// saved meanwhile (this process's answers win for the same key).
    pub fn save(&self) -> std::io::Result<()> {
        let mut state = self.lock();
        if state.unsaved.is_empty() {
            return Ok(());
        }
        let folder = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let _lock = FolderLock::acquire(folder)?;
        // Another process's saves, unless the file has become unreadable (then ours replace it).
        let on_disk = read(&self.path).unwrap_or_default();
        let mut merged = on_disk;
        for key in &state.unsaved {
            if let Some(entry) = state.entries.get(key) {
                merged.insert(key.clone(), entry.clone());
            }
        }
        write_atomically(&self.path, render(merged.values()).as_bytes())?;
        state.entries = merged;
        state.unsaved.clear();
        state.last_save = Instant::now();
        Ok(())
    }

    /// Drops the entries whose keys are not in `used`; returns how many were kept and dropped.
    pub fn prune(&self, used: &HashSet<String>) -> std::io::Result<(usize, usize)> {
        self.save()?;
        let mut state = self.lock();
        let folder = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let _lock = FolderLock::acquire(folder)?;
        let mut entries = read(&self.path).unwrap_or_default();
        let before = entries.len();
        entries.retain(|key, _| used.contains(key));
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
            Ok(entry) if entry.key == key(&entry.parameters, &entry.prompt) => {
                entries.insert(entry.key.clone(), entry);
            }
            Ok(entry) => problems.push(
                Diagnostic::new(format!(
                    "the recording of {} in the cassette does not match its own prompt and parameters",
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
        let id = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        self.files.get(&id).cloned()
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
            let id = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
            if cassettes.files.contains_key(&id) || problems.contains_key(&id) {
                continue;
            }
            match Cassette::open(path) {
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
        let id = suite
            .cassette
            .as_deref()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
        match id.and_then(|id| problems.get(&id)) {
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
    pub inner: Arc<dyn Provider>,
    pub cassette: Arc<Cassette>,
    pub mode: Mode,
    /// The suite's model parameters, for the key.
    pub parameters: serde_json::Value,
}

impl Provider for Recorded {
    fn call(&self, request: &Request) -> Result<Reply, ModelError> {
        let key = key(&self.parameters, &request.prompt);
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
        let entry = Entry {
            key,
            test: format!("{}::{}", request.suite, request.case_id),
            parameters: self.parameters.clone(),
            prompt: request.prompt.clone(),
            output: reply.output.clone(),
            usage: reply.usage,
            finish_reason: reply.finish_reason.clone(),
            system_fingerprint: reply.system_fingerprint.clone(),
        };
        if let Err(error) = self.cassette.record(entry) {
            // The answer is good; only its recording failed. Say so, keep the answer out of it.
            let message = format!(
                "the model answered, but the cassette {} could not be saved: {error}",
                self.cassette.path().display()
            );
            return Err(ModelError::new(message));
        }
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(test: &str, prompt: &str, output: &str) -> Entry {
        let parameters = serde_json::json!({"provider": "fn", "name": "m"});
        Entry {
            key: key(&parameters, prompt),
            test: test.to_string(),
            parameters,
            prompt: prompt.to_string(),
            output: output.to_string(),
            usage: None,
            finish_reason: None,
            system_fingerprint: None,
        }
    }

    #[test]
    fn keys_are_stable_and_depend_on_everything() {
        let parameters =
            serde_json::json!({"provider": "openai", "model": "m", "temperature": 0.0});
        // Computed independently: FNV-1a 64 of `{"model":"m","provider":"openai","temperature":0.0}\0hello`.
        assert_eq!(key(&parameters, "hello"), "7929833dcb0bf918");
        assert_ne!(key(&parameters, "hello"), key(&parameters, "hello "));
        let other = serde_json::json!({"provider": "openai", "model": "m", "temperature": 0.5});
        assert_ne!(key(&parameters, "hello"), key(&other, "hello"));
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
        cassette.record(entry("s::b", "two", "2")).unwrap();
        cassette.record(entry("s::a", "one", "1")).unwrap();
        cassette.save().unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        let tests: Vec<&str> = first
            .lines()
            .map(|l| if l.contains("s::a") { "a" } else { "b" })
            .collect();
        assert_eq!(tests, ["a", "b"]);
        drop(cassette);

        let again = Cassette::open(&path).unwrap();
        again.record(entry("s::a", "one", "1")).unwrap();
        again.record(entry("s::b", "two", "2")).unwrap();
        again.save().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
    }

    #[test]
    fn a_shared_prompt_keeps_the_first_test_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let cassette = Cassette::open(&dir.path().join("c.jsonl")).unwrap();
        cassette.record(entry("s::z", "same", "x")).unwrap();
        cassette.record(entry("s::m", "same", "x")).unwrap();
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
        one.record(entry("s::a", "one", "1")).unwrap();
        two.record(entry("s::b", "two", "2")).unwrap();
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
    fn broken_lines_and_edited_entries_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let mut edited = entry("s::a", "one", "1");
        edited.prompt = "changed by hand".to_string();
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
                .contains("does not match its own prompt"),
            "{}",
            problems[0]
        );
        assert_eq!(problems[1].location.as_ref().unwrap().line, 2);
    }

    #[test]
    fn prune_keeps_only_used_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let cassette = Cassette::open(&path).unwrap();
        let kept = entry("s::a", "one", "1");
        cassette.record(kept.clone()).unwrap();
        cassette.record(entry("s::gone", "old", "0")).unwrap();
        let used = HashSet::from([kept.key.clone()]);
        assert_eq!(cassette.prune(&used).unwrap(), (1, 1));
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
    }
}
