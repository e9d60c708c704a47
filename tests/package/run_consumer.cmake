# Configures, builds and runs one CMake consumer project (cmake -P); fails
# when any step fails or the program exits with a non-zero status.
#
#   -DSOURCE_DIR=<consumer source> -DBINARY_DIR=<its build dir (recreated)>
#   -DMAKE_PROGRAM=<ninja>          the consumer uses the Ninja generator
#   -DPASS_<VAR>=<value>            passed on as -D<VAR>=<value> when the
#                                   consumer is configured: the compiler, flags
#                                   and build type of the parent build, and the
#                                   consumer's own settings
#   -DEXPECT_DIR=<var>=<prefix>     optional: cache variable <var> (e.g.
#                                   refgc_DIR) must lie under <prefix>
#   -DEXECUTABLE=<name>             the program to run (default: app)
cmake_minimum_required(VERSION 3.20)

foreach(var SOURCE_DIR BINARY_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${var}= is required")
  endif()
endforeach()
if(NOT MAKE_PROGRAM)
  message(FATAL_ERROR "run_consumer.cmake: -DMAKE_PROGRAM=<ninja> is required")
endif()
if(NOT EXECUTABLE)
  set(EXECUTABLE app)
endif()
get_filename_component(name "${SOURCE_DIR}" NAME)

set(cache_args)
get_cmake_property(all_vars VARIABLES)
foreach(var IN LISTS all_vars)
  if(var MATCHES "^PASS_(.+)$")
    list(APPEND cache_args "-D${CMAKE_MATCH_1}=${${var}}")
  endif()
endforeach()

function(step what)
  string(REPLACE ";" " " shown "${ARGN}")
  message(STATUS "package.${name}: ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rv)
  if(NOT rv EQUAL 0)
    message(FATAL_ERROR "package.${name}: ${what} failed (${rv})")
  endif()
endfunction()

file(REMOVE_RECURSE "${BINARY_DIR}")
step("configure" "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BINARY_DIR}"
  -G Ninja "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}" ${cache_args})

if(EXPECT_DIR)
  string(FIND "${EXPECT_DIR}" "=" eq)
  string(SUBSTRING "${EXPECT_DIR}" 0 ${eq} cache_var)
  math(EXPR eq "${eq} + 1")
  string(SUBSTRING "${EXPECT_DIR}" ${eq} -1 expected_prefix)
  load_cache("${BINARY_DIR}" READ_WITH_PREFIX found_ ${cache_var})
  file(REAL_PATH "${expected_prefix}" expected_prefix)
  file(REAL_PATH "${found_${cache_var}}" found)
  string(FIND "${found}/" "${expected_prefix}/" at)
  if(NOT at EQUAL 0)
    message(FATAL_ERROR "package.${name}: ${cache_var}='${found_${cache_var}}' is not "
      "under the test install prefix '${expected_prefix}'")
  endif()
endif()

step("build" "${CMAKE_COMMAND}" --build "${BINARY_DIR}" --parallel 2)
step("running ${EXECUTABLE}" "${BINARY_DIR}/${EXECUTABLE}")
message(STATUS "package.${name}: ${EXECUTABLE} exited with status 0")
