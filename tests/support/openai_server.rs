//! An OpenAI-compatible `/v1/chat/completions` server on 127.0.0.1, for tests and benchmarks:
//! real HTTP/1.1 over TCP (keep-alive, Content-Length), whose answer the user message chooses.
//!
//! The message starts with a directive; `n` is how many requests this message has had:
//!
//! | message              | answer                                                           |
//! |----------------------|------------------------------------------------------------------|
//! | `ok TEXT`            | 200, the output TEXT                                             |
//! | `429 then ok`        | n = 1: 429 with `Retry-After: 0`; then 200 `recovered`          |
//! | `429 date`           | n = 1: 429 with `Retry-After` an HTTP date 2 s ahead; then 200   |
//! | `429 for 120`        | 429 with `Retry-After: 120`                                      |
//! | `500 twice`          | n ≤ 2: 500; then 200 `recovered`                                 |
//! | `503 always`         | 503                                                              |
//! | `reset once`         | n = 1: the connection is reset (RST); then 200 `recovered`       |
//! | `hang once`          | n = 1: headers and half a body, then silence; then 200           |
//! | `truncate once`      | n = 1: a body shorter than its Content-Length; then 200          |
//! | `invalid always`     | 200 with a body that is not JSON                                 |
//! | `slow`               | 200 `slow` after 300 ms                                          |
//! | `401`                | 401 whose message repeats the Authorization header it received   |
//! | `400`                | 400 `max_tokens is too large`                                    |
//! | `401 long`           | 401 with 480 characters before the key it received               |
//! | `echo auth`          | 200, the output is the Authorization header it received         |
//! | `bad utf8`           | 200 whose content has bytes that are not UTF-8                   |
//! | `odd usage`          | 200 whose usage has a null total and a float count               |
//! | anything else        | 200, the message itself                                          |
//!
//! Every answer waits `latency` first. The server keeps every request it served.

#![allow(dead_code)] // each test binary uses a part

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// One request the server answered.
#[derive(Clone, Debug)]
pub struct Served {
    pub message: String,
    pub body: serde_json::Value,
    pub authorization: Option<String>,
    pub at: Instant,
}

pub struct Server {
    address: SocketAddr,
    state: Arc<State>,
}

struct State {
    latency: Duration,
    served: Mutex<Vec<Served>>,
    attempts: Mutex<HashMap<String, usize>>,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

impl Server {
    /// Starts serving on a free port; it serves until the test process ends.
    pub fn start(latency: Duration) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let state = Arc::new(State {
            latency,
            served: Mutex::new(Vec::new()),
            attempts: Mutex::new(HashMap::new()),
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
        });
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Server { address, state }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    pub fn served(&self) -> Vec<Served> {
        self.state.served.lock().unwrap().clone()
    }

    /// Requests served for this message.
    pub fn count(&self, message: &str) -> usize {
        self.served()
            .iter()
            .filter(|s| s.message == message)
            .count()
    }

