#!/usr/bin/env bash
# The CUDA tests' verdict from their GoogleTest log: passes only when they ran
# on a GPU and passed. A machine where the CUDA runtime finds no GPU skips
# every CudaBackend test and would otherwise look green.
#
#   scripts/gpu-gate.sh LOG [RC]   # exit 0: gate passed; 1: failed (says why)
#
# RC: the test program's exit status (a crash leaves no FAILED line). Passes
# when RC is 0, no test FAILED, at least 8 CudaBackend tests are OK, and the
# only CudaBackend test SKIPPED is AbsenceIsAClearErrorNotACrash (which skips
# by design when a GPU is present).
set -uo pipefail
log=${1:?usage: gpu-gate.sh LOG [RC]}
rc=${2:-0}
[[ -r "$log" ]] || { echo "gate FAILED: no test log at $log"; exit 1; }
ok=$(grep -cE '^\[ +OK \] CudaBackend\.' "$log")
# test names (GoogleTest prints each verdict twice: as it runs and in the closing list)
names() { grep -oE "^\[ +$1 +\] [A-Za-z0-9_/]+\.[A-Za-z0-9_/]+" "$log" | sed 's/^.*\] //' | sort -u; }
failed=$(names FAILED)
skipped=$(names SKIPPED | grep '^CudaBackend\.' | grep -v '^CudaBackend\.AbsenceIsAClearErrorNotACrash$')
absent_skipped=$(grep -cE '^\[ +SKIPPED +\] CudaBackend\.AbsenceIsAClearErrorNotACrash' "$log")
echo "gate: $ok CudaBackend tests OK, $(grep -c . <<<"$failed") failed," \
  "$(grep -c . <<<"$skipped") skipped besides the absence check; the tests exited $rc"
if [[ "$rc" != 0 && -z "$failed" ]]; then echo "gate FAILED: the tests exited $rc (a crash?)"; exit 1; fi
if [[ -n "$failed" ]]; then echo "gate FAILED: tests failed:"; echo "$failed"; exit 1; fi
if [[ -n "$skipped" ]]; then echo "gate FAILED: CUDA tests skipped (no GPU seen?):"; echo "$skipped"; exit 1; fi
if (( ok < 8 )); then echo "gate FAILED: only $ok CudaBackend tests ran and passed (want at least 8)"; exit 1; fi
if (( absent_skipped != 1 )); then
  echo "gate FAILED: AbsenceIsAClearErrorNotACrash did not skip, so the plugin saw no GPU"; exit 1
fi
echo "gate passed: the CUDA tests ran on the GPU and passed"
