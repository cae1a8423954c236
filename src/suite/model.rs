//! The `[model]` table: the provider that calls the model and its settings, the prompt
//! template, and the cassette.

use super::check::{Check, Value};
use super::load::{Functions, LoadOptions};
use super::{ModelSpec, OpenAiSpec, Protocol, Template};
use crate::diagnostic::did_you_mean;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Keys every provider takes.
const SHARED_KEYS: &[&str] = &["provider", "prompt", "timeout_s", "concurrency", "cassette"];
/// Keys that belong to one provider.
const PROVIDER_KEYS: &[(&str, &[&str])] = &[
    ("command", &["command", "protocol"]),
    ("fn", &["name"]),
    (
        "openai",
        &[
            "model",
            "base_url",
            "api_key_env",
            "system",
            "temperature",
            "max_tokens",
            "seed",
            "retries",
            "backoff_s",
        ],
    ),
];
/// One day: longer is a hang, and it bounds every deadline computed from a timeout.
const MAX_TIMEOUT_S: f64 = 86_400.0;

/// What `[model]` declares.
pub(super) struct ModelTable {
    /// `None` when the table has problems (already reported).
    pub spec: Option<ModelSpec>,
    pub prompt: Template,
    pub cassette: Option<PathBuf>,
}

/// The keys of `[model]` by name, with the key's span and the value.
type Keys<'t, 'i> = HashMap<&'t str, (Range<usize>, &'t Value<'i>)>;

