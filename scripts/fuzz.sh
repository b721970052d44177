#!/usr/bin/env bash
# Longer fuzz runs than CI's bounded ones (test/fuzz/*.test.ts):
#   scripts/fuzz.sh --cases 20000 --seed 7            # ONNX reader, lowering, cost, executor
#   scripts/fuzz.sh --native --cases 100000           # every native entry, raw
#   scripts/fuzz-core.sh                              # libFuzzer on the C++ core (needs clang)
# Every case runs in a child process; crashes (signals) and hangs (10 s) are reported by case.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --require tsx/cjs test/fuzz/run.ts "$@"
