//! chrF (Popović, 2015) and chrF++ (Popović, 2017) with sacreBLEU 2.6.0's defaults:
//! character n-grams up to order 6, β = 2, case-sensitive, whitespace not part of the character
//! n-grams, no ε smoothing; word n-grams up to `word_order` (0 for chrF, 2 for chrF++).
//!
//! Per segment:
//!
//! - Character n-grams are taken from the string with all whitespace removed (Python's
//!   `''.join(s.split())`), over Unicode code points: no normalization, so a precomposed `é` and
//!   `e` + U+0301 differ, and a combining mark or an emoji modifier is a character of its own.
//! - Word n-grams (chrF++) are taken from the whitespace-split words, where a word of more than
//!   one character ending in ASCII punctuation has that character split off, or else one
//!   starting with it has the first character split off (sacreBLEU's `_remove_punctuation`, so
//!   `(hi)` becomes `(hi` and `)`).
//! - Against each reference, every order `n` gives three counts: hypothesis n-grams, reference
//!   n-grams and matches (`Σ min(hyp count, ref count)`). When the reference has no n-gram of
//!   order `n` (it is shorter than `n`), the hypothesis count for that order is recorded as 0,
//!   so those hypothesis n-grams cost no precision. An empty reference therefore contributes
//!   nothing at all.
//! - With several references, the one whose counts give the highest F score (below) is kept;
//!   on a tie the first one listed.
//!
//! The corpus score sums the kept counts over the segments and computes sacreBLEU's
//! `CHRF._compute_f_score`: for each order with hypothesis and reference n-grams, precision
//! `matches / hyp` and recall `matches / ref`; their means over those orders `P` and `R`; and
//! `100 · (1 + β²)·P·R / (β²·P + R)`, or 0 when `P + R` is 0 (including when no order counts).
//! Only IEEE additions, multiplications and divisions are involved, in sacreBLEU's order, so
//! the results are the same bits as sacreBLEU's on any platform.

use super::common::{FastMap, SACREBLEU_VERSION, is_py_whitespace, nrefs_label, py_split};

/// Maximum character n-gram order (sacreBLEU's `CHRF.CHAR_ORDER`).
pub(crate) const CHAR_ORDER: usize = 6;
/// β² for β = 2 (sacreBLEU's `CHRF.BETA`).
const FACTOR: f64 = 4.0;

/// `[hypothesis n-grams, reference n-grams, matches]` of one order.
pub(crate) type OrderStats = [u64; 3];

/// sacreBLEU's `CHRF._compute_f_score` with `eps_smoothing=False`.
pub(crate) fn f_score(stats: &[OrderStats]) -> f64 {
    let mut avg_prec = 0.0;
    let mut avg_rec = 0.0;
    let mut effective_order = 0u32;
    for &[n_hyp, n_ref, n_match] in stats {
        if n_hyp > 0 && n_ref > 0 {
            avg_prec += n_match as f64 / n_hyp as f64;
            avg_rec += n_match as f64 / n_ref as f64;
            effective_order += 1;
        }
    }
    if effective_order == 0 {
        return 0.0;
    }
    avg_prec /= f64::from(effective_order);
    avg_rec /= f64::from(effective_order);
    if avg_prec + avg_rec != 0.0 {
        let mut score = (1.0 + FACTOR) * avg_prec * avg_rec;
        score /= FACTOR * avg_prec + avg_rec;
        100.0 * score
    } else {
        0.0
    }
}

/// sacreBLEU's `CHRF._remove_punctuation`: whitespace-split words, with a trailing (else a
/// leading) ASCII punctuation character split off words of two or more characters.
fn words<'a>(sent: &'a str, out: &mut Vec<&'a str>) {
    out.clear();
    for w in py_split(sent) {
        let mut chars = w.chars();
        chars.next();
        let bytes = w.as_bytes();
        if chars.next().is_none() {
            out.push(w);
        } else if bytes[bytes.len() - 1].is_ascii_punctuation() {
            out.push(&w[..w.len() - 1]);
            out.push(&w[w.len() - 1..]);
        } else if bytes[0].is_ascii_punctuation() {
            out.push(&w[..1]);
            out.push(&w[1..]);
        } else {
            out.push(w);
        }
    }
}

/// The code points of `s` other than whitespace, each plus one (so that no character packs to
/// zero).
fn chars_without_whitespace(s: &str, out: &mut Vec<u32>) {
    out.clear();
    out.extend(
        s.chars()
            .filter(|&c| !is_py_whitespace(c))
            .map(|c| u32::from(c) + 1),
    );
}

