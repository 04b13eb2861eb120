#!/usr/bin/env bash
# End-to-end test of the HTTP API through the official OpenAI Node SDK.
# usage: run.sh BINSERVE INSTALL_DIR SHARED_DIR
#   BINSERVE     the binserve binary to serve with
#   INSTALL_DIR  where the pinned npm packages go (under the build folder;
#                reused while package-lock.json is unchanged)
#   SHARED_DIR   the shared/ folder holding models/stories260K.bin
# Starts `binserve serve` on stories260K (HTTP on a free port, TCP off), runs
# openai_sdk.test.mjs against it, stops it with SIGTERM and expects exit 0.
# Exit: 0 passed, 1 failed, 2 usage, 77 skipped (printed "SKIP: reason"): no
# node or npm, node older than 18.17, or no shared/ model.
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ $# -eq 3 ] || { echo "usage: $0 BINSERVE INSTALL_DIR SHARED_DIR" >&2; exit 2; }
binserve=$(realpath "$1") install_dir=$(realpath -m "$2") shared=$(realpath -m "$3")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

command -v node >/dev/null || skip "node is not on PATH (scripts/install-deps.sh installs nodejs and npm)"
command -v npm >/dev/null || skip "npm is not on PATH (scripts/install-deps.sh installs nodejs and npm)"
# 18.17: node:test's before() and --test-reporter; Debian 12 ships 18.20.
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 18 || (a === 18 && b >= 17) ? 0 : 1)' ||
  skip "node $(node --version) is older than 18.17, which this test needs"
model=$shared/models/stories260K.bin
[ -f "$model" ] || skip "$model is absent (../shared not beside the project)"
[ -x "$binserve" ] || fail "$binserve is not an executable"

# The pinned SDK, installed once per lock file: npm ci is exact and offline
# from npm's cache after the first run.
install_sdk() {
  local stamp=$install_dir/.package-lock.sha256
  local want
  want=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$install_dir/node_modules/openai" ]; then
    return 0
  fi
  echo "openai-sdk: npm ci into $install_dir"
  mkdir -p "$install_dir"
  rm -rf "$install_dir/node_modules" "$stamp"
  cp "$here/package.json" "$here/package-lock.json" "$install_dir/"
  (cd "$install_dir" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci failed in $install_dir"
  echo "$want" >"$stamp"
}
install_sdk
# The test runs from beside node_modules, where `import 'openai'` resolves.
cp "$here/openai_sdk.test.mjs" "$install_dir/"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/binserve-openai-sdk.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# step_delay_ms slows every decode step, so that a 200-token stream is still
# running when the abort case disconnects (stories260K alone takes < 1 ms a token).
cat >"$tmp/deploy.yaml" <<EOF
model:
  path: $model
backend:
  kind: cpu
  threads: 1
executors: 1
policy:
  kind: continuous
  batch_size: 8
  max_batch_size: 8
  max_wait_ms: 2
predictor:
  kind: fixed
  fixed_length: 200
limits:
  queue_capacity: 64
  max_new_tokens: 256
faults:
  step_delay_ms: 3
server:
  host: 127.0.0.1
  tcp_port: -1
  http_port: 0
logging:
  level: warn
EOF

show_server_log() { echo "--- binserve stderr ---" >&2; tail -n 40 "$tmp/stderr" >&2 || true; }

"$binserve" serve --config "$tmp/deploy.yaml" >"$tmp/stdout" 2>"$tmp/stderr" &
server_pid=$!
port=""
for _ in $(seq 300); do  # up to 30 s for the model to load
  port=$(sed -n 's/^http_port=\([0-9]*\)$/\1/p' "$tmp/stdout")
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { show_server_log; fail "binserve serve exited before printing http_port"; }
  sleep 0.1
done
[ -n "$port" ] || { show_server_log; fail "binserve serve printed no http_port= line in 30 s"; }
echo "openai-sdk: binserve serving on http://127.0.0.1:$port (node $(node --version))"

test_rc=0
BINSERVE_URL="http://127.0.0.1:$port" node --test --test-reporter=spec "$install_dir/openai_sdk.test.mjs" || test_rc=$?

# SIGTERM drains and exits 0; allow 30 s.
kill -TERM "$server_pid" 2>/dev/null || true  # already gone: wait reports how it ended
for _ in $(seq 300); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && { show_server_log; fail "binserve serve still running 30 s after SIGTERM"; }
server_rc=0
wait "$server_pid" || server_rc=$?
server_pid=""

[ "$test_rc" -eq 0 ] || { show_server_log; fail "the OpenAI SDK test failed (node exit $test_rc)"; }
[ "$server_rc" -eq 0 ] || { show_server_log; fail "binserve serve exited $server_rc after SIGTERM, not 0"; }
echo "openai-sdk: passed; binserve exited 0 on SIGTERM"
