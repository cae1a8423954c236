//! Failure messages: everything a user needs to understand a failed test, in the one string
//! libtest shows (it captures no output).
//!
//! A case message gives expected against actual with an inline diff, the input, the output and
//! the command that re-runs exactly that case. A floor message gives the metric, its value, the
//! bound, and the cases that pulled it down.

use super::{Answer, CaseOutcome, Evaluation, Verdict};
use crate::judge::{Judgement, Similarity};
use crate::metrics::translation;
use crate::snapshot::SnapshotCheck;
use crate::suite::{Case, Metric, Score, SourceLine, Suite, number};
use std::fmt::Write;

/// How many offending cases a floor message lists.
const SHOWN_OFFENDERS: usize = 10;
/// How many characters of an input or output a message shows.
const SHOWN_CHARS: usize = 2000;

/// How the user re-runs one test, which depends on the face that runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repro {
    /// `cargo test [-p PACKAGE] --test TARGET -- --exact NAME`
    Cargo {
        package: Option<String>,
        target: String,
    },
    /// `evalgate run SUITE_FILE --exact --filter NAME`; `paths` are the suite paths the run was
    /// given, for the review command.
    Cli { paths: Vec<std::path::PathBuf> },
}

impl Repro {
    /// The command that reviews pending snapshots in this face.
    pub fn review_command(&self) -> String {
        match self {
            Repro::Cargo { .. } => "cargo insta review".to_string(),
            Repro::Cli { paths } => {
                let mut command = "evalgate review".to_string();
                if paths.as_slice() != [std::path::PathBuf::from("suites")] {
                    for path in paths {
                        command
                            .push_str(&format!(" -p {}", shell_word(&path.display().to_string())));
                    }
                }
                command
            }
        }
    }
    /// The command that runs exactly `test`; `ignored` adds the flag an ignored case needs.
    pub fn command(&self, suite: &Suite, test: &str, ignored: bool) -> String {
        let include = if ignored { " --include-ignored" } else { "" };
        match self {
            Repro::Cargo { package, target } => {
                let package = package
                    .as_ref()
                    .map_or(String::new(), |p| format!(" -p {}", shell_word(p)));
                format!(
                    "cargo test{package} --test {} -- --exact {}{include}",
                    shell_word(target),
                    shell_word(test)
                )
            }
            Repro::Cli { .. } => format!(
                "evalgate run {} --exact --filter {}{include}",
                shell_word(&suite.file.display().to_string()),
                shell_word(test)
            ),
        }
    }
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

pub fn case_failure(suite: &Suite, index: usize, outcome: &CaseOutcome, repro: &Repro) -> String {
    let case = &suite.cases[index];
    let mut text = String::new();
    let missed;
    let outcome = if outcome.repetitions.is_empty() {
        outcome
    } else {
        // A repeated case: how often it passed, then its first run that did not.
        let (passes, runs) = (outcome.passes(case), outcome.run_count());
        let _ = writeln!(
            text,
            "passed {passes} of {runs} runs: pass rate {}, below min_pass_rate {}{}",
            crate::suite::number(passes as f64 / runs as f64),
            crate::suite::number(outcome.min_pass_rate),
            if outcome.flaky(case) {
                " (flaky: its runs disagree)"
            } else {
                ""
            }
        );
        missed = outcome.first_miss(case);
        match &missed {
            Some(first) => {
                let _ = writeln!(text, "the first run that did not pass:");
                first
            }
            None => outcome,
        }
    };
    match (&outcome.result, outcome.verdict(case)) {
        (Err(error), _) => {
            let _ = writeln!(text, "the model call failed: {error}");
        }
        (Ok(answer), Verdict::Fail) => match &answer.judgement {
            _ if answer.judgement.passed(case) => {}
            Judgement::Label(predicted) => {
                let expected = case.expected.map_or("?", |e| suite.labels[e].as_str());
                let actual = match predicted {
                    Some(p) => suite.labels[*p].clone(),
                    None => format!(
                        "<invalid> (the output names none of: {})",
                        suite.labels.join(", ")
                    ),
                };
                let _ = writeln!(text, "expected: {expected}");
                let _ = writeln!(text, "actual:   {actual}");
                let _ = writeln!(
                    text,
                    "diff:     {}",
                    crate::diff::inline(expected, answer.output().trim())
                );
                let _ = writeln!(text, "output:   {}", quoted(answer.output()));
            }
            Judgement::Checks { failed, similarity } => {
                let total = case.checks_count();
                let _ = writeln!(text, "{} of {total} checks failed:", failed.len());
                for failure in failed {
                    let _ = writeln!(text, "  ✗ {}: {}", failure.check, failure.detail);
                }
                match similarity {
                    Some(similarity) => against_reference(&mut text, case, similarity, answer),
                    None => {
                        let _ = writeln!(text, "output:");
                        let _ = writeln!(text, "{}", block(answer.output()));
                    }
                }
            }
        },
        (Ok(_), _) => {}
    }
    if let Some(snapshot) = outcome
        .answer()
        .and_then(|a| a.snapshot.as_ref())
        .filter(|s| !s.passed)
    {
        snapshot_failure(&mut text, snapshot, repro);
    }
    let _ = writeln!(text, "input:    {}", quoted(&case.input));
    let rerun = repro.command(suite, &suite.case_test_name(index), case.ignore.is_some());
    if outcome
        .result
        .as_ref()
        .is_err_and(|e| e.missing_from.is_some())
    {
        let _ = writeln!(text, "record:   EVALGATE_CASSETTE=record {rerun}");
    }
    footer(text, "case", &case.source, &rerun)
}

/// The output against the closest of the case's references, with an inline diff and the
/// output's sentence scores.
fn against_reference(text: &mut String, case: &Case, similarity: &Similarity, answer: &Answer) {
    let reference = case.references[similarity.closest].trim();
    let output = answer.output().trim();
    let which = if case.references.len() > 1 {
        format!(
            " (the closest of {}: number {})",
            case.references.len(),
            similarity.closest + 1
        )
    } else {
        String::new()
    };
    let single_line = !reference.contains('\n') && !output.contains('\n');
    if single_line {
        let _ = writeln!(text, "reference: {}{which}", quoted(reference));
        let _ = writeln!(text, "output:    {}", quoted(output));
        let _ = writeln!(
            text,
            "diff:      {}",
            crate::diff::inline(reference, output)
        );
    } else {
        let _ = writeln!(text, "reference{which}:");
        let _ = writeln!(text, "{}", block(reference));
        let _ = writeln!(text, "output:");
        let _ = writeln!(text, "{}", block(output));
        let _ = writeln!(text, "diff:");
        let _ = writeln!(
            text,
            "{}",
            crate::diff::indent(&crate::diff::inline(reference, output))
        );
    }
    let _ = writeln!(
        text,
        "scores:    sentence chrF {}, sentence BLEU {}",
        number(similarity.chrf),
        number(similarity.bleu)
    );
}

/// What is wrong with a case's snapshot: new or changed (with the diff), whether a pending
/// snapshot was written, and how to review it.
fn snapshot_failure(text: &mut String, snapshot: &SnapshotCheck, repro: &Repro) {
    let file = crate::files::shown(&snapshot.file);
    if let Some(error) = &snapshot.error {
        let _ = writeln!(text, "snapshot: insta could not check {file}: {error}");
        return;
    }
    match &snapshot.accepted {
        None => {
            let _ = writeln!(text, "snapshot: new, nothing accepted yet at {file}:");
            let _ = writeln!(text, "{}", block(&snapshot.current));
        }
        Some(accepted) => {
            let _ = writeln!(
                text,
                "snapshot: the output changed from the accepted {file}:"
            );
            let diff = crate::diff::inline(accepted, &snapshot.current);
            let _ = writeln!(text, "{}", crate::diff::indent(&diff));
        }
    }
    match &snapshot.pending {
        Some(pending) => {
            let pending = crate::files::shown(pending);
            let _ = writeln!(
                text,
                "pending:  {pending} (review: {})",
                repro.review_command()
            );
        }
        None => {
            let _ = writeln!(
                text,
                "pending:  none written (in CI insta writes nothing; INSTA_UPDATE=new writes it), then {}",
                repro.review_command()
            );
        }
    }
}

/// Where the failing case or floor is declared and how to re-run it: every message ends so.
fn footer(mut text: String, what: &str, source: &SourceLine, rerun: &str) -> String {
    let _ = writeln!(
        text,
        "{:<10}{}:{}",
        format!("{what}:"),
        source.file.display(),
        source.line
    );
    let _ = write!(text, "rerun:    {rerun}");
    text
}

pub fn floor_failure(
    suite: &Suite,
    index: usize,
    evaluation: &Evaluation,
    outcomes: &[(usize, &CaseOutcome)],
    repro: &Repro,
) -> String {
    let floor = &suite.floors[index];
    let verdict = &evaluation.floors[index];
    let metrics = &evaluation.metrics;
    let mut text = String::new();
    match (verdict.value, verdict.judged) {
        (Some(value), Some(judged)) if judged != value => {
            let interval = &metrics.intervals()[&floor.name];
            let _ = writeln!(
                text,
                "{} = {}, {}% interval [{}, {}], whose {} end {} breaks its floor {} \
                 (floor_mode = \"lower_bound\")",
                floor.name,
                floor.bound.show_value(value),
                crate::suite::number(metrics.confidence * 100.0),
                crate::suite::number(interval.low),
                crate::suite::number(interval.high),
                if judged == interval.low {
                    "low"
                } else {
                    "high"
                },
                floor.bound.show_value(judged),
                floor.bound.describe()
            );
        }
        (Some(value), _) => {
            let _ = writeln!(
                text,
                "{} = {}, which breaks its floor {}",
                floor.name,
                floor.bound.show_value(value),
                floor.bound.describe()
            );
        }
        (None, _) => {
            let why = if floor.metric == Metric::TokensTotal {
                "the model's provider reports no token usage".to_string()
            } else if metrics.answered == 0 {
                format!(
                    "no counted case produced an output ({} counted)",
                    metrics.cases
                )
            } else {
                "the metric is not defined for these results".to_string()
            };
            let _ = writeln!(text, "{} has no value: {why}", floor.name);
        }
    }
    let errored = metrics.cases - metrics.answered;
    let _ = writeln!(
        text,
        "counted {} cases ({} answered, {} errored)",
        metrics.cases, metrics.answered, errored
    );
    let (title, offenders) = offenders(suite, floor.metric, outcomes);
    if !offenders.is_empty() {
        let shown = offenders.len().min(SHOWN_OFFENDERS);
        let more = if offenders.len() > shown {
            format!(", the first {shown}")
        } else {
            String::new()
        };
        let _ = writeln!(text, "{} {title}{more}:", offenders.len());
        for line in &offenders[..shown] {
            let _ = writeln!(text, "  {line}");
        }
    }
    let rerun = repro.command(suite, &suite.floor_test_name(index), false);
    footer(text, "floor", &floor.source, &rerun)
}

/// The cases that pull a metric down, as lines for a floor message.
fn offenders(
    suite: &Suite,
    metric: Metric,
    outcomes: &[(usize, &CaseOutcome)],
) -> (String, Vec<String>) {
    let name = |case: usize| suite.case_test_name(case);
    match metric {
        Metric::ErrorRate => {
            let lines = outcomes
                .iter()
                .filter_map(|(case, o)| o.result.as_ref().err().map(|e| (case, e)))
                .map(|(case, error)| format!("{}  {}", name(*case), first_line(&error.message)))
                .collect();
            ("cases errored".to_string(), lines)
        }
        Metric::LatencyP50 | Metric::LatencyP95 | Metric::LatencyMax | Metric::TokensTotal => {
            let mut slowest: Vec<_> = outcomes.to_vec();
            slowest.sort_by_key(|(_, o)| std::cmp::Reverse(o.latency));
            let lines = slowest
                .iter()
                .map(|(case, o)| {
                    format!(
                        "{}  {} ms",
                        name(*case),
                        number(o.latency.as_secs_f64() * 1000.0)
                    )
                })
                .collect();
            ("cases by latency, slowest first".to_string(), lines)
        }
        Metric::PassRate => {
            let lines = outcomes
                .iter()
                .filter_map(|(case, o)| match o.answer().map(|a| &a.judgement) {
                    Some(Judgement::Checks { failed, .. }) if !failed.is_empty() => Some(format!(
                        "{}  {}: {}",
                        name(*case),
                        failed[0].check,
                        first_line(&failed[0].detail)
                    )),
                    _ => None,
                })
                .collect();
            ("cases failed their checks".to_string(), lines)
        }
        Metric::Bleu | Metric::Chrf | Metric::ChrfPlusPlus | Metric::Ter => {
            // Each corpus metric's offenders are the cases with the worst sentence score of the
            // same metric. chrF++ and TER are computed only here, when their floor broke.
            let (score_name, worst_first): (&str, fn(&f64, &f64) -> std::cmp::Ordering) =
                match metric {
                    Metric::Bleu => ("BLEU", |a, b| a.total_cmp(b)),
                    Metric::Chrf => ("chrF", |a, b| a.total_cmp(b)),
                    Metric::ChrfPlusPlus => ("chrF++", |a, b| a.total_cmp(b)),
                    _ => ("TER", |a, b| b.total_cmp(a)),
                };
            let sentence_score = |case: usize, output: &str, similarity: &Similarity| {
                let references: Vec<&str> = suite.cases[case]
                    .references
                    .iter()
                    .map(String::as_str)
                    .collect();
                match metric {
                    Metric::Bleu => similarity.bleu,
                    Metric::Chrf => similarity.chrf,
                    Metric::ChrfPlusPlus => translation::sentence_chrf(output, &references, 2),
                    _ => translation::sentence_ter(output, &references).score,
                }
            };
            let mut scored: Vec<(usize, f64, &str)> = outcomes
                .iter()
                .filter_map(|(case, o)| {
                    let answer = o.answer()?;
                    let Judgement::Checks {
                        similarity: Some(similarity),
                        ..
                    } = &answer.judgement
                    else {
                        return None;
                    };
                    let score = sentence_score(*case, answer.output(), similarity);
                    Some((*case, score, answer.output()))
                })
                .collect();
            scored.sort_by(|a, b| worst_first(&a.1, &b.1));
            let lines = scored
                .iter()
                .map(|(case, score, output)| {
                    format!(
                        "{}  {score_name} {}  {}",
                        name(*case),
                        number(*score),
                        quoted_short(output)
                    )
                })
                .collect();
            let order = if metric == Metric::Ter {
                "highest"
            } else {
                "lowest"
            };
            (
                format!("cases by sentence {score_name}, {order} first"),
                lines,
            )
        }
        Metric::Support { .. } => (String::new(), Vec::new()),
        _ => {
            let (label, score) = match metric {
                Metric::PerLabel { score, label } => (Some(label), Some(score)),
                Metric::Binary(score) => (suite.positive_label, Some(score)),
                _ => (None, None),
            };
            let offends = |expected: usize, predicted: Option<usize>| match (label, score) {
                (Some(l), Some(Score::Recall)) => expected == l,
                (Some(l), Some(Score::Precision)) => predicted == Some(l),
                (Some(l), _) => expected == l || predicted == Some(l),
                (None, _) => true,
            };
            let lines = outcomes
                .iter()
                .filter_map(|(case, o)| {
                    let expected = suite.cases[*case].expected?;
                    let Judgement::Label(predicted) = o.answer()?.judgement else {
                        return None;
                    };
                    (predicted != Some(expected) && offends(expected, predicted)).then(|| {
                        let predicted = predicted.map_or("<invalid>", |p| suite.labels[p].as_str());
                        format!(
                            "{}  expected {}, predicted {}  {}",
                            name(*case),
                            suite.labels[expected],
                            predicted,
                            quoted_short(&suite.cases[*case].input)
                        )
                    })
                })
                .collect();
            let title = match (label, score) {
                (Some(l), Some(Score::Recall)) => {
                    format!("`{}` cases were predicted otherwise", suite.labels[l])
                }
                (Some(l), Some(Score::Precision)) => {
                    format!("cases predicted `{}` expected otherwise", suite.labels[l])
                }
                (Some(l), _) => format!("cases misclassified to or from `{}`", suite.labels[l]),
                _ => "cases misclassified".to_string(),
            };
            (title, lines)
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

fn truncated(text: &str, limit: usize) -> String {
    let count = text.chars().count();
    if count <= limit {
        return text.to_string();
    }
    let kept: String = text.chars().take(limit).collect();
    format!("{kept}… ({} more characters)", count - limit)
}

fn quoted(text: &str) -> String {
    format!("{:?}", truncated(text, SHOWN_CHARS))
}

fn quoted_short(text: &str) -> String {
    format!("{:?}", truncated(text, 60))
}

/// Multi-line text, indented and fenced with `|` so blank lines and whitespace stay visible.
fn block(text: &str) -> String {
    crate::diff::fenced(&truncated(text, SHOWN_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("sentiment::tweet-17"), "sentiment::tweet-17");
        assert_eq!(shell_word("my suites/a.toml"), "'my suites/a.toml'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    #[test]
    fn long_text_is_truncated_with_a_count() {
        assert_eq!(truncated("abcdef", 3), "abc… (3 more characters)");
        assert_eq!(block("a\n\nb"), "  | a\n  | \n  | b");
    }
}
