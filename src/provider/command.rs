//! The `command` provider: the user's model as a child process, started from an argv (never a
//! shell), in the suite file's folder.
//!
//! - `protocol = "lines"`: long-lived processes. Each request is one JSON line on stdin,
//!   `{"suite","id","input","prompt","vars"}` (and, for the later runs of a case in a suite with
//!   `repeat`, `"repetition": n` from 1); the answer is one JSON line on stdout,
//!   `{"output": "..."}` or `{"error": "..."}`, optionally with the request's `"id"`, which is
//!   then checked. Processes are pooled: a caller takes an idle process or starts one, so there
//!   is one process per concurrent worker.
//! - `protocol = "once"`: a process per case. The prompt goes to stdin, stdout is the output
//!   (one trailing newline removed); a non-zero exit status fails the case. The suite and case
//!   id are in the environment as `EVALGATE_SUITE` and `EVALGATE_CASE`, and the run of a repeated
//!   case as `EVALGATE_REPETITION` (0 for the first).
//!
//! Every call has a timeout, which for a fresh process includes its start-up. A process that
//! times out, crashes, writes more than [`MAX_OUTPUT_BYTES`] without a newline, or answers with
//! something that is not a response fails that case only: it is killed, with every process it
//! started (each model runs in a process group of its own), and a fresh one serves the next
//! case. A pooled process found to have exited, or to have written lines nobody asked for, is
//! replaced before it gets a request.
//! The last lines the process wrote to stderr are kept for the failure message.

use super::{ModelError, Provider, Reply, Request};
use crate::suite::Protocol;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The longest output (a `lines` answer line, or a `once` stdout) a model may write: larger
/// ones fail the case rather than exhaust memory.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024 * 1024;
/// How much of a process's stderr is kept.
const STDERR_KEPT_BYTES: usize = 16 * 1024;
/// How many stderr lines a failure message shows.
const STDERR_SHOWN_LINES: usize = 20;
/// How long a process that closed its output gets to exit and finish its stderr.
const EXIT_GRACE: Duration = Duration::from_millis(500);

pub struct CommandProvider {
    program: PathBuf,
    args: Vec<String>,
    dir: PathBuf,
    protocol: Protocol,
    timeout: Duration,
    idle: Mutex<Vec<LineProcess>>,
}

/// How one request to a `lines` process ended.
enum Exchange {
    /// The process answered: the output or the model's own error. The process is fine.
    Answered(Result<String, ModelError>),
    /// The process misbehaved (timeout, garbage, an overlong line) and was killed.
    Broken(ModelError),
    /// The process closed its stdout without answering.
    Gone,
}

