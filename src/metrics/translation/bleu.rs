//! BLEU (Papineni et al., 2002) with sacreBLEU 2.6.0's defaults: the `13a` tokenizer,
//! case-sensitive, n-grams up to order 4, `exp` smoothing; `effective_order` off for a corpus and
//! on for a sentence (as `sacrebleu.sentence_bleu`).
//!
//! Per segment (a hypothesis and its references), each string is `rstrip()`ped and tokenized
//! with [`tokenize_13a`](super::tokenize_13a::tokenize_13a); the hypothesis n-gram counts are
//! clipped by the maximum count of that n-gram in any one reference, and the segment's reference
//! length is the reference length closest to the hypothesis length (the shorter one on a tie).
//! The corpus score sums these statistics over the segments and then computes, as sacreBLEU's
//! `BLEU.compute_bleu`:
//!
//! - `bp` = 1 if `sys_len >= ref_len`, else `exp(1 - ref_len / sys_len)`, or 0 if `sys_len` is 0;
//! - if no n-gram of any order matched, the score is 0 (precisions all 0);
//! - otherwise for each order `n` until the first with `totals[n] == 0`: precision
//!   `100 · counts[n] / totals[n]`, or with no match `100 / (2^k · totals[n])` where `k` counts the
//!   orders without a match so far (`exp` smoothing);
//! - score = `bp · exp(Σ log(p_n) / N)`, where `N` is 4, or with `effective_order` the number of
//!   orders that have hypothesis n-grams; a precision of 0 contributes `-9999999999` instead of
//!   `log(0)` (so without `effective_order` a hypothesis corpus shorter than 4 tokens per
//!   segment scores 0).
//!
//! The floating-point operations are sacreBLEU's, in its order, so the results are the same bits
//! wherever `exp` and `ln` round like the C library Python uses (they call the same functions on
//! glibc).

use super::common::{FastMap, SACREBLEU_VERSION, nrefs_label, py_rstrip};
use super::tokenize_13a::Tokenizer13a;

/// The maximum n-gram order (sacreBLEU's `MAX_NGRAM_ORDER`).
const MAX_ORDER: usize = 4;

/// A BLEU score and its statistics, as sacreBLEU's `BLEUScore`.
#[derive(Debug, Clone, PartialEq)]
pub struct BleuScore {
    /// The score, 0 to 100.
    pub score: f64,
    /// Matched (clipped) n-grams of orders 1 to 4.
    pub counts: [u64; 4],
    /// Hypothesis n-grams of orders 1 to 4.
    pub totals: [u64; 4],
    /// The n-gram precisions in percent (0 for the orders not used).
    pub precisions: [f64; 4],
    /// The brevity penalty.
    pub bp: f64,
    /// Hypothesis tokens.
    pub sys_len: u64,
    /// Reference tokens (the closest reference length per segment, summed).
    pub ref_len: u64,
    /// `sys_len / ref_len`, or 0 when `ref_len` is 0.
    pub ratio: f64,
}

/// The sufficient statistics of one segment (or, summed, of a corpus).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BleuStats {
    pub(crate) sys_len: u64,
    pub(crate) ref_len: u64,
    pub(crate) correct: [u64; MAX_ORDER],
    pub(crate) total: [u64; MAX_ORDER],
}

impl std::ops::AddAssign for BleuStats {
    fn add_assign(&mut self, other: Self) {
        self.sys_len += other.sys_len;
        self.ref_len += other.ref_len;
        for n in 0..MAX_ORDER {
            self.correct[n] += other.correct[n];
            self.total[n] += other.total[n];
        }
    }
}

/// Computes segment statistics, reusing its buffers from one segment to the next.
#[derive(Default)]
pub(crate) struct BleuScorer {
    tokenizer: Tokenizer13a,
    /// The tokenized references and hypothesis of the current segment, one after the other.
    text: String,
    /// `(start, end)` of each tokenized reference in `text`.
    ref_spans: Vec<(usize, usize)>,
    /// Token ids of one reference, then of the hypothesis (0: a token in no reference).
    ids: Vec<u32>,
    /// Clipping counts: the maximum count of each n-gram over the references.
    max_counts: FastMap<u128, u32>,
    /// One reference's n-gram counts (with several references).
    counts: FastMap<u128, u32>,
}

/// The n-grams of `ids` (all ids non-zero) up to order 4, packed as 32 bits per token, lowest
/// first; the orders are told apart by the zero-filled high bits.
fn count_ngrams(ids: &[u32], counts: &mut FastMap<u128, u32>) {
    for start in 0..ids.len() {
        let mut key = 0u128;
        for (n, &id) in ids[start..].iter().take(MAX_ORDER).enumerate() {
            key |= u128::from(id) << (32 * n);
            *counts.entry(key).or_insert(0) += 1;
        }
    }
}

