#!/usr/bin/env bash
# Issue 6's checks and measurements, run on a GPU machine (docs/benchmarks.md,
# "CUDA backend"). Writes logs and JSON under $OUT (the device tool's output
# folder) or ./gpu-results, and prints a short table last.
#
#   scripts/gpu-measure.sh BUNDLE STAGE...
#
# BUNDLE: build-gpu-bundle/ made by scripts/gpu-bundle.sh on the build machine
# (bundle.tar.xz: programs, their libraries, the shared model and data files), or
# an unpacked folder of the same layout (bin/, lib/, shared/); the GPU
# machine has nvcc and PyTorch but not binserve's dependencies. STAGE, each
# fitting one 10-minute device call:
#   tests     the CUDA backend's tests (golden, fp16/bf16 vs CPU, batch = alone, ...)
#   engine    bench-engine, dummy llama2-7b fp16, batch 1,16,64 (+256), context 512,
#             twice (run-to-run spread), with the memory roofline column
#   torch     scripts/bench_torch.py: transformers LlamaForCausalLM eager, same shapes
#   vanilla   1024 Alpaca-length requests, dummy llama2-7b fp16, batch 16, cap 512
#   sequence  the same with Sequence Scheduling (oracle lengths, VBS, FCR)
#   summary   the table of whatever the stages above left in the output folder ($OUT is
#             emptied before each device call: gather the fetched files in one folder
#             and run `OUT=that-folder scripts/gpu-measure.sh build-gpu-bundle summary`)
# Batch 256 at context 512 needs 66 GB of KV cache beside 13.5 GB of weights:
# it fits an H200 (kind nvidia-h200), not an 80 GB H100, where that row
# reports out_of_memory. Compare timings only from one device kind.
set -uo pipefail
bundle=${1:?usage: gpu-measure.sh BUNDLE STAGE...}
shift
out=${OUT:-gpu-results}
mkdir -p "$out"
if [[ -f "$bundle/bundle.tar.xz" ]]; then  # as gpu-bundle.sh packs it
  mkdir -p /tmp/binserve-bundle && tar -xJf "$bundle/bundle.tar.xz" -C /tmp/binserve-bundle
  bundle=/tmp/binserve-bundle
fi
bundle=$(cd "$bundle" && pwd)
bin=$bundle/bin
# cuBLAS: the toolkit's, else the one PyTorch's wheels bring.
cublas=$(find /usr/local/cuda*/ /opt /usr/lib -name 'libcublas.so.13*' 2>/dev/null | head -1)
export LD_LIBRARY_PATH="$bundle/lib:/usr/local/cuda/lib64:${cublas:+$(dirname "$cublas"):}${LD_LIBRARY_PATH:-}"
export BINSERVE_SHARED_DIR="$bundle/shared"
export BINSERVE_CUDA_LIBRARY="$bin/libbinserve_cuda.so"
export PYTHONUNBUFFERED=1
model=dummy:llama2-7b
lengths=$bundle/shared/data/alpaca-train-10k-length.json
requests=${REQUESTS:-1024}  # fewer if vanilla cannot finish inside one 10-minute call (say so)

stage_tests() {
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.mem --format=csv \
    | tee "$out/device.txt"
  "$bin/binserve_tests" --gtest_filter='CudaBackend*:DummyWeight*' 2>&1 | tee "$out/cuda_tests.log"
}

stage_engine() {
  for run in 1 2; do
    "$bin/binserve" bench-engine --model $model --backend cuda --dtype fp16 --batch 1,16,64 \
      --context 512 --steps 32 --json > "$out/engine_run$run.json" || echo "engine run $run failed"
  done
  "$bin/binserve" bench-engine --model $model --backend cuda --dtype fp16 --batch 256 --context 512 \
    --steps 32 --json > "$out/engine_b256.json" || echo "engine batch 256 failed (above; an 80 GB H100 has no room for its 66 GB KV cache: use nvidia-h200)"
}

stage_torch() {
  python3 "$(dirname "$0")/bench_torch.py" --batch 1,16,64,256 --context 512 --steps 32 > "$out/torch.json"
}

stage_policy() {  # $1: vanilla | sequence
  "$bin/binserve" bench --model $model --backend cuda --dtype fp16 --workload "$lengths" \
    --policies "$1" --requests "$requests" --batch 16 --cap 512 --json > "$out/alpaca_$1.json"
}

stage_summary() {
  python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
def load(name):
    path = os.path.join(out, name)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    with open(path) as f:
        return json.loads(f.read().strip().splitlines()[-1])
torch_rows = {r["batch"]: r for r in (load("torch.json") or {}).get("results", [])}
print(f"{'batch':>6} {'step_ms':>9} {'roofline':>9} {'x roof':>7} {'torch_ms':>9} {'torch/ours':>10}")
for name in ("engine_run1.json", "engine_run2.json", "engine_b256.json"):
    for r in (load(name) or {}).get("results", []):
        t = torch_rows.get(r["batch"], {}).get("step_ms")
        print(f"{r['batch']:>6} {r['step_ms']:>9.3f} {r.get('roofline_ms', float('nan')):>9.3f} "
              f"{r.get('vs_roofline', float('nan')):>7.2f} {t if t else float('nan'):>9.3f} "
              f"{(t / r['step_ms']) if t else float('nan'):>10.2f}   ({name})")
rates = {}
for policy in ("vanilla", "sequence"):
    rows = (load(f"alpaca_{policy}.json") or {}).get("results", [])
    for r in rows:
        rates[policy] = r["requests_per_s"]
        print(f"alpaca {policy:9} {r['requests_per_s']:.3f} samples/s  completed {r['completed']}/{r['requests']}"
              f"  effective-token ratio {r['effective_token_ratio']:.3f}  failures {r['failure_ratio']:.3f}")
if len(rates) == 2:
    print(f"alpaca sequence / vanilla: {rates['sequence'] / rates['vanilla']:.2f}x")
print("paper (A100, Vicuna-7B): vanilla 1.39 samples/s -> sequence 2.69 samples/s (1.94x)")
PY
}

[[ $# -gt 0 ]] || set -- tests engine summary
for stage in "$@"; do
  echo "== $stage"
  case $stage in
    tests) stage_tests ;;
    engine) stage_engine ;;
    torch) stage_torch ;;
    vanilla|sequence) stage_policy "$stage" ;;
    summary) stage_summary ;;
    *) echo "unknown stage $stage" >&2; exit 2 ;;
  esac
done 2>&1 | tee -a "$out/measure.log"
