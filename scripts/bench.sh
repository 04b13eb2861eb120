#!/usr/bin/env bash
# `make bench`: the engine's decode throughput against batch size, on the
# real stories260K model and on dummy stories15m weights (docs/benchmarks.md).
set -euo pipefail
binserve=${1:-build/bin/binserve}
shared=${2:-../shared}

echo "== bench-engine: stories260K (real weights)"
"$binserve" bench-engine --model "$shared/models/stories260K.bin" --batch 1,4,16,64 --context 128
echo "== bench-engine: dummy stories15m"
"$binserve" bench-engine --model dummy:stories15m --batch 1,4,16,64 --context 128
