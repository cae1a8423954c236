//! Metrics computed from case outcomes.
//!
//! - [`classification`]: confusion matrix, accuracy and precision / recall / F1 (per label,
//!   micro, macro, weighted, binary), bit-for-bit identical to scikit-learn with
//!   `zero_division=0`.
//! - [`translation`]: BLEU, chrF, chrF++ and TER, identical to sacreBLEU 2.6.0.

pub mod classification;
pub mod resample;
pub mod translation;

pub use classification::{
    ClassificationMetrics, Confusion, LabelScores, Scores, classification_metrics,
};
