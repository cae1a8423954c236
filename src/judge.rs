//! Judging one output: the label a classify output names, the checks a generate or translate
//! output passes, and how close it is to the case's references.

use crate::metrics::translation;
use crate::suite::{Bound, Case, Checks, Suite, Task, number};
use regex::Regex;

/// What a case's output amounts to.
#[derive(Clone, Debug, PartialEq)]
pub enum Judgement {
    /// classify: the label the output names, or `None` for `<invalid>`.
    Label(Option<usize>),
    /// generate and translate: the checks that failed (none means the case passed), and the
    /// output's sentence scores when the case has references.
    Checks {
        failed: Vec<CheckFailure>,
        similarity: Option<Similarity>,
    },
}

/// How close an output is to a case's references, in sacreBLEU's sentence scores (0 to 100).
#[derive(Clone, Debug, PartialEq)]
pub struct Similarity {
    /// Sentence chrF against all the references.
    pub chrf: f64,
    /// Sentence BLEU (effective order) against all the references.
    pub bleu: f64,
    /// Index of the reference closest to the output: the highest chrF against it alone.
    pub closest: usize,
}

impl Similarity {
    pub fn of(output: &str, references: &[String]) -> Similarity {
        let references: Vec<&str> = references.iter().map(String::as_str).collect();
        let closest = if references.len() > 1 {
            let scores = references
                .iter()
                .map(|reference| translation::sentence_chrf(output, &[reference], 0));
            let mut best = (0, f64::NEG_INFINITY);
            for (index, score) in scores.enumerate() {
                if score > best.1 {
                    best = (index, score);
                }
            }
            best.0
        } else {
            0
        };
        Similarity {
            chrf: translation::sentence_chrf(output, &references, 0),
            bleu: translation::sentence_bleu(output, &references).score,
            closest,
        }
    }
}

/// A generate check that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailure {
    /// The check as written, e.g. `contains "Paris"`.
    pub check: String,
    /// What is wrong, possibly several lines (a diff).
    pub detail: String,
}

impl Judgement {
    pub fn passed(&self, case: &Case) -> bool {
        match self {
            Judgement::Label(predicted) => predicted.is_some() && *predicted == case.expected,
            Judgement::Checks { failed, .. } => failed.is_empty(),
        }
    }
}

pub fn judge(suite: &Suite, case: &Case, output: &str) -> Judgement {
    match suite.task {
        Task::Classify => Judgement::Label(parse_label(
            output,
            &suite.labels,
            suite.label_pattern.as_ref(),
        )),
        Task::Generate | Task::Translate => {
            let similarity =
                (!case.references.is_empty()).then(|| Similarity::of(output, &case.references));
            let mut failed = check(&case.checks, output);
            if let Some(similarity) = &similarity {
                failed.extend(check_similarity(&case.checks, similarity, case));
            }
            Judgement::Checks { failed, similarity }
        }
    }
}

/// `min_chrf` and `min_bleu` against the output's sentence scores.
fn check_similarity(checks: &Checks, similarity: &Similarity, case: &Case) -> Vec<CheckFailure> {
    let scores = [
        ("min_chrf", "chrF", checks.min_chrf, similarity.chrf),
        ("min_bleu", "BLEU", checks.min_bleu, similarity.bleu),
    ];
    let against = if case.references.len() > 1 {
        format!("its {} references", case.references.len())
    } else {
        "the reference".to_string()
    };
    scores
        .into_iter()
        .filter_map(|(key, metric, floor, score)| {
            let floor = floor?;
            (score < floor).then(|| CheckFailure {
                check: format!("{key} {}", number(floor)),
                detail: format!(
                    "sentence {metric} against {against} is {}, below {}",
                    Bound::at_least(floor).show_value(score),
                    number(floor)
                ),
            })
        })
        .collect()
}

/// The label an output names: the `label_pattern` group if there is one, then trimmed and
/// lowercased, matched against the labels (ignoring case); failing that, matched again with
/// surrounding punctuation and quotes stripped. `None` is `<invalid>`.
pub fn parse_label(output: &str, labels: &[String], pattern: Option<&Regex>) -> Option<usize> {
    let candidate = match pattern {
        Some(pattern) => pattern.captures(output)?.get(1)?.as_str(),
        None => output,
    };
    let wanted = candidate.trim().to_lowercase();
    let find = |text: &str| labels.iter().position(|label| label.to_lowercase() == text);
    find(&wanted)
        .or_else(|| find(wanted.trim_matches(|c: char| c.is_whitespace() || is_punctuation(c))))
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            c,
            '“' | '”'
                | '‘'
                | '’'
                | '«'
                | '»'
                | '„'
                | '‹'
                | '›'
                | '「'
                | '」'
                | '『'
                | '』'
                | '。'
                | '，'
                | '！'
                | '？'
                | '…'
                | '¡'
                | '¿'
                | '—'
                | '–'
                | '·'
        )
}

