#!/usr/bin/env bash
# Step "Comment on the pull request": posts the comment, or updates the one an earlier run
# posted (found by the hidden marker on its first line, through every page of the comments).
# A token that may not write (a pull request from a fork, missing `pull-requests: write`) skips
# the comment with a notice: the job summary has the same report.
set -euo pipefail
# shellcheck source=action/lib.sh
source "$GITHUB_ACTION_PATH/action/lib.sh"

body=${EVALGATE_BODY:-}
if [[ -z $body || ! -f $body ]]; then
    warning "no comment body was written: no comment"
    exit 0
fi
if [[ -z ${EVALGATE_TOKEN:-} ]]; then
    notice "no github-token: the comment is skipped"
    exit 0
fi
api=$(api_repo)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
marker=$(head -n 1 "$body")
jq -Rs '{body: .}' <"$body" >"$work/payload.json"

id=""
page=1
while :; do
    status=$(api GET "$api/issues/$EVALGATE_PR/comments?per_page=100&page=$page" "$work/page.json")
    if [[ $status != 200 ]]; then
        warning "cannot list the comments of pull request #$EVALGATE_PR (HTTP $status): no comment"
        exit 0
    fi
    # Only a comment the action's own account wrote: a comment anyone else starts with the
    # marker is not ours to update.
    id=$(jq -r --arg marker "$marker" --arg author "${EVALGATE_COMMENT_AUTHOR:-github-actions[bot]}" \
        'first(.[] | select((.body | startswith($marker)) and (.user.login == $author)) | .id) // empty' \
        "$work/page.json")
    count=$(jq 'length' "$work/page.json")
    if [[ -n $id || $count -lt 100 ]]; then
        break
    fi
    page=$((page + 1))
done

if [[ -n $id ]]; then
    status=$(api PATCH "$api/issues/comments/$id" "$work/response.json" "$work/payload.json")
    verb=updated
    expected=200
else
    status=$(api POST "$api/issues/$EVALGATE_PR/comments" "$work/response.json" "$work/payload.json")
    verb=posted
    expected=201
fi
case $status in
"$expected")
    echo "$verb the comment: $(jq -r '.html_url // .id' "$work/response.json")"
    ;;
401 | 403 | 404)
    if [[ ${EVALGATE_FORK:-} == true ]]; then
        why="a pull request from a fork gets a read-only token"
    else
        why="the job needs permissions: pull-requests: write"
    fi
    notice "the token may not comment on pull request #$EVALGATE_PR (HTTP $status): $why. The comparison and the report are in the job summary."
    ;;
*)
    warning "could not comment on pull request #$EVALGATE_PR (HTTP $status)"
    ;;
esac
