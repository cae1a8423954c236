//! The model both tools call over HTTP: an OpenAI-compatible `/v1/chat/completions` server on
//! 127.0.0.1 (HTTP/1.1, keep-alive, Content-Length; a thread per connection, as in
//! tests/support/openai_server.rs) that waits `latency`, then answers the last word of the last
//! user message, the rule of bench/versus/model.py. "Classify: case 7 says neutral" → "neutral".

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub struct Server {
    address: SocketAddr,
    served: Arc<AtomicUsize>,
}

impl Server {
    /// Serves on a free port until the process ends.
    pub fn start(latency: Duration) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let served = Arc::new(AtomicUsize::new(0));
        let counter = served.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = counter.clone();
                std::thread::spawn(move || serve(stream, latency, &counter));
            }
        });
        Server { address, served }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    /// Requests answered so far.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }
}

/// Answers requests on one connection until the client closes it.
fn serve(stream: TcpStream, latency: Duration, served: &AtomicUsize) {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    while let Some((path, body)) = read_request(&mut reader) {
        std::thread::sleep(latency);
        let (status, text) = if path.ends_with("/chat/completions") {
            (200, completion(&body))
        } else {
            (
                404,
                r#"{"error": {"message": "not found", "type": "bench"}}"#.to_string(),
            )
        };
        let reason = if status == 200 { "OK" } else { "Not Found" };
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
            text.len()
        );
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
        served.fetch_add(1, Ordering::SeqCst);
    }
}

/// The request's path and body; `None` when the client closed the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((path, body))
}

/// A chat completion whose content is the last word of the last user message.
fn completion(body: &[u8]) -> String {
    let body: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let message = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    let answer = message.split_whitespace().last().unwrap_or("");
    serde_json::json!({
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": body["model"].as_str().unwrap_or("bench"),
        "system_fingerprint": "fp_bench",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": answer}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
    })
    .to_string()
}
