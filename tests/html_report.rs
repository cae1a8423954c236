//! The HTML report (src/report/html.rs) on the results of real runs: the `evalgate` binary runs
//! fixture suites whose model is a child process (tests/fixtures/models/scripted.py), writes
//! results.json, and the report is rendered from what the file holds.
//!
//! The ignored test opens the report in headless Chromium (Debian's `chromium`; .ci/run
//! installs it and runs `cargo test --test html_report -- --ignored`).

#[path = "support/deadline.rs"]
mod deadline;

use evalgate::report::html::render;
use evalgate::results::{CaseResult, RunResults};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// A classifier with wrong answers, tags, an error and HTML in its output
/// (tests/fixtures/report/reviews.toml); a translate suite that breaks its floors; a generate
/// suite whose checks fail against references.
const SUITES: [&str; 3] = [
    "tests/fixtures/report/reviews.toml",
    "tests/fixtures/translate/strict.toml",
    "tests/fixtures/translate/close_answer.toml",
];

/// The results of one run of the fixture suites, shared by the tests of this file.
fn results() -> &'static RunResults {
    static RESULTS: OnceLock<RunResults> = OnceLock::new();
    RESULTS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("results.json");
        let output = deadline::output_within(
            Command::new(env!("CARGO_BIN_EXE_evalgate"))
                .arg("run")
                .args(SUITES)
                .arg("--out")
                .arg(&out),
            Duration::from_secs(60),
        );
        // The suites fail on purpose: exit 1, with the results written.
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
    })
}

fn report() -> &'static str {
    static REPORT: OnceLock<String> = OnceLock::new();
    REPORT.get_or_init(|| render(results()))
}

/// The part of `html` from the element with this id to the end of its section.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element {id}"));
    let end = html[start..]
        .find("</section>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

/// The section of the suite with this name.
fn suite_section<'a>(html: &'a str, name: &str) -> &'a str {
    let index = results()
        .suites
        .iter()
        .position(|s| s.name == name)
        .unwrap();
    section(html, &format!("s-{index}"))
}

#[test]
fn the_header_shows_the_run_and_its_totals() {
    let html = report();
    let results = results();
    assert!(
        html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
        "{}",
        &html[..80]
    );
    assert!(html.contains("<h1>evalgate report <span class=\"pill fail\">✗ failed</span></h1>"));
    let started = &results.started_at;
    assert!(
        html.contains(&format!("<time datetime=\"{started}\">")),
        "start time"
    );
    if let Some(git) = &results.git {
        assert!(html.contains(&git.commit[..12]), "git commit");
    }
    assert!(html.contains(&format!(
        "<dt>evalgate</dt><dd>{}",
        results.evalgate_version
    )));
    let totals = &results.totals;
    for (count, word) in [
        (totals.passed, "✓ passed"),
        (totals.failed, "✗ failed"),
        (totals.errored, "! errored"),
    ] {
        assert!(
            html.contains(&format!("<b>{count}</b> {word}</li>")),
            "{count} {word}"
        );
    }
    // Each suite's row counts as the terminal and Markdown do: failures that do not gate in
    // a column of their own.
    for suite in &results.suites {
        let s = &suite.cases_summary;
        let row = format!(
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td>",
            suite.cases.len(),
            s.passed,
            s.failed,
            s.errored,
            s.not_gating
        );
        assert!(html.contains(&row), "{}: {row}", suite.name);
    }
}

