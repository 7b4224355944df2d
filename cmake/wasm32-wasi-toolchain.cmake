# A CMake toolchain file for plain wasm32-wasi code built with Debian's clang-19: static libraries
# (a third-party C/C++ library to link into a workload) and reactor modules.
#
#   cmake -S myproj -B build -G Ninja -DCMAKE_TOOLCHAIN_FILE=<actr>/cmake/wasm32-wasi-toolchain.cmake
#
# It uses the same compiler, sysroot and flags as actr's guest components (ActrGuest.cmake):
#   - CMAKE_SYSTEM_NAME WASI (platform file cmake/Platform/WASI.cmake, `if(WASI)` is true),
#     clang-19/clang++-19 with --target=wasm32-wasi, llvm-ar-19/llvm-ranlib-19, wasm-ld-19;
#   - a private sysroot of two symlinks made at configure time, <build>/wasm32-wasi-sysroot
#     (include/wasm32-wasi and lib/wasm32-wasi), so that clang never searches the host's
#     /usr/include; find_* commands are rooted there too (programs excepted: they run on the host);
#   - -fno-exceptions -mno-simd128 -mno-tail-call -mbulk-memory; executables link as reactors
#     (-mexec-model=reactor -Wl,--strip-debug -Wl,--stack-first) and are named <name>.wasm;
#   - static libraries only; Release (-O2 -DNDEBUG) unless CMAKE_BUILD_TYPE says otherwise.
#
# Settings (-D...): ACTR_WASI_INCLUDE_DIR / ACTR_WASI_LIB_DIR (wasi-libc and wasm32 libc++,
# Debian's by default), or ACTR_WASI_SYSROOT to use a complete sysroot as is (e.g. wasi-sdk's).
# Needs: apt-get install clang-19 lld-19 llvm-19 wasi-libc libc++-19-dev-wasm32
#        libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32

set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")
list(REMOVE_DUPLICATES CMAKE_MODULE_PATH)

# The host's tools: found before the find root is set below.
find_program(ACTR_WASI_CC NAMES clang-19 DOC "clang for wasm32-wasi")
find_program(ACTR_WASI_CXX NAMES clang++-19 DOC "clang++ for wasm32-wasi")
find_program(ACTR_WASI_AR NAMES llvm-ar-19 HINTS /usr/lib/llvm-19/bin DOC "archiver for wasm objects")
find_program(ACTR_WASI_RANLIB NAMES llvm-ranlib-19 HINTS /usr/lib/llvm-19/bin
             DOC "archive indexer for wasm objects")
if(NOT ACTR_WASI_CC OR NOT ACTR_WASI_CXX)
  message(FATAL_ERROR "wasm32-wasi toolchain: clang-19/clang++-19 not found "
                      "(apt-get install clang-19 lld-19)")
endif()
if(NOT ACTR_WASI_AR OR NOT ACTR_WASI_RANLIB)
  # GNU ar cannot index wasm objects, and wasm-ld refuses archives without an index.
  message(FATAL_ERROR "wasm32-wasi toolchain: llvm-ar-19/llvm-ranlib-19 not found "
                      "(apt-get install llvm-19)")
endif()
set(CMAKE_C_COMPILER "${ACTR_WASI_CC}")
set(CMAKE_CXX_COMPILER "${ACTR_WASI_CXX}")
set(CMAKE_C_COMPILER_TARGET wasm32-wasi)
set(CMAKE_CXX_COMPILER_TARGET wasm32-wasi)
set(CMAKE_AR "${ACTR_WASI_AR}" CACHE FILEPATH "archiver for wasm objects")
set(CMAKE_RANLIB "${ACTR_WASI_RANLIB}" CACHE FILEPATH "archive indexer for wasm objects")

