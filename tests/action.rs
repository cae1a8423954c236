//! The GitHub Action, run here without GitHub: action.yml's own steps, in a simulated runner.
//!
//! The test reads action.yml (so it cannot drift from it): its inputs and their defaults, its
//! outputs, and its steps in order. A step's `if:` and the `${{ inputs.* }}`,
//! `${{ steps.*.outputs.* }}` and `${{ github.* }}` expressions of its `env:` and `with:` are
//! evaluated from a simulated context; a `run:` block runs with bash as the runner runs it
//! (`bash --noprofile --norc -eo pipefail`), with fresh `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`,
//! `GITHUB_PATH` and `GITHUB_ENV` files that are read back afterwards; a `uses:` step is recorded
//! instead (actions/cache restores the real `evalgate` binary, or misses; upload-artifact lists
//! the files it would upload). Anything the simulation does not know (another key, context or
//! action) fails the test.
//!
//! Around it: a git repository made of real fixture suites (tests/fixtures/compare base and
//! head, whose head regresses; tests/fixtures/reports and tests/fixtures/action with hostile
//! outputs), a pull_request event payload, and a fake REST API on 127.0.0.1
//! (tests/support/fake_github.py) that serves workflow runs, artifact zips and PR comments, and
//! records every request. The logs are read as the runner reads them: workflow commands are
//! parsed (honouring `::stop-commands::`), so a command a model's output forged would show.

use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use yaml_rust2::{Yaml, YamlLoader};

const BIN: &str = env!("CARGO_BIN_EXE_evalgate");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const REPO: &str = "acme/widgets";
const WRITE_TOKEN: &str = "ghs_writeTOKEN0123456789abcdef";
const READ_TOKEN: &str = "ghs_readonlyTOKEN0123456789abcd";

// ---------------------------------------------------------------------------------------------
// Expressions: the part of GitHub's expression language action.yml uses.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    Str(String),
}

impl Value {
    fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Str(s) => !s.is_empty(),
        }
    }

    fn text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Str(s) => s.clone(),
        }
    }
}

#[derive(Clone, Debug, Default)]
struct StepState {
    outputs: BTreeMap<String, String>,
    outcome: String,
}

struct Context<'a> {
    inputs: &'a BTreeMap<String, String>,
    steps: &'a BTreeMap<String, StepState>,
    github: &'a BTreeMap<String, String>,
    failed: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Op(&'static str),
}

fn tokens(expr: &str) -> Vec<Token> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                assert!(i < chars.len(), "unterminated string in {expr:?}");
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        s.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                s.push(chars[i]);
                i += 1;
            }
            out.push(Token::Str(s));
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_-.".contains(chars[i]))
            {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = ["==", "!=", "&&", "||"]
                .into_iter()
                .find(|op| *op == two)
                .map(|op| (op, 2))
                .or_else(|| {
                    ["!", "(", ")"]
                        .into_iter()
                        .find(|op| op.starts_with(c))
                        .map(|op| (op, 1))
                })
                .unwrap_or_else(|| panic!("the simulation does not know {c:?} in {expr:?}"));
            out.push(Token::Op(op.0));
            i += op.1;
        }
    }
    out
}

struct Parser<'a, 'c> {
    tokens: Vec<Token>,
    at: usize,
    cx: &'a Context<'c>,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn eat(&mut self, op: &str) -> bool {
        if self.peek() == Some(&Token::Op(leak(op))) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Value {
        let mut left = self.and();
        while self.eat("||") {
            let right = self.and();
            left = if left.truthy() { left } else { right };
        }
        left
    }

    fn and(&mut self) -> Value {
        let mut left = self.unary();
        while self.eat("&&") {
            let right = self.unary();
            left = if left.truthy() { right } else { left };
        }
        left
    }

    fn unary(&mut self) -> Value {
        if self.eat("!") {
            return Value::Bool(!self.unary().truthy());
        }
        let left = self.primary();
        for (op, equal) in [("==", true), ("!=", false)] {
            if self.eat(op) {
                let right = self.primary();
                // GitHub compares strings ignoring case; null is ''.
                let same = left.text().eq_ignore_ascii_case(&right.text());
                return Value::Bool(same == equal);
            }
        }
        left
    }

    fn primary(&mut self) -> Value {
        let token = self.peek().cloned().expect("an expression ends too early");
        self.at += 1;
        match token {
            Token::Op("(") => {
                let value = self.or();
                assert!(self.eat(")"), "a parenthesis is not closed");
                value
            }
            Token::Str(s) => Value::Str(s),
            Token::Ident(name) if self.eat("(") => {
                assert!(self.eat(")"), "functions with arguments are not simulated");
                match name.as_str() {
                    "success" => Value::Bool(!self.cx.failed),
                    "failure" => Value::Bool(self.cx.failed),
                    "always" => Value::Bool(true),
                    "cancelled" => Value::Bool(false),
                    other => panic!("the simulation does not know the function {other}()"),
                }
            }
            Token::Ident(name) => self.lookup(&name),
            Token::Op(op) => panic!("unexpected {op}"),
        }
    }

    fn lookup(&self, name: &str) -> Value {
        match name {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            "null" => return Value::Null,
            _ => {}
        }
        let parts: Vec<&str> = name.split('.').collect();
        let found = match parts.as_slice() {
            ["inputs", input] => Some(
                self.cx
                    .inputs
                    .get(*input)
                    .unwrap_or_else(|| panic!("action.yml has no input {input}"))
                    .clone(),
            ),
            ["steps", id, "outputs", output] => self
                .cx
                .steps
                .get(*id)
                .and_then(|s| s.outputs.get(*output).cloned()),
            ["steps", id, "outcome" | "conclusion"] => {
                self.cx.steps.get(*id).map(|s| s.outcome.clone())
            }
            ["github", key] => Some(
                self.cx
                    .github
                    .get(*key)
                    .unwrap_or_else(|| panic!("the simulated github context has no {key}"))
                    .clone(),
            ),
            _ => panic!("the simulation does not know the context {name}"),
        };
        found.map_or(Value::Null, Value::Str)
    }
}

fn leak(op: &str) -> &'static str {
    ["==", "!=", "&&", "||", "!", "(", ")"]
        .into_iter()
        .find(|o| *o == op)
        .unwrap()
}

fn evaluate(expr: &str, cx: &Context) -> Value {
    let mut parser = Parser {
        tokens: tokens(expr),
        at: 0,
        cx,
    };
    let value = parser.or();
    assert!(
        parser.at == parser.tokens.len(),
        "trailing tokens in {expr:?}"
    );
    value
}

/// A string with its `${{ ... }}` expressions replaced by their values.
fn interpolate(template: &str, cx: &Context) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .expect("an expression is not closed")
            + start;
        out.push_str(&evaluate(&rest[start + 3..end], cx).text());
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// An `if:` condition, with or without `${{ }}` around it.
fn condition(text: &str, cx: &Context) -> bool {
    let text = text.trim();
    let inner = text
        .strip_prefix("${{")
        .and_then(|t| t.strip_suffix("}}"))
        .unwrap_or(text);
    evaluate(inner, cx).truthy()
}

