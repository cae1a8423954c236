//! `evalgate pending`, `accept`, `reject` and `review`: the snapshot review loop for projects
//! without Cargo, on the same files as cargo-insta (see [`crate::snapshot::review`]).

use super::{bad_input, emit};
use crate::snapshot::review::{self, Pending, Scan};
use crate::suite::{self, Functions, LoadOptions, Suite};
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct SnapshotArgs {
    /// Only the snapshots of tests whose name contains this.
    filter: Option<String>,
    /// Suite files or folders (searched recursively) whose snapshots to work on.
    #[arg(short, long = "path", value_name = "PATH", default_value = "suites")]
    paths: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct AcceptArgs {
    #[command(flatten)]
    snapshots: SnapshotArgs,
    /// Also delete orphans: accepted snapshots of cases that no longer exist.
    #[arg(long)]
    prune: bool,
}

/// The suites and what their snapshot folders hold.
fn scan(args: &SnapshotArgs) -> Result<(Vec<Suite>, Scan), ExitCode> {
    let files = suite::discover(&args.paths).map_err(|problems| bad_input(&problems))?;
    let loaded = suite::load(
        &files,
        &LoadOptions {
            functions: Functions::Unchecked,
        },
    );
    if !loaded.broken.is_empty() {
        return Err(bad_input(&loaded.problems()));
    }
    let scan = review::scan(&loaded.suites, &crate::snapshot::cli_workspace());
    Ok((loaded.suites, scan))
}

fn label(pending: &Pending) -> String {
    pending
        .test
        .clone()
        .unwrap_or_else(|| "(no such case)".to_string())
}

fn status(pending: &Pending) -> &'static str {
    if pending.accepted.is_file() {
        "changed"
    } else {
        "new"
    }
}

pub fn pending(args: &SnapshotArgs) -> ExitCode {
    let (_, scan) = match scan(args) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let chosen: Vec<&Pending> = scan
        .pending
        .iter()
        .filter(|p| review::chosen(p, args.filter.as_deref()))
        .collect();
    let mut text = String::new();
    for pending in &chosen {
        let file = crate::files::shown(&pending.file);
        text.push_str(&format!(
            "pending  {:<40} {file} ({})\n",
            label(pending),
            status(pending)
        ));
    }
    for orphan in &scan.orphans {
        text.push_str(&format!("orphan   {}\n", crate::files::shown(orphan)));
    }
    if chosen.is_empty() && scan.orphans.is_empty() {
        text.push_str("no pending snapshots\n");
    } else {
        text.push_str(&format!(
            "{} pending, {} orphaned; `evalgate review` to go through them, `evalgate accept` or `evalgate reject` for all, `evalgate accept --prune` to delete orphans\n",
            chosen.len(),
            scan.orphans.len()
        ));
    }
    emit(&text);
    ExitCode::SUCCESS
}

