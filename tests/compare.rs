//! `evalgate compare` on real runs: the `evalgate` binary runs the fixture suites of
//! tests/fixtures/compare/base and head (same suites, different cases files, answered by
//! tests/fixtures/models/scripted.py), their results are normalised (times, latencies, git) and
//! compared by the binary again.
//!
//! The fixtures hold one suite per outcome: `sentiment` (classify) regresses significantly
//! (McNemar b = 10, c = 1, with a refused call, an answer that names no label, a fixed case, a
//! case added, one dropped and one ignored); `tone` (classify) has a few flips each way and is
//! unchanged; `replies` (generate) improves (b = 0, c = 8); `french` (translate) gets worse
//! translations, which only the bootstrap of chrF, BLEU and TER sees; `retired` is only in the
//! base run and `fresh` only in the head run.

#[path = "support/normalise.rs"]
mod normalise;
use normalise::normalised;

use evalgate::compare::{Comparison, Direction, SuiteComparison, Verdict};
use evalgate::results::{RunResults, SuiteResults};
use evalgate::stats;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_evalgate");

/// The normalised results of both runs, written as `base.json` and `head.json` in `dir`.
struct Runs {
    dir: PathBuf,
    base: RunResults,
    head: RunResults,
}

fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compare-runs");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let base = normalised(run(
            "tests/fixtures/compare/base",
            &dir.join("raw-base.json"),
        ));
        let head = normalised(run(
            "tests/fixtures/compare/head",
            &dir.join("raw-head.json"),
        ));
        base.write(&dir.join("base.json")).unwrap();
        head.write(&dir.join("head.json")).unwrap();
        Runs { dir, base, head }
    })
}

/// Runs the suites under `path`, writing their results to `out`; the runs fail (cases do).
fn run(path: &str, out: &Path) -> RunResults {
    let output = Command::new(BIN)
        .args(["run", path, "--out"])
        .arg(out)
        .env_remove("EVALGATE_CASSETTE")
        .output()
        .unwrap();
    RunResults::read(out).unwrap_or_else(|problem| {
        panic!(
            "{problem}\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// `evalgate compare` with `args`, in `dir`.
fn compare_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("compare")
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// The comparison of the fixture runs, as `--json` wrote it, and the command's exit code.
fn comparison() -> &'static (Comparison, Option<i32>) {
    static COMPARISON: OnceLock<(Comparison, Option<i32>)> = OnceLock::new();
    COMPARISON.get_or_init(|| {
        let out = tempfile::tempdir().unwrap();
        let json = out.path().join("comparison.json");
        let output = compare_in(
            &runs().dir,
            &["base.json", "head.json", "--json", json.to_str().unwrap()],
        );
        let text = std::fs::read_to_string(&json)
            .unwrap_or_else(|e| panic!("no JSON ({e}): {}", stderr(&output)));
        (serde_json::from_str(&text).unwrap(), output.status.code())
    })
}

fn suite<'a>(comparison: &'a Comparison, name: &str) -> &'a SuiteComparison {
    comparison
        .suites
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no suite {name}"))
}

fn results_suite<'a>(results: &'a RunResults, name: &str) -> &'a SuiteResults {
    results.suites.iter().find(|s| s.name == name).unwrap()
}

fn tests(flips: &[evalgate::compare::Flip]) -> Vec<&str> {
    flips.iter().map(|f| f.test.as_str()).collect()
}

/// McNemar's b and c counted from the results themselves: right in base and wrong in head, and
/// the other way round, over the cases in both runs that neither ignored.
fn discordant(name: &str) -> (u64, u64) {
    let (base, head) = (
        results_suite(&runs().base, name),
        results_suite(&runs().head, name),
    );
    let right = |case: &evalgate::results::CaseResult| match base.task.as_str() {
        "classify" => case.verdict != "error" && case.predicted == case.expected,
        _ => case.verdict == "pass",
    };
    let (mut b, mut c) = (0, 0);
    for before in &base.cases {
        let Some(after) = head.cases.iter().find(|h| h.test == before.test) else {
            continue;
        };
        if before.verdict == "ignored" || after.verdict == "ignored" {
            continue;
        }
        match (right(before), right(after)) {
            (true, false) => b += 1,
            (false, true) => c += 1,
            _ => {}
        }
    }
    (b, c)
}

