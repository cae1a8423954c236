//! evalgate's TER against sacreBLEU 2.6.0's `TER()`.
//!
//! `tests/fixtures/sacrebleu/cases_ter.jsonl` holds the inputs and `expected_ter.jsonl` what
//! `tests/oracles/sacrebleu_ter_oracle.py` printed for them (see `README_TER.md` there). For
//! every case the corpus score, edits and reference length, the signature, and every
//! hypothesis's sentence score are compared: within 1e-9, and bit for bit.

use std::time::Instant;

use evalgate::metrics::translation::ter::{TerScore, corpus_ter, sentence_ter, ter_signature};
use serde_json::Value;

#[path = "support/oracle_json.rs"]
mod oracle_json;
use oracle_json::{num, references_per_hypothesis};

fn lines(name: &str) -> Vec<Value> {
    oracle_json::lines("sacrebleu", name)
}

/// A case: its hypotheses and, per hypothesis, the references present (nulls dropped).
struct Case {
    id: String,
    hyps: Vec<String>,
    refs: Vec<Vec<String>>,
}

fn case(v: &Value) -> Case {
    let id = v["id"].as_str().expect("case id").to_owned();
    let hyps: Vec<String> = v["hyps"]
        .as_array()
        .expect("hyps")
        .iter()
        .map(|h| h.as_str().expect("hyp").to_owned())
        .collect();
    let refs = references_per_hypothesis(&v["refs"], hyps.len());
    Case { id, hyps, refs }
}

fn cases() -> Vec<(Case, Value)> {
    let cases = lines("cases_ter.jsonl");
    let expected = lines("expected_ter.jsonl");
    assert_eq!(
        cases.len(),
        expected.len(),
        "cases_ter.jsonl and expected_ter.jsonl differ in length"
    );
    cases
        .iter()
        .zip(expected)
        .map(|(c, e)| {
            let c = case(c);
            assert_eq!(
                e["id"].as_str(),
                Some(c.id.as_str()),
                "expected_ter.jsonl order"
            );
            assert!(e.get("input_error").is_none(), "case {}: input_error", c.id);
            (c, e)
        })
        .collect()
}

#[derive(Default)]
struct Check {
    /// Further than 1e-9 from sacreBLEU.
    failures: Vec<String>,
    /// Within 1e-9 but not the same f64.
    inexact: Vec<String>,
    compared: usize,
}

impl Check {
    fn score(&mut self, what: &str, expected: &Value, got: TerScore) {
        for (field, value) in [
            ("score", got.score),
            ("num_edits", got.num_edits),
            ("ref_length", got.ref_length),
        ] {
            let want = num(&expected[field], field);
            self.compared += 1;
            if (want - value).abs() > 1e-9 {
                self.failures.push(format!(
                    "{what}.{field}: sacreBLEU {want:?}, evalgate {value:?}"
                ));
            } else if want.to_bits() != value.to_bits() {
                self.inexact.push(format!(
                    "{what}.{field}: sacreBLEU {want:?}, evalgate {value:?}"
                ));
            }
        }
    }
}

#[test]
fn corpus_and_sentence_ter_match_sacrebleu() {
    let mut check = Check::default();
    for (case, expected) in cases() {
        let hyps: Vec<&str> = case.hyps.iter().map(String::as_str).collect();
        let refs: Vec<Vec<&str>> = case
            .refs
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        let got = corpus_ter(&hyps, &refs);
        let ter = &expected["ter"];
        if let Some(error) = ter.get("error") {
            // sacreBLEU raises for zero sentences; evalgate's documented answer is all zeros.
            assert!(
                hyps.is_empty(),
                "case {}: sacreBLEU raised {error}",
                case.id
            );
            assert_eq!(
                (got.score, got.num_edits, got.ref_length),
                (0.0, 0.0, 0.0),
                "case {}",
                case.id
            );
            // As sacreBLEU's `TER(references=[[]]).get_signature()`.
            assert_eq!(
                ter_signature(&refs),
                "nrefs:var|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0"
            );
            continue;
        }
        check.score(&format!("case {}: corpus", case.id), ter, got);
        let signature = ter["signature"].as_str().expect("signature");
        if ter_signature(&refs) != signature {
            check.failures.push(format!(
                "case {}: signature: sacreBLEU {signature}, evalgate {}",
                case.id,
                ter_signature(&refs)
            ));
        }
        let sentences = expected["sentence_ter"].as_array().expect("sentence_ter");
        assert_eq!(sentences.len(), hyps.len(), "case {}", case.id);
        for (i, (hyp, refs)) in hyps.iter().zip(&refs).enumerate() {
            let what = format!("case {}: sentence {i}", case.id);
            assert!(
                sentences[i].get("error").is_none(),
                "{what}: sacreBLEU raised"
            );
            check.score(&what, &sentences[i], sentence_ter(hyp, refs));
        }
    }
    assert!(
        check.compared > 10_000,
        "only {} values compared",
        check.compared
    );
    assert!(
        check.failures.is_empty(),
        "{} of {} values differ from sacreBLEU by more than 1e-9:\n{}",
        check.failures.len(),
        check.compared,
        check.failures.join("\n")
    );
    assert!(
        check.inexact.is_empty(),
        "{} of {} values are within 1e-9 of sacreBLEU but not bit-identical:\n{}",
        check.inexact.len(),
        check.compared,
        check.inexact.join("\n")
    );
}

/// The fixture keeps the kinds of cases the brief for TER asks for.
#[test]
fn fixture_covers_the_required_cases() {
    let cases = cases();
    let has = |prefix: &str| cases.iter().any(|(c, _)| c.id.starts_with(prefix));
    for prefix in [
        "shift_phrase_swap",
        "shift_repeated_words",
        "shift_long_distance",
        "several_references",
        "variable_reference_counts",
        "empty_hypotheses",
        "empty_references",
        "case_differences",
        "unicode_accents",
        "unicode_cjk",
        "unicode_emoji",
        "punctuation_heavy",
        "long_1000_words",
        "long_1500_words",
        "small_vocab_",
        "shared_",
    ] {
        assert!(has(prefix), "no case {prefix}*");
    }
    let corpus = cases
        .iter()
        .find(|(c, _)| c.id == "corpus_2000")
        .expect("corpus_2000");
    assert_eq!(corpus.0.hyps.len(), 2000);
    let variable = cases
        .iter()
        .find(|(c, _)| c.id == "corpus_multi_reference_variable")
        .expect("corpus_multi_reference_variable");
    assert_eq!(
        variable.1["ter"]["signature"].as_str().map(|s| &s[..10]),
        Some("nrefs:var|")
    );
}

/// Times corpus TER on the 2,000-pair corpus:
/// `cargo test --release --test ter_oracle -- --ignored --nocapture`.
#[test]
#[ignore = "timing; run in release mode"]
fn time_corpus_2000() {
    let (case, _) = cases()
        .into_iter()
        .find(|(c, _)| c.id == "corpus_2000")
        .expect("corpus_2000");
    let hyps: Vec<&str> = case.hyps.iter().map(String::as_str).collect();
    let refs: Vec<Vec<&str>> = case
        .refs
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let mut times = Vec::new();
    let mut score = None;
    for _ in 0..20 {
        let start = Instant::now();
        score = Some(std::hint::black_box(corpus_ter(
            std::hint::black_box(&hyps),
            &refs,
        )));
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "corpus_2000: {} hypotheses, {:?}: min {:.2} ms, median {:.2} ms",
        hyps.len(),
        score.unwrap(),
        times[0],
        times[times.len() / 2]
    );
}
