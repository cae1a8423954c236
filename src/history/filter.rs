//! Which recorded runs, suites and metrics a history command looks at, and the times it takes
//! (`--since`, `--until`: RFC 3339 or a date).

use super::{RunRecord, SuiteRecord};

/// What `--suite`, `--metric`, `--model`, `--branch`, `--since`, `--until` and `--last` ask for.
/// Empty lists and `None` select everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Suite names, exactly.
    pub suites: Vec<String>,
    /// Metric names, exactly; empty: each suite's headline and floored metrics.
    pub metrics: Vec<String>,
    /// A part of the model's `provider: identity`.
    pub model: Option<String>,
    /// The git branch, exactly.
    pub branch: Option<String>,
    /// Runs that started at or after this time (milliseconds since the epoch).
    pub since: Option<i64>,
    /// Runs that started at or before this time.
    pub until: Option<i64>,
    /// Only the most recent N runs (after the other filters).
    pub last: Option<usize>,
}

impl Filter {
    /// Whether a run's own data (time, branch) pass the filter.
    pub fn keeps_run(&self, run: &RunRecord) -> bool {
        self.since.is_none_or(|since| run.started_ms >= since)
            && self.until.is_none_or(|until| run.started_ms <= until)
            && self
                .branch
                .as_ref()
                .is_none_or(|branch| run.branch.as_ref() == Some(branch))
    }

    /// Whether a suite of a run passes the filter (its name and model).
    pub fn keeps_suite(&self, suite: &SuiteRecord) -> bool {
        (self.suites.is_empty() || self.suites.contains(&suite.name))
            && self
                .model
                .as_ref()
                .is_none_or(|model| suite.model().contains(model.as_str()))
    }

    /// The metrics to show or judge for a suite: those asked for that it has, else its
    /// default ones.
    pub fn metrics_of(&self, suite: &SuiteRecord) -> Vec<String> {
        if self.metrics.is_empty() {
            suite.default_metrics()
        } else {
            self.metrics
                .iter()
                .filter(|m| suite.metrics.contains_key(m.as_str()))
                .cloned()
                .collect()
        }
    }

    /// The runs kept, each with only its kept suites; runs left with none are dropped, and of
    /// the rest the last `last`. `runs` must be in time order.
    pub fn apply(&self, runs: Vec<RunRecord>) -> Vec<RunRecord> {
        let mut kept: Vec<RunRecord> = runs
            .into_iter()
            .filter(|run| self.keeps_run(run))
            .filter_map(|mut run| {
                run.suites.retain(|suite| self.keeps_suite(suite));
                (!run.suites.is_empty()).then_some(run)
            })
            .collect();
        if let Some(last) = self.last {
            let drop = kept.len().saturating_sub(last);
            kept.drain(..drop);
        }
        kept
    }
}

/// A `--since` time: RFC 3339 (`2026-11-29T04:10:00Z`, an offset, a fraction, a space for the
/// `T`), or a date (`2026-11-29`, its first moment in UTC). Milliseconds since the epoch.
pub fn parse_since(text: &str) -> Result<i64, String> {
    parse_time(text, false)
}

/// An `--until` time: as [`parse_since`], but a date means its last moment (the whole day is
/// included).
pub fn parse_until(text: &str) -> Result<i64, String> {
    parse_time(text, true)
}

fn parse_time(text: &str, end_of_day: bool) -> Result<i64, String> {
    let text = text.trim();
    if let Some(days) = parse_date(text) {
        let start = days * 86_400_000;
        return Ok(if end_of_day {
            start + 86_400_000 - 1
        } else {
            start
        });
    }
    parse_rfc3339(text).ok_or_else(|| {
        format!(
            "{text:?} is not a time: give a date (2026-11-29) or an RFC 3339 time \
             (2026-11-29T04:10:00Z, 2026-11-29T06:10:00+02:00)"
        )
    })
}

/// `YYYY-MM-DD` as days since 1970-01-01.
fn parse_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year: i64 = digits(&text[0..4])?;
    let month: i64 = digits(&text[5..7])?;
    let day: i64 = digits(&text[8..10])?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// An RFC 3339 time (`2026-11-29T04:10:00.123Z`, `...+02:00`; `t` or a space for `T`, `z` for
/// `Z`) as milliseconds since the epoch; digits of a fraction past the millisecond are dropped.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    if text.len() < 20 || !text.is_char_boundary(10) {
        return None;
    }
    let days = parse_date(&text[..10])?;
    if !matches!(text.as_bytes()[10], b'T' | b't' | b' ') {
        return None;
    }
    let rest = &text[11..];
    let bytes = rest.as_bytes();
    if bytes.len() < 9 || bytes[2] != b':' || bytes[5] != b':' {
        return None;
    }
    let hour: i64 = digits(&rest[0..2])?;
    let minute: i64 = digits(&rest[3..5])?;
    // 60: a leap second, read as the next second's start.
    let second: i64 = digits(&rest[6..8])?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &rest[8..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let length = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if length == 0 {
            return None;
        }
        let padded = format!("{:0<3}", &fraction[..length.min(3)]);
        millis = digits(&padded)?;
        rest = &fraction[length..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ => {
            let bytes = rest.as_bytes();
            if bytes.len() != 6 || !matches!(bytes[0], b'+' | b'-') || bytes[3] != b':' {
                return None;
            }
            let hours: i64 = digits(&rest[1..3])?;
            let minutes: i64 = digits(&rest[4..6])?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let sign = if bytes[0] == b'-' { -1 } else { 1 };
            sign * (hours * 60 + minutes)
        }
    };
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm, the inverse of the one
/// in `results::rfc3339`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn reads_what_results_write() {
        for millis in [0u64, 951_782_400_250, 1_795_910_399_000, 1_800_000_000_123] {
            let time = SystemTime::UNIX_EPOCH + Duration::from_millis(millis);
            let text = crate::results::rfc3339(time);
            assert_eq!(parse_rfc3339(&text), Some(millis as i64), "{text}");
        }
    }

    #[test]
    fn offsets_fractions_and_dates() {
        let utc = parse_rfc3339("2026-11-29T04:10:00Z").unwrap();
        assert_eq!(parse_rfc3339("2026-11-29T06:10:00+02:00"), Some(utc));
        assert_eq!(parse_rfc3339("2026-11-28T23:10:00-05:00"), Some(utc));
        assert_eq!(parse_rfc3339("2026-11-29 04:10:00.5z"), Some(utc + 500));
        assert_eq!(
            parse_rfc3339("2026-11-29T04:10:00.123456Z"),
            Some(utc + 123)
        );
        let day = parse_since("2026-11-29").unwrap();
        assert_eq!(parse_rfc3339("2026-11-29T00:00:00Z"), Some(day));
        assert_eq!(parse_until("2026-11-29").unwrap(), day + 86_400_000 - 1);
        assert_eq!(parse_since("2024-02-29").unwrap() / 86_400_000, 19_782);
        for bad in [
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "2023-02-29",
            "2026-11-29T25:00:00Z",
            "2026-11-29T04:10:00",
            "2026-11-29T04:10:00+2:00",
            "2026-11-29T04:10:00.Z",
            "2026-1-29",
        ] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }
}
