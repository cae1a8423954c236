//! Finding suite files and turning them into [`Suite`]s, collecting every problem on the way.
//!
//! Each file is parsed into spanned TOML ([`toml::de::DeTable`]) and checked key by key, so one
//! run reports every unknown key, wrong type and semantic mistake of every file, each with its
//! line and column. Only a TOML syntax error ends a file's checks early. Nothing here calls a
//! model: a suite that loads is ready to run.

use super::cases_file::{self, Row};
use super::check::{Check, Value};
use super::{
    Bound, Case, Checks, FailOn, Floor, FloorMode, Metric, Scale, SourceLine, Suite, Task,
    Template, number,
};
use crate::diagnostic::{Diagnostic, Location, did_you_mean};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

/// What the loader needs to know about the face that will run the suites.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    pub functions: Functions,
}

/// Which `fn` models exist where the suites will run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Functions {
    /// No harness (the CLI): `provider = "fn"` is an error.
    #[default]
    Unavailable,
    /// The closures registered on the harness, by name.
    Registered(Vec<String>),
    /// Any name goes: the suites are read, not run (`evalgate cassette prune`).
    Unchecked,
}

/// The outcome of loading: the suites that are ready, and the files that are not.
#[derive(Debug, Default)]
pub struct Loaded {
    pub suites: Vec<Suite>,
    pub broken: Vec<BrokenFile>,
}

/// A suite file with problems; the harness turns it into a failing test of its own.
#[derive(Debug)]
pub struct BrokenFile {
    pub file: PathBuf,
    /// The suite's name if it could be read, else the file stem: the test is `<name>::suite_file`.
    pub name: String,
    pub problems: Vec<Diagnostic>,
}

impl Loaded {
    /// Every problem of every file, in file order.
    pub fn problems(&self) -> Vec<Diagnostic> {
        self.broken
            .iter()
            .flat_map(|b| b.problems.iter().cloned())
            .collect()
    }
}

/// The most runs `repeat` asks of each case.
pub const MAX_REPEAT: usize = 1000;

const SUITE_KEYS: &[&str] = &[
    "name",
    "task",
    "description",
    "labels",
    "positive_label",
    "label_pattern",
    "cases_file",
    "fail_on",
    "floor_mode",
    "confidence",
    "repeat",
    "min_pass_rate",
    "snapshot",
    "model",
    "floors",
    "case",
];
const CASE_KEYS: &[&str] = &[
    "id",
    "input",
    "expected",
    "tags",
    "vars",
    "ignore",
    "equals",
    "contains",
    "not_contains",
    "regex",
    "max_chars",
    "json",
    "reference",
    "references",
    "min_chrf",
    "min_bleu",
];

/// Finds suite files: each path is a `.toml` file or a folder searched recursively (skipping
/// hidden folders and `snapshots/`). The result is sorted, so runs are reproducible.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if path.is_file() {
            if path.extension().is_some_and(|e| e == "toml") {
                files.push(path.clone());
            } else {
                problems.push(
                    Diagnostic::new(format!("{} is not a suite file (*.toml)", path.display()))
                        .hint("give suite files or the folders that hold them"),
                );
            }
            continue;
        }
        if !path.is_dir() {
            problems.push(
                Diagnostic::new(format!("no such file or folder: {}", path.display()))
                    .hint("give suite files or folders; without paths, evalgate reads suites/"),
            );
            continue;
        }
        let before = files.len();
        let walk = walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0
                    || !(e.file_type().is_dir()
                        && (e.file_name() == "snapshots"
                            || e.file_name().to_string_lossy().starts_with('.')))
            });
        for entry in walk {
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_file()
                        && entry.path().extension().is_some_and(|e| e == "toml")
                    {
                        files.push(entry.into_path());
                    }
                }
                Err(error) => problems.push(Diagnostic::new(format!(
                    "cannot read {}: {error}",
                    error.path().unwrap_or(path).display()
                ))),
            }
        }
        if files.len() == before {
            problems.push(
                Diagnostic::new(format!("no suite files (*.toml) under {}", path.display()))
                    .hint("write a suite file there; see the suite reference in README.md"),
            );
        }
    }
    // A file named twice (`suites suites/a.toml`) is one suite, loaded once.
    let mut seen = std::collections::HashSet::new();
    files.retain(|file| seen.insert(std::fs::canonicalize(file).unwrap_or_else(|_| file.clone())));
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}

