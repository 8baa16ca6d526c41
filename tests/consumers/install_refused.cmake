# Configures consumers/install_refused against SOURCE_DIR in WORK_DIR, installs it, and expects
# the install to fail with asyncrest's explanation and to leave the prefix empty (cmake -P).
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${PROJECT_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
                        "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
                        "-DASYNCREST_SOURCE_DIR=${SOURCE_DIR}"
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "consumer: configure failed (${result}):\n${output}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${WORK_DIR}/build" --prefix "${WORK_DIR}/prefix"
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "consumer: the install succeeded, but its package could not find Asio:\n${output}")
endif()
if(NOT output MATCHES "asyncrest cannot be installed from this build" OR NOT output MATCHES "Asio")
  message(FATAL_ERROR "consumer: the install failed without asyncrest's explanation:\n${output}")
endif()
file(GLOB_RECURSE written "${WORK_DIR}/prefix/*")
if(written)
  message(FATAL_ERROR "consumer: the refused install still wrote files: ${written}")
endif()
message(STATUS "consumer: the install was refused with an explanation, and wrote nothing")
