//! Trends drawn from the history: `evalgate history plot --out FILE` writes an SVG (a chart per
//! suite and metric, stacked), a self-contained HTML page (the charts and their numbers; no
//! script, nothing fetched) or Markdown with Mermaid `xychart-beta` charts (GitHub renders them
//! in a job summary or a comment); and the HTML report embeds a suite's trend panel.
//!
//! Each chart is one series, a suite's metric over the runs that have it, in run order (runs
//! are evenly spaced: CI runs come in bursts, and a time axis would crowd them): the values as
//! a line with a point per run, the confidence intervals as a band, floors as dashed lines.
//! Everything is drawn here as SVG text, and every string from the history is escaped.

use super::{Filter, RunRecord, lower_is_better, shown_time};
use crate::report::html::esc;
use crate::suite::{Bound, number};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One run's point of a series.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// `2026-11-29 04:10:03Z`.
    pub started_at: String,
    pub commit: String,
    pub value: f64,
    pub interval: Option<(f64, f64)>,
    pub floor_min: Option<f64>,
    pub floor_max: Option<f64>,
    /// The run a report is about, drawn hollow (it may not be recorded).
    pub current: bool,
}

/// A suite's metric over the runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub suite: String,
    pub metric: String,
    /// The level of the intervals (the latest run's), e.g. 0.95.
    pub confidence: f64,
    pub points: Vec<Point>,
}

impl Series {
    pub fn name(&self) -> String {
        format!("{} · {}", self.suite, self.metric)
    }
}

/// A series per suite and metric the filter selects, in name order, over `runs` (in time
/// order); `current` is the key of the run drawn as the report's own.
pub fn series(runs: &[RunRecord], filter: &Filter, current: Option<&str>) -> Vec<Series> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for suite in runs.iter().flat_map(|r| &r.suites) {
        for metric in filter.metrics_of(suite) {
            let key = (suite.name.clone(), metric);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys.sort();
    keys.into_iter()
        .filter_map(|(suite, metric)| {
            let mut confidence = crate::stats::DEFAULT_CONFIDENCE;
            let points: Vec<Point> = runs
                .iter()
                .filter_map(|run| {
                    let record = run.suite(&suite)?;
                    let m = record.metrics.get(&metric)?;
                    confidence = record.confidence;
                    Some(Point {
                        started_at: run.shown_time(),
                        commit: run.short_commit(),
                        value: m.value.filter(|v| v.is_finite())?,
                        interval: m.interval(),
                        floor_min: m.floor_min,
                        floor_max: m.floor_max,
                        current: current == Some(run.key.as_str()),
                    })
                })
                .collect();
            (!points.is_empty()).then_some(Series {
                suite,
                metric,
                confidence,
                points,
            })
        })
        .collect()
}

/// The size of a chart.
#[derive(Clone, Copy, Debug)]
struct Size {
    width: f64,
    height: f64,
}

const FILE_CHART: Size = Size {
    width: 680.0,
    height: 230.0,
};
const REPORT_CHART: Size = Size {
    width: 380.0,
    height: 190.0,
};

const VALUE_COLOUR: &str = "#4e79a7";
const FLOOR_COLOUR: &str = "#e15759";
const GRID_COLOUR: &str = "#d1d9e0";
const TEXT_COLOUR: &str = "#59636e";
const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";

/// The y range of a chart: every value and interval end, and the floors that lie near them,
/// with a margin; widened when all are equal. A floor far from the values (a latency ceiling
/// of 1000 ms over values of 2 ms) would flatten them into a line: it is left out of the
/// range, and the chart says where it is instead of drawing it.
fn y_range(series: &Series) -> (f64, f64) {
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for point in &series.points {
        let (l, h) = point.interval.unwrap_or((point.value, point.value));
        for v in [point.value, l, h].into_iter().filter(|v| v.is_finite()) {
            low = low.min(v);
            high = high.max(v);
        }
    }
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    let reach = (high - low).max(high.abs().max(low.abs()) * 0.1);
    let (values_low, values_high) = (low, high);
    for floor in floors(series) {
        if near(floor, values_low, values_high, reach) {
            low = low.min(floor);
            high = high.max(floor);
        }
    }
    let span = high - low;
    let pad = if span > 0.0 {
        span * 0.08
    } else {
        (high.abs() * 0.05).max(0.01)
    };
    (low - pad, high + pad)
}

/// Every floor value of a series.
fn floors(series: &Series) -> Vec<f64> {
    series
        .points
        .iter()
        .flat_map(|p| p.floor_min.into_iter().chain(p.floor_max))
        .filter(|v| v.is_finite())
        .collect()
}

/// Whether a floor is within `reach` of the values' range `low..high`.
fn near(floor: f64, low: f64, high: f64, reach: f64) -> bool {
    floor >= low - reach && floor <= high + reach
}

/// About four round ticks between `low` and `high`: steps of 1, 2, 2.5 or 5 times a power of 10.
fn ticks(low: f64, high: f64) -> Vec<f64> {
    let raw = (high - low) / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude);
    let mut ticks = Vec::new();
    let mut tick = (low / step).ceil() * step;
    while tick <= high + step * 1e-9 && ticks.len() < 12 {
        ticks.push(if tick.abs() < step * 1e-9 { 0.0 } else { tick });
        tick += step;
    }
    ticks
}

