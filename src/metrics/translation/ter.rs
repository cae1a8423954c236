//! Translation edit rate (TER; Snover et al., 2006), the same numbers as sacreBLEU 2.6.0's
//! default `TER()`: tercom tokenizer, case-insensitive, punctuation kept, no normalization,
//! shifts on. Checked against sacreBLEU by `tests/ter_oracle.rs` (fixtures in
//! `tests/fixtures/sacrebleu/`, see `README_TER.md` there).
//!
//! # What is computed
//!
//! Texts become words as in `tokenize_ter.rs`: split on Python whitespace, lowercased by
//! Python 3.11's `str.lower()` (Unicode 14.0), punctuation left attached. For a hypothesis `h` and one reference `r`, the edits are the number of
//! block shifts applied to `h` plus the edit distance left afterwards (insertions, deletions and
//! substitutions cost 1). sacreBLEU, and so this module, reproduces tercom's heuristics:
//!
//! - **Edit distance** is computed over a beam: row `i` of the matrix (hypothesis words) only
//!   fills columns within 25 of the pseudo-diagonal `floor(i * (|r| / |h|))`, in floating
//!   point (wider when the length ratio exceeds 50). The result can exceed the true Levenshtein
//!   distance for very unequal or scrambled sentences; it is sacreBLEU's number all the same.
//!   Ties in the path are broken match/substitution first, then deletion, then insertion, and
//!   that path decides which words count as errors and where each reference word is aligned.
//! - **Shifts** are searched greedily. Candidates are the blocks of 1 to 10 words of `h`
//!   equal to a block of `r` starting at most 50 positions away, in order of hypothesis
//!   position, reference position and length, skipping blocks whose hypothesis words are all
//!   correct, whose reference words are all matched, or that are already aligned to the
//!   reference block's first word. Each is tried at the (distinct) positions just after the
//!   alignment of the reference words before and along the reference block. The shift that
//!   reduces the edit distance most wins (then the longest, the earliest in `h`, the earliest
//!   target); it is applied if it reduces the distance, and the search repeats.
//! - **Budget**: after 1000 candidates evaluated for one `(h, r)`, counted across rounds and
//!   checked after each block, the search stops and the round in progress is discarded.
//!
//! With several references a sentence takes the fewest edits over its references and the mean
//! of their lengths (in words). A corpus score is `100 * sum(edits) / sum(mean lengths)`.
//!
//! # References, empty texts, empty corpora
//!
//! - **Variable reference counts**: `refs[i]` holds exactly hypothesis `i`'s references. This is
//!   sacreBLEU's reference streams padded with `None`, which `TER` drops per sentence (the mean
//!   length is over the references present; the signature reads `nrefs:var`). Padding with `""`
//!   instead is not the same in sacreBLEU: `""` is a real, empty reference, which here is an
//!   `""` in `refs[i]` and takes part in the minimum and the mean like any other.
//! - **Empty reference** (no words): `|h|` edits (all deletions), length 0. **Empty
//!   hypothesis**: `|r|` edits, length `|r|`.
//! - **Zero total reference length**: the score is 100 if there are edits, else 0 (sacreBLEU's
//!   rule), so an empty hypothesis against an empty reference scores 0.
//! - **Zero sentences**: sacreBLEU raises (`IndexError`); here the score, edits and length are
//!   all 0, and [`ter_signature`] reports `nrefs:var`, as sacreBLEU does for an empty reference
//!   set (`TER(references=[[]])`).
//! - **Panics** if `hyps` and `refs` differ in length, or a hypothesis has no reference at all
//!   (sacreBLEU divides by zero there).
//!
//! `num_edits` is an integer (sacreBLEU's `TERScore.num_edits` is an `int`), `ref_length` a sum
//! of means added in sentence order as sacreBLEU adds them, and the score the same division, so
//! all three are bit-for-bit sacreBLEU's.

#[path = "tokenize_ter.rs"]
mod tokenize;

use tokenize::Interner;

/// A TER score: `score` is `100 * num_edits / ref_length` (see the module docs for zeros).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TerScore {
    pub score: f64,
    /// Total edits (shifts + insertions + deletions + substitutions), an integer.
    pub num_edits: f64,
    /// Sum over sentences of the mean reference length in words.
    pub ref_length: f64,
}

