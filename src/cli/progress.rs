//! A one-line progress bar on standard error, for runs that take more than a moment: shown only
//! when standard error is a terminal and not in CI (`CI` set), so logs and pipes never see it.
//! The engine reports each case's outcome to it (see [`Session::observe`](crate::engine::Session)).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a run goes before the bar appears: quick runs never show it.
const FIRST_DRAW: Duration = Duration::from_millis(300);
/// How often the bar is redrawn at most.
const REDRAW: Duration = Duration::from_millis(100);
const WIDTH: usize = 24;

pub struct Progress {
    total: usize,
    done: AtomicUsize,
    failed: AtomicUsize,
    started: Instant,
    /// When the bar was last drawn; `None` until it first is.
    drawn: Mutex<Option<Instant>>,
}

impl Progress {
    /// A bar for `total` case runs, or `None` where a bar does not belong.
    pub fn for_stderr(total: usize) -> Option<Progress> {
        let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        (std::io::stderr().is_terminal() && !in_ci && total > 0).then(|| Progress {
            total,
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            started: Instant::now(),
            drawn: Mutex::new(None),
        })
    }

    /// One case finished; `failed` when it did not pass.
    pub fn advance(&self, failed: bool) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if failed {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        let now = Instant::now();
        let mut drawn = self.drawn.lock().unwrap_or_else(|e| e.into_inner());
        let due = match *drawn {
            None => now.duration_since(self.started) >= FIRST_DRAW,
            Some(last) => now.duration_since(last) >= REDRAW || done == self.total,
        };
        if due {
            *drawn = Some(now);
            let line = self.line(done.min(self.total), now);
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r{line}\x1b[K");
            let _ = stderr.flush();
        }
    }

    fn line(&self, done: usize, now: Instant) -> String {
        let filled = done * WIDTH / self.total;
        let failed = self.failed.load(Ordering::Relaxed);
        let failed = if failed > 0 {
            format!(", {failed} failed")
        } else {
            String::new()
        };
        format!(
            "[{}{}] {done}/{} cases{failed}, {:.1}s",
            "=".repeat(filled),
            " ".repeat(WIDTH - filled),
            self.total,
            now.duration_since(self.started).as_secs_f64()
        )
    }

    /// Clears the bar, if it was drawn, before the summary is printed.
    pub fn finish(&self) {
        if self
            .drawn
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
        {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[K");
            let _ = stderr.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_the_share_done_and_the_failures() {
        let progress = Progress {
            total: 8,
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(1),
            started: Instant::now(),
            drawn: Mutex::new(None),
        };
        let line = progress.line(2, progress.started + Duration::from_millis(1500));
        assert_eq!(line, "[======                  ] 2/8 cases, 1 failed, 1.5s");
    }
}