#[test]
fn a_significant_regression_on_a_classify_suite_fails_the_comparison() {
    let (comparison, code) = comparison();
    assert_eq!(*code, Some(1));
    assert_eq!(comparison.verdict, Verdict::Regressed);
    let sentiment = suite(comparison, "sentiment");
    assert_eq!(sentiment.verdict, Verdict::Regressed);
    let mcnemar = sentiment.mcnemar.as_ref().unwrap();
    let (b, c) = discordant("sentiment");
    assert_eq!((b, c), (10, 1));
    assert_eq!((mcnemar.right_to_wrong, mcnemar.wrong_to_right), (b, c));
    assert_eq!(mcnemar.p_value, stats::mcnemar_exact(b, c));
    assert!(mcnemar.p_value < 0.05 && mcnemar.significant);
    let decided: Vec<&str> = sentiment
        .decided_by
        .iter()
        .map(|e| e.test.as_str())
        .collect();
    assert_eq!(decided[0], "mcnemar");
    assert_eq!(sentiment.decided_by[0].p_value, Some(mcnemar.p_value));
    assert!(
        sentiment
            .decided_by
            .iter()
            .all(|e| e.direction == Direction::Worse)
    );
    let expected: Vec<String> = (0..10).map(|i| format!("sentiment::c{i:02}")).collect();
    assert_eq!(tests(&sentiment.regressions), expected);
    assert_eq!(tests(&sentiment.fixes), ["sentiment::c27"]);
    // The answer that names no label is predicted `<invalid>`.
    let invalid = &sentiment.regressions[9];
    assert_eq!(invalid.expected.as_deref(), Some("positive"));
    assert_eq!(invalid.head.predicted.as_deref(), Some("<invalid>"));
    // The binary f1 (positive_label) is bootstrapped too, its label found from the results.
    let f1 = sentiment.metrics.iter().find(|m| m.metric == "f1").unwrap();
    assert!(f1.interval.is_some(), "{:?}", sentiment.notes);
}

#[test]
fn a_suite_with_a_few_flips_each_way_is_unchanged() {
    let tone = suite(&comparison().0, "tone");
    assert_eq!(tone.verdict, Verdict::Unchanged);
    assert!(tone.decided_by.is_empty());
    let mcnemar = tone.mcnemar.as_ref().unwrap();
    assert_eq!(discordant("tone"), (2, 1));
    assert_eq!((mcnemar.right_to_wrong, mcnemar.wrong_to_right), (2, 1));
    assert_eq!(mcnemar.p_value, stats::mcnemar_exact(2, 1));
    assert!(!mcnemar.significant);
    assert_eq!(tests(&tone.regressions), ["tone::t10", "tone::t15"]);
    assert_eq!(tests(&tone.fixes), ["tone::t07"]);
    // Every F1 delta has an interval, and each holds 0.
    let f1: Vec<_> = tone
        .metrics
        .iter()
        .filter(|m| m.metric.starts_with("f1"))
        .collect();
    assert_eq!(f1.len(), 5, "f1.angry, f1.calm and three averages");
    for metric in f1 {
        let interval = metric.interval.unwrap();
        assert!(interval.low < 0.0 && interval.high > 0.0, "{metric:?}");
        assert_eq!(metric.change, None);
    }
}

