// Fails to compile when the host's headers leak into the wasm32 build.
#include <features.h>
#include <stdio.h>
#include <stdlib.h>

#if !defined(__wasi__) || !defined(__wasm32__)
#error "not compiled for wasm32-wasi"
#endif
#if defined(__linux__) || defined(__x86_64__)
#error "compiled for the host"
#endif
#if defined(__GLIBC__)
#error "glibc's features.h was included instead of wasi-libc's"
#endif
#if __has_include(<linux/limits.h>) || __has_include(<zlib.h>)
#error "the host's /usr/include is on the include path"
#endif

int leak_probe_unused(void) { return 0; }
