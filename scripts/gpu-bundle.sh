#!/usr/bin/env bash
# Packs what scripts/gpu-first.sh needs on a lent GPU machine, which has
# nvcc, cuBLAS and PyTorch but none of binserve's libraries (CAF, OpenBLAS,
# yaml-cpp, Boost, GoogleTest) and no network to fetch them: the CUDA build's
# programs, the shared libraries they load (less glibc, libstdc++ and CUDA's
# own, which the GPU machine has), and the ../shared files the tests and
# benchmarks read. The bundle is build-gpu-bundle/bundle.tar.xz (ignored by
# git as build*/; under the device tool's 64 MiB `carry`); gpu-first.sh
# unpacks it.
#
#   scripts/gpu-bundle.sh [BUILD_DIR] [SHARED_DIR]      # here, on the build machine
#   then on the GPU machine, one call: bash scripts/gpu-first.sh build-gpu-bundle
set -euo pipefail
build=${1:-build}
shared=${2:-../shared}
out=$(mktemp -d)/bundle

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build" --target binserve binserve-bench binserve_tests binserve_cuda
[[ -f "$build/bin/libbinserve_cuda.so" ]] || { echo "gpu-bundle: no CUDA plugin built (nvcc missing?)" >&2; exit 1; }

mkdir -p "$out/bin" "$out/lib" "$out/shared/models" "$out/shared/data"
cp "$build/bin/binserve" "$build/bin/binserve-bench" "$build/bin/binserve_tests" "$build/bin/libbinserve_cuda.so" "$out/bin/"
libs=$(for f in "$out"/bin/*; do ldd "$f"; done | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u |
  grep -Ev '/(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|libcuda|libcudart|libcublas|libcublasLt)\.so' |
  grep -Ev '/ld-linux')
for lib in $libs; do  # one copy per name (OpenBLAS is reachable by two paths)
  [[ -e "$out/lib/$(basename "$lib")" ]] || cp -L "$lib" "$out/lib/"
done
strip --strip-unneeded "$out"/bin/* "$out"/lib/* 2>/dev/null || true
for f in models/stories260K.bin models/tok512.bin models/stories260K.gguf \
         models/stories260K_greedy_once_upon_a_time.json data/alpaca-train-10k-length.json; do
  cp "$shared/$f" "$out/shared/$f"
done
mkdir -p build-gpu-bundle
tar -cJf build-gpu-bundle/bundle.tar.xz -C "$out" .
rm -rf "$(dirname "$out")"
ls -la build-gpu-bundle/bundle.tar.xz
