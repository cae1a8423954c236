//! Results with their run-to-run values fixed, for snapshots of the reports made from them.

use evalgate::results::{GitInfo, RunResults};
use std::collections::BTreeMap;

/// The results with every value that differs from run to run (or machine to machine) fixed:
/// time, duration, latencies, git, the cassette mode (`CI` changes it), evalgate's version.
pub fn normalised(mut results: RunResults) -> RunResults {
    results.evalgate_version = "0.0.0".into();
    results.started_at = "2026-01-02T03:04:05.678Z".into();
    results.duration_ms = 1234.5;
    results.git = Some(GitInfo {
        commit: "0123456789abcdef0123456789abcdef01234567".into(),
        branch: Some("main".into()),
        dirty: false,
    });
    results.cassette_mode = Some("auto".into());
    let fix = |metrics: &mut BTreeMap<String, f64>| {
        for (name, value) in metrics.iter_mut() {
            if name.starts_with("latency_") {
                *value = 250.0;
            }
        }
    };
    for suite in &mut results.suites {
        fix(&mut suite.metrics);
        suite.slices.iter_mut().for_each(|s| fix(&mut s.metrics));
        suite
            .intervals
            .retain(|name, _| !name.starts_with("latency_"));
        for floor in &mut suite.floors {
            if floor.metric.starts_with("latency_") {
                floor.value = Some(250.0);
            }
        }
        for case in &mut suite.cases {
            if case.latency_ms.is_some() {
                case.latency_ms = Some(250.0);
            }
        }
    }
    results
}
