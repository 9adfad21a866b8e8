# Run by ctest (see CMakeLists.txt beside this file).
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

# Only the headers and the package config are installed: no build of the tree is needed.
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
# The examples use eh::eh alone: the package must not look for the components' dependencies
# (a look for one of these packages fails the configuration).
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_DISABLE_FIND_PACKAGE_CLI11=ON -DCMAKE_DISABLE_FIND_PACKAGE_yaml-cpp=ON
    -DCMAKE_DISABLE_FIND_PACKAGE_gRPC=ON -DCMAKE_DISABLE_FIND_PACKAGE_Protobuf=ON
    -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/eh-example-memory)
run(${WORK_DIR}/build/eh-example-sqlite-contract)
# A consumer of each exported component (eh::nats, eh::redis, eh::grpc, eh::config).
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/consumers -B ${WORK_DIR}/consumers -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumers)
run(${WORK_DIR}/consumers/consume-nats)
run(${WORK_DIR}/consumers/consume-redis)
run(${WORK_DIR}/consumers/consume-grpc)
run(${WORK_DIR}/consumers/consume-config)
# A component's target that was not asked for fails with a line that says how to ask for it.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/unrequested -B ${WORK_DIR}/unrequested
                        -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0 OR NOT out MATCHES "add_config_to_find_package_COMPONENTS")
  message(FATAL_ERROR "linking eh::config without COMPONENTS config did not fail as expected (${rc}):\n${out}")
endif()