/// Corpus TER of `hyps`, where `refs[i]` are hypothesis `i`'s references (1 or more; counts may
/// differ between hypotheses).
///
/// # Panics
///
/// If `refs.len() != hyps.len()`, or some `refs[i]` is empty.
pub fn corpus_ter(hyps: &[&str], refs: &[Vec<&str>]) -> TerScore {
    assert_eq!(
        hyps.len(),
        refs.len(),
        "corpus_ter: {} hypotheses but {} reference lists",
        hyps.len(),
        refs.len()
    );
    let mut scorer = TerScorer::default();
    let mut num_edits: u64 = 0;
    let mut ref_length = 0.0_f64;
    for (n, (hyp, refs)) in hyps.iter().zip(refs).enumerate() {
        assert!(
            !refs.is_empty(),
            "corpus_ter: hypothesis {n} has no reference"
        );
        let (edits, length) = scorer.segment(hyp, refs);
        num_edits += edits;
        ref_length += length;
    }
    ter_score(num_edits, ref_length)
}

/// The corpus score of summed statistics: `100 * num_edits / ref_length`, or (no reference
/// words) 100 when there are edits and 0 when there are none.
pub(crate) fn ter_score(num_edits: u64, ref_length: f64) -> TerScore {
    let score = if ref_length > 0.0 {
        100.0 * (num_edits as f64 / ref_length)
    } else if num_edits > 0 {
        100.0
    } else {
        0.0
    };
    TerScore {
        score,
        num_edits: num_edits as f64,
        ref_length,
    }
}

/// Computes segment statistics, reusing its buffers from one segment to the next.
#[derive(Default)]
pub(crate) struct TerScorer {
    interner: Interner,
    search: ShiftSearch,
    hyp_words: Vec<u32>,
    ref_words: Vec<u32>,
}

impl TerScorer {
    /// The edits of `hyp` against its closest reference, and the mean length of its references
    /// in words (`refs` must not be empty).
    pub(crate) fn segment(&mut self, hyp: &str, refs: &[&str]) -> (u64, f64) {
        self.interner.tokenize(hyp, &mut self.hyp_words);
        let mut best = usize::MAX;
        let mut lengths = 0usize;
        for reference in refs {
            self.interner.tokenize(reference, &mut self.ref_words);
            best = best.min(self.search.edits(&self.hyp_words, &self.ref_words));
            lengths += self.ref_words.len();
        }
        (best as u64, lengths as f64 / refs.len() as f64)
    }
}

/// TER of one hypothesis against its references (sacreBLEU's `TER().sentence_score`).
///
/// # Panics
///
/// If `refs` is empty.
pub fn sentence_ter(hyp: &str, refs: &[&str]) -> TerScore {
    corpus_ter(&[hyp], &[refs.to_vec()])
}

/// sacreBLEU's `TER().get_signature()` after scoring against `refs`: `nrefs` is the number of
/// references per hypothesis, or `var` when it differs between hypotheses (or there are none).
pub fn ter_signature(refs: &[Vec<&str>]) -> String {
    let nrefs = match refs.first() {
        Some(first) if refs.iter().all(|r| r.len() == first.len()) => first.len().to_string(),
        _ => "var".to_owned(),
    };
    format!("nrefs:{nrefs}|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0")
}

/// Longest block of words shifted at once.
const MAX_SHIFT_SIZE: usize = 10;
/// Largest distance between a block's start in the hypothesis and in the reference.
const MAX_SHIFT_DIST: usize = 50;
/// Half-width of the edit distance beam around the pseudo-diagonal.
const BEAM_WIDTH: usize = 25;
/// Shift candidates evaluated per (hypothesis, reference) before the search gives up.
const MAX_SHIFT_CANDIDATES: usize = 1000;
/// A cell outside the beam. Far above any distance, and far from overflowing when incremented.
const INF: u32 = 1 << 30;

/// How a cell of the edit distance matrix was reached (rows: hypothesis, columns: reference).
const MATCH: u8 = 0;
const SUBSTITUTE: u8 = 1;
/// Hypothesis word dropped (vertical step).
const DELETE: u8 = 2;
/// Reference word added (horizontal step).
const INSERT: u8 = 3;

/// A shift: the block `words[start..start + len]` moved so that it starts at `to` in the result.
/// `target` is sacreBLEU's insertion index, which decides `to` and breaks ties.
#[derive(Clone, Copy)]
struct Shift {
    start: usize,
    len: usize,
    target: usize,
    to: usize,
}

