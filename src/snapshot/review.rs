//! Pending snapshots and orphans: what `evalgate pending`, `accept`, `reject` and `review` work
//! on, in the same files and the same way as cargo-insta, so either tool can finish what the
//! other started.
//!
//! A pending snapshot is a `.snap.new` insta wrote beside the accepted `.snap` (or under
//! `INSTA_PENDING_DIR`). Accepting loads it with insta and saves it as the `.snap` (insta drops
//! the fields only a pending file has), then removes it; rejecting removes it. An orphan is an
//! accepted snapshot of a case that no longer exists (or no longer keeps snapshots).

use super::{folder, name};
use crate::suite::Suite;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

/// A pending snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The `.snap.new` file.
    pub file: PathBuf,
    /// The `.snap` it would become.
    pub accepted: PathBuf,
    /// `<suite>::<case-id>` when a loaded case owns it.
    pub test: Option<String>,
}

/// What `scan` found in the suites' snapshot folders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    pub pending: Vec<Pending>,
    /// Accepted snapshots no case owns.
    pub orphans: Vec<PathBuf>,
}

/// Where insta keeps the pending file of `snapshot`: beside it, or under `INSTA_PENDING_DIR` at
/// the same path relative to the workspace.
pub fn pending_file(workspace: &Path, snapshot: &Path) -> PathBuf {
    let beside = snapshot.with_extension("snap.new");
    match std::env::var_os("INSTA_PENDING_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => match beside.strip_prefix(workspace) {
            Ok(relative) => PathBuf::from(dir).join(relative),
            Err(_) => beside,
        },
        None => beside,
    }
}

/// The pending snapshots and the orphans of the snapshot folders of these suites. `loaded_files`
/// are every suite file that was loaded, to tell a deleted suite from one not asked for.
pub fn scan(suites: &[Suite], workspace: &Path) -> Scan {
    // Snapshot names each folder's suites own, and the suite names seen there.
    let mut owned: BTreeMap<PathBuf, (HashSet<String>, HashSet<String>)> = BTreeMap::new();
    let mut tests: BTreeMap<(PathBuf, String), String> = BTreeMap::new();
    let mut loaded: HashSet<PathBuf> = HashSet::new();
    for suite in suites {
        let folder = std::path::absolute(folder(suite)).unwrap_or_else(|_| folder(suite));
        loaded.insert(std::path::absolute(&suite.file).unwrap_or_else(|_| suite.file.clone()));
        let (names, suite_names) = owned.entry(folder.clone()).or_default();
        suite_names.insert(suite.name.clone());
        for (index, case) in suite.cases.iter().enumerate() {
            let snapshot = name(suite, case);
            tests.insert(
                (folder.clone(), snapshot.clone()),
                suite.case_test_name(index),
            );
            if suite.snapshot {
                names.insert(snapshot);
            }
        }
    }
    let mut scan = Scan::default();
    let mut seen_pending = BTreeSet::new();
    for (folder, (names, suite_names)) in &owned {
        // Every suite file beside this folder was loaded: a snapshot of an unknown suite is an
        // orphan. Otherwise only the loaded suites' snapshots are judged.
        let whole_folder = folder
            .parent()
            .and_then(|dir| std::fs::read_dir(dir).ok())
            .is_some_and(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                    .all(|p| loaded.contains(&std::path::absolute(&p).unwrap_or(p)))
            });
        for path in files(folder) {
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some(stem) = file_name.strip_suffix(".snap.new") {
                let accepted = folder.join(format!("{stem}.snap"));
                let test = tests.get(&(folder.clone(), stem.to_string())).cloned();
                if seen_pending.insert(path.clone()) {
                    scan.pending.push(Pending {
                        file: path,
                        accepted,
                        test,
                    });
                }
            } else if let Some(stem) = file_name.strip_suffix(".snap") {
                let Some((suite_name, _case)) = stem.split_once("__") else {
                    continue;
                };
                let judged = suite_names.contains(suite_name) || whole_folder;
                if judged && !names.contains(stem) {
                    scan.orphans.push(path);
                }
            }
        }
        // Pending files kept elsewhere by INSTA_PENDING_DIR.
        for name in names {
            let file = pending_file(workspace, &folder.join(format!("{name}.snap")));
            if file.is_file() && seen_pending.insert(file.clone()) {
                let accepted = folder.join(format!("{name}.snap"));
                let test = tests.get(&(folder.clone(), name.clone())).cloned();
                scan.pending.push(Pending {
                    file,
                    accepted,
                    test,
                });
            }
        }
    }
    scan.pending.sort_by(|a, b| a.file.cmp(&b.file));
    scan.orphans.sort();
    scan
}

fn files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Makes a pending snapshot the accepted one, through insta, and removes the pending file.
pub fn accept(pending: &Pending) -> Result<(), String> {
    let snapshot = insta::Snapshot::from_file(&pending.file)
        .map_err(|error| format!("cannot read {}: {error}", pending.file.display()))?;
    snapshot
        .save(&pending.accepted)
        .map_err(|error| format!("cannot write {}: {error}", pending.accepted.display()))?;
    std::fs::remove_file(&pending.file)
        .map_err(|error| format!("cannot remove {}: {error}", pending.file.display()))
}

/// Drops a pending snapshot.
pub fn reject(pending: &Pending) -> Result<(), String> {
    std::fs::remove_file(&pending.file)
        .map_err(|error| format!("cannot remove {}: {error}", pending.file.display()))
}

/// The text of a pending snapshot, for a diff.
pub fn pending_text(pending: &Pending) -> Option<String> {
    super::read_accepted(&pending.file)
}

/// What a pending snapshot's metadata says about where it came from: insta's `info:` as YAML-ish
/// lines (input, prompt, model), for the review screen.
pub fn describe(pending: &Pending) -> Vec<(String, String)> {
    let Ok(snapshot) = insta::Snapshot::from_file(&pending.file) else {
        return Vec::new();
    };
    let metadata = snapshot.metadata();
    let mut lines = Vec::new();
    if let Some(source) = metadata.source() {
        let line = metadata
            .assertion_line()
            .map_or(String::new(), |l| format!(":{l}"));
        lines.push(("source".to_string(), format!("{source}{line}")));
    }
    if let Some(description) = metadata.description() {
        lines.push(("description".to_string(), description.to_string()));
    }
    lines
}

/// Whether `test` is chosen by a filter: no filter, or the name contains it.
pub fn chosen(pending: &Pending, filter: Option<&str>) -> bool {
    match filter {
        None => true,
        Some(filter) => {
            let name = pending.test.clone().unwrap_or_else(|| {
                pending
                    .file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
            name.contains(filter)
        }
    }
}
