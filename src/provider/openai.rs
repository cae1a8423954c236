//! The `openai` provider: any OpenAI-compatible `/v1/chat/completions` server (OpenAI, vLLM,
//! llama.cpp, Ollama, TGI).
//!
//! One request per case, `stream: false`. 429, 5xx, timeouts, connection errors and answers that
//! are cut short or are not JSON are retried, up to `retries` times, after an exponential backoff
//! with jitter, or after the server's `Retry-After` (seconds or an HTTP date) when it gives one.
//! Other 4xx answers fail at once with the server's message. The API key is read from the
//! environment variable the suite names, sent only in the `Authorization` header, and struck from
//! every message, so it never reaches a result, a cassette or a log.
//!
//! The HTTP client is behind the `openai` feature, https behind `tls`; without them the provider
//! still exists (suites load, cassettes replay) and a live call says what to enable.

// Without the HTTP client the parsing below is unused, but still built and tested.
#![cfg_attr(not(feature = "openai"), allow(dead_code))]

use super::{ModelError, Provider, Reply, Request, Usage};
use crate::suite::OpenAiSpec;

use std::cell::Cell;
use std::time::{Duration, SystemTime};

/// Where requests go when neither the suite nor `$OPENAI_BASE_URL` says.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// The longest `Retry-After` honoured; a server asking for more fails the case instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// The longest backoff between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The largest response body read.
#[cfg(feature = "openai")]
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

pub struct OpenAiProvider {
    spec: OpenAiSpec,
    /// The endpoint, or why there is none (a bad `$OPENAI_BASE_URL`).
    url: Result<String, String>,
    api_key: Option<String>,
    #[cfg(feature = "openai")]
    agent: ureq::Agent,
}

/// Why one attempt failed, and whether another may succeed.
#[derive(Debug, PartialEq)]
struct Failure {
    message: String,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    fn retry(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            retryable: true,
            retry_after: None,
        }
    }

    fn fatal(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            retryable: false,
            retry_after: None,
        }
    }
}

