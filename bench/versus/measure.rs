//! One timed run of a command: its wall time and the peak memory of its process tree.
//!
//! Peak memory is the larger of two figures: the resident set sizes of every process the command
//! runs as (`/proc/PID/task/*/children`, recursively), summed and sampled every 10 ms; and the
//! exact peak of the largest single process, as `/usr/bin/time -f %M` reports it. The sum counts
//! the model processes a tool starts (Python for the command model, cargo's rustc for builds);
//! the exact peak catches what a process reaches between two samples.
//!
//! The command runs under `/usr/bin/time` (skipped if there is none: then the sampled sum alone)
//! rather than straight from this process: Linux carries the resident peak of a process's memory
//! before `exec` into its `ru_maxrss`, and a child spawned from this process, which holds
//! servers and parsed results, would report this process's peak as its own. `time` forks from
//! a small process, so the figure it reports is the command's.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const SAMPLE_EVERY: Duration = Duration::from_millis(10);

#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Seconds from spawn to exit.
    pub wall: f64,
    /// Bytes.
    pub peak: u64,
}

/// Runs `command` with stdout and stderr in `log`; an error (with the log's tail) if it fails.
pub fn run(command: &mut Command, log: &Path) -> Result<Sample, String> {
    let out = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let peak_file = log.with_extension("maxrss");
    let _ = std::fs::remove_file(&peak_file);
    let timed = Path::new(TIME).exists();
    let mut wrapped = if timed {
        under_time(command, &peak_file)
    } else {
        clone(command)
    };
    wrapped
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out);
    let started = Instant::now();
    let mut child = wrapped
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", wrapped.get_program()))?;
    let pid = child.id();
    let stop = Arc::new(AtomicBool::new(false));
    let sampled = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, sampled) = (stop.clone(), sampled.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                // Under `time`, the command is its child: `time` itself is not counted.
                let rss = tree_rss(pid, !timed);
                sampled.fetch_max(rss, Ordering::Relaxed);
                std::thread::sleep(SAMPLE_EVERY);
            }
        })
    };
    let status = child.wait().map_err(|e| format!("wait: {e}"))?;
    let wall = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    // `time` writes "Command exited with non-zero status N" first when it does.
    let exact_kib: u64 = std::fs::read_to_string(&peak_file)
        .unwrap_or_default()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    let sample = Sample {
        wall,
        peak: (exact_kib * 1024).max(sampled.load(Ordering::Relaxed)),
    };
    if status.success() {
        Ok(sample)
    } else {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(25).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Err(format!(
            "{:?} failed ({status}); the last lines of {}:\n{}",
            command.get_program(),
            log.display(),
            tail.join("\n")
        ))
    }
}

const TIME: &str = "/usr/bin/time";

/// `command` run by `/usr/bin/time -f %M -o PEAK_FILE`.
fn under_time(command: &Command, peak_file: &Path) -> Command {
    let mut wrapped = Command::new(TIME);
    wrapped
        .args(["-f", "%M", "-o"])
        .arg(peak_file)
        .arg("--")
        .arg(command.get_program())
        .args(command.get_args());
    same_setting(command, wrapped)
}

fn clone(command: &Command) -> Command {
    let mut wrapped = Command::new(command.get_program());
    wrapped.args(command.get_args());
    same_setting(command, wrapped)
}

/// `wrapped` with `command`'s folder and environment.
fn same_setting(command: &Command, mut wrapped: Command) -> Command {
    if let Some(dir) = command.get_current_dir() {
        wrapped.current_dir(dir);
    }
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(name, value),
            None => wrapped.env_remove(name),
        };
    }
    wrapped
}

/// Resident bytes of `pid` (if `itself`) and all its descendants, now.
fn tree_rss(pid: u32, itself: bool) -> u64 {
    let mut total = if itself { rss(pid) } else { 0 };
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return total;
    };
    for task in tasks.flatten() {
        if let Ok(children) = std::fs::read_to_string(task.path().join("children")) {
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                total += tree_rss(child, true);
            }
        }
    }
    total
}

fn rss(pid: u32) -> u64 {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(0) as u64
}

/// The median; the mean of the two middle values for an even count.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}
