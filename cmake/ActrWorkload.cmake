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
# The precompiled SDK: actr's own build compiles the SDK (sdk/cpp/src) and the guest bindings of
# wit/actr-workload.wit once, with the guest flags of ActrGuest.cmake, into the wasm32 archive
# libactr_guest_sdk.a (actr_add_workload_sdk(), called by sdk/cpp/CMakeLists.txt; installed in
# PREFIX/share/actr/sdk/cpp/wasm32/{lib,include}). A workload then compiles only its own sources
# and links that archive whole (the exports live in it), when ACTR_GUEST_SDK_PREBUILT is ON and
# the archive is there: the target of actr's own build, or ACTR_GUEST_SDK_PREBUILT_DIR set by
# find_package(actr) (actrConfig.cmake).
#
# Without the archive (ACTR_GUEST_SDK_PREBUILT OFF, or a package without it) each workload
# compiles the SDK itself: at build time actr-witgen generates the guest bindings into
# ${CMAKE_CURRENT_BINARY_DIR}/<name>.bindings and the SDK, the bindings and the sources are
# compiled. The generator is the target actr-witgen of actr's own build, else actr::witgen,
# imported by find_package(actr). Without a generator or the guest toolchain nothing is defined.
#
# Either way the sources are compiled with actr/workload.hpp precompiled once per workload (a
# clang PCH with the sources' own flags, ACTR_WORKLOAD_PCH): most of a source's compile is
# parsing libc++'s <string> and <vector> through that header. The component is
# ${PROJECT_BINARY_DIR}/guests/<name>.wasm, built by actr_add_guest_component (target
# guest_<name>).
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/ActrGuest.cmake)

set(ACTR_WORKLOAD_WIT "${CMAKE_CURRENT_LIST_DIR}/../wit/actr-workload.wit")
get_filename_component(ACTR_WORKLOAD_WIT "${ACTR_WORKLOAD_WIT}" ABSOLUTE)
set(ACTR_SDK_DIR "${CMAKE_CURRENT_LIST_DIR}/../sdk/cpp")
get_filename_component(ACTR_SDK_DIR "${ACTR_SDK_DIR}" ABSOLUTE)
set(ACTR_WORKLOAD_WORLD actr-workload-guest)
set(ACTR_GUEST_SDK_PREBUILT ON CACHE BOOL
    "Link workloads with the precompiled guest SDK archive (libactr_guest_sdk.a) when there is one")
set(ACTR_WORKLOAD_PCH ON CACHE BOOL
    "Precompile actr/workload.hpp once per workload (clang PCH) for the workload's sources")

# The guest bindings of the seed world generated into `dir` by `witgen`; `out_stamp` receives the
# file that is written after them.
function(_actr_workload_bindings out_stamp witgen dir)
  set(stamp "${dir}/.stamp")
  string(REPLACE "-" "_" base "${ACTR_WORKLOAD_WORLD}")
  add_custom_command(
    OUTPUT "${stamp}"
    BYPRODUCTS "${dir}/${base}_guest.cpp" "${dir}/${base}_guest.hpp" "${dir}/${base}_types.hpp"
               "${dir}/actr_wit_runtime.hpp" "${dir}/actr_wit_guest_abi.hpp"
    COMMAND $<TARGET_FILE:${witgen}> --guest "${ACTR_WORKLOAD_WIT}" --world ${ACTR_WORKLOAD_WORLD}
            -o "${dir}"
    COMMAND ${CMAKE_COMMAND} -E touch "${stamp}"
    DEPENDS ${witgen} "${ACTR_WORKLOAD_WIT}"
    COMMENT "actr-witgen --guest ${ACTR_WORKLOAD_WORLD} into ${dir}"
    VERBATIM)
  set(${out_stamp} "${stamp}" PARENT_SCOPE)
endfunction()

# actr's own build: the SDK archive in `dir`/lib/libactr_guest_sdk.a and the generated headers it
# was compiled with in `dir`/include (target guest_lib_actr_guest_sdk, built by `all`). The SDK's
# sources are globbed (CONFIGURE_DEPENDS) and tracked with their headers, and the bindings are
# regenerated when actr-witgen or the WIT change, so a changed SDK rebuilds the archive.
function(actr_add_workload_sdk dir)
  if(NOT TARGET actr-witgen)
    message(FATAL_ERROR "actr_add_workload_sdk: add_subdirectory(tools/witgen) first")
  endif()
  set(include "${dir}/include")
  file(MAKE_DIRECTORY "${include}")
  _actr_workload_bindings(stamp actr-witgen "${include}")
  string(REPLACE "-" "_" base "${ACTR_WORKLOAD_WORLD}")
  file(GLOB sdk_sources CONFIGURE_DEPENDS "${ACTR_SDK_DIR}/src/*.cpp")
  actr_add_guest_archive(actr_guest_sdk
    SOURCES ${sdk_sources} "${include}/${base}_guest.cpp"
    OUTPUT "${dir}/lib/libactr_guest_sdk.a"
    INCLUDE_DIRECTORIES "${ACTR_SDK_DIR}/include" "${include}"
    OBJECT_DEPENDS "${stamp}"
    OUTPUT_VAR archive)
  if(TARGET guest_lib_actr_guest_sdk)
    set_property(GLOBAL PROPERTY ACTR_GUEST_SDK_BUILD_DIR "${dir}")
  endif()