/// One chart as an `<svg>` element, at `(x, y)` when nested in another.
fn chart(series: &Series, id: &str, size: Size, at: Option<(f64, f64)>, title: &str) -> String {
    let (left, right, top, bottom) = (58.0, 16.0, 30.0, 42.0);
    let plot_w = size.width - left - right;
    let plot_h = size.height - top - bottom;
    let (y_low, y_high) = y_range(series);
    let y = |v: f64| top + plot_h * (1.0 - (v - y_low) / (y_high - y_low));
    let n = series.points.len();
    let x = |i: usize| {
        if n == 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let name = series.name();
    let position = at.map_or_else(String::new, |(x, y)| format!(" x=\"{x}\" y=\"{y}\""));
    let mut svg = format!(
        "<svg class=\"trend\" id=\"{id}\"{position} width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         role=\"img\" aria-labelledby=\"{id}-t\" font-family=\"{FONT}\" font-size=\"11\" \
         data-suite=\"{suite}\" data-metric=\"{metric}\">\n<title id=\"{id}-t\">{title}: {n} run{s}</title>\n",
        w = size.width,
        h = size.height,
        suite = esc(&series.suite),
        metric = esc(&series.metric),
        title = esc(&name),
        s = if n == 1 { "" } else { "s" },
    );
    let direction = if lower_is_better(&series.metric) {
        "lower is better"
    } else {
        "higher is better"
    };
    let _ = writeln!(
        svg,
        "<text x=\"{left}\" y=\"16\" font-size=\"13\" font-weight=\"600\" fill=\"#1f2328\">{}</text>\
         <text x=\"{}\" y=\"16\" text-anchor=\"end\" fill=\"{TEXT_COLOUR}\">{direction}</text>",
        esc(title),
        size.width - right,
    );
    for tick in ticks(y_low, y_high) {
        let ty = y(tick);
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" y1=\"{ty:.1}\" x2=\"{:.1}\" y2=\"{ty:.1}\" stroke=\"{GRID_COLOUR}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{TEXT_COLOUR}\">{}</text>",
            left + plot_w,
            left - 6.0,
            ty + 4.0,
            number(tick)
        );
    }
    // The interval band, over each stretch of consecutive runs that have an interval.
    let mut stretch: Vec<(usize, (f64, f64))> = Vec::new();
    let mut bands = Vec::new();
    for (i, point) in series.points.iter().enumerate() {
        match point.interval {
            Some(interval) => stretch.push((i, interval)),
            None => bands.push(std::mem::take(&mut stretch)),
        }
    }
    bands.push(stretch);
    for band in bands.iter().filter(|b| !b.is_empty()) {
        let half = if n == 1 { 8.0 } else { 0.0 };
        let mut outline: Vec<String> = Vec::new();
        for (k, (i, (_, high))) in band.iter().enumerate() {
            if k == 0 {
                outline.push(format!("{:.1},{:.1}", x(*i) - half, y(*high)));
            }
            outline.push(format!(
                "{:.1},{:.1}",
                x(*i) + if k + 1 == band.len() { half } else { 0.0 },
                y(*high)
            ));
        }
        for (k, (i, (low, _))) in band.iter().enumerate().rev() {
            outline.push(format!(
                "{:.1},{:.1}",
                x(*i) + if k + 1 == band.len() { half } else { 0.0 },
                y(*low)
            ));
            if k == 0 {
                outline.push(format!("{:.1},{:.1}", x(*i) - half, y(*low)));
            }
        }
        let _ = writeln!(
            svg,
            "<polygon class=\"band\" points=\"{}\" fill=\"{VALUE_COLOUR}\" fill-opacity=\"0.16\" stroke=\"none\"/>",
            outline.join(" ")
        );
    }
    // Floors: a dashed line through each run's floor, labelled with the latest one at the
    // left; a floor outside the chart is named at its top or bottom edge.
    for (which, pick) in [
        (
            "min",
            (|p: &Point| p.floor_min) as fn(&Point) -> Option<f64>,
        ),
        ("max", |p: &Point| p.floor_max),
    ] {
        let points: Vec<(usize, f64)> = series
            .points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i, pick(p)?)))
            .collect();
        let Some(&(_, last)) = points.last() else {
            continue;
        };
        let bound = Bound {
            min: (which == "min").then_some(last),
            max: (which == "max").then_some(last),
        };
        if last < y_low || last > y_high {
            let (edge, arrow) = if last > y_high {
                (top - 4.0, "↑")
            } else {
                (top + plot_h - 4.0, "↓")
            };
            let _ = writeln!(
                svg,
                "<text class=\"floor-off\" x=\"{:.1}\" y=\"{edge:.1}\" text-anchor=\"end\" fill=\"{FLOOR_COLOUR}\">floor {} {arrow} (off the chart)</text>",
                left + plot_w,
                esc(&bound.describe())
            );
            continue;
        }
        let mut line: Vec<String> = points
            .iter()
            .map(|(i, v)| format!("{:.1},{:.1}", x(*i), y(v.clamp(y_low, y_high))))
            .collect();
        if points.len() == 1 {
            line = vec![
                format!("{left},{:.1}", y(last)),
                format!("{:.1},{:.1}", left + plot_w, y(last)),
            ];
        }
        let _ = writeln!(
            svg,
            "<polyline class=\"floor\" points=\"{}\" fill=\"none\" stroke=\"{FLOOR_COLOUR}\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{FLOOR_COLOUR}\">floor {}</text>",
            line.join(" "),
            left + 4.0,
            y(points[0].1.clamp(y_low, y_high)) + if which == "min" { 13.0 } else { -4.0 },
            esc(&bound.describe())
        );
    }
    if n > 1 {
        let line: Vec<String> = series
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.value)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline class=\"value\" points=\"{}\" fill=\"none\" stroke=\"{VALUE_COLOUR}\" stroke-width=\"2\"/>",
            line.join(" ")
        );
    }
    for (i, point) in series.points.iter().enumerate() {
        let mut tip = format!(
            "{} · {} · {} {}",
            point.started_at,
            point.commit,
            series.metric,
            number(point.value)
        );
        if let Some((low, high)) = point.interval {
            let _ = write!(
                tip,
                " ({}% interval {} – {})",
                number(series.confidence * 100.0),
                number(low),
                number(high)
            );
        }
        if point.floor_min.is_some() || point.floor_max.is_some() {
            let bound = Bound {
                min: point.floor_min,
                max: point.floor_max,
            };
            let _ = write!(tip, " · floor {}", bound.describe());
        }
        if point.current {
            tip.push_str(" · this run");
        }
        let fill = if point.current {
            "#ffffff"
        } else {
            VALUE_COLOUR
        };
        let _ = writeln!(
            svg,
            "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{}\" fill=\"{fill}\" stroke=\"{VALUE_COLOUR}\" stroke-width=\"1.5\"><title>{}</title></circle>",
            x(i),
            y(point.value),
            if point.current { 4.5 } else { 3.5 },
            esc(&tip)
        );
    }
    // Run labels: the date and the commit of about six runs, the first and the last among them.
    let every = n.div_ceil(6).max(1);
    let mut labelled: Vec<usize> = (0..n).step_by(every).collect();
    if let Some(&last) = labelled.last()
        && last + 1 != n
    {
        if (n - 1 - last) * 2 >= every || last == 0 {
            labelled.push(n - 1);
        } else if let Some(slot) = labelled.last_mut() {
            *slot = n - 1;
        }
    }
    for i in labelled {
        let point = &series.points[i];
        let date = point.started_at.get(5..16).unwrap_or(&point.started_at);
        // The last label ends at its point, so that it stays inside the chart.
        let (anchor, shift) = if i + 1 == n && n > 1 {
            ("end", 8.0)
        } else {
            ("middle", 0.0)
        };
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"{TEXT_COLOUR}\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"{TEXT_COLOUR}\" font-size=\"10\">{}</text>",
            x(i) + shift,
            top + plot_h + 15.0,
            esc(date),
            x(i) + shift,
            top + plot_h + 28.0,
            esc(&point.commit)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Every series as one SVG file: the charts stacked, a legend on top.
pub fn svg(series: &[Series]) -> String {
    let legend_h = 30.0;
    let height = legend_h + FILE_CHART.height * series.len().max(1) as f64;
    let width = FILE_CHART.width;
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"{FONT}\" font-size=\"11\">\n\
         <title>evalgate history: {}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
        plural(series.len(), "series", "series")
    );
    out.push_str(&legend(12.0, 18.0));
    if series.is_empty() {
        let _ = writeln!(
            out,
            "<text x=\"12\" y=\"60\" fill=\"{TEXT_COLOUR}\">no recorded run matches</text>"
        );
    }
    for (i, s) in series.iter().enumerate() {
        out.push_str(&chart(
            s,
            &format!("series-{i}"),
            FILE_CHART,
            Some((0.0, legend_h + FILE_CHART.height * i as f64)),
            &s.name(),
        ));
    }
    out.push_str("</svg>\n");
    out
}