#[test]
fn every_metric_is_shown_with_its_floor_bound_and_a_verdict_in_words() {
    let html = suite_section(report(), "reviews");
    // The broken floor says so in text, not by colour alone.
    assert!(
        html.contains(
            "<tr class=\"broken\"><th scope=\"row\"><code>accuracy</code></th><td class=\"num\">0.5</td>\
             <td class=\"num\">0.2152 – 0.7848</td><td>≥ 0.9</td><td><span class=\"v v-fail\">✗ fail</span></td></tr>"
        ),
        "{html}"
    );
    assert!(html.contains(
        "<code>recall.positive</code></th><td class=\"num\">0.5</td>\
         <td class=\"num\">0.15 – 0.85</td><td>≥ 0.5</td><td><span class=\"v v-pass\">✓ pass</span>"
    ));
    assert!(
        html.contains(
            "<code>error_rate</code></th><td class=\"num\">0.1111</td>\
             <td class=\"num\">0.0199 – 0.435</td><td>≤ 0.5</td>"
        ),
        "{html}"
    );
    // Metrics without a floor are there too; the per-label ones in their own table.
    assert!(html.contains("<code>f1_macro</code></th>"));
    let suite = &results().suites[0];
    for metric in suite.metrics.keys() {
        let shown = html.contains(&format!("<code>{metric}</code>"))
            || suite
                .labels
                .iter()
                .any(|l| metric.ends_with(&format!(".{l}")));
        assert!(shown, "{metric} is not in the report");
    }
}

