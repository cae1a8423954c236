//! Snapshots of model outputs, kept by insta itself: `snapshots/<suite>__<case-id>.snap` beside
//! the suite file, with the input, the rendered prompt and the model in the metadata.
//!
//! # How evalgate drives insta
//!
//! insta's public macros (`assert_snapshot!`) record the file and line where they are expanded
//! as the snapshot's `source:`, and find the project from the `CARGO_MANIFEST_DIR` of the crate
//! that expands them. Expanded inside evalgate, that would be evalgate's own source file, a
//! path on the machine that built it, written into the user's snapshot files; and a CLI user
//! without Cargo has no manifest at all. So evalgate calls the function those macros call,
//! `insta::_macro_support::assert_snapshot`, with what the macro would have captured, had the
//! suite file been the test: the project root as the workspace, the suite file and the case's
//! line as the assertion's place, the test name as the expression. Everything else is insta's:
//! the file format, the comparison, `.snap.new` files, `INSTA_UPDATE`, `INSTA_FORCE_PASS`,
//! `INSTA_PENDING_DIR`, `insta.yaml`, the CI behaviour (nothing written, the case fails). This
//! function is the one place that depends on insta's macro support; it is hidden API, so the
//! insta version is tested by this crate's own tests.
//!
//! # What a snapshot holds
//!
//! insta normalises snapshot text (trailing whitespace is trimmed, CRLF becomes LF), but a
//! model's output is compared whole: [`encode`] makes what insta would normalise away visible
//! first (a final `⏎` after trailing whitespace, `⏎r` for the CR of a CRLF, `⏎⏎` for a `⏎`),
//! so what is stored is exactly what is compared. A classify snapshot holds the label the output
//! named and the raw output.

pub mod review;

use crate::judge::Judgement;
use crate::provider::Reply;
use crate::suite::{Case, Suite, Task};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The outcome of comparing a case's output with its snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotCheck {
    /// The accepted snapshot's file (which may not exist yet).
    pub file: PathBuf,
    /// What the accepted snapshot holds; `None` when there is none.
    pub accepted: Option<String>,
    /// What this run's output makes of it.
    pub current: String,
    /// insta's verdict: `false` fails the case. It passes on a match, and also when insta is
    /// told to (`INSTA_FORCE_PASS`, `INSTA_UPDATE=always` writing the new snapshot in place).
    pub passed: bool,
    /// The pending `.snap.new` insta wrote, if it wrote one.
    pub pending: Option<PathBuf>,
    /// insta could not do its work (an unwritable folder, a broken snapshot file).
    pub error: Option<String>,
}

impl SnapshotCheck {
    pub fn status(&self) -> &'static str {
        match (
            &self.accepted,
            self.accepted.as_deref() == Some(self.current.as_str()),
        ) {
            (None, _) => "new",
            (Some(_), true) => "matched",
            (Some(_), false) => "changed",
        }
    }
}

/// `<suite>__<case-id>`: the snapshot's name, and its file's name without `.snap`.
pub fn name(suite: &Suite, case: &Case) -> String {
    format!("{}__{}", suite.name, case.id)
}

/// The folder of a suite's snapshots: `snapshots/` beside the suite file.
pub fn folder(suite: &Suite) -> PathBuf {
    suite
        .file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("snapshots")
}

/// An output as a snapshot stores it, so that insta's normalisation (trailing whitespace
/// trimmed, CRLF turned into LF) changes nothing and different outputs never look the same.
/// `⏎` is the escape: a `⏎` of the output is written `⏎⏎`, the CR of a CRLF `⏎r`, and an output
/// that ends in whitespace gets a final `⏎`. Most outputs have none of these and are unchanged.
pub fn encode(output: &str) -> String {
    let mut text = output.replace('⏎', "⏎⏎").replace("\r\n", "⏎r\n");
    if text.trim_end() != text {
        text.push('⏎');
    }
    text
}

/// The snapshot text of a case's answer.
pub fn content(suite: &Suite, reply: &Reply, judgement: &Judgement) -> String {
    match (suite.task, judgement) {
        (Task::Classify, Judgement::Label(label)) => {
            let label = label.map_or("<invalid>", |l| suite.labels[l].as_str());
            encode(&format!("label: {label}\n\n{}", reply.output))
        }
        _ => encode(&reply.output),
    }
}

/// The metadata insta keeps with the snapshot (its `info:`): what produced the output.
#[derive(serde::Serialize)]
struct Info<'a> {
    input: &'a str,
    prompt: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    references: &'a [String],
    model: serde_json::Value,
}

