#!/bin/sh
# Builds main.cc the way a Makefile or shell user would, then runs it:
#
#   c++ main.cc $(pkg-config --cflags --libs refgc)
#
# Environment (all optional):
#   CXX              compiler (default: c++)
#   CXXFLAGS         extra compile flags, e.g. -fsanitize=...; they must match
#                    the flags the installed library was built with
#   LDFLAGS          extra link flags
#   PKG_CONFIG       pkg-config program (default: pkg-config)
#   PKG_CONFIG_PATH  where refgc.pc is, e.g. <prefix>/lib/pkgconfig
#   REFGC_PREFIX     the prefix refgc was really installed to, when it is not
#                    the one recorded in refgc.pc (`cmake --install --prefix`);
#                    passed as --define-variable=prefix=..., and the include
#                    directory pkg-config reports must lie under it
#   OUT              where to write the executable (default: ./app)
#
# Exit status: that of the failing step, the program's own, or 77 (skipped)
# when pkg-config is not installed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cxx=${CXX:-c++}
pkg_config=${PKG_CONFIG:-pkg-config}
out=${OUT:-./app}

if ! command -v "$pkg_config" >/dev/null 2>&1; then
  echo "build.sh: '$pkg_config' not found (Debian: apt-get install -y pkg-config); skipping" >&2
  exit 77
fi

set --
if [ -n "${REFGC_PREFIX:-}" ]; then
  set -- "--define-variable=prefix=$REFGC_PREFIX"
fi

"$pkg_config" "$@" --exists --print-errors refgc
includedir=$("$pkg_config" "$@" --variable=includedir refgc)
if [ -n "${REFGC_PREFIX:-}" ]; then
  case "$includedir" in
    "$REFGC_PREFIX"/*) ;;
    *) echo "build.sh: pkg-config reports includedir '$includedir', not under '$REFGC_PREFIX'" >&2
       exit 1 ;;
  esac
fi
flags=$("$pkg_config" "$@" --cflags --libs refgc)
echo "pkg-config $* --cflags --libs refgc: $flags"

mkdir -p "$(dirname "$out")"
# CXX, CXXFLAGS, LDFLAGS and the pkg-config output are split on spaces on
# purpose, as make would do.
echo "+ $cxx ${CXXFLAGS:-} $here/main.cc $flags ${LDFLAGS:-} -o $out"
# shellcheck disable=SC2086
$cxx ${CXXFLAGS:-} "$here/main.cc" $flags ${LDFLAGS:-} -o "$out"

echo "+ $out"
status=0
"$out" || status=$?
echo "app exited with status $status"
[ "$status" -eq 77 ] && status=1  # 77 means "skipped" to CTest; not for the app
exit "$status"
