#!/usr/bin/env bash
# Installs what building and testing refgc needs, if missing (Debian packages).
# Usage: scripts/deps.sh [--optional]
#   always:      the build, GoogleTest, python3 (the seed-coverage check and the
#                differential tests), graphviz (the diagnostics tests render SVG
#                with the real `dot`), valgrind (CI runs the tour under memcheck),
#                clang and its libFuzzer runtime (the fuzz target)
#   --optional:  what only the benchmarks need (libgc-dev, libbenchmark-dev)
set -euo pipefail
pkgs=(cmake ninja-build g++ libgtest-dev pkg-config python3 graphviz valgrind clang libclang-rt-14-dev)
if [ "${1:-}" = "--optional" ]; then pkgs+=(libgc-dev libbenchmark-dev); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "scripts/deps.sh: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
