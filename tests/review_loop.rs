//! The snapshot review loop through the `evalgate` binary, on a temporary copy of
//! tests/fixtures/snapshots (a model whose answers are `prefix.txt` + the input): a first run in
//! CI fails on missing snapshots and writes nothing; locally it leaves `.snap.new` files; accept
//! makes the run pass; a changed output fails with a diff; review, answered on stdin, accepts,
//! rejects and skips; orphans are listed and pruned only when asked.

#[path = "support/deadline.rs"]
mod deadline;

use std::path::{Path, PathBuf};

use std::process::{Command, Output, Stdio};
use std::time::Duration;

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshots");
        let suites = dir.path().join("suites");
        std::fs::create_dir(&suites).unwrap();
        for entry in std::fs::read_dir(fixture).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), suites.join(entry.file_name())).unwrap();
        }
        Project { dir }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn evalgate(&self, args: &[&str], ci: bool) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_evalgate"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("INSTA_UPDATE")
            .env_remove("INSTA_FORCE_PASS")
            .env_remove("INSTA_WORKSPACE_ROOT")
            .env_remove("INSTA_PENDING_DIR")
            .env_remove("INSTA_OUTPUT")
            .env_remove("CI");
        if ci {
            command.env("CI", "true");
        }
        command
    }

    fn run(&self, ci: bool) -> (Option<i32>, String) {
        let output = deadline::output_within(
            &mut self.evalgate(&["run", "--out", "results.json"], ci),
            Duration::from_secs(60),
        );
        (
            output.status.code(),
            String::from_utf8(output.stdout).unwrap(),
        )
    }

    /// `evalgate run` with extra environment, within a deadline.
    fn run_env(&self, ci: bool, env: &[(&str, &str)]) -> Output {
        let mut command = self.evalgate(&["run", "--out", "r.json"], ci);
        command.envs(env.iter().copied());
        deadline::output_within(&mut command, Duration::from_secs(60))
    }

    fn cli(&self, args: &[&str]) -> String {
        let output = self.evalgate(args, false).output().unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn review(&self, answers: &str) -> String {
        let mut child = self
            .evalgate(&["review"], false)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answers.as_bytes())
            .unwrap();
        let Output { status, stdout, .. } = child.wait_with_output().unwrap();
        assert!(status.success());
        String::from_utf8(stdout).unwrap()
    }

    fn snapshots(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path("suites/snapshots"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    fn set_prefix(&self, prefix: &str) {
        std::fs::write(self.path("suites/prefix.txt"), prefix).unwrap();
    }
}

#[test]
fn the_review_loop_from_first_run_to_green() {
    let project = Project::new();

    // CI: every snapshot is missing, every case fails, nothing is written.
    let (code, stdout) = project.run(true);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("snapshot: new, nothing accepted yet at suites/snapshots/greetings__world.snap:\n  | Hello, world\n"), "{stdout}");
    assert!(stdout.contains("pending:  none written (in CI insta writes nothing; INSTA_UPDATE=new writes it), then evalgate review"), "{stdout}");
    assert!(
        project.snapshots().is_empty(),
        "CI writes nothing: {:?}",
        project.snapshots()
    );

    // Locally: insta leaves pending snapshots, still failing.
    let (code, stdout) = project.run(false);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains(
            "pending:  suites/snapshots/greetings__world.snap.new (review: evalgate review)"
        ),
        "{stdout}"
    );
    assert_eq!(
        project.snapshots(),
        [
            "greetings__moon.snap.new",
            "greetings__sun.snap.new",
            "greetings__world.snap.new",
            "labels__a.snap.new"
        ]
    );
    let pending = project.cli(&["pending"]);
    assert!(pending.contains("pending  greetings::moon"), "{pending}");
    assert!(pending.contains("4 pending, 0 orphaned"), "{pending}");

    // The pending file is insta's: its metadata says where the output came from.
    let new = std::fs::read_to_string(project.path("suites/snapshots/greetings__world.snap.new"))
        .unwrap();
    assert!(
        new.starts_with("---\nsource: suites/greetings.toml\nassertion_line: 8\n"),
        "{new}"
    );
    assert!(
        new.contains("info:\n  input: world\n  prompt: world\n  model:\n"),
        "{new}"
    );
    assert!(
        new.contains("    command:\n      - python3\n      - model.py\n"),
        "{new}"
    );
    assert!(new.ends_with("---\nHello, world\n"), "{new}");
    let label =
        std::fs::read_to_string(project.path("suites/snapshots/labels__a.snap.new")).unwrap();
    assert!(
        label.ends_with("---\nlabel: world\n\nHello, world\n"),
        "a classify snapshot holds the label and the output: {label}"
    );

    // Accept everything: the run passes, in CI too.
    let accepted = project.cli(&["accept"]);
    assert!(
        accepted.contains("accepted greetings::world (suites/snapshots/greetings__world.snap)"),
        "{accepted}"
    );
    assert_eq!(
        project.snapshots(),
        [
            "greetings__moon.snap",
            "greetings__sun.snap",
            "greetings__world.snap",
            "labels__a.snap"
        ]
    );
    let snap =
        std::fs::read_to_string(project.path("suites/snapshots/greetings__world.snap")).unwrap();
    assert!(
        !snap.contains("assertion_line"),
        "accepted snapshots drop the pending-only fields: {snap}"
    );
    let (code, stdout) = project.run(true);
    assert_eq!(code, Some(0), "{stdout}");

    // The model changes: CI fails with the diff, and writes nothing.
    project.set_prefix("Goodbye,");
    let (code, stdout) = project.run(true);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("snapshot: the output changed from the accepted suites/snapshots/greetings__world.snap:\n    [-Hello-]{+Goodbye+}, world\n"), "{stdout}");
    assert_eq!(project.snapshots().len(), 4);

    // Locally: pending snapshots; review accepts one, rejects one, skips one, then input ends.
    let (code, _) = project.run(false);
    assert_eq!(code, Some(1));
    let reviewed = project.review("a\nr\ns\n");
    assert!(
        reviewed.contains("── greetings::moon (1 of 4) ──"),
        "{reviewed}"
    );
    assert!(
        reviewed.contains(
            "changed: [-removed-] {+added+}; - accepted, + new lines:\n[-Hello-]{+Goodbye+}, moon\n"
        ),
        "{reviewed}"
    );
    assert!(reviewed.contains("source: suites/greetings.toml\ndescription: \"output of greetings::moon\"\ninfo:\n  input: moon\n"), "the header insta wrote: {reviewed}");
    assert!(
        reviewed.contains("reviewed: 1 accepted, 1 rejected, 1 skipped; 2 still pending"),
        "{reviewed}"
    );
    let moon =
        std::fs::read_to_string(project.path("suites/snapshots/greetings__moon.snap")).unwrap();
    assert!(moon.ends_with("Goodbye, moon\n"), "accepted: {moon}");
    assert!(
        !project
            .path("suites/snapshots/greetings__sun.snap.new")
            .exists(),
        "rejected"
    );
    assert!(
        project
            .path("suites/snapshots/greetings__world.snap.new")
            .exists(),
        "skipped"
    );

    // Accept with a filter takes only what it names; then the rest.
    let some = project.cli(&["accept", "greetings::world"]);
    assert_eq!(
        some,
        "accepted greetings::world (suites/snapshots/greetings__world.snap)\n"
    );
    project.cli(&["accept"]);
    project.run(false); // the rejected one comes back pending
    project.cli(&["accept"]);
    let (code, stdout) = project.run(true);
    assert_eq!(code, Some(0), "green again: {stdout}");
}

