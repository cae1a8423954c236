//! Suites: what a user declares in a TOML file, validated and ready to run.
//!
//! [`load`] turns files into [`Suite`]s, collecting every problem as a
//! [`Diagnostic`](crate::Diagnostic) with its file, line and column. Everything past loading
//! works with these resolved types and never sees raw TOML.

mod cases_file;
mod check;
mod floor;
mod load;
mod model;
mod template;

pub use floor::{Average, Bound, Floor, Metric, Scale, Score, number};
pub use load::{BrokenFile, Functions, LoadOptions, Loaded, MAX_REPEAT, discover, load};
pub use template::Template;

use regex::Regex;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// A validated suite: cases, how to call the model, and the floors its metrics must meet.
#[derive(Debug)]
pub struct Suite {
    /// `[a-z0-9_-]+`; the first part of every test name.
    pub name: String,
    /// The suite file, as found from the paths the user gave.
    pub file: PathBuf,
    pub task: Task,
    pub description: Option<String>,
    /// classify: the label set, in confusion-matrix order.
    pub labels: Vec<String>,
    /// classify: index into `labels` of the label whose binary metrics are `precision`, `recall`, `f1`.
    pub positive_label: Option<usize>,
    /// classify: a regex whose one group extracts the label from the output.
    pub label_pattern: Option<Regex>,
    pub model: ModelSpec,
    pub prompt: Template,
    /// Keep each case's output as an insta snapshot (`snapshot = true`; default for generate).
    pub snapshot: bool,
    /// `[model] cassette`: the record/replay file, relative to the current folder.
    pub cassette: Option<PathBuf>,
    pub floors: Vec<Floor>,
    /// Which failures fail the run (`fail_on`); others are reported but do not gate.
    pub fail_on: FailOn,
    /// What a floor's bound is held against (`floor_mode`).
    pub floor_mode: FloorMode,
    /// The level of the metrics' confidence intervals (`confidence`, default 0.95).
    pub confidence: f64,
    /// How many times each case runs (`repeat`, default 1): for models that answer differently
    /// from one call to the next.
    pub repeat: usize,
    /// With `repeat`: the share of its runs a case must pass (`min_pass_rate`, default 1).
    pub min_pass_rate: f64,
    pub cases: Vec<Case>,
}

/// `floor_mode`: a floor judged on the metric's value, or on the end of its confidence interval
/// nearer the wrong side of the bound (the lower bound for a minimum), so that a floor passes
/// only when the suite shows, at `confidence`, that the metric is on the right side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FloorMode {
    #[default]
    Value,
    LowerBound,
}

impl FloorMode {
    pub fn name(self) -> &'static str {
        match self {
            FloorMode::Value => "value",
            FloorMode::LowerBound => "lower_bound",
        }
    }
}

/// `fail_on = ["case", "floor"]`: what makes a test fail. A suite of a model that is not meant
/// to be right every time (most classifiers) sets `["floor"]`: its wrong cases are reported,
/// and only its metric floors gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailOn {
    pub case: bool,
    pub floor: bool,
    /// A significant drop against a baseline run (`--baseline`, `EVALGATE_BASELINE`).
    pub regression: bool,
}

impl Default for FailOn {
    fn default() -> Self {
        FailOn {
            case: true,
            floor: true,
            regression: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    Classify,
    Generate,
    Translate,
}

impl Task {
    pub fn name(self) -> &'static str {
        match self {
            Task::Classify => "classify",
            Task::Generate => "generate",
            Task::Translate => "translate",
        }
    }

    /// Whether cases are judged by output checks (generate and translate) rather than a label.
    pub fn has_checks(self) -> bool {
        self != Task::Classify
    }
}

/// One model input and what its output must satisfy.
#[derive(Debug)]
pub struct Case {
    /// Unique within the suite; the second part of the test name.
    pub id: String,
    pub input: String,
    /// classify: index into the suite's labels.
    pub expected: Option<usize>,
    /// translate: the reference translations (at least one); generate: the answers that
    /// `min_chrf` / `min_bleu` compare with.
    pub references: Vec<String>,
    /// generate and translate: the checks the output must pass; all must hold.
    pub checks: Checks,
    pub tags: Vec<String>,
    pub vars: BTreeMap<String, String>,
    /// Present when the case is ignored; the reason.
    pub ignore: Option<String>,
    /// Where the case is declared: its `[[case]]` header or its row in the cases file.
    pub source: SourceLine,
}

/// A file and a 1-based line, for messages and annotations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    pub file: PathBuf,
    pub line: usize,
}

/// The checks of a `generate` or `translate` case.
#[derive(Debug, Default)]
pub struct Checks {
    pub equals: Option<String>,
    pub contains: Vec<String>,
    pub not_contains: Vec<String>,
    pub regex: Option<Regex>,
    pub max_chars: Option<usize>,
    pub json: bool,
    /// The least sentence chrF (0 to 100, sacreBLEU's scale) against the case's references.
    pub min_chrf: Option<f64>,
    /// The least sentence BLEU (0 to 100, effective order) against the case's references.
    pub min_bleu: Option<f64>,
}

impl Checks {
    pub fn is_empty(&self) -> bool {
        self.equals.is_none()
            && self.contains.is_empty()
            && self.not_contains.is_empty()
            && self.regex.is_none()
            && self.max_chars.is_none()
            && !self.json
            && self.min_chrf.is_none()
            && self.min_bleu.is_none()
    }

    /// Whether a check compares the output with the case's references.
    pub fn uses_references(&self) -> bool {
        self.min_chrf.is_some() || self.min_bleu.is_some()
    }
}

