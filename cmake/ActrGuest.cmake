# Guest components: C/C++ compiled to wasm32-wasi by clang-19, then wrapped into a WebAssembly
# component. A guest that imports nothing but its world is wrapped natively by actr-componentize
# (tools/componentize: no Node, a few milliseconds); a WASI guest needs the preview1 reactor
# adapter, which only jco (wit-component) adds, so WASI guests (and guests declared JCO) are
# wrapped by `jco embed` + `jco new`. The host build stays on the system compiler; guests are built
# with custom commands so that they never inherit host flags, includes or sanitizers.
#
#   actr_add_guest_component(<name>
#     SOURCES <file>...                 C (.c) or C++ (.cc/.cpp/.cxx) sources
#     WIT <file-or-dir>                 the WIT package (a .wit file or a directory of them)
#     WORLD <world>                     the world the guest implements
#     [WASI]                            link the WASI preview1 reactor adapter (guest may use libc
#                                       I/O, clocks, random; wrapped by jco); without it the guest
#                                       must import nothing but its world
#     [JCO]                             wrap with jco even without WASI (worlds actr-componentize
#                                       does not handle: resources, types defined in the world)
#     [INCLUDE_DIRECTORIES <dir>...] [COMPILE_DEFINITIONS <def>...]
#     [COMPILE_OPTIONS <opt>...] [LINK_OPTIONS <opt>...]
#     [PRECOMPILE_HEADER <header>]      compiled once (clang PCH, same flags as the sources) and
#                                       included first (-include-pch) in every C++ source
#     [OBJECT_DEPENDS <file-or-target>...]  what every compile (and the PCH) waits for, e.g. the
#                                       target that generates headers the sources include
#     [LINK_LIBRARIES <lib>...]         wasm32 static libraries linked into the guest: targets or
#                                       archive paths built for wasm32-wasi, e.g. with
#                                       cmake/wasm32-wasi-toolchain.cmake
#     [DEPENDS <file>...]               extra files whose change must rebuild the guest
#     [OUTPUT_VAR <var>])               receives the path of the component
#
#   actr_add_guest_archive(<name> SOURCES <file>... OUTPUT <lib.a>
#     [INCLUDE_DIRECTORIES <dir>...] [COMPILE_DEFINITIONS <def>...] [COMPILE_OPTIONS <opt>...]
#     [OBJECT_DEPENDS <file-or-target>...] [OUTPUT_VAR <var>])
#                                       the sources compiled with the same guest flags into the
#                                       static archive OUTPUT (llvm-ar-19), target guest_lib_<name>
#
# Produces the target `guest_<name>` (built by `all`) and the component
# ${PROJECT_BINARY_DIR}/guests/<name>.wasm; intermediates go to
# ${CMAKE_CURRENT_BINARY_DIR}/<name>.guest/. The target property ACTR_GUEST_COMPONENT holds the
# component's path. The native wrapper is the target actr-componentize of actr's own build, else
# actr::componentize (find_package(actr)); without either, guests fall back to jco. When clang-19,
# the wasm32 sysroot or (for the jco path) node/jco is missing, the function warns and defines
# nothing: tests that need the component skip.
include_guard(GLOBAL)

find_program(ACTR_GUEST_CC NAMES clang-19 DOC "clang for wasm32 guests")
find_program(ACTR_GUEST_CXX NAMES clang++-19 DOC "clang++ for wasm32 guests")
find_program(ACTR_GUEST_AR NAMES llvm-ar-19 DOC "llvm-ar for wasm32 guest archives")
find_program(ACTR_NODE NAMES node nodejs DOC "node.js, to run jco")
# Beside cmake/: the source tree's node_modules (`npm ci`), or the copy an installed SDK carries in
# PREFIX/share/actr (cmake/ActrInstall.cmake), so a project using the SDK needs no node_modules.
get_filename_component(_actr_node_modules "${CMAKE_CURRENT_LIST_DIR}/../node_modules" ABSOLUTE)
set(ACTR_JCO "${_actr_node_modules}/.bin/jco" CACHE FILEPATH
    "jco (pinned in package.json; install with `npm ci` in the actr source tree)")
set(ACTR_WASI_INCLUDE_DIR "/usr/include/wasm32-wasi" CACHE PATH "wasi-libc headers (Debian wasi-libc)")
set(ACTR_WASI_LIB_DIR "/usr/lib/wasm32-wasi" CACHE PATH "wasi-libc and libc++ for wasm32")
set(ACTR_GUEST_OPT_FLAGS "-O2" CACHE STRING "Optimisation flags for guest code")

