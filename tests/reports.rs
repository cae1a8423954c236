//! The JUnit and Markdown reports of real runs: the `evalgate` binary runs fixture suites
//! (tests/fixtures/reports/ and a translate suite), the results it wrote are read back, their
//! run-to-run values fixed, and both reports rendered from them.
//!
//! JUnit is read back by a strict XML parser here, validated against the Jenkins xunit plugin's
//! schema with xmllint and read by junitparser (both `#[ignore]`d: .ci/run installs the tools
//! and runs them). Markdown is parsed by a CommonMark parser with GitHub's tables.

#[path = "support/normalise.rs"]
mod normalise;
use normalise::normalised;

use evalgate::report::style::Style;
use evalgate::report::{html, junit, markdown};
use evalgate::results::RunResults;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Runs the binary on `paths` and reads the results it wrote; the run may fail.
fn run(paths: &[&str]) -> RunResults {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.json");
    let output = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .arg("run")
        .args(paths)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&out).unwrap_or_else(|e| {
        panic!(
            "no results.json ({e}):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    serde_json::from_str(&text).unwrap()
}

/// One run of the fixtures for every test here: classify suites whose wrong answers gate and
/// do not, a broken floor of each kind, a failed model call, an ignored case, tags, a generate
/// suite of nasty outputs, and a translate suite with signatures.
fn fixtures() -> &'static RunResults {
    static RUN: OnceLock<RunResults> = OnceLock::new();
    RUN.get_or_init(|| {
        normalised(run(&[
            "tests/fixtures/reports",
            "tests/fixtures/translate/strict.toml",
        ]))
    })
}

fn suite<'a>(results: &'a RunResults, name: &str) -> &'a evalgate::results::SuiteResults {
    results.suites.iter().find(|s| s.name == name).unwrap()
}

fn suite_mut<'a>(
    results: &'a mut RunResults,
    name: &str,
) -> &'a mut evalgate::results::SuiteResults {
    results.suites.iter_mut().find(|s| s.name == name).unwrap()
}

