# Builds one consumer project (or a copied example) the way a user would, then runs it under
# consumer_probe. Run with cmake -P; the variables are set by tests/CMakeLists.txt:
#
#   PROJECT_DIR   the project to build          WORK_DIR     scratch directory, emptied first
#   PROBE         consumer_probe                PROGRAM      executable the project builds
#   GENERATOR, C_COMPILER, CXX_COMPILER, BUILD_TYPE          the same toolchain as this build
#   COPY_PROJECT  ON: build a copy of PROJECT_DIR made outside the tree (examples as templates)
#   VENDOR_FROM   a source tree to copy to WORK_DIR/third_party/asyncrest (vendoring)
#   EXTRA_ARGS    further configure arguments, separated by '|'
cmake_minimum_required(VERSION 3.24)

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "consumer: ${what} failed (${result}):\n${output}")
  endif()
  message(STATUS "consumer: ${what}: ok")
endfunction()

if(NOT BUILD_TYPE)
  set(BUILD_TYPE Debug)
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

set(source "${PROJECT_DIR}")
if(COPY_PROJECT)
  get_filename_component(name "${PROJECT_DIR}" NAME)
  file(COPY "${PROJECT_DIR}" DESTINATION "${WORK_DIR}")
  set(source "${WORK_DIR}/${name}")
endif()

string(REPLACE "|" ";" extra "${EXTRA_ARGS}")
if(VENDOR_FROM)
  set(copy "${WORK_DIR}/third_party/asyncrest")
  file(MAKE_DIRECTORY "${copy}")
  file(COPY "${VENDOR_FROM}/include" "${VENDOR_FROM}/cmake" "${VENDOR_FROM}/CMakeLists.txt" "${VENDOR_FROM}/LICENSE"
       DESTINATION "${copy}")
  list(APPEND extra "-DASYNCREST_VENDORED_DIR=${copy}")
endif()

run_step("configure ${source}"
         ${CMAKE_COMMAND} -S "${source}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
         "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}" "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
         ${extra})
run_step("build" ${CMAKE_COMMAND} --build "${WORK_DIR}/build" -j2)
run_step("run ${PROGRAM}" "${PROBE}" "${WORK_DIR}/build/${PROGRAM}" "${PROBE_PATH}" "${EXPECTED}")