# Why each flag:
#   -fno-exceptions        Debian's wasm32 libc++abi has no exception runtime.
#   -mexec-model=reactor   a library-style module (exports _initialize), not a `main` program.
#   -mno-simd128 -mno-tail-call  wasm2c (the aot engine) cannot translate them.
#   -mbulk-memory          memcpy/memmove/memset become memory.copy/memory.fill, which both
#                          engines run as one bounds check and a native memmove/memset (wasi-libc's
#                          are byte/word loops); the SDK's memory_builtins.cpp covers libc's callers.
#   --strip-debug          a tenth of the size; components are shipped, not debugged.
#   --stack-first          a shadow-stack overflow traps at once instead of overwriting .data.
set(ACTR_GUEST_COMMON_FLAGS -fno-exceptions -mno-simd128 -mno-tail-call -mbulk-memory)
set(ACTR_GUEST_LINK_FLAGS -mexec-model=reactor -Wl,--strip-debug -Wl,--stack-first)
set(ACTR_JCO_PREOPEN_SHIM "${CMAKE_CURRENT_LIST_DIR}/../tools/jco-shim/preopen-root.mjs")
get_filename_component(ACTR_JCO_PREOPEN_SHIM "${ACTR_JCO_PREOPEN_SHIM}" ABSOLUTE)

