//! `evalgate repro SUITE::CASE`: runs one case and shows the whole exchange, what was sent and
//! what came back and how it was judged, so a failure can be understood without reading code.
//! The answer comes from the suite's cassette unless `--live` asks for the model itself.

use super::{bad_input, emit, load, session_of};
use crate::cassette::Mode;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::diff::fenced;
use crate::engine::{Answer, CaseOutcome, Verdict};
use crate::judge::{self, Judgement};
use crate::report::style::{ColorChoice, Style};
use crate::report::terminal_safe;
use crate::suite::{Suite, number};
use clap::Args;
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ReproArgs {
    /// The case's test name, SUITE::CASE, as test output and results.json name it.
    test: String,
    /// Suite files or folders (searched recursively).
    #[arg(default_value = "suites")]
    paths: Vec<PathBuf>,
    /// Call the model instead of replaying the suite's cassette; nothing is recorded.
    #[arg(long)]
    live: bool,
    /// Colour the verdicts: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,
}

pub fn repro(args: &ReproArgs) -> ExitCode {
    let suites = match load(&args.paths) {
        Ok(suites) => suites,
        Err(problems) => return bad_input(&problems),
    };
    let (suite, case) = match find(suites, &args.test) {
        Ok(found) => found,
        Err(problem) => return bad_input(&[problem]),
    };
    let cassette = suite.cassette.clone().filter(|_| !args.live);
    let mode = if args.live { Mode::Off } else { Mode::Replay };
    let session = match session_of(vec![suite], mode, &args.paths) {
        Ok(session) => session.include_ignored(true),
        Err(problems) => return bad_input(&problems),
    };
    let outcome = session.outcome(0, case);
    let suite = session.suite(0);
    let source = match &cassette {
        Some(cassette) => format!("replayed from {}", cassette.display()),
        None => "the model, called now".to_string(),
    };
    let style = Style::for_stdout(args.color);
    emit(&exchange(suite, case, outcome, &source, style));
    match outcome.verdict(&suite.cases[case]) {
        Verdict::Pass => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}

/// The suite and the index of the case named `test`, or what is wrong with the name.
fn find(suites: Vec<Suite>, test: &str) -> Result<(Suite, usize), Diagnostic> {
    let names: Vec<String> = suites
        .iter()
        .flat_map(|s| (0..s.cases.len()).map(|c| s.case_test_name(c)))
        .collect();
    let found = suites.into_iter().find_map(|suite| {
        let case = (0..suite.cases.len()).find(|c| suite.case_test_name(*c) == test)?;
        Some((suite, case))
    });
    found.ok_or_else(|| {
        let floor = test.contains("::floor::");
        let hint = match did_you_mean(test, names.iter().map(String::as_str)) {
            _ if floor => format!(
                "repro shows one case; a floor is judged over every case of its suite: \
                 `evalgate run --exact -f {test}` runs it again"
            ),
            Some(guess) => format!("did you mean `{guess}`?"),
            None if !test.contains("::") => {
                "name the case as SUITE::CASE; `evalgate list` prints them".to_string()
            }
            None => "`evalgate list` prints the test names".to_string(),
        };
        Diagnostic::new(format!("no case is named `{test}`")).hint(hint)
    })
}

/// The exchange of one case as text: the request, the raw answer and its judgement.
fn exchange(
    suite: &Suite,
    index: usize,
    outcome: &CaseOutcome,
    source: &str,
    style: Style,
) -> String {
    let case = &suite.cases[index];
    let request = suite.request(index);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}  ({}:{})",
        style.bold(&suite.case_test_name(index)),
        case.source.file.display(),
        case.source.line
    );
    let _ = writeln!(
        text,
        "model:      {} {}",
        suite.model.provider(),
        suite.model.identity()
    );
    let _ = writeln!(text, "parameters: {}", suite.model.parameters());
    let _ = writeln!(text, "answer:     {source}");
    if let Some(reason) = &case.ignore {
        let _ = writeln!(text, "ignored:    {reason}");
    }
    let _ = writeln!(text, "\ninput:");
    let _ = writeln!(text, "{}", fenced(&terminal_safe(&request.input)));
    if !request.vars.is_empty() {
        let _ = writeln!(text, "vars:");
        for (name, value) in &request.vars {
            let _ = writeln!(text, "  {name} = {value:?}");
        }
    }
    let _ = writeln!(text, "prompt, as sent:");
    let _ = writeln!(text, "{}", fenced(&terminal_safe(&request.prompt)));
    match &outcome.result {
        Err(error) => {
            let _ = writeln!(text, "\n{} {error}", style.red("no answer:"));
            if let Some(attempts) = Some(error.attempts).filter(|a| *a > 0) {
                let _ = writeln!(text, "attempts:   {attempts}");
            }
        }
        Ok(answer) => judged(&mut text, suite, index, answer, style),
    }
    let _ = writeln!(
        text,
        "latency:    {} ms",
        number(outcome.latency.as_secs_f64() * 1000.0)
    );
    let verdict = match outcome.verdict(case) {
        Verdict::Pass => style.green("pass"),
        Verdict::Fail => style.red("fail"),
        Verdict::Error => style.red("error"),
    };
    let _ = writeln!(text, "verdict:    {verdict}");
    text
}

