//! evalgate's snapshots and the real cargo-insta, both ways, on a copy of the quick-start crate
//! (examples/quickstart): what `cargo test` leaves pending, `cargo insta` lists and accepts and
//! `evalgate` lists too; what `evalgate accept` accepts, `cargo test` and `cargo insta` read.
//! `.ci/run` installs cargo-insta and runs this with `--ignored`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Crate {
    dir: tempfile::TempDir,
    target: PathBuf,
}

impl Crate {
    fn copy() -> Crate {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
        let dir = tempfile::tempdir().unwrap();
        for entry in walkdir::WalkDir::new(&source) {
            let entry = entry.unwrap();
            let to = dir.path().join(entry.path().strip_prefix(&source).unwrap());
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&to).unwrap();
            } else {
                std::fs::copy(entry.path(), &to).unwrap();
            }
        }
        // The copy depends on this checkout of evalgate.
        let manifest = dir.path().join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        let text = text.replace(
            "path = \"../..\"",
            &format!("path = {:?}", env!("CARGO_MANIFEST_DIR")),
        );
        std::fs::write(&manifest, text).unwrap();
        // A target folder of its own: the outer `cargo test` may hold this checkout's.
        let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/cargo-insta-fixture");
        Crate { dir, target }
    }

    fn cargo(&self, args: &[&str]) -> Output {
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(args)
            .current_dir(self.dir.path())
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("CI")
            .env_remove("INSTA_UPDATE")
            .env_remove("INSTA_FORCE_PASS")
            .env_remove("INSTA_WORKSPACE_ROOT")
            .env_remove("INSTA_PENDING_DIR")
            .output()
            .unwrap()
    }

    fn evalgate(&self, args: &[&str]) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_evalgate"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("INSTA_WORKSPACE_ROOT")
            .env_remove("INSTA_PENDING_DIR")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn reword(&self, from: &str, to: &str) {
        let lib = self.dir.path().join("src/lib.rs");
        let text = std::fs::read_to_string(&lib).unwrap();
        assert!(text.contains(from));
        std::fs::write(&lib, text.replace(from, to)).unwrap();
    }

    fn pending(&self) -> Vec<String> {
        let output = self.cargo(&["insta", "pending-snapshots", "--as-json"]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
#[ignore = "needs cargo-insta: .ci/run installs it and runs this with --ignored"]
fn cargo_insta_and_evalgate_share_the_review_loop() {
    let project = Crate::copy();
    let tests = project.cargo(&["test", "--test", "suites"]);
    assert!(
        tests.status.success(),
        "the committed snapshots pass: {}",
        text(&tests)
    );

    // The wording changes: `cargo test` fails and leaves a pending snapshot.
    project.reword("We have started your refund", "Your refund has started");
    let failed = project.cargo(&["test", "--test", "suites"]);
    assert!(!failed.status.success());
    assert!(
        text(&failed).contains("snapshot: the output changed from the accepted"),
        "{}",
        text(&failed)
    );
    let pending = project.pending();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert!(
        pending[0].contains("replies__refund.snap"),
        "cargo insta sees it: {pending:?}"
    );
    assert!(
        project
            .evalgate(&["pending"])
            .contains("pending  replies::refund"),
        "evalgate sees it too"
    );

    // cargo insta accepts; evalgate and cargo test read the result.
    let accepted = project.cargo(&["insta", "accept"]);
    assert!(accepted.status.success(), "{}", text(&accepted));
    assert_eq!(project.evalgate(&["pending"]), "no pending snapshots\n");
    let ci = project.cargo(&["test", "--test", "suites"]);
    assert!(ci.status.success(), "{}", text(&ci));

    // Again, the other way: evalgate accepts; cargo insta and cargo test read the result.
    project.reword("Your refund has started", "Your refund is under way");
    assert!(
        !project
            .cargo(&["test", "--test", "suites"])
            .status
            .success()
    );
    assert!(
        project
            .evalgate(&["accept"])
            .contains("accepted replies::refund")
    );
    assert!(project.pending().is_empty(), "nothing left for cargo insta");
    let green = project.cargo(&["test", "--test", "suites"]);
    assert!(green.status.success(), "{}", text(&green));
    let snapshot = std::fs::read_to_string(
        project
            .dir
            .path()
            .join("suites/snapshots/replies__refund.snap"),
    )
    .unwrap();
    assert!(snapshot.contains("Your refund is under way"), "{snapshot}");
}
