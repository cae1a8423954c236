//! `evalgate merge SHARD.json... -o results.json`: the results of a run's shards as one run's,
//! floors judged on every shard's cases, written and reported as `evalgate run` does.

use super::{bad_input, check_outputs, exit_code, publish, reports};
use crate::diagnostic::Diagnostic;
use crate::engine::Shard;
use crate::merge::ShardResults;
use crate::report::style::ColorChoice;
use crate::results::RunResults;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The results.json of every shard of the run (`evalgate run --shard I/N --out FILE`).
    #[arg(value_name = "SHARD.json", required = true)]
    shards: Vec<PathBuf>,
    /// Where to write the merged results.json [default: target/evalgate/results.json].
    #[arg(short = 'o', long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Colour the summary: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,
    #[command(flatten)]
    reports: reports::ReportPaths,
}

/// Merges the shards, writes results.json and the reports, prints the summary; exits 1 when a
/// gating case or floor of the merged run failed, 2 when the shards are not one run's or an
/// output cannot be written (nothing is written then).
pub fn merge(args: &MergeArgs) -> ExitCode {
    let out = args.out.clone().unwrap_or_else(super::default_results_path);
    let mut shards = Vec::new();
    let mut problems = Vec::new();
    for path in &args.shards {
        match RunResults::read(path) {
            Ok(results) => shards.push(ShardResults {
                path: path.clone(),
                results,
            }),
            Err(problem) => problems.push(Diagnostic::new(problem).hint(
                "name the results.json each shard wrote (`evalgate run --shard I/N --out FILE`)",
            )),
        }
    }
    if !problems.is_empty() {
        return bad_input(&problems);
    }
    for path in &args.shards {
        if same_file(path, &out) {
            return bad_input(&[Diagnostic::new(format!(
                "--out names a shard's results, {}",
                path.display()
            ))
            .hint("write the merged results to a file of their own with --out PATH")]);
        }
        if let Err(problem) = args.reports.check(Some(("SHARD", path))) {
            return bad_input(&[problem]);
        }
    }
    if let Err(code) = check_outputs(&out, &args.reports) {
        return code;
    }
    let results = match crate::merge::merge(shards) {
        Ok(results) => results,
        Err(problems) => return bad_input(&problems),
    };
    let note = format!(
        "merged {} shards; results: {}\n",
        args.shards.len(),
        out.display()
    );
    if let Err(code) = publish(
        &results,
        &out,
        args.color,
        &note,
        &args.reports,
        &std::collections::BTreeMap::new(),
    ) {
        return code;
    }
    exit_code(&results)
}

/// Whether two paths name one file that exists.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The line a shard's run prints under its summary: how many cases it ran of the whole run's,
/// and that its floors wait for the merge.
pub fn shard_note(shard: Shard, results: &RunResults) -> String {
    let here: usize = results.suites.iter().map(|s| s.cases.len()).sum();
    let all: usize = results
        .suites
        .iter()
        .filter_map(|s| s.shard_plan.as_ref())
        .map(|plan| plan.cases.len())
        .sum();
    let floors: usize = results
        .suites
        .iter()
        .filter_map(|s| s.shard_plan.as_ref())
        .map(|plan| plan.floors.len())
        .sum();
    let floors = match floors {
        0 => String::new(),
        1 => "; its floor is judged by `evalgate merge` on every shard's results".to_string(),
        n => format!("; its {n} floors are judged by `evalgate merge` on every shard's results"),
    };
    format!("shard {shard}: {here} of the run's {all} cases{floors}\n")
}
