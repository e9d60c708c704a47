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
#   REFGC_PREFIX     the prefix refgc was installed to: the include directory
#                    pkg-config reports must lie under it. If refgc.pc records
#                    another prefix (it is configured with CMAKE_INSTALL_PREFIX,
#                    which `cmake --install --prefix` does not change), the
#                    script says so and passes --define-variable=prefix=...
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

# A relocatable refgc.pc (prefix=${pcfiledir}/...) already points into
# REFGC_PREFIX; one that records the configure-time CMAKE_INSTALL_PREFIX needs
# --define-variable=prefix=$REFGC_PREFIX.
set --
"$pkg_config" --exists --print-errors refgc
includedir=$("$pkg_config" --variable=includedir refgc)
if [ -n "${REFGC_PREFIX:-}" ]; then
  case "$includedir" in
    "$REFGC_PREFIX"/*) ;;
    *)
      echo "note: refgc.pc is not relocatable (includedir=$includedir);" \
           "using --define-variable=prefix=$REFGC_PREFIX"
      set -- "--define-variable=prefix=$REFGC_PREFIX"
      includedir=$("$pkg_config" "$@" --variable=includedir refgc)
      case "$includedir" in
        "$REFGC_PREFIX"/*) ;;
        *) echo "build.sh: pkg-config reports includedir '$includedir', not under '$REFGC_PREFIX'" >&2
           exit 1 ;;
      esac
      ;;
  esac
fi
flags=$("$pkg_config" "$@" --cflags --libs refgc)
echo "pkg-config${*:+ $*} --cflags --libs refgc: $flags"

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
if [ "$status" -eq 77 ]; then status=1; fi  # 77 means "skipped" to CTest
exit "$status"