impl BleuScorer {
    /// The statistics of `hyp` against `refs` (which must not be empty).
    pub(crate) fn segment(&mut self, hyp: &str, refs: &[&str]) -> BleuStats {
        assert!(
            !refs.is_empty(),
            "BLEU: a hypothesis needs at least one reference"
        );
        self.text.clear();
        self.ref_spans.clear();
        for r in refs {
            let start = self.text.len();
            self.tokenizer.tokenize_into(py_rstrip(r), &mut self.text);
            self.ref_spans.push((start, self.text.len()));
        }
        let hyp_start = self.text.len();
        self.tokenizer.tokenize_into(py_rstrip(hyp), &mut self.text);
        let text = self.text.as_str();
        let tokens =
            |start: usize, end: usize| text[start..end].split(' ').filter(|t| !t.is_empty());

        // Token ids, shared by the references of this segment.
        let mut vocab: FastMap<&str, u32> =
            FastMap::with_capacity_and_hasher(hyp_start / 4 + 8, Default::default());
        let mut ref_lens = Vec::with_capacity(refs.len());
        self.max_counts.clear();
        for (k, &(start, end)) in self.ref_spans.iter().enumerate() {
            self.ids.clear();
            for token in tokens(start, end) {
                let next = vocab.len() as u32 + 1;
                self.ids.push(*vocab.entry(token).or_insert(next));
            }
            ref_lens.push(self.ids.len() as u64);
            if k == 0 {
                count_ngrams(&self.ids, &mut self.max_counts);
            } else {
                self.counts.clear();
                count_ngrams(&self.ids, &mut self.counts);
                for (&key, &count) in &self.counts {
                    let max = self.max_counts.entry(key).or_insert(0);
                    *max = (*max).max(count);
                }
            }
        }

        self.ids.clear();
        self.ids.extend(
            tokens(hyp_start, text.len()).map(|token| vocab.get(token).copied().unwrap_or(0)),
        );
        let hyp_len = self.ids.len() as u64;

        let mut stats = BleuStats {
            sys_len: hyp_len,
            ref_len: closest_ref_len(hyp_len, &ref_lens),
            ..BleuStats::default()
        };
        for n in 0..MAX_ORDER {
            stats.total[n] = hyp_len.saturating_sub(n as u64);
        }
        // Clipped matches: each hypothesis n-gram occurrence takes one of the remaining
        // reference counts, which sums min(hypothesis count, reference count) per n-gram.
        for start in 0..self.ids.len() {
            let mut key = 0u128;
            for (n, &id) in self.ids[start..].iter().take(MAX_ORDER).enumerate() {
                if id == 0 {
                    break;
                }
                key |= u128::from(id) << (32 * n);
                match self.max_counts.get_mut(&key) {
                    // A longer n-gram from here is in no reference either.
                    None => break,
                    Some(0) => {}
                    Some(left) => {
                        *left -= 1;
                        stats.correct[n] += 1;
                    }
                }
            }
        }
        stats
    }
}

/// The reference length closest to `hyp_len`; the shorter one on a tie.
fn closest_ref_len(hyp_len: u64, ref_lens: &[u64]) -> u64 {
    ref_lens
        .iter()
        .copied()
        .min_by_key(|&len| (len.abs_diff(hyp_len), len))
        .expect("at least one reference")
}

/// sacreBLEU's `my_log`: `ln`, with `-9999999999` for 0.
fn my_log(x: f64) -> f64 {
    if x == 0.0 { -9_999_999_999.0 } else { x.ln() }
}

/// sacreBLEU's `BLEU.compute_bleu` with `smooth_method="exp"`, `max_ngram_order=4`.
pub(crate) fn compute_bleu(stats: &BleuStats, effective_order: bool) -> BleuScore {
    let BleuStats {
        sys_len,
        ref_len,
        correct,
        total,
    } = *stats;
    let mut bp = 1.0;
    if sys_len < ref_len {
        bp = if sys_len > 0 {
            (1.0 - ref_len as f64 / sys_len as f64).exp()
        } else {
            0.0
        };
    }
    let ratio = if ref_len != 0 {
        sys_len as f64 / ref_len as f64
    } else {
        0.0
    };
    let mut precisions = [0.0; MAX_ORDER];
    let mut score = 0.0;
    if correct.iter().any(|&c| c != 0) {
        let mut smooth = 1.0;
        let mut eff_order = MAX_ORDER;
        for n in 0..MAX_ORDER {
            if total[n] == 0 {
                break;
            }
            if effective_order {
                eff_order = n + 1;
            }
            precisions[n] = if correct[n] == 0 {
                smooth *= 2.0;
                100.0 / (smooth * total[n] as f64)
            } else {
                100.0 * correct[n] as f64 / total[n] as f64
            };
        }
        // Python's `sum` of a list: left to right from the first element.
        let sum = precisions[..eff_order]
            .iter()
            .map(|&p| my_log(p))
            .reduce(|acc, x| acc + x)
            .expect("at least one order");
        score = bp * (sum / eff_order as f64).exp();
    }
    BleuScore {
        score,
        counts: correct,
        totals: total,
        precisions,
        bp,
        sys_len,
        ref_len,
        ratio,
    }
}

