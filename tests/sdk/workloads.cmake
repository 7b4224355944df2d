# Test-only workloads of the SDK suite (the examples are built by examples/).
actr_add_workload(sdk_probe SOURCES ${CMAKE_CURRENT_LIST_DIR}/guests/probe/probe.cpp)

# The seed contract as a component that holds no code of ours: jco's dummy core module imports
# every function of actr:workload/host and exports every function of actr:workload/workload.
# tests/sdk/seed_wit_test.cpp compares the printed WIT of the SDK-built workloads with its WIT.
if(ACTR_NODE AND EXISTS "${ACTR_JCO}")
  set(seed_work "${CMAKE_CURRENT_BINARY_DIR}/seed_world.guest")
  set(seed_embedded "${seed_work}/seed_world.embedded.wasm")
  set(seed_component "${PROJECT_BINARY_DIR}/guests/seed_world.wasm")
  file(MAKE_DIRECTORY "${seed_work}" "${PROJECT_BINARY_DIR}/guests")
  set(seed_jco_env "${CMAKE_COMMAND}" -E env "NODE_OPTIONS=--import=${ACTR_JCO_PREOPEN_SHIM}")
  add_custom_command(
    OUTPUT "${seed_embedded}"
    COMMAND ${seed_jco_env} "${ACTR_NODE}" "${ACTR_JCO}" embed --dummy --wit "${ACTR_WORKLOAD_WIT}"
            --world-name ${ACTR_WORKLOAD_WORLD} -o "${seed_embedded}"
    DEPENDS "${ACTR_WORKLOAD_WIT}" "${ACTR_JCO_PREOPEN_SHIM}"
    COMMENT "Embedding the seed world ${ACTR_WORKLOAD_WORLD} into jco's dummy module"
    VERBATIM)
  add_custom_command(
    OUTPUT "${seed_component}"
    COMMAND ${seed_jco_env} "${ACTR_NODE}" "${ACTR_JCO}" new "${seed_embedded}" -o "${seed_component}"
    DEPENDS "${seed_embedded}" "${ACTR_JCO_PREOPEN_SHIM}"
    COMMENT "Creating the seed world component seed_world.wasm"
    VERBATIM)
  add_custom_target(guest_seed_world ALL DEPENDS "${seed_component}")
endif()

if(TARGET actr_sdk_tests)
  if(TARGET guest_seed_world)
    add_dependencies(actr_sdk_tests guest_seed_world)
  endif()
  # seed_wit_test.cpp runs `actr component wit`; toolchain_test.cpp configures and builds
  # toolchain_project/ and toolchain_workload/ with cmake/wasm32-wasi-toolchain.cmake, with this
  # build's cmake and generator (and actr-witgen for the workload).
  add_dependencies(actr_sdk_tests actr actr-witgen)
  target_compile_definitions(actr_sdk_tests PRIVATE
    ACTR_TEST_WITGEN="$<TARGET_FILE:actr-witgen>"
    ACTR_CMAKE_COMMAND="${CMAKE_COMMAND}"
    ACTR_CMAKE_GENERATOR="${CMAKE_GENERATOR}"
    ACTR_CMAKE_MAKE_PROGRAM="${CMAKE_MAKE_PROGRAM}")
  # bulk_memory_test.cpp reads the core modules of the SDK-built workloads ('|'-separated).
  set(sdk_cores)
  foreach(guest IN ITEMS guest_echo guest_counter guest_greeter guest_sdk_probe)
    if(TARGET ${guest})
      list(APPEND sdk_cores "$<TARGET_PROPERTY:${guest},ACTR_GUEST_CORE>")
    endif()
  endforeach()
  string(JOIN "|" sdk_cores ${sdk_cores})
  target_compile_definitions(actr_sdk_tests PRIVATE ACTR_SDK_CORE_MODULES="${sdk_cores}")
endif()