/// Compares the output of `case` with its snapshot through insta, which writes a pending
/// `.snap.new` (or nothing, in CI) as it is configured to.
pub fn check(
    suite: &Suite,
    index: usize,
    reply: &Reply,
    judgement: &Judgement,
    workspace: &Path,
) -> SnapshotCheck {
    let case = &suite.cases[index];
    let name = name(suite, case);
    let folder = std::path::absolute(folder(suite)).unwrap_or_else(|_| folder(suite));
    let file = folder.join(format!("{name}.snap"));
    let current = content(suite, reply, judgement);
    let accepted = match read_snapshot(&file) {
        Ok(accepted) => accepted,
        Err(error) => {
            let error = Some(format!("the accepted snapshot cannot be read: {error}"));
            return SnapshotCheck {
                file,
                accepted: None,
                current,
                passed: false,
                pending: None,
                error,
            };
        }
    };
    let prompt = suite.prompt.render(&case.input, &case.vars);
    let mut model = suite.model.parameters();
    model["identity"] = suite.model.identity().into();
    let info = Info {
        input: &case.input,
        prompt: &prompt,
        expected: case.expected.map(|e| suite.labels[e].as_str()),
        references: &case.references,
        model,
    };
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(&folder);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_info(&info);
    settings.set_description(format!("output of {}", suite.case_test_name(index)));
    settings.set_omit_expression(true);
    settings.set_comparator(Box::new(Exact));
    let assertion_file =
        std::path::absolute(&case.source.file).unwrap_or_else(|_| case.source.file.clone());

    let asserted = crate::harness::quiet_panics(|| {
        catch_unwind(AssertUnwindSafe(|| {
            settings.bind(|| {
                insta::_macro_support::assert_snapshot(
                    insta::_macro_support::SnapshotValue::FileText {
                        name: Some(name.as_str().into()),
                        content: &current,
                    },
                    workspace,
                    "evalgate",
                    &suite.name,
                    &assertion_file.to_string_lossy(),
                    u32::try_from(case.source.line).unwrap_or(u32::MAX),
                    &suite.case_test_name(index),
                )
            })
        }))
    });
    let (passed, error) = match asserted {
        Ok(Ok(())) => (true, None),
        Ok(Err(error)) => (false, Some(error.to_string())),
        // insta fails an assertion by panicking with this message; any other panic is insta
        // unable to work (a bad INSTA_* value, a broken insta.yaml, a pending folder it refuses).
        Err(panic) => {
            let message = crate::provider::function::panic_message(&*panic);
            let failed = message.starts_with("snapshot assertion for ");
            (false, (!failed).then_some(message))
        }
    };
    // A pending file that holds this output: insta wrote it now, or an earlier run did. Also when
    // insta let the case pass (INSTA_FORCE_PASS): the change still waits for review.
    let pending_file = review::pending_file(workspace, &file);
    let unchanged = accepted.as_deref() == Some(current.as_str());
    let holds_this =
        read_snapshot(&pending_file).ok().flatten().as_deref() == Some(current.as_str());
    let pending = (!unchanged && holds_this).then_some(pending_file);
    SnapshotCheck {
        file,
        accepted,
        current,
        passed,
        pending,
        error,
    }
}

/// The text of a snapshot file: `None` if there is no such file, an error if it cannot be read
/// as a snapshot.
pub fn read_snapshot(file: &Path) -> Result<Option<String>, String> {
    match std::fs::metadata(file) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("{}: {error}", file.display())),
        Ok(_) => {}
    }
    let snapshot =
        insta::Snapshot::from_file(file).map_err(|error| format!("{}: {error}", file.display()))?;
    let text = snapshot
        .as_text()
        .ok_or_else(|| format!("{} is not a text snapshot", file.display()))?;
    Ok(Some(text.to_string()))
}

/// Compares snapshot texts exactly. insta's default comparison falls back to a "legacy" one that
/// ignores leading newlines and a leading `---` line; a model's output is compared whole.
#[derive(Clone)]
struct Exact;

impl insta::Comparator for Exact {
    fn matches(&self, reference: &insta::Snapshot, test: &insta::Snapshot) -> bool {
        let text = |snapshot: &insta::Snapshot| snapshot.as_text().map(|t| t.to_string());
        text(reference).is_some() && text(reference) == text(test)
    }

    fn dyn_clone(&self) -> Box<dyn insta::Comparator> {
        Box::new(self.clone())
    }
}

