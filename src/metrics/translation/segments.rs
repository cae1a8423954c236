//! Per-segment sufficient statistics of BLEU, chrF, chrF++ and TER, and the corpus scores of any
//! multiset of segments: what a bootstrap needs to rescore a resampled corpus without
//! tokenizing or aligning a sentence again.
//!
//! Scoring all the segments of a corpus in order gives the same bits as [`corpus_bleu`],
//! [`corpus_chrf`] and [`corpus_ter`]: the sums are of integers, but for TER's reference
//! length, which is summed in the same order.
//!
//! [`corpus_bleu`]: super::corpus_bleu
//! [`corpus_chrf`]: super::corpus_chrf
//! [`corpus_ter`]: super::corpus_ter

use super::bleu::{BleuScorer, BleuStats, compute_bleu};
use super::chrf::{CHAR_ORDER, ChrfScorer, OrderStats, f_score};
use super::ter::{TerScorer, ter_score};

/// chrF++'s word n-gram order.
const WORD_ORDER_PP: usize = 2;

/// One segment's statistics for the four corpus metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentStats {
    bleu: BleuStats,
    chrf: [OrderStats; CHAR_ORDER],
    chrf_pp: [OrderStats; CHAR_ORDER + WORD_ORDER_PP],
    ter_edits: u64,
    ter_ref_length: f64,
}

/// Corpus BLEU, chrF, chrF++ and TER, 0 to 100 (TER can exceed 100).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CorpusScores {
    pub bleu: f64,
    pub chrf: f64,
    pub chrf_pp: f64,
    pub ter: f64,
}

/// Computes [`SegmentStats`], its buffers reused from one segment to the next.
pub struct SegmentScorer {
    bleu: BleuScorer,
    chrf: ChrfScorer,
    chrf_pp: ChrfScorer,
    ter: TerScorer,
}

impl Default for SegmentScorer {
    fn default() -> Self {
        SegmentScorer {
            bleu: BleuScorer::default(),
            chrf: ChrfScorer::new(0),
            chrf_pp: ChrfScorer::new(WORD_ORDER_PP),
            ter: TerScorer::default(),
        }
    }
}

impl SegmentScorer {
    /// The statistics of `hyp` against `refs`.
    ///
    /// # Panics
    ///
    /// If `refs` is empty.
    pub fn segment(&mut self, hyp: &str, refs: &[&str]) -> SegmentStats {
        let bleu = self.bleu.segment(hyp, refs);
        let chrf = self
            .chrf
            .segment(hyp, refs)
            .try_into()
            .expect("chrF orders");
        let chrf_pp = self
            .chrf_pp
            .segment(hyp, refs)
            .try_into()
            .expect("chrF++ orders");
        let (ter_edits, ter_ref_length) = self.ter.segment(hyp, refs);
        SegmentStats {
            bleu,
            chrf,
            chrf_pp,
            ter_edits,
            ter_ref_length,
        }
    }
}

/// The corpus scores of `segments`, in the order given (which matters only for TER's
/// floating-point sum of reference lengths).
pub fn corpus_scores<'a>(segments: impl IntoIterator<Item = &'a SegmentStats>) -> CorpusScores {
    let mut bleu = BleuStats::default();
    let mut chrf = [[0u64; 3]; CHAR_ORDER];
    let mut chrf_pp = [[0u64; 3]; CHAR_ORDER + WORD_ORDER_PP];
    let (mut ter_edits, mut ter_ref_length) = (0u64, 0.0f64);
    let add = |total: &mut [OrderStats], segment: &[OrderStats]| {
        for (t, s) in total.iter_mut().zip(segment) {
            for (t, s) in t.iter_mut().zip(s) {
                *t += s;
            }
        }
    };
    for segment in segments {
        bleu += segment.bleu;
        add(&mut chrf, &segment.chrf);
        add(&mut chrf_pp, &segment.chrf_pp);
        ter_edits += segment.ter_edits;
        ter_ref_length += segment.ter_ref_length;
    }
    CorpusScores {
        bleu: compute_bleu(&bleu, false).score,
        chrf: f_score(&chrf),
        chrf_pp: f_score(&chrf_pp),
        ter: ter_score(ter_edits, ter_ref_length).score,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::translation::{corpus_bleu, corpus_chrf, corpus_ter};

    #[test]
    fn summed_segments_score_the_same_bits_as_the_corpus_functions() {
        let hyps = [
            "The cat sat on the mat.",
            "",
            "Il fait beau aujourd'hui, n'est-ce pas ?",
            "A dog. A dog. A dog.",
            "我喜欢喝绿茶。",
        ];
        let refs: Vec<Vec<&str>> = vec![
            vec!["The cat is on the mat.", "There is a cat on the mat."],
            vec!["Nothing here."],
            vec!["Il fait beau aujourd'hui, non ?"],
            vec!["A dog barks.", ""],
            vec!["我喜欢喝茶。"],
        ];
        let mut scorer = SegmentScorer::default();
        let segments: Vec<SegmentStats> = hyps
            .iter()
            .zip(&refs)
            .map(|(h, r)| scorer.segment(h, r))
            .collect();
        let scores = corpus_scores(&segments);
        assert_eq!(
            scores.bleu.to_bits(),
            corpus_bleu(&hyps, &refs).score.to_bits()
        );
        assert_eq!(
            scores.chrf.to_bits(),
            corpus_chrf(&hyps, &refs, 0).to_bits()
        );
        assert_eq!(
            scores.chrf_pp.to_bits(),
            corpus_chrf(&hyps, &refs, 2).to_bits()
        );
        assert_eq!(
            scores.ter.to_bits(),
            corpus_ter(&hyps, &refs).score.to_bits()
        );
        // A resample: the second segment twice, the fourth once.
        let picked = [&segments[1], &segments[3], &segments[1]];
        let again = corpus_scores(picked);
        let (h, r) = (
            [hyps[1], hyps[3], hyps[1]],
            vec![refs[1].clone(), refs[3].clone(), refs[1].clone()],
        );
        assert_eq!(again.bleu.to_bits(), corpus_bleu(&h, &r).score.to_bits());
        assert_eq!(again.ter.to_bits(), corpus_ter(&h, &r).score.to_bits());
    }
}
