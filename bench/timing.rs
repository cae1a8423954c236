//! Timing whole `evalgate` runs, for the benchmarks.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The wall time of one `evalgate` run, with `command`'s arguments; panics if it fails.
pub fn time_run(command: &mut Command) -> Duration {
    let started = Instant::now();
    let output = command.stdout(Stdio::null()).output().unwrap();
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

/// The median of `runs` timings.
pub fn median(runs: usize, mut run: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs).map(|_| run()).collect();
    times.sort();
    times[runs / 2]
}
