# The WASI platform for CMake (CMAKE_SYSTEM_NAME WASI), loaded through CMAKE_MODULE_PATH by
# wasm32-wasi-toolchain.cmake: CMake 3.25 ships no platform file for it. Sets what differs from
# CMake's generic defaults; the compiler, sysroot and flags come from the toolchain file.

# Projects that already support wasi-sdk test `if(WASI)`. wasi-libc is a POSIX-like libc, so
# `if(UNIX)` code paths (unistd.h, .o objects) fit better than the other branch (Emscripten's
# platform file does the same).
set(WASI 1)
set(UNIX 1)

# wasm32-wasi has no dynamic linking: add_library(SHARED|MODULE) builds a static library (CMake
# says so in a warning) and find_library only looks for archives.
set_property(GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS FALSE)
set(CMAKE_FIND_LIBRARY_PREFIXES "lib")
set(CMAKE_FIND_LIBRARY_SUFFIXES ".a")
set(CMAKE_STATIC_LIBRARY_PREFIX "lib")
set(CMAKE_STATIC_LIBRARY_SUFFIX ".a")
set(CMAKE_EXECUTABLE_SUFFIX ".wasm")

# The sysroot keeps its headers and libraries in wasm32-wasi subdirectories (Debian's multiarch
# layout, also wasi-sdk's); find_path and find_library look there. Search paths are relative to
# the sysroot (the find root), never the host's /usr.
set(CMAKE_LIBRARY_ARCHITECTURE wasm32-wasi)
set(CMAKE_SYSTEM_PREFIX_PATH /)
set(CMAKE_SYSTEM_INCLUDE_PATH /include)
set(CMAKE_SYSTEM_LIBRARY_PATH /lib)
set(CMAKE_SYSTEM_PROGRAM_PATH /bin)