impl OpenAiProvider {
    pub fn new(spec: &OpenAiSpec) -> OpenAiProvider {
        let base = spec
            .base_url
            .clone()
            .or_else(|| {
                std::env::var("OPENAI_BASE_URL")
                    .ok()
                    .filter(|u| !u.trim().is_empty())
            })
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let base = base.trim().trim_end_matches('/');
        let url = match base.split_once("://") {
            Some(("http" | "https", host)) if !host.is_empty() => {
                Ok(format!("{base}/chat/completions"))
            }
            _ => Err(format!(
                "the server address {base:?} (from {}) is not an http:// or https:// URL",
                if spec.base_url.is_some() {
                    "base_url"
                } else {
                    "$OPENAI_BASE_URL"
                }
            )),
        };
        // Trimmed: a key pasted with a newline must still be struck from messages whole.
        let api_key = std::env::var(&spec.api_key_env)
            .ok()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty());
        OpenAiProvider {
            spec: spec.clone(),
            url,
            api_key,
            #[cfg(feature = "openai")]
            agent: ureq::Agent::config_builder()
                .timeout_global(Some(spec.timeout))
                .http_status_as_error(false)
                .max_idle_connections_per_host(spec.concurrency.max(1))
                .user_agent(concat!("evalgate/", env!("CARGO_PKG_VERSION")))
                .build()
                .new_agent(),
        }
    }

    fn body(&self, request: &Request) -> String {
        let mut messages = Vec::new();
        if let Some(system) = &self.spec.system {
            messages.push(serde_json::json!({"role": "system", "content": system}));
        }
        messages.push(serde_json::json!({"role": "user", "content": request.prompt}));
        let mut body = serde_json::json!({
            "model": self.spec.model,
            "messages": messages,
            "stream": false,
        });
        if let Some(t) = self.spec.temperature {
            body["temperature"] = t.into();
        }
        if let Some(n) = self.spec.max_tokens {
            body["max_tokens"] = n.into();
        }
        if let Some(seed) = self.spec.seed {
            body["seed"] = seed.into();
        }
        body.to_string()
    }

    /// The wait before attempt `attempt + 1`: `backoff · 2^(attempt-1)`, half of it fixed and
    /// half random, at most [`MAX_BACKOFF`].
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .spec
            .backoff
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(MAX_BACKOFF);
        base / 2 + base.mul_f64(jitter() / 2.0)
    }

    /// The text with the API key struck out. Applied to everything that comes back from the
    /// server before any of it is cut short, kept or shown.
    fn redact(&self, text: String) -> String {
        match &self.api_key {
            Some(key) if key.len() >= 4 => text.replace(key.as_str(), "[API key redacted]"),
            _ => text,
        }
    }

    #[cfg(feature = "openai")]
    fn attempt(&self, body: &str) -> Result<Reply, Failure> {
        let url = self
            .url
            .as_deref()
            .map_err(|problem| Failure::fatal(problem.clone()))?;
        if url.starts_with("https://") && !cfg!(feature = "tls") {
            return Err(Failure::fatal(format!(
                "{url} is https, and this evalgate was built without the `tls` feature; \
                 rebuild with --features tls (cargo install evalgate --features tls)"
            )));
        }
        let mut request = self
            .agent
            .post(url)
            .header("content-type", "application/json");
        if let Some(key) = &self.api_key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let mut response = request.send(body).map_err(|error| self.transport(error))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(|error| self.transport(error))?;
        let text = self.redact(String::from_utf8_lossy(&bytes).into_owned());
        match status {
            200..=299 => parse_completion(&text).map_err(Failure::retry),
            408 | 429 | 500..=599 => Err(Failure {
                message: format!("the server answered {status}: {}", server_message(&text)),
                retryable: true,
                retry_after,
            }),
            _ => Err(Failure::fatal(format!(
                "the server answered {status}: {}",
                server_message(&text)
            ))),
        }
    }

    #[cfg(not(feature = "openai"))]
    fn attempt(&self, _body: &str) -> Result<Reply, Failure> {
        let url = self
            .url
            .as_deref()
            .map_err(|problem| Failure::fatal(problem.clone()))?;
        Err(Failure::fatal(format!(
            "this evalgate was built without the `openai` feature, so it cannot call {url}; \
             replay from a cassette, or rebuild with --features openai"
        )))
    }

    #[cfg(feature = "openai")]
    fn transport(&self, error: ureq::Error) -> Failure {
        use ureq::Error;
        let url = self.url.as_deref().unwrap_or_default();
        match error {
            Error::Timeout(_) => Failure::retry(format!(
                "no complete answer from {url} within {} s (timeout_s)",
                self.spec.timeout.as_secs_f64()
            )),
            Error::Io(_)
            | Error::ConnectionFailed
            | Error::HostNotFound
            | Error::Protocol(_)
            | Error::BodyStalled => Failure::retry(format!("connection to {url} failed: {error}")),
            Error::BodyExceedsLimit(limit) => Failure::fatal(format!(
                "the server's answer is larger than {} MiB",
                limit >> 20
            )),
            other => Failure::fatal(format!("cannot call {url}: {other}")),
        }
    }
}

impl Provider for OpenAiProvider {
    fn call(&self, request: &Request) -> Result<Reply, ModelError> {
        let body = self.body(request);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let failure = match self.attempt(&body) {
                Ok(mut reply) => {
                    reply.attempts = attempts;
                    return Ok(reply);
                }
                Err(failure) => failure,
            };
            let wait = failure
                .retry_after
                .unwrap_or_else(|| self.backoff(attempts));
            let retry = failure.retryable && attempts <= self.spec.retries;
            if retry && wait <= MAX_RETRY_AFTER {
                std::thread::sleep(wait);
                continue;
            }
            let mut message = failure.message;
            if retry {
                message.push_str(&format!(
                    "; it asked to retry after {} s, longer than evalgate waits ({} s)",
                    wait.as_secs(),
                    MAX_RETRY_AFTER.as_secs()
                ));
            } else if attempts > 1 {
                message.push_str(&format!(" (after {attempts} attempts)"));
            }
            let mut error = ModelError::new(self.redact(message));
            error.attempts = attempts;
            return Err(error);
        }
    }
}

