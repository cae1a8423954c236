//! evalgate's translation metrics against sacreBLEU 2.6.0.
//!
//! BLEU and chrF: `tests/fixtures/sacrebleu/cases_bleu_chrf.jsonl` holds the inputs (sacreBLEU's
//! reference streams, `null` for a missing reference) and `expected_bleu_chrf.jsonl` what
//! `tests/oracles/sacrebleu_oracle.py` printed for them (see the README there). Each case is
//! replayed with `refs[i]` = the non-null entries of the streams at `i`, in stream order, which
//! is how sacreBLEU reads them.
//!
//! Integers, n-gram precisions, ratios and every chrF value are compared bit for bit
//! (`f64::to_bits`). The BLEU score and brevity penalty go through `exp` and `ln`, which both
//! sides take from the platform's C library; they must be within 1e-9 everywhere and
//! bit-identical on Linux with glibc (where the fixtures were made); elsewhere a difference in
//! the last bits is printed, not failed.

use std::fmt::Write as _;

use evalgate::metrics::translation::{
    BleuScore, bleu_signature, chrf_signature, corpus_bleu, corpus_chrf, sentence_bleu,
    sentence_bleu_signature, sentence_chrf,
};
use serde_json::Value;

#[path = "support/oracle_json.rs"]
mod oracle_json;
use oracle_json::{int, num, parse_line, references_per_hypothesis};

fn fixture(name: &str) -> String {
    oracle_json::fixture("sacrebleu", name)
}

fn text<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what}: expected a string, got {v}"))
}

fn array<'a>(v: &'a Value, what: &str) -> &'a Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("{what}: expected an array, got {v}"))
}

fn is_error(v: &Value) -> bool {
    v.get("error").is_some()
}

/// One fixture case: its input and sacreBLEU's results.
struct Case {
    id: String,
    hyps: Vec<String>,
    /// `refs[i]`: the references of hypothesis `i` (the streams' non-null entries).
    refs: Vec<Vec<String>>,
    expected: Value,
}

impl Case {
    fn hyps(&self) -> Vec<&str> {
        self.hyps.iter().map(String::as_str).collect()
    }

    fn refs(&self) -> Vec<Vec<&str>> {
        self.refs
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect()
    }
}

fn cases() -> Vec<Case> {
    let inputs = fixture("cases_bleu_chrf.jsonl");
    let outputs = fixture("expected_bleu_chrf.jsonl");
    let inputs: Vec<&str> = inputs.lines().filter(|l| !l.trim().is_empty()).collect();
    let outputs: Vec<&str> = outputs.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        inputs.len(),
        outputs.len(),
        "cases and expected results differ in length"
    );
    inputs
        .iter()
        .zip(&outputs)
        .map(|(input, output)| {
            let input: Value = serde_json::from_str(input).expect("case JSON");
            let expected = parse_line(output);
            let id = text(&input["id"], "id").to_string();
            assert_eq!(
                text(&expected["id"], "expected id"),
                id,
                "expected results out of order"
            );
            assert_eq!(text(&expected["sacrebleu_version"], "version"), "2.6.0");
            let hyps: Vec<String> = array(&input["hyps"], "hyps")
                .iter()
                .map(|h| text(h, "hyp").to_string())
                .collect();
            let refs = references_per_hypothesis(&input["refs"], hyps.len());
            Case {
                id,
                hyps,
                refs,
                expected,
            }
        })
        .collect()
}

/// Collects mismatches so that one run reports all of them.
#[derive(Default)]
struct Check {
    failures: Vec<String>,
    /// Values within tolerance but not bit-identical (only outside glibc).
    inexact: Vec<String>,
    compared: usize,
}

/// Whether `exp` and `ln` here are the ones the fixtures were made with (CPython's `math` calls
/// the C library's; the fixtures come from Linux with glibc).
const SAME_LIBM: bool = cfg!(all(target_os = "linux", target_env = "gnu"));
const TOLERANCE: f64 = 1e-9;

impl Check {
    fn exact(&mut self, what: &str, expected: f64, got: f64) {
        self.compared += 1;
        if expected.to_bits() != got.to_bits() {
            self.failures.push(format!(
                "{what}: sacreBLEU {expected:?} ({:#018x}), evalgate {got:?} ({:#018x})",
                expected.to_bits(),
                got.to_bits()
            ));
        }
    }