/// What the reports must make of text: control characters (but tab, line feed and, for XML,
/// carriage return) and U+FFFE/U+FFFF shown as escapes. XML 1.0 cannot hold most of them.
fn visible(text: &str, keep_cr: bool) -> String {
    text.chars()
        .map(|c| {
            let kept = matches!(c, '\t' | '\n') || (keep_cr && c == '\r');
            if (c.is_control() && !kept) || matches!(c, '\u{fffe}' | '\u{ffff}') {
                format!("\\u{{{:x}}}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn xml_visible(text: &str) -> String {
    visible(text, true)
}

// ---- JUnit

fn elements<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &str,
) -> Vec<roxmltree::Node<'a, 'input>> {
    node.children()
        .filter(|c| c.is_element() && c.tag_name().name() == name)
        .collect()
}

fn number(node: roxmltree::Node<'_, '_>, name: &str) -> usize {
    node.attribute(name).unwrap().parse().unwrap()
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!("junit", junit::render(fixtures()));
}

#[test]
fn junit_counts_names_and_messages_match_the_results() {
    let results = fixtures();
    let xml = junit::render(results);
    let doc = roxmltree::Document::parse(&xml).expect("the report is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites = elements(root, "testsuite");
    assert_eq!(suites.len(), results.suites.len());
    let mut not_gating = 0;
    for (element, suite) in suites.iter().zip(&results.suites) {
        assert_eq!(element.attribute("name"), Some(suite.name.as_str()));
        let testcases = elements(*element, "testcase");
        // A testcase per case and per floor, named as libtest names them, in that order.
        let names: Vec<&str> = testcases
            .iter()
            .map(|t| t.attribute("name").unwrap())
            .collect();
        let expected: Vec<&str> = suite
            .cases
            .iter()
            .map(|c| c.test.as_str())
            .chain(suite.floors.iter().map(|f| f.test.as_str()))
            .collect();
        assert_eq!(names, expected);
        assert!(
            testcases
                .iter()
                .all(|t| t.attribute("classname") == Some(suite.name.as_str()))
        );
        // The declared counts are those of the elements.
        let with = |child: &str| {
            testcases
                .iter()
                .filter(|t| !elements(**t, child).is_empty())
                .count()
        };
        assert_eq!(number(*element, "tests"), testcases.len());
        assert_eq!(number(*element, "failures"), with("failure"));
        assert_eq!(number(*element, "errors"), with("error"));
        assert_eq!(number(*element, "skipped"), with("skipped"));
        for (testcase, case) in testcases.iter().zip(&suite.cases) {
            assert_eq!(testcase.attribute("file"), Some(case.file.as_str()));
            assert_eq!(
                testcase.attribute("line"),
                Some(case.line.to_string().as_str())
            );
            let time = if case.latency_ms.is_some() {
                "0.250"
            } else {
                "0.000"
            };
            assert_eq!(testcase.attribute("time"), Some(time));
            let outcome = ["failure", "error"]
                .iter()
                .flat_map(|kind| elements(*testcase, kind))
                .next();
            match (case.verdict.as_str(), case.gating) {
                ("fail" | "error", true) => {
                    // The whole message comes back, only the characters XML cannot hold
                    // shown as escapes; the `message` attribute says in one line what went
                    // wrong: the labels, the error, or the first failed check.
                    let outcome = outcome.expect("a gating failure is a <failure> or <error>");
                    let message = xml_visible(case.message.as_deref().unwrap());
                    assert_eq!(outcome.text(), Some(message.as_str()), "{}", case.test);
                    let headline = outcome.attribute("message").unwrap();
                    assert!(
                        !headline.is_empty() && !headline.contains('\n'),
                        "{headline}"
                    );
                    if let Some(error) = &case.error {
                        assert_eq!(headline, error.lines().next().unwrap());
                    } else if let (Some(expected), Some(predicted)) =
                        (&case.expected, &case.predicted)
                    {
                        assert_eq!(
                            headline,
                            format!("expected {expected}, predicted {predicted}")
                        );
                    } else {
                        let check = &case.failed_checks[0];
                        assert!(
                            headline.starts_with(&format!("{}: ", check.check)),
                            "{headline}"
                        );
                    }
                }
                ("fail" | "error", false) => {
                    not_gating += 1;
                    assert!(outcome.is_none(), "{} does not gate", case.test);
                    let out = elements(*testcase, "system-out")[0].text().unwrap();
                    assert!(out.starts_with("failed without gating: its suite's fail_on"));
                    assert!(out.ends_with(&xml_visible(case.message.as_deref().unwrap())));
                }
                ("ignored", _) => assert_eq!(elements(*testcase, "skipped").len(), 1),
                _ => assert!(
                    testcase.children().all(|c| !c.is_element()),
                    "{}",
                    case.test
                ),
            }
        }
        for (testcase, floor) in testcases[suite.cases.len()..].iter().zip(&suite.floors) {
            assert_eq!(testcase.attribute("file"), Some(suite.file.as_str()));
            assert_eq!(
                testcase.attribute("line"),
                Some(floor.line.to_string().as_str())
            );
            let failures = elements(*testcase, "failure");
            match (floor.verdict.as_str(), floor.gating) {
                ("fail", true) => assert_eq!(failures[0].attribute("type"), Some("floor")),
                ("fail", false) => {
                    not_gating += 1;
                    assert!(failures.is_empty());
                    assert_eq!(elements(*testcase, "system-out").len(), 1);
                }
                _ => assert!(failures.is_empty()),
            }
        }
        let properties: BTreeMap<&str, &str> =
            elements(elements(*element, "properties")[0], "property")
                .iter()
                .map(|p| (p.attribute("name").unwrap(), p.attribute("value").unwrap()))
                .collect();
        assert_eq!(
            properties["git.commit"],
            "0123456789abcdef0123456789abcdef01234567"
        );
        assert_eq!(properties["model.identity"], suite.model.identity);
        assert_eq!(properties["cassette_mode"], "auto");
        let suite_not_gating = suite
            .cases
            .iter()
            .filter(|c| matches!(c.verdict.as_str(), "fail" | "error") && !c.gating)
            .count()
            + suite
                .floors
                .iter()
                .filter(|f| f.verdict == "fail" && !f.gating)
                .count();
        assert_eq!(properties["not_gating"], suite_not_gating.to_string());
    }
    // The run's totals, counted by the engine, are the report's.
    let totals = &results.totals;
    assert_eq!(number(root, "failures"), totals.failed);
    assert_eq!(number(root, "errors"), totals.errored);
    assert_eq!(not_gating, totals.not_gating);
    let all: usize = suites.iter().map(|s| number(*s, "tests")).sum();
    assert_eq!(number(root, "tests"), all);
    assert_eq!(
        all,
        totals.passed + totals.failed + totals.errored + totals.ignored + totals.not_gating
    );
    // The fixtures do exercise every mapping.
    assert!(totals.failed > 0 && totals.errored > 0 && totals.ignored > 0);
    assert!(
        suite(results, "tone")
            .floors
            .iter()
            .any(|f| !f.gating && f.verdict == "fail")
    );
}

#[test]
fn junit_escapes_what_models_write() {
    let xml = junit::render(fixtures());
    // Raw control characters would make the document unreadable to any XML 1.0 parser.
    assert!(
        !xml.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    );
    assert!(
        xml.contains("\\u{1b}[31mred\\u{1b}[0m nul:\\u{0} bell:\\u{7} cr:&#13; ffff:\\u{ffff}")
    );
    assert!(!xml.contains("]]>"), "a CDATA end can only appear escaped");
    assert!(xml.contains("&lt;/details&gt;&lt;/summary&gt;&lt;script&gt;"));
    assert!(!xml.contains("<script>"));
}

/// The report, in a file beside a copy of junit-10.xsd that also allows `file` and `line` on
/// a testcase (see tests/fixtures/junit/README.md).
fn junit_files(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let report = dir.join("junit.xml");
    std::fs::write(&report, junit::render(fixtures())).unwrap();
    let schema = std::fs::read_to_string("tests/fixtures/junit/junit-10.xsd").unwrap();
    let anchor = "<xs:attribute name=\"group\" type=\"xs:string\"/>\n        </xs:complexType>\n    </xs:element>\n\n    <xs:element name=\"testsuite\">";
    assert!(
        schema.contains(anchor),
        "the testcase element's attributes moved"
    );
    let extended = schema.replacen(
        anchor,
        &format!(
            "<xs:attribute name=\"file\" type=\"xs:string\"/>\n            \
             <xs:attribute name=\"line\" type=\"xs:nonNegativeInteger\"/>\n            {anchor}"
        ),
        1,
    );
    let xsd = dir.join("junit-10-file-line.xsd");
    std::fs::write(&xsd, extended).unwrap();
    (report, xsd)
}

#[test]
#[ignore = "needs xmllint (Debian's libxml2-utils); .ci/run runs it"]
fn junit_is_valid_against_the_xunit_schema() {
    let dir = tempfile::tempdir().unwrap();
    let (report, xsd) = junit_files(dir.path());
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&report)
        .output()
        .expect("xmllint runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("validates"), "{stderr}");
}

#[test]
#[ignore = "needs junitparser in target/report-venv (or $JUNITPARSER_PYTHON); .ci/run runs it"]
fn junit_is_read_by_junitparser() {
    let results = fixtures();
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = junit_files(dir.path());
    let python = std::env::var("JUNITPARSER_PYTHON")
        .unwrap_or_else(|_| "target/report-venv/bin/python".to_string());
    let output = Command::new(&python)
        .arg("tests/fixtures/junit/read_junit.py")
        .arg(&report)
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let suites = read["suites"].as_array().unwrap();
    assert_eq!(suites.len(), results.suites.len());
    for (read, suite) in suites.iter().zip(&results.suites) {
        assert_eq!(read["name"], suite.name.as_str());
        // junitparser's own count of the testcases agrees with the declared one.
        assert_eq!(read["declared"], read["counted"], "{}", suite.name);
        let cases = read["cases"].as_array().unwrap();
        assert_eq!(cases.len(), suite.cases.len() + suite.floors.len());
        for (read, case) in cases.iter().zip(&suite.cases) {
            assert_eq!(read["name"], case.test.as_str());
            assert_eq!(read["classname"], suite.name.as_str());
            let time = if case.latency_ms.is_some() { 0.25 } else { 0.0 };
            assert_eq!(read["time"], time);
            let kinds: Vec<&str> = read["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap())
                .collect();
            let expected: &[&str] = match (case.verdict.as_str(), case.gating) {
                ("fail", true) => &["Failure"],
                ("error", true) => &["Error"],
                ("ignored", _) => &["Skipped"],
                // A failure that does not gate is a pass, as under libtest.
                _ => &[],
            };
            assert_eq!(kinds, expected, "{}", case.test);
            if !expected.is_empty() && expected != ["Skipped"] {
                let message = xml_visible(case.message.as_deref().unwrap());
                assert_eq!(read["text"], message.as_str());
            }
            if matches!(case.verdict.as_str(), "fail" | "error") && !case.gating {
                assert!(
                    read["system_out"]
                        .as_str()
                        .unwrap()
                        .contains("without gating")
                );
            }
        }
    }
    let failures: u64 = suites
        .iter()
        .map(|s| s["counted"]["failures"].as_u64().unwrap())
        .sum();
    assert_eq!(failures as usize, results.totals.failed);
}

// ---- Markdown

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("markdown", markdown::render(fixtures(), 1_000_000));
}

/// What a CommonMark renderer with GitHub's tables makes of a document.
#[derive(Debug, Default)]
struct Rendered {
    /// Raw HTML as the renderer passes it through, block and inline.
    html: Vec<String>,
    /// Cells per row, per table (the header row first).
    tables: Vec<Vec<usize>>,
    code_blocks: Vec<String>,
    headings: Vec<String>,
    links: usize,
}

fn rendered(markdown: &str) -> Rendered {
    let mut out = Rendered::default();
    let (mut in_code, mut in_heading) = (false, false);
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => out.html.push(html.to_string()),
            Event::Start(Tag::Table(_)) => out.tables.push(Vec::new()),
            Event::Start(Tag::TableHead | Tag::TableRow) => out.tables.last_mut().unwrap().push(0),
            Event::Start(Tag::TableCell) => {
                *out.tables.last_mut().unwrap().last_mut().unwrap() += 1
            }
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
            Event::Text(text) | Event::Code(text) if in_code || in_heading => {
                let target = if in_code {
                    out.code_blocks.last_mut()
                } else {
                    out.headings.last_mut()
                };
                target.unwrap().push_str(&text);
            }
            _ => {}
        }
    }
    out
}

/// The structure the Markdown must keep, whatever the text in it: collapsed sections closed,
/// table rows as wide as their header, and no HTML of its own beyond what the report writes.
fn assert_well_formed(markdown: &str) -> Rendered {
    let doc = rendered(markdown);
    let count = |tag: &str| doc.html.iter().filter(|h| h.contains(tag)).count();
    assert_eq!(count("<details>"), count("</details>"), "{markdown}");
    assert_eq!(count("<summary>"), count("</summary>"), "{markdown}");
    for html in &doc.html {
        // Raw HTML is only the report's own: details, summary and code elements.
        let stripped = [
            "<details>",
            "</details>",
            "<summary>",
            "</summary>",
            "<code>",
            "</code>",
        ]
        .iter()
        .fold(html.clone(), |h, tag| h.replace(tag, ""));
        assert!(!stripped.contains('<'), "unexpected HTML {html:?}");
    }
    for table in &doc.tables {
        assert!(
            table.iter().all(|cells| *cells == table[0]),
            "{table:?}\n{markdown}"
        );
    }
    doc
}

#[test]
fn markdown_keeps_its_structure_around_nasty_outputs() {
    let results = fixtures();
    let text = markdown::render(results, 1_000_000);
    let doc = assert_well_formed(&text);
    // The model's `# heading` and `[link](...)` are text in code blocks, not Markdown.
    assert_eq!(doc.links, 0);
    let headings = 2 + results.suites.len();
    assert_eq!(doc.headings.len(), headings, "{:?}", doc.headings);
    // Each message is a code block, whole, with control characters shown as escapes.
    let nasty = suite(results, "nasty");
    for case in &nasty.cases {
        let message = case.message.as_deref().unwrap();
        let shown = visible(&message.replace("\r\n", "\n"), false);
        assert!(
            doc.code_blocks.iter().any(|b| b.trim_end() == shown),
            "{shown}\nis not a code block of\n{text}"
        );
    }
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    );
    // A pipe in a table cell is escaped: the description row and label cells stay whole.
    assert!(text.contains("Tweets \\| labelled by \\*hand\\*"));
}

#[test]
fn markdown_escapes_the_summary_of_a_failure() {
    let mut results = fixtures().clone();
    let nasty = suite_mut(&mut results, "nasty");
    nasty.cases[0].failed_checks[0].detail =
        "</summary></details><script>alert(1)</script> `x` | \u{1b}[0m\nmore".into();
    let text = markdown::render(&results, 1_000_000);
    assert_well_formed(&text);
    assert!(text.contains(
        "<summary>❌ <code>nasty::pipes-and-backticks</code> failed: equals: \
         &lt;/summary&gt;&lt;/details&gt;&lt;script&gt;alert(1)&lt;/script&gt; `x` | \\u{1b}[0m\
         </summary>"
    ));
}

#[test]
fn markdown_orders_failures_by_importance() {
    let text = markdown::render(fixtures(), 1_000_000);
    let failures = &text[text.find("### Failures").unwrap()..];
    let summaries: Vec<&str> = failures
        .lines()
        .filter(|l| l.starts_with("<summary>"))
        .collect();
    let position = |name: &str| {
        summaries
            .iter()
            .position(|s| s.contains(&format!("<code>{name}</code>")))
            .unwrap_or_else(|| panic!("{name} not among {summaries:#?}"))
    };
    // Gating floors, then gating cases, then the floors and cases that do not gate.
    assert_eq!(position("sentiment::floor::accuracy"), 0);
    assert!(position("strict::floor::ter") < position("nasty::markup"));
    assert!(position("sentiment::refused") < position("tone::floor::accuracy"));
    assert!(position("tone::chat") < position("tone::floor::accuracy"));
    assert!(position("tone::floor::accuracy") < position("sentiment::sarcasm-1"));
    assert!(summaries[position("sentiment::refused")].contains("❌"));
    assert!(summaries[position("sentiment::sarcasm-1")].contains("⚠️"));
    assert!(summaries[position("sentiment::sarcasm-1")].contains("failed (not gating)"));
    // The passing and the ignored are not failures.
    assert!(!failures.contains("sentiment::loved-it") && !failures.contains("sentiment::later"));
}

/// The failures a Markdown report shows: its collapsed sections, less those of the metrics.
fn shown_failures(markdown: &str) -> usize {
    markdown.matches("<summary>").count() - markdown.matches("<summary>All metrics").count()
}

/// The fixtures' run with `count` failing cases of `message_bytes` each added to the nasty
/// suite.
fn huge(count: usize, message_bytes: usize) -> RunResults {
    let mut results = fixtures().clone();
    let nasty = suite_mut(&mut results, "nasty");
    let template = nasty.cases[1].clone();
    let unit = "x ``` </details> | ";
    let filler = unit.repeat(message_bytes.div_ceil(unit.len()));
    for i in 0..count {
        let mut case = template.clone();
        case.id = format!("generated-{i}");
        case.test = format!("nasty::generated-{i}");
        case.message = Some(format!("failure {i}\n{}", &filler[..message_bytes]));
        nasty.cases.push(case);
    }
    results
}

#[test]
fn markdown_stays_within_its_size_and_says_what_it_left_out() {
    let results = huge(20_000, 2_000);
    let all_failures: usize = results
        .suites
        .iter()
        .map(|s| {
            let cases = s
                .cases
                .iter()
                .filter(|c| matches!(c.verdict.as_str(), "fail" | "error"));
            cases.count() + s.floors.iter().filter(|f| f.verdict == "fail").count()
        })
        .sum();
    for max in [1_000_000, 65_536, 16_000] {
        let text = markdown::render(&results, max);
        assert!(text.len() <= max, "{} > {max}", text.len());
        assert_well_formed(&text);
        let shown = shown_failures(&text);
        assert!(shown < all_failures);
        let note = format!(
            "_{} more failures not shown, see results.json._",
            all_failures - shown
        );
        assert!(
            text.trim_end().ends_with(&note),
            "{max}: {}",
            &text[text.len() - 200..]
        );
    }
    // A whole summary has room for the suites and as many failures as are worth reading.
    let text = markdown::render(&results, 1_000_000);
    assert_eq!(shown_failures(&text), 100);
    assert_eq!(text.matches("\n### ").count(), results.suites.len() + 1);
    // Too little room for every suite's section: whole sections go, and the note says so.
    let text = markdown::render(&results, 3_000);
    assert!(text.len() <= 3_000);
    assert_well_formed(&text);
    assert_eq!(shown_failures(&text), 0);
    assert!(
        text.contains("suites not shown, see results.json._"),
        "{text}"
    );
    // A limit smaller than the headline still holds.
    for max in [0, 10, 100] {
        assert!(markdown::render(&results, max).len() <= max);
    }
}

#[test]
fn markdown_cuts_a_huge_message_and_says_so() {
    let results = huge(1, 100_000);
    let text = markdown::render(&results, 1_000_000);
    assert_well_formed(&text);
    let at = text.find("<code>nasty::generated-0</code>").unwrap();
    let block = &text[at..at + text[at..].find("\n</details>").unwrap()];
    assert!(block.len() < 10_000, "{}", block.len());
    assert!(block.contains("more bytes in results.json"));
    // The cut message's fence is still longer than its backtick runs.
    assert!(block.contains("````text\nfailure 0"));
}

#[test]
fn markdown_of_a_passing_run() {
    let results = normalised(run(&["tests/fixtures/cli/labels.toml"]));
    let text = markdown::render(&results, 1_000_000);
    assert_well_formed(&text);
    assert!(text.starts_with("## ✅ evalgate: passed\n\n**5** passed · **0** failed"));
    assert!(!text.contains("### Failures") && !text.contains("not shown"));
    // A floor per row with its verdict in words, not only a mark.
    assert!(
        text.contains("| `accuracy` | 1 | ≥ 1 | ✅ pass |"),
        "{text}"
    );
}

#[test]
fn reports_of_the_projects_own_suites() {
    // The suites under suites/ replay from their cassettes: hundreds of cases and hundreds of
    // wrong answers that do not gate, as a real classifier's run has.
    let results = run(&["suites"]);
    let failures = results.totals.not_gating + results.totals.failed + results.totals.errored;
    for max in [1_000_000, 65_536] {
        let text = markdown::render(&results, max);
        assert!(text.len() <= max);
        assert_well_formed(&text);
        assert!(text.starts_with("## ✅ evalgate: passed"));
        let shown = shown_failures(&text);
        if shown < failures {
            let note = format!("_{} more failures not shown", failures - shown);
            assert!(text.contains(&note), "{max}");
        }
        // To look at the real thing: EVALGATE_REPORTS_DUMP=summary.md cargo test --test reports
        if let Some(path) = std::env::var_os("EVALGATE_REPORTS_DUMP").filter(|_| max == 1_000_000) {
            std::fs::write(path, &text).unwrap();
        }
    }
    let xml = junit::render(&results);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    assert_eq!(number(doc.root_element(), "failures"), 0);
    let tests: usize = results
        .suites
        .iter()
        .map(|s| s.cases.len() + s.floors.len())
        .sum();
    assert_eq!(number(doc.root_element(), "tests"), tests);
}

// ---- Terminal

#[test]
fn terminal_snapshot() {
    let summary = evalgate::report::terminal::render(fixtures(), Style::PLAIN);
    insta::assert_snapshot!("terminal", summary);
}

#[test]
fn terminal_colours_verdicts_and_keeps_the_words() {
    let plain = evalgate::report::terminal::render(fixtures(), Style::PLAIN);
    let coloured = evalgate::report::terminal::render(fixtures(), Style::COLOURED);
    assert!(!plain.contains('\x1b'));
    assert!(coloured.contains("\x1b[31mFAILED\x1b[0m"), "{coloured}");
    assert_eq!(strip_ansi(&coloured), plain);
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            out.push(c);
        }
    }
    out
}

