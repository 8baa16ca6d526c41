# Installs the build in BINARY_DIR into an emptied PREFIX (cmake -P), so that what the consumer
# projects find is exactly what this build installs.
file(REMOVE_RECURSE "${PREFIX}")
set(config "")
if(CONFIG)
  set(config --config "${CONFIG}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BINARY_DIR}" --prefix "${PREFIX}" ${config}
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "consumer: install failed (${result}):\n${output}")
endif()
foreach(expected include/asyncrest/asyncrest.hpp lib/cmake/asyncrest/asyncrestConfig.cmake
                 lib/cmake/asyncrest/asyncrestConfigVersion.cmake lib/cmake/asyncrest/asyncrestTargets.cmake
                 lib/cmake/asyncrest/asyncrestAsio.cmake)
  if(NOT EXISTS "${PREFIX}/${expected}")
    message(FATAL_ERROR "consumer: the install has no ${expected}:\n${output}")
  endif()
endforeach()
message(STATUS "consumer: installed into ${PREFIX}")
