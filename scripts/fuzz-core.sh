#!/usr/bin/env bash
# libFuzzer on the C++ core (circuit solver, crossbar programming and runs),
# with AddressSanitizer and UndefinedBehaviorSanitizer. Needs clang (Debian:
# apt-get install clang libclang-rt-14-dev). New inputs that reach new code
# are added to the committed corpus (native/core/fuzz/corpus/<target>), which
# the core tests replay under the sanitizers on every CI run.
#   scripts/fuzz-core.sh [seconds per target, default 60] [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
dir=${2:-build-fuzz}
cxx=$(command -v clang++ || command -v clang++-14 || true)
[ -n "$cxx" ] || { echo "fuzz-core: clang++ is needed (apt-get install clang libclang-rt-14-dev)"; exit 1; }
cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNAX_ADDON=OFF -DNAX_LIBFUZZER=ON \
  -DNAX_ISA=none -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" >/dev/null
cmake --build "$dir" --parallel "$(nproc 2>/dev/null || echo 2)" --target fuzz_circuit fuzz_crossbar
for target in circuit crossbar; do
  echo "== fuzz_$target for ${seconds}s"
  "$dir/fuzz_$target" -max_total_time="$seconds" -max_len=2048 -timeout=10 -rss_limit_mb=2048 \
    "native/core/fuzz/corpus/$target"
done