    /// A value computed through `exp`/`ln`.
    fn libm(&mut self, what: &str, expected: f64, got: f64) {
        if SAME_LIBM || (expected - got).abs() > TOLERANCE {
            self.exact(what, expected, got);
        } else {
            self.compared += 1;
            if expected.to_bits() != got.to_bits() {
                self.inexact
                    .push(format!("{what}: sacreBLEU {expected:?}, evalgate {got:?}"));
            }
        }
    }

    fn int(&mut self, what: &str, expected: u64, got: u64) {
        self.compared += 1;
        if expected != got {
            self.failures
                .push(format!("{what}: sacreBLEU {expected}, evalgate {got}"));
        }
    }

    fn str(&mut self, what: &str, expected: &str, got: &str) {
        self.compared += 1;
        if expected != got {
            self.failures
                .push(format!("{what}: sacreBLEU {expected:?}, evalgate {got:?}"));
        }
    }

    fn bleu(&mut self, what: &str, expected: &Value, got: &BleuScore) {
        self.libm(
            &format!("{what}.score"),
            num(&expected["score"], what),
            got.score,
        );
        self.libm(&format!("{what}.bp"), num(&expected["bp"], what), got.bp);
        for n in 0..4 {
            self.int(
                &format!("{what}.counts[{n}]"),
                int(&expected["counts"][n], what),
                got.counts[n],
            );
            self.int(
                &format!("{what}.totals[{n}]"),
                int(&expected["totals"][n], what),
                got.totals[n],
            );
            self.exact(
                &format!("{what}.precisions[{n}]"),
                num(&expected["precisions"][n], what),
                got.precisions[n],
            );
        }
        self.int(
            &format!("{what}.sys_len"),
            int(&expected["sys_len"], what),
            got.sys_len,
        );
        self.int(
            &format!("{what}.ref_len"),
            int(&expected["ref_len"], what),
            got.ref_len,
        );
        self.exact(
            &format!("{what}.ratio"),
            num(&expected["ratio"], what),
            got.ratio,
        );
    }

    fn finish(self, name: &str) {
        for line in &self.inexact {
            eprintln!("{name}: not bit-identical (within {TOLERANCE:e}): {line}");
        }
        assert!(self.compared > 0, "{name}: nothing compared");
        if !self.failures.is_empty() {
            let mut msg = format!(
                "{name}: {} of {} values differ from sacreBLEU:\n",
                self.failures.len(),
                self.compared
            );
            for f in self.failures.iter().take(50) {
                let _ = writeln!(msg, "  {f}");
            }
            panic!("{msg}");
        }
        eprintln!(
            "{name}: {} values identical to sacreBLEU, {} within {TOLERANCE:e} only",
            self.compared - self.inexact.len(),
            self.inexact.len()
        );
    }
}

/// sacreBLEU raises for zero sentences; evalgate's documented result is checked instead.
fn zero_sentences(case: &Case) -> bool {
    if !case.hyps.is_empty() {
        return false;
    }
    for metric in ["bleu", "chrf", "chrf_pp"] {
        assert!(
            is_error(&case.expected[metric]),
            "case {}: sacreBLEU scored zero sentences",
            case.id
        );
    }
    true
}

#[test]
fn bleu_corpus_matches_sacrebleu() {
    let mut check = Check::default();
    for case in cases() {
        let got = corpus_bleu(&case.hyps(), &case.refs());
        if zero_sentences(&case) {
            let zero = BleuScore {
                score: 0.0,
                counts: [0; 4],
                totals: [0; 4],
                precisions: [0.0; 4],
                bp: 1.0,
                sys_len: 0,
                ref_len: 0,
                ratio: 0.0,
            };
            assert_eq!(got, zero, "case {}", case.id);
            continue;
        }
        check.bleu(&format!("{} corpus", case.id), &case.expected["bleu"], &got);
    }
    check.finish("corpus BLEU");
}

#[test]
fn bleu_sentence_matches_sacrebleu() {
    let mut check = Check::default();
    for case in cases() {
        let expected = array(&case.expected["sentence_bleu"], "sentence_bleu");
        assert_eq!(expected.len(), case.hyps.len(), "case {}", case.id);
        for (i, (hyp, refs)) in case.hyps().iter().zip(case.refs()).enumerate() {
            let got = sentence_bleu(hyp, &refs);
            check.bleu(&format!("{} sentence {i}", case.id), &expected[i], &got);
        }
    }
    check.finish("sentence BLEU");
}

