//! Failure messages: everything a user needs to understand a failed test, in the one string
//! libtest shows (it captures no output).
//!
//! A case message gives expected against actual with an inline diff, the input, the output and
//! the command that re-runs exactly that case. A floor message gives the metric, its value, the
//! bound, and the cases that pulled it down.

use super::{Answer, CaseOutcome, Evaluation, Verdict};
use crate::judge::{Judgement, Similarity};
use crate::metrics::resample::Interval;
use crate::metrics::translation;
use crate::snapshot::SnapshotCheck;
use crate::suite::{Bound, Case, Metric, Score, Suite, number};
use std::borrow::Cow;
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
    footer(
        text,
        "case",
        &case.source.file.display(),
        case.source.line,
        &rerun,
    )
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
fn footer(
    mut text: String,
    what: &str,
    file: &dyn std::fmt::Display,
    line: usize,
    rerun: &str,
) -> String {
    let _ = writeln!(text, "{:<10}{file}:{line}", format!("{what}:"));
    let _ = write!(text, "rerun:    {rerun}");
    text
}

/// What a broken floor's message says besides its cases: the metric, its figures, where the
/// floor is declared and the command that judges it again. The engine fills it from a suite's
/// metrics, `evalgate merge` from merged results; [`floor_message`] writes the same message
/// from either.
pub struct BrokenFloor<'a> {
    /// The metric's name, as in `[floors]`.
    pub name: &'a str,
    /// The metric, when the name parses.
    pub metric: Option<Metric>,
    pub bound: &'a Bound,
    pub value: Option<f64>,
    pub judged: Option<f64>,
    /// The metric's interval, when the floor was judged on it (`floor_mode = "lower_bound"`).
    pub interval: Option<&'a Interval>,
    /// The level of the interval, e.g. 0.95.
    pub confidence: f64,
    /// Cases counted, and of those, the cases whose model call produced an output.
    pub cases: usize,
    pub answered: usize,
    /// The suite's labels and positive label (classify), to name misclassified cases.
    pub labels: &'a [String],
    pub positive_label: Option<usize>,
    /// The suite file that declares the floor, and the floor's line in it.
    pub file: &'a dyn std::fmt::Display,
    pub line: usize,
    pub rerun: String,
}

/// What a floor message reads of one counted case to list it among the cases that pulled the
/// metric down: from a case's outcome (the engine) or its results (`evalgate merge`).
pub struct CaseView<'a> {
    pub test: Cow<'a, str>,
    pub input: &'a str,
    /// Why the (first) model call failed.
    pub error: Option<&'a str>,
    /// The (first) model call's latency.
    pub latency_ms: f64,
    /// The first check that failed, `(check, detail)`, when the first run answered.
    pub failed_check: Option<(&'a str, &'a str)>,
    /// The output's sentence scores, when the first run answered and was scored against
    /// references.
    pub sentence: Option<SentenceView<'a>>,
    /// The labels, when the first run of a classify case answered.
    pub label: Option<LabelView<'a>>,
}

pub struct SentenceView<'a> {
    pub bleu: f64,
    pub chrf: f64,
    pub output: &'a str,
    pub references: &'a [String],
}

pub struct LabelView<'a> {
    /// The expected label's index.
    pub expected: usize,
    /// The predicted label's index; `None` when the output names no label.
    pub predicted: Option<usize>,
    /// The predicted label as the message shows it (`<invalid>` for none).
    pub predicted_name: &'a str,
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
    // The interval only when the floor was judged on it (computing it is a bootstrap).
    let interval = (verdict.judged != verdict.value)
        .then(|| metrics.intervals().get(&floor.name))
        .flatten();
    let cases: Vec<CaseView> = outcomes
        .iter()
        .map(|(case, outcome)| case_view(suite, *case, outcome))
        .collect();
    floor_message(
        &BrokenFloor {
            name: &floor.name,
            metric: Some(floor.metric),
            bound: &floor.bound,
            value: verdict.value,
            judged: verdict.judged,
            interval,
            confidence: metrics.confidence,
            cases: metrics.cases,
            answered: metrics.answered,
            labels: &suite.labels,
            positive_label: suite.positive_label,
            file: &floor.source.file.display(),
            line: floor.source.line,
            rerun: repro.command(suite, &suite.floor_test_name(index), false),
        },
        &cases,
    )
}

/// What a floor message reads of case `index`'s outcome.
fn case_view<'a>(suite: &'a Suite, index: usize, outcome: &'a CaseOutcome) -> CaseView<'a> {
    let case = &suite.cases[index];
    let answer = outcome.answer();
    let judgement = answer.map(|a| &a.judgement);
    CaseView {
        test: Cow::Owned(suite.case_test_name(index)),
        input: &case.input,
        error: outcome.result.as_ref().err().map(|e| e.message.as_str()),
        latency_ms: outcome.latency.as_secs_f64() * 1000.0,
        failed_check: match judgement {
            Some(Judgement::Checks { failed, .. }) if !failed.is_empty() => {
                Some((&failed[0].check, &failed[0].detail))
            }
            _ => None,
        },
        sentence: match (answer, judgement) {
            (
                Some(answer),
                Some(Judgement::Checks {
                    similarity: Some(similarity),
                    ..
                }),
            ) => Some(SentenceView {
                bleu: similarity.bleu,
                chrf: similarity.chrf,
                output: answer.output(),
                references: &case.references,
            }),
            _ => None,
        },
        label: match (case.expected, judgement) {
            (Some(expected), Some(Judgement::Label(predicted))) => Some(LabelView {
                expected,
                predicted: *predicted,
                predicted_name: predicted.map_or("<invalid>", |p| suite.labels[p].as_str()),
            }),
            _ => None,
        },
    }
}