/// Computes segment statistics, reusing its buffers from one segment to the next.
pub(crate) struct ChrfScorer {
    word_order: usize,
    hyp_chars: Vec<u32>,
    ref_chars: Vec<u32>,
    /// One reference's character n-gram counts: up to 6 code points (plus one) of 21 bits each,
    /// lowest first, the orders told apart by the zero-filled high bits.
    char_counts: FastMap<u128, u32>,
    /// The counts against the current reference, and the best so far.
    stats: Vec<OrderStats>,
    best: Vec<OrderStats>,
}

impl ChrfScorer {
    pub(crate) fn new(word_order: usize) -> Self {
        ChrfScorer {
            word_order,
            hyp_chars: Vec::new(),
            ref_chars: Vec::new(),
            char_counts: FastMap::default(),
            stats: vec![[0; 3]; CHAR_ORDER + word_order],
            best: vec![[0; 3]; CHAR_ORDER + word_order],
        }
    }

    /// The counts of `hyp` against the best of `refs` (which must not be empty), one entry per
    /// order: character orders 1 to 6, then word orders 1 to `word_order`.
    pub(crate) fn segment(&mut self, hyp: &str, refs: &[&str]) -> &[OrderStats] {
        assert!(
            !refs.is_empty(),
            "chrF: a hypothesis needs at least one reference"
        );
        chars_without_whitespace(hyp, &mut self.hyp_chars);

        // Word ids, shared by the references of this segment; 0 for a hypothesis word in none.
        let mut ref_word_ids: Vec<Vec<u32>> = Vec::new();
        let mut hyp_word_ids: Vec<u32> = Vec::new();
        if self.word_order > 0 {
            let mut vocab: FastMap<&str, u32> = FastMap::default();
            let mut buf = Vec::new();
            for r in refs {
                words(r, &mut buf);
                let ids = buf
                    .iter()
                    .map(|w| {
                        let next = vocab.len() as u32 + 1;
                        *vocab.entry(w).or_insert(next)
                    })
                    .collect();
                ref_word_ids.push(ids);
            }
            words(hyp, &mut buf);
            hyp_word_ids = buf
                .iter()
                .map(|w| vocab.get(w).copied().unwrap_or(0))
                .collect();
        }

        let mut best_f = -1.0;
        for (k, r) in refs.iter().enumerate() {
            self.stats.fill([0; 3]);
            self.char_stats(r);
            if self.word_order > 0 {
                word_stats(
                    &hyp_word_ids,
                    &ref_word_ids[k],
                    &mut self.stats[CHAR_ORDER..],
                );
            }
            let f = f_score(&self.stats);
            if f > best_f {
                best_f = f;
                self.best.copy_from_slice(&self.stats);
            }
        }
        &self.best
    }

    /// Fills the character orders of `self.stats` for the hypothesis in `self.hyp_chars`
    /// against `reference`.
    fn char_stats(&mut self, reference: &str) {
        chars_without_whitespace(reference, &mut self.ref_chars);
        let counts = &mut self.char_counts;
        counts.clear();
        let r = &self.ref_chars;
        for start in 0..r.len() {
            let mut key = 0u128;
            for (n, &c) in r[start..].iter().take(CHAR_ORDER).enumerate() {
                key |= u128::from(c) << (21 * n);
                *counts.entry(key).or_insert(0) += 1;
            }
        }
        let h = &self.hyp_chars;
        let stats = &mut self.stats[..CHAR_ORDER];
        for (n, order) in stats.iter_mut().enumerate() {
            let n_ref = (r.len() as u64).saturating_sub(n as u64);
            order[0] = if n_ref > 0 {
                (h.len() as u64).saturating_sub(n as u64)
            } else {
                0
            };
            order[1] = n_ref;
        }
        // Each hypothesis n-gram occurrence takes one of the remaining reference counts: that
        // sums min(hypothesis count, reference count) per n-gram.
        for start in 0..h.len() {
            let mut key = 0u128;
            for (n, &c) in h[start..].iter().take(CHAR_ORDER).enumerate() {
                key |= u128::from(c) << (21 * n);
                match counts.get_mut(&key) {
                    // A longer n-gram from here is in the reference neither.
                    None => break,
                    Some(0) => {}
                    Some(left) => {
                        *left -= 1;
                        stats[n][2] += 1;
                    }
                }
            }
        }
    }
}