#[test]
fn orphans_are_listed_and_removed_only_when_asked() {
    let project = Project::new();
    project.run(false);
    project.cli(&["accept"]);
    // The case `sun` goes away; its snapshot stays behind.
    let suite = std::fs::read_to_string(project.path("suites/greetings.toml")).unwrap();
    let without_sun = suite.replace("[[case]]\nid = \"sun\"\ninput = \"sun\"\n", "");
    std::fs::write(project.path("suites/greetings.toml"), without_sun).unwrap();
    let pending = project.cli(&["pending"]);
    assert!(pending.contains("orphan   greetings::sun"), "{pending}");
    assert!(
        pending.contains("suites/snapshots/greetings__sun.snap\n"),
        "{pending}"
    );
    let kept = project.cli(&["accept"]);
    assert!(
        kept.contains("1 orphaned snapshots kept; `evalgate accept --prune` deletes them"),
        "{kept}"
    );
    assert!(
        project
            .path("suites/snapshots/greetings__sun.snap")
            .exists()
    );
    let pruned = project.cli(&["accept", "--prune"]);
    assert!(
        pruned.contains("deleted orphan suites/snapshots/greetings__sun.snap"),
        "{pruned}"
    );
    assert!(
        !project
            .path("suites/snapshots/greetings__sun.snap")
            .exists()
    );
    assert!(
        project
            .path("suites/snapshots/greetings__moon.snap")
            .exists(),
        "only the orphan"
    );
}

