#!/usr/bin/env bash
# Builds the plain C++ core tests (native/core/tests) in Debug with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs them with CTest.
# Any sanitizer report aborts its test, so the script (and CI) fails.
#   scripts/core-tests.sh [build-dir]   (default build-core-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-core-asan}
jobs=$(nproc 2>/dev/null || echo 2)
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DNAX_ADDON=OFF -DNAX_CORE_TESTS=ON -DNAX_SANITIZE=ON >/dev/null
cmake --build "$dir" --parallel "$jobs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
(cd "$dir" && ctest --output-on-failure --parallel "$jobs")