/// The reply in a chat completion; what is wrong with it otherwise. Read leniently: servers
/// differ in what they fill in (usage counts may be missing, null or floats; content may be a
/// list of parts).
fn parse_completion(text: &str) -> Result<Reply, String> {
    let not_a_completion = |why: &str| {
        let shown: String = text.chars().take(200).collect();
        format!("the server's answer is not a chat completion ({why}): {shown:?}")
    };
    let completion: serde_json::Value =
        serde_json::from_str(text).map_err(|error| not_a_completion(&error.to_string()))?;
    let choice = match completion.get("choices") {
        Some(serde_json::Value::Array(choices)) => choices.first(),
        _ => return Err(not_a_completion("no `choices`")),
    };
    let Some(choice) = choice else {
        return Err("the server's answer has no choices".to_string());
    };
    let output = match &choice["message"]["content"] {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(parts) => {
            parts.iter().filter_map(|p| p["text"].as_str()).collect()
        }
        _ => String::new(),
    };
    let string = |value: &serde_json::Value| value.as_str().map(str::to_string);
    Ok(Reply {
        output,
        usage: usage(&completion["usage"]),
        finish_reason: string(&choice["finish_reason"]),
        system_fingerprint: string(&completion["system_fingerprint"]),
        attempts: 1,
        replayed: false,
    })
}

/// Token counts from a `usage` object; a missing total is the sum of the parts.
fn usage(value: &serde_json::Value) -> Option<Usage> {
    let count = |name: &str| {
        let number = value.get(name)?.as_f64()?;
        (number.is_finite() && number >= 0.0).then(|| number.min(u64::MAX as f64) as u64)
    };
    let (prompt, completion, total) = (
        count("prompt_tokens"),
        count("completion_tokens"),
        count("total_tokens"),
    );
    if prompt.is_none() && completion.is_none() && total.is_none() {
        return None;
    }
    let (prompt, completion) = (prompt.unwrap_or(0), completion.unwrap_or(0));
    Some(Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: total.unwrap_or(prompt.saturating_add(completion)),
    })
}

/// The error message in an OpenAI-style error body, else the body itself (shortened).
fn server_message(text: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| {
            let error = v.get("error")?;
            error
                .get("message")
                .and_then(|m| m.as_str())
                .or_else(|| error.as_str())
                .map(str::to_string)
        });
    let message = from_json.unwrap_or_else(|| text.trim().to_string());
    if message.is_empty() {
        return "(no message)".to_string();
    }
    let shown: String = message.chars().take(500).collect();
    if shown.len() < message.len() {
        format!("{shown}…")
    } else {
        shown
    }
}

/// `Retry-After`: a number of seconds, or an HTTP date (IMF-fixdate, e.g.
/// `Sun, 06 Nov 1994 08:49:37 GMT`), as a wait from `now`.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(1e9)));
    }
    let date = http_date(value)?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An HTTP date in any of the three forms recipients must accept (RFC 9110): IMF-fixdate
