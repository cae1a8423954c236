//! The `command` provider: the user's model as a child process, started from an argv (never a
//! shell), in the suite file's folder.
//!
//! - `protocol = "lines"`: long-lived processes. Each request is one JSON line on stdin,
//!   `{"suite","id","input","prompt","vars"}`; the answer is one JSON line on stdout,
//!   `{"output": "..."}` or `{"error": "..."}`. Processes are pooled: a caller takes an idle
//!   process or starts one, so there is one process per concurrent worker.
//! - `protocol = "once"`: a process per case. The prompt goes to stdin, stdout is the output
//!   (one trailing newline removed); a non-zero exit status fails the case. The suite and case
//!   id are in the environment as `EVALGATE_SUITE` and `EVALGATE_CASE`.
//!
//! Every call has a timeout. A process that times out, crashes, or answers with something that
//! is not a response fails that case only: it is killed and a fresh one serves the next case.
//! The last lines the process wrote to stderr are kept for the failure message.

use super::{ModelError, Provider, Request};
use crate::suite::Protocol;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

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

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    fn describe(&self) -> String {
        std::iter::once(self.program.display().to_string())
            .chain(self.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn spawn(&self, command: &mut Command) -> Result<Child, ModelError> {
        command.spawn().map_err(|error| {
            ModelError::new(format!("cannot start `{}`: {error}", self.describe()))
        })
    }

    fn timeout_error(&self, stderr: &StderrTail, mark: u64) -> ModelError {
        ModelError {
            message: format!(
                "the model process gave no answer within {} s (timeout_s); it was killed and will be restarted",
                self.timeout.as_secs_f64()
            ),
            stderr: stderr.since(mark),
        }
    }

    fn call_lines(&self, request: &Request) -> Result<String, ModelError> {
        let line = request_line(request);
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        // A pooled process may have died while idle; it is replaced, not reported.
        let mut process = match pooled.and_then(LineProcess::if_running) {
            Some(process) => process,
            None => LineProcess::start(self)?,
        };
        process.send(line);
        let mark = process.stderr_mark;
        match process.lines.recv_timeout(self.timeout) {
            Ok(answer) => match parse_answer(&answer) {
                Ok(result) => {
                    process.stderr_mark = process.stderr.total();
                    self.idle
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(process);
                    result.map_err(|message| ModelError {
                        message: format!("the model reported an error: {message}"),
                        stderr: None,
                    })
                }
                Err(problem) => {
                    let stderr = process.stderr.since(mark);
                    drop(process);
                    Err(ModelError {
                        message: problem,
                        stderr,
                    })
                }
            },
            Err(RecvTimeoutError::Timeout) => {
                process.kill();
                Err(self.timeout_error(&process.stderr, mark))
            }
            Err(RecvTimeoutError::Disconnected) => Err(process.failure(
                "the model process exited before answering",
                &self.describe(),
            )),
        }
    }

    fn call_once(&self, request: &Request) -> Result<String, ModelError> {
        let deadline = Instant::now() + self.timeout;
        let mut command = self.command();
        command
            .env("EVALGATE_SUITE", &request.suite)
            .env("EVALGATE_CASE", &request.case_id);
        let mut child = self.spawn(&mut command)?;
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
        let mut stdout = child.stdout.take();
        std::thread::spawn(move || {
            let mut output = Vec::new();
            if let Some(stdout) = stdout.as_mut() {
                let _ = stdout.read_to_end(&mut output);
            }
            let _ = sender.send(output);
        });
        let output = match receiver.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            Ok(output) => output,
            Err(_) => {
                kill(&mut child);
                return Err(self.timeout_error(&stderr, 0));
            }
        };
        let Some(status) = wait_until(&mut child, deadline) else {
            kill(&mut child);
            return Err(self.timeout_error(&stderr, 0));
        };
        if !status.success() {
            stderr.wait_closed(EXIT_GRACE);
            return Err(ModelError {
                message: format!("the model process failed: {}", describe_status(status)),
                stderr: stderr.since(0),
            });
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
    fn call(&self, request: &Request) -> Result<String, ModelError> {
        match self.protocol {
            Protocol::Lines => self.call_lines(request),
            Protocol::Once => self.call_once(request),
        }
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

/// One long-lived model process of the `lines` protocol.
struct LineProcess {
    child: Child,
    /// Requests for the thread that writes them to stdin; dropping it closes stdin. A thread
    /// writes so that a process that stops reading cannot block the caller past its timeout.
    requests: Option<Sender<Vec<u8>>>,
    /// Lines of stdout, without their newline; the channel closes when stdout does.
    lines: Receiver<Vec<u8>>,
    stderr: Arc<StderrTail>,
    /// How much stderr had been written when the current request started.
    stderr_mark: u64,
}

impl LineProcess {
    fn start(provider: &CommandProvider) -> Result<LineProcess, ModelError> {
        let mut child = provider.spawn(&mut provider.command())?;
        let stderr = StderrTail::follow(child.stderr.take());
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if line.last() == Some(&b'\n') {
                            line.pop();
                        }
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                        if sender.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
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

    /// Queues a request line. If the process is gone, its stdout closes and the caller's
    /// wait for the answer reports that.
    fn send(&mut self, line: String) {
        if let Some(requests) = &self.requests {
            let _ = requests.send(line.into_bytes());
        }
    }

    /// The process, if it has not exited; lines it wrote while idle are dropped, so the next
    /// answer read is the answer to the next request.
    fn if_running(mut self) -> Option<LineProcess> {
        let exited = !matches!(self.child.try_wait(), Ok(None));
        let closed = loop {
            match self.lines.try_recv() {
                Ok(_stray) => continue,
                Err(mpsc::TryRecvError::Empty) => break false,
                Err(mpsc::TryRecvError::Disconnected) => break true,
            }
        };
        (!exited && !closed).then_some(self)
    }

    fn kill(&mut self) {
        kill(&mut self.child);
        self.stderr.wait_closed(EXIT_GRACE);
    }

    /// The error for a process that went away: its exit status and last stderr lines.
    fn failure(mut self, what: &str, command: &str) -> ModelError {
        self.requests.take();
        let status = wait_until(&mut self.child, Instant::now() + EXIT_GRACE);
        if status.is_none() {
            kill(&mut self.child);
        }
        self.stderr.wait_closed(EXIT_GRACE);
        let status = status.map_or_else(
            || "it did not exit and was killed".to_string(),
            describe_status,
        );
        ModelError {
            message: format!(
                "{what} ({status}); command: {command}; a fresh process serves the next case"
            ),
            stderr: self.stderr.since(self.stderr_mark),
        }
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

fn request_line(request: &Request) -> String {
    let mut line = serde_json::json!({
        "suite": request.suite,
        "id": request.case_id,
        "input": request.input,
        "prompt": request.prompt,
        "vars": request.vars,
    })
    .to_string();
    line.push('\n');
    line
}

/// A response line: `Ok(Ok(output))`, `Ok(Err(model's error))`, or `Err(protocol problem)`.
fn parse_answer(line: &[u8]) -> Result<Result<String, String>, String> {
    let text = String::from_utf8_lossy(line);
    let not_a_response = || {
        let shown: String = text.chars().take(200).collect();
        format!(
            "the model process answered with a line that is not a response: {shown:?}; \
             expected {{\"output\": \"...\"}} or {{\"error\": \"...\"}} (print logs to stderr, not stdout)"
        )
    };
    let Ok(serde_json::Value::Object(mut object)) =
        serde_json::from_str::<serde_json::Value>(&text)
    else {
        return Err(not_a_response());
    };
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

fn kill(child: &mut Child) {
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
        assert_eq!(
            parse_answer(br#"{"output": "positive"}"#),
            Ok(Ok("positive".to_string()))
        );
        assert_eq!(
            parse_answer(br#"{"error": "rate limited"}"#),
            Ok(Err("rate limited".to_string()))
        );
        let problem = parse_answer(b"loading weights...").unwrap_err();
        assert!(problem.contains("\"loading weights...\""), "{problem}");
        assert!(parse_answer(br#"{"output": 3}"#).is_err());
        assert!(parse_answer(br#"{"output": "a", "error": "b"}"#).is_err());
    }
}
