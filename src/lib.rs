//! evalgate: regression tests for language models.
//!
//! A suite is a TOML file of cases (model inputs with expected labels or output checks) and
//! metric floors (accuracy, per-label recall, F1, pass rate, latency ...). evalgate runs every
//! case as its own test, computes the metrics exactly as scikit-learn does, and fails when a
//! case or a floor does. The same engine runs under `cargo test` ([`Harness`]) and as the
//! `evalgate` command line for projects in any language.
//!
//! # Under `cargo test`
//!
//! ```toml
//! # Cargo.toml
//! [dev-dependencies]
//! evalgate = "0.1"
//!
//! [[test]]
//! name = "suites"
//! harness = false
//! ```
//!
//! ```no_run
//! // tests/suites.rs
//! fn main() -> std::process::ExitCode {
//!     evalgate::Harness::from_dir("suites")
//!         .model("shouty", |req: &evalgate::Request| Ok(req.input.to_uppercase()))
//!         .run()
//! }
//! ```
//!
//! `cargo test --test suites` then prints one line per case and floor:
//!
//! ```text
//! test sentiment::loved-it ... ok
//! test sentiment::sarcasm-03 ... FAILED
//! test sentiment::floor::accuracy ... ok
//! ```
//!
//! Each model call happens once per process: a filter that selects one case calls the model
//! for that case only, and floor tests reuse the outcomes of case tests.
//!
//! # Layout
//!
//! - [`suite`]: loading and validating suite files, with file:line:column diagnostics;
//! - [`provider`]: the `openai`, `command` and `fn` model providers;
//! - [`cassette`]: recording and replaying model answers;
//! - [`snapshot`]: model outputs kept as insta snapshots, and their review;
//! - [`judge`]: from an output to a label or to check results;
//! - [`metrics`]: classification metrics identical to scikit-learn's;
//! - [`engine`]: running cases once, metrics and floors, failure messages;
//! - [`results`]: results.json; [`report`]: the readers of results;
//! - `history` (feature `history`, on by default): the run history in SQLite, trends and drift
//!   checks;
//! - [`harness`] and [`cli`]: the two faces.

pub mod cassette;
pub mod cli;
pub mod compare;
pub mod diagnostic;
pub mod diff;
pub mod engine;
pub mod files;
pub mod harness;
#[cfg(feature = "history")]
pub mod history;
pub mod judge;
pub mod merge;
pub mod metrics;
pub mod provider;
pub mod report;
pub mod results;
pub mod snapshot;
pub mod stats;
pub mod suite;

pub use diagnostic::Diagnostic;
pub use harness::Harness;
pub use provider::{BoxError, Request};