impl CommandProvider {
    pub fn new(
        program: PathBuf,
        args: Vec<String>,
        dir: PathBuf,
        protocol: Protocol,
        timeout: Duration,
    ) -> Self {
        CommandProvider {
            program,
            args,
            dir,
            protocol,
            timeout,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn spawn(&self, environment: &[(&str, &str)]) -> Result<Child, ModelError> {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .current_dir(&self.dir)
            .envs(environment.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // A group of its own, so a timeout kills whatever the model started too.
            command.process_group(0);
        }
        command.spawn().map_err(|error| {
            ModelError::new(format!("cannot start `{}`: {error}", self.describe()))
        })
    }

    fn describe(&self) -> String {
        std::iter::once(self.program.display().to_string())
            .chain(self.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn timeout_error(&self, stderr: &StderrTail, mark: u64, then: &str) -> ModelError {
        ModelError::new(format!(
            "the model process gave no answer within {} s (timeout_s); {then}",
            self.timeout.as_secs_f64()
        ))
        .with_stderr(stderr.since(mark))
    }

    fn call_lines(&self, request: &Request) -> Result<String, ModelError> {
        let line = request_line(request);
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut process = match pooled.and_then(LineProcess::if_in_step) {
            Some(process) => process,
            None => LineProcess::start(self)?,
        };
        // No second try when the process goes away: it may have crashed on this very request,
        // and each case calls its model once.
        match self.exchange(&mut process, &line, &request.case_id) {
            Exchange::Answered(result) => {
                process.stderr_mark = process.stderr.total();
                self.idle
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(process);
                result
            }
            Exchange::Broken(error) => Err(error),
            Exchange::Gone => Err(process.failure(&self.describe())),
        }
    }

    fn exchange(&self, process: &mut LineProcess, line: &str, id: &str) -> Exchange {
        process.send(line);
        let mark = process.stderr_mark;
        let broken = |process: &mut LineProcess, message: String| {
            process.kill();
            let stderr = process.stderr.since(mark);
            Exchange::Broken(ModelError::new(message).with_stderr(stderr))
        };
        match process.lines.recv_timeout(self.timeout) {
            Ok(Line::Text(answer)) => match parse_answer(&answer, id) {
                Ok(result) => Exchange::Answered(result.map_err(|message| {
                    ModelError::new(format!("the model reported an error: {message}"))
                })),
                Err(problem) => broken(process, problem),
            },
            Ok(Line::TooLong) => broken(
                process,
                format!(
                    "the model process wrote more than {} MiB without a newline; it was killed",
                    MAX_OUTPUT_BYTES >> 20
                ),
            ),
            Err(RecvTimeoutError::Timeout) => {
                process.kill();
                let then = "it was killed and a fresh process serves the next case";
                Exchange::Broken(self.timeout_error(&process.stderr, mark, then))
            }
            Err(RecvTimeoutError::Disconnected) => Exchange::Gone,
        }
    }

    fn call_once(&self, request: &Request) -> Result<String, ModelError> {
        let deadline = Instant::now() + self.timeout;
        let repetition = request.repetition.to_string();
        let environment = [
            ("EVALGATE_SUITE", request.suite.as_str()),
            ("EVALGATE_CASE", request.case_id.as_str()),
            ("EVALGATE_REPETITION", repetition.as_str()),
        ];
        let mut child = self.spawn(&environment)?;
        let stderr = StderrTail::follow(child.stderr.take());
        let mut stdin = child.stdin.take();
        let prompt = request.prompt.clone().into_bytes();
        // Written from a thread: a model that prints before it reads must not deadlock us.
        std::thread::spawn(move || {
            if let Some(stdin) = stdin.as_mut() {
                let _ = stdin.write_all(&prompt);
            }
        });
        let (sender, receiver) = mpsc::channel();
        let stdout = child.stdout.take();
        std::thread::spawn(move || {
            let mut output = Vec::new();
            if let Some(stdout) = stdout {
                let _ = stdout
                    .take(MAX_OUTPUT_BYTES as u64 + 1)
                    .read_to_end(&mut output);
            }
            let _ = sender.send(output);
        });
        let timed_out = |child: &mut Child| {
            kill(child);
            self.timeout_error(&stderr, 0, "it was killed")
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        let Ok(output) = receiver.recv_timeout(remaining) else {
            return Err(timed_out(&mut child));
        };
        if output.len() > MAX_OUTPUT_BYTES {
            kill(&mut child);
            let limit = MAX_OUTPUT_BYTES >> 20;
            let message = format!("the model process wrote more than {limit} MiB; it was killed");
            return Err(ModelError::new(message));
        }
        let Some(status) = wait_until(&mut child, deadline) else {
            return Err(timed_out(&mut child));
        };
        if !status.success() {
            stderr.wait_closed(EXIT_GRACE);
            let message = format!("the model process failed: {}", describe_status(status));
            return Err(ModelError::new(message).with_stderr(stderr.since(0)));
        }
        let mut text = String::from_utf8_lossy(&output).into_owned();
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        Ok(text)
    }
}

impl Provider for CommandProvider {
    fn call(&self, request: &Request) -> Result<Reply, ModelError> {
        let output = match self.protocol {
            Protocol::Lines => self.call_lines(request),
            Protocol::Once => self.call_once(request),
        };
        output.map(Reply::new)
    }
}

impl Drop for CommandProvider {
    fn drop(&mut self) {
        let mut processes = std::mem::take(self.idle.get_mut().unwrap_or_else(|e| e.into_inner()));
        // Close every stdin first so the processes exit together, then reap them.
        for process in &mut processes {
            process.requests.take();
        }
        let deadline = Instant::now() + Duration::from_millis(200);
        for mut process in processes {
            if wait_until(&mut process.child, deadline).is_none() {
                kill(&mut process.child);
            }
        }
    }
}

/// A line of a `lines` process's stdout, without its newline.
enum Line {
    Text(Vec<u8>),
    /// More than [`MAX_OUTPUT_BYTES`] without a newline; nothing more is read.
    TooLong,
}

/// One long-lived model process of the `lines` protocol.
struct LineProcess {
    child: Child,
    /// Requests for the thread that writes them to stdin; dropping it closes stdin. A thread
    /// writes so that a process that stops reading cannot block the caller past its timeout.
    requests: Option<Sender<Vec<u8>>>,
    /// Lines of stdout; the channel closes when stdout does.
    lines: Receiver<Line>,
    stderr: Arc<StderrTail>,
    /// How much stderr had been written when the current request started.
    stderr_mark: u64,
}

impl LineProcess {
    fn start(provider: &CommandProvider) -> Result<LineProcess, ModelError> {
        let mut child = provider.spawn(&[])?;
        let stderr = StderrTail::follow(child.stderr.take());
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || read_lines(stdout, &sender));
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let (requests, pending) = mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            for request in pending {
                if stdin
                    .write_all(&request)
                    .and_then(|()| stdin.flush())
                    .is_err()
                {
                    break;
                }
            }
        });
        Ok(LineProcess {
            child,
            requests: Some(requests),
            lines,
            stderr,
            stderr_mark: 0,
        })
    }

    /// Queues a request line. If the process is gone, its stdout closes and the wait for the
    /// answer reports that.
    fn send(&mut self, line: &str) {
        if let Some(requests) = &self.requests {
            let _ = requests.send(line.as_bytes().to_vec());
        }
    }

    /// The process, if it is still running and wrote nothing since its last answer. A process
    /// that wrote extra lines is out of step (its next line might answer an old request), so
    /// it is replaced.
    fn if_in_step(mut self) -> Option<LineProcess> {
        let running = matches!(self.child.try_wait(), Ok(None));
        let quiet = matches!(self.lines.try_recv(), Err(mpsc::TryRecvError::Empty));
        (running && quiet).then_some(self)
    }

    fn kill(&mut self) {
        kill(&mut self.child);
        self.stderr.wait_closed(EXIT_GRACE);
    }

    /// The error for a process that closed its stdout without answering: how it ended and
    /// its last stderr lines.
    fn failure(mut self, command: &str) -> ModelError {
        self.requests.take();
        let what = match wait_until(&mut self.child, Instant::now() + EXIT_GRACE) {
            Some(status) if status.success() => format!(
                "the model process exited before answering ({}): a `lines` model must keep \
                 running and read the next request; protocol = \"once\" runs a process per case",
                describe_status(status)
            ),
            Some(status) => format!(
                "the model process exited before answering ({})",
                describe_status(status)
            ),
            None => {
                kill(&mut self.child);
                "the model process closed its stdout before answering; it was killed".to_string()
            }
        };
        self.stderr.wait_closed(EXIT_GRACE);
        ModelError::new(format!(
            "{what}; command: {command}; a fresh process serves the next case"
        ))
        .with_stderr(self.stderr.since(self.stderr_mark))
    }
}

impl Drop for LineProcess {
    fn drop(&mut self) {
        self.requests.take();
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            kill(&mut self.child);
        }
    }
}

/// Splits stdout into lines for `lines`, sending each; stops at the end of stdout, when no
/// one listens, or after a line longer than [`MAX_OUTPUT_BYTES`].
fn read_lines(stdout: impl Read, lines: &Sender<Line>) {
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    loop {
        let (consumed, complete) = match reader.fill_buf() {
            Ok([]) | Err(_) => break,
            Ok(buffer) => match buffer.iter().position(|b| *b == b'\n') {
                Some(end) => {
                    line.extend_from_slice(&buffer[..end]);
                    (end + 1, true)
                }
                None => {
                    line.extend_from_slice(buffer);
                    (buffer.len(), false)
                }
            },
        };
        reader.consume(consumed);
        if line.len() > MAX_OUTPUT_BYTES {
            let _ = lines.send(Line::TooLong);
            return;
        }
        if complete {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if lines.send(Line::Text(std::mem::take(&mut line))).is_err() {
                return;
            }
        }
    }
    if !line.is_empty() {
        let _ = lines.send(Line::Text(line));
    }
}

fn request_line(request: &Request) -> String {
    let mut line = serde_json::json!({
        "suite": request.suite,
        "id": request.case_id,
        "input": request.input,
        "prompt": request.prompt,
        "vars": request.vars,
    });
    if request.repetition > 0 {
        line["repetition"] = request.repetition.into();
    }
    let mut line = line.to_string();
    line.push('\n');
    line
}

/// A response line to the request with id `id`: `Ok(Ok(output))`, `Ok(Err(model's error))`,
/// or `Err(protocol problem)`.
fn parse_answer(line: &[u8], id: &str) -> Result<Result<String, String>, String> {
    let text = String::from_utf8_lossy(line);
    let not_a_response = || {
        let shown: String = text.chars().take(200).collect();
        format!(
            "the model process answered with a line that is not a response: {shown:?}; \
             expected {{\"output\": \"...\"}} or {{\"error\": \"...\"}} \
             (print logs to stderr, not stdout)"
        )
    };
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_str(&text) else {
        return Err(not_a_response());
    };
    match object.remove("id") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(answered)) if answered == id => {}
        Some(answered) => {
            return Err(format!(
                "the model process answered request {answered} when asked {id:?}: its answers \
                 are out of step (write exactly one line per request)"
            ));
        }
    }
    match (object.remove("output"), object.remove("error")) {
        (Some(serde_json::Value::String(output)), None) => Ok(Ok(output)),
        (None, Some(serde_json::Value::String(error))) => Ok(Err(error)),
        _ => Err(not_a_response()),
    }
}

