#!/usr/bin/env bash
# binserve's byte-level BPE against llama3-tokenizer-js and gpt-tokenizer's
# cl100k_base (issue 19): installs the pinned packages (npm ci, once per lock
# file), exports their vocabularies, merges and the ids of 10,000+ strings
# (export.mjs), and runs BpeReference.* of binserve_tests on them.
# usage: run.sh BINSERVE_TESTS INSTALL_DIR [--export-only]  (--export-only: no test run)
# Exit: 0 passed, 1 failed, 2 usage, 77 skipped (printed "SKIP: reason"): no
# node or npm, or npm could not install the package.
set -euo pipefail

if ! { [ $# -eq 2 ] || { [ $# -eq 3 ] && [ "$3" = --export-only ]; }; }; then echo "usage: $0 BINSERVE_TESTS INSTALL_DIR [--export-only]" >&2; exit 2; fi
tests=$(realpath "$1") install_dir=$(realpath -m "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

bash "$here/../scripts/npm_ci_once.sh" "$here" "$install_dir" llama3-tokenizer-js gpt-tokenizer  # exits 77 to skip
cp "$here/export.mjs" "$install_dir/"  # beside node_modules, where its import resolves
(cd "$install_dir" && node export.mjs "$install_dir/references.json")
[ "${3:-}" = --export-only ] && exit 0  # tests/template_ref/serving.sh runs its own test on it
BINSERVE_BPE_REFERENCE=$install_dir/references.json "$tests" --gtest_filter='BpeReference.*'
