#!/usr/bin/env bash
# Installs a reference folder's pinned npm packages (tests/tokenizer_ref,
# tests/template_ref) into INSTALL_DIR with npm ci, once per package-lock.json:
# a stamp holds the lock file's hash, and the install is redone when the hash
# differs or one of the named packages is missing from node_modules.
# usage: npm_ci_once.sh PACKAGE_DIR INSTALL_DIR [PACKAGE...]
# Exit: 0 installed (now or before), 2 usage, 77 skipped (printed "SKIP: reason"):
# no node or npm, or npm could not install the packages.
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }

[ $# -ge 2 ] || { echo "usage: $0 PACKAGE_DIR INSTALL_DIR [PACKAGE...]" >&2; exit 2; }
package_dir=$(realpath "$1") install_dir=$(realpath -m "$2")
shift 2
label=$(basename "$package_dir" | tr _ -)  # tests/tokenizer_ref -> tokenizer-ref

command -v node >/dev/null || skip "node is not on PATH (scripts/install-deps.sh installs nodejs and npm)"
command -v npm >/dev/null || skip "npm is not on PATH (scripts/install-deps.sh installs nodejs and npm)"

stamp=$install_dir/.package-lock.sha256
want=$(sha256sum "$package_dir/package-lock.json" | cut -d' ' -f1)
installed=1
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  installed=0
fi
for package in "$@"; do
  [ -d "$install_dir/node_modules/$package" ] || installed=0
done
if [ "$installed" = 0 ]; then
  echo "$label: npm ci into $install_dir"
  mkdir -p "$install_dir"
  rm -rf "$install_dir/node_modules" "$stamp"
  cp "$package_dir/package.json" "$package_dir/package-lock.json" "$install_dir/"
  (cd "$install_dir" && npm ci --no-audit --no-fund --loglevel=error) || skip "npm ci could not install the reference"
  echo "$want" >"$stamp"
fi
