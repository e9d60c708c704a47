# Fixture setup for the package tests (cmake -P):
# builds the refgc library in the parent build tree, then installs that tree
# into a fresh prefix and checks the installed layout.
#
#   -DBUILD_DIR=<parent build tree> -DPREFIX=<fresh prefix> -DCONFIG=<config>
#   -DLIBDIR=<relative libdir> -DINCLUDEDIR=<relative includedir>
#   -DLIBRARY_FILE=<file name of the refgc library>
cmake_minimum_required(VERSION 3.20)

foreach(var BUILD_DIR PREFIX LIBDIR INCLUDEDIR LIBRARY_FILE)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "install.cmake: -D${var}= is required")
  endif()
endforeach()
set(config_args)
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()

function(run what)
  string(REPLACE ";" " " shown "${ARGN}")
  message(STATUS "package.install: ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rv)
  if(NOT rv EQUAL 0)
    message(FATAL_ERROR "package.install: ${what} failed (${rv})")
  endif()
endfunction()

# ctest does not build anything: make sure the installed library is current.
run("building the refgc library" "${CMAKE_COMMAND}" --build "${BUILD_DIR}" --target refgc ${config_args})

file(REMOVE_RECURSE "${PREFIX}")
run("cmake --install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_args})

set(missing)
foreach(f
    "${INCLUDEDIR}/refgc/refgc.h"
    "${LIBDIR}/${LIBRARY_FILE}"
    "${LIBDIR}/cmake/refgc/refgcConfig.cmake"
    "${LIBDIR}/cmake/refgc/refgcConfigVersion.cmake"
    "${LIBDIR}/cmake/refgc/refgcTargets.cmake"
    "${LIBDIR}/pkgconfig/refgc.pc")
  if(NOT EXISTS "${PREFIX}/${f}")
    list(APPEND missing "${f}")
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "package.install: not installed under ${PREFIX}: ${missing}")
endif()
message(STATUS "package.install: refgc installed in ${PREFIX}")
