#!/usr/bin/env bash
# Step "Gate", the last: fails the job as `fail-on` says, once the summary, annotations, comment
# and artifact are done.
#   failure     a test that gates failed, or the run could not be judged (verdict error)
#   regression  a significant regression against the baseline (a regression test failed, or the
#               comparison says regressed), or the run could not be judged
#   never       never
set -euo pipefail
# shellcheck source=action/lib.sh
source "$GITHUB_ACTION_PATH/action/lib.sh"

verdict=${EVALGATE_VERDICT:-error}
regressions=${EVALGATE_REGRESSIONS:-0}
comparison=${EVALGATE_COMPARISON:-}
echo "verdict: $verdict; regressions: ${regressions:-0}; comparison: ${comparison:-none}; fail-on: $INPUT_FAIL_ON"

case $INPUT_FAIL_ON in
never)
    exit 0
    ;;
failure)
    case $verdict in
    passed) exit 0 ;;
    failed)
        error "evalgate failed: ${EVALGATE_FAILED:-?} failed, ${EVALGATE_ERRORED:-?} errored (exit code ${EVALGATE_EXIT_CODE:-?}); see the job summary"
        exit 1
        ;;
    esac
    ;;
regression)
    if [[ $verdict != error ]]; then
        if [[ ${regressions:-0} -gt 0 || $comparison == regressed ]]; then
            error "evalgate: a significant regression against the baseline (${regressions:-0} regression tests failed; comparison: ${comparison:-none}); see the job summary"
            exit 1
        fi
        exit 0
    fi
    ;;
esac
error "evalgate could not judge the run (exit code ${EVALGATE_EXIT_CODE:-?}): see the log of the step that ran the suites"
exit 1
