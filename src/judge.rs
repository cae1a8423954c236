//! Judging one output: the label a classify output names, the checks a generate output passes.

use crate::suite::{Case, Checks, Suite, Task};
use regex::Regex;

/// What a case's output amounts to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// classify: the label the output names, or `None` for `<invalid>`.
    Label(Option<usize>),
    /// generate: the checks that failed (none means the case passed).
    Checks(Vec<CheckFailure>),
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
            Judgement::Checks(failed) => failed.is_empty(),
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
        Task::Generate => Judgement::Checks(check(&case.checks, output)),
    }
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
                indent(&crate::diff::inline(expected.trim(), output.trim()))
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

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
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
    }
}
