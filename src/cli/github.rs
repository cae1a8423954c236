//! `evalgate github ...`: what the GitHub Action's scripts (`action/*.sh`) need from a run's
//! results.json — annotations, step outputs, the job summary and the pull-request comment. The
//! rendering is `report::github`; this module reads the files and writes where the runner
//! looks (`$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`, stdout for workflow commands).
//!
//! RESULTS may be missing (a `command` that writes none, a run that stopped on bad input): the
//! outputs, summary and comment then say what the exit code tells, and there is nothing to
//! annotate. A RESULTS or comparison that exists but cannot be read is bad input (exit 2).

use super::{bad_input, emit};
use crate::compare::Comparison;
use crate::diagnostic::Diagnostic;
use crate::report::github::{self, Context};
use crate::results::RunResults;
use clap::{Args, Subcommand};
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum GithubCommand {
    /// Print an `::error file=..,line=..,title=..::` workflow command per failing test that
    /// gates: broken floors and regression tests first, then cases.
    Annotations {
        /// The run's results.json.
        #[arg(value_name = "RESULTS")]
        results: PathBuf,
        /// The repository's root, which annotation paths are relative to
        /// [default: $GITHUB_WORKSPACE, else the current folder].
        #[arg(long, value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
    /// Append the action's outputs (results, passed, failed, errored, regressions, verdict,
    /// comparison, failed-tests) to $GITHUB_OUTPUT.
    Outputs {
        #[command(flatten)]
        run: RunFiles,
        /// The file to append to [default: $GITHUB_OUTPUT].
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
    },
    /// Append the Markdown report and the comparison to $GITHUB_STEP_SUMMARY, within the 1 MiB
    /// GitHub shows of a step's summary.
    Summary {
        #[command(flatten)]
        run: RunFiles,
        /// The file to append to [default: $GITHUB_STEP_SUMMARY].
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
    },
    /// Write the pull-request comment: a hidden marker, the comparison, the report, a footer.
    CommentBody {
        #[command(flatten)]
        run: RunFiles,
        /// The link to the workflow run, for the footer.
        #[arg(long, value_name = "URL")]
        run_url: Option<String>,
        /// The name of the artifact the action uploads; also tells this action's comment from
        /// another's on the same pull request.
        #[arg(long, value_name = "NAME", default_value = "evalgate-results")]
        artifact: String,
        /// Where to write the body.
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct RunFiles {
    /// The run's results.json (it may be missing).
    #[arg(value_name = "RESULTS")]
    results: PathBuf,
    /// The run's exit code.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    exit_code: i32,
    /// The comparison with the baseline, as `evalgate compare --json` wrote it.
    #[arg(long, value_name = "PATH")]
    comparison: Option<PathBuf>,
    /// Where the baseline came from, in words.
    #[arg(long, value_name = "TEXT")]
    baseline_note: Option<String>,
}

/// What [`RunFiles`] name, read.
struct Run {
    results: Option<RunResults>,
    comparison: Option<Comparison>,
    context: Context,
}

impl RunFiles {
    fn read(&self) -> Result<Run, Diagnostic> {
        let results = if self.results.exists() {
            Some(RunResults::read(&self.results).map_err(|problem| {
                Diagnostic::new(problem).hint("name the results.json that `evalgate run` wrote")
            })?)
        } else {
            None
        };
        let comparison = match &self.comparison {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| {
                    Diagnostic::new(format!("cannot read {}: {error}", path.display()))
                })?;
                Some(serde_json::from_str(&text).map_err(|error| {
                    Diagnostic::new(format!("{}: not a comparison: {error}", path.display()))
                        .hint("name the file `evalgate compare --json` wrote")
                })?)
            }
            None => None,
        };
        Ok(Run {
            results,
            comparison,
            context: Context {
                baseline: self.baseline_note.clone().filter(|n| !n.is_empty()),
                run_url: None,
                artifact: None,
                exit_code: self.exit_code,
            },
        })
    }
}

/// `evalgate github ...`.
pub fn github(command: &GithubCommand) -> ExitCode {
    let outcome = match command {
        GithubCommand::Annotations { results, workspace } => annotations(results, workspace),
        GithubCommand::Outputs { run, file } => outputs(run, file.as_deref()),
        GithubCommand::Summary { run, file } => summary(run, file.as_deref()),
        GithubCommand::CommentBody {
            run,
            run_url,
            artifact,
            out,
        } => comment_body(run, run_url.as_deref(), artifact, out),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => bad_input(&[problem]),
    }
}

fn annotations(results: &Path, workspace: &Option<PathBuf>) -> Result<(), Diagnostic> {
    if !results.exists() {
        return Ok(());
    }
    let results = RunResults::read(results).map_err(Diagnostic::new)?;
    let workspace = workspace
        .clone()
        .or_else(|| std::env::var_os("GITHUB_WORKSPACE").map(PathBuf::from))
        .filter(|w| !w.as_os_str().is_empty());
    let cwd = std::env::current_dir().unwrap_or_default();
    let workspace = workspace.unwrap_or_else(|| cwd.clone());
    let mut text = String::new();
    for annotation in github::annotations(&results, |file| repository_path(file, &cwd, &workspace))
    {
        text.push_str(&annotation.command());
        text.push('\n');
    }
    emit(&text);
    Ok(())
}

fn outputs(run: &RunFiles, file: Option<&Path>) -> Result<(), Diagnostic> {
    let read = run.read()?;
    let file = runner_file(file, "GITHUB_OUTPUT", "--file")?;
    let results_path = std::path::absolute(&run.results).unwrap_or_else(|_| run.results.clone());
    let outputs = github::outputs(
        read.results.as_ref(),
        &results_path.display().to_string(),
        run.exit_code,
        read.comparison.as_ref(),
    );
    let text = github::output_lines(&outputs, delimiter);
    append(&file, &text)
}

fn summary(run: &RunFiles, file: Option<&Path>) -> Result<(), Diagnostic> {
    let read = run.read()?;
    let file = runner_file(file, "GITHUB_STEP_SUMMARY", "--file")?;
    let used = std::fs::metadata(&file).map_or(0, |m| m.len() as usize);
    let room = github::SUMMARY_MAX_BYTES.saturating_sub(used + 1);
    let text = github::summary(
        read.results.as_ref(),
        read.comparison.as_ref(),
        &read.context,
        room,
    );
    append(&file, &text)
}

fn comment_body(
    run: &RunFiles,
    run_url: Option<&str>,
    artifact: &str,
    out: &Path,
) -> Result<(), Diagnostic> {
    let mut read = run.read()?;
    read.context.run_url = run_url.filter(|u| !u.is_empty()).map(str::to_string);
    read.context.artifact = Some(artifact.to_string());
    let body = github::comment(
        read.results.as_ref(),
        read.comparison.as_ref(),
        &read.context,
        &github::marker(artifact),
    );
    crate::files::write_atomically(out, body.as_bytes())
        .map_err(|error| Diagnostic::new(format!("--out: cannot write {}: {error}", out.display())))
}

/// The file a flag names, else the one the runner names in `variable`.
fn runner_file(flag: Option<&Path>, variable: &str, name: &str) -> Result<PathBuf, Diagnostic> {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os(variable).map(PathBuf::from))
        .filter(|p| !p.as_os_str().is_empty())
        .ok_or_else(|| {
            Diagnostic::new(format!("${variable} is not set")).hint(format!(
                "run this in a GitHub Actions step, or give {name} PATH"
            ))
        })
}