/// The search for one (hypothesis, reference) pair, its buffers reused from pair to pair.
///
/// The edit distance matrix is stored by band: row `i` holds columns `lo[i]..hi[i]` at
/// `at[i]..`; cells outside the band are infinite. Row `i` depends only on the first `i`
/// hypothesis words, so a shifted hypothesis reuses the rows of its unchanged prefix. A shift
/// also leaves the suffix unchanged, so candidates are scored by recomputing only the rows of
/// the words that moved and joining them with the backward distances of the current hypothesis
/// (`back`: from a cell to the end, over the same band); both give the shortest path through the
/// beam, which is what sacreBLEU's row-by-row computation yields.
#[derive(Default)]
struct ShiftSearch {
    lo: Vec<usize>,
    hi: Vec<usize>,
    at: Vec<usize>,
    /// Forward distances of `words` (from the start to a cell) and the step that reached each.
    dist: Vec<u32>,
    step: Vec<u8>,
    /// Backward distances of `words` (from a cell to the end).
    back: Vec<u32>,
    /// One full-width row (`|r| + 2` cells), infinite outside the band being computed.
    row: Vec<u32>,
    /// The current hypothesis, and a copy that candidates are applied to and undone.
    words: Vec<u32>,
    trial: Vec<u32>,
    /// The alignment of the current hypothesis: reference position -> hypothesis position
    /// (-1 before the first word), and prefix sums of the words in error on each side.
    align: Vec<isize>,
    hyp_errors: Vec<u32>,
    ref_errors: Vec<u32>,
    candidates: Vec<Shift>,
}

impl ShiftSearch {
    /// sacreBLEU's `translation_edit_rate(hyp, r)[0]`: shifts + remaining edit distance.
    fn edits(&mut self, hyp: &[u32], r: &[u32]) -> usize {
        if r.is_empty() || hyp.is_empty() {
            return hyp.len() + r.len();
        }
        let (n, m) = (hyp.len(), r.len());
        self.set_up(n, m);
        self.words.clear();
        self.words.extend_from_slice(hyp);
        self.forward(0, r);
        let mut shifts = 0;
        let mut checked = 0;
        loop {
            let current = self.dist[self.at[n] + m - self.lo[n]];
            self.align(n, m);
            if self.collect_candidates(r, &mut checked) || self.candidates.is_empty() {
                return shifts + current as usize;
            }
            self.backward(r);
            self.trial.clone_from(&self.words);
            let mut best: Option<((i64, usize, i64, i64), Shift)> = None;
            let candidates = std::mem::take(&mut self.candidates);
            for &shift in &candidates {
                let gain = i64::from(current) - i64::from(self.distance_after(shift, r));
                let key = (
                    gain,
                    shift.len,
                    -(shift.start as i64),
                    -(shift.target as i64),
                );
                if best.is_none_or(|(b, _)| key > b) {
                    best = Some((key, shift));
                }
            }
            self.candidates = candidates;
            let Some(((gain, ..), shift)) = best else {
                unreachable!("candidates is not empty")
            };
            if gain <= 0 {
                return shifts + current as usize;
            }
            shifts += 1;
            let (from, _) = apply(&mut self.trial, &self.words, shift);
            std::mem::swap(&mut self.words, &mut self.trial);
            self.forward(from, r);
        }
    }

    /// The beam of each row for an `n`-word hypothesis and an `m`-word reference.
    fn set_up(&mut self, n: usize, m: usize) {
        let ratio = m as f64 / n as f64;
        let beam = if (BEAM_WIDTH as f64) < ratio / 2.0 {
            (ratio / 2.0 + BEAM_WIDTH as f64).ceil() as usize
        } else {
            BEAM_WIDTH
        };
        self.lo.clear();
        self.hi.clear();
        self.at.clear();
        let mut size = 0;
        for i in 0..=n {
            let (lo, hi) = if i == 0 {
                (0, m + 1)
            } else {
                let diagonal = (i as f64 * ratio).floor() as usize;
                let hi = if i == n {
                    m + 1
                } else {
                    (diagonal + beam).min(m + 1)
                };
                (diagonal.saturating_sub(beam), hi)
            };
            self.lo.push(lo);
            self.hi.push(hi);
            self.at.push(size);
            size += hi - lo;
        }
        self.dist.resize(size, INF);
        self.step.resize(size, INSERT);
        self.back.resize(size, INF);
        for j in 0..=m {
            self.dist[j] = j as u32;
            self.step[j] = INSERT;
        }
        self.row.clear();
        self.row.resize(m + 2, INF);
    }