/// Every check a case declares, named as [`Judgement::Checks`] names a failed one.
pub fn declared(checks: &Checks) -> Vec<String> {
    let mut names = Vec::new();
    if checks.equals.is_some() {
        names.push("equals".to_string());
    }
    names.extend(checks.contains.iter().map(|n| format!("contains {n:?}")));
    names.extend(
        checks
            .not_contains
            .iter()
            .map(|n| format!("not_contains {n:?}")),
    );
    if let Some(regex) = &checks.regex {
        names.push(format!("regex {:?}", regex.as_str()));
    }
    if let Some(max) = checks.max_chars {
        names.push(format!("max_chars {max}"));
    }
    if checks.json {
        names.push("json".to_string());
    }
    for (key, floor) in [("min_chrf", checks.min_chrf), ("min_bleu", checks.min_bleu)] {
        if let Some(floor) = floor {
            names.push(format!("{key} {}", number(floor)));
        }
    }
    names
}

/// Runs every check a generate case declares; all must hold.
pub fn check(checks: &Checks, output: &str) -> Vec<CheckFailure> {
    let mut failed = Vec::new();
    if let Some(expected) = &checks.equals
        && expected.trim() != output.trim()
    {
        failed.push(CheckFailure {
            check: "equals".to_string(),
            detail: format!(
                "the output differs from the expected text:\n{}",
                crate::diff::indent(&crate::diff::inline(expected.trim(), output.trim()))
            ),
        });
    }
    for needle in &checks.contains {
        if !output.contains(needle.as_str()) {
            failed.push(CheckFailure {
                check: format!("contains {needle:?}"),
                detail: "not found in the output".to_string(),
            });
        }
    }
    for needle in &checks.not_contains {
        if let Some(at) = output.find(needle.as_str()) {
            let line = output[..at].matches('\n').count() + 1;
            failed.push(CheckFailure {
                check: format!("not_contains {needle:?}"),
                detail: format!("found in the output, line {line}"),
            });
        }
    }
    if let Some(regex) = &checks.regex
        && !regex.is_match(output)
    {
        failed.push(CheckFailure {
            check: format!("regex {:?}", regex.as_str()),
            detail: "no match in the output".to_string(),
        });
    }
    if let Some(max) = checks.max_chars {
        let count = output.chars().count();
        if count > max {
            failed.push(CheckFailure {
                check: format!("max_chars {max}"),
                detail: format!("the output has {count} characters"),
            });
        }
    }
    if checks.json
        && let Err(error) = serde_json::from_str::<serde_json::Value>(output.trim())
    {
        failed.push(CheckFailure {
            check: "json".to_string(),
            detail: format!("the output is not JSON: {error}"),
        });
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        ["negative", "neutral", "positive"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn labels_are_normalised() {
        let labels = labels();
        for (output, expected) in [
            ("positive", Some(2)),
            ("  Positive.\n", Some(2)),
            ("\"NEGATIVE\"", Some(0)),
            ("**neutral**", Some(1)),
            ("« positive »", Some(2)),
            ("positive sentiment", None),
            ("", None),
        ] {
            assert_eq!(parse_label(output, &labels, None), expected, "{output:?}");
        }
    }

    #[test]
    fn labels_with_punctuation_match_before_stripping() {
        let labels = vec!["c++".to_string(), "c".to_string()];
        assert_eq!(parse_label("C++", &labels, None), Some(0));
        assert_eq!(parse_label("c.", &labels, None), Some(1));
    }

    #[test]
    fn label_pattern_extracts_its_group() {
        let pattern = Regex::new(r"(?i)answer:\s*(\w+)").unwrap();
        assert_eq!(
            parse_label("Let me think. Answer: Neutral", &labels(), Some(&pattern)),
            Some(1)
        );
        assert_eq!(parse_label("positive", &labels(), Some(&pattern)), None);
    }

    #[test]
    fn every_failed_check_is_reported() {
        let checks = Checks {
            equals: Some("Paris".to_string()),
            contains: vec!["Paris".to_string()],
            not_contains: vec!["London".to_string()],
            regex: Some(Regex::new(r"^\w+$").unwrap()),
            max_chars: Some(5),
            json: true,
            ..Checks::default()
        };
        let failed = check(&checks, "London, UK");
        let names: Vec<_> = failed.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(
            names,
            [
                "equals",
                "contains \"Paris\"",
                "not_contains \"London\"",
                "regex \"^\\\\w+$\"",
                "max_chars 5",
                "json"
            ]
        );
        assert!(
            check(&checks, "Paris").len() == 1,
            "only json fails for Paris"
        );
        assert_eq!(declared(&checks), names, "failures are named as declared");
    }
}
