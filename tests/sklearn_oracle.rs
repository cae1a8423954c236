//! evalgate's classification metrics against scikit-learn 1.9.1, bit for bit.
//!
//! `tests/fixtures/sklearn/cases.jsonl` holds the inputs and `expected.jsonl` what
//! `sklearn_oracle.py` printed for them (see the README there). Each case is replayed through
//! `Confusion` (a prediction outside the labels becomes `<invalid>`, i.e. `None`) and every value
//! is compared with `f64::to_bits`: no tolerance.

use std::collections::HashMap;
use std::fmt::Write as _;

use evalgate::metrics::{ClassificationMetrics, Confusion, Scores, classification_metrics};
use serde_json::Value;

#[path = "support/oracle_json.rs"]
mod oracle_json;
use oracle_json::{int, num, parse_line};

fn fixture(name: &str) -> String {
    oracle_json::fixture("sklearn", name)
}

/// A label as evalgate sees it: strings as they are, numbers (e.g. `0`, `1`) as their text.
fn label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn array<'a>(v: &'a Value, what: &str) -> &'a Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("{what}: expected an array, got {v}"))
}

fn is_error(v: &Value) -> bool {
    v.get("error").is_some()
}

/// Collects mismatches so that one run reports all of them.
struct Check {
    id: String,
    failures: Vec<String>,
    compared: usize,
}

impl Check {
    fn f64(&mut self, metric: &str, expected: f64, got: f64) {
        self.compared += 1;
        if expected.to_bits() != got.to_bits() {
            let mut msg = String::new();
            let _ = write!(
                msg,
                "case {}: {metric}: sklearn {expected:?} ({:#018x}), evalgate {got:?} ({:#018x})",
                self.id,
                expected.to_bits(),
                got.to_bits()
            );
            self.failures.push(msg);
        }
    }

    fn u64(&mut self, metric: &str, expected: u64, got: u64) {
        self.compared += 1;
        if expected != got {
            self.failures.push(format!(
                "case {}: {metric}: sklearn {expected}, evalgate {got}",
                self.id
            ));
        }
    }

    fn fail(&mut self, msg: String) {
        self.failures.push(format!("case {}: {msg}", self.id));
    }

    fn scores(&mut self, what: &str, expected: &Value, got: &Scores) {
        self.f64(
            &format!("{what}.precision"),
            num(&expected["precision"], what),
            got.precision,
        );
        self.f64(
            &format!("{what}.recall"),
            num(&expected["recall"], what),
            got.recall,
        );
        self.f64(&format!("{what}.f1"), num(&expected["f1"], what), got.f1);
    }
}

struct Replayed {
    labels: Vec<String>,
    confusion: Confusion,
    metrics: ClassificationMetrics,
    pos_index: Option<usize>,
    /// Per true label, how many predictions fell outside the labels.
    invalid_per_row: Vec<u64>,
}

fn replay(id: &str, case: &Value) -> Replayed {
    let labels: Vec<String> = array(&case["labels"], "labels").iter().map(label).collect();
    let index: HashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let y_true = array(&case["y_true"], "y_true");
    let y_pred = array(&case["y_pred"], "y_pred");
    assert_eq!(
        y_true.len(),
        y_pred.len(),
        "case {id}: y_true and y_pred differ in length"
    );
    let mut confusion = Confusion::new(labels.clone());
    let mut invalid_per_row = vec![0u64; labels.len()];
    for (t, p) in y_true.iter().zip(y_pred) {
        let t = label(t);
        let truth = *index
            .get(t.as_str())
            .unwrap_or_else(|| panic!("case {id}: y_true value {t:?} is not a label"));
        let predicted = index.get(label(p).as_str()).copied();
        if predicted.is_none() {
            invalid_per_row[truth] += 1;
        }
        confusion.add(truth, predicted);
    }
    let pos_index = case.get("pos_label").map(|p| {
        let p = label(p);
        *index
            .get(p.as_str())
            .unwrap_or_else(|| panic!("case {id}: pos_label {p:?} is not a label"))
    });
    let metrics = classification_metrics(&confusion, pos_index);
    Replayed {
        labels,
        confusion,
        metrics,
        pos_index,
        invalid_per_row,
    }
}