#[test]
fn insta_settings_behave_as_insta_documents() {
    let project = Project::new();
    // INSTA_FORCE_PASS: the run passes, the pending snapshots are still written.
    let forced = project.run_env(false, &[("INSTA_FORCE_PASS", "1")]);
    assert_eq!(forced.status.code(), Some(0));
    assert_eq!(
        project
            .snapshots()
            .iter()
            .filter(|n| n.ends_with(".snap.new"))
            .count(),
        4
    );
    project.cli(&["reject"]);
    assert!(project.snapshots().is_empty());

    // INSTA_UPDATE=always: snapshots written in place, the run passes.
    let always = project.run_env(false, &[("INSTA_UPDATE", "always")]);
    assert_eq!(always.status.code(), Some(0));
    assert_eq!(
        project.snapshots(),
        [
            "greetings__moon.snap",
            "greetings__sun.snap",
            "greetings__world.snap",
            "labels__a.snap"
        ]
    );

    // INSTA_UPDATE=new in CI (what the GitHub Action does): pending files written, the run fails.
    project.set_prefix("Hi,");
    let in_ci = project.run_env(true, &[("INSTA_UPDATE", "new")]);
    assert_eq!(in_ci.status.code(), Some(1));
    assert_eq!(
        project
            .snapshots()
            .iter()
            .filter(|n| n.ends_with(".snap.new"))
            .count(),
        4
    );
}

#[test]
fn outputs_are_compared_whole() {
    let project = Project::new();
    project.run(false);
    project.cli(&["accept"]);
    // Only trailing whitespace changes: insta alone would call it equal.
    project.set_prefix("Hello,");
    std::fs::write(
        project.path("suites/model.py"),
        std::fs::read_to_string(project.path("suites/model.py"))
            .unwrap()
            .replace(
                "print(json.dumps({\"output\": f\"{prefix} {request['input']}\"}), flush=True)",
                "print(json.dumps({\"output\": f\"{prefix} {request['input']}\\n\"}), flush=True)",
            ),
    )
    .unwrap();
    let (code, stdout) = project.run(true);
    assert_eq!(code, Some(1), "a trailing newline is a change: {stdout}");
    assert!(
        stdout.contains("    + ⏎\n"),
        "the end of the output is shown: {stdout}"
    );
}

#[test]
fn snapshots_accepted_through_insta_are_read_back() {
    // The harness fixture of tests/harness.rs would do; here the CLI and a fresh run must agree
    // on files written by either: a snapshot accepted by one is read by the other.
    let project = Project::new();
    project.run(false);
    // Accept by hand, the way cargo-insta does: load and save through insta, drop the pending.
    for entry in std::fs::read_dir(project.path("suites/snapshots")).unwrap() {
        let path = entry.unwrap().path();
        let snapshot = insta::Snapshot::from_file(&path).unwrap();
        snapshot.save(&path.with_extension("")).unwrap();
        std::fs::remove_file(&path).unwrap();
    }
    assert_eq!(project.cli(&["pending"]), "no pending snapshots\n");
    let (code, stdout) = project.run(true);
    assert_eq!(code, Some(0), "{stdout}");
}

#[test]
fn leading_newlines_and_separator_lines_are_changes_too() {
    // insta's own comparison would forgive these (its "legacy" fallback trims them).
    let project = Project::new();
    project.run(false);
    project.cli(&["accept"]);
    for prefix in ["\\nHello,", "---\\nHello,"] {
        let model = std::fs::read_to_string(project.path("suites/model.py")).unwrap();
        let changed = model.replace(
            "{\"output\": f\"{prefix} {request['input']}\"}",
            &format!("{{\"output\": \"{prefix}\" + \" \" + request['input']}}"),
        );
        std::fs::write(project.path("suites/model.py"), &changed).unwrap();
        let (code, stdout) = project.run(true);
        assert_eq!(code, Some(1), "{prefix:?} in front is a change: {stdout}");
        std::fs::write(project.path("suites/model.py"), model).unwrap();
    }
}