// ---------------------------------------------------------------------------------------------
// action.yml
// ---------------------------------------------------------------------------------------------

struct Action {
    inputs: Vec<(String, String)>,
    outputs: Vec<(String, String)>,
    steps: Vec<Step>,
}

struct Step {
    id: Option<String>,
    name: String,
    condition: Option<String>,
    env: Vec<(String, String)>,
    body: Body,
}

enum Body {
    Run(String),
    Uses(String, Vec<(String, String)>),
}

fn scalar(yaml: &Yaml) -> String {
    match yaml {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Null => String::new(),
        other => panic!("not a scalar: {other:?}"),
    }
}

fn pairs(yaml: &Yaml) -> Vec<(String, String)> {
    match yaml {
        Yaml::BadValue => Vec::new(),
        Yaml::Hash(map) => map.iter().map(|(k, v)| (scalar(k), scalar(v))).collect(),
        other => panic!("not a mapping: {other:?}"),
    }
}

fn load_action() -> Action {
    let text = std::fs::read_to_string(Path::new(ROOT).join("action.yml")).unwrap();
    let docs = YamlLoader::load_from_str(&text).unwrap();
    let doc = &docs[0];
    assert_eq!(scalar(&doc["runs"]["using"]), "composite");
    let inputs = doc["inputs"]
        .as_hash()
        .unwrap()
        .iter()
        .map(|(name, spec)| (scalar(name), scalar(&spec["default"])))
        .collect();
    let outputs = doc["outputs"]
        .as_hash()
        .unwrap()
        .iter()
        .map(|(name, spec)| (scalar(name), scalar(&spec["value"])))
        .collect();
    let steps = doc["runs"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|step| {
            let map = step.as_hash().unwrap();
            for key in map.keys() {
                let key = scalar(key);
                assert!(
                    ["id", "name", "if", "shell", "env", "run", "uses", "with"]
                        .contains(&key.as_str()),
                    "the simulation does not know the step key {key}"
                );
            }
            let body = if let Some(run) = step["run"].as_str() {
                assert_eq!(scalar(&step["shell"]), "bash", "run steps use bash");
                Body::Run(run.to_string())
            } else {
                Body::Uses(scalar(&step["uses"]), pairs(&step["with"]))
            };
            Step {
                id: step["id"].as_str().map(str::to_string),
                name: scalar(&step["name"]),
                condition: match &step["if"] {
                    Yaml::BadValue => None,
                    other => Some(scalar(other)),
                },
                env: pairs(&step["env"]),
                body,
            }
        })
        .collect();
    Action {
        inputs,
        outputs,
        steps,
    }
}

// ---------------------------------------------------------------------------------------------
// Workflow commands, as the runner reads a step's log.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct WorkflowCommand {
    name: String,
    properties: BTreeMap<String, String>,
    message: String,
}