/// Fills `stats` (one entry per word order) for hypothesis word ids `hyp` against reference word
/// ids `reference`.
fn word_stats(hyp: &[u32], reference: &[u32], stats: &mut [OrderStats]) {
    let mut counts: FastMap<&[u32], u32> = FastMap::default();
    for (n, order) in stats.iter_mut().enumerate() {
        let len = n + 1;
        counts.clear();
        for gram in reference.windows(len) {
            *counts.entry(gram).or_insert(0) += 1;
        }
        let n_ref = (reference.len() as u64).saturating_sub(n as u64);
        order[0] = if n_ref > 0 {
            (hyp.len() as u64).saturating_sub(n as u64)
        } else {
            0
        };
        order[1] = n_ref;
        for gram in hyp.windows(len) {
            if let Some(left) = counts.get_mut(gram)
                && *left > 0
            {
                *left -= 1;
                order[2] += 1;
            }
        }
    }
}

/// Corpus chrF (`word_order` 0) or chrF++ (`word_order` 2), as sacreBLEU's
/// `CHRF(word_order=word_order).corpus_score(hyps, streams)`, 0 to 100.
///
/// `refs[i]` are the references of `hyps[i]` (one or more; see the [module docs](super)).
/// Zero hypotheses give 0 (sacreBLEU raises `IndexError` there).
///
/// # Panics
///
/// If `hyps` and `refs` differ in length, or a hypothesis has no reference.
pub fn corpus_chrf(hyps: &[&str], refs: &[Vec<&str>], word_order: usize) -> f64 {
    assert_eq!(
        hyps.len(),
        refs.len(),
        "chrF: one list of references per hypothesis"
    );
    let mut scorer = ChrfScorer::new(word_order);
    let mut totals = vec![[0u64; 3]; CHAR_ORDER + word_order];
    for (hyp, hyp_refs) in hyps.iter().zip(refs) {
        for (total, seg) in totals.iter_mut().zip(scorer.segment(hyp, hyp_refs)) {
            for (t, s) in total.iter_mut().zip(seg) {
                *t += s;
            }
        }
    }
    f_score(&totals)
}

/// Sentence chrF (`word_order` 0) or chrF++ (`word_order` 2), as sacreBLEU's
/// `CHRF(word_order=word_order).sentence_score(hyp, refs)`.
///
/// # Panics
///
/// If `refs` is empty.
pub fn sentence_chrf(hyp: &str, refs: &[&str], word_order: usize) -> f64 {
    f_score(ChrfScorer::new(word_order).segment(hyp, refs))
}

/// What `CHRF(word_order=word_order).get_signature()` prints after scoring a corpus with these
/// references, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`; `nrefs` is
/// `var` when the number of references differs between hypotheses (and for zero hypotheses).
pub fn chrf_signature(refs: &[Vec<&str>], word_order: usize) -> String {
    let nrefs = nrefs_label(refs.iter().map(Vec::len));
    format!(
        "nrefs:{nrefs}|case:mixed|eff:yes|nc:{CHAR_ORDER}|nw:{word_order}|space:no|version:{SACREBLEU_VERSION}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_split() {
        let mut out = Vec::new();
        words("(hi) 'quoted' a . ,x é! «x»", &mut out);
        assert_eq!(
            out,
            [
                "(hi", ")", "'quoted", "'", "a", ".", ",", "x", "é", "!", "«x»"
            ]
        );
    }

    #[test]
    fn zero_sentences_and_empty_reference() {
        assert_eq!(corpus_chrf(&[], &[], 0), 0.0);
        assert_eq!(corpus_chrf(&[], &[], 2), 0.0);
        // An empty reference has no n-grams: nothing is counted, the score is 0.
        let mut scorer = ChrfScorer::new(2);
        assert!(
            scorer
                .segment("some words", &[""])
                .iter()
                .all(|s| *s == [0; 3])
        );
    }

    #[test]
    fn perfect_match() {
        assert_eq!(sentence_chrf("abc def", &["abc def"], 0), 100.0);
        assert_eq!(sentence_chrf("abc def", &["abcdef"], 0), 100.0);
        assert_eq!(sentence_chrf("abc def", &["abc def"], 2), 100.0);
    }

    #[test]
    fn short_reference_orders_do_not_count() {
        let mut scorer = ChrfScorer::new(0);
        let stats = scorer.segment("abcdefgh", &["abc"]).to_vec();
        assert_eq!(stats[2], [6, 1, 1]);
        assert_eq!(stats[3], [0, 0, 0]);
    }
}
