// libc's memcpy, memmove and memset for the code the workload links precompiled (wasi-libc,
// libc++): Debian's wasi-libc builds them as byte/word loops without bulk memory. The SDK archive
// is linked whole before libc.a, so these definitions win; compiled with -mbulk-memory each
// builtin is one memory.copy / memory.fill, which the engines run as a native memmove/memset.
#include <cstddef>

#if !defined(__wasm_bulk_memory__)
#error "memory_builtins.cpp needs -mbulk-memory: the builtins would call these functions again"
#endif

extern "C" {
void* memcpy(void* __restrict dest, const void* __restrict src, size_t n) {
  return __builtin_memcpy(dest, src, n);
}

void* memmove(void* dest, const void* src, size_t n) { return __builtin_memmove(dest, src, n); }

void* memset(void* dest, int c, size_t n) { return __builtin_memset(dest, c, n); }
}