/// Loads and checks suite files. Suites with problems land in [`Loaded::broken`].
pub fn load(files: &[PathBuf], options: &LoadOptions) -> Loaded {
    let mut loaded = Loaded::default();
    let mut names: HashMap<String, PathBuf> = HashMap::new();
    for file in files {
        match load_file(file, options) {
            Ok(suite) => {
                if let Some(first) = names.get(&suite.name) {
                    let problem = Diagnostic::new(format!(
                        "suite name `{}` is already used by {}",
                        suite.name,
                        first.display()
                    ))
                    .at(Location::line(file, 1, 1))
                    .hint("give one of them another `name = \"...\"`");
                    loaded.broken.push(BrokenFile {
                        file: file.clone(),
                        name: suite.name.clone(),
                        problems: vec![problem],
                    });
                } else {
                    names.insert(suite.name.clone(), file.clone());
                    loaded.suites.push(suite);
                }
            }
            Err((name, problems)) => {
                loaded.broken.push(BrokenFile {
                    file: file.clone(),
                    name,
                    problems,
                });
            }
        }
    }
    loaded
}

fn file_stem(file: &Path) -> String {
    file.file_stem()
        .map_or_else(|| "suite".to_string(), |s| s.to_string_lossy().into_owned())
}

fn load_file(file: &Path, options: &LoadOptions) -> Result<Suite, (String, Vec<Diagnostic>)> {
    let stem = file_stem(file);
    let source = match std::fs::read(file) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                let problem = Diagnostic::new(format!("{} is not valid UTF-8", file.display()))
                    .hint("save the suite file as UTF-8");
                return Err((stem, vec![problem]));
            }
        },
        Err(error) => {
            let problem = Diagnostic::new(format!("cannot read {}: {error}", file.display()));
            return Err((stem, vec![problem]));
        }
    };
    let table = match DeTable::parse(&source) {
        Ok(table) => table,
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            let message = error.message().trim_end().to_string();
            let problem = Diagnostic::new(format!("TOML syntax error: {message}"))
                .at(Location::of_span(file, &source, span))
                .hint("fix the syntax; the rest of this file is checked once it parses");
            return Err((stem, vec![problem]));
        }
    };
    let mut check = Check {
        file,
        source: &source,
        problems: Vec::new(),
    };
    let suite = check.suite(table.get_ref(), &stem, options);
    // Keys are visited in name order; report in reading order, the suite file's problems first.
    check.problems.sort_by_key(|problem| {
        problem
            .location
            .as_ref()
            .map(|l| (l.file != file, l.file.clone(), l.line, l.column))
    });
    let name = suite.as_ref().map_or(stem, |s| s.name.clone());
    match suite {
        Some(suite) if check.problems.is_empty() => Ok(suite),
        _ => Err((name, check.problems)),
    }
}

/// A case from either source, before validation.
struct Draft {
    at: Location,
    id: Option<(String, Location)>,
    input: Option<String>,
    expected: Option<(String, Location)>,
    /// The references, where they are given, and the key that gave them.
    references: Option<(Vec<String>, Location, &'static str)>,
    /// The case is a row of the cases file (hints then name fields, not TOML keys).
    from_file: bool,
    tags: Vec<String>,
    vars: BTreeMap<String, String>,
    ignore: Option<String>,
    checks: Checks,
    /// A key of the case had the wrong type (already reported): a missing value is no news.
    mistyped: bool,
}

impl Draft {
    fn new(at: Location) -> Draft {
        Draft {
            at,
            id: None,
            input: None,
            expected: None,
            references: None,
            from_file: false,
            tags: Vec::new(),
            vars: BTreeMap::new(),
            ignore: None,
            checks: Checks::default(),
            mistyped: false,
        }
    }

