fn main() -> std::process::ExitCode {
    evalgate::Harness::from_dir("suites")
        .model("intent", |req: &evalgate::Request| Ok(quickstart::classify(&req.input)))
        .run()
}
