//! Pending snapshots and orphans: what `evalgate pending`, `accept`, `reject` and `review` work
//! on, in the same files and the same way as cargo-insta, so either tool can finish what the
//! other started.
//!
//! A pending snapshot is a `.snap.new` insta wrote beside the accepted `.snap` (or under
//! `INSTA_PENDING_DIR`). Accepting loads it with insta and saves it as the `.snap` (insta drops
//! the fields only a pending file has), then removes it; rejecting removes it. An orphan is an
//! accepted snapshot of a case that no longer exists (or no longer keeps snapshots), found in
//! any `snapshots/` folder under the suite paths, so the snapshots of a deleted suite are found
//! too.

use super::{folder, name, read_snapshot};
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
    /// `<suite>::<case-id>`, read from the file's name.
    pub test: String,
    /// A loaded case owns it.
    pub known: bool,
}

/// An accepted snapshot no case owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Orphan {
    pub file: PathBuf,
    /// `<suite>::<case-id>`, read from the file's name.
    pub test: String,
}

/// What `scan` found in the snapshot folders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    pub pending: Vec<Pending>,
    pub orphans: Vec<Orphan>,
}

/// Where insta keeps the pending file of `snapshot`: beside it, or under `INSTA_PENDING_DIR` at
/// the same path relative to the workspace (compared as given, then canonicalised, as insta
/// does).
pub fn pending_file(workspace: &Path, snapshot: &Path) -> PathBuf {
    let beside = snapshot.with_extension("snap.new");
    let Some(dir) = std::env::var_os("INSTA_PENDING_DIR").filter(|d| !d.is_empty()) else {
        return beside;
    };
    let relative = beside
        .strip_prefix(workspace)
        .map(Path::to_path_buf)
        .or_else(|_| {
            let workspace = std::fs::canonicalize(workspace).map_err(|_| ())?;
            let parent = std::fs::canonicalize(beside.parent().ok_or(())?).map_err(|_| ())?;
            let name = beside.file_name().ok_or(())?;
            parent
                .strip_prefix(&workspace)
                .map(|p| p.join(name))
                .map_err(|_| ())
        });
    match relative {
        Ok(relative) => PathBuf::from(dir).join(relative),
        Err(()) => beside,
    }
}

/// `<suite>::<case-id>` from a snapshot file's stem `<suite>__<case-id>`.
fn test_name(stem: &str) -> Option<String> {
    let (suite, case) = stem.split_once("__")?;
    Some(format!("{suite}::{case}"))
}

/// The pending snapshots and the orphans in the snapshot folders of these suites and in every
/// `snapshots/` folder under `paths`. An unreadable folder is an error naming it.
pub fn scan(suites: &[Suite], paths: &[PathBuf], workspace: &Path) -> Result<Scan, String> {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    // The snapshot names each folder's loaded suites keep, and the suite names loaded there.
    let mut folders: BTreeMap<PathBuf, (HashSet<String>, HashSet<String>)> = BTreeMap::new();
    let mut loaded: HashSet<PathBuf> = HashSet::new();
    for suite in suites {
        loaded.insert(absolute(&suite.file));
        let (kept, names) = folders.entry(absolute(&folder(suite))).or_default();
        names.insert(suite.name.clone());
        if suite.snapshot {
            kept.extend(suite.cases.iter().map(|case| name(suite, case)));
        }
    }
    for path in paths {
        for entry in walkdir::WalkDir::new(path).into_iter().flatten() {
            if entry.file_type().is_dir() && entry.file_name() == "snapshots" {
                folders.entry(absolute(entry.path())).or_default();
            }
        }
    }
    let mut scan = Scan::default();
    let mut seen = BTreeSet::new();
    for (folder, (kept, names)) in &folders {
        // Judge a snapshot of a suite that was not loaded only if every suite file beside the
        // folder was loaded (the suite is gone, not merely left out of this command).
        let whole = folder
            .parent()
            .and_then(|dir| std::fs::read_dir(dir).ok())
            .is_some_and(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                    .all(|p| loaded.contains(&absolute(&p)))
            });
        for path in files(folder)? {
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some(stem) = file_name.strip_suffix(".snap.new") {
                let Some(test) = test_name(stem) else {
                    continue;
                };
                if seen.insert(path.clone()) {
                    let accepted = folder.join(format!("{stem}.snap"));
                    scan.pending.push(Pending {
                        file: path,
                        accepted,
                        test,
                        known: kept.contains(stem),
                    });
                }
            } else if let Some(stem) = file_name.strip_suffix(".snap") {
                let Some((suite_name, _)) = stem.split_once("__") else {
                    continue;
                };
                if (names.contains(suite_name) || whole) && !kept.contains(stem) {
                    let test = test_name(stem).unwrap_or_default();
                    scan.orphans.push(Orphan { file: path, test });
                }
            }
        }
        // Pending files kept elsewhere by INSTA_PENDING_DIR.
        for stem in kept {
            let accepted = folder.join(format!("{stem}.snap"));
            let file = pending_file(workspace, &accepted);
            if file.is_file() && seen.insert(file.clone()) {
                let test = test_name(stem).unwrap_or_default();
                scan.pending.push(Pending {
                    file,
                    accepted,
                    test,
                    known: true,
                });
            }
        }
    }
    scan.pending.sort_by(|a, b| a.file.cmp(&b.file));
    scan.orphans.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(scan)
}

/// The files of a snapshot folder; none if it does not exist, an error if it cannot be read.
fn files(folder: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(format!(
                "cannot read the snapshot folder {}: {error}",
                folder.display()
            ));
        }
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
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

/// The text of a pending snapshot.
pub fn pending_text(pending: &Pending) -> Result<String, String> {
    read_snapshot(&pending.file)?.ok_or_else(|| format!("{} is gone", pending.file.display()))
}

/// The header of a pending snapshot as insta wrote it (source, description, and the `info:`
/// with the input, the prompt and the model at the time of the run), for the review screen.
pub fn header(pending: &Pending) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(&pending.file) else {
        return Vec::new();
    };
    let mut lines = text.lines();
    if lines.next() != Some("---") {
        return Vec::new();
    }
    lines
        .take_while(|line| *line != "---")
        .filter(|line| !line.starts_with("assertion_line:"))
        .map(str::to_string)
        .collect()
}

/// Whether a test name is chosen by a filter: no filter, or the name contains it.
pub fn chosen(test: &str, filter: Option<&str>) -> bool {
    filter.is_none_or(|filter| test.contains(filter))
}
