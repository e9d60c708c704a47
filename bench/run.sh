#!/usr/bin/env bash
# bench/run.sh: one command for the whole benchmark suite.
#
#   bench/run.sh            full run (~3-4 min on 2 cores): bench/results/latest.{md,json},
#                           pause.csv, pause.svg
#   bench/run.sh --quick    smoke run with small sizes and fewer repetitions;
#                           results go to build/bench/results-quick/ (not the committed ones)
#   bench/run.sh --out DIR  write the results elsewhere (also --out=DIR)
#   bench/run.sh --only W8  run only these workloads (comma-separated: W4,W8; also
#                           --only=W8); without --out the results go to
#                           build/bench/results-only/, never to bench/results/
#
# Installs what it needs when missing (Debian packages; run as root), configures
# and builds the `bench` CMake preset (tests and examples off: only refgc_bench
# is needed), then runs bench/tools/driver.py, which runs every variant
# interleaved and writes the table, the JSON and the plot.
set -euo pipefail

export PYTHONDONTWRITEBYTECODE=1  # keep bench/python/ free of __pycache__
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

QUICK=0
OUT=""
ONLY=""
all_args=("$@")
while (( $# )); do
  case "$1" in
    --quick) QUICK=1 ;;
    --out=*) OUT="${1#--out=}" ;;
    --only=*) ONLY="${1#--only=}" ;;
    --out|--only)
      if (( $# < 2 )); then echo "run.sh: $1 needs a value (try --help)" >&2; exit 2; fi
      if [[ $1 == --out ]]; then OUT="$2"; else ONLY="$2"; fi
      shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ -z "$OUT" ]]; then
  if [[ $QUICK == 1 ]]; then OUT="$ROOT/build/bench/results-quick"
  elif [[ -n "$ONLY" ]]; then OUT="$ROOT/build/bench/results-only"
  else OUT="$ROOT/bench/results"; fi
fi

# --- what the suite needs --------------------------------------------------
need_pkgs=()
command -v cmake >/dev/null || need_pkgs+=(cmake)
command -v ninja >/dev/null || need_pkgs+=(ninja-build)
command -v g++ >/dev/null || need_pkgs+=(g++)
command -v python3 >/dev/null || need_pkgs+=(python3)
[[ -f /usr/include/gc/gc.h ]] || need_pkgs+=(libgc-dev)
if (( ${#need_pkgs[@]} )); then
  if [[ $(id -u) == 0 ]]; then
    echo "run.sh: installing ${need_pkgs[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "run.sh: missing ${need_pkgs[*]} and not root: install them (Boehm is optional)" >&2
  fi
fi

# --- build -------------------------------------------------------------------
cmake --preset bench -DREFGC_BUILD_TESTS=OFF -DREFGC_BUILD_EXAMPLES=OFF >/dev/null
cmake --build --preset bench --target refgc_bench -j2

# --- run -----------------------------------------------------------------------
args=(--bin "$ROOT/build/bench/bench/refgc_bench" --build-dir "$ROOT/build/bench"
      --out "$OUT" --command "bench/run.sh${all_args[*]:+ ${all_args[*]}}")
[[ $QUICK == 1 ]] && args+=(--quick)
[[ -n "$ONLY" ]] && args+=(--only "$ONLY")
python3 "$ROOT/bench/tools/driver.py" "${args[@]}"
echo "run.sh: results in $OUT/latest.md" >&2
