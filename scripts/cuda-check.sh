#!/usr/bin/env bash
# The CUDA path in one call, on a machine with nvcc (and, for the numeric checks, a GPU):
#   1. builds the core, its tests and libnax_cuda with plain CMake (NAX_CUDA=ON; no Node, no
#      network; Ninja when present);
#   2. runs the host emulation check (cuda_math_test: the kernels' arithmetic against the CPU
#      path, bit for bit; needs no GPU) and the GPU tests (cuda_crossbar_test: the crossbar run
#      bit for bit against the CPU path; cuda_conv_test: the training convolutions against the
#      CPU kernels), which CTest reports as skipped where no GPU is found;
#   3. prints a short throughput comparison, GPU against the CPU path (cuda_throughput).
#   scripts/cuda-check.sh [build-dir]            (default build-cuda)
#   scripts/cuda-check.sh --compile-only [dir]   (CI without a GPU: build libnax_cuda and the tests, run the host check)
# Environment: NAX_CUDA_ARCHITECTURES (default: the CMake default list; e.g. 90 for an H100 only).
set -euo pipefail
cd "$(dirname "$0")/.."
compileOnly=0
if [ "${1:-}" = "--compile-only" ]; then compileOnly=1; shift; fi
dir=${1:-build-cuda}
if ! command -v nvcc >/dev/null 2>&1 && [ ! -x /usr/local/cuda/bin/nvcc ]; then
  echo "cuda-check: skipped (no nvcc on this machine; the CUDA library is built only where CUDA is found)"
  exit 0
fi
if ! command -v nvcc >/dev/null 2>&1; then export PATH="/usr/local/cuda/bin:$PATH"; fi
jobs=$(nproc 2>/dev/null || echo 2)
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
archs=()
if [ -n "${NAX_CUDA_ARCHITECTURES:-}" ]; then archs=(-DNAX_CUDA_ARCHITECTURES="$NAX_CUDA_ARCHITECTURES"); fi
echo "cuda-check: building in $dir with $(nvcc --version | tail -1)"
cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DNAX_ADDON=OFF -DNAX_CORE_TESTS=ON -DNAX_CUDA=ON \
  "${archs[@]}" >/dev/null
cmake --build "$dir" --parallel "$jobs" --target nax_cuda cuda_math_test cuda_crossbar_test cuda_conv_test cuda_throughput
test -f "$dir/libnax_cuda.so" || test -f "$dir/nax_cuda.dll"
echo "cuda-check: libnax_cuda built"
(cd "$dir" && ctest --output-on-failure -R '^cuda_')
if [ "$compileOnly" = "1" ]; then exit 0; fi
"$dir/cuda_throughput"