/// The project root snapshots are relative to, for the CLI, found from the suites (not from the
/// current folder, so `source:` is the same wherever evalgate runs): `INSTA_WORKSPACE_ROOT` if
/// set; the Cargo workspace around the suites if there is one (so cargo-insta and evalgate agree);
/// else the nearest folder above them with `.git`, `insta.yaml` or `.config/insta.yaml`; else the
/// current folder.
pub fn cli_workspace(suite_paths: &[PathBuf]) -> PathBuf {
    if let Some(root) = std::env::var_os("INSTA_WORKSPACE_ROOT").filter(|r| !r.is_empty()) {
        return PathBuf::from(root);
    }
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let start = suite_paths.first().map_or(here.clone(), |p| {
        let p = std::path::absolute(p).unwrap_or_else(|_| p.clone());
        if p.is_dir() {
            p
        } else {
            p.parent().map_or(here.clone(), Path::to_path_buf)
        }
    });
    let marker = |dir: &Path| {
        [".git", "insta.yaml", ".config/insta.yaml"]
            .iter()
            .any(|m| dir.join(m).exists())
    };
    if let Some(cargo_dir) = start
        .ancestors()
        .find(|dir| dir.join("Cargo.toml").is_file())
    {
        let manifest_dir: &'static str =
            Box::leak(cargo_dir.to_string_lossy().into_owned().into_boxed_str());
        return (*insta::_macro_support::get_cargo_workspace(
            insta::_macro_support::Workspace::DetectWithCargo(manifest_dir),
        ))
        .clone();
    }
    start
        .ancestors()
        .find(|dir| marker(dir))
        .map_or(here, Path::to_path_buf)
}

/// The project root for the harness: the Cargo workspace of the package under test, as insta's
/// own macros find it (`INSTA_WORKSPACE_ROOT` first, then `cargo metadata` from
/// `CARGO_MANIFEST_DIR`, which cargo and nextest set when they run tests).
pub fn harness_workspace() -> PathBuf {
    match std::env::var("CARGO_MANIFEST_DIR") {
        Ok(dir) if std::env::var_os("INSTA_WORKSPACE_ROOT").is_none() => {
            let manifest_dir: &'static str = Box::leak(dir.into_boxed_str());
            (*insta::_macro_support::get_cargo_workspace(
                insta::_macro_support::Workspace::DetectWithCargo(manifest_dir),
            ))
            .clone()
        }
        _ => cli_workspace(&[]),
    }
}

/// Checks the `INSTA_*` settings insta reads, so that a bad value is one clear error before
/// anything runs rather than a failure of every case.
pub fn check_insta_environment() -> Result<(), crate::Diagnostic> {
    let allowed: [(&str, &[&str]); 4] = [
        (
            "INSTA_UPDATE",
            &["auto", "always", "1", "new", "unseen", "no", "force"],
        ),
        ("INSTA_FORCE_PASS", &["0", "1"]),
        ("INSTA_REQUIRE_FULL_MATCH", &["0", "1"]),
        ("INSTA_OUTPUT", &["diff", "summary", "minimal", "none"]),
    ];
    for (name, values) in allowed {
        let Some(value) = std::env::var_os(name) else {
            continue;
        };
        let value = value.to_string_lossy();
        if !value.is_empty() && !values.contains(&value.as_ref()) {
            return Err(crate::Diagnostic::new(format!(
                "{name}={value} is not a value insta knows"
            ))
            .hint(format!("use one of: {}", values.join(", "))));
        }
    }
    Ok(())
}

/// Keeps insta quiet: evalgate shows the diff in its own failure message. Called once, before
/// any thread starts; an `INSTA_OUTPUT` the user set is left alone.
pub fn quiet_insta_output() {
    if std::env::var_os("INSTA_OUTPUT").is_none() {
        // SAFETY: called at the start of `main` (the CLI) or of `Harness::run`, before evalgate
        // starts any thread, so no other thread reads the environment concurrently.
        unsafe { std::env::set_var("INSTA_OUTPUT", "none") };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_encoded_only_where_insta_would_change_them() {
        assert_eq!(encode("Paris"), "Paris");
        assert_eq!(encode("two\nlines"), "two\nlines");
        assert_eq!(encode("Paris\n"), "Paris\n⏎");
        assert_eq!(encode("a \r\nb"), "a ⏎r\nb");
        assert_eq!(encode("lone\rcr"), "lone\rcr", "insta keeps a lone CR");
        for output in ["Paris", "Paris\n", "a \r\nb\n\n", "  lead", "x\r\n"] {
            let encoded = encode(output);
            assert_eq!(
                encoded.trim_end(),
                encoded,
                "nothing for insta to trim: {output:?}"
            );
            assert!(
                !encoded.contains("\r\n"),
                "no CRLF for insta to turn: {output:?}"
            );
        }
    }

    #[test]
    fn different_outputs_never_encode_the_same() {
        let outputs = [
            "x", "x ", "x ⏎", "x⏎", "x\n", "x⏎r\n", "x\r\n", "x\n⏎", "⏎", "", " ", "⏎⏎",
        ];
        let encoded: std::collections::HashSet<String> =
            outputs.iter().map(|o| encode(o)).collect();
        assert_eq!(encoded.len(), outputs.len());
    }
}
