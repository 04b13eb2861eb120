#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time (make fuzz; docs/reliability.md).
# Usage: scripts/fuzz.sh FUZZ_BUILD_DIR SECONDS [TARGET...]
# (FUZZ_RUNS=N also stops each target after N executions.)
# Targets default to all six. Each starts from its committed seed corpus
# (tests/fuzz/corpus/TARGET, read only) plus a scratch corpus in the build dir
# where new inputs go; a crash leaves its input in FUZZ_BUILD_DIR/crashes/ and
# makes the script fail.
set -euo pipefail
build=${1:?usage: fuzz.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(protocol http config llama2c gguf tokenizer)
cd "$(dirname "$0")/.."
mkdir -p "$build/crashes"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t"
  echo "fuzz: $t for ${seconds}s"
  if ! "$build/bin/${t}_fuzz" -max_total_time="$seconds" -runs="${FUZZ_RUNS:--1}" -print_final_stats=1 \
        -artifact_prefix="$build/crashes/${t}-" "$build/corpus/$t" "tests/fuzz/corpus/$t" \
        > "$build/$t.log" 2>&1; then
    failed+=("$t")
    tail -40 "$build/$t.log"
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ *DONE' "$build/$t.log" || true
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: crashes in ${failed[*]} (inputs in $build/crashes/)"
  exit 1
fi
echo "fuzz: ${targets[*]}: no crash"
