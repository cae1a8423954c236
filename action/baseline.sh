#!/usr/bin/env bash
# Step "Baseline": the results to compare the run with.
#
# `baseline: auto` on a pull request, in order:
#   1. the base branch's latest results artifact: the newest successful runs of this workflow on
#      the base branch (pushes to this repository, not pull requests), the first of them with a
#      live artifact named `artifact-name`, its results.json;
#   2. else the base commit's suites run again from their cassettes (`git worktree add` at the
#      pull request's base commit, EVALGATE_CASSETTE=replay): no secrets, no live model.
# `baseline: none`: no baseline. Any other value: the path of a results.json.
#
# Outputs: path (empty without a baseline), source (artifact, replay, input or empty), note.
set -euo pipefail
# shellcheck source=action/lib.sh
source "$GITHUB_ACTION_PATH/action/lib.sh"

dir="$EVALGATE_RUN_DIR/baseline"
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
found() { # found SOURCE NOTE
    set_output path "$dir/results.json"
    set_output source "$1"
    set_output note "$2"
    echo "baseline: $2"
}

case ${INPUT_BASELINE:-auto} in
none | "")
    exit 0
    ;;
auto) ;;
*)
    enter_working_directory
    if [[ ! -f $INPUT_BASELINE ]]; then
        error "baseline: $INPUT_BASELINE is not a file (from $PWD)"
        exit 2
    fi
    cp "$INPUT_BASELINE" "$dir/results.json"
    found input "$INPUT_BASELINE"
    exit 0
    ;;
esac

if [[ -z ${EVALGATE_PR:-} ]]; then
    echo "not a pull request: no baseline"
    exit 0
fi

# 1. The base branch's latest results artifact.
from_artifact() {
    local api response status workflow branch runs run artifact url head_sha
    api=$(api_repo)
    response="$work/response.json"
    # This workflow's file, from owner/repo/.github/workflows/ci.yml@refs/...; all runs if unknown.
    workflow=${GITHUB_WORKFLOW_REF:-}
    workflow=${workflow%@*}
    workflow=${workflow##*/}
    branch=$(jq -rn --arg b "$EVALGATE_BASE_REF" '$b | @uri')
    if [[ -n $workflow ]]; then
        url="$api/actions/workflows/$workflow/runs?branch=$branch&status=success&per_page=20"
    else
        url="$api/actions/runs?branch=$branch&status=success&per_page=20"
    fi
    status=$(api GET "$url" "$response")
    if [[ $status != 200 ]]; then
        echo "listing the workflow runs of $EVALGATE_BASE_REF: HTTP $status"
        return 1
    fi
    runs=$(jq -r --arg repo "$GITHUB_REPOSITORY" '[.workflow_runs[]
        | select(.head_repository.full_name == $repo and (.event | startswith("pull_request") | not))
        ][:10][] | "\(.id) \(.head_sha)"' "$response")
    while read -r run head_sha; do
        [[ -n $run ]] || continue
        status=$(api GET "$api/actions/runs/$run/artifacts?per_page=100" "$response")
        [[ $status == 200 ]] || continue
        artifact=$(jq -r --arg name "$EVALGATE_ARTIFACT" \
            'first(.artifacts[] | select(.name == $name and (.expired | not)) | .id) // empty' "$response")
        [[ -n $artifact ]] || continue
        status=$(api GET "$api/actions/artifacts/$artifact/zip" "$work/artifact.zip")
        if [[ $status != 200 ]]; then
            echo "downloading artifact $artifact of run $run: HTTP $status"
            continue
        fi
        rm -f "$dir/results.json"
        unzip -q -o -j "$work/artifact.zip" results.json -d "$dir" || true
        # One this evalgate cannot read (another schema version, a broken file) would fail
        # every run: the next run's artifact, or the replay, is taken instead.
        if [[ -f $dir/results.json ]] && ! evalgate report "$dir/results.json" >/dev/null 2>&1; then
            echo "artifact $artifact of run $run has a results.json this evalgate cannot read"
            rm -f "$dir/results.json"
            continue
        fi
        if [[ -f $dir/results.json ]]; then
            found artifact "the results artifact of $EVALGATE_BASE_REF (workflow run $run, commit ${head_sha:0:12})"
            return 0
        fi
        echo "artifact $artifact of run $run has no results.json"
    done <<<"$runs"
    echo "no successful run of this workflow on $EVALGATE_BASE_REF has a live $EVALGATE_ARTIFACT artifact"
    return 1
}

# 2. The base commit's suites, replayed from their cassettes.
from_base_commit() {
    local repo worktree status=0
    [[ -n ${EVALGATE_BASE_SHA:-} ]] || return 1
    # A merge of shards reads other jobs' artifacts, which the base commit does not have.
    if [[ ${INPUT_COMMAND:-} == "evalgate merge"* ]]; then
        echo "the base commit is not replayed for a merge of shards: its shards' results are another run's artifacts"
        return 1
    fi
    repo=${GITHUB_WORKSPACE:-$PWD}
    if ! git -C "$repo" cat-file -e "$EVALGATE_BASE_SHA^{commit}" 2>/dev/null; then
        git -C "$repo" fetch --quiet --no-tags --depth=1 origin "$EVALGATE_BASE_SHA" || {
            echo "cannot fetch the base commit $EVALGATE_BASE_SHA"
            return 1
        }
    fi
    worktree="${RUNNER_TEMP:-/tmp}/evalgate-base-$(random_hex)"
    # Called in an `||` list, where `set -e` does not apply: every failure is checked.
    if ! git -C "$repo" worktree add --quiet --detach "$worktree" "$EVALGATE_BASE_SHA"; then
        echo "cannot check out the base commit $EVALGATE_BASE_SHA"
        return 1
    fi
    echo "::group::the base commit ${EVALGATE_BASE_SHA:0:12}, replayed from its cassettes"
    (
        cd "$worktree/${INPUT_WORKING_DIRECTORY:-.}" || exit 2
        unset EVALGATE_TOKEN GITHUB_TOKEN
        export EVALGATE_CASSETTE=replay
        if [[ -n ${INPUT_COMMAND:-} ]]; then
            export EVALGATE_RESULTS="$dir/results.json"
            untrusted bash -c "$INPUT_COMMAND"
        else
            read -r -d '' -a suites <<<"${INPUT_SUITES:-}" || true
            read -r -d '' -a args <<<"${INPUT_ARGS:-}" || true
            untrusted evalgate run ${suites[@]+"${suites[@]}"} ${args[@]+"${args[@]}"} \
                --out "$dir/results.json"
        fi
    ) || status=$?
    echo "::endgroup::"
    git -C "$repo" worktree remove --force "$worktree" || true
    if [[ ! -f $dir/results.json ]]; then
        echo "the base commit's run wrote no results (exit code $status)"
        return 1
    fi
    found replay "the base commit ${EVALGATE_BASE_SHA:0:12} of $EVALGATE_BASE_REF, replayed from its cassettes"
}

from_artifact || from_base_commit || notice "no baseline for the comparison: the base branch has no results artifact, and its base commit's suites did not run from their cassettes"
