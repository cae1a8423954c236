//! `evalgate compare BASE HEAD`: two runs' results compared, suite by suite, with a verdict
//! from McNemar's exact test and a paired bootstrap (see [`crate::compare`]). The terminal
//! summary goes to stdout; `--markdown` and `--json` write files. Exit 1 when a suite
//! regressed, 0 otherwise, 2 for bad input (checked before anything is written).

use super::reports::same_file;
use super::{bad_input, emit};
use crate::compare::{CompareOptions, DEFAULT_ALPHA, Verdict, compare as compare_runs};
use crate::diagnostic::Diagnostic;
use crate::files::write_atomically;
use crate::report::compare::{MARKDOWN_MAX_BYTES, json, markdown, terminal};
use crate::report::style::{ColorChoice, Style};
use crate::results::{RunResults, check_writable};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The results.json of the run compared against (e.g. the base branch's).
    #[arg(value_name = "BASE")]
    base: PathBuf,
    /// The results.json of the run under review (e.g. the pull request's).
    #[arg(value_name = "HEAD")]
    head: PathBuf,
    /// Write the comparison as Markdown here, for a pull-request comment (under 60,000 bytes).
    #[arg(long, value_name = "PATH")]
    markdown: Option<PathBuf>,
    /// Write the comparison as JSON here: every flip, changed output, delta and test.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
    /// The significance level: a change counts when a test is significant at it.
    #[arg(long, value_name = "A", default_value_t = DEFAULT_ALPHA, allow_hyphen_values = true)]
    alpha: f64,
    /// Colour the summary: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,
}

const RESULTS_HINT: &str =
    "name a results.json that `evalgate run` wrote (by default target/evalgate/results.json)";

/// `evalgate compare`.
pub fn compare(args: &CompareArgs) -> ExitCode {
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        return bad_input(&[Diagnostic::new(format!(
            "--alpha must be between 0 and 1 (exclusive), not {}",
            args.alpha
        ))
        .hint("0.05 is the usual level; a smaller one asks for stronger evidence")]);
    }
    let outputs: Vec<(&str, &Path)> = [("--markdown", &args.markdown), ("--json", &args.json)]
        .into_iter()
        .filter_map(|(flag, path)| Some((flag, path.as_deref()?)))
        .collect();
    let mut taken: Vec<(&str, &Path)> = vec![("BASE", &args.base), ("HEAD", &args.head)];
    for &(flag, path) in &outputs {
        if let Some((other, _)) = taken.iter().find(|(_, p)| same_file(p, path)) {
            let hint = if other.starts_with("--") {
                "give each output its own file"
            } else {
                "write the comparison somewhere else: the results it reads stay as they are"
            };
            return bad_input(&[Diagnostic::new(format!(
                "{flag} and {other} both name {}",
                path.display()
            ))
            .hint(hint)]);
        }
        taken.push((flag, path));
    }
    let read =
        |path: &Path| RunResults::read(path).map_err(|e| Diagnostic::new(e).hint(RESULTS_HINT));
    let (base, head) = match (read(&args.base), read(&args.head)) {
        (Ok(base), Ok(head)) => (base, head),
        (base, head) => {
            let problems: Vec<Diagnostic> =
                [base.err(), head.err()].into_iter().flatten().collect();
            return bad_input(&problems);
        }
    };
    for &(flag, path) in &outputs {
        if let Err(error) = check_writable(path) {
            return bad_input(&[cannot_write(flag, path, &error)]);
        }
    }
    let mut comparison = compare_runs(
        &base,
        &head,
        &CompareOptions {
            alpha: args.alpha,
            ..CompareOptions::default()
        },
    );
    comparison.base.file = Some(args.base.display().to_string());
    comparison.head.file = Some(args.head.display().to_string());
    let mut written = String::new();
    for &(flag, path) in &outputs {
        let text = if flag == "--json" {
            json(&comparison)
        } else {
            markdown(&comparison, MARKDOWN_MAX_BYTES)
        };
        if let Err(error) = write_atomically(path, text.as_bytes()) {
            return bad_input(&[cannot_write(flag, path, &error)]);
        }
        written.push_str(&format!("{}: {}\n", &flag[2..], path.display()));
    }
    emit(&terminal(&comparison, Style::for_stdout(args.color)));
    emit(&written);
    if comparison.verdict == Verdict::Regressed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn cannot_write(flag: &str, path: &Path, error: &std::io::Error) -> Diagnostic {
    Diagnostic::new(format!("{flag}: cannot write {}: {error}", path.display()))
        .hint(format!("choose another place with {flag} PATH"))
}
