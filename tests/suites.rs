//! The project's own suites under `cargo test`: what a user's `tests/suites.rs` looks like.

fn main() -> std::process::ExitCode {
    evalgate::Harness::from_dir("suites").run()
}
