#!/usr/bin/env bash
# Issue 19, must-show 2: a Llama-3.2-1B-shaped model (dummy Q4_K weights) with
# Llama 3's vocabulary (llama3-tokenizer-js's, tests/tokenizer_ref) and Llama
# 3.2's chat template, served through /v1/chat/completions: the prompt the
# engine sees must be the tokens of what @huggingface/jinja renders for the
# conversation (tests/template_ref), and generation must stop at <|eot_id|>.
# Both references are exported first (npm ci once per lock file), then
# ChatServing.* of binserve_tests runs on them.
# usage: serving.sh BINSERVE_TESTS TOKENIZER_INSTALL_DIR TEMPLATE_INSTALL_DIR
# Exit: 0 passed, 1 failed, 2 usage, 77 skipped (printed "SKIP: reason").
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 BINSERVE_TESTS TOKENIZER_INSTALL_DIR TEMPLATE_INSTALL_DIR" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tok_dir=$(realpath -m "$2") tpl_dir=$(realpath -m "$3")

bash "$here/../tokenizer_ref/run.sh" "$1" "$tok_dir" --export-only  # exits 77 to skip
# The rendering carries today's date: within two minutes of midnight UTC, wait for the new day.
since_midnight=$(( $(date -u +%s) % 86400 ))
[ "$since_midnight" -lt 86280 ] || sleep $(( 86400 - since_midnight + 1 ))
bash "$here/run.sh" "$1" "$tpl_dir" --export-only
# TZ=UTC as the export: strftime_now reads local time, and both must see the same day.
TZ=UTC BINSERVE_BPE_REFERENCE=$tok_dir/references.json BINSERVE_TEMPLATE_REFERENCE=$tpl_dir/template_references.json \
  "$(realpath "$1")" --gtest_filter='ChatServing.*'
