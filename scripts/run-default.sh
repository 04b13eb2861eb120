#!/usr/bin/env bash
# `make run`: starts the default deployment (examples/stories260k.yaml) on free
# ports, sends a few prompts through the TCP client (streamed), prints the
# server's stats, and stops the server cleanly (SIGTERM: it drains first).
set -euo pipefail
binserve=${1:-build/bin/binserve}
config=${2:-examples/stories260k.yaml}

ports=$(mktemp)
"$binserve" serve --config "$config" --tcp-port 0 --http-port 0 > "$ports" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; rm -f "$ports"' EXIT
for _ in $(seq 1 200); do
  grep -q '^http_port=' "$ports" && break
  kill -0 $server 2>/dev/null || { echo "run: binserve serve failed to start" >&2; exit 1; }
  sleep 0.05
done
tcp=$(sed -n 's/^tcp_port=//p' "$ports")
http=$(sed -n 's/^http_port=//p' "$ports")

for prompt in "Once upon a time" "Lily wanted a puppy" "The little robot" "One day, Tom found a box"; do
  echo "== $prompt"
  "$binserve" client --port "$tcp" --prompt "$prompt" --max-new-tokens 256 --stream
done
"$binserve" client --port "$tcp" --stats
echo "(the same server speaks the OpenAI API: curl http://127.0.0.1:$http/v1/completions" \
     "-H 'Content-Type: application/json' -d '{\"prompt\": \"Once upon a time\", \"max_tokens\": 64}')"

kill -TERM $server
wait $server
trap - EXIT
rm -f "$ports"
echo "run: server stopped cleanly"
