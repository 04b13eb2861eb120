#!/usr/bin/env bash
# Issue 18: the CUDA backend's first GPU run, as ONE device call (a lent
# machine goes back 30 s after a call and each start costs 1-2 of the 15
# device minutes). docs/benchmarks.md, "CUDA backend", says how to read it.
#
#   here:    scripts/gpu-bundle.sh              # build-gpu-bundle/bundle.tar.xz
#   device:  run(command="bash scripts/gpu-first.sh build-gpu-bundle",
#                carry=["build-gpu-bundle"], timeout_s=590)   then give_back
#
# Stages, each under its own time limit, the whole under BUDGET seconds (540:
# the script stops itself before the 10-minute call limit):
#   facts     device, driver, OS; where libcudart/libcublas/libcublasLt come from;
#             stops if `ldd` finds a library missing
#   gate      the CUDA tests; stops unless they ran on the GPU and passed
#             (scripts/gpu-gate.sh: a machine without a GPU skips them all)
#   memcheck  compute-sanitizer on two small CUDA tests
#   engine    bench-engine dummy:llama2-7b fp16, batch 1,16,64, context 512, with
#             the copy-bandwidth roofline; then batch 1,16 again (the spread)
#   torch     scripts/bench_torch.py, transformers eager, the same shapes
#   policies  vanilla, then sequence (oracle lengths, VBS, FCR) on the Alpaca
#             lengths, batch 16, cap 512; the request count is the largest of
#             1024 768 512 384 256 128 that the measured step time says fits
#   ncu       per-kernel times of bench-engine at batch 1 and 16, with > 90 s left
#   summary   one table of it all, printed last (the reply carries the end)
# Files back: $OUT/log.txt and $OUT/raw.tgz (every stage's own output).
# Batch 256 (a 66 GB KV cache) needs kind nvidia-h200: not in this run.
set -uo pipefail
bundle=${1:?usage: gpu-first.sh BUNDLE}
budget=${BUDGET:-540}
t0=$(date +%s)
out=${OUT:-gpu-results}
raw=$out/raw
mkdir -p "$raw"
exec > >(tee -a "$out/log.txt") 2>&1
here=$(cd "$(dirname "$0")" && pwd)

left() { echo $((budget - ($(date +%s) - t0))); }
pack() { tar -czf "$out/raw.tgz" -C "$out" raw; }
finish() {  # finish RC MESSAGE: pack what there is and stop
  echo "== stop after $(($(date +%s) - t0)) s: $2"
  pack
  exit "$1"
}
# run_stage NAME LIMIT CMD...: CMD under min(LIMIT, time left - 20 s); its rc
run_stage() {
  local name=$1 limit=$2
  shift 2
  local cap=$(($(left) - 20))
  ((cap < limit)) && limit=$cap
  if ((limit < 10)); then
    echo "== $name: skipped, $(left) s left"
    return 124
  fi
  echo "== $name (limit ${limit} s, $(left) s left)"
  timeout --kill-after=5 "$limit" "$@"
  local rc=$?
  ((rc == 124 || rc == 137)) && echo "== $name: stopped at its ${limit} s limit"
  return $rc
}

if [[ -f "$bundle/bundle.tar.xz" ]]; then
  mkdir -p /tmp/binserve-bundle && tar -xJf "$bundle/bundle.tar.xz" -C /tmp/binserve-bundle
  bundle=/tmp/binserve-bundle
fi
bundle=$(cd "$bundle" && pwd)
bin=$bundle/bin
model=dummy:llama2-7b
lengths=$bundle/shared/data/alpaca-train-10k-length.json

# ---- facts -------------------------------------------------------------------
echo "== facts"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv | tee "$raw/device.txt"
grep -E '^(PRETTY_NAME|VERSION_ID)=' /etc/os-release
ldd --version | head -1
# CUDA's libraries: the toolkit's, else the ones PyTorch's nvidia-* wheels bring.
libdirs=""
for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13; do
  found=$(find /usr/local/cuda*/lib64 /usr/local/cuda*/lib /usr/local/cuda*/targets/*/lib /usr/lib/x86_64-linux-gnu \
    /opt /usr/local/lib/python3*/dist-packages /usr/lib/python3/dist-packages -name "$lib*" 2>/dev/null | head -1)
  echo "$lib: ${found:-NOT FOUND}"
  [[ -n "$found" ]] && libdirs="$libdirs:$(dirname "$found")"
done
export LD_LIBRARY_PATH="$bundle/lib${libdirs}:${LD_LIBRARY_PATH:-}"
export BINSERVE_SHARED_DIR=$bundle/shared BINSERVE_CUDA_LIBRARY=$bin/libbinserve_cuda.so PYTHONUNBUFFERED=1
missing=$(ldd "$bin/binserve" "$bin/binserve-bench" "$bin/binserve_tests" "$bin/libbinserve_cuda.so" | grep 'not found' | sort -u)
for f in "$bin/binserve" "$bin/binserve-bench" "$bin/libbinserve_cuda.so"; do
  ldd "$f" | grep -E 'libcudart|libcublas|libstdc|libcaf_core|libopenblas' | sed "s|^|$(basename "$f"): |"