/// The legend: the value line, the interval band, the floor.
fn legend(x: f64, y: f64) -> String {
    format!(
        "<g class=\"legend\" fill=\"{TEXT_COLOUR}\">\
         <line x1=\"{x}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"{VALUE_COLOUR}\" stroke-width=\"2\"/>\
         <text x=\"{t1}\" y=\"{y}\">value per run</text>\
         <rect x=\"{x2}\" y=\"{y2}\" width=\"18\" height=\"10\" fill=\"{VALUE_COLOUR}\" fill-opacity=\"0.16\"/>\
         <text x=\"{t2}\" y=\"{y}\">confidence interval</text>\
         <line x1=\"{x3}\" y1=\"{y0}\" x2=\"{x4}\" y2=\"{y0}\" stroke=\"{FLOOR_COLOUR}\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/>\
         <text x=\"{t3}\" y=\"{y}\">floor</text></g>\n",
        y0 = y - 4.0,
        x1 = x + 18.0,
        t1 = x + 24.0,
        x2 = x + 120.0,
        y2 = y - 9.0,
        t2 = x + 144.0,
        x3 = x + 270.0,
        x4 = x + 288.0,
        t3 = x + 294.0,
    )
}

/// A self-contained HTML page: the charts, each with its numbers in a table. Nothing is
/// fetched and no script runs (its Content-Security-Policy forbids both).
pub fn html(series: &[Series], about: &str) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n",
    );
    let _ = write!(
        out,
        "<meta name=\"generator\" content=\"evalgate {}\">\n<title>evalgate history · {}</title>\n\
         <style>body{{margin:0 auto;max-width:760px;padding:24px;font:14px/1.5 {FONT};color:#1f2328;background:#f6f8fa}}\
         section{{background:#fff;border:1px solid {GRID_COLOUR};border-radius:8px;padding:12px 16px;margin:0 0 16px}}\
         h1{{font-size:22px}}h2{{font-size:16px;margin:0 0 6px}}.muted{{color:{TEXT_COLOUR}}}svg{{max-width:100%;height:auto}}\
         table{{border-collapse:collapse;font-size:13px}}td,th{{padding:3px 10px;border-bottom:1px solid {GRID_COLOUR};text-align:left}}\
         td.num{{text-align:right;font-variant-numeric:tabular-nums}}</style>\n</head>\n<body>\n\
         <h1>evalgate history</h1>\n<p class=\"muted\">{}</p>\n",
        esc(env!("CARGO_PKG_VERSION")),
        plural(series.len(), "series", "series"),
        esc(about)
    );
    let _ = writeln!(
        out,
        "<svg width=\"330\" height=\"24\" font-family=\"{FONT}\" font-size=\"11\" aria-hidden=\"true\">{}</svg>",
        legend(4.0, 16.0)
    );
    if series.is_empty() {
        out.push_str("<p>No recorded run matches.</p>\n");
    }
    for (i, s) in series.iter().enumerate() {
        let _ = write!(
            out,
            "<section class=\"series\" id=\"series-{i}\" data-suite=\"{}\" data-metric=\"{}\">\n<h2>{}</h2>\n{}",
            esc(&s.suite),
            esc(&s.metric),
            esc(&s.name()),
            chart(s, &format!("chart-{i}"), FILE_CHART, None, &s.name())
        );
        let _ = write!(
            out,
            "<details><summary>{} values</summary>\n<table><thead><tr><th>started</th><th>commit</th>\
             <th class=\"num\">value</th><th>{}% interval</th><th>floor</th></tr></thead><tbody>\n",
            s.points.len(),
            number(s.confidence * 100.0)
        );
        for point in &s.points {
            let floor = if point.floor_min.is_some() || point.floor_max.is_some() {
                Bound {
                    min: point.floor_min,
                    max: point.floor_max,
                }
                .describe()
            } else {
                "—".to_string()
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&point.started_at),
                esc(&point.commit),
                number(point.value),
                point.interval.map_or("—".to_string(), |(l, h)| format!(
                    "{} – {}",
                    number(l),
                    number(h)
                )),
                esc(&floor)
            );
        }
        out.push_str("</tbody></table></details>\n</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Markdown with a Mermaid `xychart-beta` chart per series, for a GitHub job summary or
/// comment: the values as the first line, the floor (when every run has one) as the second.
/// Mermaid draws no bands or legends, so the intervals are left to the HTML and SVG plots.
pub fn markdown(series: &[Series], about: &str) -> String {
    let mut out = String::from("## evalgate history: trends\n\n");
    let _ = writeln!(out, "{}\n", about.replace(['<', '>'], ""));
    if series.is_empty() {
        out.push_str("No recorded run matches.\n");
    }
    for s in series {
        let _ = writeln!(out, "### {} · `{}`\n", s.suite, s.metric.replace('`', ""));
        let (low, high) = y_range(s);
        // Numbered: Mermaid's band axis merges equal labels, and runs of one day and commit
        // would share one position.
        let labels: Vec<String> = s
            .points
            .iter()
            .enumerate()
            .map(|(n, p)| {
                let date = p.started_at.get(5..10).unwrap_or(&p.started_at);
                format!(
                    "\"#{} {} {}\"",
                    n + 1,
                    mermaid_text(date),
                    mermaid_text(&p.commit)
                )
            })
            .collect();
        let values: Vec<String> = s.points.iter().map(|p| mermaid_number(p.value)).collect();
        let _ = write!(
            out,
            "```mermaid\nxychart-beta\n    title \"{}\"\n    x-axis [{}]\n    y-axis \"{}\" {} --> {}\n    line [{}]\n",
            mermaid_text(&format!("{} {}", s.suite, s.metric)),
            labels.join(", "),
            mermaid_text(&s.metric),
            mermaid_number(low),
            mermaid_number(high),
            values.join(", ")
        );
        let mut legend = "the first line is the value".to_string();
        for (which, pick) in [
            ("≥", (|p: &Point| p.floor_min) as fn(&Point) -> Option<f64>),
            ("≤", |p: &Point| p.floor_max),
        ] {
            let floors: Option<Vec<f64>> = s.points.iter().map(pick).collect();
            // A floor far from the values is named in the legend, not drawn (as in the SVG).
            if let Some(far) = floors
                .as_ref()
                .filter(|f| !f.iter().all(|v| near(*v, low, high, 0.0)))
            {
                let _ = write!(
                    legend,
                    " (the floor {which} {} is off the chart)",
                    number(*far.last().unwrap_or(&0.0))
                );
                continue;
            }
            if let Some(floors) = floors {
                let line: Vec<String> = floors.iter().map(|v| mermaid_number(*v)).collect();
                let _ = writeln!(out, "    line [{}]", line.join(", "));
                let _ = write!(
                    legend,
                    ", the next the floor ({which} {})",
                    number(*floors.last().unwrap_or(&0.0))
                );
            }
        }
        let _ = writeln!(
            out,
            "```\n\n{}; {} runs.\n",
            capitalize(&legend),
            s.points.len()
        );
    }
    out
}

/// A value in Mermaid's syntax: a plain decimal.
fn mermaid_number(value: f64) -> String {
    let text = number(value);
    if text == "n/a" { "0".to_string() } else { text }
}

/// Text inside a Mermaid double-quoted string, which has no escapes.
fn mermaid_text(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '"' | '\n' | '\r' | '`'))
        .collect()
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// Runs shown at most in a report's trend panel.
pub const REPORT_RUNS: usize = 30;