#[test]
fn an_improvement_passes() {
    let replies = suite(&comparison().0, "replies");
    assert_eq!(replies.verdict, Verdict::Improved);
    assert_eq!(discordant("replies"), (0, 8));
    let mcnemar = replies.mcnemar.as_ref().unwrap();
    assert_eq!(mcnemar.p_value, stats::mcnemar_exact(0, 8));
    assert_eq!(replies.decided_by.len(), 1);
    assert_eq!(replies.decided_by[0].direction, Direction::Better);
    assert_eq!(replies.fixes.len(), 8);
    assert!(replies.regressions.is_empty());
    let pass_rate = replies
        .metrics
        .iter()
        .find(|m| m.metric == "pass_rate")
        .unwrap();
    assert_eq!((pass_rate.base, pass_rate.head), (4.0 / 12.0, 1.0));
    assert_eq!(pass_rate.delta, 1.0 - 4.0 / 12.0);

    // The same runs with only that suite: the comparison improved, and exits 0.
    let dir = tempfile::tempdir().unwrap();
    for (name, results) in [("base.json", &runs().base), ("head.json", &runs().head)] {
        let mut only = results.clone();
        only.suites.retain(|s| s.name == "replies");
        only.write(&dir.path().join(name)).unwrap();
    }
    let output = compare_in(dir.path(), &["base.json", "head.json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("replies · generate · IMPROVED"), "{text}");
    assert!(text.ends_with("verdict: IMPROVED · 0 regressed, 1 improved, 0 unchanged\n"));
}

#[test]
fn a_translate_suite_gets_bootstrap_intervals_of_its_scores() {
    let french = suite(&comparison().0, "french");
    let metric = |name: &str| french.metrics.iter().find(|m| m.metric == name).unwrap();
    let chrf = metric("chrf");
    let interval = chrf.interval.expect("chrF has a delta interval");
    assert!(interval.low < chrf.delta && chrf.delta < interval.high);
    assert!(interval.high < 0.0, "{interval:?}");
    assert_eq!(chrf.change, Some(Direction::Worse));
    // TER is better lower: its interval above 0 is worse.
    let ter = metric("ter");
    assert!(ter.interval.unwrap().low > 0.0);
    assert_eq!(ter.change, Some(Direction::Worse));
    // Only the bootstrap sees it: two cases of twelve fail, not significant for McNemar.
    assert_eq!(discordant("french"), (2, 0));
    assert!(!french.mcnemar.as_ref().unwrap().significant);
    assert_eq!(french.verdict, Verdict::Regressed);
    assert!(french.decided_by.iter().all(|e| e.test == "bootstrap"));
    assert!(
        french
            .decided_by
            .iter()
            .any(|e| e.metric.as_deref() == Some("chrf") && e.interval == Some(interval))
    );
    // The interval is the stats module's paired bootstrap of the same cases, bit for bit.
    let (base, head) = (
        results_suite(&runs().base, "french"),
        results_suite(&runs().head, "french"),
    );
    let base_observations = evalgate::compare::observations(base, &base.cases, 1);
    let head_observations = evalgate::compare::observations(head, &head.cases, 1);
    let expected = stats::paired_bootstrap_delta(
        base.cases.len(),
        stats::DEFAULT_RESAMPLES,
        0.95,
        stats::DEFAULT_SEED,
        |indices| {
            (
                base_observations.metrics(indices)["chrf"],
                head_observations.metrics(indices)["chrf"],
            )
        },
    );
    assert_eq!(expected, Some((interval.low, interval.high)));
    // The observations give the runs' own corpus scores.
    let all: Vec<usize> = (0..base.cases.len()).collect();
    assert_eq!(
        head_observations.metrics(&all)["chrf"],
        head.metrics["chrf"]
    );
    assert_eq!(chrf.head, head.metrics["chrf"]);
}

#[test]
fn new_errors_are_listed_with_their_message() {
    let sentiment = suite(&comparison().0, "sentiment");
    assert_eq!(tests(&sentiment.new_errors), ["sentiment::c08"]);
    let flip = &sentiment.new_errors[0];
    assert_eq!(
        (flip.base.verdict.as_str(), flip.head.verdict.as_str()),
        ("pass", "error")
    );
    assert!(
        flip.head
            .error
            .as_deref()
            .unwrap()
            .contains("model refused"),
        "{flip:?}"
    );
    // A new error where the base passed is a regression too.
    assert!(tests(&sentiment.regressions).contains(&"sentiment::c08"));
    for other in ["tone", "replies", "french"] {
        assert!(
            suite(&comparison().0, other).new_errors.is_empty(),
            "{other}"
        );
    }
}

#[test]
fn changed_outputs_come_with_word_diffs() {
    let replies = suite(&comparison().0, "replies");
    assert_eq!(replies.changed_outputs.len(), 8);
    assert_eq!(replies.changed_outputs_not_listed, 0);
    let first = &replies.changed_outputs[0];
    assert_eq!(first.test, "replies::r00");
    assert_eq!(
        first.diff,
        "Your order has shipped{+, thanks for waiting+}."
    );
    assert_eq!(
        (first.base_verdict.as_str(), first.head_verdict.as_str()),
        ("fail", "pass")
    );
    let french = suite(&comparison().0, "french");
    let tests: Vec<&str> = french
        .changed_outputs
        .iter()
        .map(|c| c.test.as_str())
        .collect();
    assert_eq!(
        tests,
        [
            "french::f00",
            "french::f02",
            "french::f04",
            "french::f06",
            "french::f08",
            "french::f10"
        ]
    );
    assert_eq!(
        french.changed_outputs[0].diff,
        "Le chat dort sur [-la-]{+une+} chaise."
    );
    // An errored case has no output to compare: it is a new error, not a changed output.
    let sentiment = suite(&comparison().0, "sentiment");
    assert!(
        sentiment
            .changed_outputs
            .iter()
            .all(|c| c.test != "sentiment::c08")
    );
    assert_eq!(sentiment.changed_outputs.len(), 10);
}

#[test]
fn suites_and_cases_in_one_run_only_are_listed_not_compared() {
    let comparison = &comparison().0;
    assert_eq!(comparison.added_suites, ["fresh"]);
    assert_eq!(comparison.removed_suites, ["retired"]);
    let names: Vec<&str> = comparison.suites.iter().map(|s| s.name.as_str()).collect();
    assert!(!names.contains(&"fresh") && !names.contains(&"retired"));
    let sentiment = suite(comparison, "sentiment");
    assert_eq!(sentiment.added_cases, ["sentiment::added"]);
    assert_eq!(sentiment.removed_cases, ["sentiment::dropped"]);
    assert_eq!(sentiment.ignored_cases, ["sentiment::flaky"]);
    assert_eq!(sentiment.paired_cases, 30);
}

#[test]
fn the_same_runs_give_the_same_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut texts = Vec::new();
    for name in ["one.json", "two.json"] {
        let path = dir.path().join(name);
        let output = compare_in(
            &runs().dir,
            &["base.json", "head.json", "--json", path.to_str().unwrap()],
        );
        assert_eq!(output.status.code(), Some(1));
        texts.push(std::fs::read(&path).unwrap());
    }
    assert_eq!(texts[0], texts[1]);
    let value: serde_json::Value = serde_json::from_slice(&texts[0]).unwrap();
    assert_eq!(value["schema_version"], 1);
    assert_eq!(value["base"]["file"], "base.json");
}

#[test]
fn terminal_snapshot() {
    let output = compare_in(&runs().dir, &["base.json", "head.json", "--color", "never"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("terminal", stdout(&output));
}

#[test]
fn terminal_colours_only_when_asked() {
    let plain = stdout(&compare_in(&runs().dir, &["base.json", "head.json"]));
    assert!(!plain.contains('\x1b'), "not a terminal: no colour");
    let coloured = stdout(&compare_in(
        &runs().dir,
        &["base.json", "head.json", "--color", "always"],
    ));
    assert!(coloured.contains("\x1b[31mREGRESSED\x1b[0m"));
    assert!(coloured.contains("\x1b[32m{+"));
}

/// The fixture comparison's Markdown, written by the binary.
fn markdown_of(dir: &Path, extra: &[&str]) -> (String, Output) {
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("comparison.md");
    let mut args = vec![
        "base.json",
        "head.json",
        "--markdown",
        path.to_str().unwrap(),
    ];
    args.extend(extra);
    let output = compare_in(dir, &args);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no Markdown ({e}): {}", stderr(&output)));
    (text, output)
}

#[test]
fn markdown_snapshot() {
    let (text, output) = markdown_of(&runs().dir, &[]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("markdown", text);
}

/// What a CommonMark renderer with GitHub's tables makes of a document.
#[derive(Debug, Default)]
struct Rendered {
    html: Vec<String>,
    /// Cells per row, per table (the header row first).
    tables: Vec<Vec<usize>>,
    /// The text of the first column's cells, per table.
    first_cells: Vec<Vec<String>>,
    code_blocks: Vec<String>,
    headings: Vec<String>,
    links: usize,
}

fn rendered(markdown: &str) -> Rendered {
    let mut out = Rendered::default();
    let (mut in_code, mut in_heading, mut in_first_cell) = (false, false, false);
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => out.html.push(html.to_string()),
            Event::Start(Tag::Table(_)) => {
                out.tables.push(Vec::new());
                out.first_cells.push(Vec::new());
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => out.tables.last_mut().unwrap().push(0),
            Event::Start(Tag::TableCell) => {
                let row = out.tables.last_mut().unwrap().last_mut().unwrap();
                *row += 1;
                if *row == 1 {
                    in_first_cell = true;
                    out.first_cells.last_mut().unwrap().push(String::new());
                }
            }
            Event::End(TagEnd::TableCell) => in_first_cell = false,
            Event::Start(Tag::CodeBlock(_)) => {
                in_code = true;
                out.code_blocks.push(String::new());
            }
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                out.headings.push(String::new());
            }
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => out.links += 1,
            Event::Text(text) | Event::Code(text) => {
                if in_code {
                    out.code_blocks.last_mut().unwrap().push_str(&text);
                } else if in_heading {
                    out.headings.last_mut().unwrap().push_str(&text);
                }
                if in_first_cell {
                    out.first_cells
                        .last_mut()
                        .unwrap()
                        .last_mut()
                        .unwrap()
                        .push_str(&text);
                }
            }
            _ => {}
        }
    }
    out
}

/// Collapsed sections closed, every table row as wide as its header, no links, and no raw
/// HTML but the report's own.
fn assert_well_formed(markdown: &str) -> Rendered {
    let doc = rendered(markdown);
    let count = |tag: &str| doc.html.iter().filter(|h| h.contains(tag)).count();
    assert_eq!(count("<details>"), count("</details>"), "{markdown}");
    assert_eq!(count("<summary>"), count("</summary>"), "{markdown}");
    for html in &doc.html {
        let stripped = ["<details>", "</details>", "<summary>", "</summary>"]
            .iter()
            .fold(html.clone(), |h, tag| h.replace(tag, ""));
        assert!(!stripped.contains('<'), "unexpected HTML {html:?}");
    }
    for table in &doc.tables {
        assert!(table.iter().all(|cells| *cells == table[0]), "{table:?}");
    }
    assert_eq!(doc.links, 0);
    doc
}

#[test]
fn markdown_has_a_table_of_suites_then_a_section_per_suite() {
    let comparison = &comparison().0;
    let (text, _) = markdown_of(&runs().dir, &[]);
    let doc = assert_well_formed(&text);
    // The headline, then a heading per suite compared, most serious first.
    assert_eq!(
        doc.headings.len(),
        1 + comparison.suites.len(),
        "{:?}",
        doc.headings
    );
    assert_eq!(doc.headings[0], "❌ evalgate compare: regressed");
    assert_eq!(doc.headings[1], "❌ french · translate · regressed");
    assert_eq!(doc.headings[2], "❌ sentiment · classify · regressed");
    assert_eq!(doc.headings[3], "✅ replies · generate · improved");
    assert_eq!(doc.headings[4], "➖ tone · classify · unchanged");
    // The table of suites: a header and a row per suite, nine columns.
    assert_eq!(doc.tables[0], vec![9; 1 + comparison.suites.len()]);
    assert_eq!(
        doc.first_cells[0],
        ["suite", "french", "sentiment", "replies", "tone"]
    );
    let row = text
        .lines()
        .find(|l| l.starts_with("| `sentiment` |"))
        .unwrap();
    let p = stats::mcnemar_exact(10, 1);
    assert!(row.contains("❌ regressed"), "{row}");
    assert!(
        row.contains(&format!("| {:.4} |", p)),
        "{row} lacks p = {p}"
    );
    // Metric tables have six columns; chrF's delta comes with its interval.
    assert!(doc.tables[1..].iter().all(|t| t[0] == 6));
    let chrf = text.lines().find(|l| l.starts_with("| `chrf` |")).unwrap();
    assert!(chrf.ends_with("| ❌ worse |"), "{chrf}");
    // Changed outputs are collapsed, each diff a code block.
    assert!(text.contains("<details><summary>Changed outputs (8)</summary>"));
    assert!(
        doc.code_blocks
            .iter()
            .any(|b| b.trim_end() == "Your order has shipped{+, thanks for waiting+}.")
    );
    assert!(text.contains("- `sentiment::c08` pass → error"));
    assert!(text.contains("Suites not compared: only in head: `fresh`; only in base: `retired`."));
    assert!(!text.contains("To fit a comment"));
}

/// The fixture runs with `cases` more failing cases with long outputs in sentiment, and
/// `suites` copies of tone.
fn huge(dir: &Path, cases: usize, suites: usize) {
    let mut base = runs().base.clone();
    let mut head = runs().head.clone();
    for (results, is_head) in [(&mut base, false), (&mut head, true)] {
        let sentiment = results
            .suites
            .iter_mut()
            .find(|s| s.name == "sentiment")
            .unwrap();
        let template = sentiment.cases[0].clone();
        for i in 0..cases {
            let mut case = template.clone();
            case.id = format!("bulk-{i}");
            case.test = format!("sentiment::bulk-{i}");
            let words = "a long answer ``` </details> | with words ".repeat(6);
            case.output = Some(format!(
                "{words} {i} {}",
                if is_head { "head" } else { "base" }
            ));
            if is_head {
                case.verdict = "fail".into();
                case.predicted = Some("<invalid>".into());
            } else {
                case.verdict = "pass".into();
                case.predicted = case.expected.clone();
            }
            sentiment.cases.push(case);
        }
        let tone = results
            .suites
            .iter()
            .find(|s| s.name == "tone")
            .unwrap()
            .clone();
        for i in 0..suites {
            let mut copy = tone.clone();
            copy.name = format!("tone-{i:03}");
            for case in &mut copy.cases {
                case.test = format!("tone-{i:03}::{}", case.id);
            }
            results.suites.push(copy);
        }
    }
    base.write(&dir.join("base.json")).unwrap();
    head.write(&dir.join("head.json")).unwrap();
}

#[test]
fn markdown_stays_under_a_comment_and_says_what_it_cut() {
    let dir = tempfile::tempdir().unwrap();
    huge(dir.path(), 2_000, 20);
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("comparison.json");
    let (text, output) = markdown_of(dir.path(), &["--json", json.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(text.len() <= 60_000, "{} bytes", text.len());
    assert!(
        text.len() > 30_000,
        "room left unused: {} bytes",
        text.len()
    );
    let doc = assert_well_formed(&text);
    assert!(
        text.contains("_To fit a comment: lists cut to"),
        "{}",
        &text[text.len() - 500..]
    );
    // The table of suites is whole.
    assert_eq!(doc.tables[0].len(), 1 + 4 + 20);
    assert!(!text.contains("sections left out"));
    assert!(text.contains("- _… and "));
    // The JSON keeps every regression, and lists 50 changed outputs with a count of the rest.
    let comparison: Comparison =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let sentiment = suite(&comparison, "sentiment");
    assert_eq!(sentiment.regressions.len(), 10 + 2_000);
    assert_eq!(sentiment.changed_outputs.len(), 50);
    assert_eq!(sentiment.changed_outputs_not_listed, 10 + 2_000 - 50);
}

#[test]
fn markdown_of_thousands_of_suites_cuts_sections_then_table_rows() {
    let mut comparison = comparison().0.clone();
    let template = comparison.suites.clone();
    for i in 0..3_000 {
        let mut copy = template[i % template.len()].clone();
        copy.name = format!("{}-{i:04}", copy.name);
        comparison.suites.push(copy);
    }
    let max = evalgate::report::compare::MARKDOWN_MAX_BYTES;
    assert_eq!(max, 60_000);
    let text = evalgate::report::compare::markdown(&comparison, max);
    assert!(text.len() <= max, "{} bytes", text.len());
    let doc = assert_well_formed(&text);
    assert!(
        text.contains("suite sections left out"),
        "{}",
        &text[text.len() - 500..]
    );
    assert!(text.contains("suites left out of the table"));
    assert!(doc.tables[0].len() > 100);
}

// ---------------------------------------------------------------------------------------------
// Bad input: exit 2, a message naming the problem, nothing written
// ---------------------------------------------------------------------------------------------

/// Runs `evalgate compare` in a copy of the fixture results with `args`; asserts exit 2, no
/// stdout, nothing new in the folder, and returns stderr.
fn rejected(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    for name in ["base.json", "head.json"] {
        std::fs::copy(runs().dir.join(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(dir.path().join("blocker"), "a file, not a folder").unwrap();
    std::fs::write(dir.path().join("not-results.json"), "{\"hello\": 1}").unwrap();
    let mut future = std::fs::read_to_string(dir.path().join("head.json")).unwrap();
    future = future.replacen("\"schema_version\": 1", "\"schema_version\": 99", 1);
    std::fs::write(dir.path().join("future.json"), future).unwrap();
    let listing = |dir: &Path| {
        let mut names: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        names.sort();
        names
    };
    let before = listing(dir.path());
    let output = compare_in(dir.path(), args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(stdout(&output), "", "{args:?}");
    assert_eq!(listing(dir.path()), before, "{args:?} wrote something");
    err
}

#[test]
fn a_missing_results_file_is_named_with_a_hint() {
    let err = rejected(&["missing.json", "head.json", "--json", "out.json"]);
    assert!(err.contains("error: cannot read missing.json"), "{err}");
    assert!(
        err.contains("hint: name a results.json that `evalgate run` wrote"),
        "{err}"
    );
    let err = rejected(&["base.json", "gone.json", "--markdown", "out.md"]);
    assert!(err.contains("cannot read gone.json"), "{err}");
    // Both missing: both named.
    let err = rejected(&["a.json", "b.json"]);
    assert!(
        err.contains("cannot read a.json") && err.contains("cannot read b.json"),
        "{err}"
    );
    assert!(err.contains("2 problems found"), "{err}");
}

#[test]
fn a_file_that_is_not_results_is_rejected() {
    let err = rejected(&["not-results.json", "head.json", "--json", "out.json"]);
    assert!(
        err.contains("not-results.json is not an evalgate results.json"),
        "{err}"
    );
    let err = rejected(&["base.json", "future.json"]);
    assert!(
        err.contains("future.json has results schema version 99; this evalgate reads version 1"),
        "{err}"
    );
}

#[test]
fn alpha_must_lie_strictly_between_0_and_1() {
    for alpha in ["0", "1", "1.5", "-0.1", "NaN"] {
        let err = rejected(&[
            "base.json",
            "head.json",
            "--alpha",
            alpha,
            "--json",
            "out.json",
        ]);
        assert!(
            err.contains("error: --alpha must be between 0 and 1 (exclusive)"),
            "{alpha}: {err}"
        );
        assert!(err.contains("hint: 0.05 is the usual level"), "{err}");
    }
    let err = rejected(&["base.json", "head.json", "--alpha", "lots"]);
    assert!(
        err.contains("invalid value 'lots' for '--alpha <A>'"),
        "{err}"
    );
}

#[test]
fn two_outputs_may_not_share_a_file_nor_overwrite_an_input() {
    let err = rejected(&[
        "base.json",
        "head.json",
        "--markdown",
        "same",
        "--json",
        "./same",
    ]);
    assert!(
        err.contains("error: --json and --markdown both name ./same"),
        "{err}"
    );
    assert!(err.contains("hint: give each output its own file"), "{err}");
    let err = rejected(&["base.json", "head.json", "--json", "head.json"]);
    assert!(
        err.contains("error: --json and HEAD both name head.json"),
        "{err}"
    );
    assert!(
        err.contains("the results it reads stay as they are"),
        "{err}"
    );
}

#[test]
fn an_unwritable_output_is_found_before_anything_is_written() {
    // The Markdown could be written; the JSON cannot (its folder would be a file): neither is.
    let err = rejected(&[
        "base.json",
        "head.json",
        "--markdown",
        "ok.md",
        "--json",
        "blocker/out.json",
    ]);
    assert!(
        err.contains("error: --json: cannot write blocker/out.json"),
        "{err}"
    );
    assert!(
        err.contains("hint: choose another place with --json PATH"),
        "{err}"
    );
    let err = rejected(&["base.json", "head.json", "--markdown", "."]);
    assert!(
        err.contains("--markdown: cannot write .: it is a folder"),
        "{err}"
    );
}