// ---- The command line: `run --junit/--markdown/--html` and `evalgate report`

fn evalgate(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .current_dir(dir)
        .env_remove("CI")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap()
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn run_writes_every_report_and_report_writes_the_same_bytes_again() {
    let dir = tempfile::tempdir().unwrap();
    let suites = fixture("reports");
    let run = evalgate(
        dir.path(),
        &[
            "run",
            &suites,
            "--out",
            "out/results.json",
            "--junit",
            "out/junit.xml",
            "--markdown",
            "summary.md",
            "--html",
            "out/report.html",
        ],
    );
    let stdout = text(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}{}", text(&run.stderr));
    assert!(
        stdout.ends_with(
            "results: out/results.json\njunit: out/junit.xml\nmarkdown: summary.md\n\
             html: out/report.html\n"
        ),
        "{stdout}"
    );
    let results = RunResults::read(&dir.path().join("out/results.json")).unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert_eq!(read("out/junit.xml"), junit::render(&results));
    assert_eq!(read("summary.md"), markdown::render(&results, 1_000_000));
    assert_eq!(read("out/report.html"), html::render(&results));

    let again = evalgate(
        dir.path(),
        &[
            "report",
            "out/results.json",
            "--junit",
            "again.xml",
            "--markdown",
            "again.md",
            "--html",
            "again.html",
        ],
    );
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(
        text(&again.stdout),
        "junit: again.xml\nmarkdown: again.md\nhtml: again.html\n"
    );
    assert_eq!(read("again.xml"), read("out/junit.xml"));
    assert_eq!(read("again.md"), read("summary.md"));
    assert_eq!(read("again.html"), read("out/report.html"));

    // Without a report flag, the run's terminal summary, exit 0: report does not gate.
    let summary = evalgate(dir.path(), &["report", "out/results.json"]);
    assert_eq!(summary.status.code(), Some(0));
    let summary = text(&summary.stdout);
    assert!(summary.contains("result: FAILED."), "{summary}");
    assert!(stdout.starts_with(&summary), "{stdout}\n---\n{summary}");
}

#[test]
fn report_reads_the_default_results_under_the_target_folder() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere");
    let suites = fixture("reports/tone.toml");
    let with_target = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_evalgate"))
            .current_dir(dir.path())
            .env("CARGO_TARGET_DIR", &target)
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap()
    };
    with_target(&["run", &suites]);
    assert!(target.join("evalgate/results.json").is_file());
    let report = with_target(&["report", "--markdown", "tone.md"]);
    assert_eq!(report.status.code(), Some(0), "{}", text(&report.stderr));
    assert!(
        std::fs::read_to_string(dir.path().join("tone.md"))
            .unwrap()
            .contains("tone")
    );
}

