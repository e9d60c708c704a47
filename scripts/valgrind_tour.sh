#!/usr/bin/env bash
# Runs the tour (examples/tour) under Valgrind's memcheck and requires zero
# errors and zero leaks (definite, indirect, possible). Builds it first in a
# build directory without sanitizers (Valgrind and ASan do not mix).
#
#   scripts/valgrind_tour.sh                 # build/valgrind, Debug (REFGC_DEBUG=1)
#   BUILD_TYPE=RelWithDebInfo BUILD_DIR=build/vg-rel scripts/valgrind_tour.sh
#
# "Still reachable" blocks are reported, not counted as leaks: they are the
# process-lifetime singletons refgc deliberately never frees (the default heap
# with its pool chunks and generation vectors, the type registry, the
# unraisable hook, the gc debug sink, the finalize() registry) so that objects
# and hooks stay usable from static destructors and atexit handlers after main
# returns (docs/design/memory-model.md). Valgrind reports them as still
# reachable, never as lost.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build/valgrind}
build_type=${BUILD_TYPE:-Debug}

command -v valgrind >/dev/null || { echo "valgrind_tour: valgrind is not installed" >&2; exit 2; }

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" -DREFGC_WERROR=ON \
  -DREFGC_BUILD_TESTS=OFF -DCMAKE_CXX_FLAGS="" -DCMAKE_EXE_LINKER_FLAGS="" >/dev/null
cmake --build "$build_dir" --target tour

log="$build_dir/valgrind_tour.log"
status=0
valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \
  --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 \
  --log-file="$log" "$build_dir/examples/tour" >"$build_dir/valgrind_tour.out" || status=$?

grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable" "$log" || true
if [ "$status" -ne 0 ]; then
  echo "valgrind_tour: FAILED (exit $status); the tour's own exit status counts disagreements" >&2
  echo "valgrind_tour: see $log" >&2
  exit "$status"
fi
grep -q "ERROR SUMMARY: 0 errors" "$log" || { echo "valgrind_tour: errors, see $log" >&2; exit 1; }
echo "valgrind_tour: OK (0 errors, no definite/indirect/possible leaks)"
