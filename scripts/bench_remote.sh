#!/usr/bin/env bash
# The remote overhead per batch (issue 8): the same load served by one local
# executor (`binserve serve`, executors: 1) and by one executor on a worker
# process (`binserve worker` + a coordinator with executors: 0), on loopback,
# real stories260K model, vanilla batches of B. Per-batch time = elapsed /
# batches; the overhead per batch is the difference, and its fraction of the
# local batch time is what distribution costs on top of the compute.
#
#   scripts/bench_remote.sh [BUILD_DIR] [REPEATS]     (default build, 3)
#   MODEL='dummy: stories15m' scripts/bench_remote.sh ...   (another model, as a YAML model map)
set -euo pipefail
BIN=${1:-build}/bin/binserve
REPEATS=${2:-3}
MODEL=${MODEL:-path: $(cd "$(dirname "$0")/.." && pwd)/../shared/models/stories260K.bin}
DIR=$(mktemp -d)
B=8
REQUESTS=256
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$DIR"' EXIT

yaml() {  # yaml FILE EXECUTORS [WORKER_PORT]
  {
    echo "model: {$MODEL}"
    echo "backend: {threads: 1}"
    echo "executors: $2"
    echo "policy: {kind: vanilla, batch_size: $B, max_wait_ms: 2}"
    echo "predictor: {kind: fixed}"
    echo "limits: {max_new_tokens: 256}"
    echo "server: {tcp_port: 0, http_port: -1}"
    if [[ -n "${3:-}" ]]; then echo "workers: [{host: 127.0.0.1, port: $3}]"; fi
  } >"$1"
}

wait_line() {  # wait_line FILE PREFIX: prints the value after PREFIX=
  for _ in $(seq 300); do
    if grep -q "^$2=" "$1" 2>/dev/null; then sed -n "s/^$2=//p" "$1"; return; fi
    sleep 0.1
  done
  echo "no $2 in $1" >&2; exit 1
}

# run_load PORT TOKENS: elapsed seconds of REQUESTS requests of TOKENS tokens.
run_load() {
  "$BIN" loadgen --port "$1" --connections 4 --requests $REQUESTS --workload "const:$2" \
    --max-new-tokens "$2" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])'
}

serve() {  # serve YAML: starts it, prints its tcp port
  "$BIN" serve --config "$1" >"$1.out" 2>"$1.err" &
  echo $! >"$1.pid"
  wait_line "$1.out" tcp_port
}

measure() {  # measure TOKENS MODE (local|remote): elapsed seconds
  local port
  if [[ $2 == local ]]; then
    yaml "$DIR/local.yaml" 1
    port=$(serve "$DIR/local.yaml")
  else
    "$BIN" worker --config "$DIR/w.yaml" --port 0 >"$DIR/w.out" 2>"$DIR/w.err" &
    echo $! >"$DIR/w.pid"
    yaml "$DIR/remote.yaml" 0 "$(wait_line "$DIR/w.out" worker_port)"
    port=$(serve "$DIR/remote.yaml")
  fi
  run_load "$port" 4 >/dev/null  # warm up (and, remote, wait for the worker to join)
  run_load "$port" "$1"
  kill "$(cat "$DIR/$2.yaml.pid")"; wait "$(cat "$DIR/$2.yaml.pid")" 2>/dev/null || true
  if [[ $2 == remote ]]; then kill "$(cat "$DIR/w.pid")"; wait "$(cat "$DIR/w.pid")" 2>/dev/null || true; fi
}

yaml "$DIR/w.yaml" 1
echo "tokens  local_ms_per_batch  remote_ms_per_batch  overhead_ms_per_batch  overhead_fraction"
for tokens in 16 64; do
  for r in $(seq "$REPEATS"); do
    l=$(measure $tokens local); m=$(measure $tokens remote)
    python3 -c "
b = $REQUESTS / $B
l, m = $l * 1e3 / b, $m * 1e3 / b
print(f'{$tokens:6d}  {l:18.2f}  {m:19.2f}  {m - l:21.2f}  {(m - l) / l:17.3f}')"
  done
done
