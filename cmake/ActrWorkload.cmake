# Workloads: C++ guests of the world actr:workload/actr-workload-guest written with the guest SDK
# (sdk/cpp, `#include <actr/workload.hpp>`).
#
#   actr_add_workload(<name>
#     SOURCES <file>...                 the workload's C++ sources (one of them uses ACTR_WORKLOAD)
#     [INCLUDE_DIRECTORIES <dir>...] [COMPILE_DEFINITIONS <def>...] [COMPILE_OPTIONS <opt>...]
#     [LINK_LIBRARIES <lib>...]         wasm32 static libraries (targets or archive paths), e.g.
#                                       built with cmake/wasm32-wasi-toolchain.cmake
#     [WASI]                            the workload uses libc I/O, the environment, clocks or
#                                       random: the component then imports WASI (see
#                                       actr_add_guest_component)
#     [OUTPUT_VAR <var>])               receives the path of the component
#
# At build time actr-witgen generates the guest bindings of wit/actr-workload.wit into
# ${CMAKE_CURRENT_BINARY_DIR}/<name>.bindings; the SDK, the bindings and the sources are compiled
# into ${PROJECT_BINARY_DIR}/guests/<name>.wasm by actr_add_guest_component (target
# guest_<name>). The generator is the target actr-witgen of actr's own build, else actr::witgen,
# imported by find_package(actr) (actrConfig.cmake). Without a generator or the guest toolchain
# nothing is defined.
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/ActrGuest.cmake)

set(ACTR_WORKLOAD_WIT "${CMAKE_CURRENT_LIST_DIR}/../wit/actr-workload.wit")
get_filename_component(ACTR_WORKLOAD_WIT "${ACTR_WORKLOAD_WIT}" ABSOLUTE)
set(ACTR_SDK_DIR "${CMAKE_CURRENT_LIST_DIR}/../sdk/cpp")
get_filename_component(ACTR_SDK_DIR "${ACTR_SDK_DIR}" ABSOLUTE)
set(ACTR_WORKLOAD_WORLD actr-workload-guest)

function(actr_add_workload name)
  cmake_parse_arguments(PARSE_ARGV 1 W "WASI" "OUTPUT_VAR"
                        "SOURCES;INCLUDE_DIRECTORIES;COMPILE_DEFINITIONS;COMPILE_OPTIONS;LINK_LIBRARIES")
  if(W_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "actr_add_workload(${name}): unknown arguments ${W_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT W_SOURCES)
    message(FATAL_ERROR "actr_add_workload(${name}): SOURCES is required")
  endif()
  if(TARGET actr-witgen)
    set(witgen actr-witgen)
  elseif(TARGET actr::witgen)
    set(witgen actr::witgen)
  else()
    message(WARNING "Workload `${name}` will not be built: no actr-witgen target "
                    "(find_package(actr) first, or add_subdirectory(tools/witgen) in actr's tree).")
    return()
  endif()

  set(bindings "${CMAKE_CURRENT_BINARY_DIR}/${name}.bindings")
  set(stamp "${bindings}/.stamp")
  string(REPLACE "-" "_" base "${ACTR_WORKLOAD_WORLD}")
  set(generated_cpp "${bindings}/${base}_guest.cpp")
  add_custom_command(
    OUTPUT "${stamp}"
    BYPRODUCTS "${generated_cpp}" "${bindings}/${base}_guest.hpp" "${bindings}/${base}_types.hpp"
               "${bindings}/actr_wit_runtime.hpp" "${bindings}/actr_wit_guest_abi.hpp"
    COMMAND $<TARGET_FILE:${witgen}> --guest "${ACTR_WORKLOAD_WIT}" --world ${ACTR_WORKLOAD_WORLD}
            -o "${bindings}"
    COMMAND ${CMAKE_COMMAND} -E touch "${stamp}"
    DEPENDS ${witgen} "${ACTR_WORKLOAD_WIT}"
    COMMENT "actr-witgen --guest ${ACTR_WORKLOAD_WORLD} for workload ${name}"
    VERBATIM)

  # actr_add_guest_component makes each object depend on its source alone (plus the headers its
  # depfile names after a first build). Each hand-written source is therefore compiled through a
  # one-line wrapper that `#include`s it and is written after the bindings: the first compile
  # waits for the generated headers, and the depfile still tracks the real source.
  file(GLOB sdk_sources CONFIGURE_DEPENDS "${ACTR_SDK_DIR}/src/*.cpp")
  set(wrappers)
  foreach(src IN LISTS sdk_sources W_SOURCES)
    get_filename_component(src "${src}" ABSOLUTE)
    get_filename_component(stem "${src}" NAME_WE)
    string(FIND "${src}" "${ACTR_SDK_DIR}/" sdk_pos)
    if(sdk_pos EQUAL 0)
      set(wrapper "${bindings}/sdk_${stem}.cpp")
    else()
      set(wrapper "${bindings}/src_${stem}.cpp")
    endif()
    if(wrapper IN_LIST wrappers)
      message(FATAL_ERROR "actr_add_workload(${name}): two sources named ${stem}")
    endif()
    set(seed "${bindings}/wrappers/${stem}.cpp.in")
    file(WRITE "${seed}.tmp" "#include \"${src}\"\n")
    file(COPY_FILE "${seed}.tmp" "${seed}" ONLY_IF_DIFFERENT)
    add_custom_command(
      OUTPUT "${wrapper}"
      COMMAND ${CMAKE_COMMAND} -E copy "${seed}" "${wrapper}"
      DEPENDS "${seed}" "${stamp}"
      VERBATIM)
    list(APPEND wrappers "${wrapper}")
  endforeach()

  set(wasi)
  if(W_WASI)
    set(wasi WASI)
  endif()
  actr_add_guest_component(${name} ${wasi}
    SOURCES ${wrappers} "${generated_cpp}"
    WIT "${ACTR_WORKLOAD_WIT}"
    WORLD ${ACTR_WORKLOAD_WORLD}
    INCLUDE_DIRECTORIES "${ACTR_SDK_DIR}/include" "${bindings}" ${W_INCLUDE_DIRECTORIES}
    COMPILE_DEFINITIONS ${W_COMPILE_DEFINITIONS}
    COMPILE_OPTIONS ${W_COMPILE_OPTIONS}
    LINK_LIBRARIES ${W_LINK_LIBRARIES}
    DEPENDS "${stamp}"
    OUTPUT_VAR component)
  if(W_OUTPUT_VAR)
    set(${W_OUTPUT_VAR} "${component}" PARENT_SCOPE)
  endif()
endfunction()