/// A broken floor's message: the metric, its value (and interval with `floor_mode =
/// "lower_bound"`), the bound, the cases counted, the cases that pulled it down, where the
/// floor is declared and the command that judges it again.
pub fn floor_message(floor: &BrokenFloor, cases: &[CaseView]) -> String {
    let mut text = String::new();
    match (floor.value, floor.judged, floor.interval) {
        (Some(value), Some(judged), Some(interval)) if judged != value => {
            let _ = writeln!(
                text,
                "{} = {}, {}% interval [{}, {}], whose {} end {} breaks its floor {} \
                 (floor_mode = \"lower_bound\")",
                floor.name,
                floor.bound.show_value(value),
                number(floor.confidence * 100.0),
                number(interval.low),
                number(interval.high),
                if judged == interval.low {
                    "low"
                } else {
                    "high"
                },
                floor.bound.show_value(judged),
                floor.bound.describe()
            );
        }
        (Some(value), _, _) => {
            let _ = writeln!(
                text,
                "{} = {}, which breaks its floor {}",
                floor.name,
                floor.bound.show_value(value),
                floor.bound.describe()
            );
        }
        (None, _, _) => {
            let why = if floor.metric == Some(Metric::TokensTotal) {
                "the model's provider reports no token usage".to_string()
            } else if floor.answered == 0 {
                format!(
                    "no counted case produced an output ({} counted)",
                    floor.cases
                )
            } else {
                "the metric is not defined for these results".to_string()
            };
            let _ = writeln!(text, "{} has no value: {why}", floor.name);
        }
    }
    let errored = floor.cases - floor.answered;
    let _ = writeln!(
        text,
        "counted {} cases ({} answered, {} errored)",
        floor.cases, floor.answered, errored
    );
    let (title, offenders) = match floor.metric {
        Some(metric) => offenders(floor, metric, cases),
        None => (String::new(), Vec::new()),
    };
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
    footer(text, "floor", floor.file, floor.line, &floor.rerun)
}

/// The cases that pull a metric down, as lines for a floor message.
fn offenders(floor: &BrokenFloor, metric: Metric, cases: &[CaseView]) -> (String, Vec<String>) {
    match metric {
        Metric::ErrorRate => {
            let lines = cases
                .iter()
                .filter_map(|case| Some((case, case.error?)))
                .map(|(case, error)| format!("{}  {}", case.test, first_line(error)))
                .collect();
            ("cases errored".to_string(), lines)
        }
        Metric::LatencyP50 | Metric::LatencyP95 | Metric::LatencyMax | Metric::TokensTotal => {
            let mut slowest: Vec<&CaseView> = cases.iter().collect();
            slowest.sort_by(|a, b| b.latency_ms.total_cmp(&a.latency_ms));
            let lines = slowest
                .iter()
                .map(|case| format!("{}  {} ms", case.test, number(case.latency_ms)))
                .collect();
            ("cases by latency, slowest first".to_string(), lines)
        }
        Metric::PassRate => {
            let lines = cases
                .iter()
                .filter_map(|case| {
                    let (check, detail) = case.failed_check?;
                    Some(format!("{}  {check}: {}", case.test, first_line(detail)))
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
            let mut scored: Vec<(&str, f64, &str)> = cases
                .iter()
                .filter_map(|case| {
                    let sentence = case.sentence.as_ref()?;
                    let output = sentence.output;
                    let references: Vec<&str> =
                        sentence.references.iter().map(String::as_str).collect();
                    let score = match metric {
                        Metric::Bleu => sentence.bleu,
                        Metric::Chrf => sentence.chrf,
                        Metric::ChrfPlusPlus => translation::sentence_chrf(output, &references, 2),
                        _ => translation::sentence_ter(output, &references).score,
                    };
                    Some((&*case.test, score, output))
                })
                .collect();
            scored.sort_by(|a, b| worst_first(&a.1, &b.1));
            let lines = scored
                .iter()
                .map(|(test, score, output)| {
                    format!(
                        "{test}  {score_name} {}  {}",
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
            let labels = floor.labels;
            let (label, score) = match metric {
                Metric::PerLabel { score, label } => (Some(label), Some(score)),
                Metric::Binary(score) => (floor.positive_label, Some(score)),
                _ => (None, None),
            };
            let offends = |expected: usize, predicted: Option<usize>| match (label, score) {
                (Some(l), Some(Score::Recall)) => expected == l,
                (Some(l), Some(Score::Precision)) => predicted == Some(l),
                (Some(l), _) => expected == l || predicted == Some(l),
                (None, _) => true,
            };
            let lines = cases
                .iter()
                .filter_map(|case| {
                    let view = case.label.as_ref()?;
                    let (expected, predicted) = (view.expected, view.predicted);
                    (predicted != Some(expected) && offends(expected, predicted)).then(|| {
                        format!(
                            "{}  expected {}, predicted {}  {}",
                            case.test,
                            labels[expected],
                            view.predicted_name,
                            quoted_short(case.input)
                        )
                    })
                })
                .collect();
            let title = match (label, score) {
                (Some(l), Some(Score::Recall)) => {
                    format!("`{}` cases were predicted otherwise", labels[l])
                }
                (Some(l), Some(Score::Precision)) => {
                    format!("cases predicted `{}` expected otherwise", labels[l])
                }
                (Some(l), _) => format!("cases misclassified to or from `{}`", labels[l]),
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