fn unescape_data(text: &str) -> String {
    text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

fn unescape_property(text: &str) -> String {
    unescape_data(&text.replace("%3A", ":").replace("%2C", ","))
}

/// The commands the runner finds in a log: lines that start (after spaces) with `::`, except
/// between `::stop-commands::TOKEN` and `::TOKEN::`.
fn workflow_commands(log: &str) -> Vec<WorkflowCommand> {
    let mut out = Vec::new();
    let mut stopped: Option<String> = None;
    for line in log.lines() {
        let line = line.trim_start();
        if let Some(token) = &stopped {
            if line.trim_end() == format!("::{token}::") {
                stopped = None;
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("::") else {
            continue;
        };
        let Some((head, message)) = rest.split_once("::") else {
            continue;
        };
        let (name, props) = head.split_once(' ').unwrap_or((head, ""));
        let properties = props
            .split(',')
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_string(), unescape_property(v)))
            .collect();
        if name == "stop-commands" {
            stopped = Some(message.to_string());
            continue;
        }
        out.push(WorkflowCommand {
            name: name.to_string(),
            properties,
            message: unescape_data(message),
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The fake REST API.
// ---------------------------------------------------------------------------------------------

struct FakeGithub {
    child: Child,
    url: String,
    state: PathBuf,
}

impl FakeGithub {
    fn start(dir: &Path, mut config: Json) -> FakeGithub {
        let state = dir.join("api-state.json");
        config["repo"] = json!(REPO);
        config["tokens"] = json!({ WRITE_TOKEN: "write", READ_TOKEN: "read" });
        config["state"] = json!(state);
        let path = dir.join("api-config.json");
        std::fs::write(&path, config.to_string()).unwrap();
        let mut child = Command::new("python3")
            .arg(Path::new(ROOT).join("tests/support/fake_github.py"))
            .arg(&path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the fake API");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("the fake API did not start: {line:?}"))
            .to_string();
        FakeGithub { child, url, state }
    }

    fn state(&self) -> Json {
        serde_json::from_str(&std::fs::read_to_string(&self.state).unwrap()).unwrap()
    }

    /// The requests served, as `METHOD /path`.
    fn requests(&self) -> Vec<String> {
        self.state()["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap(),
                    r["path"].as_str().unwrap()
                )
            })
            .collect()
    }

    fn comments(&self, pr: u64) -> Vec<Json> {
        self.state()["comments"][pr.to_string()]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for FakeGithub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The simulated runner.
// ---------------------------------------------------------------------------------------------

struct Runner {
    dir: PathBuf,
    workspace: PathBuf,
    event_name: String,
    event: Json,
    api_url: String,
    token: String,
    cache_hit: bool,
    /// Folders put before PATH (a fake cargo).
    path: Vec<PathBuf>,
    /// Variables of the job's environment.
    env: Vec<(String, String)>,
}

#[derive(Debug)]
struct StepLog {
    name: String,
    ran: bool,
    exit: Option<i32>,
    log: String,
    commands: Vec<WorkflowCommand>,
    uses: Option<(String, BTreeMap<String, String>)>,
    /// upload-artifact: the files under its path, relative to it.
    uploaded: Vec<String>,
}

struct Run {
    outputs: BTreeMap<String, String>,
    steps: Vec<StepLog>,
    summary: String,
    /// Whether every step that ran succeeded: the job's result.
    success: bool,
}

impl Run {
    fn step(&self, name: &str) -> &StepLog {
        self.steps
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no step named {name}"))
    }

    fn commands(&self) -> Vec<&WorkflowCommand> {
        self.steps.iter().flat_map(|s| &s.commands).collect()
    }

    fn annotations(&self) -> Vec<&WorkflowCommand> {
        self.commands()
            .into_iter()
            .filter(|c| c.name == "error" && c.properties.contains_key("file"))
            .collect()
    }

    fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("no output {name}"))
    }

    fn logs(&self) -> String {
        self.steps.iter().map(|s| s.log.as_str()).collect()
    }
}

impl Runner {
    fn new(dir: &Path, workspace: &Path, api_url: &str) -> Runner {
        Runner {
            dir: dir.to_path_buf(),
            workspace: workspace.to_path_buf(),
            event_name: "push".into(),
            event: json!({}),
            api_url: api_url.to_string(),
            token: WRITE_TOKEN.into(),
            cache_hit: true,
            path: Vec::new(),
            env: Vec::new(),
        }
    }

    fn pull_request(mut self, number: u64, base: &str, head: &str, fork: bool) -> Runner {
        let head_repo = if fork { "someone/widgets" } else { REPO };
        self.event_name = "pull_request".into();
        self.event = json!({
            "action": "synchronize",
            "number": number,
            "pull_request": {
                "number": number,
                "base": { "sha": base, "ref": "main", "repo": { "full_name": REPO } },
                "head": { "sha": head, "ref": "feature", "repo": { "full_name": head_repo } },
            },
            "repository": { "default_branch": "main" },
        });
        // As GitHub sets them on a pull request.
        self.env
            .push(("GITHUB_REF_NAME".into(), format!("{number}/merge")));
        self.env.push(("GITHUB_HEAD_REF".into(), "feature".into()));
        self
    }

    fn run(&self, given: &[(&str, &str)]) -> Run {
        let action = load_action();
        let temp = self.dir.join("runner-temp");
        let tool_cache = self.dir.join("tool-cache");
        std::fs::create_dir_all(&temp).unwrap();
        std::fs::create_dir_all(&tool_cache).unwrap();
        let event_path = self.dir.join("event.json");
        std::fs::write(&event_path, self.event.to_string()).unwrap();

        let github: BTreeMap<String, String> = [("token", self.token.as_str())]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut steps: BTreeMap<String, StepState> = BTreeMap::new();
        let mut inputs: BTreeMap<String, String> = BTreeMap::new();
        for (name, _) in given {
            assert!(
                action.inputs.iter().any(|(n, _)| n == name),
                "action.yml has no input {name}"
            );
        }
        for (name, default) in &action.inputs {
            let value = match given.iter().find(|(n, _)| n == name) {
                Some((_, v)) => v.to_string(),
                None => {
                    let cx = Context {
                        inputs: &BTreeMap::new(),
                        steps: &steps,
                        github: &github,
                        failed: false,
                    };
                    interpolate(default, &cx)
                }
            };
            inputs.insert(name.clone(), value);
        }

        // The job's environment: this process's, without anything of a real runner or of
        // evalgate, and with no `evalgate` on PATH but the one the action installs.
        let mut env: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, _)| {
                ![
                    "GITHUB_",
                    "RUNNER_",
                    "EVALGATE_",
                    "INSTA_",
                    "OPENAI_",
                    "CARGO_",
                ]
                .iter()
                .any(|p| k.starts_with(p))
                    && k != "CI"
                    && k != "PATH"
            })
            .collect();
        let system_path: Vec<PathBuf> = std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .filter(|p| !p.join("evalgate").exists())
            .collect();
        let workflow_ref = format!("{REPO}/.github/workflows/evalgate.yml@refs/pull/7/merge");
        for (k, v) in [
            ("CI", "true"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_WORKSPACE", self.workspace.to_str().unwrap()),
            ("GITHUB_ACTION_PATH", ROOT),
            ("GITHUB_EVENT_NAME", &self.event_name),
            ("GITHUB_EVENT_PATH", event_path.to_str().unwrap()),
            ("GITHUB_API_URL", &self.api_url),
            ("GITHUB_SERVER_URL", "https://github.invalid"),
            ("GITHUB_REPOSITORY", REPO),
            ("GITHUB_RUN_ID", "4242"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_WORKFLOW_REF", &workflow_ref),
            ("RUNNER_TEMP", temp.to_str().unwrap()),
            ("RUNNER_TOOL_CACHE", tool_cache.to_str().unwrap()),
            ("RUNNER_OS", "Linux"),
            ("RUNNER_ARCH", "X64"),
        ] {
            env.insert(k.to_string(), v.to_string());
        }
        for (k, v) in &self.env {
            env.insert(k.clone(), v.clone());
        }
        let mut added_path: Vec<PathBuf> = Vec::new();

        let mut logs = Vec::new();
        let mut summary = String::new();
        let mut failed = false;
        for (n, step) in action.steps.iter().enumerate() {
            let cx = Context {
                inputs: &inputs,
                steps: &steps,
                github: &github,
                failed,
            };
            let runs = condition(step.condition.as_deref().unwrap_or("success()"), &cx);
            let mut state = StepState::default();
            let mut record = StepLog {
                name: step.name.clone(),
                ran: runs,
                exit: None,
                log: String::new(),
                commands: Vec::new(),
                uses: None,
                uploaded: Vec::new(),
            };
            if !runs {
                state.outcome = "skipped".into();
            } else {
                match &step.body {
                    Body::Run(script) => {
                        let files = self.dir.join(format!("step-{n}"));
                        std::fs::create_dir_all(&files).unwrap();
                        let script_path = files.join("script.sh");
                        std::fs::write(&script_path, script).unwrap();
                        let file = |name: &str| {
                            let path = files.join(name);
                            std::fs::write(&path, "").unwrap();
                            path
                        };
                        let (output, step_summary, path_file, env_file) =
                            (file("output"), file("summary"), file("path"), file("env"));
                        let mut path: Vec<PathBuf> = self.path.clone();
                        path.extend(added_path.iter().rev().cloned());
                        path.extend(system_path.iter().cloned());
                        let result = Command::new("bash")
                            .args(["--noprofile", "--norc", "-eo", "pipefail"])
                            .arg(&script_path)
                            .current_dir(&self.workspace)
                            .env_clear()
                            .envs(&env)
                            .env("PATH", std::env::join_paths(&path).unwrap())
                            .env("GITHUB_OUTPUT", &output)
                            .env("GITHUB_STEP_SUMMARY", &step_summary)
                            .env("GITHUB_PATH", &path_file)
                            .env("GITHUB_ENV", &env_file)
                            .envs(step.env.iter().map(|(k, v)| (k, interpolate(v, &cx))))
                            .stdin(Stdio::null())
                            .output()
                            .unwrap();
                        let stdout = String::from_utf8_lossy(&result.stdout).into_owned();
                        let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
                        record.commands = workflow_commands(&stdout);
                        record.commands.extend(workflow_commands(&stderr));
                        record.log = stdout + &stderr;
                        record.exit = result.status.code();
                        state.outputs = parse_outputs(&std::fs::read_to_string(&output).unwrap());
                        summary.push_str(&std::fs::read_to_string(&step_summary).unwrap());
                        for line in std::fs::read_to_string(&path_file).unwrap().lines() {
                            added_path.push(PathBuf::from(line));
                        }
                        for (k, v) in parse_outputs(&std::fs::read_to_string(&env_file).unwrap()) {
                            env.insert(k, v);
                        }
                        state.outcome = if result.status.success() {
                            "success".into()
                        } else {
                            failed = true;
                            "failure".into()
                        };
                    }
                    Body::Uses(uses, with) => {
                        let (name, pin) = uses.split_once('@').unwrap();
                        assert!(
                            pin.len() == 40 && pin.chars().all(|c| c.is_ascii_hexdigit()),
                            "{uses} is not pinned by a commit"
                        );
                        let with: BTreeMap<String, String> = with
                            .iter()
                            .map(|(k, v)| (k.clone(), interpolate(v, &cx)))
                            .collect();
                        match name {
                            "actions/cache" => {
                                let hit = self.cache_hit;
                                if hit {
                                    let bin = Path::new(&with["path"]).join("bin");
                                    std::fs::create_dir_all(&bin).unwrap();
                                    std::fs::copy(BIN, bin.join("evalgate")).unwrap();
                                }
                                state.outputs.insert("cache-hit".into(), hit.to_string());
                            }
                            "actions/upload-artifact" => {
                                record.uploaded = files_under(Path::new(&with["path"]));
                            }
                            // The run history stays in the workspace from one simulated run to
                            // the next, as the cache would bring it back.
                            "actions/cache/restore" | "actions/cache/save" => {}
                            other => panic!("the simulation does not know the action {other}"),
                        }
                        record.uses = Some((name.to_string(), with));
                        state.outcome = "success".into();
                    }
                }
            }
            if let Some(id) = &step.id {
                steps.insert(id.clone(), state);
            }
            logs.push(record);
        }
        let cx = Context {
            inputs: &inputs,
            steps: &steps,
            github: &github,
            failed,
        };
        let outputs = action
            .outputs
            .iter()
            .map(|(name, value)| (name.clone(), interpolate(value, &cx)))
            .collect();
        Run {
            outputs,
            steps: logs,
            summary,
            success: !failed,
        }
    }
}

/// A `GITHUB_OUTPUT` (or `GITHUB_ENV`) file: `name=value` lines and `name<<DELIMITER` blocks.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            loop {
                let next = lines.next().expect("a heredoc value is not closed");
                if next == delimiter {
                    break;
                }
                value.push(next);
            }
            out.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            out.insert(name.to_string(), value.to_string());
        } else if !line.is_empty() {
            panic!("not an output line: {line:?}");
        }
    }
    out
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// Repositories made of fixtures.
// ---------------------------------------------------------------------------------------------

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.invalid",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn fixture(path: &str) -> PathBuf {
    Path::new(ROOT).join("tests/fixtures").join(path)
}