# The native wrapper (actr-componentize), or empty when there is none.
function(_actr_guest_componentize out)
  if(TARGET actr-componentize)
    set(${out} actr-componentize PARENT_SCOPE)
  elseif(TARGET actr::componentize)
    set(${out} actr::componentize PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

# Why the guest toolchain is unusable, or empty when it is usable. `need_jco`: the guest is
# wrapped by jco, which needs node.
function(_actr_guest_toolchain_problem out need_jco)
  set(problems)
  if(NOT ACTR_GUEST_CC OR NOT ACTR_GUEST_CXX)
    list(APPEND problems "clang-19/clang++-19 not found (apt-get install clang-19 lld-19)")
  endif()
  if(NOT EXISTS "${ACTR_WASI_INCLUDE_DIR}/stdlib.h" OR NOT EXISTS "${ACTR_WASI_LIB_DIR}/libc.a")
    list(APPEND problems "wasi-libc not found in ${ACTR_WASI_INCLUDE_DIR} (apt-get install wasi-libc)")
  endif()
  if(NOT EXISTS "${ACTR_WASI_LIB_DIR}/libc++.a")
    list(APPEND problems "wasm32 libc++ not found (apt-get install libc++-19-dev-wasm32 "
                         "libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32)")
  endif()
  if(need_jco AND NOT ACTR_NODE)
    list(APPEND problems "node not found")
  endif()
  if(need_jco AND NOT EXISTS "${ACTR_JCO}")
    list(APPEND problems "jco not found at ${ACTR_JCO} (run `npm ci` in the actr source tree, "
                         "or set ACTR_JCO)")
  endif()
  list(JOIN problems "; " text)
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# The private sysroot: only the wasm32 triple directories, so that clang never falls back to the
# host's /usr/include (which it would with --sysroot=/usr).
function(_actr_guest_sysroot out)
  set(root "${PROJECT_BINARY_DIR}/wasm32-wasi-sysroot")
  if(NOT EXISTS "${root}/include/wasm32-wasi")
    file(MAKE_DIRECTORY "${root}/include" "${root}/lib")
    file(CREATE_LINK "${ACTR_WASI_INCLUDE_DIR}" "${root}/include/wasm32-wasi" SYMBOLIC)
    file(CREATE_LINK "${ACTR_WASI_LIB_DIR}" "${root}/lib/wasm32-wasi" SYMBOLIC)
  endif()
  set(${out} "${root}" PARENT_SCOPE)
endfunction()

# The target guest_<name> that builds `component` from `core` (world `world` of `wit`) with
# `wrapper` (native or jco); the tests compare the two wrappers on the same core module.
function(_actr_guest_target name component core wit world wrapper)
  add_custom_target(guest_${name} ALL DEPENDS "${component}")
  set_target_properties(guest_${name} PROPERTIES ACTR_GUEST_COMPONENT "${component}"
    ACTR_GUEST_CORE "${core}" ACTR_GUEST_WIT "${wit}" ACTR_GUEST_WORLD "${world}"
    ACTR_GUEST_WRAPPER "${wrapper}")
  set_property(GLOBAL APPEND PROPERTY ACTR_GUEST_TARGETS guest_${name})
endfunction()

# Compiles `SOURCES` into wasm32 objects under `work` with the guest flags: `out_objects` receives
# the objects, `out_has_cxx` whether a source is C++. With PRECOMPILE_HEADER, the header is
# compiled once into a clang PCH with the C++ sources' flags, and every C++ source includes it
# first (-include-pch): a source that includes the header itself again costs nothing more (the
# header's include guard). Each object depends on its source, OBJECT_DEPENDS and the PCH; its
# depfile adds the headers it included after a first build.
function(_actr_guest_objects out_objects out_has_cxx work sysroot)
  cmake_parse_arguments(PARSE_ARGV 4 O "" "PRECOMPILE_HEADER"
                        "SOURCES;INCLUDE_DIRECTORIES;COMPILE_DEFINITIONS;COMPILE_OPTIONS;OBJECT_DEPENDS")
  set(target_flags --target=wasm32-wasi "--sysroot=${sysroot}")
  set(includes)
  foreach(dir IN LISTS O_INCLUDE_DIRECTORIES)
    get_filename_component(dir "${dir}" ABSOLUTE)
    list(APPEND includes "-I${dir}")
  endforeach()
  set(defines)
  foreach(def IN LISTS O_COMPILE_DEFINITIONS)
    list(APPEND defines "-D${def}")
  endforeach()
  set(cxx_flags ${target_flags} ${ACTR_GUEST_OPT_FLAGS} ${ACTR_GUEST_COMMON_FLAGS} -std=c++20
                -Wall -Wextra ${defines} ${includes} ${O_COMPILE_OPTIONS})
  set(c_flags ${target_flags} ${ACTR_GUEST_OPT_FLAGS} ${ACTR_GUEST_COMMON_FLAGS} -std=c11
              -Wall -Wextra ${defines} ${includes} ${O_COMPILE_OPTIONS})

  set(pch_flags)
  set(pch_depends)
  if(O_PRECOMPILE_HEADER)
    get_filename_component(header "${O_PRECOMPILE_HEADER}" ABSOLUTE)
    get_filename_component(header_name "${header}" NAME)
    set(pch "${work}/${header_name}.pch")
    add_custom_command(
      OUTPUT "${pch}"
      COMMAND "${ACTR_GUEST_CXX}" ${cxx_flags} -MD -MT "${pch}" -MF "${pch}.d"
              -x c++-header "${header}" -o "${pch}"
      DEPENDS "${header}" ${O_OBJECT_DEPENDS}
      DEPFILE "${pch}.d"
      COMMENT "Precompiling wasm32 guest header ${header_name}"
      VERBATIM COMMAND_EXPAND_LISTS)
    set(pch_flags -include-pch "${pch}")
    set(pch_depends "${pch}")
  endif()

  set(objects)
  set(has_cxx FALSE)
  foreach(src IN LISTS O_SOURCES)
    get_filename_component(src "${src}" ABSOLUTE)
    get_filename_component(ext "${src}" LAST_EXT)
    if(ext STREQUAL ".c")
      set(compile "${ACTR_GUEST_CC}" ${c_flags})
      set(object_depends)
    elseif(ext MATCHES "^\\.(cc|cpp|cxx)$")
      set(compile "${ACTR_GUEST_CXX}" ${cxx_flags} ${pch_flags})
      set(object_depends ${pch_depends})
      set(has_cxx TRUE)
    else()
      message(FATAL_ERROR "wasm32 guest: unsupported source ${src}")
    endif()
    file(RELATIVE_PATH rel "${CMAKE_CURRENT_SOURCE_DIR}" "${src}")
    string(REGEX REPLACE "[^A-Za-z0-9_.-]" "_" obj_name "${rel}")
    set(obj "${work}/${obj_name}.o")
    add_custom_command(
      OUTPUT "${obj}"
      COMMAND ${compile} -MD -MT "${obj}" -MF "${obj}.d" -c "${src}" -o "${obj}"
      DEPENDS "${src}" ${object_depends} ${O_OBJECT_DEPENDS}
      DEPFILE "${obj}.d"
      COMMENT "Compiling wasm32 guest object ${rel}"
      VERBATIM COMMAND_EXPAND_LISTS)
    list(APPEND objects "${obj}")
  endforeach()
  set(${out_objects} "${objects}" PARENT_SCOPE)
  set(${out_has_cxx} ${has_cxx} PARENT_SCOPE)
endfunction()

function(actr_add_guest_component name)
  cmake_parse_arguments(PARSE_ARGV 1 G "WASI;JCO" "WIT;WORLD;OUTPUT_VAR;PRECOMPILE_HEADER"
                        "SOURCES;INCLUDE_DIRECTORIES;COMPILE_DEFINITIONS;COMPILE_OPTIONS;LINK_OPTIONS;LINK_LIBRARIES;DEPENDS;OBJECT_DEPENDS")
  if(G_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "actr_add_guest_component(${name}): unknown arguments ${G_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT G_SOURCES OR NOT G_WIT OR NOT G_WORLD)
    message(FATAL_ERROR "actr_add_guest_component(${name}): SOURCES, WIT and WORLD are required")
  endif()

  _actr_guest_componentize(componentize)
  if(G_WASI OR G_JCO OR NOT componentize)
    set(use_jco TRUE)
  else()
    set(use_jco FALSE)
  endif()
  _actr_guest_toolchain_problem(problem ${use_jco})
  if(problem)
    message(WARNING "Guest component `${name}` will not be built: ${problem}. "
                    "Tests that need it will be skipped.")
    return()
  endif()
  _actr_guest_sysroot(sysroot)

  set(work "${CMAKE_CURRENT_BINARY_DIR}/${name}.guest")
  set(out_dir "${PROJECT_BINARY_DIR}/guests")
  set(component "${out_dir}/${name}.wasm")
  file(MAKE_DIRECTORY "${work}" "${out_dir}")

  get_filename_component(wit "${G_WIT}" ABSOLUTE)
  if(IS_DIRECTORY "${wit}")
    file(GLOB_RECURSE wit_files CONFIGURE_DEPENDS "${wit}/*.wit")
  else()
    set(wit_files "${wit}")
  endif()

  set(target_flags --target=wasm32-wasi "--sysroot=${sysroot}")
  _actr_guest_objects(objects has_cxx "${work}" "${sysroot}"
    SOURCES ${G_SOURCES}
    INCLUDE_DIRECTORIES ${G_INCLUDE_DIRECTORIES}
    COMPILE_DEFINITIONS ${G_COMPILE_DEFINITIONS}
    COMPILE_OPTIONS ${G_COMPILE_OPTIONS}
    OBJECT_DEPENDS ${G_OBJECT_DEPENDS}
    PRECOMPILE_HEADER ${G_PRECOMPILE_HEADER})

  # A library target is linked by its file and rebuilt first; a path is linked as given.
  set(libraries)
  set(library_depends)
  foreach(lib IN LISTS G_LINK_LIBRARIES)
    if(TARGET "${lib}")
      list(APPEND libraries "$<TARGET_FILE:${lib}>")
    else()
      get_filename_component(lib "${lib}" ABSOLUTE)
      list(APPEND libraries "${lib}")
    endif()
    list(APPEND library_depends "${lib}")
  endforeach()

  # clang++ links libc++ when C++ is present; static archives add only what is referenced.
  if(has_cxx)
    set(linker "${ACTR_GUEST_CXX}")
  else()
    set(linker "${ACTR_GUEST_CC}")
  endif()
  set(core "${work}/${name}.core.wasm")
  add_custom_command(
    OUTPUT "${core}"
    COMMAND "${linker}" ${target_flags} ${ACTR_GUEST_OPT_FLAGS} ${ACTR_GUEST_COMMON_FLAGS}
            ${ACTR_GUEST_LINK_FLAGS} ${G_LINK_OPTIONS} ${objects} ${libraries} -o "${core}"
    DEPENDS ${objects} ${library_depends} ${G_DEPENDS}
    COMMENT "Linking wasm32 core module ${name}.core.wasm"
    VERBATIM COMMAND_EXPAND_LISTS)

  if(NOT use_jco)
    add_custom_command(
      OUTPUT "${component}"
      COMMAND $<TARGET_FILE:${componentize}> "${core}" --wit "${wit}" --world "${G_WORLD}"
              -o "${component}"
      DEPENDS "${core}" ${wit_files} ${componentize}
      COMMENT "Creating guest component ${name}.wasm (actr-componentize)"
      VERBATIM)
    _actr_guest_target(${name} "${component}" "${core}" "${wit}" "${G_WORLD}" native)
    if(G_OUTPUT_VAR)
      set(${G_OUTPUT_VAR} "${component}" PARENT_SCOPE)
    endif()
    return()
  endif()

  # jco's embedded wasm-tools reads files through a WASI shim that needs the preopen shim; it
  # also resolves paths against that preopen, so every path given to it is absolute.
  set(jco_env "${CMAKE_COMMAND}" -E env "NODE_OPTIONS=--import=${ACTR_JCO_PREOPEN_SHIM}")
  set(embedded "${work}/${name}.embedded.wasm")
  add_custom_command(
    OUTPUT "${embedded}"
    COMMAND ${jco_env} "${ACTR_NODE}" "${ACTR_JCO}" embed "${core}" --wit "${wit}"
            --world-name "${G_WORLD}" -o "${embedded}"
    DEPENDS "${core}" ${wit_files} "${ACTR_JCO_PREOPEN_SHIM}"
    COMMENT "Embedding WIT world ${G_WORLD} into ${name}"
    VERBATIM)

  set(adapter)
  if(G_WASI)
    set(adapter --wasi-reactor)
  endif()
  add_custom_command(
    OUTPUT "${component}"
    COMMAND ${jco_env} "${ACTR_NODE}" "${ACTR_JCO}" new "${embedded}" ${adapter} -o "${component}"
    DEPENDS "${embedded}" "${ACTR_JCO_PREOPEN_SHIM}"
    COMMENT "Creating guest component ${name}.wasm"
    VERBATIM)

  _actr_guest_target(${name} "${component}" "${core}" "${wit}" "${G_WORLD}" jco)
  if(G_OUTPUT_VAR)
    set(${G_OUTPUT_VAR} "${component}" PARENT_SCOPE)
  endif()
endfunction()

function(actr_add_guest_archive name)
  cmake_parse_arguments(PARSE_ARGV 1 A "" "OUTPUT;OUTPUT_VAR"
                        "SOURCES;INCLUDE_DIRECTORIES;COMPILE_DEFINITIONS;COMPILE_OPTIONS;OBJECT_DEPENDS")
  if(A_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "actr_add_guest_archive(${name}): unknown arguments ${A_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT A_SOURCES OR NOT A_OUTPUT)
    message(FATAL_ERROR "actr_add_guest_archive(${name}): SOURCES and OUTPUT are required")
  endif()
  _actr_guest_toolchain_problem(problem FALSE)
  if(NOT ACTR_GUEST_AR)
    string(APPEND problem "; llvm-ar-19 not found (apt-get install llvm-19)")
  endif()
  if(problem)
    message(WARNING "Guest archive `${name}` will not be built: ${problem}.")
    return()
  endif()
  _actr_guest_sysroot(sysroot)
  set(work "${CMAKE_CURRENT_BINARY_DIR}/${name}.guest")
  get_filename_component(archive "${A_OUTPUT}" ABSOLUTE)
  get_filename_component(archive_dir "${archive}" DIRECTORY)
  file(MAKE_DIRECTORY "${work}" "${archive_dir}")
  _actr_guest_objects(objects has_cxx "${work}" "${sysroot}"
    SOURCES ${A_SOURCES}
    INCLUDE_DIRECTORIES ${A_INCLUDE_DIRECTORIES}
    COMPILE_DEFINITIONS ${A_COMPILE_DEFINITIONS}
    COMPILE_OPTIONS ${A_COMPILE_OPTIONS}
    OBJECT_DEPENDS ${A_OBJECT_DEPENDS})
  # Written afresh: `ar r` into an existing archive would keep the members of removed sources.
  add_custom_command(
    OUTPUT "${archive}"
    COMMAND "${CMAKE_COMMAND}" -E rm -f "${archive}"
    COMMAND "${ACTR_GUEST_AR}" rcs "${archive}" ${objects}
    DEPENDS ${objects}
    COMMENT "Archiving wasm32 guest library ${name}"
    VERBATIM)
  add_custom_target(guest_lib_${name} ALL DEPENDS "${archive}")
  if(A_OUTPUT_VAR)
    set(${A_OUTPUT_VAR} "${archive}" PARENT_SCOPE)
  endif()
endfunction()
