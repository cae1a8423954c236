#!/usr/bin/env bash
# Step "Run the suites": `evalgate run` on `suites` with `args`, or the `command`, writing
# results.json, JUnit, Markdown and HTML into the run folder. A failing run does not fail this
# step: its exit code is the output `exit-code`, and the gate (the last step) judges it after
# the summary, annotations, comment and artifact are done.
set -euo pipefail
# shellcheck source=action/lib.sh
source "$GITHUB_ACTION_PATH/action/lib.sh"

enter_working_directory
dir=$EVALGATE_RUN_DIR
results="$dir/results.json"
reports=(--junit "$dir/junit.xml" --markdown "$dir/report.md" --html "$dir/report.html")
# Pending snapshots (.snap.new) are written for review, and uploaded with the reports.
export INSTA_UPDATE=${INSTA_UPDATE:-new}
baseline=${EVALGATE_BASELINE_PATH:-}
status=0

if [[ -n ${INPUT_COMMAND:-} ]]; then
    export EVALGATE_RESULTS="$results"
    if [[ -n $baseline ]]; then
        export EVALGATE_BASELINE="$baseline"
    fi
    echo "::group::${INPUT_COMMAND%%$'\n'*}"
    untrusted bash -c "$INPUT_COMMAND" || status=$?
    echo "::endgroup::"
    if [[ -f $results ]]; then
        if [[ ${INPUT_HISTORY:-false} == true ]]; then
            evalgate history record "$results" || notice "the run could not be recorded in the history"
        fi
        evalgate report "$results" "${reports[@]}" || status=$((status ? status : 2))
    else
        notice "the command wrote no results.json at \$EVALGATE_RESULTS: the job is judged on its exit code ($status) alone, without reports or annotations"
    fi
else
    read -r -d '' -a suites <<<"${INPUT_SUITES:-}" || true
    read -r -d '' -a args <<<"${INPUT_ARGS:-}" || true
    # A shard is compared after `evalgate merge`, not on its own.
    if [[ -n $baseline && " ${args[*]-} " != *" --shard "* && " ${args[*]-} " != *" --shard="* ]]; then
        args+=(--baseline "$baseline")
    fi
    # The history records whole runs: a shard is recorded after `evalgate merge`.
    if [[ ${INPUT_HISTORY:-false} == true && " ${args[*]-} " != *" --shard"* ]]; then
        args+=(--history)
    fi
    untrusted evalgate run ${suites[@]+"${suites[@]}"} ${args[@]+"${args[@]}"} \
        --out "$results" "${reports[@]}" || status=$?
fi

echo "exit code: $status"
set_output exit-code "$status"
