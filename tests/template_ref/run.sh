#!/usr/bin/env bash
# binserve's chat-template interpreter against @huggingface/jinja, the Jinja
# that transformers.js renders chat templates with: installs the pinned package
# (npm ci, once per lock file), renders the real templates of
# tests/chat_templates and 250+ small templates, one for each construct, with
# the clock frozen (export.mjs), and runs ChatTemplateReference.* of
# binserve_tests on what it rendered.
# usage: run.sh BINSERVE_TESTS INSTALL_DIR [--export-only]  (--export-only: no test run)
# Exit: 0 passed, 1 failed, 2 usage, 77 skipped (printed "SKIP: reason"): no
# node or npm, or npm could not install the package.
set -euo pipefail

if ! { [ $# -eq 2 ] || { [ $# -eq 3 ] && [ "$3" = --export-only ]; }; }; then echo "usage: $0 BINSERVE_TESTS INSTALL_DIR [--export-only]" >&2; exit 2; fi
tests=$(realpath "$1") install_dir=$(realpath -m "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(cd "$here/../.." && pwd)

bash "$here/../scripts/npm_ci_once.sh" "$here" "$install_dir" @huggingface/jinja  # exits 77 to skip
cp "$here/export.mjs" "$install_dir/"  # beside node_modules, where its import resolves
(cd "$install_dir" && TZ=UTC node export.mjs "$install_dir/template_references.json" "$source_dir/tests/chat_templates")
[ "${3:-}" = --export-only ] && exit 0  # tests/template_ref/serving.sh runs its own test on it
TZ=UTC BINSERVE_TEMPLATE_REFERENCE=$install_dir/template_references.json "$tests" --gtest_filter='ChatTemplateReference.*'
