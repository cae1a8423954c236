#!/usr/bin/env bash
# Step "Prepare": checks the inputs, masks the token, and works out what the other steps share:
# the run folder, the install root and its cache key, and the pull request being checked.
set -euo pipefail
# shellcheck source=action/lib.sh
source "$GITHUB_ACTION_PATH/action/lib.sh"

if [[ -n ${EVALGATE_TOKEN:-} ]]; then
    printf '::add-mask::%s\n' "$EVALGATE_TOKEN"
fi

problems=0
case ${INPUT_FAIL_ON:-} in
failure | regression | never) ;;
*)
    error "fail-on: '${INPUT_FAIL_ON:-}' is not one of failure, regression, never"
    problems=1
    ;;
esac
case ${INPUT_COMMENT:-} in
true | false) ;;
*)
    error "comment: '${INPUT_COMMENT:-}' is not true or false"
    problems=1
    ;;
esac
case ${INPUT_HISTORY:-false} in
true | false) ;;
*)
    error "history: '${INPUT_HISTORY:-}' is not true or false"
    problems=1
    ;;
esac
if [[ -n ${INPUT_COMMAND:-} && -n ${INPUT_ARGS:-} ]]; then
    error "args is for evalgate run; with command, put the arguments in the command"
    problems=1
fi
workspace=${GITHUB_WORKSPACE:-$PWD}
if [[ ! -d "$workspace/${INPUT_WORKING_DIRECTORY:-.}" ]]; then
    error "working-directory: '${INPUT_WORKING_DIRECTORY:-}' is not a folder of the repository"
    problems=1
fi
if ((problems)); then
    exit 2
fi

# The artifact's name, which also names the run folder and the comment's marker.
artifact=$(printf '%s' "${INPUT_ARTIFACT_NAME:-evalgate-results}" | tr -c 'A-Za-z0-9._-' '-')
run_dir="${RUNNER_TEMP:-/tmp}/evalgate/$artifact"
rm -rf "$run_dir"
mkdir -p "$run_dir"

# evalgate is built from this action's own checkout; the cache key is a hash of its sources.
sha256() {
    if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi
}
sources_hash=$(
    cd "$GITHUB_ACTION_PATH"
    {
        find src -type f -print | LC_ALL=C sort | while IFS= read -r file; do
            printf '%s\n' "$file"
            sha256 <"$file"
        done
        sha256 <Cargo.toml
        sha256 <Cargo.lock
    } | sha256 | cut -c1-20
)
# The runner image too: a binary built on one image's glibc may not start on an older one.
cache_key="evalgate-${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}-${ImageOS:-image}-${ImageVersion:-0}-$sources_hash"
install_root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/evalgate/$sources_hash"
printf '%s\n' "$install_root/bin" >>"$GITHUB_PATH"

pr="" base_sha="" base_ref="" fork=""
case ${GITHUB_EVENT_NAME:-} in
pull_request_target)
    # It runs with the base repository's secrets and a write token; testing the pull request
    # means running its code, which a fork may have written: the "pwn request".
    error "pull_request_target is refused: it would run a pull request's code with this \
repository's secrets and a write token. Use the pull_request event (replay needs no secrets)."
    exit 2
    ;;
pull_request)
    if [[ -f ${GITHUB_EVENT_PATH:-} ]]; then
        pr=$(jq -r '.pull_request.number // empty' "$GITHUB_EVENT_PATH")
        base_sha=$(jq -r '.pull_request.base.sha // empty' "$GITHUB_EVENT_PATH")
        base_ref=$(jq -r '.pull_request.base.ref // empty' "$GITHUB_EVENT_PATH")
        fork=$(jq -r 'if .pull_request.head.repo.full_name == .pull_request.base.repo.full_name
                      then "false" else "true" end' "$GITHUB_EVENT_PATH")
    fi
    ;;
esac

# The run history's cache: a new entry per run (entries cannot be overwritten), restored from the
# newest of this branch's, else the pull request's base branch's, else the default branch's.
default_branch=""
if [[ -f ${GITHUB_EVENT_PATH:-} ]]; then
    default_branch=$(jq -r '.repository.default_branch // empty' "$GITHUB_EVENT_PATH")
fi
history_branch=${GITHUB_HEAD_REF:-${GITHUB_REF_NAME:-local}}
history_prefix="evalgate-history-$artifact"
restore_keys="$history_prefix-$history_branch-"
for branch in "$base_ref" "$default_branch"; do
    if [[ -n $branch && $branch != "$history_branch" ]]; then
        restore_keys+=$'\n'"$history_prefix-$branch-"
    fi
done
set_output history-path "${GITHUB_WORKSPACE:-$PWD}/${INPUT_WORKING_DIRECTORY:-.}/.evalgate"
set_output history-key "$history_prefix-$history_branch-${GITHUB_RUN_ID:-0}-${GITHUB_RUN_ATTEMPT:-1}"
set_output history-restore-keys "$restore_keys"

set_output run-dir "$run_dir"
set_output artifact "$artifact"
set_output install-root "$install_root"
set_output cache-key "$cache_key"
set_output pr "$pr"
set_output base-sha "$base_sha"
set_output base-ref "$base_ref"
set_output fork "$fork"
set_output run-url "${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-}"
