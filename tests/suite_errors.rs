//! Every kind of bad suite input, one fixture each (tests/fixtures/errors/), with the exact
//! message a user sees: what is wrong, file:line:column, the source line, and a hint.

use evalgate::diagnostic::Diagnostics;
use evalgate::suite::{self, Functions, LoadOptions};
use std::path::PathBuf;

/// The problems loading one fixture reports, as the CLI prints them.
fn problems(fixture: &str) -> String {
    let file = PathBuf::from(format!("tests/fixtures/errors/{fixture}.toml"));
    let files = suite::discover(&[file]).expect("the fixture exists");
    let options = LoadOptions {
        functions: Functions::Registered(vec!["registered".to_string()]),
    };
    let loaded = suite::load(&files, &options);
    assert!(loaded.suites.is_empty(), "{fixture} must not load");
    Diagnostics(&loaded.problems()).to_string()
}

macro_rules! error_kinds {
    ($($kind:ident),* $(,)?) => {
        $(
            #[test]
            fn $kind() {
                insta::assert_snapshot!(stringify!($kind), problems(stringify!($kind)));
            }
        )*
    };
}

error_kinds!(
    toml_syntax,
    unknown_key,
    wrong_type,
    unknown_task,
    missing_input,
    duplicate_case_id,
    expected_not_in_labels,
    unknown_metric,
    floor_out_of_range,
    unknown_placeholder,
    missing_var,
    invalid_regex,
    label_pattern_groups,
    missing_cases_file,
    unreadable_cases_file,
    cases_file_is_a_folder,
    malformed_jsonl,
    csv_without_input,
    csv_ragged_row,
    command_not_found,
    command_path_not_found,
    empty_labels,
    unknown_provider,
    fn_not_registered,
    missing_model,
    provider_key_mismatch,
    bad_suite_name,
    checks_on_classify,
    several_problems,
    unknown_task_still_checks_cases,
    openai_keys,
    translate_without_reference,
    reference_and_references,
    sentence_score_out_of_range,
    translate_floors,
    reference_without_check,
    reference_on_classify,
    translate_cases_file_fields,
    translate_csv_references,
    translate_rows_without_reference,
    empty_reference,
    translate_value_types,
    translate_metric_on_generate,
    floor_mode_and_confidence,
    repeat_values,
);

#[test]
fn a_key_pasted_into_api_key_env_is_not_repeated() {
    let text = problems("openai_keys");
    assert!(!text.contains("sk-proj-pasted-key-do-not-echo"), "{text}");
}

#[test]
fn duplicate_suite_names_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let body = "name = \"same\"\ntask = \"generate\"\n[model]\nprovider = \"fn\"\nname = \"registered\"\n[[case]]\ninput = \"x\"\n";
    std::fs::write(dir.path().join("a.toml"), body).unwrap();
    std::fs::write(dir.path().join("b.toml"), body).unwrap();
    let files = suite::discover(&[dir.path().to_path_buf()]).unwrap();
    let loaded = suite::load(
        &files,
        &LoadOptions {
            functions: Functions::Registered(vec!["registered".to_string()]),
        },
    );
    assert_eq!(loaded.suites.len(), 1);
    assert_eq!(loaded.broken.len(), 1);
    let message = loaded.broken[0].problems[0].to_string();
    assert!(
        message.starts_with("error: suite name `same` is already used by "),
        "{message}"
    );
    assert!(message.contains("b.toml:1:1"), "{message}");
}

#[test]
fn missing_paths_and_empty_folders() {
    let dir = tempfile::tempdir().unwrap();
    let problems =
        suite::discover(&[dir.path().join("nope"), dir.path().to_path_buf()]).unwrap_err();
    let text = Diagnostics(&problems).to_string();
    assert!(text.contains("error: no such file or folder: "), "{text}");
    assert!(
        text.contains("error: no suite files (*.toml) under "),
        "{text}"
    );
    assert!(text.ends_with("2 problems found"), "{text}");
}
