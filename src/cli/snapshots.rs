//! `evalgate pending`, `accept`, `reject` and `review`: the snapshot review loop for projects
//! without Cargo, on the same files as cargo-insta (see [`crate::snapshot::review`]).

use super::{bad_input, emit};
use crate::diagnostic::Diagnostic;
use crate::report::style::{ColorChoice, Style};
use crate::snapshot::review::{self, Pending, Scan};
use crate::suite::{self, Functions, LoadOptions, Suite};
use clap::Args;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct PendingArgs {
    /// Suite files or folders (searched recursively) whose snapshots to list.
    #[arg(default_value = "suites")]
    paths: Vec<PathBuf>,
}

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

/// The suites and what the snapshot folders hold; a bad suite or an unreadable folder exits 2.
fn scan(paths: &[PathBuf]) -> Result<(Vec<Suite>, Scan), ExitCode> {
    let files = suite::discover(paths).map_err(|problems| bad_input(&problems))?;
    let loaded = suite::load(
        &files,
        &LoadOptions {
            functions: Functions::Unchecked,
        },
    );
    if !loaded.broken.is_empty() {
        return Err(bad_input(&loaded.problems()));
    }
    let workspace = crate::snapshot::cli_workspace(paths);
    let scan = review::scan(&loaded.suites, paths, &workspace)
        .map_err(|problem| bad_input(&[Diagnostic::new(problem)]))?;
    Ok((loaded.suites, scan))
}

fn describe(pending: &Pending) -> String {
    if pending.known {
        pending.test.clone()
    } else {
        format!("{} (no such case)", pending.test)
    }
}

fn status(pending: &Pending) -> &'static str {
    if pending.accepted.is_file() {
        "changed"
    } else {
        "new"
    }
}

pub fn pending(args: &PendingArgs) -> ExitCode {
    let (_, scan) = match scan(&args.paths) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let mut text = String::new();
    for pending in &scan.pending {
        let file = crate::files::shown(&pending.file);
        text.push_str(&format!(
            "pending  {:<40} {file} ({})\n",
            describe(pending),
            status(pending)
        ));
    }
    for orphan in &scan.orphans {
        text.push_str(&format!(
            "orphan   {:<40} {}\n",
            orphan.test,
            crate::files::shown(&orphan.file)
        ));
    }
    if scan.pending.is_empty() && scan.orphans.is_empty() {
        text.push_str("no pending snapshots\n");
    } else {
        text.push_str(&format!(
            "{} pending, {} orphaned; `evalgate review` goes through them, `evalgate accept` or \
             `evalgate reject` takes them all, `evalgate accept --prune` deletes the orphans\n",
            scan.pending.len(),
            scan.orphans.len()
        ));
    }
    emit(&text);
    ExitCode::SUCCESS
}

/// Applies `act` to each chosen pending snapshot, reporting each; the exit code says whether all
/// went through.
fn each(
    chosen: &[&Pending],
    verb: &str,
    act: fn(&Pending) -> Result<(), String>,
    text: &mut String,
) -> bool {
    let mut all = true;
    for pending in chosen {
        match act(pending) {
            Ok(()) => text.push_str(&format!(
                "{verb} {} ({})\n",
                describe(pending),
                crate::files::shown(&pending.accepted)
            )),
            Err(problem) => {
                eprintln!("error: {problem}");
                all = false;
            }
        }
    }
    all
}

pub fn accept(args: &AcceptArgs) -> ExitCode {
    let filter = args.snapshots.filter.as_deref();
    let (_, scan) = match scan(&args.snapshots.paths) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let chosen: Vec<&Pending> = scan
        .pending
        .iter()
        .filter(|p| review::chosen(&p.test, filter))
        .collect();
    let orphans: Vec<_> = scan
        .orphans
        .iter()
        .filter(|o| review::chosen(&o.test, filter))
        .collect();
    let mut text = String::new();
    let mut all = each(&chosen, "accepted", review::accept, &mut text);
    if args.prune {
        for orphan in &orphans {
            match std::fs::remove_file(&orphan.file) {
                Ok(()) => text.push_str(&format!(
                    "deleted orphan {}\n",
                    crate::files::shown(&orphan.file)
                )),
                Err(error) => {
                    eprintln!("error: cannot delete {}: {error}", orphan.file.display());
                    all = false;
                }
            }
        }
    } else if !orphans.is_empty() {
        text.push_str(&format!(
            "{} orphaned snapshots kept; `evalgate accept --prune` deletes them\n",
            orphans.len()
        ));
    }
    if chosen.is_empty() && orphans.is_empty() {
        text.push_str("no pending snapshots\n");
    }
    emit(&text);
    if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

pub fn reject(args: &SnapshotArgs) -> ExitCode {
    let (_, scan) = match scan(&args.paths) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let chosen: Vec<&Pending> = scan
        .pending
        .iter()
        .filter(|p| review::chosen(&p.test, args.filter.as_deref()))
        .collect();
    let mut text = String::new();
    let all = each(&chosen, "rejected", review::reject, &mut text);
    if chosen.is_empty() {
        text.push_str("no pending snapshots\n");
    }
    emit(&text);
    if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Goes through the pending snapshots one by one: where the output came from, the diff against
/// the accepted snapshot, then accept, reject or skip, read as a line from stdin (so a script
/// can answer too). End of input stops the review; what was not answered stays pending.
pub fn review(args: &SnapshotArgs) -> ExitCode {
    let (_, scan) = match scan(&args.paths) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let chosen: Vec<&Pending> = scan
        .pending
        .iter()
        .filter(|p| review::chosen(&p.test, args.filter.as_deref()))
        .collect();
    if chosen.is_empty() {
        emit("no pending snapshots\n");
        return ExitCode::SUCCESS;
    }
    let style = Style::for_stdout(ColorChoice::Auto);
    let stdin = std::io::stdin();
    let mut answers = stdin.lock().lines();
    let (mut accepted, mut rejected, mut skipped) = (0, 0, 0);
    for (number, pending) in chosen.iter().enumerate() {
        let screen = match screen(pending, number + 1, chosen.len(), style) {
            Ok(screen) => screen,
            Err(problem) => {
                eprintln!("error: {problem}");
                return ExitCode::FAILURE;
            }
        };
        emit(&screen);
        let answer = loop {
            emit("accept (a), reject (r), skip (s), quit (q)? ");
            let _ = std::io::stdout().flush();
            match answers.next() {
                Some(Ok(line)) => match line.trim().to_lowercase().as_str() {
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

/// One pending snapshot as the review shows it: its header as insta wrote it, then the new text
/// or the diff against the accepted one.
fn screen(pending: &Pending, number: usize, total: usize, style: Style) -> Result<String, String> {
    let mut text = format!("\n── {} ({number} of {total}) ──\n", describe(pending));
    text.push_str(&format!("file: {}\n", crate::files::shown(&pending.file)));
    for line in review::header(pending) {
        text.push_str(&line);
        text.push('\n');
    }
    let new = review::pending_text(pending)?;
    match crate::snapshot::read_snapshot(&pending.accepted)? {
        None => {
            text.push_str("new snapshot:\n");
            for line in new.lines() {
                text.push_str(&style.diff_line(&format!("+ {line}")));
                text.push('\n');
            }
        }
        Some(old) => {
            text.push_str("changed: [-removed-] {+added+}; - accepted, + new lines:\n");
            for line in crate::diff::inline(&old, &new).lines() {
                text.push_str(&style.diff_line(line));
                text.push('\n');
            }
        }
    }
    Ok(text)
}