pub fn accept(args: &AcceptArgs) -> ExitCode {
    let (_, scan) = match scan(&args.snapshots) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let mut text = String::new();
    let mut failed = false;
    for pending in scan
        .pending
        .iter()
        .filter(|p| review::chosen(p, args.snapshots.filter.as_deref()))
    {
        match review::accept(pending) {
            Ok(()) => text.push_str(&format!(
                "accepted {} ({})\n",
                label(pending),
                crate::files::shown(&pending.accepted)
            )),
            Err(problem) => {
                eprintln!("error: {problem}");
                failed = true;
            }
        }
    }
    if args.prune {
        for orphan in &scan.orphans {
            match std::fs::remove_file(orphan) {
                Ok(()) => {
                    text.push_str(&format!("deleted orphan {}\n", crate::files::shown(orphan)))
                }
                Err(error) => {
                    eprintln!("error: cannot delete {}: {error}", orphan.display());
                    failed = true;
                }
            }
        }
    } else if !scan.orphans.is_empty() {
        text.push_str(&format!(
            "{} orphaned snapshots kept; `evalgate accept --prune` deletes them\n",
            scan.orphans.len()
        ));
    }
    if text.is_empty() {
        text.push_str("no pending snapshots\n");
    }
    emit(&text);
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

pub fn reject(args: &SnapshotArgs) -> ExitCode {
    let (_, scan) = match scan(args) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let mut text = String::new();
    let mut failed = false;
    for pending in scan
        .pending
        .iter()
        .filter(|p| review::chosen(p, args.filter.as_deref()))
    {
        match review::reject(pending) {
            Ok(()) => text.push_str(&format!(
                "rejected {} ({})\n",
                label(pending),
                crate::files::shown(&pending.file)
            )),
            Err(problem) => {
                eprintln!("error: {problem}");
                failed = true;
            }
        }
    }
    if text.is_empty() {
        text.push_str("no pending snapshots\n");
    }
    emit(&text);
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Goes through the pending snapshots one by one: what produced the output, the diff against the
/// accepted snapshot, then accept, reject or skip, read as a line from stdin (so a script can
/// answer too). End of input stops the review; what was not answered stays pending.
pub fn review(args: &SnapshotArgs) -> ExitCode {
    let (suites, scan) = match scan(args) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let chosen: Vec<&Pending> = scan
        .pending
        .iter()
        .filter(|p| review::chosen(p, args.filter.as_deref()))
        .collect();
    if chosen.is_empty() {
        emit("no pending snapshots\n");
        return ExitCode::SUCCESS;
    }
    let colour = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let stdin = std::io::stdin();
    let mut answers = stdin.lock().lines();
    let (mut accepted, mut rejected, mut skipped) = (0, 0, 0);
    for (number, pending) in chosen.iter().enumerate() {
        emit(&screen(pending, number + 1, chosen.len(), &suites, colour));
        let answer = loop {
            emit("accept (a), reject (r), skip (s), quit (q)? ");
            let _ = std::io::stdout().flush();
            match answers.next() {
                Some(Ok(line)) => match line.trim() {
                    "a" | "accept" => break 'a',
                    "r" | "reject" => break 'r',
                    "s" | "skip" | "" => break 's',
                    "q" | "quit" => break 'q',
                    _ => emit("answer a, r, s or q\n"),
                },
                _ => break 'q',
            }
        };
        let done = match answer {
            'a' => review::accept(pending).map(|()| accepted += 1),
            'r' => review::reject(pending).map(|()| rejected += 1),
            's' => {
                skipped += 1;
                Ok(())
            }
            _ => {
                emit("\n");
                break;
            }
        };
        if let Err(problem) = done {
            eprintln!("error: {problem}");
            return ExitCode::FAILURE;
        }
    }
    let left = chosen.len() - accepted - rejected;
    emit(&format!(
        "reviewed: {accepted} accepted, {rejected} rejected, {skipped} skipped; {left} still pending\n"
    ));
    ExitCode::SUCCESS
}

/// One pending snapshot as the review shows it.
fn screen(
    pending: &Pending,
    number: usize,
    total: usize,
    suites: &[Suite],
    colour: bool,
) -> String {
    let mut text = format!("\n── {} ({number} of {total}) ──\n", label(pending));
    text.push_str(&format!(
        "file:     {}\n",
        crate::files::shown(&pending.file)
    ));
    for (key, value) in review::describe(pending) {
        text.push_str(&format!("{:<10}{value}\n", format!("{key}:")));
    }
    if let Some(case) = pending
        .test
        .as_deref()
        .and_then(|test| find_case(suites, test))
    {
        let (suite, index) = case;
        let case = &suite.cases[index];
        text.push_str(&format!("input:    {:?}\n", case.input));
        text.push_str(&format!(
            "prompt:   {:?}\n",
            suite.prompt.render(&case.input, &case.vars)
        ));
    }
    let new = review::pending_text(pending).unwrap_or_default();
    match crate::snapshot::read_accepted(&pending.accepted) {
        None => {
            text.push_str("new snapshot:\n");
            for line in new.lines() {
                text.push_str(&paint(colour, "32", &format!("+ {line}")));
            }
        }
        Some(old) => {
            text.push_str("changed (- accepted, + new):\n");
            for line in crate::diff::inline(&old, &new).lines() {
                let code = if line.starts_with("- ") {
                    "31"
                } else if line.starts_with("+ ") {
                    "32"
                } else {
                    ""
                };
                text.push_str(&paint(colour, code, line));
            }
        }
    }
    text
}

fn paint(colour: bool, code: &str, line: &str) -> String {
    if colour && !code.is_empty() {
        format!("\x1b[{code}m{line}\x1b[0m\n")
    } else {
        format!("{line}\n")
    }
}

fn find_case<'a>(suites: &'a [Suite], test: &str) -> Option<(&'a Suite, usize)> {
    suites.iter().find_map(|suite| {
        (0..suite.cases.len())
            .find(|c| suite.case_test_name(*c) == test)
            .map(|c| (suite, c))
    })
}
