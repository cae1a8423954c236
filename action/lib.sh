# shellcheck shell=bash
# Helpers shared by the action's step scripts (sourced, never run on their own).
#
# Workflow commands that carry text are escaped; output that may hold text a model wrote runs
# under `::stop-commands::`, so that no line of it is taken for a command; step outputs use the
# heredoc form when a value has more than one line; the token goes to curl on stdin, never on
# its command line.

# A message for a workflow command: `%`, CR and LF escaped.
escape_data() {
    local text=$1
    text=${text//'%'/%25}
    text=${text//$'\r'/%0D}
    text=${text//$'\n'/%0A}
    printf '%s' "$text"
}

notice() { printf '::notice title=evalgate::%s\n' "$(escape_data "$*")"; }
warning() { printf '::warning title=evalgate::%s\n' "$(escape_data "$*")"; }
error() { printf '::error title=evalgate::%s\n' "$(escape_data "$*")"; }

# 128 random bits in hex.
random_hex() {
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# set_output NAME VALUE: appends to $GITHUB_OUTPUT.
set_output() {
    local name=$1 value=$2 delimiter
    if [[ $value == *$'\n'* || $value == *$'\r'* ]]; then
        delimiter="ghadelimiter_$(random_hex)"
        printf '%s<<%s\n%s\n%s\n' "$name" "$delimiter" "$value" "$delimiter" >>"$GITHUB_OUTPUT"
    else
        printf '%s=%s\n' "$name" "$value" >>"$GITHUB_OUTPUT"
    fi
}

# untrusted COMMAND...: runs a command whose output may hold text from models (diffs, outputs)
# with workflow commands off, and returns its status.
untrusted() {
    local token status=0
    token=$(random_hex)
    printf '::stop-commands::%s\n' "$token"
    # stderr too: a separate pipe could reach the runner after the resume line.
    "$@" 2>&1 || status=$?
    printf '::%s::\n' "$token"
    return "$status"
}

# Goes to the folder the suites run in: `working-directory`, under the repository's root.
enter_working_directory() {
    cd "${GITHUB_WORKSPACE:-.}" || exit 2
    cd "${INPUT_WORKING_DIRECTORY:-.}" || exit 2
}

# The API's address and the repository's path under it.
api_repo() {
    printf '%s/repos/%s' "${GITHUB_API_URL:-https://api.github.com}" "$GITHUB_REPOSITORY"
}

# api METHOD URL OUT [BODY]: a REST API request with the token; the response body goes to OUT
# and the HTTP status is printed (000 when no response came).
api() {
    local method=$1 url=$2 out=$3 body=${4:-}
    local -a extra=()
    if [[ -n $body ]]; then
        extra=(--header 'Content-Type: application/json' --data-binary "@$body")
    fi
    curl_with_token --request "$method" --output "$out" --write-out '%{http_code}' \
        --header 'Accept: application/vnd.github+json' \
        --header 'X-GitHub-Api-Version: 2022-11-28' \
        ${extra[@]+"${extra[@]}"} "$url" || true
}

# curl with the token in a config read from stdin: not in the process list, and (since curl
# 7.58) not sent on to another host when a redirect leads there (artifact downloads do).
curl_with_token() {
    local token=${EVALGATE_TOKEN:-}
    if [[ ! $token =~ ^[A-Za-z0-9_.-]*$ ]]; then
        warning "github-token has characters no GitHub token has; the API is called without it"
        token=""
    fi
    {
        if [[ -n $token ]]; then
            printf 'header = "Authorization: Bearer %s"\n' "$token"
        fi
    } | curl --silent --show-error --location --retry 2 --connect-timeout 10 --max-time 300 \
        --config - "$@"
}