/// The HTML report's trend panel of each suite of a run, by suite name: its headline and
/// floored metrics over the recorded runs up to this one (the last [`REPORT_RUNS`]), this run
/// last. `runs` holds the recorded runs (time order) and this run, `current` its key. A suite
/// without a run before this one gets no panel.
pub fn report_trends(runs: &[RunRecord], current: &RunRecord) -> BTreeMap<String, String> {
    let mut panels = BTreeMap::new();
    for suite in &current.suites {
        let filter = Filter {
            suites: vec![suite.name.clone()],
            metrics: suite.default_metrics(),
            last: Some(REPORT_RUNS),
            ..Filter::default()
        };
        let kept = filter.apply(runs.to_vec());
        if kept.len() < 2 {
            continue;
        }
        let series = series(&kept, &filter, Some(&current.key));
        if series.is_empty() {
            continue;
        }
        let mut panel = format!(
            "<div class=\"panel trend-panel\" data-suite=\"{}\">\n<h3>Trend over the last {} recorded run{}</h3>\n\
             <div style=\"display:flex;flex-wrap:wrap;gap:12px\">\n",
            esc(&suite.name),
            kept.len(),
            if kept.len() == 1 { "" } else { "s" }
        );
        for (i, s) in series.iter().enumerate() {
            panel.push_str(&chart(
                s,
                &format!("trend-{}-{i}", esc(&suite.name)),
                REPORT_CHART,
                None,
                &s.metric,
            ));
        }
        let first = kept
            .first()
            .map(|r| shown_time(&r.started_at))
            .unwrap_or_default();
        let _ = write!(
            panel,
            "</div>\n<p class=\"muted small\">From the run history (runs since {}); the hollow point is this run. \
             The band is each run's confidence interval, the dashed line its floor.</p>\n</div>\n",
            esc(&first)
        );
        panels.insert(suite.name.clone(), panel);
    }
    panels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        let shown =
            |low, high| -> Vec<String> { ticks(low, high).into_iter().map(number).collect() };
        assert_eq!(shown(0.0, 1.0), ["0", "0.25", "0.5", "0.75", "1"]);
        assert_eq!(shown(0.71, 0.79), ["0.72", "0.74", "0.76", "0.78"]);
        assert_eq!(shown(0.0, 130.0), ["0", "50", "100"]);
    }

    #[test]
    fn mermaid_strings_have_no_quotes() {
        assert_eq!(mermaid_text("a \"b\"\n`c`"), "a bc");
    }
}