fn append(file: &Path, text: &str) -> Result<(), Diagnostic> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|error| Diagnostic::new(format!("cannot append to {}: {error}", file.display())))
}

/// A heredoc delimiter no one can guess: `ghadelimiter_` and 128 random bits.
fn delimiter() -> String {
    let random = || {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.finish()
    };
    format!("ghadelimiter_{:016x}{:016x}", random(), random())
}

/// A file as results.json names it (relative to the folder the run was in, `cwd`) as a path
/// relative to the repository's root, with `/`; as given when it lies outside.
fn repository_path(file: &str, cwd: &Path, workspace: &Path) -> String {
    let absolute = lexical(&cwd.join(file));
    let roots = [
        lexical(workspace),
        std::fs::canonicalize(workspace).unwrap_or_default(),
    ];
    let candidates = [
        absolute.clone(),
        std::fs::canonicalize(&absolute).unwrap_or_default(),
    ];
    for root in roots.iter().filter(|r| !r.as_os_str().is_empty()) {
        for candidate in &candidates {
            if let Ok(relative) = candidate.strip_prefix(root) {
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if !parts.is_empty() {
                    return parts.join("/");
                }
            }
        }
    }
    file.to_string()
}

/// `path` with `.` and `..` resolved without the file system.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_repository() {
        let ws = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let (ws, evals) = (ws.path(), ws.path().join("evals"));
        assert_eq!(
            repository_path("suites/a.toml", &evals, ws),
            "evals/suites/a.toml"
        );
        assert_eq!(
            repository_path("../shared/b.toml", &evals, ws),
            "shared/b.toml"
        );
        let outside = elsewhere.path().join("c.toml");
        let outside = outside.to_str().unwrap();
        assert_eq!(repository_path(outside, ws, ws), outside);
    }

    #[test]
    fn delimiters_differ() {
        let (a, b) = (delimiter(), delimiter());
        assert!(a.starts_with("ghadelimiter_") && a.len() == 45, "{a}");
        assert_ne!(a, b);
    }
}