# The sysroot. try_compile projects (and CMake's compiler checks) re-read this file in a scratch
# build directory: ACTR_WASI_SYSROOT is passed to them, so they use the project's sysroot.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ACTR_WASI_SYSROOT)
list(REMOVE_DUPLICATES CMAKE_TRY_COMPILE_PLATFORM_VARIABLES)
if(NOT ACTR_WASI_SYSROOT)
  set(ACTR_WASI_INCLUDE_DIR "/usr/include/wasm32-wasi" CACHE PATH "wasi-libc headers")
  set(ACTR_WASI_LIB_DIR "/usr/lib/wasm32-wasi" CACHE PATH "wasi-libc and libc++ for wasm32")
  if(NOT EXISTS "${ACTR_WASI_INCLUDE_DIR}/stdlib.h" OR NOT EXISTS "${ACTR_WASI_LIB_DIR}/libc.a")
    message(FATAL_ERROR "wasm32-wasi toolchain: wasi-libc not found in ${ACTR_WASI_INCLUDE_DIR} "
                        "and ${ACTR_WASI_LIB_DIR} (apt-get install wasi-libc)")
  endif()
  # Why not --sysroot=/usr: clang would then also search /usr/include, the host's headers.
  set(ACTR_WASI_SYSROOT "${CMAKE_BINARY_DIR}/wasm32-wasi-sysroot")
  file(MAKE_DIRECTORY "${ACTR_WASI_SYSROOT}/include" "${ACTR_WASI_SYSROOT}/lib")
  file(CREATE_LINK "${ACTR_WASI_INCLUDE_DIR}" "${ACTR_WASI_SYSROOT}/include/wasm32-wasi" SYMBOLIC)
  file(CREATE_LINK "${ACTR_WASI_LIB_DIR}" "${ACTR_WASI_SYSROOT}/lib/wasm32-wasi" SYMBOLIC)
elseif(NOT EXISTS "${ACTR_WASI_SYSROOT}/include/wasm32-wasi/stdlib.h")
  message(FATAL_ERROR "wasm32-wasi toolchain: ACTR_WASI_SYSROOT=${ACTR_WASI_SYSROOT} has no "
                      "include/wasm32-wasi/stdlib.h")
endif()
if(NOT EXISTS "${ACTR_WASI_SYSROOT}/lib/wasm32-wasi/libc++.a")
  get_property(_actr_in_try_compile GLOBAL PROPERTY IN_TRY_COMPILE)
  if(NOT _actr_in_try_compile)
    message(WARNING "wasm32-wasi toolchain: no wasm32 libc++ in the sysroot, C++ cannot link "
                    "(apt-get install libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 "
                    "libclang-rt-19-dev-wasm32)")
  endif()
endif()
set(CMAKE_SYSROOT "${ACTR_WASI_SYSROOT}")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Why each flag (as in ActrGuest.cmake):
#   -fno-exceptions        Debian's wasm32 libc++abi has no exception runtime.
#   -mno-simd128 -mno-tail-call  wasm2c (actr's aot engine) cannot translate them.
#   -mbulk-memory          memcpy/memset become memory.copy/memory.fill (native in both engines).
#   -mexec-model=reactor   a library-style module (exports _initialize), not a `main` program.
#   --strip-debug          components are shipped, not debugged (a tenth of the size).
#   --stack-first          a shadow-stack overflow traps at once instead of overwriting .data.
# set(), not string(APPEND): CMake reads a toolchain file more than once per configure.
set(CMAKE_C_FLAGS_INIT "-fno-exceptions -mno-simd128 -mno-tail-call -mbulk-memory")
set(CMAKE_CXX_FLAGS_INIT "-fno-exceptions -mno-simd128 -mno-tail-call -mbulk-memory")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-mexec-model=reactor -Wl,--strip-debug -Wl,--stack-first")
# CMake's Release default is -O3; actr's guests are measured and shipped at -O2.
set(CMAKE_BUILD_TYPE_INIT Release)
set(CMAKE_C_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "C flags of Release builds")
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "C++ flags of Release builds")
