#!/usr/bin/env bash
# binserve's byte-level BPE against llama3-tokenizer-js and gpt-tokenizer's
# cl100k_base (issue 19): installs the pinned packages (npm ci, once per lock
# file), exports their vocabularies, merges and the ids of 10,000+ strings
# (export.mjs), and runs BpeReference.* of binserve_tests on them.
# usage: run.sh BINSERVE_TESTS INSTALL_DIR
# Exit: 0 passed, 1 failed, 2 usage, 77 skipped (printed "SKIP: reason"): no
# node or npm, or npm could not install the package.
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }

[ $# -eq 2 ] || { echo "usage: $0 BINSERVE_TESTS INSTALL_DIR" >&2; exit 2; }
tests=$(realpath "$1") install_dir=$(realpath -m "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

command -v node >/dev/null || skip "node is not on PATH (scripts/install-deps.sh installs nodejs and npm)"
command -v npm >/dev/null || skip "npm is not on PATH (scripts/install-deps.sh installs nodejs and npm)"

stamp=$install_dir/.package-lock.sha256
want=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -d "$install_dir/node_modules/llama3-tokenizer-js" ] || [ ! -d "$install_dir/node_modules/gpt-tokenizer" ]; then
  echo "tokenizer-ref: npm ci into $install_dir"
  mkdir -p "$install_dir"
  rm -rf "$install_dir/node_modules" "$stamp"
  cp "$here/package.json" "$here/package-lock.json" "$install_dir/"
  (cd "$install_dir" && npm ci --no-audit --no-fund --loglevel=error) || skip "npm ci could not install the reference"
  echo "$want" >"$stamp"
fi
cp "$here/export.mjs" "$install_dir/"  # beside node_modules, where its import resolves
(cd "$install_dir" && node export.mjs "$install_dir/references.json")
BINSERVE_BPE_REFERENCE=$install_dir/references.json "$tests" --gtest_filter='BpeReference.*'