#[test]
fn snapshot_problems_are_reported_not_mistaken_for_changes() {
    let project = Project::new();
    project.run(false);
    project.cli(&["accept"]);
    // A broken accepted snapshot is an error naming it, not a "new" snapshot.
    std::fs::write(
        project.path("suites/snapshots/greetings__moon.snap"),
        "---\nsource: [unclosed\n---\nx\n",
    )
    .unwrap();
    let (code, stdout) = project.run(true);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("snapshot: insta could not check suites/snapshots/greetings__moon.snap: the accepted snapshot cannot be read:"), "{stdout}");
    // A value insta does not know is bad input, before anything runs.
    let bad = project
        .evalgate(&["run", "--out", "r.json"], false)
        .env("INSTA_UPDATE", "bogus")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("error: INSTA_UPDATE=bogus is not a value insta knows")
    );
    // A snapshots "folder" that is a file: the review commands say so and exit 2.
    std::fs::remove_dir_all(project.path("suites/snapshots")).unwrap();
    std::fs::write(project.path("suites/snapshots"), "").unwrap();
    let pending = project.evalgate(&["pending"], false).output().unwrap();
    assert_eq!(pending.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&pending.stderr).contains("cannot read the snapshot folder"),
        "{}",
        String::from_utf8_lossy(&pending.stderr)
    );
}

#[test]
fn a_deleted_suite_leaves_orphans_that_a_filter_can_choose() {
    let project = Project::new();
    project.run(false);
    project.cli(&["accept"]);
    std::fs::remove_file(project.path("suites/labels.toml")).unwrap();
    let pending = project.cli(&["pending"]);
    assert!(
        pending.contains("orphan   labels::a"),
        "the deleted suite's snapshot is found: {pending}"
    );
    let other = project.cli(&["accept", "greetings::", "--prune"]);
    assert!(
        !other.contains("deleted"),
        "the filter leaves labels::a alone: {other}"
    );
    assert!(project.path("suites/snapshots/labels__a.snap").exists());
    let pruned = project.cli(&["accept", "labels::", "--prune"]);
    assert!(
        pruned.contains("deleted orphan suites/snapshots/labels__a.snap"),
        "{pruned}"
    );
}

#[test]
fn forced_through_changes_still_show_and_stay_pending() {
    let project = Project::new();
    let forced = project.run_env(false, &[("INSTA_FORCE_PASS", "1")]);
    let stdout = String::from_utf8(forced.stdout).unwrap();
    assert_eq!(forced.status.code(), Some(0));
    assert!(
        stdout.contains("  snaps  0 matched, 3 new, 0 changed; 3 pending review"),
        "{stdout}"
    );
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(project.path("r.json")).unwrap()).unwrap();
    let snapshot = &results["suites"][0]["cases"][0]["snapshot"];
    assert_eq!(snapshot["status"], "new");
    assert_eq!(snapshot["passed"], true);
    assert!(
        snapshot["pending"].as_str().unwrap().ends_with(".snap.new"),
        "{snapshot}"
    );
}

#[test]
fn the_source_is_the_same_wherever_evalgate_runs() {
    let project = Project::new();
    std::fs::create_dir(project.path(".git")).unwrap(); // the project root
    let inside = Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(["run", ".", "--out", "../r.json"])
        .current_dir(project.path("suites"))
        .env_remove("CI")
        .env_remove("INSTA_WORKSPACE_ROOT")
        .output()
        .unwrap();
    assert_eq!(inside.status.code(), Some(1));
    let written =
        std::fs::read_to_string(project.path("suites/snapshots/greetings__world.snap.new"))
            .unwrap();
    assert!(
        written.contains("source: suites/greetings.toml\n"),
        "{written}"
    );
    let review = String::from_utf8_lossy(&inside.stdout).into_owned();
    assert!(
        review.contains("(review: evalgate review -p .)"),
        "the review command names the suites: {review}"
    );
}