#[test]
fn the_confusion_heatmap_has_a_cell_per_pair_with_its_count() {
    let html = suite_section(report(), "reviews");
    let svg = &html[html
        .find("<svg class=\"chart heatmap\"")
        .expect("a heatmap")..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    assert!(svg.contains("<title id=\"s-0-cm-t\">Confusion matrix</title>"));
    // Rows are expected labels, columns predicted ones and <invalid>: 3 × 4 cells.
    assert_eq!(svg.matches("<g class=\"cell").count(), 12, "{svg}");
    let expected = [
        ("negative", ["1", "0", "1", "0"]),
        ("neutral", ["0", "1", "0", "1"]),
        ("positive", ["0", "2", "2", "0"]),
    ];
    let predicted = ["negative", "neutral", "positive", "&lt;invalid&gt;"];
    for (row, counts) in expected {
        for (column, count) in predicted.iter().zip(counts) {
            let title = format!("<title>expected {row}, predicted {column}: {count}</title>");
            let at = svg
                .find(&title)
                .unwrap_or_else(|| panic!("no cell {title}"));
            // The count is written in the cell, not only in its tooltip.
            let cell = &svg[at..at + svg[at..].find("</g>").unwrap()];
            assert!(cell.ends_with(&format!(">{count}</text>")), "{cell}");
        }
    }
    // The diagonal is marked, and the darkest shade is the largest count's.
    assert_eq!(svg.matches("class=\"cell diagonal\"").count(), 3);
    assert!(
        svg.contains("fill=\"#08306b\"/><text class=\"ink-light\""),
        "the largest count is darkest, its number light on it"
    );
    // The legend runs from 0 to the largest count.
    assert!(svg.contains("text-anchor=\"start\">0</text>"));
    assert!(svg.contains("text-anchor=\"end\">2</text>"));
}

#[test]
fn per_label_bars_show_precision_recall_and_f1() {
    let html = suite_section(report(), "reviews");
    let svg = &html[html.find("<svg class=\"chart bars\"").expect("bars")..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    assert_eq!(
        svg.matches("<g class=\"bar\">").count(),
        9,
        "3 labels × 3 scores"
    );
    // positive: recall 2 of 4 is half the 300-pixel axis, and the value is written by the bar.
    let bar = &svg[svg
        .find("<title>positive recall: 0.5</title>")
        .expect("recall bar")..];
    let bar = &bar[..bar.find("</g>").unwrap()];
    assert!(bar.contains("width=\"150.0\""), "{bar}");
    assert!(bar.contains(">0.50</text>"), "{bar}");
    // precision of positive: 2 of the 3 answers that said positive.
    assert!(svg.contains("<title>positive precision: 0.6667</title>"));
    for series in ["precision", "recall", "F1"] {
        assert!(
            svg.contains(&format!(">{series}</text>")),
            "legend {series}"
        );
    }
}

#[test]
fn failures_show_their_message_with_the_diff_as_del_and_ins() {
    let html = report();
    let reviews = suite_section(html, "reviews");
    let failure = &reviews[reviews
        .find("<code>reviews::pos-meh</code>")
        .expect("the failed case")..];
    let failure = &failure[..failure.find("</details>").unwrap()];
    assert!(
        failure.contains(
            "diff:     <del><span class=\"mk\">[-</span>positive<span class=\"mk\">-]</span></del>\
             <ins><span class=\"mk\">{+</span>neutral<span class=\"mk\">+}</span></ins>"
        ),
        "{failure}"
    );
    assert!(failure.contains("rerun:    evalgate run tests/fixtures/report/reviews.toml"));
    // Broken floors come first, open because they gate.
    assert!(reviews.contains(
        "<details class=\"failure\" open><summary><span class=\"v v-fail\">✗ fail</span> \
         <code>reviews::floor::accuracy</code> <span class=\"muted\">accuracy = 0.5, which breaks its floor ≥ 0.9</span>"
    ));
    // The error, and a generate case's failed checks with its diff against the reference.
    assert!(reviews.contains("the model call failed: the model reported an error: model refused"));
    let close = suite_section(html, "close_answer");
    assert!(close.contains(
        "<del><span class=\"mk\">[-</span>The sea is blue and vast<span class=\"mk\">-]</span></del>\
         <ins><span class=\"mk\">{+</span>Mountains are tall<span class=\"mk\">+}</span></ins>."
    ));
    assert!(close.contains("✗ contains &quot;sea&quot;: not found in the output"));
    // Failures that do not gate say so.
    let strict = suite_section(html, "strict");
    assert!(strict.contains("<span class=\"ng\">not gating</span>"));
}

#[test]
fn model_text_and_suite_text_are_escaped_and_cannot_run() {
    let html = report();
    // The output really was markup.
    let case = case("reviews", "neu-html");
    assert!(
        case.output
            .as_deref()
            .unwrap()
            .starts_with("<script>alert(1)</script></script>")
    );
    // The page has exactly its own two script elements: the data and the code.
    assert_eq!(html.matches("<script").count(), 2, "script elements");
    assert_eq!(html.matches("</script>").count(), 2, "script end tags");
    assert!(!html.contains("<img"), "an image element from model text");
    assert!(!html.contains("<b>markup"), "markup from a tag");
    assert!(!html.contains("<em>with"), "markup from the description");
    assert!(html.contains(
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
    ));
    assert!(html.contains("Reviews &lt;em&gt;with&lt;/em&gt; &quot;quotes&quot; &amp; ampersands"));
    // The tag is in the script's JSON with `<` escaped, and the JSON still means the tag.
    let data = json_data(html);
    assert!(
        data.contains("\\u003c/script\\u003e\\u003cb\\u003emarkup"),
        "{data}"
    );
    let parsed: serde_json::Value = serde_json::from_str(data).unwrap();
    assert!(
        parsed["tags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("</script><b>markup</b>"))
    );
}

#[test]
fn the_content_security_policy_allows_no_requests_and_only_the_reports_script() {
    let html = report();
    let policy = between(
        html,
        "http-equiv=\"Content-Security-Policy\" content=\"",
        "\"",
    );
    // The script's hash, as the browser computes it, is the one the policy names.
    let start = html.rfind("<script>").unwrap() + "<script>".len();
    let script = &html[start..start + html[start..].find("</script>").unwrap()];
    let hash = sha256_base64(script);
    assert_eq!(
        policy,
        format!(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{hash}'"
        ),
        "the policy `{policy}` does not allow the script: set SCRIPT_SHA256 in \
         src/report/html.rs to \"{hash}\""
    );
    // Nothing is loaded from anywhere.
    for load in ["src=\"", "href=\"http", "url(http", "url(/", "@import"] {
        assert!(!html.contains(load), "{load}");
    }
}

#[test]
fn the_filters_offer_every_suite_tag_and_verdict_and_cases_carry_theirs() {
    let html = report();
    let filters = between(html, "<form id=\"filters\"", "</form>");
    for (index, name) in ["reviews", "strict", "close_answer"].iter().enumerate() {
        assert!(
            filters.contains(&format!("<option value=\"{index}\">{name}</option>")),
            "suite {name}"
        );
    }
    let tags = [
        "&lt;/script&gt;&lt;b&gt;markup&lt;/b&gt;",
        "long",
        "sarcasm",
        "short",
    ];
    for (index, tag) in tags.iter().enumerate() {
        assert!(
            filters.contains(&format!("<option value=\"{index}\">{tag}</option>")),
            "tag {tag}"
        );
    }
    for verdict in ["pass", "fail", "error", "ignored"] {
        assert!(filters.contains(&format!(
            "<input type=\"checkbox\" name=\"verdict\" value=\"{verdict}\" checked>"
        )));
    }
    // Without the script the controls could do nothing: they start disabled, and say why.
    assert!(filters.contains("<fieldset disabled>"));
    assert!(filters.contains("<noscript>"));
    // A case row names its suite, its tags (as option values) and its verdict.
    assert!(html.contains("<tr class=\"case\" data-s=\"0\" data-t=\"1 2\" data-v=\"fail\"><td><span class=\"v v-fail\">✗ fail</span></td><td><code title=\"tests/fixtures/report/reviews.toml:36\">pos-sarcasm</code>"));
    assert!(html.contains("<tr class=\"case\" data-s=\"0\" data-t=\"\" data-v=\"error\">"));
    assert!(html.contains("<tr class=\"case\" data-s=\"0\" data-t=\"\" data-v=\"ignored\">"));
    assert!(html.contains("<tr class=\"case\" data-s=\"1\" data-t=\"\" data-v=\"fail\">"));
}

#[test]
fn without_javascript_nothing_is_hidden() {
    let html = report();
    // Only the box for script errors starts hidden.
    let content = between(html, "<body>", "<script type=\"application/json\"");
    assert!(!content.contains(" hidden"), "hidden without the script");
    assert!(html.contains("<pre id=\"js-errors\" class=\"js-errors\" hidden></pre>"));
    // Every case is a row of its suite's table.
    let rows = html.matches("<tr class=\"case\"").count();
    let cases: usize = results().suites.iter().map(|s| s.cases.len()).sum();
    assert_eq!(rows, cases);
}

#[test]
fn slices_name_the_worst_tags_and_wrong_answers_are_grouped_by_confusion() {
    let html = suite_section(report(), "reviews");
    let worst = between(html, "<ul class=\"worst\"", "</ul>");
    // accuracy 0 for the markup tag and sarcasm (name order), then 1 of 3 for long; short
    // (all right) is not below the suite.
    let order: Vec<usize> = ["markup", "sarcasm", "long"]
        .iter()
        .map(|tag| {
            worst
                .find(tag)
                .unwrap_or_else(|| panic!("{tag} in {worst}"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{worst}");
    assert!(!worst.contains("short"));
    assert!(worst.contains(
        "<span class=\"tag\">long</span> accuracy <b>0.3333</b> against 0.5 for the suite (<span class=\"bad\">−0.1667</span>) over 3 cases"
    ), "{worst}");
    let slices = between(html, "<table class=\"compact slices\">", "</table>");
    assert!(slices.contains(
        "<tr><th scope=\"row\"><span class=\"tag\">short</span></th><td class=\"num\">3</td><td class=\"num\">1</td>"
    ), "{slices}");
    // The largest confusion first: positive taken for neutral, twice.
    let groups = between(html, "Misclassified cases by confusion", "</div>");
    let first = between(groups, "<details", "</details>");
    assert!(
        first.contains("<span class=\"label\">positive</span>"),
        "{first}"
    );
    assert!(first.contains(
        "<span class=\"label bad\">neutral</span> <span class=\"muted\">· 2 cases</span>"
    ));
    assert!(first.contains("<code>pos-meh</code>") && first.contains("<code>pos-sarcasm</code>"));
    assert!(groups.contains("<span class=\"label bad\">&lt;invalid&gt;</span>"));
}

#[test]
fn translate_suites_show_their_scores_signatures_and_sentence_scores() {
    let html = suite_section(report(), "strict");
    let suite = results()
        .suites
        .iter()
        .find(|s| s.name == "strict")
        .unwrap();
    for (metric, shown) in [
        ("bleu", "BLEU"),
        ("chrf", "chrF"),
        ("chrf_pp", "chrF++"),
        ("ter", "TER"),
    ] {
        let value = evalgate::suite::number(suite.metrics[metric]);
        assert!(
            html.contains(&format!(
                "<span class=\"score-name\">{shown}</span><b>{value}</b>"
            )),
            "{shown} {value}"
        );
        assert!(
            html.contains(&suite.signatures[metric]),
            "the {metric} signature"
        );
    }
    assert!(
        html.contains("TER</span><b>41.7029</b><span class=\"small muted\">lower is better</span>")
    );
    let histogram = between(html, "<svg class=\"chart histogram\"", "</svg>");
    assert!(histogram.contains(&format!("Sentence chrF of {} outputs", suite.cases.len())));
    let counted: usize = histogram
        .match_indices(": ")
        .filter_map(|(at, _)| histogram[at + 2..].split('<').next()?.parse::<usize>().ok())
        .sum();
    assert_eq!(counted, suite.cases.len(), "every output is in one bin");
}

#[test]
fn the_same_results_render_to_the_same_bytes() {
    let reread: RunResults =
        serde_json::from_str(&serde_json::to_string(results()).unwrap()).unwrap();
    assert_eq!(render(&reread), report());
}

#[test]
fn a_huge_run_stays_within_the_caps() {
    let mut results = results().clone();
    results.suites.truncate(1);
    let suite = &mut results.suites[0];
    let template = suite.cases.clone();
    let long = "word ".repeat(4_000);
    suite.cases = (0..10_000)
        .map(|i| {
            let mut case = template[i % template.len()].clone();
            case.id = format!("case-{i}");
            case.input = long.clone();
            if case.output.is_some() {
                case.output = Some(long.clone());
            }
            if case.message.is_some() {
                case.message = Some(format!("diff: [-a-]{{+b+}}\n{long}"));
            }
            case
        })
        .collect();
    let failing = suite.cases.iter().filter(|c| c.verdict != "pass").count();
    let html = render(&results);
    // 10,000 × 40,000 characters of text went in.
    assert!(html.len() < 8_000_000, "{} bytes", html.len());
    assert_eq!(html.matches("<tr class=\"case\"").count(), 2_000);
    assert!(html.contains("8000 more cases are not listed"));
    // The rows that did not pass come first in the choice: all of them are listed.
    let listed_failing =
        html.matches("<tr class=\"case\"").count() - html.matches("data-v=\"pass\"><td>").count();
    assert_eq!(listed_failing, failing.min(2_000));
    assert_eq!(html.matches("<details class=\"failure case\"").count(), 100);
    // Texts are previewed and, while the budget lasts, expand to 2,000 characters.
    assert!(html.contains("… (18000 more characters in results.json)"));
    assert!(
        html.contains("(19840 more characters)"),
        "previews only, once the budget is spent"
    );
}

/// The case of a suite in the results.
fn case(suite: &str, id: &str) -> &'static CaseResult {
    let suite = results().suites.iter().find(|s| s.name == suite).unwrap();
    suite.cases.iter().find(|c| c.id == id).unwrap()
}

fn json_data(html: &str) -> &str {
    between(
        html,
        "<script type=\"application/json\" id=\"evalgate-data\">",
        "</script>",
    )
}

/// The text between the first `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start}")) + start.len();
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end} after {start}"));
    &text[from..from + to]
}

/// SHA-256 in base64, from Python's standard library (the fixture models need Python anyway).
fn sha256_base64(text: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import base64, hashlib, sys; \
             print(base64.b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).decode())",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

// ---------------------------------------------------------------------------------------------
// In a real browser

/// Where the browser test leaves the report and its screenshot: target/evalgate/.
fn artifacts() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let dir = target.join("evalgate");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs headless Chromium on `url` with `args`; its stdout, and its stderr checked for console
/// messages (the report logs none, so any is an error or a blocked script).
fn chromium(profile: &Path, url: &str, args: &[&str]) -> String {
    let output = deadline::output_within(
        Command::new("chromium")
            .args([
                "--headless",
                // Containers run tests as root, where Chromium's sandbox cannot start.
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(args)
            .arg(url),
        Duration::from_secs(90),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "chromium failed on {url}:\n{stderr}"
    );
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(
        console.is_empty(),
        "the page wrote to the console:\n{}",
        console.join("\n")
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The case rows of a dumped DOM that the filter hid and those it shows.
fn rows_by_visibility(dom: &str) -> (Vec<&str>, Vec<&str>) {
    dom.split("<tr class=\"case\"")
        .skip(1)
        .map(|row| &row[..row.find('>').unwrap()])
        .partition(|attributes| attributes.contains("hidden"))
}

#[test]
#[ignore = "needs chromium; .ci/run runs it"]
fn in_headless_chromium_the_report_runs_cleanly_draws_its_charts_and_filters() {
    let version = Command::new("chromium").arg("--version").output();
    assert!(
        version.is_ok_and(|o| o.status.success()),
        "chromium is not installed: `apt-get install -y --no-install-recommends chromium` \
         (Debian's package; .ci/run installs it)"
    );
    let dir = artifacts();
    let page = dir.join("html-report.html");
    std::fs::write(&page, report()).unwrap();
    let url = format!("file://{}", page.display());
    let profile = tempfile::tempdir().unwrap();
    let rows = report().matches("<tr class=\"case\"").count();

    // As it opens: the script ran to its end, without errors, and enabled the filter.
    let dom = chromium(profile.path(), &url, &["--dump-dom"]);
    let html_tag = between(&dom, "<html", ">");
    assert!(
        html_tag.contains("data-ready=\"1\""),
        "the script did not finish: {html_tag}"
    );
    assert!(
        !html_tag.contains("data-errors"),
        "{}",
        between(&dom, "id=\"js-errors\"", "</pre>")
    );
    assert!(
        html_tag.contains(&format!("data-shown=\"{rows}\"")),
        "{html_tag}"
    );
    assert!(dom.contains(&format!("all {rows} cases shown")));
    assert!(
        !dom.contains("<fieldset disabled"),
        "the filter stayed disabled"
    );
    // The charts are in the rendered document: every heatmap cell and bar.
    assert_eq!(dom.matches("<svg class=\"chart heatmap\"").count(), 1);
    assert_eq!(dom.matches("<g class=\"cell").count(), 12);
    assert_eq!(dom.matches("<g class=\"bar\">").count(), 9);
    assert_eq!(dom.matches("<svg class=\"chart histogram\"").count(), 2);
    let (hidden, _) = rows_by_visibility(&dom);
    assert!(hidden.is_empty(), "rows hidden with no filter: {hidden:?}");

    // A hash preselects the filter: failed cases tagged sarcasm.
    let dom = chromium(
        profile.path(),
        &format!("{url}#tag=sarcasm&verdict=fail,error"),
        &["--dump-dom"],
    );
    let (hidden, shown) = rows_by_visibility(&dom);
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(
        shown.iter().all(|r| r.contains("data-v=\"fail\"")),
        "{shown:?}"
    );
    assert_eq!(hidden.len(), rows - 2);
    assert!(between(&dom, "<html", ">").contains("data-shown=\"2\""));
    assert!(dom.contains("2 of "));
    // Confusion groups without a shown case are hidden too: only positive → neutral and
    // negative → positive have a sarcasm case.
    assert_eq!(
        dom.matches("<details class=\"group filter-group\" hidden")
            .count(),
        1
    );

    // The suite filter hides the other suites.
    let dom = chromium(
        profile.path(),
        &format!("{url}#suite=strict"),
        &["--dump-dom"],
    );
    assert_eq!(dom.matches("<section class=\"suite\"").count(), 3);
    assert_eq!(
        dom.matches("data-s=\"1\" aria-labelledby=\"s-1-h\">")
            .count(),
        1
    );
    for (index, hidden) in [(0, true), (1, false), (2, true)] {
        let tag = format!("aria-labelledby=\"s-{index}-h\" hidden=\"\">");
        assert_eq!(dom.contains(&tag), hidden, "suite {index}");
    }

    // A screenshot to look at.
    let screenshot = dir.join("html-report.png");
    let _ = std::fs::remove_file(&screenshot);
    chromium(
        profile.path(),
        &url,
        &[
            &format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,2000",
            "--hide-scrollbars",
        ],
    );
    let png = std::fs::read(&screenshot).expect("chromium wrote no screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    eprintln!("screenshot: {}", screenshot.display());
}