    /// Forward distances and steps of rows `from + 1..=n` of `words`, from row `from`.
    fn forward(&mut self, from: usize, r: &[u32]) {
        let n = self.words.len();
        let (lo0, hi0, at0) = (self.lo[from], self.hi[from], self.at[from]);
        self.row[lo0..hi0].copy_from_slice(&self.dist[at0..at0 + hi0 - lo0]);
        for i in from + 1..=n {
            let (plo, phi) = (self.lo[i - 1], self.hi[i - 1]);
            let (lo, hi, at) = (self.lo[i], self.hi[i], self.at[i]);
            let word = self.words[i - 1];
            let row = &mut self.row;
            let steps = &mut self.step[at..at + hi - lo];
            let mut diagonal = if lo > 0 { row[lo - 1] } else { INF };
            let mut left = INF;
            let mut j = lo;
            if lo == 0 {
                diagonal = row[0];
                row[0] += 1;
                left = row[0];
                steps[0] = DELETE;
                j = 1;
            }
            for ((cell, step), &rw) in row[j..hi]
                .iter_mut()
                .zip(&mut steps[j - lo..])
                .zip(&r[j - 1..hi - 1])
            {
                let up = *cell;
                let (mut best, mut how) = if word == rw {
                    (diagonal, MATCH)
                } else {
                    (diagonal + 1, SUBSTITUTE)
                };
                if up + 1 < best {
                    (best, how) = (up + 1, DELETE);
                }
                if left + 1 < best {
                    (best, how) = (left + 1, INSERT);
                }
                *cell = best;
                *step = how;
                diagonal = up;
                left = best;
            }
            clear_outside(row, plo, phi, lo, hi);
            self.dist[at..at + hi - lo].copy_from_slice(&row[lo..hi]);
        }
        let (lo, hi) = (self.lo[n], self.hi[n]);
        self.row[lo..hi].fill(INF);
    }

    /// Backward distances of all rows of `words`, from a cell to the last one.
    fn backward(&mut self, r: &[u32]) {
        let (n, m) = (self.words.len(), r.len());
        let (lo, hi, at) = (self.lo[n], self.hi[n], self.at[n]);
        for j in lo..hi {
            self.row[j] = (m - j) as u32;
        }
        self.back[at..at + hi - lo].copy_from_slice(&self.row[lo..hi]);
        for i in (0..n).rev() {
            let (lo, hi, at, next_hi) = (self.lo[i], self.hi[i], self.at[i], self.hi[i + 1]);
            let word = self.words[i];
            let row = &mut self.row;
            let mut diagonal = row[hi];
            let mut right = INF;
            let mut j = hi;
            if hi == m + 1 {
                // The last column has no diagonal step.
                let down = row[m];
                row[m] = down + 1;
                diagonal = down;
                right = row[m];
                j = m;
            }
            for (cell, &rw) in row[lo..j].iter_mut().zip(&r[lo..j]).rev() {
                let down = *cell;
                let value = (diagonal + u32::from(word != rw))
                    .min(down + 1)
                    .min(right + 1);
                *cell = value;
                diagonal = down;
                right = value;
            }
            clear_outside(row, self.lo[i + 1], next_hi, lo, hi);
            self.back[at..at + hi - lo].copy_from_slice(&row[lo..hi]);
        }
        let (lo, hi) = (self.lo[0], self.hi[0]);
        self.row[lo..hi].fill(INF);
        debug_assert_eq!(self.back[0], self.dist[self.at[n] + m - self.lo[n]]);
    }

    /// The alignment of `words` to the reference along the edit distance path.
    fn align(&mut self, n: usize, m: usize) {
        self.align.clear();
        self.align.resize(m, -1);
        let hyp_wrong = &mut self.hyp_errors;
        let ref_wrong = &mut self.ref_errors;
        hyp_wrong.clear();
        hyp_wrong.resize(n + 1, 0);
        ref_wrong.clear();
        ref_wrong.resize(m + 1, 0);
        let (mut i, mut j) = (n, m);
        while i > 0 || j > 0 {
            debug_assert!(self.lo[i] <= j && j < self.hi[i]);
            match self.step[self.at[i] + j - self.lo[i]] {
                how @ (MATCH | SUBSTITUTE) => {
                    i -= 1;
                    j -= 1;
                    self.align[j] = i as isize;
                    let wrong = u32::from(how == SUBSTITUTE);
                    hyp_wrong[i + 1] = wrong;
                    ref_wrong[j + 1] = wrong;
                }
                DELETE => {
                    i -= 1;
                    hyp_wrong[i + 1] = 1;
                }
                _ => {
                    j -= 1;
                    self.align[j] = i as isize - 1;
                    ref_wrong[j + 1] = 1;
                }
            }
        }
        for k in 1..=n {
            hyp_wrong[k] += hyp_wrong[k - 1];
        }
        for k in 1..=m {
            ref_wrong[k] += ref_wrong[k - 1];
        }
    }