/// Runs `args` in a fresh folder holding a results.json of the tone fixture; exit code 2 and
/// stderr, and checks nothing was left behind but the results.
fn refused(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let ran = evalgate(
        dir.path(),
        &[
            "run",
            &fixture("reports/tone.toml"),
            "--out",
            "results.json",
        ],
    );
    assert!(
        ran.status.code().is_some_and(|c| c < 2),
        "{}",
        text(&ran.stderr)
    );
    std::fs::write(
        dir.path().join("garbage.json"),
        "{\"schema_version\": 1, \"suites\": 3}",
    )
    .unwrap();
    std::fs::write(dir.path().join("future.json"), "{\"schema_version\": 99}").unwrap();
    std::fs::create_dir(dir.path().join("a-folder")).unwrap();
    let before = listing(dir.path());
    let output = evalgate(dir.path(), args);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
    assert_eq!(listing(dir.path()), before, "files were written");
    text(&output.stderr)
}

fn listing(dir: &Path) -> Vec<(String, std::time::SystemTime)> {
    let mut files: Vec<_> = walk(dir);
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<(String, std::time::SystemTime)> {
    std::fs::read_dir(dir)
        .unwrap()
        .flat_map(|entry| {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.is_dir() {
                let mut inner = walk(&path);
                inner.push((path.display().to_string(), std::time::UNIX_EPOCH));
                inner
            } else {
                let modified = entry.metadata().unwrap().modified().unwrap();
                vec![(path.display().to_string(), modified)]
            }
        })
        .collect()
}

#[test]
fn report_errors_name_the_file_or_flag_and_the_next_step() {
    let missing = refused(&["report", "nothing.json", "--html", "r.html"]);
    assert!(
        missing.contains("error: cannot read nothing.json:"),
        "{missing}"
    );
    assert!(missing.contains("hint: name a results.json that `evalgate run` wrote"));

    let garbage = refused(&["report", "garbage.json", "--html", "r.html"]);
    assert!(
        garbage.contains("error: garbage.json is not an evalgate results.json: invalid type"),
        "{garbage}"
    );

    let future = refused(&["report", "future.json"]);
    assert!(
        future.contains(
            "error: future.json has results schema version 99; this evalgate reads version 1"
        ),
        "{future}"
    );

    let same = refused(&["report", "results.json", "--html", "results.json"]);
    assert!(
        same.contains("error: --html and RESULTS both name results.json"),
        "{same}"
    );
    assert!(same.contains("hint: give each report its own file"));

    let twice = refused(&[
        "report",
        "results.json",
        "--junit",
        "r",
        "--markdown",
        "./r",
    ]);
    assert!(
        twice.contains("error: --markdown and --junit both name ./r"),
        "{twice}"
    );

    let folder = refused(&["report", "results.json", "--junit", "a-folder"]);
    assert!(
        folder.contains("error: --junit: cannot write a-folder: it is a folder"),
        "{folder}"
    );
    assert!(folder.contains("hint: choose another place with --junit PATH"));
}

#[test]
fn run_checks_report_paths_before_any_model_is_called() {
    // results.json is rewritten by a run that starts, so an unchanged listing means no run.
    let under_a_file = refused(&[
        "run",
        &fixture("reports/tone.toml"),
        "--out",
        "results.json",
        "--markdown",
        "results.json/summary.md",
    ]);
    assert!(
        under_a_file.contains("error: --markdown: cannot write results.json/summary.md:"),
        "{under_a_file}"
    );
    let clash = refused(&[
        "run",
        &fixture("reports/tone.toml"),
        "--out",
        "results.json",
        "--html",
        "results.json",
    ]);
    assert!(
        clash.contains("error: --html and --out both name results.json"),
        "{clash}"
    );
}