done
[[ -z "$missing" ]] || { echo "missing libraries:"; echo "$missing"; finish 1 "a library is missing"; }
echo "compute-sanitizer: $(command -v compute-sanitizer || echo none)   ncu: $(command -v ncu || echo none)"

# ---- gate: the CUDA tests ran on the GPU and passed ------------------------------
run_stage gate 180 "$bin/binserve_tests" --gtest_filter='CudaBackend*:DummyWeight*' > "$raw/tests.log" 2>&1
tests_rc=$?
grep -E '^\[ +(OK|SKIPPED|FAILED) +\]|^\[ worst' "$raw/tests.log"
bash "$here/gpu-gate.sh" "$raw/tests.log" "$tests_rc" | tee "$raw/gate.txt"
[[ ${PIPESTATUS[0]} == 0 ]] || finish 1 "the gate failed: no figure of this run is evidence"

# ---- memcheck ------------------------------------------------------------------
if command -v compute-sanitizer > /dev/null; then
  run_stage memcheck 120 compute-sanitizer --tool memcheck --error-exitcode 3 "$bin/binserve_tests" \
    --gtest_filter='CudaBackend.DeviceDummyWeightsMatchCpuInFp32:CudaBackend.DeviceSamplingEqualsHostSampler' \
    > "$raw/memcheck.log" 2>&1
  echo "memcheck exit $? ($(grep -cE '^=+ (Invalid|Program hit|ERROR SUMMARY)' "$raw/memcheck.log") report lines;" \
    "$(grep -E 'ERROR SUMMARY' "$raw/memcheck.log" | tail -1))" | tee "$raw/memcheck.txt"
else
  echo "memcheck: compute-sanitizer not on PATH" | tee "$raw/memcheck.txt"
fi

# ---- engine ------------------------------------------------------------------------
engine() {  # engine NAME BATCHES
  run_stage "engine $1" 120 "$bin/binserve-bench" bench-engine --model $model --backend cuda --dtype fp16 \
    --batch "$2" --context 512 --steps 32 --json > "$raw/engine_$1.json" 2> "$raw/engine_$1.err"
  echo "engine $1 exit $?: $(tail -c 600 "$raw/engine_$1.json")"
}
engine run1 1,16,64
engine run2 1,16

# ---- torch ---------------------------------------------------------------------------
run_stage torch 150 python3 "$here/bench_torch.py" --batch 1,16,64 --context 512 --steps 32 --repeats 2 \
  > "$raw/torch.json" 2> "$raw/torch.err"
echo "torch exit $?: $(tail -c 600 "$raw/torch.json")"

# ---- policies: the request count the measured step time says fits --------------------
# Steps per request on the first 1024 Alpaca records (cap 512, batch 16): vanilla
# ~22.7 (a static batch runs to its longest member), sequence ~5.2 (a replay of
# its bins); x1.25 for the host and prefills, + 30 s per run to start.
step16=$(python3 -c "
import json,sys
try: rows = json.load(open('$raw/engine_run1.json'))['results']
except Exception: rows = []
print(next((r['step_ms'] for r in rows if r['batch'] == 16), 0))")
requests=0
for n in 1024 768 512 384 256 128; do
  need=$(python3 -c "print(int($n * (22.7 + 5.2) * $step16 / 1000 * 1.25 + 60))")
  if [[ $step16 != 0 ]] && ((need < $(left) - 60)); then requests=$n; break; fi
done
echo "== policies: batch-16 step ${step16} ms, $(left) s left: $requests requests"
for policy in vanilla sequence; do
  ((requests > 0)) || break
  run_stage "$policy" 300 "$bin/binserve-bench" bench --model $model --backend cuda --dtype fp16 --workload "$lengths" \
    --policies $policy --requests $requests --batch 16 --cap 512 --json > "$raw/alpaca_$policy.json" \
    2> "$raw/alpaca_$policy.err"
  echo "$policy exit $?: $(tail -c 400 "$raw/alpaca_$policy.json")"
done

# ---- ncu: one decode step's kernels at batch 1 and 16 ---------------------------------
if command -v ncu > /dev/null && (($(left) > 90)); then
  run_stage ncu $(($(left) - 40)) ncu --clock-control none --metrics gpu__time_duration.sum --csv \
    --log-file "$raw/ncu.csv" "$bin/binserve-bench" bench-engine --model $model --backend cuda --dtype fp16 \
    --batch 1,16 --context 512 --steps 1 > "$raw/ncu.out" 2>&1
  echo "ncu exit $?"
else
  echo "== ncu: skipped ($(left) s left, ncu $(command -v ncu || echo missing))"
fi

# ---- summary ----------------------------------------------------------------------------
python3 "$here/gpu_summary.py" "$raw" | tee "$raw/summary.txt"
finish 0 "done"