fn describe_status(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => status.to_string(),
    }
}

/// Kills the process and its process group (whatever it started), and reaps it.
fn kill(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(group) = libc::pid_t::try_from(child.id()) {
        // SAFETY: killpg only sends a signal; the group is the child's own (process_group(0)),
        // and the child is not yet reaped, so its id cannot have been reused.
        unsafe {
            libc::killpg(group, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits for the child to exit until `deadline`; `None` if it is still running then.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    let mut pause = Duration::from_micros(50);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(5));
            }
            _ => return None,
        }
    }
}

/// The last bytes a process wrote to stderr, read by a thread of its own.
struct StderrTail {
    state: Mutex<TailState>,
    closed: Condvar,
}

struct TailState {
    kept: Vec<u8>,
    /// Bytes written in all, so a caller can ask for what came after a mark.
    total: u64,
    closed: bool,
}

impl StderrTail {
    fn follow(stderr: Option<std::process::ChildStderr>) -> Arc<StderrTail> {
        let tail = Arc::new(StderrTail {
            state: Mutex::new(TailState {
                kept: Vec::new(),
                total: 0,
                closed: stderr.is_none(),
            }),
            closed: Condvar::new(),
        });
        if let Some(mut stderr) = stderr {
            let writer = tail.clone();
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                loop {
                    match stderr.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let mut state = writer.state.lock().unwrap_or_else(|e| e.into_inner());
                            state.kept.extend_from_slice(&buffer[..n]);
                            state.total += n as u64;
                            let excess = state.kept.len().saturating_sub(STDERR_KEPT_BYTES);
                            state.kept.drain(..excess);
                        }
                    }
                }
                writer
                    .state
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .closed = true;
                writer.closed.notify_all();
            });
        }
        tail
    }

    fn total(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).total
    }

    fn wait_closed(&self, limit: Duration) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self.closed.wait_timeout_while(state, limit, |s| !s.closed);
    }

    /// The last lines written after `mark`, or `None` when there are none.
    fn since(&self, mark: u64) -> Option<String> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let new = usize::try_from(state.total.saturating_sub(mark))
            .unwrap_or(usize::MAX)
            .min(state.kept.len());
        let text = String::from_utf8_lossy(&state.kept[state.kept.len() - new..]).into_owned();
        let lines: Vec<&str> = text.trim_end().lines().collect();
        let shown = lines[lines.len().saturating_sub(STDERR_SHOWN_LINES)..].join("\n");
        (!shown.trim().is_empty()).then_some(shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_output_error_or_protocol_problems() {
        let parse = |line: &str| parse_answer(line.as_bytes(), "c1");
        assert_eq!(
            parse(r#"{"output": "positive"}"#),
            Ok(Ok("positive".to_string()))
        );
        assert_eq!(
            parse(r#"{"error": "rate limited"}"#),
            Ok(Err("rate limited".to_string()))
        );
        assert_eq!(
            parse(r#"{"id": "c1", "output": "x"}"#),
            Ok(Ok("x".to_string()))
        );
        let problem = parse("loading weights...").unwrap_err();
        assert!(problem.contains("\"loading weights...\""), "{problem}");
        assert!(parse(r#"{"output": 3}"#).is_err());
        assert!(parse(r#"{"output": "a", "error": "b"}"#).is_err());
        let stale = parse(r#"{"id": "c0", "output": "x"}"#).unwrap_err();
        assert!(
            stale.contains("answered request \"c0\" when asked \"c1\""),
            "{stale}"
        );
    }

    #[test]
    fn lines_are_split_and_capped() {
        let (sender, receiver) = mpsc::channel();
        read_lines(&b"one\r\ntwo\nthree"[..], &sender);
        let lines: Vec<Vec<u8>> = receiver
            .try_iter()
            .map(|line| match line {
                Line::Text(text) => text,
                Line::TooLong => b"<too long>".to_vec(),
            })
            .collect();
        assert_eq!(lines, [b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]);

        let (sender, receiver) = mpsc::channel();
        let endless = std::io::repeat(b'x').take(MAX_OUTPUT_BYTES as u64 + 10);
        read_lines(endless, &sender);
        assert!(matches!(receiver.try_recv(), Ok(Line::TooLong)));
    }
}
