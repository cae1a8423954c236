//! Providers: how a case's prompt reaches a model and its output comes back.
//!
//! - [`openai`]: an OpenAI-compatible chat-completions server;
//! - [`command`]: a child process of the user's, in any language (`lines` or `once` protocol);
//! - [`function`]: a Rust closure registered on [`Harness`](crate::Harness);
//!
//! and any of them through a [cassette](crate::cassette), which records and replays answers.
//!
//! A provider answers one [`Request`] at a time per calling thread; the engine bounds how many
//! calls run at once and measures their latency.

pub mod command;
pub mod function;
pub mod openai;

use crate::suite::ModelSpec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// What a model is asked: one case, with its prompt rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub suite: String,
    pub case_id: String,
    pub input: String,
    /// The suite's prompt template filled with this case's input and vars.
    pub prompt: String,
    pub vars: BTreeMap<String, String>,
    /// Which run of the case this is, from 0: a suite with `repeat = N` asks N times.
    pub repetition: usize,
}

/// What a model answered, with what the provider reported about it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reply {
    pub output: String,
    /// Token counts, where the provider reports them.
    pub usage: Option<Usage>,
    /// Why generation stopped (`stop`, `length`, ...), where the provider says.
    pub finish_reason: Option<String>,
    /// The server's configuration fingerprint (OpenAI's `system_fingerprint`).
    pub system_fingerprint: Option<String>,
    /// Requests it took: 1, plus one per retry.
    pub attempts: u32,
    /// The reply came from a cassette, not from the model.
    pub replayed: bool,
}

impl Reply {
    pub fn new(output: impl Into<String>) -> Reply {
        Reply {
            output: output.into(),
            attempts: 1,
            ..Reply::default()
        }
    }
}

/// Token counts of one model call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

/// Why a model call produced no output. The message is shown as the case's error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelError {
    pub message: String,
    /// What the model process wrote to stderr around the failure, if anything.
    pub stderr: Option<String>,
    /// Requests made before giving up: 1, plus one per retry.
    pub attempts: u32,
    /// Set when the failure is a replay miss: the cassette that has no recording of the case.
    pub missing_from: Option<PathBuf>,
}

impl ModelError {
    pub fn new(message: impl Into<String>) -> Self {
        ModelError {
            message: message.into(),
            stderr: None,
            attempts: 1,
            missing_from: None,
        }
    }

    pub fn with_stderr(mut self, stderr: Option<String>) -> Self {
        self.stderr = stderr;
        self
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(stderr) = self.stderr.as_deref().filter(|s| !s.trim().is_empty()) {
            write!(f, "\nstderr of the model process (last lines):")?;
            for line in stderr.trim_end().lines() {
                write!(f, "\n  | {line}")?;
            }
        }
        Ok(())
    }
}

/// A model behind some protocol.
pub trait Provider: Send + Sync {
    fn call(&self, request: &Request) -> Result<Reply, ModelError>;
}

/// The error type a model closure returns; any `std::error::Error` converts into it with `?`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A model closure as registered on the harness.
pub type ModelFn = Arc<dyn Fn(&Request) -> Result<String, BoxError> + Send + Sync>;

/// The provider for a suite's `[model]`. `functions` are the closures registered on the harness.
pub fn build(spec: &ModelSpec, functions: &BTreeMap<String, ModelFn>) -> Arc<dyn Provider> {
    match spec {
        ModelSpec::OpenAi(spec) => Arc::new(openai::OpenAiProvider::new(spec)),
        ModelSpec::Command {
            program,
            argv,
            dir,
            protocol,
            timeout,
            ..
        } => Arc::new(command::CommandProvider::new(
            program.clone(),
            argv[1..].to_vec(),
            dir.clone(),
            *protocol,
            *timeout,
        )),
        ModelSpec::Function { name, timeout, .. } => {
            // The loader reports an unregistered name; a session built anyway answers so.
            let model = functions.get(name).cloned().unwrap_or_else(|| {
                let name = name.clone();
                Arc::new(move |_: &Request| {
                    Err(format!("no model named `{name}` is registered").into())
                })
            });
            Arc::new(function::FunctionProvider::new(
                name.clone(),
                model,
                *timeout,
            ))
        }
    }
}