    fn from_row(row: Row) -> Draft {
        let mut draft = Draft::new(row.location);
        draft.id = row.id.map(|id| (id, draft.at.clone()));
        draft.input = row.input;
        draft.expected = row.expected.map(|e| (e, draft.at.clone()));
        if !row.references.is_empty() {
            let key = if row.references.len() > 1 {
                "references"
            } else {
                "reference"
            };
            draft.references = Some((row.references, draft.at.clone(), key));
        }
        draft.from_file = true;
        draft.checks.min_chrf = row.min_chrf;
        draft.checks.min_bleu = row.min_bleu;
        draft.tags = row.tags;
        draft.vars = row.vars;
        draft
    }
}

impl Check<'_> {
    fn suite(&mut self, table: &DeTable<'_>, stem: &str, options: &LoadOptions) -> Option<Suite> {
        let mut name = None;
        let mut task = None;
        let mut description = None;
        let mut labels: Option<Vec<(String, Range<usize>)>> = None;
        let mut positive_label = None;
        let mut label_pattern = None;
        let mut cases_file = None;
        let mut fail_on = FailOn::default();
        let mut floor_mode = FloorMode::Value;
        let mut confidence = crate::stats::DEFAULT_CONFIDENCE;
        let mut repeat = 1;
        let mut min_pass_rate = 1.0;
        let mut snapshot = None;
        let mut model = None;
        let mut floors = None;
        let mut inline_cases = None;
        for (key, value) in table.iter() {
            let k = key.get_ref().as_ref();
            match k {
                "name" => name = self.string(k, value).map(|n| (n, value.span())),
                "task" => task = self.string(k, value).map(|t| (t, value.span())),
                "description" => description = self.string(k, value),
                "labels" => {
                    labels = self.strings(k, value);
                    if labels.as_ref().is_some_and(Vec::is_empty) {
                        self.error(value.span(), "`labels` is empty").hint(
                            "list the labels the model may answer, \
                             e.g. labels = [\"negative\", \"positive\"]",
                        );
                    }
                }
                "positive_label" => {
                    positive_label = self.string(k, value).map(|p| (p, value.span()))
                }
                "label_pattern" => label_pattern = Some(value),
                "cases_file" => cases_file = self.string(k, value).map(|p| (p, value.span())),
                "fail_on" => fail_on = self.fail_on(value).unwrap_or_default(),
                "floor_mode" => floor_mode = self.floor_mode(value).unwrap_or(FloorMode::Value),
                "confidence" => {
                    if let Some(level) = self.confidence(value) {
                        confidence = level;
                    }
                }
                "repeat" => {
                    if let Some(times) = self.repeat(value) {
                        repeat = times;
                    }
                }
                "min_pass_rate" => {
                    if let Some(rate) = self.min_pass_rate(value) {
                        min_pass_rate = rate;
                    }
                }
                "snapshot" => snapshot = self.boolean(k, value),
                "model" => model = Some((key, value)),
                "floors" => floors = Some(value),
                "case" => inline_cases = Some(value),
                _ => self.unknown_key(key, "in a suite file", SUITE_KEYS),
            }
        }

        let name =
            match name {
                Some((name, span)) => {
                    if !valid_suite_name(&name) {
                        self.error(
                            span,
                            format!(
                                "suite name `{name}` may hold only a-z, 0-9, `_` and `-` (not `__`)"
                            ),
                        )
                        .hint(format!(
                            "for example name = \"{}\"",
                            suggest_suite_name(&name)
                        ));
                    }
                    name
                }
                None => {
                    if !valid_suite_name(stem) {
                        self.error(0..0, format!(
                            "the file name `{stem}` is not a valid suite name (a-z, 0-9, `_`, `-`)"
                        )).hint(format!(
                            "rename the file or set name = \"{}\"",
                            suggest_suite_name(stem)
                        ));
                    }
                    stem.to_string()
                }
            };

        let task = match task {
            None => {
                self.error(0..0, "the suite has no `task`")
                    .hint("add task = \"classify\", \"generate\" or \"translate\"");
                None
            }
            Some((task, span)) => match task.as_str() {
                "classify" => Some(Task::Classify),
                "generate" => Some(Task::Generate),
                "translate" => Some(Task::Translate),
                other => {
                    let hint = match did_you_mean(other, ["classify", "generate", "translate"]) {
                        Some(guess) => format!("did you mean `{guess}`?"),
                        None => "the tasks are classify, generate and translate".to_string(),
                    };
                    self.error(span, format!("unknown task `{other}`"))
                        .hint(hint);
                    None
                }
            },
        };

        let labels_list: Vec<String> = labels.iter().flatten().map(|(l, _)| l.clone()).collect();
        if labels.is_some() || table.get("labels").is_none() {
            self.check_labels(task, labels.as_deref());
        }
        let positive_label = positive_label.and_then(|(label, span)| {
            if task.is_some_and(Task::has_checks) {
                self.error(span, "`positive_label` applies to classify suites only");
                return None;
            }
            let found = labels_list.iter().position(|l| *l == label);
            if found.is_none() && !labels_list.is_empty() {
                self.error(
                    span,
                    format!(
                        "positive_label `{label}` is not one of the labels [{}]",
                        labels_list.join(", ")
                    ),
                );
            }
            found
        });
        let label_pattern = label_pattern.and_then(|value| {
            if task.is_some_and(Task::has_checks) {
                self.error(
                    value.span(),
                    "`label_pattern` applies to classify suites only",
                );
                return None;
            }
            let regex = self.regex("label_pattern", value)?;
            if regex.captures_len() != 2 {
                self.error(
                    value.span(),
                    format!(
                        "`label_pattern` must have exactly one capture group, it has {}",
                        regex.captures_len() - 1
                    ),
                )
                .hint(
                    "wrap the part that holds the label in (...) \
                     and make other groups non-capturing: (?:...)",
                );
                return None;
            }
            Some(regex)
        });

        let suite_dir = match self.file.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let (model, prompt, cassette) = match model {
            Some((_, value)) => {
                let table = self.model(value, &suite_dir, options);
                (table.spec, table.prompt, table.cassette)
            }
            None => {
                self.error(0..0, "the suite has no [model] table").hint(
                    "add [model] with a provider (openai, command or fn); \
                     see the suite reference in README.md",
                );
                (None, Template::default(), None)
            }
        };
        // Without a known task the floors' metric names cannot be checked; everything else is.
        let floors = match (task, floors) {
            (Some(task), Some(value)) => self.floors(value, task, &labels_list, positive_label),
            _ => Vec::new(),
        };

        let mut drafts = Vec::new();
        if let Some(value) = inline_cases {
            if let DeValue::Array(items) = value.get_ref() {
                for item in items.iter() {
                    if let Some(draft) = self.inline_case(item) {
                        drafts.push(draft);
                    }
                }
            } else {
                self.wrong_type("case", "an array of tables ([[case]])", value);
            }
        }
        if let Some((path, span)) = cases_file {
            let full = suite_dir.join(&path);
            if full.is_dir() {
                self.error(span, format!("cases file `{path}` is a folder, not a file"))
                    .hint("cases_file names a .jsonl or .csv file");
            } else if !full.is_file() {
                self.error(
                    span,
                    format!(
                        "cases file `{path}` not found (looked for {})",
                        full.display()
                    ),
                )
                .hint("cases_file is relative to the suite file's folder");
            } else {
                match cases_file::read(&full) {
                    Ok(rows) => drafts.extend(rows.into_iter().map(Draft::from_row)),
                    Err(problems) => self.problems.extend(problems),
                }
            }
        }
        if drafts.is_empty() && self.problems.is_empty() {
            self.error(0..0, "the suite has no cases")
                .hint("add [[case]] entries or a cases_file");
        }

        let cases = self.cases(drafts, task, &labels_list, &prompt);
        let (Some(task), Some(model)) = (task, model) else {
            return None;
        };
        Some(Suite {
            name,
            file: self.file.to_path_buf(),
            task,
            description,
            labels: labels_list,
            positive_label,
            label_pattern,
            model,
            prompt,
            snapshot: snapshot.unwrap_or(task == Task::Generate),
            cassette,
            floors,
            fail_on,
            floor_mode,
            confidence,
            repeat,
            min_pass_rate,
            cases,
        })
    }