/// A repository whose `evals/suites` holds the compare fixtures: the base commit (on main) has
/// the base suites, the head commit (the pull request) the head suites, which regress. The
/// model is `models/scripted.py`. Returns the workspace and both commits.
fn compare_repository(dir: &Path) -> (PathBuf, String, String) {
    let ws = dir.join("workspace");
    let suites = ws.join("evals/suites");
    copy_files(&fixture("compare/base"), &suites);
    std::fs::create_dir_all(ws.join("models")).unwrap();
    std::fs::copy(fixture("models/scripted.py"), ws.join("models/scripted.py")).unwrap();
    git(&ws, &["init", "-q"]);
    git(&ws, &["add", "."]);
    git(&ws, &["commit", "-q", "-m", "base"]);
    let base = git(&ws, &["rev-parse", "HEAD"]);
    std::fs::remove_dir_all(&suites).unwrap();
    copy_files(&fixture("compare/head"), &suites);
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-q", "-m", "head"]);
    let head = git(&ws, &["rev-parse", "HEAD"]);
    (ws, base, head)
}

/// The base branch's results artifact: the base suites' results.json and a report beside it.
fn base_artifact(dir: &Path) -> PathBuf {
    let artifact = dir.join("artifact");
    std::fs::create_dir_all(&artifact).unwrap();
    let output = Command::new(BIN)
        .args(["run", "tests/fixtures/compare/base", "--out"])
        .arg(artifact.join("results.json"))
        .current_dir(ROOT)
        .env("CI", "true")
        .env_remove("EVALGATE_CASSETTE")
        .output()
        .unwrap();
    assert!(
        artifact.join("results.json").exists(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(artifact.join("report.md"), "the base run's report\n").unwrap();
    artifact
}

/// Workflow runs of the base branch, newest first: a pull request's run and a fork's (both
/// skipped), a push whose artifact has another name (skipped), then the one with the results.
fn base_runs(artifact: &Path, base: &str) -> Json {
    // A newer run's artifact that this evalgate cannot read: skipped, not fatal.
    let future = artifact.with_file_name("future-artifact");
    std::fs::create_dir_all(&future).unwrap();
    std::fs::write(future.join("results.json"), r#"{"schema_version": 999}"#).unwrap();
    json!([
        { "id": 601, "workflow": "evalgate.yml", "head_branch": "main", "head_sha": "1111111111111111111111111111111111111111",
          "event": "pull_request", "artifacts": [{ "id": 9601, "name": "evalgate-results", "dir": artifact }] },
        { "id": 602, "workflow": "evalgate.yml", "head_branch": "main", "head_sha": "2222222222222222222222222222222222222222",
          "event": "push", "head_repository": "someone/widgets",
          "artifacts": [{ "id": 9602, "name": "evalgate-results", "dir": artifact }] },
        { "id": 603, "workflow": "evalgate.yml", "head_branch": "main", "head_sha": "3333333333333333333333333333333333333333",
          "event": "push", "artifacts": [{ "id": 9603, "name": "other-reports", "dir": artifact },
                                          { "id": 9604, "name": "evalgate-results", "expired": true, "dir": artifact }] },
        { "id": 6035, "workflow": "evalgate.yml", "head_branch": "main", "head_sha": "4444444444444444444444444444444444444444",
          "event": "push", "artifacts": [{ "id": 96035, "name": "evalgate-results", "dir": future }] },
        { "id": 604, "workflow": "evalgate.yml", "head_branch": "main", "head_sha": base,
          "event": "push", "artifacts": [{ "id": 9605, "name": "evalgate-results", "dir": artifact }] },
        { "id": 605, "workflow": "other.yml", "head_branch": "main", "head_sha": base,
          "event": "push", "artifacts": [{ "id": 9606, "name": "evalgate-results", "dir": artifact }] },
    ])
}

/// 120 comments by others, so that the action's comment lands on the second page; one of them
/// by someone who copied the action's marker, which the action must not take for its own.
fn other_comments() -> Json {
    Json::Array(
        (1..=120)
            .map(|i| match i {
                60 => json!({
                    "id": i,
                    "body": "<!-- evalgate-comment id=evalgate-results -->\nall green, trust me",
                    "user": "mallory",
                }),
                _ => json!({ "id": i, "body": format!("comment {i}: evalgate-comment looks good"), "user": "someone" }),
            })
            .collect(),
    )
}

fn results_of(run: &Run) -> Json {
    let path = run.output("results");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The run's results.json agrees with the outputs, and every test that fails and gates has its
/// annotation, at the line results.json gives, in the repository's paths.
fn assert_outputs_and_annotations(run: &Run, prefix: &str) {
    let results = results_of(run);
    let totals = &results["totals"];
    for name in ["passed", "failed", "errored"] {
        assert_eq!(run.output(name), totals[name].to_string(), "output {name}");
    }
    let mut failing = Vec::new();
    for suite in results["suites"].as_array().unwrap() {
        let file = suite["file"].as_str().unwrap();
        for case in suite["cases"].as_array().unwrap() {
            if matches!(case["verdict"].as_str(), Some("fail" | "error")) && case["gating"] == true
            {
                let case_file = case["file"].as_str().unwrap();
                failing.push((
                    case["test"].as_str().unwrap().to_string(),
                    case_file.to_string(),
                    case["line"].as_u64().unwrap(),
                ));
            }
        }
        for floor in suite["floors"].as_array().unwrap() {
            if floor["verdict"] == "fail" && floor["gating"] == true {
                failing.push((
                    floor["test"].as_str().unwrap().to_string(),
                    file.to_string(),
                    floor["line"].as_u64().unwrap(),
                ));
            }
        }
        for regression in suite["regressions"].as_array().into_iter().flatten() {
            if regression["verdict"] == "fail" && regression["gating"] == true {
                failing.push((
                    regression["test"].as_str().unwrap().to_string(),
                    file.to_string(),
                    1,
                ));
            }
        }
    }
    assert!(!failing.is_empty());
    let annotations = run.annotations();
    assert_eq!(
        annotations.len(),
        failing.len(),
        "one annotation per failing test"
    );
    for (test, file, line) in &failing {
        let found = annotations
            .iter()
            .find(|a| a.properties["title"] == *test)
            .unwrap_or_else(|| panic!("no annotation for {test}"));
        assert_eq!(
            found.properties["file"],
            format!("{prefix}{file}"),
            "{test}"
        );
        assert_eq!(found.properties["line"], line.to_string(), "{test}");
        assert!(!found.message.is_empty());
    }
    let mut names: Vec<&str> = failing.iter().map(|(t, _, _)| t.as_str()).collect();
    let mut listed: Vec<&str> = run.output("failed-tests").lines().collect();
    names.sort();
    listed.sort();
    assert_eq!(listed, names, "output failed-tests");
}

/// The token is masked before anything else and printed nowhere but in `::add-mask::`.
fn assert_token_masked(run: &Run, token: &str) {
    let prepare = run.step("Prepare");
    assert!(
        prepare.log.starts_with(&format!("::add-mask::{token}\n")),
        "{}",
        prepare.log
    );
    let leaks = run.logs().matches(token).count();
    assert_eq!(leaks, 1, "the token shows in the logs");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("action")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_pull_request_is_compared_with_the_base_branch_artifact_and_commented_once() {
    let dir = temp_dir("artifact");
    let (ws, base, head) = compare_repository(&dir);
    let artifact = base_artifact(&dir);
    let api = FakeGithub::start(
        &dir,
        json!({ "runs": base_runs(&artifact, &base), "comments": { "7": other_comments() } }),
    );
    let runner = Runner::new(&dir, &ws, &api.url).pull_request(7, &base, &head, false);
    let inputs = [("working-directory", "evals"), ("suites", "suites")];
    let run = runner.run(&inputs);

    // The baseline: run 604's artifact, after the runs that do not qualify.
    assert_eq!(
        run.output("baseline-source"),
        "artifact",
        "{}",
        run.step("Baseline").log
    );
    let baseline: Json =
        serde_json::from_str(&std::fs::read_to_string(run.output("baseline")).unwrap()).unwrap();
    let original: Json =
        serde_json::from_str(&std::fs::read_to_string(artifact.join("results.json")).unwrap())
            .unwrap();
    assert_eq!(baseline, original, "the artifact's results.json, unzipped");
    let requests = api.requests();
    let fetched: Vec<&String> = requests
        .iter()
        .filter(|r| r.contains("/actions/"))
        .collect();
    assert_eq!(
        fetched,
        [
            "GET /repos/acme/widgets/actions/workflows/evalgate.yml/runs",
            "GET /repos/acme/widgets/actions/runs/603/artifacts",
            "GET /repos/acme/widgets/actions/runs/6035/artifacts",
            "GET /repos/acme/widgets/actions/artifacts/96035/zip",
            "GET /repos/acme/widgets/actions/runs/604/artifacts",
            "GET /repos/acme/widgets/actions/artifacts/9605/zip",
        ]
    );
    let listing = &api.state()["requests"][0];
    assert_eq!(listing["query"]["branch"], "main");
    assert_eq!(listing["query"]["status"], "success");
    assert_eq!(listing["token"], "write");

    // Outputs, annotations, the summary.
    assert_eq!(run.output("verdict"), "failed");
    assert_eq!(run.output("comparison"), "regressed");
    assert_eq!(run.output("regressions"), "2");
    assert_outputs_and_annotations(&run, "evals/");
    assert!(
        run.annotations()
            .iter()
            .any(|a| a.properties["file"] == "evals/suites/sentiment.jsonl")
    );
    assert!(
        run.summary.starts_with("## ❌ evalgate: failed\n"),
        "{}",
        &run.summary[..200]
    );
    assert!(run.summary.contains("## ❌ evalgate compare: regressed"));
    assert!(run.summary.contains(&format!("commit {}", &base[..12])));
    assert!(run.summary.len() < 1024 * 1024);
    assert_token_masked(&run, WRITE_TOKEN);

    // One artifact: results, reports, the comparison and the baseline.
    let uploads: Vec<&StepLog> = run
        .steps
        .iter()
        .filter(|s| {
            s.uses
                .as_ref()
                .is_some_and(|(n, _)| n == "actions/upload-artifact")
        })
        .collect();
    assert_eq!(uploads.len(), 1);
    let (_, with) = uploads[0].uses.as_ref().unwrap();
    assert_eq!(with["name"], "evalgate-results");
    assert_eq!(
        Path::new(&with["path"]),
        Path::new(run.output("results")).parent().unwrap()
    );
    for file in [
        "results.json",
        "junit.xml",
        "report.md",
        "report.html",
        "comparison.json",
        "comparison.md",
        "baseline/results.json",
    ] {
        assert!(
            uploads[0].uploaded.iter().any(|f| f == file),
            "{file} in {:?}",
            uploads[0].uploaded
        );
    }

    // The comment: posted once, after looking through both pages of comments.
    let comments = api.comments(7);
    assert_eq!(comments.len(), 121);
    let ours: Vec<&Json> = comments
        .iter()
        .filter(|c| {
            c["body"]
                .as_str()
                .unwrap()
                .starts_with("<!-- evalgate-comment id=evalgate-results -->")
                && c["user"] == "github-actions[bot]"
        })
        .collect();
    assert_eq!(ours.len(), 1);
    let body = ours[0]["body"].as_str().unwrap();
    assert!(body.contains("evalgate compare: regressed"), "{body}");
    assert!(body.contains("https://github.invalid/acme/widgets/actions/runs/4242"));
    assert!(body.len() <= 65_536);
    let id = ours[0]["id"].clone();
    assert!(
        api.requests()
            .contains(&"POST /repos/acme/widgets/issues/7/comments".to_string())
    );

    // The gate fails the job, as the last step, after everything else ran.
    let gate = run.steps.last().unwrap();
    assert_eq!(gate.name, "Gate");
    assert_eq!(gate.exit, Some(1));
    assert!(
        run.steps
            .iter()
            .all(|s| s.name == "Gate" || s.exit.is_none_or(|c| c == 0))
    );
    assert!(!run.success);

    // A second run updates the same comment.
    let again = runner.run(&[
        ("working-directory", "evals"),
        ("suites", "suites"),
        ("fail-on", "never"),
    ]);
    assert!(again.success, "fail-on: never");
    let comments = api.comments(7);
    assert_eq!(comments.len(), 121, "no second comment");
    let ours: Vec<&Json> = comments
        .iter()
        .filter(|c| {
            c["body"]
                .as_str()
                .unwrap()
                .starts_with("<!-- evalgate-comment")
                && c["user"] == "github-actions[bot]"
        })
        .collect();
    assert_eq!(ours.len(), 1);
    let planted = comments.iter().find(|c| c["id"] == 60).unwrap();
    assert!(
        planted.get("edits").is_none(),
        "someone else's comment is left alone"
    );
    assert_eq!(ours[0]["id"], id);
    assert_eq!(ours[0]["edits"], 1);
    let requests = api.requests();
    assert_eq!(requests.iter().filter(|r| r.starts_with("POST")).count(), 1);
    assert!(requests.contains(&format!("PATCH /repos/acme/widgets/issues/comments/{id}")));
    assert!(requests.contains(&"GET /repos/acme/widgets/issues/7/comments".to_string()));
    let pages: Vec<Json> = api.state()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "/repos/acme/widgets/issues/7/comments" && r["method"] == "GET")
        .map(|r| r["query"]["page"].clone())
        .collect();
    assert_eq!(
        pages,
        ["1", "2", "1", "2"],
        "the comments are read page by page"
    );
}

#[test]
fn without_an_artifact_the_base_commit_is_replayed_and_evalgate_is_installed() {
    let dir = temp_dir("replay");
    let (ws, base, head) = compare_repository(&dir);
    let api = FakeGithub::start(&dir, json!({ "runs": [] }));
    // A cache miss: the install step runs `cargo install`, here a stand-in that records its
    // arguments and installs the binary this test was built with.
    let fake = dir.join("fake-cargo");
    std::fs::create_dir_all(&fake).unwrap();
    let log = dir.join("cargo-args.txt");
    std::fs::write(
        fake.join("cargo"),
        format!(
            "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > '{}'\nwhile [[ $# -gt 0 ]]; do [[ $1 == --root ]] && root=$2; shift; done\nmkdir -p \"$root/bin\" && cp '{BIN}' \"$root/bin/evalgate\"\n",
            log.display()
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(fake.join("cargo"))
        .status()
        .unwrap();
    let mut runner = Runner::new(&dir, &ws, &api.url).pull_request(7, &base, &head, false);
    runner.cache_hit = false;
    runner.path = vec![fake];
    let run = runner.run(&[("working-directory", "evals"), ("fail-on", "regression")]);

    let install_root = run
        .steps
        .iter()
        .find_map(|s| {
            s.uses
                .as_ref()
                .filter(|(n, _)| n == "actions/cache")
                .map(|(_, w)| w["path"].clone())
        })
        .unwrap();
    let args: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        args,
        [
            "install",
            "--locked",
            "--path",
            ROOT,
            "--features",
            "tls",
            "--root",
            install_root.as_str()
        ]
    );

    assert_eq!(
        run.output("baseline-source"),
        "replay",
        "{}",
        run.step("Baseline").log
    );
    let baseline: Json =
        serde_json::from_str(&std::fs::read_to_string(run.output("baseline")).unwrap()).unwrap();
    assert_eq!(
        baseline["git"]["commit"],
        base.as_str(),
        "the base commit's run"
    );
    assert_eq!(baseline["cassette_mode"], "replay");
    assert!(
        baseline["suites"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "retired"),
        "the base commit's suites"
    );
    assert_eq!(
        git(&ws, &["worktree", "list"]).lines().count(),
        1,
        "the worktree is removed"
    );
    assert!(run.summary.contains("replayed from its cassettes"));
    assert_eq!(run.output("comparison"), "regressed");
    assert_outputs_and_annotations(&run, "evals/");

    // fail-on: regression fails on the regression.
    assert_eq!(run.steps.last().unwrap().exit, Some(1));
    let gate = &run.steps.last().unwrap().commands;
    assert!(
        gate.iter()
            .any(|c| c.name == "error" && c.message.contains("significant regression")),
        "{gate:?}"
    );
    // The comment was posted with the write token.
    assert_eq!(api.comments(7).len(), 1);
}

#[test]
fn a_fork_with_a_read_only_token_skips_the_comment_with_a_notice() {
    let dir = temp_dir("fork");
    let (ws, base, head) = compare_repository(&dir);
    let artifact = base_artifact(&dir);
    let api = FakeGithub::start(&dir, json!({ "runs": base_runs(&artifact, &base) }));
    let mut runner = Runner::new(&dir, &ws, &api.url).pull_request(7, &base, &head, true);
    runner.token = READ_TOKEN.into();
    let run = runner.run(&[("working-directory", "evals")]);

    // Reading works with the read-only token: the artifact is the baseline.
    assert_eq!(run.output("baseline-source"), "artifact");
    let comment = run.step("Comment on the pull request");
    assert_eq!(comment.exit, Some(0), "{}", comment.log);
    let notices: Vec<&WorkflowCommand> = comment
        .commands
        .iter()
        .filter(|c| c.name == "notice")
        .collect();
    assert_eq!(notices.len(), 1, "{}", comment.log);
    assert!(
        notices[0].message.contains("HTTP 403"),
        "{}",
        notices[0].message
    );
    assert!(notices[0].message.contains("fork"));
    assert!(api.comments(7).is_empty());
    assert!(
        api.state()["requests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["token"] == "read")
    );
    assert_token_masked(&run, READ_TOKEN);
    // The job fails on its tests, at the gate, not on the comment.
    assert_eq!(run.steps.last().unwrap().exit, Some(1));
    assert!(
        run.steps
            .iter()
            .filter(|s| s.exit.is_some_and(|c| c != 0))
            .count()
            == 1
    );
}

#[test]
fn model_outputs_cannot_issue_workflow_commands_and_fail_on_decides_the_gate() {
    let dir = temp_dir("nasty");
    let ws = dir.join("workspace");
    copy_files(&fixture("reports"), &ws.join("checks"));
    copy_files(&fixture("action/nasty"), &ws.join("checks"));
    copy_files(&fixture("action/snapshots"), &ws.join("checks"));
    copy_files(&fixture("action/passing"), &ws.join("passing"));
    std::fs::create_dir_all(ws.join("models")).unwrap();
    std::fs::copy(fixture("models/scripted.py"), ws.join("models/scripted.py")).unwrap();
    git(&ws, &["init", "-q"]);
    let api = FakeGithub::start(&dir, json!({ "runs": [] }));
    let runner = Runner::new(&dir, &ws, &api.url);

    let run = runner.run(&[("suites", "checks"), ("fail-on", "failure")]);
    assert_eq!(run.output("verdict"), "failed");
    assert_outputs_and_annotations(&run, "");
    // Every command in the logs is one the action wrote.
    for command in run.commands() {
        let ours = match command.name.as_str() {
            "error" => {
                command.properties.contains_key("file")
                    || command
                        .properties
                        .get("title")
                        .is_some_and(|t| t == "evalgate")
            }
            "notice" | "warning" => command
                .properties
                .get("title")
                .is_some_and(|t| t == "evalgate"),
            "add-mask" => command.message == WRITE_TOKEN,
            "group" | "endgroup" => true,
            _ => false,
        };
        assert!(ours, "a command the action did not write: {command:?}");
        assert!(
            !command.message.contains("forged") && !command.message.contains("while stopped"),
            "{command:?}"
        );
    }
    // The outputs the model tried to set are not set, and its texts reached the log.
    assert!(run.logs().contains("::set-output name=verdict::passed"));
    assert!(run.logs().contains("::error::after resuming"));
    // An error message a model wrote is one escaped line of its annotation.
    let annotation = run
        .annotations()
        .into_iter()
        .find(|a| a.properties["title"] == "errors::percent-and-cr")
        .unwrap();
    assert_eq!(
        annotation.message,
        "the model reported an error: 100% sure, title: x %0A\r::warning::after a CR"
    );
    let raw = run
        .step("Summary, annotations and outputs")
        .log
        .lines()
        .find(|l| l.contains("title=errors%3A%3Apercent-and-cr"))
        .unwrap()
        .to_string();
    assert!(
        raw.ends_with("100%25 sure, title: x %250A%0D::warning::after a CR"),
        "{raw}"
    );
    assert!(
        raw.starts_with(
            "::error file=checks/errors.toml,line=19,title=errors%3A%3Apercent-and-cr::"
        ),
        "{raw}"
    );
    // The pending snapshot is in the artifact, and was written beside the suite.
    let upload = run.step("Upload the results and reports");
    assert!(
        upload
            .uploaded
            .contains(&"snapshots/checks/snapshots/story__once-upon.snap.new".to_string()),
        "{:?}",
        upload.uploaded
    );
    assert!(
        ws.join("checks/snapshots/story__once-upon.snap.new")
            .exists()
    );
    assert!(
        run.commands()
            .iter()
            .any(|c| c.name == "notice" && c.message.contains("1 pending snapshots"))
    );
    // No baseline and no comment on a push.
    assert_eq!(run.output("baseline-source"), "");
    assert!(!run.step("Comment on the pull request").ran);
    assert!(api.requests().is_empty());
    // The gate per fail-on, on a failing run.
    assert_eq!(run.steps.last().unwrap().exit, Some(1));
    for (fail_on, exit) in [("regression", 0), ("never", 0)] {
        let run = runner.run(&[("suites", "checks"), ("fail-on", fail_on)]);
        assert_eq!(
            run.steps.last().unwrap().exit,
            Some(exit),
            "fail-on {fail_on}"
        );
        assert_eq!(run.success, exit == 0);
    }
    // A passing run passes; bad input (exit 2) is an error for every fail-on but never.
    let run = runner.run(&[("suites", "passing")]);
    assert_eq!(
        (run.output("verdict"), run.steps.last().unwrap().exit),
        ("passed", Some(0))
    );
    assert_eq!(run.output("failed"), "0");
    assert!(run.summary.starts_with("## ✅ evalgate: passed"));
    for (fail_on, exit) in [("failure", 1), ("regression", 1), ("never", 0)] {
        let run = runner.run(&[("suites", "no-such-folder"), ("fail-on", fail_on)]);
        assert_eq!(run.output("verdict"), "error");
        assert_eq!(run.output("results"), "");
        assert_eq!(
            run.steps.last().unwrap().exit,
            Some(exit),
            "fail-on {fail_on}"
        );
        assert!(run.summary.contains("no results.json"));
    }
    // A bad input value stops the action at once.
    let run = runner.run(&[("fail-on", "sometimes")]);
    assert_eq!(run.step("Prepare").exit, Some(2));
    assert!(!run.step("Gate").ran);
    assert!(!run.success);
}

#[test]
fn a_command_is_judged_by_the_results_it_writes_or_by_its_exit_code() {
    let dir = temp_dir("command");
    let ws = dir.join("workspace");
    copy_files(&fixture("action/passing"), &ws.join("passing"));
    std::fs::create_dir_all(ws.join("models")).unwrap();
    std::fs::copy(fixture("models/scripted.py"), ws.join("models/scripted.py")).unwrap();
    git(&ws, &["init", "-q"]);
    let api = FakeGithub::start(&dir, json!({ "runs": [] }));
    let runner = Runner::new(&dir, &ws, &api.url);

    // A command that writes results where the action says.
    let run = runner.run(&[(
        "command",
        "evalgate run passing --out \"$EVALGATE_RESULTS\"",
    )]);
    assert_eq!(run.output("verdict"), "passed");
    assert_eq!(run.output("passed"), "3");
    let upload = run
        .steps
        .iter()
        .find(|s| {
            s.uses
                .as_ref()
                .is_some_and(|(n, _)| n == "actions/upload-artifact")
        })
        .unwrap();
    for file in ["results.json", "junit.xml", "report.md", "report.html"] {
        assert!(upload.uploaded.iter().any(|f| f == file), "{file}");
    }
    assert_eq!(run.steps.last().unwrap().exit, Some(0));

    // One that writes none (as `cargo test` does): its exit code decides.
    let run = runner.run(&[("command", "echo 'test result: FAILED'; exit 101")]);
    assert_eq!(run.output("verdict"), "failed");
    assert_eq!(run.output("passed"), "");
    assert!(run.summary.contains("exited with code 101"));
    assert_eq!(run.steps.last().unwrap().exit, Some(1));
    let notice = run
        .step("Run the suites")
        .commands
        .iter()
        .find(|c| c.name == "notice")
        .map(|c| c.message.clone());
    assert!(notice.is_some_and(|m| m.contains("no results.json")));
}

#[test]
fn expressions_evaluate_as_on_github() {
    let inputs: BTreeMap<String, String> = [("comment", "true"), ("empty", "")]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let mut steps = BTreeMap::new();
    steps.insert(
        "cache".to_string(),
        StepState {
            outputs: [("cache-hit".to_string(), "true".to_string())].into(),
            outcome: "success".into(),
        },
    );
    let github = [("token".to_string(), "t".to_string())].into();
    let cx = Context {
        inputs: &inputs,
        steps: &steps,
        github: &github,
        failed: false,
    };
    assert!(!condition("steps.cache.outputs.cache-hit != 'true'", &cx));
    assert!(condition(
        "inputs.comment == 'TRUE' && steps.prepare.outputs.pr == ''",
        &cx
    ));
    assert!(condition(
        "${{ !cancelled() && steps.cache.outputs.cache-hit != '' }}",
        &cx
    ));
    assert!(!condition("inputs.empty || failure()", &cx));
    assert_eq!(
        interpolate("a ${{ github.token }} b ${{ inputs.empty }}c", &cx),
        "a t b c"
    );
    let log = "::notice::one\n  ::stop-commands::abc\n::error::hidden\n::abc::\n ::warning file=a%2Cb,line=2::two%0Alines\n";
    let found = workflow_commands(log);
    assert_eq!(found.len(), 2);
    assert_eq!(found[1].properties["file"], "a,b");
    assert_eq!(found[1].message, "two\nlines");
}

/// No expression inside a `run:` block (inputs reach the scripts through `env:` only), scripts
/// in files under action/, and every action pinned by a commit with its version beside it.
#[test]
fn action_yml_keeps_expressions_out_of_scripts_and_pins_actions() {
    let action = load_action();
    for step in &action.steps {
        match &step.body {
            Body::Run(script) => {
                assert!(
                    !script.contains("${{"),
                    "an expression in the run: of {}",
                    step.name
                );
                assert!(
                    script.starts_with("bash \"$GITHUB_ACTION_PATH/action/")
                        && script.lines().count() == 1,
                    "{} runs a script of action/: {script}",
                    step.name
                );
                let file = script
                    .trim()
                    .trim_start_matches("bash \"$GITHUB_ACTION_PATH/")
                    .trim_end_matches('"');
                let text = std::fs::read_to_string(Path::new(ROOT).join(file)).unwrap();
                assert!(text.contains("\nset -euo pipefail\n"), "{file}");
            }
            Body::Uses(..) => {}
        }
    }
    let workflows = std::fs::read_dir(Path::new(ROOT).join(".github/workflows"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .chain([
            Path::new(ROOT).join("action.yml"),
            Path::new(ROOT).join("examples/workflows/sharded.yml"),
        ]);
    for file in workflows {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            let Some(uses) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses: ")
            else {
                continue;
            };
            let target = uses.split_whitespace().next().unwrap();
            if target == "./" || target.starts_with("OWNER/evalgate@") {
                continue;
            }
            let (_, pin) = target.split_once('@').unwrap();
            assert!(
                pin.len() == 40 && pin.chars().all(|c| c.is_ascii_hexdigit()),
                "{}: {line}",
                file.display()
            );
            assert!(
                uses.contains(" # v"),
                "{}: the version beside {line}",
                file.display()
            );
        }
    }
}

#[test]
fn pull_request_target_is_refused() {
    // It would run a pull request's code with the repository's secrets and a write token.
    let dir = temp_dir("pull-request-target");
    let (output, path) = (dir.join("output"), dir.join("path"));
    std::fs::write(&output, "").unwrap();
    std::fs::write(&path, "").unwrap();
    let run = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("action/prepare.sh"))
        .env("GITHUB_ACTION_PATH", env!("CARGO_MANIFEST_DIR"))
        .env("GITHUB_EVENT_NAME", "pull_request_target")
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_PATH", &path)
        .env("RUNNER_TEMP", &dir)
        .env("INPUT_FAIL_ON", "failure")
        .env("INPUT_COMMENT", "true")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(2), "{log}");
    let commands = workflow_commands(&log);
    assert!(
        commands
            .iter()
            .any(|c| c.name == "error" && c.message.starts_with("pull_request_target is refused")),
        "{log}"
    );
}

#[test]
fn the_run_history_is_kept_in_the_cache_and_its_trend_summarised() {
    let dir = temp_dir("history");
    let (ws, _, _) = compare_repository(&dir);
    let api = FakeGithub::start(&dir, json!({}));
    let runner = Runner::new(&dir, &ws, &api.url);
    let inputs = [
        ("working-directory", "evals"),
        ("history", "true"),
        ("fail-on", "never"),
    ];
    let first = runner.run(&inputs);
    assert_eq!(first.output("drift"), "false", "{}", first.summary);
    // Restored before the run and saved after it, under a key of its own per run.
    let caches: Vec<&(String, BTreeMap<String, String>)> = first
        .steps
        .iter()
        .filter_map(|s| s.uses.as_ref())
        .filter(|(name, _)| name.starts_with("actions/cache/"))
        .collect();
    let names: Vec<&str> = caches.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["actions/cache/restore", "actions/cache/save"]);
    let (restore, save) = (&caches[0].1, &caches[1].1);
    let history = ws.join("evals/.evalgate");
    assert_eq!(restore["path"], history.to_str().unwrap());
    assert_eq!(save["key"], restore["key"]);
    assert!(
        restore["key"].starts_with("evalgate-history-evalgate-results-"),
        "{restore:?}"
    );
    assert!(restore["key"].ends_with("-4242-1"), "{restore:?}");
    assert_eq!(
        restore["restore-keys"], "evalgate-history-evalgate-results-main-",
        "a push to main restores main's newest history"
    );
    assert!(history.join("history.db").is_file());
    assert!(first.summary.contains("xychart-beta"), "{}", first.summary);

    // The next run finds the history and adds to it. The same suites' quality cannot drift; a
    // loaded machine's timing can (the latency alert), and then the summary says so.
    let second = runner.run(&inputs);
    match second.output("drift") {
        "false" => {}
        "true" => assert!(
            second.summary.contains("## evalgate history: drift")
                && second.summary.contains("latency_p95_ms")
                && !second.summary.contains("#### ❌ accuracy"),
            "{}",
            second.summary
        ),
        other => panic!("drift = {other:?}\n{}", second.summary),
    }
    let shown = Command::new(BIN)
        .args([
            "history",
            "show",
            "--suite",
            "sentiment",
            "--metric",
            "accuracy",
        ])
        .current_dir(ws.join("evals"))
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&shown.stdout);
    assert_eq!(
        table.lines().filter(|l| l.contains("accuracy")).count(),
        2,
        "{table}"
    );

    // Without the input, nothing of it.
    let without = runner.run(&[("working-directory", "evals"), ("fail-on", "never")]);
    assert_eq!(without.output("drift"), "");
    assert!(!without.summary.contains("xychart-beta"));
}
