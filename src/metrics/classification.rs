//! Classification metrics: confusion matrix, accuracy, precision, recall and F1.
//!
//! Every value is bit-for-bit the one scikit-learn 1.9.1 returns for
//! `accuracy_score(y_true, y_pred)` and
//! `precision_recall_fscore_support(y_true, y_pred, labels=<the suite's labels>,
//! zero_division=0, average=...)`, where `y_pred` holds `<invalid>` (a value outside `labels`)
//! for model output that maps to no label. `tests/sklearn_oracle.rs` checks this against
//! fixtures produced by scikit-learn itself.
//!
//! # Semantics
//!
//! For label `i`, with `tp` the cases whose truth and prediction are both `i`, `pred` the cases
//! predicted `i` and `true` the cases whose truth is `i` (its *support*):
//!
//! - precision = `tp / pred`, recall = `tp / true`, and F1 = `2·tp / (true + pred)`. scikit-learn
//!   computes F from the counts, not as `2·P·R / (P + R)`; the two differ in the last bit for
//!   many inputs, so this module uses the count formula. A zero denominator gives `0.0`
//!   (`zero_division=0`): a label never predicted has precision 0, a label with no support has
//!   recall 0, a label neither true nor predicted has F1 0.
//! - `<invalid>` predictions count against the true label: they lower its recall (the case is
//!   in `true` but not in `tp`) and they are wrong for accuracy. They enter no label's `pred`,
//!   so they lower no label's precision.
//! - accuracy = correct / all cases, `<invalid>` counting as wrong.
//! - micro: the counts are summed over the labels first, then divided:
//!   precision = `Σtp / Σpred`, recall = `Σtp / Σtrue`, F1 = `2·Σtp / (Σtrue + Σpred)`. Since the
//!   truth is always one of the labels, micro recall equals accuracy; micro precision leaves
//!   `<invalid>` predictions out of its denominator, so it is **higher than accuracy** whenever
//!   some predictions are `<invalid>` (and some are right). Micro F1 likewise differs from
//!   accuracy then.
//! - macro: the unweighted mean of the per-label values (labels with no support and no
//!   predictions included, as zeros). Macro F1 is the mean of the per-label F1 values, not the F1
//!   of macro precision and macro recall.
//! - weighted: the mean of the per-label values weighted by support. If the supports sum to zero
//!   scikit-learn falls back to the unweighted mean; that can only happen here for an empty
//!   confusion (every case has a true label), where it gives `0.0`.
//! - binary: scikit-learn's `average="binary"` with `pos_label` is defined only when `y_true`
//!   and `y_pred` together hold at most two distinct values; it then equals the positive label's
//!   per-label scores. [`ClassificationMetrics::binary`] is that label's per-label scores for any
//!   number of labels, so it equals scikit-learn wherever scikit-learn defines it (e.g. it also
//!   has a value for 2 labels plus `<invalid>` predictions, which scikit-learn rejects as a
//!   multiclass target).
//!
//! # Empty input
//!
//! scikit-learn raises `ValueError` ("Found empty input array") for zero cases. Here an empty
//! confusion (or one with no labels) gives `0.0` for accuracy and every precision, recall and F1,
//! and support 0: the `zero_division=0` convention carried through (0/0 is 0; the weighted
//! average falls back to the plain mean, as scikit-learn does when weights sum to zero), so the
//! result stays finite, serialisable as JSON, and fails any positive floor.
//!
//! # Arithmetic
//!
//! Counts are exact integers and each per-label value is a single IEEE division of two of them,
//! as in scikit-learn. The macro and weighted means replicate numpy: `np.average` /
//! `np.nanmean` sum with numpy's pairwise summation (sequential below 8 values, 8 interleaved
//! accumulators up to 128, recursive halving at multiples of 8 above), then divide once by the
//! count (macro) or by the sum of the supports (weighted, numerator `Σ value·support`). Plain
//! left-to-right summation differs in the last bit for some inputs with more than 8 labels.

