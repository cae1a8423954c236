//! evalgate: a regression harness for language models.

pub mod metrics;
