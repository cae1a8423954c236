#!/usr/bin/env bash
# Step "Summary, annotations and outputs": compares the run with the baseline, appends the
# report (and the comparison) to the job summary, annotates the failing tests, sets the
# action's outputs, writes the pull-request comment's body, and gathers the pending snapshots
# into the run folder for the artifact.
set -euo pipefail
# shellcheck source=action/lib.sh
source "$GITHUB_ACTION_PATH/action/lib.sh"

enter_working_directory
dir=$EVALGATE_RUN_DIR
results="$dir/results.json"
exit_code=${EVALGATE_EXIT_CODE:-}
if [[ ! $exit_code =~ ^[0-9]+$ ]]; then
    exit_code=2
fi
common=(--exit-code "$exit_code")

baseline=${EVALGATE_BASELINE_PATH:-}
if [[ -n $baseline && -f $baseline && -f $results ]]; then
    echo "::group::evalgate compare"
    status=0
    untrusted evalgate compare "$baseline" "$results" \
        --json "$dir/comparison.json" --markdown "$dir/comparison.md" || status=$?
    echo "::endgroup::"
    if ((status > 1)); then
        warning "evalgate compare could not compare the run with the baseline (exit code $status)"
    fi
fi
if [[ -f $dir/comparison.json ]]; then
    common+=(--comparison "$dir/comparison.json")
fi
if [[ -n ${EVALGATE_BASELINE_NOTE:-} ]]; then
    common+=(--baseline-note "$EVALGATE_BASELINE_NOTE")
fi

evalgate github summary "$results" "${common[@]}"
evalgate github annotations "$results"
evalgate github outputs "$results" "${common[@]}"
evalgate github comment-body "$results" "${common[@]}" \
    --run-url "${EVALGATE_RUN_URL:-}" --artifact "$EVALGATE_ARTIFACT" --out "$dir/comment.md"
set_output comment-body "$dir/comment.md"

# The run history: the trend of each suite's metrics and any drift alert, into the summary.
if [[ ${INPUT_HISTORY:-false} == true && -f .evalgate/history.db ]]; then
    if evalgate history plot --last 30 --out "$dir/trend.md"; then
        cat "$dir/trend.md" >>"$GITHUB_STEP_SUMMARY"
    fi
    status=0
    untrusted evalgate history check --markdown "$dir/drift.md" || status=$?
    case $status in
    0) set_output drift false ;;
    1)
        set_output drift true
        cat "$dir/drift.md" >>"$GITHUB_STEP_SUMMARY"
        warning "drift: evalgate history check raised an alert (see the job summary)"
        ;;
    *) notice "evalgate history check could not judge drift (exit code $status)" ;;
    esac
fi

# Pending snapshots, by their path under the working directory.
pending=0
while IFS= read -r -d '' file; do
    mkdir -p "$dir/snapshots/$(dirname "$file")"
    cp "$file" "$dir/snapshots/$file"
    pending=$((pending + 1))
done < <(find . \( -name .git -o -name target -o -name node_modules \) -prune -o \
    -name '*.snap.new' -type f -print0)
if ((pending)); then
    notice "$pending pending snapshots (.snap.new) are in the $EVALGATE_ARTIFACT artifact, under snapshots/: copy them beside the suites and run evalgate review"
fi
