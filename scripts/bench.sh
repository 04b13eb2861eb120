#!/usr/bin/env bash
# `make bench`: the engine's decode throughput against batch size, on the
# real stories260K model and on dummy stories15m weights, then a small, fast
# version of the scheduling reproduction (docs/benchmarks.md): Alpaca-trace
# lengths on dummy stories260k weights, policies side by side, with CSVs and
# gnuplot PNGs written to OUT (default build/bench).
set -euo pipefail
bench=${1:-build/bin/binserve-bench}
shared=${2:-../shared}
out=${3:-build/bench}

echo "== bench-engine: stories260K (real weights)"
"$bench" bench-engine --model "$shared/models/stories260K.bin" --batch 1,4,16,64 --context 128
echo "== bench-engine: dummy stories15m"
"$bench" bench-engine --model dummy:stories15m --batch 1,4,16,64 --context 128

mkdir -p "$out"
alpaca=(--model dummy:stories260k,ctx=1024 --workload "$shared/data/alpaca-train-10k-length.json" --batch 16 --cap 512)
echo "== bench: policies on 256 Alpaca-trace requests at once (dummy stories260k), multibin at 1-8 bins"
"$bench" bench "${alpaca[@]}" --requests 256 --policies vanilla,multibin,sequence,continuous \
    --bins-sweep 1,2,4,8 --csv "$out/policies.csv" --plot "$out/bins"
echo "== bench: latency against Poisson load, 128 Alpaca-trace requests"
"$bench" bench "${alpaca[@]}" --requests 128 --policies vanilla,sequence,continuous --rates 20,40,80 \
    --csv "$out/load.csv" --plot "$out/load"
echo "CSVs and plots: $out/policies.csv $out/load.csv $out/bins/ $out/load/"
