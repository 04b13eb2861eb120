#!/usr/bin/env bash
# Installs every Debian package binserve needs to build, test and benchmark.
# Idempotent: prints nothing and exits 0 when everything is already present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config curl
  libcaf-dev libyaml-cpp-dev libboost-dev libboost-system-dev nlohmann-json3-dev
  libopenblas-openmp-dev libcli11-dev libspdlog-dev libfmt-dev libpcre2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm for the OpenAI SDK test (tests/openai_sdk): Debian's, unless
# they are already on PATH from elsewhere (NodeSource's nodejs bundles npm).
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