impl Check<'_> {
    pub(super) fn model(
        &mut self,
        value: &Value<'_>,
        suite_dir: &Path,
        options: &LoadOptions,
    ) -> ModelTable {
        let mut table = ModelTable {
            spec: None,
            prompt: Template::default(),
            cassette: None,
        };
        let Some(entries) = self.table("model", value) else {
            return table;
        };
        let known: Vec<&str> = SHARED_KEYS
            .iter()
            .chain(PROVIDER_KEYS.iter().flat_map(|(_, keys)| keys.iter()))
            .copied()
            .collect();
        let mut keys: Keys = HashMap::new();
        for (key, value) in entries.iter() {
            let name: &str = key.get_ref().as_ref();
            if known.contains(&name) {
                keys.insert(name, (key.span(), value));
            } else {
                self.unknown_key(key, "in [model]", &known);
            }
        }
        table.prompt = self.prompt(keys.get("prompt").map(|(_, v)| *v));
        table.cassette = self.cassette(keys.get("cassette").map(|(_, v)| *v), suite_dir);

        let Some((provider, provider_span)) = keys
            .get("provider")
            .and_then(|(_, v)| self.string("provider", v).map(|p| (p, v.span())))
        else {
            if !keys.contains_key("provider") {
                self.error(value.span(), "[model] has no `provider`").hint(
                    "add provider = \"openai\" (an OpenAI-compatible server), \
                     \"command\" (a program of yours) or \"fn\" (a Rust closure on the harness)",
                );
            }
            return table;
        };
        let providers = PROVIDER_KEYS.iter().map(|(p, _)| *p);
        if !providers.clone().any(|p| p == provider) {
            let hint = match did_you_mean(&provider, providers) {
                Some(guess) => format!("did you mean `{guess}`?"),
                None => "the providers are openai, command and fn".to_string(),
            };
            self.error(provider_span, format!("unknown provider `{provider}`"))
                .hint(hint);
            return table;
        }
        for (name, (span, _)) in &keys {
            let owner = PROVIDER_KEYS.iter().find(|(_, owned)| owned.contains(name));
            if let Some((owner, _)) = owner.filter(|(owner, _)| *owner != provider) {
                let message = format!("`{name}` belongs to provider `{owner}`, not `{provider}`");
                self.error(span.clone(), message);
            }
        }

        let default_timeout = if provider == "openai" { 60.0 } else { 30.0 };
        let timeout = self.timeout(keys.get("timeout_s").map(|(_, v)| *v), default_timeout);
        let concurrency = keys
            .get("concurrency")
            .and_then(|(_, v)| self.whole_number("concurrency", v, 1))
            .unwrap_or_else(|| match provider.as_str() {
                "openai" => 8,
                _ => std::thread::available_parallelism().map_or(2, |n| n.get()),
            });
        table.spec = match provider.as_str() {
            "command" => self.command(&keys, provider_span, suite_dir, timeout, concurrency),
            "fn" => self.function(&keys, provider_span, options, timeout, concurrency),
            _ => self.openai(&keys, provider_span, timeout, concurrency),
        };
        table
    }

    fn prompt(&mut self, value: Option<&Value<'_>>) -> Template {
        let Some(value) = value else {
            return Template::default();
        };
        let Some(text) = self.string("prompt", value) else {
            return Template::default();
        };
        let span = value.span();
        match Template::parse(&text) {
            Ok(template) => template,
            Err(unknown) => {
                for placeholder in unknown {
                    let at = self.source[span.clone()]
                        .find(&placeholder.text)
                        .map_or(span.clone(), |i| {
                            span.start + i..span.start + i + placeholder.text.len()
                        });
                    let hint = if placeholder.text.contains("expected") {
                        "the expected answer is never shown to the model; \
                         the placeholders are {{input}} and {{vars.NAME}}"
                    } else {
                        "the placeholders are {{input}} and {{vars.NAME}}"
                    };
                    let message =
                        format!("unknown placeholder `{}` in the prompt", placeholder.text);
                    self.error(at, message).hint(hint);
                }
                Template::default()
            }
        }
    }

    fn cassette(&mut self, value: Option<&Value<'_>>, suite_dir: &Path) -> Option<PathBuf> {
        let value = value?;
        let path = self.string("cassette", value)?;
        if !path.ends_with(".jsonl") {
            self.error(value.span(), "a cassette is a .jsonl file")
                .hint("for example cassette = \"cassettes/sentiment.jsonl\"");
            return None;
        }
        Some(suite_dir.join(path))
    }

    fn timeout(&mut self, value: Option<&Value<'_>>, default: f64) -> Duration {
        let seconds = value.and_then(|v| self.number("timeout_s", v).map(|t| (t, v.span())));
        match seconds {
            Some((t, span)) if !(t > 0.0 && t <= MAX_TIMEOUT_S) => {
                self.error(
                    span,
                    format!("`timeout_s` must be more than 0 and at most {MAX_TIMEOUT_S}"),
                )
                .hint("a model call that takes longer than a day is a hung call");
                Duration::from_secs_f64(default)
            }
            Some((t, _)) => Duration::from_secs_f64(t),
            None => Duration::from_secs_f64(default),
        }
    }

    fn command(
        &mut self,
        keys: &Keys,
        provider_span: Range<usize>,
        suite_dir: &Path,
        timeout: Duration,
        concurrency: usize,
    ) -> Option<ModelSpec> {
        let Some((_, value)) = keys.get("command") else {
            let message = "provider `command` needs `command = [\"program\", \"arg\", ...]`";
            self.error(provider_span, message);
            return None;
        };
        let argv: Vec<String> = self
            .strings("command", value)?
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        let Some(first) = argv.first() else {
            self.error(value.span(), "`command` is empty").hint(
                "give the program and its arguments, e.g. command = [\"python3\", \"model.py\"]",
            );
            return None;
        };
        let Some(program) = resolve_program(first, suite_dir) else {
            let (place, hint) = if first.contains('/') {
                let hint = format!(
                    "paths in `command` are relative to the suite file's folder ({})",
                    suite_dir.display()
                );
                ("relative to the suite's folder", hint)
            } else {
                let hint = "install it, or give its path relative to the suite file's folder";
                ("on PATH", hint.to_string())
            };
            let message = format!("command not found: `{first}` is not an executable {place}");
            self.error(value.span(), message).hint(hint);
            return None;
        };
        let protocol = match keys
            .get("protocol")
            .and_then(|(_, v)| self.string("protocol", v).map(|p| (p, v.span())))
        {
            None => Protocol::Lines,
            Some((protocol, span)) => match protocol.as_str() {
                "lines" => Protocol::Lines,
                "once" => Protocol::Once,
                other => {
                    self.error(span, format!("unknown protocol `{other}`"))
                        .hint(
                            "protocol is \"lines\" (a long-lived process, JSON lines) \
                         or \"once\" (a process per case)",
                        );
                    return None;
                }
            },
        };
        let dir = std::path::absolute(suite_dir).unwrap_or_else(|_| suite_dir.to_path_buf());
        Some(ModelSpec::Command {
            program,
            argv,
            dir,
            protocol,
            timeout,
            concurrency,
        })
    }

    fn function(
        &mut self,
        keys: &Keys,
        provider_span: Range<usize>,
        options: &LoadOptions,
        timeout: Duration,
        concurrency: usize,
    ) -> Option<ModelSpec> {
        let Some((_, value)) = keys.get("name") else {
            let message = "provider `fn` needs `name`, the name the closure is registered under";
            self.error(provider_span, message);
            return None;
        };
        let name = self.string("name", value)?;
        match &options.functions {
            Functions::Unavailable => {
                let message = "provider `fn` runs a Rust closure registered on \
                               evalgate::Harness, which exists only under `cargo test`";
                self.error(provider_span, message).hint(
                    "run this suite with `cargo test`, or use provider = \"command\" for the CLI",
                );
            }
            Functions::Registered(registered) if !registered.contains(&name) => {
                let hint = if registered.is_empty() {
                    format!("register it in the test target: .model(\"{name}\", |req| ...)")
                } else {
                    format!(
                        "registered models: {}; or register it with .model(\"{name}\", |req| ...)",
                        registered.join(", ")
                    )
                };
                let message = format!("no model named `{name}` is registered on the harness");
                self.error(value.span(), message).hint(hint);
            }
            Functions::Registered(_) | Functions::Unchecked => {}
        }
        Some(ModelSpec::Function {
            name,
            timeout,
            concurrency,
        })
    }

    fn openai(
        &mut self,
        keys: &Keys,
        provider_span: Range<usize>,
        timeout: Duration,
        concurrency: usize,
    ) -> Option<ModelSpec> {
        let value = |name: &str| keys.get(name).map(|(_, v)| *v);
        let model = match value("model") {
            Some(v) => self.string("model", v).filter(|m| {
                if m.trim().is_empty() {
                    self.error(v.span(), "`model` is empty")
                        .hint("name the model the server serves, e.g. model = \"gpt-4o-mini\"");
                }
                !m.trim().is_empty()
            }),
            None => {
                self.error(provider_span, "provider `openai` needs `model`")
                    .hint("name the model the server serves, e.g. model = \"gpt-4o-mini\"");
                None
            }
        };
        let base_url = value("base_url").and_then(|v| {
            let url = self.string("base_url", v)?;
            let host = url
                .strip_prefix("http://")
                .or_else(|| url.strip_prefix("https://"));
            if host.is_some_and(|host| !host.trim_matches('/').is_empty()) {
                Some(url.trim_end_matches('/').to_string())
            } else {
                self.error(
                    v.span(),
                    format!(
                        "`base_url` must be an http:// or https:// URL with a host, not `{url}`"
                    ),
                )
                .hint("for example base_url = \"http://127.0.0.1:8080/v1\"");
                None
            }
        });
        let api_key_env = match value("api_key_env") {
            None => Some("OPENAI_API_KEY".to_string()),
            Some(v) => self.string("api_key_env", v).filter(|name| {
                let variable = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !variable {
                    // Most likely the key itself: say so without repeating it.
                    self.error(v.span(), "`api_key_env` names an environment variable, not a key")
                        .without_excerpt()
                        .hint("put the key in an environment variable and name the variable here, e.g. api_key_env = \"OPENAI_API_KEY\"; never write a key in a suite file");
                }
                variable
            }),
        };
        let system = value("system").and_then(|v| self.string("system", v));
        let temperature = value("temperature").and_then(|v| {
            let t = self.number("temperature", v)?;
            if (0.0..=2.0).contains(&t) {
                Some(t)
            } else {
                self.error(v.span(), "`temperature` must be between 0 and 2");
                None
            }
        });
        let max_tokens = value("max_tokens").and_then(|v| self.whole_number("max_tokens", v, 1));
        let seed = value("seed").and_then(|v| self.integer("seed", v));
        let retries = match value("retries") {
            Some(v) => match self.whole_number("retries", v, 0) {
                Some(n) if n <= 10 => u32::try_from(n).ok(),
                Some(_) => {
                    self.error(v.span(), "`retries` must be at most 10");
                    None
                }
                None => None,
            },
            None => Some(3),
        };
        let backoff = match value("backoff_s") {
            Some(v) => self.number("backoff_s", v).and_then(|b| {
                if b > 0.0 && b <= 60.0 {
                    Some(Duration::from_secs_f64(b))
                } else {
                    self.error(v.span(), "`backoff_s` must be more than 0 and at most 60");
                    None
                }
            }),
            None => Some(Duration::from_millis(500)),
        };
        Some(ModelSpec::OpenAi(OpenAiSpec {
            model: model?,
            base_url,
            api_key_env: api_key_env?,
            system,
            temperature,
            max_tokens: max_tokens.map(|n| n as u64),
            seed,
            timeout,
            concurrency,
            retries: retries?,
            backoff: backoff?,
        }))
    }
}

/// Finds the program of a `command`: a path (with a `/`) relative to the suite's folder, or a
/// name searched on `PATH`. Returns what to spawn.
fn resolve_program(program: &str, suite_dir: &Path) -> Option<PathBuf> {
    if program.contains('/') {
        let path = suite_dir.join(program);
        return is_executable(&path).then(|| std::path::absolute(&path).unwrap_or(path));
    }
    let path_var = std::env::var_os("PATH")?;
    std::env::split_paths(&path_var)
        .map(|dir| dir.join(program))
        .find(|p| is_executable(p))
        .map(|_| PathBuf::from(program))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}