/// How the suite's model is called.
#[derive(Clone, Debug)]
pub enum ModelSpec {
    /// An OpenAI-compatible `/v1/chat/completions` server.
    OpenAi(OpenAiSpec),
    /// A child process: `command = [program, args...]`, run in the suite file's folder.
    Command {
        /// The program as resolved at load time (a path, or a name found on `PATH`).
        program: PathBuf,
        argv: Vec<String>,
        /// The folder the process runs in: the suite file's folder.
        dir: PathBuf,
        protocol: Protocol,
        timeout: Duration,
        concurrency: usize,
    },
    /// A Rust closure registered on the harness under this name.
    Function {
        name: String,
        timeout: Duration,
        concurrency: usize,
    },
}

/// `provider = "openai"`: the model, the server and the request parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenAiSpec {
    pub model: String,
    /// As written in the suite; `None` means `$OPENAI_BASE_URL`, else OpenAI's.
    pub base_url: Option<String>,
    /// The environment variable that holds the API key (read when the model is called).
    pub api_key_env: String,
    pub system: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u64>,
    pub seed: Option<i64>,
    pub timeout: Duration,
    pub concurrency: usize,
    /// Retries after the first request, on 429, 5xx, timeouts and connection errors.
    pub retries: u32,
    /// The first retry waits up to this long (with jitter); each next one twice as long.
    pub backoff: Duration,
}

impl ModelSpec {
    pub fn concurrency(&self) -> usize {
        match self {
            ModelSpec::OpenAi(spec) => spec.concurrency,
            ModelSpec::Command { concurrency, .. } | ModelSpec::Function { concurrency, .. } => {
                *concurrency
            }
        }
    }

    /// Whether the model receives the whole request (suite, case id, input, vars and prompt), as
    /// a program or a closure does, rather than the rendered prompt alone.
    pub fn sees_whole_request(&self) -> bool {
        !matches!(self, ModelSpec::OpenAi(_))
    }

    /// The provider's name as written in the suite.
    pub fn provider(&self) -> &'static str {
        match self {
            ModelSpec::OpenAi(_) => "openai",
            ModelSpec::Command { .. } => "command",
            ModelSpec::Function { .. } => "fn",
        }
    }

    /// What identifies the model in results: the model name, the argv or the function name.
    pub fn identity(&self) -> String {
        match self {
            ModelSpec::OpenAi(spec) => spec.model.clone(),
            ModelSpec::Command { argv, .. } => argv.join(" "),
            ModelSpec::Function { name, .. } => name.clone(),
        }
    }

    /// The provider, the model and every parameter that shapes an answer: with the request,
    /// what a cassette keys a recording by. The server's address and the API key are not part
    /// of it: the same model elsewhere answers the same.
    pub fn parameters(&self) -> serde_json::Value {
        match self {
            ModelSpec::OpenAi(spec) => {
                let mut parameters = serde_json::json!({"provider": "openai", "model": spec.model});
                let optional = [
                    ("system", spec.system.clone().map(serde_json::Value::from)),
                    ("temperature", spec.temperature.map(serde_json::Value::from)),
                    ("max_tokens", spec.max_tokens.map(serde_json::Value::from)),
                    ("seed", spec.seed.map(serde_json::Value::from)),
                ];
                for (name, value) in optional {
                    if let Some(value) = value {
                        parameters[name] = value;
                    }
                }
                parameters
            }
            ModelSpec::Command { argv, protocol, .. } => serde_json::json!({
                "provider": "command",
                "command": argv,
                "protocol": match protocol { Protocol::Lines => "lines", Protocol::Once => "once" },
            }),
            ModelSpec::Function { name, .. } => serde_json::json!({"provider": "fn", "name": name}),
        }
    }
}

/// How the command provider talks to its process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Long-lived processes; one JSON request per line in, one JSON response per line out.
    Lines,
    /// One process per case; the prompt on stdin, the output on stdout.
    Once,
}

impl Suite {
    /// The libtest name of case `index`: `<suite>::<case-id>`.
    pub fn case_test_name(&self, index: usize) -> String {
        format!("{}::{}", self.name, self.cases[index].id)
    }

    /// What the model is asked for case `index`: its input and vars, and the prompt rendered.
    pub fn request(&self, index: usize) -> crate::provider::Request {
        self.request_at(index, 0)
    }

    /// The request of run `repetition` (from 0) of case `index`.
    pub fn request_at(&self, index: usize, repetition: usize) -> crate::provider::Request {
        let case = &self.cases[index];
        crate::provider::Request {
            suite: self.name.clone(),
            case_id: case.id.clone(),
            input: case.input.clone(),
            prompt: self.prompt.render(&case.input, &case.vars),
            vars: case.vars.clone(),
            repetition,
        }
    }

    /// The libtest name of the regression test of `metric`: `<suite>::regression::<metric>`.
    pub fn regression_test_name(&self, metric: &str) -> String {
        format!("{}::regression::{metric}", self.name)
    }

    /// The libtest name of floor `index`: `<suite>::floor::<metric>`.
    pub fn floor_test_name(&self, index: usize) -> String {
        format!("{}::floor::{}", self.name, self.floors[index].name)
    }
}

impl Case {
    /// How many checks a generate case declares (each `contains` item counts as one).
    pub fn checks_count(&self) -> usize {
        let c = &self.checks;
        usize::from(c.equals.is_some())
            + c.contains.len()
            + c.not_contains.len()
            + usize::from(c.regex.is_some())
            + usize::from(c.max_chars.is_some())
            + usize::from(c.json)
            + usize::from(c.min_chrf.is_some())
            + usize::from(c.min_bleu.is_some())
    }
}