/// `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT`, and asctime
/// `Sun Nov  6 08:49:37 1994`.
fn http_date(text: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let (day, month, year, time) = match parts.as_slice() {
        [_, day, month, year, time, "GMT"] => (*day, *month, year.parse::<i64>().ok()?, *time),
        [_, date, time, "GMT"] => {
            let mut fields = date.split('-');
            let (day, month, year) = (fields.next()?, fields.next()?, fields.next()?);
            let year: i64 = year.parse().ok()?;
            // Two digits: 70 to 99 are 19xx, the rest 20xx.
            let year = match year {
                0..70 => 2000 + year,
                70..100 => 1900 + year,
                _ => year,
            };
            (day, month, year, *time)
        }
        [_, month, day, time, year] => (*day, *month, year.parse::<i64>().ok()?, *time),
        _ => return None,
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let day: i64 = day.parse().ok()?;
    let clock: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [hours, minutes, seconds] = clock.as_slice() else {
        return None;
    };
    // Days since 1970-01-01 from a civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds = days * 86_400 + hours * 3600 + minutes * 60 + seconds;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).ok()?))
}

/// A number in [0, 1) for jitter: xorshift, seeded per thread from the clock and the thread.
fn jitter() -> f64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64);
            let thread = std::thread::current().id();
            let mixed = format!("{thread:?}").bytes().fold(nanos, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
            mixed | 1
        });
    }
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_767); // Sun, 06 Nov 1994 08:49:27 GMT
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("0.5", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Tue, 29 Feb 2028 00:00:00 GMT", SystemTime::UNIX_EPOCH),
            Some(Duration::from_secs(1_835_395_200))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:37 1994", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn completions_give_output_usage_and_fingerprint() {
        let text = r#"{"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":"positive"}}],
            "usage":{"completion_tokens":2,"prompt_tokens":56,"total_tokens":58},"system_fingerprint":"b0-unknown"}"#;
        let reply = parse_completion(text).unwrap();
        assert_eq!(reply.output, "positive");
        assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
        assert_eq!(reply.system_fingerprint.as_deref(), Some("b0-unknown"));
        assert_eq!(
            reply.usage,
            Some(Usage {
                prompt_tokens: 56,
                completion_tokens: 2,
                total_tokens: 58
            })
        );
        assert!(
            parse_completion(r#"{"choices": []}"#)
                .unwrap_err()
                .contains("no choices")
        );
        assert!(
            parse_completion("{not json")
                .unwrap_err()
                .contains("not a chat completion")
        );
        assert!(
            parse_completion(r#"{"object": "error"}"#)
                .unwrap_err()
                .contains("no `choices`")
        );
    }

    #[test]
    fn odd_but_usable_answers_are_read() {
        let parts = r#"{"choices":[{"message":{"content":[{"type":"text","text":"pos"},{"type":"text","text":"itive"}]}}]}"#;
        assert_eq!(parse_completion(parts).unwrap().output, "positive");
        let null_content = r#"{"choices":[{"message":{"content":null},"finish_reason":"length"}]}"#;
        assert_eq!(parse_completion(null_content).unwrap().output, "");
        let usage_of = |u: &str| usage(&serde_json::from_str(u).unwrap());
        assert_eq!(
            usage_of(r#"{"prompt_tokens": 5, "completion_tokens": 2}"#)
                .unwrap()
                .total_tokens,
            7
        );
        let floats = r#"{"prompt_tokens": 5.0, "completion_tokens": null, "total_tokens": 9}"#;
        assert_eq!(usage_of(floats).unwrap().total_tokens, 9);
        assert_eq!(usage_of(r#"{"total_tokens": -1}"#), None);
        assert_eq!(usage_of("null"), None);
    }

    #[test]
    fn server_messages_come_from_error_bodies() {
        assert_eq!(
            server_message(r#"{"error": {"message": "Rate limit reached"}}"#),
            "Rate limit reached"
        );
        assert_eq!(
            server_message(r#"{"error": "model not found"}"#),
            "model not found"
        );
        assert_eq!(server_message("Bad Gateway"), "Bad Gateway");
        assert_eq!(server_message(""), "(no message)");
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        let spec = OpenAiSpec {
            model: "m".into(),
            base_url: Some("http://127.0.0.1:9/v1".into()),
            api_key_env: "EVALGATE_TEST_NO_SUCH_KEY".into(),
            system: None,
            temperature: None,
            max_tokens: None,
            seed: None,
            timeout: Duration::from_secs(1),
            concurrency: 1,
            retries: 3,
            backoff: Duration::from_secs(1),
        };
        let provider = OpenAiProvider::new(&spec);
        for attempt in 1..=3 {
            let wait = provider.backoff(attempt);
            let base = Duration::from_secs(1 << (attempt - 1));
            assert!(
                wait >= base / 2 && wait <= base,
                "attempt {attempt}: {wait:?}"
            );
        }
        assert!(provider.backoff(10) <= MAX_BACKOFF);
    }

    #[test]
    fn the_key_is_struck_from_messages() {
        let provider = OpenAiProvider {
            api_key: Some("sk-canary-123".into()),
            ..OpenAiProvider::new(&OpenAiSpec {
                model: "m".into(),
                base_url: None,
                api_key_env: "EVALGATE_TEST_NO_SUCH_KEY".into(),
                system: None,
                temperature: None,
                max_tokens: None,
                seed: None,
                timeout: Duration::from_secs(1),
                concurrency: 1,
                retries: 0,
                backoff: Duration::from_secs(1),
            })
        };
        assert_eq!(
            provider.redact("Incorrect API key provided: sk-canary-123.".into()),
            "Incorrect API key provided: [API key redacted]."
        );
    }
}