    fn repeat(&mut self, value: &Value<'_>) -> Option<usize> {
        let times = self.number("repeat", value)?;
        if times.fract() != 0.0 || !(1.0..=MAX_REPEAT as f64).contains(&times) {
            self.error(
                value.span(),
                format!("`repeat` must be a whole number from 1 to {MAX_REPEAT}, not {times}"),
            )
            .hint("how many times each case runs, e.g. repeat = 5 for a model at temperature > 0");
            return None;
        }
        Some(times as usize)
    }

    fn min_pass_rate(&mut self, value: &Value<'_>) -> Option<f64> {
        let rate = self.number("min_pass_rate", value)?;
        if !(rate > 0.0 && rate <= 1.0) {
            self.error(
                value.span(),
                format!("`min_pass_rate` must be more than 0 and at most 1, not {rate}"),
            )
            .hint("the share of its runs a repeated case must pass, e.g. min_pass_rate = 0.8");
            return None;
        }
        Some(rate)
    }

    fn floor_mode(&mut self, value: &Value<'_>) -> Option<FloorMode> {
        let mode = self.string("floor_mode", value)?;
        match mode.as_str() {
            "value" => Some(FloorMode::Value),
            "lower_bound" => Some(FloorMode::LowerBound),
            other => {
                self.error(value.span(), format!("unknown floor_mode `{other}`"))
                    .hint(
                        "floor_mode = \"value\" judges a floor on the metric's value (the \
                         default); \"lower_bound\" on the end of its confidence interval",
                    );
                None
            }
        }
    }

    fn confidence(&mut self, value: &Value<'_>) -> Option<f64> {
        let level = self.number("confidence", value)?;
        if !(level > 0.0 && level < 1.0) {
            self.error(
                value.span(),
                format!("`confidence` must be between 0 and 1, not {level}"),
            )
            .hint("the level of the confidence intervals, e.g. confidence = 0.95 (95%)");
            return None;
        }
        Some(level)
    }

    fn fail_on(&mut self, value: &Value<'_>) -> Option<FailOn> {
        let mut fail_on = FailOn {
            case: false,
            floor: false,
            regression: false,
        };
        let kinds = self.strings("fail_on", value)?;
        if kinds.is_empty() {
            self.error(
                value.span(),
                "`fail_on` is empty: nothing in this suite could fail",
            )
            .hint(
                "list \"case\", \"floor\" and/or \"regression\"; a failed model call always \
                 fails its case",
            );
        }
        for (kind, span) in kinds {
            match kind.as_str() {
                "case" => fail_on.case = true,
                "floor" => fail_on.floor = true,
                "regression" => fail_on.regression = true,
                other => {
                    self.error(span, format!("unknown kind `{other}` in fail_on"))
                        .hint(
                            "fail_on lists what fails the run: \"case\" (a wrong answer), \
                             \"floor\" (a metric floor) and \"regression\" (a significant \
                             drop against --baseline)",
                        );
                }
            }
        }
        Some(fail_on)
    }