    /// This round's candidate shifts, in sacreBLEU's order; true if the budget ran out.
    fn collect_candidates(&mut self, r: &[u32], checked: &mut usize) -> bool {
        self.candidates.clear();
        let (words, align) = (&self.words, &self.align);
        let (hyp_wrong, ref_wrong) = (&self.hyp_errors, &self.ref_errors);
        let (n, m) = (words.len(), r.len());
        for start in 0..n {
            let first = words[start];
            let near = start.saturating_sub(MAX_SHIFT_DIST)..m.min(start + MAX_SHIFT_DIST + 1);
            for ref_start in near {
                if r[ref_start] != first {
                    continue;
                }
                let longest = MAX_SHIFT_SIZE.min(n - start).min(m - ref_start);
                let mut len = 0;
                while len < longest && words[start + len] == r[ref_start + len] {
                    len += 1;
                    if hyp_wrong[start + len] == hyp_wrong[start]
                        || ref_wrong[ref_start + len] == ref_wrong[ref_start]
                    {
                        continue;
                    }
                    let aligned = align[ref_start];
                    if start as isize <= aligned && aligned < (start + len) as isize {
                        continue;
                    }
                    let mut previous = None;
                    for k in ref_start as isize - 1..(ref_start + len) as isize {
                        let target = if k < 0 {
                            0
                        } else {
                            (align[k as usize] + 1) as usize
                        };
                        if previous == Some(target) {
                            continue;
                        }
                        previous = Some(target);
                        let to = if target < start {
                            target
                        } else if target > start + len {
                            target - len
                        } else {
                            target.min(n - len)
                        };
                        self.candidates.push(Shift {
                            start,
                            len,
                            target,
                            to,
                        });
                        *checked += 1;
                    }
                    if *checked >= MAX_SHIFT_CANDIDATES {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// The edit distance of `words` after `shift`, `trial` being equal to `words` (and left so).
    fn distance_after(&mut self, shift: Shift, r: &[u32]) -> u32 {
        let (n, m) = (self.words.len(), r.len());
        let (from, to) = apply(&mut self.trial, &self.words, shift);
        let current = self.dist[self.at[n] + m - self.lo[n]];
        if from == to {
            return current;
        }
        let (lo0, hi0, at0) = (self.lo[from], self.hi[from], self.at[from]);
        self.row[lo0..hi0].copy_from_slice(&self.dist[at0..at0 + hi0 - lo0]);
        for i in from + 1..=to {
            let (plo, phi) = (self.lo[i - 1], self.hi[i - 1]);
            let (lo, hi) = (self.lo[i], self.hi[i]);
            let word = self.trial[i - 1];
            let row = &mut self.row;
            let mut diagonal = if lo > 0 { row[lo - 1] } else { INF };
            let mut left = INF;
            let mut j = lo;
            if lo == 0 {
                diagonal = row[0];
                row[0] += 1;
                left = row[0];
                j = 1;
            }
            for (cell, &rw) in row[j..hi].iter_mut().zip(&r[j - 1..hi - 1]) {
                let up = *cell;
                let value = (diagonal + u32::from(word != rw)).min(up + 1).min(left + 1);
                *cell = value;
                diagonal = up;
                left = value;
            }
            clear_outside(row, plo, phi, lo, hi);
        }
        let (lo, hi, at) = (self.lo[to], self.hi[to], self.at[to]);
        let distance = self.row[lo..hi]
            .iter()
            .zip(&self.back[at..at + hi - lo])
            .map(|(f, b)| f + b)
            .min()
            .unwrap_or(INF);
        self.row[lo..hi].fill(INF);
        let (start, end) = shift_span(shift);
        self.trial[start..end].copy_from_slice(&self.words[start..end]);
        distance
    }
}

/// Makes the cells of the previous band `plo..phi` that are not in the new band `lo..hi` infinite
/// again (bands only slide, so a full-width row is infinite outside the band it holds).
fn clear_outside(row: &mut [u32], plo: usize, phi: usize, lo: usize, hi: usize) {
    row[plo..lo.clamp(plo, phi)].fill(INF);
    row[hi.clamp(plo, phi)..phi].fill(INF);
}

/// The positions a shift rewrites: `start..end`.
fn shift_span(shift: Shift) -> (usize, usize) {
    (
        shift.start.min(shift.to),
        shift.start.max(shift.to) + shift.len,
    )
}

/// Writes `words` shifted by `shift` into `out` (equal to `words` outside the shift's span) and
/// returns the positions that actually changed as `from..to` (empty if none did).
fn apply(out: &mut [u32], words: &[u32], shift: Shift) -> (usize, usize) {
    let Shift { start, len, to, .. } = shift;
    if to < start {
        out[to..to + len].copy_from_slice(&words[start..start + len]);
        out[to + len..start + len].copy_from_slice(&words[to..start]);
    } else if to > start {
        out[start..to].copy_from_slice(&words[start + len..to + len]);
        out[to..to + len].copy_from_slice(&words[start..start + len]);
    }
    let (begin, end) = shift_span(shift);
    let Some(first) = (begin..end).find(|&k| out[k] != words[k]) else {
        return (begin, begin);
    };
    let last = (begin..end).rev().find(|&k| out[k] != words[k]).unwrap();
    (first, last + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edits(h: &str, r: &str) -> f64 {
        sentence_ter(h, &[r]).num_edits
    }

    #[test]
    fn counts_a_block_shift_as_one_edit() {
        assert_eq!(edits("d e f a b c", "a b c d e f"), 1.0);
        assert_eq!(edits("the cat sat", "the cat sat"), 0.0);
        assert_eq!(edits("", "a b c"), 3.0);
        assert_eq!(edits("a b c", ""), 3.0);
    }

    #[test]
    fn empty_and_zero_cases() {
        let s = sentence_ter("", &[""]);
        assert_eq!((s.score, s.num_edits, s.ref_length), (0.0, 0.0, 0.0));
        let s = sentence_ter("x y", &[""]);
        assert_eq!((s.score, s.num_edits, s.ref_length), (100.0, 2.0, 0.0));
        let s = corpus_ter(&[], &[]);
        assert_eq!((s.score, s.num_edits, s.ref_length), (0.0, 0.0, 0.0));
        assert_eq!(
            ter_signature(&[]),
            "nrefs:var|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0"
        );
    }

    #[test]
    fn best_reference_and_mean_length() {
        // "" offers 1 edit against length 0, the other 3 against 4: best 1, mean length 2.
        let s = sentence_ter("a", &["", "a b c d"]);
        assert_eq!((s.score, s.num_edits, s.ref_length), (50.0, 1.0, 2.0));
        assert_eq!(
            ter_signature(&[vec!["a", "b"], vec!["c"]]),
            "nrefs:var|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0"
        );
        assert_eq!(
            ter_signature(&[vec!["a", "b"], vec!["c", "d"]]),
            "nrefs:2|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0"
        );
    }

    #[test]
    #[should_panic(expected = "has no reference")]
    fn a_hypothesis_without_references_panics() {
        corpus_ter(&["a"], &[vec![]]);
    }

    /// The backward join gives the distance a full recomputation gives, for every candidate.
    #[test]
    fn candidate_distances_match_full_recomputation() {
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |k: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % k) as u32
        };
        let mut search = ShiftSearch::default();
        let mut full = ShiftSearch::default();
        for _ in 0..300 {
            let n = 1 + next(70) as usize;
            let m = 1 + next(70) as usize;
            let vocab = 2 + u64::from(next(6));
            let h: Vec<u32> = (0..n).map(|_| next(vocab)).collect();
            let r: Vec<u32> = (0..m).map(|_| next(vocab)).collect();
            search.set_up(n, m);
            search.words = h.clone();
            search.forward(0, &r);
            search.align(n, m);
            let mut checked = 0;
            search.collect_candidates(&r, &mut checked);
            search.backward(&r);
            search.trial = h.clone();
            for k in 0..search.candidates.len() {
                let shift = search.candidates[k];
                let fast = search.distance_after(shift, &r);
                assert_eq!(search.trial, h);
                let mut shifted = h.clone();
                apply(&mut shifted, &h, shift);
                full.set_up(n, m);
                full.words = shifted;
                full.forward(0, &r);
                assert_eq!(fast, full.dist[full.at[n] + m - full.lo[n]]);
            }
        }
    }
}
