# Installing actr (`cmake --install BUILD --prefix PREFIX`):
#
#   PREFIX/bin/actr, PREFIX/bin/actr-witgen, PREFIX/bin/actr-componentize
#   PREFIX/lib/cmake/actr/   actrConfig.cmake (+ Version, Targets): find_package(actr) defines
#                            actr_add_workload() and the imported executables actr::witgen,
#                            actr::componentize and actr::actr
#   PREFIX/share/actr/       the SDK, laid out as in the source tree so that the CMake modules, the
#                            templates of `actr new` and the web tools find each other by the same
#                            relative paths as there: cmake/, sdk/cpp/{include,src,template}, wit/,
#                            tools/jco-shim/, web/, proto/, node_modules/ (jco and what the web
#                            tools serve, copied from this machine's node_modules at install time);
#                            sdk/cpp/wasm32/: the precompiled guest SDK (lib/libactr_guest_sdk.a)
#                            and the generated headers it was compiled with (include/)
#
# The guest SDK's headers and sources stay together in share/actr/sdk/cpp rather than in
# PREFIX/include: they are compiled for wasm32 by every workload, and putting PREFIX/include on a
# guest's include path would let the host's headers installed there into wasm32 code.
#
# The build tree carries the same package in ${ACTR_BUILD_PACKAGE_DIR}, pointing at the source
# tree's SDK and the built executables: `actr new` run from the build tree records it.
include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ACTR_INSTALL_SDK_DIR "${CMAKE_INSTALL_DATADIR}/actr")
set(ACTR_INSTALL_PACKAGE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/actr")
set(ACTR_BUILD_PACKAGE_DIR "${PROJECT_BINARY_DIR}/lib/cmake/actr")

set_target_properties(actr-witgen PROPERTIES EXPORT_NAME witgen)
set_target_properties(actr-componentize PROPERTIES EXPORT_NAME componentize)
install(TARGETS actr actr-witgen actr-componentize EXPORT actrTargets
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(EXPORT actrTargets NAMESPACE actr:: DESTINATION "${ACTR_INSTALL_PACKAGE_DIR}")
export(EXPORT actrTargets NAMESPACE actr:: FILE "${ACTR_BUILD_PACKAGE_DIR}/actrTargets.cmake")

# The package config, twice: relocatable for the install (the SDK is found relative to the config
# file), with the source tree's absolute path for the build tree.
# ACTR_GUEST_SDK_PREBUILT_DIR: the precompiled guest SDK (sdk/cpp/CMakeLists.txt), beside the
# SDK's files when installed, in the build tree for the build tree's package.
get_property(actr_guest_sdk_build_dir GLOBAL PROPERTY ACTR_GUEST_SDK_BUILD_DIR)
set(ACTR_SDK_ROOT_DIR "${ACTR_INSTALL_SDK_DIR}")
set(ACTR_GUEST_SDK_PREBUILT_DIR "${ACTR_INSTALL_SDK_DIR}/sdk/cpp/wasm32")
configure_package_config_file(cmake/actrConfig.cmake.in
  "${PROJECT_BINARY_DIR}/CMakeFiles/actr-install/actrConfig.cmake"
  INSTALL_DESTINATION "${ACTR_INSTALL_PACKAGE_DIR}"
  PATH_VARS ACTR_SDK_ROOT_DIR ACTR_GUEST_SDK_PREBUILT_DIR)
set(ACTR_SDK_ROOT_DIR "${PROJECT_SOURCE_DIR}")
set(ACTR_GUEST_SDK_PREBUILT_DIR "${PROJECT_BINARY_DIR}/sdk/cpp/wasm32")
if(actr_guest_sdk_build_dir)
  set(ACTR_GUEST_SDK_PREBUILT_DIR "${actr_guest_sdk_build_dir}")
endif()
configure_package_config_file(cmake/actrConfig.cmake.in "${ACTR_BUILD_PACKAGE_DIR}/actrConfig.cmake"
  INSTALL_DESTINATION "${ACTR_BUILD_PACKAGE_DIR}"
  INSTALL_PREFIX "${PROJECT_BINARY_DIR}"
  PATH_VARS ACTR_SDK_ROOT_DIR ACTR_GUEST_SDK_PREBUILT_DIR)
unset(ACTR_GUEST_SDK_PREBUILT_DIR)
# ARCH_INDEPENDENT: the package holds host executables and wasm32 sources, nothing a consumer links
# against; the pointer-size check would refuse it to a project configured with
# wasm32-wasi-toolchain.cmake. SameMinorVersion: before 1.0, a minor release may break the SDK.
write_basic_package_version_file("${ACTR_BUILD_PACKAGE_DIR}/actrConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/CMakeFiles/actr-install/actrConfig.cmake"
              "${ACTR_BUILD_PACKAGE_DIR}/actrConfigVersion.cmake"
        DESTINATION "${ACTR_INSTALL_PACKAGE_DIR}")

# `actr new` and `actr build` look for the SDK relative to the actr executable first (an installed
# actr), else use the source and build trees that built it (src/cli/workload_commands.cpp).
file(RELATIVE_PATH actr_sdk_from_bindir "${CMAKE_INSTALL_FULL_BINDIR}"
     "${CMAKE_INSTALL_FULL_DATADIR}/actr")
file(RELATIVE_PATH actr_package_from_bindir "${CMAKE_INSTALL_FULL_BINDIR}"
     "${CMAKE_INSTALL_FULL_LIBDIR}/cmake/actr")
target_compile_definitions(actr PRIVATE
  ACTR_INSTALLED_SDK_FROM_BINDIR="${actr_sdk_from_bindir}"
  ACTR_INSTALLED_PACKAGE_FROM_BINDIR="${actr_package_from_bindir}"
  ACTR_BUILD_PACKAGE_DIR="${ACTR_BUILD_PACKAGE_DIR}")
unset(actr_sdk_from_bindir)
unset(actr_package_from_bindir)

# The SDK's files.
set(sdk "${ACTR_INSTALL_SDK_DIR}")
install(FILES cmake/ActrGuest.cmake cmake/ActrWorkload.cmake cmake/wasm32-wasi-toolchain.cmake
        DESTINATION "${sdk}/cmake")
install(FILES cmake/Platform/WASI.cmake DESTINATION "${sdk}/cmake/Platform")
install(FILES tools/jco-shim/preopen-root.mjs DESTINATION "${sdk}/tools/jco-shim")
install(FILES wit/actr-workload.wit DESTINATION "${sdk}/wit")
install(DIRECTORY sdk/cpp/include sdk/cpp/src sdk/cpp/template DESTINATION "${sdk}/sdk/cpp")
install(FILES sdk/cpp/README.md DESTINATION "${sdk}/sdk/cpp")
# The precompiled guest SDK, when the guest toolchain was there to build it (else workloads
# compile the SDK themselves): the archive and the generated headers (not the generated source,
# which is in the archive).
if(actr_guest_sdk_build_dir)
  install(FILES "${actr_guest_sdk_build_dir}/lib/libactr_guest_sdk.a"
          DESTINATION "${sdk}/sdk/cpp/wasm32/lib")
  install(DIRECTORY "${actr_guest_sdk_build_dir}/include/" DESTINATION "${sdk}/sdk/cpp/wasm32/include"
          FILES_MATCHING PATTERN "*.hpp")
endif()
unset(actr_guest_sdk_build_dir)
# The web node: `actr build --web` runs web/tools/transpile.mjs; web/serve.mjs serves web/src,
# web/demo, proto/*.proto and two files of node_modules.
install(DIRECTORY web/src web/tools web/demo DESTINATION "${sdk}/web")
install(FILES web/serve.mjs web/package.json DESTINATION "${sdk}/web")
install(FILES proto/signaling.proto proto/transport.proto DESTINATION "${sdk}/proto")
# Decided at install time, from the node_modules present then (cmake/ActrInstallNodeModules.cmake).
install(CODE "
  set(ACTR_NODE_MODULES_FROM \"${PROJECT_SOURCE_DIR}/node_modules\")
  set(ACTR_NODE_MODULES_TO \"\${CMAKE_INSTALL_PREFIX}/${sdk}/node_modules\")
  include(\"${PROJECT_SOURCE_DIR}/cmake/ActrInstallNodeModules.cmake\")")
unset(sdk)