/// Compares every value of one case, recording mismatches in `c`.
fn check_case(c: &mut Check, case: &Value, expected: &Value) {
    let r = replay(&c.id, case);
    let m = &r.metrics;
    let n = array(&case["y_true"], "y_true").len() as u64;

    let expected_labels: Vec<String> = array(&expected["labels"], "labels")
        .iter()
        .map(label)
        .collect();
    if expected_labels != r.labels {
        c.fail(format!(
            "labels: sklearn {expected_labels:?}, evalgate {:?}",
            r.labels
        ));
    }
    c.u64("n", int(&expected["n"], "n"), r.confusion.total());

    if is_error(&expected["accuracy"]) {
        // sklearn rejects empty input; evalgate's documented answer is all zeros.
        let err = expected["accuracy"]["error"].as_str().unwrap_or_default();
        if n != 0 || !err.contains("empty") {
            c.fail(format!("sklearn raised for a non-empty case: {err}"));
            return;
        }
        let zero = Scores {
            precision: 0.0,
            recall: 0.0,
            f1: 0.0,
        };
        c.f64("accuracy (empty)", 0.0, m.accuracy);
        for (what, s) in [
            ("micro", &m.micro),
            ("macro", &m.macro_avg),
            ("weighted", &m.weighted),
        ] {
            if *s != zero {
                c.fail(format!("{what} (empty): expected all 0.0, got {s:?}"));
            }
        }
        for s in &m.per_label {
            c.u64(&format!("support[{}] (empty)", s.label), 0, s.support);
            let got = Scores {
                precision: s.precision,
                recall: s.recall,
                f1: s.f1,
            };
            if got != zero {
                c.fail(format!(
                    "per-label {} (empty): expected all 0.0, got {got:?}",
                    s.label
                ));
            }
        }
        if r.pos_index.is_some() && m.binary != Some(zero) {
            c.fail(format!(
                "binary (empty): expected all 0.0, got {:?}",
                m.binary
            ));
        }
        return;
    }

    c.f64(
        "accuracy",
        num(&expected["accuracy"], "accuracy"),
        m.accuracy,
    );

    // Per label.
    let pc = &expected["per_class"];
    let field = |name: &str| array(&pc[name], name);
    for (i, s) in m.per_label.iter().enumerate() {
        let l = &s.label;
        c.f64(
            &format!("precision.{l}"),
            num(&field("precision")[i], "precision"),
            s.precision,
        );
        c.f64(
            &format!("recall.{l}"),
            num(&field("recall")[i], "recall"),
            s.recall,
        );
        c.f64(&format!("f1.{l}"), num(&field("f1")[i], "f1"), s.f1);
        c.u64(
            &format!("support.{l}"),
            int(&field("support")[i], "support"),
            s.support,
        );
    }

    c.scores("micro", &expected["micro"], &m.micro);
    c.scores("macro", &expected["macro"], &m.macro_avg);
    c.scores("weighted", &expected["weighted"], &m.weighted);

    // Binary: sklearn's value where it defines one; otherwise the positive label's per-label
    // scores (also from sklearn).
    match (r.pos_index, m.binary) {
        (None, None) => {}
        (Some(p), Some(got)) => {
            let b = &expected["binary"];
            if b.is_object() && !is_error(b) {
                c.scores("binary", b, &got);
            } else {
                let expected_label = Value::Object(
                    ["precision", "recall", "f1"]
                        .iter()
                        .map(|k| (k.to_string(), field(k)[p].clone()))
                        .collect(),
                );
                c.scores("binary (per-label of pos_label)", &expected_label, &got);
            }
        }
        (p, b) => c.fail(format!("binary: positive index {p:?} but binary {b:?}")),
    }

    // Confusion matrix: sklearn's equals ours without the `<invalid>` column.
    let rows = r.confusion.rows();
    let cm = array(&expected["confusion_matrix"], "confusion_matrix");
    if cm.len() != rows.len() {
        c.fail(format!(
            "confusion_matrix: sklearn {} rows, evalgate {}",
            cm.len(),
            rows.len()
        ));
        return;
    }
    for (t, (row, expected_row)) in rows.iter().zip(cm).enumerate() {
        let expected_row = array(expected_row, "confusion_matrix row");
        let (labels_part, invalid) = row.split_at(r.labels.len());
        if labels_part.len() != expected_row.len() {
            c.fail(format!("confusion_matrix row {t}: wrong width"));
            continue;
        }
        for (p, (&got, e)) in labels_part.iter().zip(expected_row).enumerate() {
            c.u64(
                &format!("confusion_matrix[{}][{}]", r.labels[t], r.labels[p]),
                int(e, "confusion_matrix"),
                got,
            );
        }
        c.u64(
            &format!("confusion_matrix[{}][<invalid>]", r.labels[t]),
            r.invalid_per_row[t],
            invalid[0],
        );
        for (p, &got) in labels_part.iter().enumerate() {
            if got != r.confusion.count(t, Some(p)) {
                c.fail(format!("count({t}, Some({p})) disagrees with rows()"));
            }
        }
        if invalid[0] != r.confusion.count(t, None) {
            c.fail(format!("count({t}, None) disagrees with rows()"));
        }
    }
}