/// Counts of (true label, predicted label) pairs for a fixed list of labels.
///
/// Rows are the true label (`labels.len()` rows); columns are the predicted label, each label in
/// order and then `<invalid>` last (`labels.len() + 1` columns). A prediction is a label index,
/// or `None` for `<invalid>`: model output that maps to no label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confusion {
    labels: Vec<String>,
    /// Row-major, `labels.len()` rows of `labels.len() + 1` counts.
    counts: Vec<u64>,
}

impl Confusion {
    /// An all-zero confusion over `labels` (in this order; indices refer to it).
    pub fn new(labels: Vec<String>) -> Self {
        let n = labels.len();
        Confusion {
            counts: vec![0; n * (n + 1)],
            labels,
        }
    }

    /// Records one case: its true label index and its predicted label index (`None` for
    /// `<invalid>`). O(1).
    ///
    /// # Panics
    ///
    /// If `truth` or `predicted` is not an index into [`labels`](Self::labels).
    #[inline]
    pub fn add(&mut self, truth: usize, predicted: Option<usize>) {
        let idx = self.index(truth, predicted);
        self.counts[idx] += 1;
    }

    /// The labels, in index order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// How many cases had true label `truth` and prediction `predicted` (`None`: `<invalid>`).
    ///
    /// # Panics
    ///
    /// If `truth` or `predicted` is not an index into [`labels`](Self::labels).
    pub fn count(&self, truth: usize, predicted: Option<usize>) -> u64 {
        self.counts[self.index(truth, predicted)]
    }

    /// The matrix as rows (one per true label, in label order), each with one count per
    /// predicted label and the `<invalid>` count last. Without that last column it is
    /// scikit-learn's `confusion_matrix(y_true, y_pred, labels=labels)`.
    pub fn rows(&self) -> Vec<Vec<u64>> {
        self.counts
            .chunks_exact(self.width())
            .map(<[u64]>::to_vec)
            .collect()
    }

    /// The number of cases recorded.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    #[inline]
    fn width(&self) -> usize {
        self.labels.len() + 1
    }

    #[inline]
    fn index(&self, truth: usize, predicted: Option<usize>) -> usize {
        let n = self.labels.len();
        assert!(
            truth < n,
            "true label index {truth} out of range ({n} labels)"
        );
        let col = match predicted {
            Some(p) => {
                assert!(p < n, "predicted label index {p} out of range ({n} labels)");
                p
            }
            None => n,
        };
        truth * (n + 1) + col
    }
}

/// Precision, recall and F1 of one averaging mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// One label's scores (scikit-learn's `average=None`), with its support: the number of cases
/// whose true label it is.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelScores {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}

/// All classification metrics of a [`Confusion`]; see the [module docs](self) for definitions.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassificationMetrics {
    /// Share of cases predicted correctly; `<invalid>` counts as wrong. `0.0` for an empty
    /// confusion (scikit-learn raises on empty input).
    pub accuracy: f64,
    /// One entry per label, in label order.
    pub per_label: Vec<LabelScores>,
    /// Counts summed over labels, then divided. Recall equals accuracy; precision leaves
    /// `<invalid>` predictions out.
    pub micro: Scores,
    /// Unweighted mean of the per-label values.
    pub macro_avg: Scores,
    /// Support-weighted mean of the per-label values.
    pub weighted: Scores,
    /// `Some` when a positive label index is given: that label's per-label scores, equal to
    /// scikit-learn's `average="binary"` with that `pos_label` wherever scikit-learn defines it.
    pub binary: Option<Scores>,
}

