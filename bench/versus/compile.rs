//! Scenario (f): what depending on evalgate costs a user's `cargo test`. Two minimal user
//! crates, written under `target/bench/versus/build/`: one with evalgate as a path dependency
//! with `default-features = false` (as examples/quickstart), whose test runs a suite through the
//! `fn` provider; one with only the crates of evalgate's design card (libtest-mimic, serde, toml,
//! similar, insta, walkdir; the versions and features evalgate's Cargo.toml asks for), whose test
//! does the same by hand. Both start from evalgate's Cargo.lock, so they get the same versions.
//! Each is built from clean (`cargo test --no-run --offline`, debug profile) in a target folder
//! of its own, after one `cargo fetch` that is not timed.

use std::path::{Path, PathBuf};
use std::process::Command;

const LIB: &str = r#"/// The model under test: a word-list intent classifier.
pub fn classify(message: &str) -> &'static str {
    let message = message.to_lowercase();
    if message.contains("refund") {
        "refund"
    } else if message.contains("parcel") {
        "shipping"
    } else {
        "other"
    }
}
"#;

const SUITE: &str = r#"name = "intent"
task = "classify"
labels = ["refund", "shipping", "other"]

[model]
provider = "fn"
name = "intent"

[floors]
accuracy = 1.0

[[case]]
id = "refund"
input = "I want a refund"
expected = "refund"

[[case]]
id = "parcel"
input = "Where is my parcel?"
expected = "shipping"
"#;

const EVALGATE_TEST: &str = r#"fn main() -> std::process::ExitCode {
    evalgate::Harness::from_dir("suites")
        .model("intent", |req: &evalgate::Request| Ok(user::classify(&req.input)))
        .run()
}
"#;

/// The same test written on the design card's crates alone: walk the suites, parse them, one
/// trial per case, a diff on failure, a snapshot of the outputs.
const CARDS_TEST: &str = r#"use libtest_mimic::{Arguments, Failed, Trial};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    id: String,
    input: String,
    expected: String,
}

#[derive(Deserialize)]
struct Suite {
    name: String,
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for entry in walkdir::WalkDir::new("suites").into_iter().flatten() {
        if entry.path().extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let suite: Suite = toml::from_str(&text).unwrap();
            for case in suite.cases {
                let name = format!("{}::{}", suite.name, case.id);
                trials.push(Trial::test(name, move || {
                    let output = user::classify(&case.input);
                    if output == case.expected {
                        insta::assert_snapshot!(case.id.clone(), output);
                        Ok(())
                    } else {
                        let diff = similar::TextDiff::from_words(case.expected.as_str(), output);
                        Err(Failed::from(diff.unified_diff().to_string()))
                    }
                }));
            }
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
"#;

pub struct Projects {
    pub evalgate: PathBuf,
    pub cards: PathBuf,
}

/// Writes both crates and fetches what they need (online only if the registry cache lacks it).
pub fn prepare(root: &Path, dir: &Path, cargo: &str) -> Result<Projects, String> {
    let evalgate = dir.join("with-evalgate");
    let cards = dir.join("design-card-crates");
    let evalgate_deps = format!(
        "evalgate = {{ path = \"{}\", default-features = false }}\n",
        root.display()
    );
    // As evalgate's Cargo.toml has them.
    let cards_deps = "libtest-mimic = \"0.8\"\n\
        serde = { version = \"1.0.229\", features = [\"derive\"] }\n\
        toml = \"1\"\n\
        similar = { version = \"2.7\", features = [\"inline\", \"unicode\"] }\n\
        insta = { version = \"1.49\", default-features = false, features = [\"serde\"] }\n\
        walkdir = \"2.5.1\"\n";
    for (project, deps, test) in [
        (&evalgate, evalgate_deps.as_str(), EVALGATE_TEST),
        (&cards, cards_deps, CARDS_TEST),
    ] {
        std::fs::create_dir_all(project.join("src")).unwrap();
        std::fs::create_dir_all(project.join("tests")).unwrap();
        std::fs::create_dir_all(project.join("suites")).unwrap();
        std::fs::write(
            project.join("Cargo.toml"),
            format!(
                "[package]\nname = \"user\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
                 [workspace]\n\n[dev-dependencies]\n{deps}\n[[test]]\nname = \"suites\"\nharness = false\n"
            ),
        )
        .unwrap();
        std::fs::write(project.join("src/lib.rs"), LIB).unwrap();
        std::fs::write(project.join("tests/suites.rs"), test).unwrap();
        std::fs::write(project.join("suites/intent.toml"), SUITE).unwrap();
        if !project.join("Cargo.lock").exists() {
            std::fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
        }
        let status = cargo_command(cargo, project, &project.join("target"))
            .arg("fetch")
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!("cargo fetch in {} failed", project.display()));
        }
    }
    Ok(Projects { evalgate, cards })
}

/// `cargo test --no-run --offline` of `project` into an emptied `target`.
pub fn clean_build(cargo: &str, project: &Path, target: &Path) -> Command {
    let _ = std::fs::remove_dir_all(target);
    let mut command = cargo_command(cargo, project, target);
    command.args(["test", "--no-run", "--offline"]);
    command
}

fn cargo_command(cargo: &str, project: &Path, target: &Path) -> Command {
    let mut command = Command::new(cargo);
    command
        .current_dir(project)
        .env("CARGO_TARGET_DIR", target)
        // Nothing that would make a clean build less than clean.
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CARGO_BUILD_RUSTC_WRAPPER")
        .env_remove("CARGO_INCREMENTAL")
        .env_remove("RUSTFLAGS");
    command
}
