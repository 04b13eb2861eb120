#!/usr/bin/env bash
# The measurements behind docs/reproduction.md, sections 2-4: the Sequence
# Scheduling table on the real engine and in the simulator (with a cost
# model fitted from bench-engine just before), and the policies under
# Poisson load. Run it on a quiet machine; every output lands in OUT as JSON
# or CSV.
#
#   scripts/reproduce.sh [BINSERVE] [SHARED] [OUT]
#   MODEL=dummy:stories15m REQUESTS=1024 LOAD_MODEL=... RATES=... scripts/reproduce.sh
set -euo pipefail
binserve=${1:-build/bin/binserve}
shared=${2:-../shared}
out=${3:-build/repro}
model=${MODEL:-dummy:stories15m}
requests=${REQUESTS:-512}
load_model=${LOAD_MODEL:-dummy:stories260k,ctx=1024}
load_requests=${LOAD_REQUESTS:-512}
rates=${RATES:-40,80,120}
mkdir -p "$out"
alpaca="$shared/data/alpaca-train-10k-length.json"
shape=(--length-field L_t0.0 --hint-field L_t0.7 --requests "$requests" --batch 16 --cap 512)
# The paper's four rows (vanilla; predicted lengths; predicted + VBS + FCR;
# true lengths + VBS + FCR), then continuous batching.
runs=vanilla,sequence+novbs+nofcr:hint,sequence:hint,sequence,continuous

echo "== 2. engine: $model, $requests Alpaca-trace requests at once"
"$binserve" bench --model "$model" --workload "$alpaca" "${shape[@]}" \
    --policies "$runs" --csv "$out/table_engine.csv" --json > "$out/table_engine.json"

echo "== 2. cost model: bench-engine sweep on $model"
"$binserve" bench-engine --model "$model" --batch 1,4,16,64,128,256 --contexts 32,128,256,448 \
    --steps 8 --json > "$out/engine_sweep.json"

echo "== 2. simulator with the fitted cost model"
"$binserve" sim --lengths "$alpaca" "${shape[@]}" --policies "$runs" --cost "$out/engine_sweep.json" \
    --save-cost "$out/cost_model.json" --json > "$out/table_sim.json"

echo "== 3. Poisson load on $load_model: $load_requests requests at rates $rates"
"$binserve" bench --model "$load_model" --workload "$alpaca" \
    --requests "$load_requests" --batch 16 --cap 512 --rates "$rates" \
    --policies vanilla,multibin,sequence,continuous,continuous-sjf \
    --csv "$out/load_engine.csv" --plot "$out/load" --json > "$out/load_engine.json"
echo "outputs in $out"