/// Computes every metric of `confusion` as scikit-learn does with `labels=` its labels and
/// `zero_division=0`; `positive` is the positive label's index for [`ClassificationMetrics::binary`].
///
/// Cost: O(labels²) to read the matrix, independent of the number of cases.
///
/// # Panics
///
/// If `positive` is not an index into the confusion's labels.
pub fn classification_metrics(
    confusion: &Confusion,
    positive: Option<usize>,
) -> ClassificationMetrics {
    let n = confusion.labels.len();
    let width = confusion.width();
    if let Some(p) = positive {
        assert!(p < n, "positive label index {p} out of range ({n} labels)");
    }

    // Sufficient statistics, as scikit-learn's multilabel_confusion_matrix: per label the true
    // positives, the predictions of it, and its support. `<invalid>` is in no pred_sum.
    let mut tp = vec![0u64; n];
    let mut true_sum = vec![0u64; n];
    let mut pred_sum = vec![0u64; n];
    for (t, row) in confusion.counts.chunks_exact(width).enumerate() {
        tp[t] = row[t];
        true_sum[t] = row.iter().sum();
        for (p, &c) in row[..n].iter().enumerate() {
            pred_sum[p] += c;
        }
    }

    let total: u64 = true_sum.iter().sum();
    let correct: u64 = tp.iter().sum();
    // accuracy_score: mean of a boolean array = (exact count) / n.
    let accuracy = prf_divide(correct as f64, total as f64);

    let per_label: Vec<LabelScores> = (0..n)
        .map(|i| {
            let s = scores_from_counts(tp[i], true_sum[i], pred_sum[i]);
            LabelScores {
                label: confusion.labels[i].clone(),
                precision: s.precision,
                recall: s.recall,
                f1: s.f1,
                support: true_sum[i],
            }
        })
        .collect();

    // average="micro": the int64 sums are taken first, then the same divisions.
    let pred_total: u64 = pred_sum.iter().sum();
    let micro = scores_from_counts(correct, total, pred_total);

    let precision: Vec<f64> = per_label.iter().map(|s| s.precision).collect();
    let recall: Vec<f64> = per_label.iter().map(|s| s.recall).collect();
    let f1: Vec<f64> = per_label.iter().map(|s| s.f1).collect();

    let macro_avg = Scores {
        precision: mean(&precision),
        recall: mean(&recall),
        f1: mean(&f1),
    };

    let weights: Vec<f64> = true_sum.iter().map(|&w| w as f64).collect();
    let weighted = Scores {
        precision: weighted_mean(&precision, &weights),
        recall: weighted_mean(&recall, &weights),
        f1: weighted_mean(&f1, &weights),
    };

    let binary = positive.map(|p| Scores {
        precision: per_label[p].precision,
        recall: per_label[p].recall,
        f1: per_label[p].f1,
    });

    ClassificationMetrics {
        accuracy,
        per_label,
        micro,
        macro_avg,
        weighted,
        binary,
    }
}

/// Precision, recall and F1 (β = 1) from counts, as `precision_recall_fscore_support`:
/// `tp / pred`, `tp / true`, and `(1 + β²)·tp / (β²·true + pred)` with the counts converted to
/// float64 before the multiplication and addition, exactly as scikit-learn orders them.
fn scores_from_counts(tp: u64, true_sum: u64, pred_sum: u64) -> Scores {
    let beta2 = 1.0_f64;
    let tp = tp as f64;
    let true_sum = true_sum as f64;
    let pred_sum = pred_sum as f64;
    Scores {
        precision: prf_divide(tp, pred_sum),
        recall: prf_divide(tp, true_sum),
        f1: prf_divide((1.0 + beta2) * tp, beta2 * true_sum + pred_sum),
    }
}

/// scikit-learn's `_prf_divide` with `zero_division=0`: a zero denominator gives 0.
#[inline]
fn prf_divide(numerator: f64, denominator: f64) -> f64 {
    if denominator == 0.0 {
        0.0
    } else {
        numerator / denominator
    }
}

/// `np.nanmean` of values that hold no NaN: pairwise sum divided by the count. `0.0` for no
/// values (numpy would give NaN; only reachable with an empty label list).
fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    numpy_sum(values) / values.len() as f64
}

/// `np.average(values, weights=weights)`: `Σ(values·weights) / Σweights`, each sum pairwise;
/// when the weights sum to zero scikit-learn's `_nanaverage` catches numpy's
/// `ZeroDivisionError` and returns the unweighted mean.
fn weighted_mean(values: &[f64], weights: &[f64]) -> f64 {
    debug_assert_eq!(values.len(), weights.len());
    let scale = numpy_sum(weights);
    if scale == 0.0 {
        return mean(values);
    }
    let products: Vec<f64> = values.iter().zip(weights).map(|(v, w)| v * w).collect();
    numpy_sum(&products) / scale
}

