#!/usr/bin/env bash
# Step "Install evalgate" (when the cache had no build of these sources): builds the CLI from
# the action's own checkout, with https for the openai provider.
set -euo pipefail
# shellcheck source=action/lib.sh
source "$GITHUB_ACTION_PATH/action/lib.sh"

if ! command -v cargo >/dev/null; then
    error "cargo is not on PATH: install a Rust toolchain before this action (GitHub's runners have one)"
    exit 1
fi
echo "::group::cargo install evalgate"
cargo install --locked --path "$GITHUB_ACTION_PATH" --features tls --root "$EVALGATE_ROOT"
echo "::endgroup::"
"$EVALGATE_ROOT/bin/evalgate" --version