    fn check_labels(&mut self, task: Option<Task>, labels: Option<&[(String, Range<usize>)]>) {
        match (task, labels) {
            (Some(Task::Classify), None) => {
                self.error(0..0, "a classify suite needs `labels`")
                    .hint("add labels = [\"negative\", \"positive\"], in confusion-matrix order");
            }
            (Some(Task::Generate | Task::Translate), Some(labels)) => {
                let span = labels.first().map_or(0..0, |(_, s)| s.clone());
                self.error(span, "`labels` applies to classify suites only");
            }
            (_, Some(labels)) => {
                for (i, (label, span)) in labels.iter().enumerate() {
                    if label.trim().is_empty() || label == "<invalid>" {
                        self.error(span.clone(), format!("`{label}` cannot be a label"))
                            .hint("`<invalid>` is reserved for outputs that match no label");
                    } else if labels[..i]
                        .iter()
                        .any(|(l, _)| l.to_lowercase() == label.to_lowercase())
                    {
                        self.error(span.clone(), format!("label `{label}` is listed twice"))
                            .hint(
                                "labels are matched without regard to case, \
                                 so they must differ in more than case",
                            );
                    }
                }
            }
            _ => {}
        }
    }

    fn floors(
        &mut self,
        value: &Value<'_>,
        task: Task,
        labels: &[String],
        positive_label: Option<usize>,
    ) -> Vec<Floor> {
        let Some(table) = self.table("floors", value) else {
            return Vec::new();
        };
        let mut floors = Vec::new();
        let mut entries: Vec<_> = table.iter().collect();
        entries.sort_by_key(|(key, _)| key.span().start);
        for (key, value) in entries {
            let name = key.get_ref().as_ref();
            let Some(metric) = Metric::parse(name, task, labels, positive_label) else {
                let known = Metric::known_names(task, labels, positive_label);
                // `BLEU`, `chrF++`, `chrf-pp` as other tools write them.
                let spelled = name.to_lowercase().replace("++", "_pp").replace('-', "_");
                let translate_metric =
                    matches!(spelled.as_str(), "bleu" | "chrf" | "chrf_pp" | "ter");
                let hint = if known.contains(&spelled) {
                    format!("did you mean `{spelled}`?")
                } else if translate_metric {
                    format!(
                        "`{spelled}` is a metric of translate suites; this suite's task is {}",
                        task.name()
                    )
                } else if let Some(guess) = did_you_mean(name, known.iter().map(String::as_str)) {
                    format!("did you mean `{guess}`?")
                } else if matches!(name, "precision" | "recall" | "f1") {
                    "binary metrics need positive_label = \"...\" in the suite".to_string()
                } else if let Some((_, label)) = name.split_once('.') {
                    format!("`{label}` is not one of the labels [{}]", labels.join(", "))
                } else {
                    format!("metrics for {} suites: {}", task.name(), known.join(", "))
                };
                self.error(key.span(), format!("unknown metric `{name}` in [floors]"))
                    .hint(hint);
                continue;
            };
            let bound = match value.get_ref() {
                DeValue::Integer(_) | DeValue::Float(_) => {
                    let Some(min) = self.number(name, value) else {
                        continue;
                    };
                    if metric.lower_is_better() {
                        let written = self.source[value.span()].trim().to_string();
                        self.error(
                            value.span(),
                            format!(
                                "`{name}` is better when lower, \
                                 so a bare number (a minimum) cannot be meant"
                            ),
                        )
                        .hint(format!("write {name} = {{ max = {written} }}"));
                        continue;
                    }
                    Bound {
                        min: Some(min),
                        max: None,
                    }
                }
                DeValue::Table(bounds) => {
                    let mut bound = Bound::default();
                    for (bound_key, bound_value) in bounds.iter() {
                        match bound_key.get_ref().as_ref() {
                            "min" => bound.min = self.number("min", bound_value),
                            "max" => bound.max = self.number("max", bound_value),
                            _ => self.unknown_key(
                                bound_key,
                                &format!("in the floor of `{name}`"),
                                &["min", "max"],
                            ),
                        }
                    }
                    if bound.min.is_none() && bound.max.is_none() {
                        self.error(
                            value.span(),
                            format!("the floor of `{name}` sets neither min nor max"),
                        );
                        continue;
                    }
                    bound
                }
                _ => {
                    self.wrong_type(
                        name,
                        "a number (a minimum) or a table { min = .., max = .. }",
                        value,
                    );
                    continue;
                }
            };
            for limit in [bound.min, bound.max].into_iter().flatten() {
                let out_of_range = match metric.scale() {
                    Scale::Proportion => !(0.0..=1.0).contains(&limit),
                    Scale::Points => !(0.0..=100.0).contains(&limit),
                    Scale::Count => limit < 0.0,
                };
                if out_of_range {
                    let range = match metric.scale() {
                        Scale::Proportion => "between 0 and 1",
                        Scale::Points => "between 0 and 100, sacreBLEU's scale",
                        Scale::Count => "0 or more",
                    };
                    let reported = self.error(
                        value.span(),
                        format!(
                            "floor {} for `{name}` is out of range: it must be {range}",
                            number(limit)
                        ),
                    );
                    let looks_like_percent =
                        metric.scale() == Scale::Proportion && (2.0..=100.0).contains(&limit);
                    if looks_like_percent {
                        let fraction = number(limit / 100.0);
                        reported.hint(format!(
                            "write proportions as fractions: {fraction} rather than {}",
                            number(limit)
                        ));
                    }
                }
            }
            if let (Some(min), Some(max)) = (bound.min, bound.max)
                && min > max
            {
                self.error(
                    value.span(),
                    format!(
                        "the floor of `{name}` has min {} above max {}",
                        number(min),
                        number(max)
                    ),
                );
            }
            let line = self.at(key.span()).line;
            floors.push(Floor {
                name: name.to_string(),
                metric,
                bound,
                source: SourceLine {
                    file: self.file.to_path_buf(),
                    line,
                },
            });
        }
        floors
    }

