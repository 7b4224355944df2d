// A minimal component written directly against the canonical ABI: the README demo.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

__attribute__((export_name("docs:adder/add@0.1.0#add"))) uint32_t add(uint32_t a, uint32_t b) {
  return a + b;
}

// Strings cross as (pointer, length); the result is returned through a static 2-word area that
// the host reads before calling the post-return function, which frees the string.
static uint32_t greet_ret[2];

__attribute__((export_name("docs:adder/add@0.1.0#greet"))) uint32_t* greet(const char* name,
                                                                             size_t len) {
  static const char prefix[] = "Hello, ";
  size_t n = sizeof(prefix) - 1 + len + 1;
  char* out = malloc(n);
  if (!out) __builtin_trap();
  memcpy(out, prefix, sizeof(prefix) - 1);
  memcpy(out + sizeof(prefix) - 1, name, len);
  out[n - 1] = '!';
  free((void*)name);
  greet_ret[0] = (uint32_t)(uintptr_t)out;
  greet_ret[1] = (uint32_t)n;
  return greet_ret;
}

__attribute__((export_name("cabi_post_docs:adder/add@0.1.0#greet"))) void greet_post(uint32_t* ret) {
  free((void*)(uintptr_t)ret[0]);
}

// The list the host passed is the guest's to own: hand the same block back, free it after.
static uint32_t echo_ret[2];

__attribute__((export_name("docs:adder/add@0.1.0#echo"))) uint32_t* echo(uint8_t* data, size_t len) {
  echo_ret[0] = (uint32_t)(uintptr_t)data;
  echo_ret[1] = (uint32_t)len;
  return echo_ret;
}

__attribute__((export_name("cabi_post_docs:adder/add@0.1.0#echo"))) void echo_post(uint32_t* ret) {
  free((void*)(uintptr_t)ret[0]);
}

__attribute__((export_name("cabi_realloc"))) void* cabi_realloc(void* old, size_t old_size,
                                                                 size_t align, size_t new_size) {
  (void)old_size;
  (void)align;  // malloc's alignment (16) covers every canonical ABI alignment
  if (new_size == 0) new_size = 1;
  void* p = realloc(old, new_size);
  if (!p) __builtin_trap();
  return p;
}
