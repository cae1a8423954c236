//! The `fn` provider: a Rust closure registered on the harness.
//!
//! Each call runs on a thread of its own so that a closure that hangs is reported as a timeout
//! (the thread is left behind; Rust cannot stop it) and one that panics fails only its case.

use super::{ModelError, ModelFn, Provider, Reply, Request};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

pub struct FunctionProvider {
    name: String,
    model: ModelFn,
    timeout: Duration,
}

impl FunctionProvider {
    pub fn new(name: String, model: ModelFn, timeout: Duration) -> Self {
        FunctionProvider {
            name,
            model,
            timeout,
        }
    }
}

impl Provider for FunctionProvider {
    fn call(&self, request: &Request) -> Result<Reply, ModelError> {
        let (sender, receiver) = mpsc::channel();
        let model = self.model.clone();
        let request = request.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("model {}", self.name))
            .spawn(move || {
                crate::harness::quiet_panics(|| {
                    let result = catch_unwind(AssertUnwindSafe(|| model(&request)));
                    let _ = sender.send(result);
                })
            });
        if let Err(error) = spawned {
            return Err(ModelError::new(format!(
                "cannot start a thread for model `{}`: {error}",
                self.name
            )));
        }
        match receiver.recv_timeout(self.timeout) {
            Ok(Ok(Ok(output))) => Ok(Reply::new(output)),
            Ok(Ok(Err(error))) => Err(ModelError::new(format!(
                "model `{}` returned an error: {error}",
                self.name
            ))),
            Ok(Err(panic)) => Err(ModelError::new(format!(
                "model `{}` panicked: {}",
                self.name,
                panic_message(&*panic)
            ))),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(ModelError::new(format!(
                "model `{}` gave no answer within {} s (timeout_s)",
                self.name,
                self.timeout.as_secs_f64()
            ))),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(ModelError::new(format!(
                "model `{}` stopped without an answer",
                self.name
            ))),
        }
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".to_string())
}
