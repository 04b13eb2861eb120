#!/usr/bin/env bash
# scripts/gpu-gate.sh's verdicts (issue 18: no false green on a GPU machine):
# GoogleTest logs written here as a GPU run, a no-GPU run, a failing run and a
# crash would print them, and the CUDA tests' real log on this machine.
#   tests/scripts/gpu_gate_test.sh GATE BINSERVE_TESTS
set -uo pipefail
gate=${1:?usage: gpu_gate_test.sh GATE BINSERVE_TESTS}
tests=${2:?usage: gpu_gate_test.sh GATE BINSERVE_TESTS}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
names="Fp32Stories260kReproducesGreedyGolden Fp16LogitsMatchCpuWithin1e2 Bf16LogitsMatchCpuWithin5e2
DeviceDummyWeightsMatchCpuInFp32 LayerStatesMatchCpuInFp32 MixedLengthBatchMatchesEachAloneWithinRounding
DeviceSamplingEqualsHostSampler OversizedKvCacheIsOutOfMemory MeasuresDeviceMemoryBandwidth"
{ echo "[  SKIPPED ] CudaBackend.AbsenceIsAClearErrorNotACrash (1 ms)"
  for n in $names; do echo "[       OK ] CudaBackend.$n (12 ms)"; done; } > "$dir/gpu.log"
{ for n in AbsenceIsAClearErrorNotACrash $names; do echo "[  SKIPPED ] CudaBackend.$n (0 ms)"; done; } > "$dir/nogpu.log"
sed 's/\[       OK \] CudaBackend.Bf16LogitsMatchCpuWithin5e2/[  FAILED  ] CudaBackend.Bf16LogitsMatchCpuWithin5e2/' \
  "$dir/gpu.log" > "$dir/failed.log"
head -4 "$dir/gpu.log" > "$dir/crashed.log"
fails=0
expect() {  # expect WANT_RC LOG [RC]
  local want=$1; shift
  "$gate" "$@" > "$dir/out" 2>&1
  local got=$?
  if [[ $got != "$want" ]]; then echo "FAIL: gpu-gate.sh $* exited $got, want $want:"; cat "$dir/out"; fails=1
  else echo "ok: gpu-gate.sh $(basename "$1") ${2:-} -> $got ($(tail -1 "$dir/out"))"; fi
}
expect 0 "$dir/gpu.log"
expect 1 "$dir/gpu.log" 1
expect 1 "$dir/nogpu.log"
expect 1 "$dir/failed.log"
expect 1 "$dir/crashed.log" 139
expect 1 "$dir/absent.log"
# This machine's own CUDA tests: with no GPU (CI) every one skips, and the gate must fail.
"$tests" --gtest_filter='CudaBackend*' > "$dir/here.log" 2>&1
rc=$?
if grep -qE '^\[ +OK \] CudaBackend\.Fp32' "$dir/here.log"; then
  echo "this machine ran the CUDA tests on a GPU: its own log is not a no-GPU case"
else
  expect 1 "$dir/here.log" "$rc"
fi
exit $fails