/// Corpus BLEU, as sacreBLEU's `BLEU().corpus_score(hyps, streams)`: `13a` tokenizer, `exp`
/// smoothing, case-sensitive, n-grams up to 4, no effective order.
///
/// `refs[i]` are the references of `hyps[i]`: one or more, and their number may differ from one
/// hypothesis to the next (see the [module docs](super) for how that maps onto sacreBLEU's
/// reference streams). Zero hypotheses give a score of 0 with all statistics 0, `bp` 1 and
/// `ratio` 0 (sacreBLEU raises `IndexError` there).
///
/// # Panics
///
/// If `hyps` and `refs` differ in length, or a hypothesis has no reference.
pub fn corpus_bleu(hyps: &[&str], refs: &[Vec<&str>]) -> BleuScore {
    assert_eq!(
        hyps.len(),
        refs.len(),
        "BLEU: one list of references per hypothesis"
    );
    let mut scorer = BleuScorer::default();
    let mut stats = BleuStats::default();
    for (hyp, hyp_refs) in hyps.iter().zip(refs) {
        stats += scorer.segment(hyp, hyp_refs);
    }
    compute_bleu(&stats, false)
}

/// Sentence BLEU, as `BLEU(effective_order=True).sentence_score(hyp, refs)` (and
/// `sacrebleu.sentence_bleu`).
///
/// # Panics
///
/// If `refs` is empty.
pub fn sentence_bleu(hyp: &str, refs: &[&str]) -> BleuScore {
    compute_bleu(&BleuScorer::default().segment(hyp, refs), true)
}

fn signature(nrefs: &str, effective_order: bool) -> String {
    let eff = if effective_order { "yes" } else { "no" };
    format!("nrefs:{nrefs}|case:mixed|eff:{eff}|tok:13a|smooth:exp|version:{SACREBLEU_VERSION}")
}

/// What `BLEU().get_signature()` prints after scoring a corpus with these references, e.g.
/// `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`: `nrefs` is the number of
/// references per hypothesis, or `var` when it differs between hypotheses (and for zero
/// hypotheses).
pub fn bleu_signature(refs: &[Vec<&str>]) -> String {
    signature(&nrefs_label(refs.iter().map(Vec::len)), false)
}

/// What `BLEU(effective_order=True).get_signature()` prints after scoring each sentence with its
/// references, `refs[i]`, e.g. `nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.6.0`.
/// sacreBLEU describes the last sentence it scored; here `nrefs` is `var` when the sentences
/// have different numbers of references, as for a corpus.
pub fn sentence_bleu_signature(refs: &[Vec<&str>]) -> String {
    signature(&nrefs_label(refs.iter().map(Vec::len)), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_sentences() {
        let score = corpus_bleu(&[], &[]);
        assert_eq!(score.score, 0.0);
        assert_eq!(score.bp, 1.0);
        assert_eq!(score.ratio, 0.0);
        assert_eq!(score.counts, [0; 4]);
        assert_eq!(score.totals, [0; 4]);
        assert_eq!(
            bleu_signature(&[]),
            "nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"
        );
    }

    #[test]
    fn clipping_and_closest_length() {
        let s = sentence_bleu("the the the the", &["the cat", "a the mat the x"]);
        // "the" occurs at most twice in one reference.
        assert_eq!(s.counts[0], 2);
        assert_eq!(s.totals, [4, 3, 2, 1]);
        // |4-2| = 2 and |4-5| = 1: the 5-token reference is closest.
        assert_eq!(s.ref_len, 5);
        // A tie (|3-2| = |3-4|) takes the shorter reference.
        assert_eq!(closest_ref_len(3, &[4, 2]), 2);
    }

    #[test]
    fn perfect_match() {
        let s = corpus_bleu(&["a b c d e"], &[vec!["a b c d e"]]);
        // sacreBLEU gives this too: exp(4·ln(100) / 4) is not exactly 100.
        assert_eq!(s.score, 100.00000000000004);
        assert_eq!(s.precisions, [100.0; 4]);
    }

    #[test]
    #[should_panic(expected = "at least one reference")]
    fn no_reference_panics() {
        corpus_bleu(&["a"], &[vec![]]);
    }
}