#[test]
fn bleu_signatures_match_sacrebleu() {
    let mut check = Check::default();
    for case in cases() {
        let refs = case.refs();
        if zero_sentences(&case) {
            assert_eq!(
                bleu_signature(&refs),
                "nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"
            );
            continue;
        }
        check.str(
            &format!("{} corpus signature", case.id),
            text(&case.expected["bleu"]["signature"], "signature"),
            &bleu_signature(&refs),
        );
        // The oracle reads the signature after scoring the sentences one by one: it describes
        // the last one.
        check.str(
            &format!("{} sentence signature", case.id),
            text(&case.expected["sentence_bleu_signature"], "signature"),
            &sentence_bleu_signature(&refs[refs.len() - 1..]),
        );
    }
    check.finish("BLEU signatures");
}

fn chrf_corpus(key: &str, word_order: usize) {
    let mut check = Check::default();
    for case in cases() {
        let got = corpus_chrf(&case.hyps(), &case.refs(), word_order);
        if zero_sentences(&case) {
            assert_eq!(got, 0.0, "case {}", case.id);
            continue;
        }
        check.exact(
            &format!("{} {key}", case.id),
            num(&case.expected[key]["score"], key),
            got,
        );
    }
    check.finish(key);
}

#[test]
fn chrf_corpus_matches_sacrebleu() {
    chrf_corpus("chrf", 0);
}

#[test]
fn chrf_pp_corpus_matches_sacrebleu() {
    chrf_corpus("chrf_pp", 2);
}

#[test]
fn chrf_sentence_matches_sacrebleu() {
    let mut check = Check::default();
    for case in cases() {
        let expected = array(&case.expected["sentence_chrf"], "sentence_chrf");
        assert_eq!(expected.len(), case.hyps.len(), "case {}", case.id);
        for (i, (hyp, refs)) in case.hyps().iter().zip(case.refs()).enumerate() {
            check.exact(
                &format!("{} sentence {i}", case.id),
                num(&expected[i]["score"], "sentence chrF"),
                sentence_chrf(hyp, &refs, 0),
            );
        }
    }
    check.finish("sentence chrF");
}

#[test]
fn chrf_signatures_match_sacrebleu() {
    let mut check = Check::default();
    for case in cases() {
        let refs = case.refs();
        for (key, word_order) in [("chrf", 0), ("chrf_pp", 2)] {
            let got = chrf_signature(&refs, word_order);
            if zero_sentences(&case) {
                assert_eq!(
                    got,
                    format!(
                        "nrefs:var|case:mixed|eff:yes|nc:6|nw:{word_order}|space:no|version:2.6.0"
                    )
                );
                continue;
            }
            check.str(
                &format!("{} {key} signature", case.id),
                text(&case.expected[key]["signature"], "signature"),
                &got,
            );
        }
    }
    check.finish("chrF signatures");
}

/// The fixtures hold what the brief for these metrics asks them to cover; a regeneration that
/// lost a group would show here.
#[test]
fn bleu_chrf_fixtures_cover_the_edge_cases() {
    let cases = cases();
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    for prefix in [
        "shared_zero_sentences",
        "refs3",
        "var_refs_none",
        "var_refs_empty_string_padding",
        "all_hyps_empty",
        "whitespace_only_ref",
        "unicode_cjk_no_spaces",
        "unicode_emoji",
        "unicode_combining",
        "tok13a_entities",
        "tok13a_skipped_and_line_breaks",
        "tok13a_numbers",
        "case_differences",
        "long_1100_words",
        "corpus_multi_ref_var_200",
        "fuzz_",
        "corpus_2000",
    ] {
        assert!(
            ids.iter().any(|id| id.starts_with(prefix)),
            "no fixture case {prefix}*"
        );
    }
    let corpus = cases.iter().find(|c| c.id == "corpus_2000").unwrap();
    assert_eq!(corpus.hyps.len(), 2000);
    let variable = cases
        .iter()
        .find(|c| c.id == "corpus_multi_ref_var_200")
        .unwrap();
    let mut counts: Vec<usize> = variable.refs.iter().map(Vec::len).collect();
    counts.sort();
    counts.dedup();
    assert_eq!(counts, [1, 2, 3, 4]);
}