endfunction()

# The precompiled SDK a workload links, if any: `out_archive` (empty: none), the directory of the
# headers it was compiled with, and what the workload's build must wait for.
function(_actr_workload_prebuilt_sdk out_archive out_include out_depends)
  set(archive)
  set(include)
  set(depends)
  get_property(build_dir GLOBAL PROPERTY ACTR_GUEST_SDK_BUILD_DIR)
  if(NOT ACTR_GUEST_SDK_PREBUILT)
  elseif(build_dir AND TARGET guest_lib_actr_guest_sdk)
    set(archive "${build_dir}/lib/libactr_guest_sdk.a")
    set(include "${build_dir}/include")
    set(depends guest_lib_actr_guest_sdk)
  elseif(ACTR_GUEST_SDK_PREBUILT_DIR AND EXISTS "${ACTR_GUEST_SDK_PREBUILT_DIR}/lib/libactr_guest_sdk.a"
         AND EXISTS "${ACTR_GUEST_SDK_PREBUILT_DIR}/include/actr_workload_guest_guest.hpp")
    set(archive "${ACTR_GUEST_SDK_PREBUILT_DIR}/lib/libactr_guest_sdk.a")
    set(include "${ACTR_GUEST_SDK_PREBUILT_DIR}/include")
  endif()
  set(${out_archive} "${archive}" PARENT_SCOPE)
  set(${out_include} "${include}" PARENT_SCOPE)
  set(${out_depends} "${depends}" PARENT_SCOPE)
endfunction()

function(actr_add_workload name)
  cmake_parse_arguments(PARSE_ARGV 1 W "WASI" "OUTPUT_VAR"
                        "SOURCES;INCLUDE_DIRECTORIES;COMPILE_DEFINITIONS;COMPILE_OPTIONS;LINK_LIBRARIES")
  if(W_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "actr_add_workload(${name}): unknown arguments ${W_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT W_SOURCES)
    message(FATAL_ERROR "actr_add_workload(${name}): SOURCES is required")
  endif()
  set(wasi)
  if(W_WASI)
    set(wasi WASI)
  endif()
  set(pch)
  if(ACTR_WORKLOAD_PCH)
    set(pch PRECOMPILE_HEADER "${ACTR_SDK_DIR}/include/actr/workload.hpp")
  endif()

  _actr_workload_prebuilt_sdk(sdk_archive sdk_include sdk_depends)
  if(sdk_archive)
    # Linked whole: nothing in the workload's objects refers to the export functions, which are in
    # the archive's bindings; the link keeps only what the exports reach, as with objects.
    actr_add_guest_component(${name} ${wasi}
      SOURCES ${W_SOURCES}
      WIT "${ACTR_WORKLOAD_WIT}"
      WORLD ${ACTR_WORKLOAD_WORLD}
      INCLUDE_DIRECTORIES "${ACTR_SDK_DIR}/include" "${sdk_include}" ${W_INCLUDE_DIRECTORIES}
      COMPILE_DEFINITIONS ${W_COMPILE_DEFINITIONS}
      COMPILE_OPTIONS ${W_COMPILE_OPTIONS}
      ${pch}
      OBJECT_DEPENDS ${sdk_depends}
      LINK_OPTIONS -Wl,--whole-archive "${sdk_archive}" -Wl,--no-whole-archive
      LINK_LIBRARIES ${W_LINK_LIBRARIES}
      DEPENDS "${sdk_archive}" ${sdk_depends}
      OUTPUT_VAR component)
    if(W_OUTPUT_VAR)
      set(${W_OUTPUT_VAR} "${component}" PARENT_SCOPE)
    endif()
    return()
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
  _actr_workload_bindings(stamp ${witgen} "${bindings}")
  string(REPLACE "-" "_" base "${ACTR_WORKLOAD_WORLD}")
  set(generated_cpp "${bindings}/${base}_guest.cpp")

  # Every compile waits for the generated headers (OBJECT_DEPENDS); after a first build the
  # depfiles track the headers each source includes.
  file(GLOB sdk_sources CONFIGURE_DEPENDS "${ACTR_SDK_DIR}/src/*.cpp")
  actr_add_guest_component(${name} ${wasi}
    SOURCES ${sdk_sources} ${W_SOURCES} "${generated_cpp}"
    WIT "${ACTR_WORKLOAD_WIT}"
    WORLD ${ACTR_WORKLOAD_WORLD}
    INCLUDE_DIRECTORIES "${ACTR_SDK_DIR}/include" "${bindings}" ${W_INCLUDE_DIRECTORIES}
    COMPILE_DEFINITIONS ${W_COMPILE_DEFINITIONS}
    COMPILE_OPTIONS ${W_COMPILE_OPTIONS}
    ${pch}
    OBJECT_DEPENDS "${stamp}"
    LINK_LIBRARIES ${W_LINK_LIBRARIES}
    DEPENDS "${stamp}"
    OUTPUT_VAR component)
  if(W_OUTPUT_VAR)
    set(${W_OUTPUT_VAR} "${component}" PARENT_SCOPE)
  endif()
endfunction()
