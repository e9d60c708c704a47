#!/usr/bin/env bash
# Installs what building and testing refgc needs, if missing (Debian packages).
# Usage: scripts/deps.sh [--optional]   (--optional adds graphviz and libgc-dev)
set -euo pipefail
pkgs=(cmake ninja-build g++ libgtest-dev pkg-config python3)
if [ "${1:-}" = "--optional" ]; then pkgs+=(graphviz libgc-dev libbenchmark-dev valgrind); fi
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
