//! Choosing tests by name, with libtest's rules, for the CLI (the harness leaves this to
//! libtest-mimic, which applies the same rules), and the shard of a run (`--shard i/n`).

use super::Session;
use std::fmt;
use std::str::FromStr;

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
    /// Run only the cases of this shard; floors and regression tests are left to
    /// `evalgate merge`, which judges them on every shard's cases.
    pub shard: Option<Shard>,
}

/// The most shards a run can be split into.
pub const MAX_SHARDS: usize = 1000;

/// Shard `index` (from 1) of `count`: the cases whose test name's FNV-1a 64 hash is
/// `index - 1` modulo `count`. A case's shard depends on its name alone, so every case is in
/// exactly one shard whatever the machine, the order, the filters or the other cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// The shard (from 1) that the test named `test` falls in, of `count`.
    pub fn of(test: &str, count: usize) -> usize {
        (crate::cassette::fnv1a64(test.as_bytes()) % count as u64) as usize + 1
    }

    pub fn contains(&self, test: &str) -> bool {
        Shard::of(test, self.count) == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N`, with 1 ≤ I ≤ N ≤ [`MAX_SHARDS`].
    fn from_str(text: &str) -> Result<Shard, String> {
        let number = |part: &str| part.trim().parse::<usize>().ok();
        let Some((index, count)) = text
            .split_once('/')
            .and_then(|(i, n)| Some((number(i)?, number(n)?)))
        else {
            return Err(format!(
                "`{text}` is not a shard: write I/N, two whole numbers, e.g. 2/3 for the second \
                 of three shards"
            ));
        };
        if count == 0 {
            return Err(format!(
                "shard {text}: N, the number of shards, must be at least 1"
            ));
        }
        if count > MAX_SHARDS {
            return Err(format!(
                "shard {text}: a run splits into at most {MAX_SHARDS} shards"
            ));
        }
        if index == 0 {
            return Err(format!(
                "shard {text}: I counts from 1, so it runs from 1 to {count}"
            ));
        }
        if index > count {
            return Err(format!(
                "shard {text}: there are only {count} shards, so I runs from 1 to {count}"
            ));
        }
        Ok(Shard { index, count })
    }
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
    /// The shard of a run split with `--shard`.
    pub shard: Option<Shard>,
    /// With a shard: every suite the selection chose a test of, with what it chose across all
    /// shards, which `evalgate merge` needs to put the shards together and judge the floors.
    pub sharded: Vec<ShardedSuite>,
}

/// What a selection chose of one suite across all the shards of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShardedSuite {
    pub suite: usize,
    /// Every case listed, run or ignored, in suite order: those chosen by name and, when a
    /// floor is, every case the floor counts.
    pub cases: Vec<usize>,
    /// The floors chosen, judged by `evalgate merge` on the cases of every shard.
    pub floors: Vec<usize>,
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
        let mut plan = Plan {
            shard: self.shard,
            ..Plan::default()
        };
        for (s, suite) in session.suites().enumerate() {
            let mut cases = Vec::new();
            let mut ignored = Vec::new();
            for (c, case) in suite.cases.iter().enumerate() {
                if !self.name_matches(&suite.case_test_name(c)) {
                    continue;
                }
                match (case.ignore.is_some(), self.ignored, self.include_ignored) {
                    (false, true, _) => {}
                    (true, false, false) => ignored.push(c),
                    _ => cases.push(c),
                }
            }
            let mut floors = Vec::new();
            let mut regressions = Vec::new();
            if !self.ignored {
                for f in 0..suite.floors.len() {
                    if self.name_matches(&suite.floor_test_name(f)) {
                        floors.push(f);
                    }
                }
                for (r, metric) in session.regression_metrics(s).iter().enumerate() {
                    if self.name_matches(&suite.regression_test_name(metric)) {
                        regressions.push(r);
                    }
                }
            }
            if let Some(shard) = self.shard {
                if cases.is_empty() && ignored.is_empty() && floors.is_empty() {
                    continue;
                }
                // A floor counts every case of its suite: each shard runs its part of them, and
                // the merge judges the floor on them all.
                if !floors.is_empty() {
                    cases.extend((0..suite.cases.len()).filter(|c| session.counts(s, *c)));
                    cases.sort_unstable();
                    cases.dedup();
                }
                let mut listed: Vec<usize> = cases.iter().chain(&ignored).copied().collect();
                listed.sort_unstable();
                let in_shard = |c: &usize| shard.contains(&suite.case_test_name(*c));
                cases.retain(in_shard);
                ignored.retain(in_shard);
                plan.sharded.push(ShardedSuite {
                    suite: s,
                    cases: listed,
                    floors: std::mem::take(&mut floors),
                });
                regressions.clear();
            }
            plan.cases.extend(cases.into_iter().map(|c| (s, c)));
            plan.ignored.extend(ignored.into_iter().map(|c| (s, c)));
            plan.floors.extend(floors.into_iter().map(|f| (s, f)));
            plan.regressions
                .extend(regressions.into_iter().map(|r| (s, r)));
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
    fn shards_are_fnv1a_of_the_name_modulo_the_count() {
        // Computed independently: FNV-1a 64 of `sentiment::tweet-27` is 0xc9a23906066cfa8d.
        assert_eq!(
            crate::cassette::fnv1a64(b"sentiment::tweet-27"),
            0xc9a2_3906_066c_fa8d
        );
        assert_eq!(Shard::of("sentiment::tweet-27", 7), 4);
        assert_eq!(Shard::of("sentiment::tweet-27", 1000), 742);
        assert_eq!(Shard::of("anything", 1), 1);
        let shard: Shard = "4/7".parse().unwrap();
        assert!(shard.contains("sentiment::tweet-27"));
        assert_eq!(shard.to_string(), "4/7");
    }

    #[test]
    fn bad_shards_say_what_is_wrong() {
        let problem = |text: &str| text.parse::<Shard>().unwrap_err();
        assert_eq!(
            problem("0/3"),
            "shard 0/3: I counts from 1, so it runs from 1 to 3"
        );
        assert_eq!(
            problem("3/2"),
            "shard 3/2: there are only 2 shards, so I runs from 1 to 2"
        );
        assert!(problem("a/b").starts_with("`a/b` is not a shard: write I/N"));
        assert!(problem("3").starts_with("`3` is not a shard"));
        assert!(problem("-1/3").starts_with("`-1/3` is not a shard"));
        assert_eq!(
            problem("1/0"),
            "shard 1/0: N, the number of shards, must be at least 1"
        );
        assert_eq!(
            problem("1/1001"),
            "shard 1/1001: a run splits into at most 1000 shards"
        );
        assert_eq!(
            "1000/1000".parse::<Shard>(),
            Ok(Shard {
                index: 1000,
                count: 1000
            })
        );
    }

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
