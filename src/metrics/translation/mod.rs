//! Machine-translation metrics, identical to sacreBLEU 2.6.0 with its defaults.
//!
//! - [`bleu`]: corpus and sentence BLEU (`13a` tokenizer, `exp` smoothing, case-sensitive,
//!   n-grams up to 4), with the statistics sacreBLEU reports and its signatures.
//! - [`chrf`]: corpus and sentence chrF and chrF++ (character order 6, β = 2, word order 0 or 2).
//! - [`ter`]: corpus and sentence TER (tercom tokenizer, case-insensitive, with shifts).
//! - [`mod@tokenize_13a`]: the `13a` tokenizer on its own.
//!
//! `tests/sacrebleu_oracle.rs` (BLEU, chrF) and `tests/ter_oracle.rs` (TER) check every value
//! against fixtures computed by sacreBLEU itself (`tests/fixtures/sacrebleu/`).
//!
//! # References: per hypothesis here, streams in sacreBLEU
//!
//! Here `refs[i]` holds the references of hypothesis `i`: one or more, and their number may
//! differ between hypotheses. sacreBLEU instead takes reference *streams*, each as long as the
//! hypotheses (`refs[k][i]` is reference `k` of hypothesis `i`). It supports a variable number of
//! references through `None` entries in the streams: `Metric._cache_references` drops the `None`
//! references of each segment before anything else, so a missing reference does not count and
//! cannot match. The equivalent sacreBLEU input for `refs` is therefore `max_i len(refs[i])`
//! streams, with `refs[i][k]` in stream `k` and `None` padding the shorter lists at the end. The
//! order of the references matters in one place only: with several references chrF keeps the
//! first of those with the best F score.
//!
//! An empty string is *not* a missing reference to sacreBLEU (although a docstring there says
//! `''` or `None`): it is a reference with no tokens and no characters. It counts in `nrefs`, can
//! be BLEU's closest reference length (0, which changes `ref_len` and so the brevity penalty),
//! and for chrF it gives an F score of 0 and, listed first, is kept when no other reference
//! scores above 0, contributing no counts (see [`chrf`]). Here an empty `&str` in `refs[i]` is
//! likewise an empty reference, as sacreBLEU's `""`.
//!
//! The signatures follow sacreBLEU: `nrefs` is the number of references per hypothesis when all
//! hypotheses have the same number, and `var` when they do not (the `None`s are not counted).
//!
//! A hypothesis with no reference at all (a segment that is `None` in every stream) has no
//! sacreBLEU result: BLEU raises `TypeError` (or, for an empty hypothesis, counts a reference
//! length of -1) and chrF raises `IndexError`. Here it panics, as do `hyps` and `refs` of
//! different lengths (which sacreBLEU does not check: it silently misaligns).
//!
//! # Zero sentences, empty strings
//!
//! - Zero hypotheses: sacreBLEU raises `IndexError` (`corpus_score` looks at `hyps[0]`). Here
//!   corpus BLEU is the score of all-zero statistics, as `BLEU.compute_bleu` gives it: score 0,
//!   counts and totals 0, precisions 0, `bp` 1, lengths 0, `ratio` 0; corpus chrF and chrF++ are 0.
//!   The signatures then say `nrefs:var` (sacreBLEU's rule applied to an empty set of
//!   per-segment counts).
//! - An empty (or whitespace-only) hypothesis has no tokens: it adds its closest reference length
//!   to `ref_len` and nothing to the counts, and its sentence BLEU and chrF are 0.
//! - An empty reference: see above; a hypothesis whose only reference is empty scores 0 in
//!   sentence BLEU and chrF, and adds nothing to the corpus chrF counts (its hypothesis n-grams
//!   are not counted either), while corpus BLEU counts its tokens in `sys_len` and `totals`.

pub mod bleu;
pub mod chrf;
mod common;
pub mod segments;
pub mod ter;
pub mod tokenize_13a;

pub use bleu::{BleuScore, bleu_signature, corpus_bleu, sentence_bleu, sentence_bleu_signature};
pub use chrf::{chrf_signature, corpus_chrf, sentence_chrf};
pub use segments::{CorpusScores, SegmentScorer, SegmentStats, corpus_scores};
pub use ter::{TerScore, corpus_ter, sentence_ter, ter_signature};
pub use tokenize_13a::tokenize_13a;