    /// The most requests that were being answered at the same moment.
    pub fn most_in_flight(&self) -> usize {
        self.state.most_in_flight.load(Ordering::SeqCst)
    }
}

/// Answers requests on one connection until the client closes it.
fn serve(stream: TcpStream, state: &State) {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let Some((headers, body)) = read_request(&mut reader) else {
            return;
        };
        let in_flight = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.most_in_flight.fetch_max(in_flight, Ordering::SeqCst);
        let keep_going = answer(&mut stream, state, &headers, &body);
        state.in_flight.fetch_sub(1, Ordering::SeqCst);
        if !keep_going {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(HashMap<String, String>, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((headers, body))
}

/// Writes the answer; `false` when the connection must close.
fn answer(
    stream: &mut TcpStream,
    state: &State,
    headers: &HashMap<String, String>,
    body: &[u8],
) -> bool {
    let body: serde_json::Value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
    let message = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string();
    let authorization = headers.get("authorization").cloned();
    let attempt = {
        let mut attempts = state.attempts.lock().unwrap();
        let n = attempts.entry(message.clone()).or_insert(0);
        *n += 1;
        *n
    };
    state.served.lock().unwrap().push(Served {
        message: message.clone(),
        body: body.clone(),
        authorization: authorization.clone(),
        at: Instant::now(),
    });
    std::thread::sleep(state.latency);
    let model = body["model"].as_str().unwrap_or("test-model").to_string();
    let ok = |text: &str| (200, completion(&model, text), Vec::new());
    let error = |status: u16, text: &str| {
        (
            status,
            serde_json::json!({"error": {"message": text, "type": "test"}}).to_string(),
            Vec::new(),
        )
    };
    let (status, text, extra) = match message.as_str() {
        "429 then ok" if attempt == 1 => {
            let (s, t, _) = error(429, "Rate limit reached");
            (s, t, vec![("Retry-After".to_string(), "0".to_string())])
        }
        "429 date" if attempt == 1 => {
            let (s, t, _) = error(429, "Rate limit reached");
            let when = http_date(SystemTime::now() + Duration::from_secs(2));
            (s, t, vec![("Retry-After".to_string(), when)])
        }
        "429 for 120" => {
            let (s, t, _) = error(429, "Slow down");
            (s, t, vec![("Retry-After".to_string(), "120".to_string())])
        }
        "500 twice" if attempt <= 2 => error(500, "The server had an error"),
        "503 always" => error(503, "The engine is currently overloaded"),
        "reset once" if attempt == 1 => {
            reset(stream);
            return false;
        }
        "hang once" if attempt == 1 => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n{\"choices\": [");
            let _ = stream.flush();
            std::thread::sleep(Duration::from_secs(30));
            return false;
        }
        "truncate once" if attempt == 1 => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"choices\": [{\"mess");
            return false;
        }
        "invalid always" => (200, "{not json".to_string(), Vec::new()),
        "slow" => {
            std::thread::sleep(Duration::from_millis(300));
            ok("slow")
        }
        "401" => {
            let sent = authorization
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "))
                .unwrap_or("none");
            error(401, &format!("Incorrect API key provided: {sent}."))
        }
        "400" => error(400, "max_tokens is too large"),
        "401 long" => {
            let sent = authorization
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "))
                .unwrap_or("none");
            error(401, &format!("{} {sent}", "x".repeat(480)))
        }
        "echo auth" => ok(authorization.as_deref().unwrap_or("none")),
        "bad utf8" => {
            let mut raw = completion(&model, "caf\u{e9}").into_bytes();
            let at = raw.windows(2).position(|w| w == [0xc3, 0xa9]).unwrap();
            raw[at] = 0xff;
            raw[at + 1] = 0xfe;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                raw.len()
            );
            let mut bytes = head.into_bytes();
            bytes.extend(raw);
            return stream.write_all(&bytes).is_ok();
        }
        "odd usage" => {
            let body = serde_json::json!({
                "choices": [{"message": {"content": "odd"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3.0, "completion_tokens": 2, "total_tokens": null},
            });
            (200, body.to_string(), Vec::new())
        }
        "429 then ok" | "500 twice" | "reset once" | "hang once" | "truncate once" | "429 date" => {
            ok("recovered")
        }
        other => ok(other.strip_prefix("ok ").unwrap_or(other)),
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Service Unavailable",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        text.len()
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(&text);
    stream.write_all(head.as_bytes()).is_ok()
}

fn completion(model: &str, output: &str) -> String {
    serde_json::json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": model,
        "system_fingerprint": "fp_test",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": output}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
    })
    .to_string()
}

/// Closes the connection with a TCP reset rather than an orderly close.
fn reset(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket this function borrows, with a correctly sized value.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// An IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(time: SystemTime) -> String {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let name = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month - 1) as usize];
    format!(
        "{weekday}, {day:02} {name} {year} {:02}:{:02}:{:02} GMT",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}