fn load() -> Vec<(Value, Value)> {
    let cases = fixture("cases.jsonl");
    let expected = fixture("expected.jsonl");
    let cases: Vec<&str> = cases.lines().filter(|l| !l.trim().is_empty()).collect();
    let expected: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        cases.len(),
        expected.len(),
        "cases.jsonl and expected.jsonl have different numbers of lines: regenerate them"
    );
    cases
        .iter()
        .zip(&expected)
        .map(|(c, e)| {
            let (c, e) = (parse_line(c), parse_line(e));
            assert_eq!(c["id"], e["id"], "cases and expected out of step");
            assert_eq!(
                e["sklearn_version"].as_str(),
                Some("1.9.1"),
                "case {}: fixtures not made with scikit-learn 1.9.1",
                e["id"]
            );
            (c, e)
        })
        .collect()
}

#[test]
fn matches_sklearn_bit_for_bit() {
    let pairs = load();
    let mut failures = Vec::new();
    let mut compared = 0;
    for (case, expected) in &pairs {
        let mut c = Check {
            id: label(&case["id"]),
            failures: Vec::new(),
            compared: 0,
        };
        check_case(&mut c, case, expected);
        compared += c.compared;
        failures.extend(c.failures);
    }
    assert!(
        failures.is_empty(),
        "{} mismatches against scikit-learn:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(pairs.len() >= 40, "only {} cases", pairs.len());
    assert!(compared > 10_000, "only {compared} values compared");
}

#[test]
fn fixtures_cover_what_they_must() {
    let pairs = load();
    let get = |id: &str| {
        pairs
            .iter()
            .find(|(c, _)| c["id"] == id)
            .unwrap_or_else(|| panic!("fixture case {id} missing"))
    };
    let (tweets, _) = get("vader_tweets");
    assert_eq!(array(&tweets["y_true"], "y_true").len(), 4200);
    let (movies, _) = get("vader_movie_snippets");
    assert_eq!(array(&movies["y_true"], "y_true").len(), 10605);
    for id in [
        "shared_empty_inputs",
        "shared_pred_outside_labels",
        "invalid_3class",
        "invalid_binary_multiclass_target",
        "all_invalid",
        "random_129_labels",
    ] {
        get(id);
    }
    // At least one case where micro precision and accuracy differ because of `<invalid>`.
    let (case, _) = get("invalid_3class");
    let r = replay("invalid_3class", case);
    assert_ne!(r.metrics.micro.precision, r.metrics.accuracy);
    assert_eq!(r.metrics.micro.recall, r.metrics.accuracy);
}

/// Left-to-right summation.
fn sequential(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |s, &x| s + x)
}

/// numpy's eight accumulators applied to the whole array, without the recursive split.
fn eight_accumulators(a: &[f64]) -> f64 {
    if a.len() < 8 {
        return sequential(a);
    }
    let mut r = [0.0_f64; 8];
    r.copy_from_slice(&a[..8]);
    let end = a.len() - a.len() % 8;
    for (k, &x) in a[8..end].iter().enumerate() {
        r[k % 8] += x;
    }
    let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for &x in &a[end..] {
        res += x;
    }
    res
}

/// The many-label fixtures would catch a wrong summation order: with sklearn's own per-label
/// values, a plain left-to-right sum misses some macro/weighted value of a case with 9..=128
/// labels, and eight accumulators without numpy's split miss one with more than 128.
#[test]
fn fixtures_distinguish_summation_orders() {
    let pairs = load();
    let mut sequential_misses_mid = 0;
    let mut unsplit_misses_big = 0;
    for (_, e) in &pairs {
        let pc = &e["per_class"];
        if is_error(pc) {
            continue;
        }
        let n = array(&pc["labels"], "labels").len();
        let support: Vec<f64> = array(&pc["support"], "support")
            .iter()
            .map(|v| int(v, "support") as f64)
            .collect();
        let total: f64 = support.iter().sum();
        for metric in ["precision", "recall", "f1"] {
            let vals: Vec<f64> = array(&pc[metric], metric)
                .iter()
                .map(|v| num(v, metric))
                .collect();
            let products: Vec<f64> = vals.iter().zip(&support).map(|(v, w)| v * w).collect();
            let macro_e = num(&e["macro"][metric], metric);
            let weighted_e = num(&e["weighted"][metric], metric);
            if (9..=128).contains(&n) {
                sequential_misses_mid += usize::from(sequential(&vals) / n as f64 != macro_e);
                sequential_misses_mid += usize::from(sequential(&products) / total != weighted_e);
            } else if n > 128 {
                unsplit_misses_big += usize::from(eight_accumulators(&vals) / n as f64 != macro_e);
                unsplit_misses_big +=
                    usize::from(eight_accumulators(&products) / total != weighted_e);
            }
        }
    }
    assert!(
        sequential_misses_mid > 0,
        "no case with 9..=128 labels needs pairwise summation"
    );
    assert!(
        unsplit_misses_big > 0,
        "no case with >128 labels needs the recursive split"
    );
}
