fn main() -> std::process::ExitCode {
    evalgate::Harness::from_dir("suites")
        .model("intent", |req: &evalgate::Request| Ok(quickstart::classify(&req.input)))
        .model("reply", |req: &evalgate::Request| Ok(quickstart::reply(&req.input)))
        .run()
}