/// `np.add.reduce` over a contiguous float64 array: the output starts at the identity 0.0 and
/// receives numpy's pairwise sum of all the elements.
fn numpy_sum(values: &[f64]) -> f64 {
    0.0 + pairwise_sum(values)
}

/// numpy's `DOUBLE_pairwise_sum` (numpy/_core/src/umath/loops_utils.h.src), same order of
/// additions: sequential below 8 elements; up to 128, eight accumulators over blocks of 8,
/// combined as `((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))`, then the remainder added one by one;
/// above 128, split at half rounded down to a multiple of 8 and recurse.
fn pairwise_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &x in a {
            res += x;
        }
        res
    } else if n <= BLOCK {
        let mut r = [0.0_f64; 8];
        r.copy_from_slice(&a[..8]);
        let unrolled_end = n - n % 8;
        let mut i = 8;
        while i < unrolled_end {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[i..] {
            res += x;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn layout_rows_count_total() {
        let mut c = Confusion::new(labels(&["a", "b", "c"]));
        c.add(0, Some(0));
        c.add(0, Some(2));
        c.add(1, None);
        c.add(1, None);
        c.add(2, Some(1));
        assert_eq!(c.labels(), &labels(&["a", "b", "c"])[..]);
        assert_eq!(c.count(0, Some(2)), 1);
        assert_eq!(c.count(1, None), 2);
        assert_eq!(c.count(2, Some(2)), 0);
        assert_eq!(c.total(), 5);
        assert_eq!(
            c.rows(),
            vec![vec![1, 0, 1, 0], vec![0, 0, 0, 2], vec![0, 1, 0, 0]]
        );
    }

    #[test]
    #[should_panic(expected = "true label index 2 out of range")]
    fn add_rejects_bad_truth() {
        Confusion::new(labels(&["a", "b"])).add(2, Some(0));
    }

    #[test]
    #[should_panic(expected = "predicted label index 5 out of range")]
    fn add_rejects_bad_prediction() {
        Confusion::new(labels(&["a", "b"])).add(0, Some(5));
    }

    #[test]
    #[should_panic(expected = "positive label index 3 out of range")]
    fn metrics_reject_bad_positive() {
        classification_metrics(&Confusion::new(labels(&["a", "b"])), Some(3));
    }

    #[test]
    fn empty_confusion_is_all_zero() {
        let m = classification_metrics(&Confusion::new(labels(&["a", "b", "c"])), Some(1));
        let zero = Scores {
            precision: 0.0,
            recall: 0.0,
            f1: 0.0,
        };
        assert_eq!(m.accuracy, 0.0);
        assert_eq!(m.micro, zero);
        assert_eq!(m.macro_avg, zero);
        assert_eq!(m.weighted, zero);
        assert_eq!(m.binary, Some(zero));
        assert!(
            m.per_label
                .iter()
                .all(|s| s.support == 0 && s.precision == 0.0 && s.recall == 0.0 && s.f1 == 0.0)
        );
        // All zeros must be +0.0 (JSON prints "-0.0" otherwise).
        assert!(m.accuracy.is_sign_positive() && m.weighted.f1.is_sign_positive());
    }

    #[test]
    fn no_labels_at_all() {
        let c = Confusion::new(Vec::new());
        assert!(c.rows().is_empty());
        assert_eq!(c.total(), 0);
        let m = classification_metrics(&c, None);
        assert_eq!(m.accuracy, 0.0);
        assert!(m.per_label.is_empty());
        assert_eq!(m.macro_avg.f1, 0.0);
        assert_eq!(m.weighted.precision, 0.0);
        assert_eq!(m.binary, None);
    }

    #[test]
    fn invalid_lowers_recall_not_precision() {
        // Truth a,a,a,b; predictions a, <invalid>, <invalid>, b.
        let mut c = Confusion::new(labels(&["a", "b"]));
        c.add(0, Some(0));
        c.add(0, None);
        c.add(0, None);
        c.add(1, Some(1));
        let m = classification_metrics(&c, None);
        assert_eq!(m.accuracy, 0.5);
        assert_eq!(m.per_label[0].precision, 1.0);
        assert_eq!(m.per_label[0].recall, 1.0 / 3.0);
        assert_eq!(m.micro.precision, 1.0); // 2 right of 2 valid predictions
        assert_eq!(m.micro.recall, m.accuracy);
        assert_eq!(m.micro.f1, 4.0 / 6.0);
        assert_eq!(m.binary, None);
    }

    #[test]
    fn f1_uses_counts_not_precision_and_recall() {
        // tp=1, true=1, pred=5: P=1/5, R=1. 2PR/(P+R) = 0.33333333333333337, but scikit-learn's
        // 2tp/(true+pred) = 2/6 = 0.3333333333333333.
        let mut c = Confusion::new(labels(&["a", "b"]));
        c.add(0, Some(0));
        for _ in 0..4 {
            c.add(1, Some(0));
        }
        let m = classification_metrics(&c, Some(0));
        let (p, r) = (0.2_f64, 1.0_f64);
        assert_eq!(m.per_label[0].f1, 2.0 / 6.0);
        assert_ne!(m.per_label[0].f1, 2.0 * p * r / (p + r));
        assert_eq!(
            m.binary,
            Some(Scores {
                precision: p,
                recall: r,
                f1: 2.0 / 6.0
            })
        );
    }

    #[test]
    fn binary_is_per_label_for_more_than_two_labels() {
        let mut c = Confusion::new(labels(&["x", "y", "z"]));
        c.add(0, Some(1));
        c.add(1, Some(1));
        c.add(2, Some(2));
        c.add(2, None);
        let m = classification_metrics(&c, Some(2));
        let z = &m.per_label[2];
        assert_eq!(
            m.binary,
            Some(Scores {
                precision: z.precision,
                recall: z.recall,
                f1: z.f1
            })
        );
        assert_eq!((z.precision, z.recall, z.support), (1.0, 0.5, 2));
    }

    #[test]
    fn weighted_falls_back_to_mean_when_weights_sum_to_zero() {
        // Not reachable through a Confusion with cases (every case has support), so test the
        // helper directly with non-zero values.
        assert_eq!(weighted_mean(&[0.5, 0.25], &[0.0, 0.0]), 0.375);
        assert_eq!(weighted_mean(&[0.5, 0.25], &[1.0, 3.0]), 0.3125);
    }

    #[test]
    fn pairwise_sum_order_matches_numpy() {
        // Values chosen so that the order of additions shows in the result (1e16 + 1 rounds
        // back to 1e16); a left-to-right sum gives 0.0 for the last three. Expected values are
        // numpy 2.4's np.add.reduce. Below 8: sequential.
        let small = [1e16, 1.0, 1.0, -1e16, 1.0];
        assert_eq!(pairwise_sum(&small), 1.0);
        // 16 elements: accumulator 0 gets a[0] + a[8] = 0, accumulators 1 and 2 get 1 each.
        let mut sixteen = [0.0; 16];
        sixteen[0] = 1e16;
        sixteen[1] = 1.0;
        sixteen[2] = 1.0;
        sixteen[8] = -1e16;
        assert_eq!(pairwise_sum(&sixteen), 2.0);
        // 9 elements: the 9th is added after the accumulators are combined.
        let mut nine = [0.0; 9];
        nine[0] = 1e16;
        nine[1] = 1.0;
        nine[2] = 1.0;
        nine[8] = -1e16;
        assert_eq!(pairwise_sum(&nine), 0.0);
        // 130 elements: split at 64 (65 rounded down to a multiple of 8); eight accumulators
        // without the split would give 0.0.
        let mut big = vec![0.0; 130];
        big[0] = 1e16;
        big[64] = 1.0;
        big[72] = 1.0;
        big[127] = -1e16;
        assert_eq!(pairwise_sum(&big), 2.0);
    }

    #[test]
    fn numpy_sum_of_negative_zero_is_positive_zero() {
        // np.add.reduce starts from the identity +0.0.
        assert!(numpy_sum(&[-0.0]).is_sign_positive());
        assert!(numpy_sum(&[-0.0; 9]).is_sign_positive());
    }
}