    fn inline_case(&mut self, item: &Value<'_>) -> Option<Draft> {
        let table = self.table("case", item)?;
        let mut draft = Draft::new(self.at(item.span()));
        for (key, value) in table.iter() {
            let k = key.get_ref().as_ref();
            let problems_before = self.problems.len();
            match k {
                "id" => draft.id = self.string(k, value).map(|id| (id, self.at(value.span()))),
                "input" => draft.input = self.string(k, value),
                "expected" => {
                    draft.expected = self.string(k, value).map(|e| (e, self.at(value.span())))
                }
                "tags" => {
                    draft.tags = self
                        .strings(k, value)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(t, _)| t)
                        .collect()
                }
                "vars" => {
                    if let Some(vars) = self.table(k, value) {
                        for (name, var) in vars.iter() {
                            let text = match var.get_ref() {
                                DeValue::String(s) => s.to_string(),
                                DeValue::Integer(i) => i.to_string(),
                                DeValue::Float(f) => f.as_str().to_string(),
                                DeValue::Boolean(b) => b.to_string(),
                                _ => {
                                    self.wrong_type(
                                        &format!("vars.{}", name.get_ref()),
                                        "a string, number or boolean",
                                        var,
                                    );
                                    continue;
                                }
                            };
                            draft.vars.insert(name.get_ref().to_string(), text);
                        }
                    }
                }
                "ignore" => {
                    draft.ignore = self.string(k, value).map(|reason| {
                        if reason.is_empty() {
                            "ignored".to_string()
                        } else {
                            reason
                        }
                    })
                }
                "equals" => draft.checks.equals = self.string(k, value),
                "contains" => {
                    draft.checks.contains = self
                        .strings(k, value)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(s, _)| s)
                        .collect()
                }
                "not_contains" => {
                    draft.checks.not_contains = self
                        .strings(k, value)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(s, _)| s)
                        .collect()
                }
                "regex" => draft.checks.regex = self.regex(k, value),
                "max_chars" => draft.checks.max_chars = self.whole_number(k, value, 0),
                "json" => draft.checks.json = self.boolean(k, value).unwrap_or(false),
                "reference" | "references" => {
                    let references = match value.get_ref() {
                        _ if k == "reference" => self.string(k, value).map(|r| vec![r]),
                        DeValue::String(text) => {
                            self.error(
                                value.span(),
                                "`references` must be an array of strings, found a string",
                            )
                            .hint(format!(
                                "write reference = {:?} for one, or references = [{:?}, \"...\"]",
                                text.as_ref(),
                                text.as_ref()
                            ));
                            None
                        }
                        _ => self
                            .strings(k, value)
                            .map(|list| list.into_iter().map(|(r, _)| r).collect()),
                    };
                    if draft.references.is_some() {
                        self.error(key.span(), "the case has both `reference` and `references`")
                            .hint("put every reference in references = [\"...\", \"...\"]");
                    } else if references.as_ref().is_some_and(Vec::is_empty) {
                        self.error(value.span(), "`references` is empty")
                            .hint("give at least one reference translation");
                    } else if let Some(references) = references {
                        let key = if k == "reference" {
                            "reference"
                        } else {
                            "references"
                        };
                        draft.references = Some((references, self.at(value.span()), key));
                    }
                }
                "min_chrf" => draft.checks.min_chrf = self.sentence_score(k, value),
                "min_bleu" => draft.checks.min_bleu = self.sentence_score(k, value),
                _ => self.unknown_key(key, "in [[case]]", CASE_KEYS),
            }
            draft.mistyped |= self.problems.len() > problems_before;
        }
        Some(draft)
    }

    /// The references of case `id`, checked against its task and its checks.
    fn references(
        &mut self,
        id: &str,
        task: Option<Task>,
        draft: &Draft,
        given: Option<(Vec<String>, Location, &'static str)>,
    ) -> Vec<String> {
        let at = &draft.at;
        let references = match (task, given) {
            (Some(Task::Classify), Some((_, references_at, key))) => {
                self.problems.push(
                    Diagnostic::new(format!(
                        "case `{id}`: `{key}` is for translate and generate suites"
                    ))
                    .at(references_at)
                    .hint("a classify case is judged by its expected label"),
                );
                return Vec::new();
            }
            (Some(Task::Translate), None) if !draft.mistyped => {
                self.problems.push(
                    Diagnostic::new(format!("case `{id}` has no `reference`"))
                        .at(at.clone())
                        .hint(
                            "add reference = \"the expected translation\", \
                             or references = [\"...\", \"...\"] for several",
                        ),
                );
                return Vec::new();
            }
            (Some(Task::Generate), Some((_, references_at, key)))
                if !draft.checks.uses_references() =>
            {
                self.problems.push(
                    Diagnostic::new(format!(
                        "case `{id}` gives a `{key}` but nothing compares the output with it"
                    ))
                    .at(references_at)
                    .hint(if draft.from_file {
                        "add a `min_chrf` field (e.g. 50) for a \"close to this answer\" check"
                    } else {
                        "add min_chrf = 50 (or min_bleu) for a \"close to this answer\" check"
                    }),
                );
                return Vec::new();
            }
            (_, Some((references, references_at, key))) => {
                if references.iter().any(|r| r.trim().is_empty()) {
                    self.problems.push(
                        Diagnostic::new(if key == "references" {
                            format!("case `{id}` has an empty reference in `references`")
                        } else {
                            format!("case `{id}` has an empty `reference`")
                        })
                        .at(references_at)
                        .hint(
                            "an empty reference scores every output 0: \
                                 give the expected text, or leave the reference out",
                        ),
                    );
                }
                references
            }
            (_, None) => Vec::new(),
        };
        if task == Some(Task::Generate)
            && draft.checks.uses_references()
            && references.is_empty()
            && !draft.mistyped
        {
            let check = if draft.checks.min_chrf.is_some() {
                "min_chrf"
            } else {
                "min_bleu"
            };
            let hint = if draft.from_file {
                "add a `reference` field: the answer the output should be close to"
            } else {
                "add reference = \"the answer the output should be close to\""
            };
            self.problems.push(
                Diagnostic::new(format!(
                    "case `{id}`: `{check}` needs a `reference` to compare the output with"
                ))
                .at(at.clone())
                .hint(hint),
            );
        }
        references
    }

    /// Rows of the cases file of a translate suite that give no reference: one problem for all,
    /// since it is usually the column that is missing or misnamed.
    fn rows_without_reference(&mut self, rows: Vec<(Location, Vec<String>)>) {
        let Some((first, columns)) = rows.first() else {
            return;
        };
        let misnamed = columns.iter().find(|column| {
            let lower = column.to_lowercase();
            matches!(
                lower.as_str(),
                "reference" | "references" | "ref" | "refs" | "translation" | "target"
            ) || did_you_mean(&lower, ["reference", "references"]).is_some()
        });
        let hint = match misnamed {
            Some(column) => format!(
                "the field `{column}` is read as a template var; name it `reference` \
                 (JSONL: or `references`, a list)"
            ),
            None => "give each row a `reference` field: a `reference` column in CSV, \
                     \"reference\": \"...\" (or \"references\": [...]) in JSONL"
                .to_string(),
        };
        let message = if rows.len() == 1 {
            "a row of the cases file has no `reference`".to_string()
        } else {
            format!(
                "{} rows of the cases file have no `reference`, the first on line {}",
                rows.len(),
                first.line
            )
        };
        self.problems
            .push(Diagnostic::new(message).at(first.clone()).hint(hint));
    }

    /// `min_chrf` / `min_bleu`: a sentence score on sacreBLEU's 0 to 100 scale.
    fn sentence_score(&mut self, key: &str, value: &Value<'_>) -> Option<f64> {
        if let DeValue::String(text) = value.get_ref() {
            self.error(
                value.span(),
                format!("`{key}` must be a number, found a string"),
            )
            .hint(format!("write {key} = {}, without quotes", text.trim()));
            return None;
        }
        let score = self.number(key, value)?;
        if let Some((message, hint)) = super::floor::sentence_score_problem(key, score) {
            self.error(value.span(), message).hint(hint);
            return None;
        }
        Some(score)
    }

    fn cases(
        &mut self,
        drafts: Vec<Draft>,
        task: Option<Task>,
        labels: &[String],
        prompt: &Template,
    ) -> Vec<Case> {
        let mut cases: Vec<Case> = Vec::with_capacity(drafts.len());
        let mut seen: HashMap<String, SourceLine> = HashMap::with_capacity(drafts.len());
        let needed_vars = prompt.vars();
        let mut rows_without_reference = Vec::new();
        for (index, mut draft) in drafts.into_iter().enumerate() {
            let at = draft.at.clone();
            let id = match draft.id.take() {
                Some((id, id_at)) => {
                    if !valid_case_id(&id) {
                        self.problems.push(
                            Diagnostic::new(format!(
                                "case id `{id}` may hold only letters, digits, `_`, `-` and `.` (not `__`)"
                            ))
                            .at(id_at)
                            .hint("ids become parts of test names and of snapshot file names, <suite>__<id>.snap"),
                        );
                    }
                    id
                }
                None => format!("case-{}", index + 1),
            };
            let source = SourceLine {
                file: at.file.clone(),
                line: at.line,
            };
            if let Some(first) = seen.get(&id) {
                self.problems.push(
                    Diagnostic::new(format!(
                        "duplicate case id `{id}`, first used at {}:{}",
                        first.file.display(),
                        first.line
                    ))
                    .at(at.clone())
                    .hint("case ids must be unique within a suite"),
                );
            } else {
                seen.insert(id.clone(), source.clone());
            }
            if draft.input.is_none() && !draft.mistyped {
                self.problems.push(
                    Diagnostic::new(format!("case `{id}` has no `input`"))
                        .at(at.clone())
                        .hint("give the text the model receives: input = \"...\""),
                );
            }
            for var in &needed_vars {
                if !draft.vars.contains_key(*var) {
                    let message = format!(
                        "case `{id}` has no var `{var}`, used by the prompt as {{{{vars.{var}}}}}"
                    );
                    let hint = if cases_file::KNOWN_FIELDS.contains(var) {
                        format!(
                            "add vars = {{ {var} = \"...\" }} to the case; in a cases file \
                             `{var}` is a field of the case, not a var, so rename the var"
                        )
                    } else {
                        format!(
                            "add vars = {{ {var} = \"...\" }} to the case, or a `{var}` column to the cases file"
                        )
                    };
                    self.problems
                        .push(Diagnostic::new(message).at(at.clone()).hint(hint));
                }
            }
            let expected = match (task, draft.expected.take()) {
                (None, _) => None,
                (Some(Task::Classify), None) if draft.mistyped => None,
                (Some(Task::Classify), None) => {
                    self.problems.push(
                        Diagnostic::new(format!("case `{id}` has no `expected` label"))
                            .at(at.clone())
                            .hint(format!("add expected = one of [{}]", labels.join(", "))),
                    );
                    None
                }
                (Some(Task::Classify), Some((label, label_at))) => {
                    let found = labels.iter().position(|l| *l == label);
                    if found.is_none() && !labels.is_empty() {
                        let hint = match did_you_mean(&label, labels.iter().map(String::as_str)) {
                            Some(guess) => format!("did you mean `{guess}`?"),
                            None => format!(
                                "the labels are [{}]; add it there if it is a new label",
                                labels.join(", ")
                            ),
                        };
                        self.problems.push(
                            Diagnostic::new(format!(
                                "expected label `{label}` of case `{id}` is not one of the labels"
                            ))
                            .at(label_at)
                            .hint(hint),
                        );
                    }
                    found
                }
                (Some(task), Some((_, label_at))) => {
                    let hint = if task == Task::Translate {
                        "a translate case gives the expected translation as reference = \"...\""
                    } else {
                        "for generate, check the output with equals, contains, \
                         not_contains, regex, max_chars or json"
                    };
                    self.problems.push(
                        Diagnostic::new(format!("case `{id}`: `expected` is for classify suites"))
                            .at(label_at)
                            .hint(hint),
                    );
                    None
                }
                (Some(_), None) => None,
            };
            let references = match (task, draft.references.take()) {
                (Some(Task::Translate), None) if draft.from_file && !draft.mistyped => {
                    rows_without_reference.push((at.clone(), draft.vars.keys().cloned().collect()));
                    Vec::new()
                }
                (task, references) => self.references(&id, task, &draft, references),
            };
            if task == Some(Task::Classify) && !draft.checks.is_empty() {
                self.problems.push(
                    Diagnostic::new(format!(
                        "case `{id}`: output checks (equals, contains, min_chrf, ...) \
                         are for generate and translate suites"
                    ))
                    .at(at.clone())
                    .hint("a classify case is judged by its expected label"),
                );
            }
            cases.push(Case {
                id,
                input: draft.input.unwrap_or_default(),
                expected,
                references,
                checks: draft.checks,
                tags: draft.tags,
                vars: draft.vars,
                ignore: draft.ignore,
                source,
            });
        }
        self.rows_without_reference(rows_without_reference);
        cases
    }
}

/// `__` is left out of names: it joins suite and case in snapshot file names.
fn valid_suite_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains("__")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn suggest_suite_name(name: &str) -> String {
    let cleaned: String = name
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "my-suite".to_string()
    } else {
        cleaned
    }
}

fn valid_case_id(id: &str) -> bool {
    !id.is_empty()
        && !id.contains("__")
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}
