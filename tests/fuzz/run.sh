#!/bin/sh
# tests/fuzz/run.sh [seconds [libFuzzer options...]]: builds the libFuzzer target with clang in
# build/fuzz (Debug: the collector's validators run between phases; the
# library itself is instrumented for coverage, ASan and UBSan) and fuzzes for
# the given time (default 60 s). The corpus grows in build/fuzz/corpus,
# seeded from tests/fuzz/corpus; crashing inputs land in build/fuzz/crashes/.
set -eu
seconds=${1:-60}
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/fuzz"
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_COMPILER=clang++ -DREFGC_WERROR=ON -DREFGC_BUILD_EXAMPLES=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link $san" \
  -DCMAKE_EXE_LINKER_FLAGS="$san" >/dev/null
cmake --build "$build" -j2 --target refgc_fuzz_scenario
mkdir -p "$build/corpus" "$build/crashes"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
exec "$build/tests/fuzz/refgc_fuzz_scenario" -max_total_time="$seconds" -max_len=2048 \
  -timeout=20 -print_final_stats=1 -artifact_prefix="$build/crashes/" "$@" \
  "$build/corpus" "$root/tests/fuzz/corpus"
