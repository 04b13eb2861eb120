#!/usr/bin/env bash
# The measurements behind docs/reproduction.md, sections 2-4: the Sequence
# Scheduling table on the real engine and in the simulator, the policies
# under Poisson load, and the simulator's fidelity: its cost model fitted
# from the service's own steps on another workload, then the section-2 rows
# simulated beside the engine's. Run it on a quiet machine; every output
# lands in OUT as JSON or CSV.
#
#   scripts/reproduce.sh [BINSERVE_BENCH] [SHARED] [OUT]
#   MODEL=dummy:stories15m REQUESTS=1024 LOAD_MODEL=... RATES=... scripts/reproduce.sh
#   SECTIONS="2 4" scripts/reproduce.sh     (4 needs 2's engine rows)
set -euo pipefail
bench=${1:-build/bin/binserve-bench}
shared=${2:-../shared}
out=${3:-build/repro}
model=${MODEL:-dummy:stories15m}
requests=${REQUESTS:-512}
load_model=${LOAD_MODEL:-dummy:stories260k,ctx=1024}
load_requests=${LOAD_REQUESTS:-512}
rates=${RATES:-40,80,120}
sections=" ${SECTIONS:-2 3 4} "
mkdir -p "$out"
alpaca="$shared/data/alpaca-train-10k-length.json"
shape=(--length-field L_t0.0 --hint-field L_t0.7 --requests "$requests" --batch 16 --cap 512)
# The paper's four rows (vanilla; predicted lengths; predicted + VBS + FCR;
# true lengths + VBS + FCR), then continuous batching.
runs=vanilla,sequence+novbs+nofcr:hint,sequence:hint,sequence,continuous

if [[ $sections == *" 2 "* ]]; then
echo "== 2. engine: $model, $requests Alpaca-trace requests at once"
rm -f "$out/steps_table.jsonl"
"$bench" bench --model "$model" --workload "$alpaca" "${shape[@]}" \
    --policies "$runs" --csv "$out/table_engine.csv" --step-trace "$out/steps_table.jsonl" \
    --json > "$out/table_engine.json"

echo "== 2. cost model: bench-engine sweep on $model"
"$bench" bench-engine --model "$model" --batch 1,4,16,64,128,256 --contexts 32,128,256,448 \
    --steps 8 --json > "$out/engine_sweep.json"

echo "== 2. simulator with the fitted cost model"
"$bench" sim --lengths "$alpaca" "${shape[@]}" --policies "$runs" --cost "$out/engine_sweep.json" \
    --save-cost "$out/cost_model.json" --json > "$out/table_sim.json"
fi

if [[ $sections == *" 3 "* ]]; then
echo "== 3. Poisson load on $load_model: $load_requests requests at rates $rates"
"$bench" bench --model "$load_model" --workload "$alpaca" \
    --requests "$load_requests" --batch 16 --cap 512 --rates "$rates" \
    --policies vanilla,multibin,sequence,continuous,continuous-sjf \
    --csv "$out/load_engine.csv" --plot "$out/load" --json > "$out/load_engine.json"
fi

if [[ $sections == *" 4 "* ]]; then
# The calibration covers the step shapes the simulated rows have, on other
# workloads: uniform lengths under vanilla and continuous up to 256 live
# (every batch size, contexts up to 512) and exponential lengths under
# sequence (VBS batches of up to 163 short sequences).
echo "== 4. calibration: the service's own steps on $model, other workloads"
rm -f "$out/steps.jsonl"
"$bench" bench --model "$model" --workload uniform:1:512 --requests 256 --seed 7 --batch 16 --cap 512 \
    --max-batch 256 --policies vanilla,continuous --step-trace "$out/steps.jsonl" \
    --json > "$out/calibration_uniform.json"
"$bench" bench --model "$model" --workload exponential:50 --requests 512 --seed 7 --batch 16 --cap 512 \
    --policies sequence --step-trace "$out/steps.jsonl" --json > "$out/calibration_exponential.json"
echo "== 4. simulator with the table fitted from those steps, section 2's rows"
"$bench" sim --lengths "$alpaca" "${shape[@]}" --policies "$runs" --cost "$out/steps.jsonl" \
    --save-cost "$out/cost_table.json" --json > "$out/table_sim_steps.json"
echo "== 4. simulator with the table fitted from section 2's own steps (the same runs' costs)"
"$bench" sim --lengths "$alpaca" "${shape[@]}" --policies "$runs" --cost "$out/steps_table.jsonl" \
    --save-cost "$out/cost_table_own.json" --json > "$out/table_sim_own.json"
python3 - "$out/table_engine.json" "$out/table_sim_steps.json" "$out/table_sim_own.json" <<'PY'
import json, sys
engine, other, own = (json.load(open(f))["results"] for f in sys.argv[1:4])
print(f"{'run':28} {'engine req/s':>12} {'sim, calibrated':>15} {'ratio':>6} {'sim, own steps':>14} {'ratio':>6}")
for e, a, b in zip(engine, other, own):
    r = e["requests_per_s"]
    print(f"{e['run']:28} {r:12.3f} {a['throughput']:15.3f} {a['throughput'] / r:6.3f} {b['throughput']:14.3f} {b['throughput'] / r:6.3f}")
PY
fi
echo "outputs in $out"