/// The raw output and everything judged from it.
fn judged(text: &mut String, suite: &Suite, index: usize, answer: &Answer, style: Style) {
    let case = &suite.cases[index];
    let reply = &answer.reply;
    let _ = writeln!(text, "\noutput, raw:");
    let _ = writeln!(text, "{}", fenced(&terminal_safe(&reply.output)));
    if let Some(usage) = &reply.usage {
        let _ = writeln!(
            text,
            "usage:      {} prompt + {} completion = {} tokens",
            usage.prompt_tokens, usage.completion_tokens, usage.total_tokens
        );
    }
    if let Some(reason) = &reply.finish_reason {
        let _ = writeln!(text, "finish:     {reason}");
    }
    if let Some(fingerprint) = &reply.system_fingerprint {
        let _ = writeln!(text, "system:     {fingerprint}");
    }
    match &answer.judgement {
        Judgement::Label(predicted) => {
            let predicted = predicted.map_or("<invalid>", |p| suite.labels[p].as_str());
            let expected = case.expected.map_or("?", |e| suite.labels[e].as_str());
            if let Some(pattern) = &suite.label_pattern {
                let _ = writeln!(text, "pattern:    {}", pattern.as_str());
            }
            let mark = if answer.judgement.passed(case) {
                style.green("✓")
            } else {
                style.red("✗")
            };
            let _ = writeln!(text, "label:      {mark} {predicted} (expected {expected})");
        }
        Judgement::Checks { failed, similarity } => {
            let declared = judge::declared(&case.checks);
            if declared.is_empty() {
                let _ = writeln!(
                    text,
                    "checks:     none (the case passes when the model answers)"
                );
            } else {
                let _ = writeln!(text, "checks:");
            }
            for check in declared {
                match failed.iter().find(|f| f.check == check) {
                    Some(failure) => {
                        let detail = terminal_safe(&failure.detail);
                        let _ = writeln!(text, "  {} {check}: {detail}", style.red("✗"));
                    }
                    None => {
                        let _ = writeln!(text, "  {} {check}", style.green("✓"));
                    }
                }
            }
            if let Some(similarity) = similarity {
                let _ = writeln!(
                    text,
                    "scores:     sentence chrF {}, sentence BLEU {} (against {} reference{})",
                    number(similarity.chrf),
                    number(similarity.bleu),
                    case.references.len(),
                    if case.references.len() == 1 { "" } else { "s" }
                );
                let closest = &case.references[similarity.closest];
                let _ = writeln!(text, "closest reference:");
                let _ = writeln!(text, "{}", fenced(&terminal_safe(closest)));
                let _ = writeln!(
                    text,
                    "diff:       {}",
                    style.diff_line(&terminal_safe(&crate::diff::inline(
                        closest.trim(),
                        reply.output.trim()
                    )))
                );
            }
        }
    }
    match &answer.snapshot {
        Some(snapshot) if snapshot.passed => {
            let _ = writeln!(
                text,
                "snapshot:   matches {}",
                crate::files::shown(&snapshot.file)
            );
        }
        Some(snapshot) => {
            let _ = writeln!(
                text,
                "snapshot:   {} ({})",
                style.red(snapshot.status()),
                crate::files::shown(&snapshot.file)
            );
        }
        None => {}
    }
}
