//! Choosing tests by name, with libtest's rules, for the CLI (the harness leaves this to
//! libtest-mimic, which applies the same rules).

use super::Session;

/// Filters as `cargo test` takes them: a test is chosen when its name contains any filter
/// (equals one, with `exact`) and no `skip`; ignored cases run only with `ignored` (then only
/// they do) or `include_ignored`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub filters: Vec<String>,
    pub skip: Vec<String>,
    pub exact: bool,
    pub ignored: bool,
    pub include_ignored: bool,
}

/// The tests a selection chooses, by (suite, case) and (suite, floor) index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub cases: Vec<(usize, usize)>,
    pub floors: Vec<(usize, usize)>,
    /// Regression tests, by (suite, index into the suite's regression metrics).
    pub regressions: Vec<(usize, usize)>,
    /// Chosen by name but ignored: reported, not run.
    pub ignored: Vec<(usize, usize)>,
}

impl Selection {
    fn name_matches(&self, name: &str) -> bool {
        let hit = |pattern: &String| {
            if self.exact {
                name == pattern
            } else {
                name.contains(pattern.as_str())
            }
        };
        (self.filters.is_empty() || self.filters.iter().any(hit)) && !self.skip.iter().any(hit)
    }

    pub fn plan(&self, session: &Session) -> Plan {
        let mut plan = Plan::default();
        for (s, suite) in session.suites().enumerate() {
            for (c, case) in suite.cases.iter().enumerate() {
                if !self.name_matches(&suite.case_test_name(c)) {
                    continue;
                }
                match (case.ignore.is_some(), self.ignored, self.include_ignored) {
                    (false, true, _) => {}
                    (true, false, false) => plan.ignored.push((s, c)),
                    _ => plan.cases.push((s, c)),
                }
            }
            if !self.ignored {
                for f in 0..suite.floors.len() {
                    if self.name_matches(&suite.floor_test_name(f)) {
                        plan.floors.push((s, f));
                    }
                }
                for (r, metric) in session.regression_metrics(s).iter().enumerate() {
                    if self.name_matches(&suite.regression_test_name(metric)) {
                        plan.regressions.push((s, r));
                    }
                }
            }
        }
        plan
    }

    /// The names of the chosen tests, in run order, as `--list` prints them.
    pub fn names(&self, session: &Session) -> Vec<String> {
        let plan = self.plan(session);
        let mut names: Vec<String> = plan
            .cases
            .iter()
            .chain(&plan.ignored)
            .map(|(s, c)| session.suite(*s).case_test_name(*c))
            .collect();
        names.extend(
            plan.floors
                .iter()
                .map(|(s, f)| session.suite(*s).floor_test_name(*f)),
        );
        names.extend(plan.regressions.iter().map(|(s, r)| {
            session
                .suite(*s)
                .regression_test_name(&session.regression_metrics(*s)[*r])
        }));
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_follow_libtest() {
        let selection = Selection {
            filters: vec!["sentiment::".into()],
            skip: vec!["floor".into()],
            ..Default::default()
        };
        assert!(selection.name_matches("sentiment::a"));
        assert!(!selection.name_matches("sentiment::floor::accuracy"));
        assert!(!selection.name_matches("explain::a"));
        let exact = Selection {
            filters: vec!["sentiment::a".into()],
            exact: true,
            ..Default::default()
        };
        assert!(exact.name_matches("sentiment::a"));
        assert!(!exact.name_matches("sentiment::ab"));
    }
}
