#!/usr/bin/env bash
# Fairness measurement (docs/reliability.md, section 4): a light client's
# latency alone and beside a client that keeps its connection at the
# per-connection in-flight limit, on stories260K (CPU backend). Each
# connection is one client of the fair share (request::client "tcp:<n>").
# Usage: scripts/fairness.sh BINSERVE [SHARED_DIR] [FLOOD_IN_FLIGHT] [POLICY]
# FLOOD_IN_FLIGHT (default 64, the limit) above 64 makes the flooder also
# collect `overloaded` errors for its excess. POLICY (default vanilla): any
# policy.kind; batches (continuous: live sequences) of 16.
set -euo pipefail
bin=${1:?usage: fairness.sh BINSERVE [SHARED_DIR] [FLOOD_IN_FLIGHT] [POLICY]}
shared=$(realpath "${2:-../shared}")
flood_in_flight=${3:-64}
policy=${4:-vanilla}
dir=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
cat > "$dir/fair.yaml" <<YAML
model: {path: $shared/models/stories260K.bin}
backend: {kind: cpu, threads: 1}
policy: {kind: $policy, batch_size: 16, max_batch_size: 16, max_wait_ms: 5}
predictor: {kind: fixed, fixed_length: 16}
limits: {queue_capacity: 4096, max_new_tokens: 64}
server: {tcp_port: 0, http_port: -1, per_connection_in_flight: 64}
logging: {level: warn}
YAML
"$bin" serve --config "$dir/fair.yaml" > "$dir/serve.out" &
server=$!
for _ in $(seq 100); do grep -q tcp_port= "$dir/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^tcp_port=//p' "$dir/serve.out")
light() {
  "$bin" loadgen --port "$port" --connections 1 --requests 100 --workload const:16 \
      --max-new-tokens 16 --arrival poisson:4 --seed 1 --json
}
echo "light alone:"; light
"$bin" soak --port "$port" --connections 1 --in-flight "$flood_in_flight" --requests 100000000 \
    --seconds 40 --drain-seconds 30 --max-new-tokens 16 --cancel-ratio 0 --disconnect-ratio 0 \
    --malformed-ratio 0 --oversized-prompt-ratio 0 --stream-ratio 0 --json > "$dir/flood.json" &
flood=$!
sleep 2
echo "light beside the flooder:"; light
wait $flood || true
echo "flooder:"; cat "$dir/flood.json"
