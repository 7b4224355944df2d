// The guest's allocator entry point for the host, ownership helpers, and the abort paths.
// Everything that would reach WASI (stdio for abort messages) is replaced by a trap, so the
// component imports nothing but its world.
#include <cstdarg>
#include <cstdlib>
#include <cstring>

#include "abi.hpp"

extern "C" {

// The canonical ABI allocates every string, list and parameter block through this. A zero-size
// request still gets a distinct, freeable block: the host may hand it back to us in a list.
__attribute__((export_name("cabi_realloc"))) void* cabi_realloc(void* old_ptr, size_t old_size,
                                                                size_t align, size_t new_size) {
  (void)old_size;
  (void)align;  // malloc aligns to 16, the component model asks for at most 8
  size_t size = new_size == 0 ? 1 : new_size;
  void* block = old_ptr ? realloc(old_ptr, size) : malloc(size);
  if (!block) __builtin_trap();
  return block;
}

void abort(void) { __builtin_trap(); }

// libc++abi reports fatal errors here (then aborts); its own version prints through stdio.
[[noreturn]] void abort_message(const char*, ...) { __builtin_trap(); }

}  // extern "C"

namespace std {
inline namespace __2 {
// libc++ hardening and -fno-exceptions failure paths (e.g. length_error) end here.
[[noreturn]] void __libcpp_verbose_abort(const char*, ...) noexcept { __builtin_trap(); }
}  // namespace __2
}  // namespace std

namespace guest {

void release(Str s) { free(s.ptr); }
void release(Bytes b) { free(b.ptr); }

void release(const ActrType& t) {
  release(t.manufacturer);
  release(t.name);
  release(t.version);
}

void release(const ActrId& id) { release(id.type); }

void release(const ActrError& e) {
  switch (e.tag) {
    case kTimedOut:
      break;
    case kDependencyNotFound:
      release(e.dep.service_name);
      release(e.dep.message);
      break;
    default:
      release(e.text);
  }
}

void release(const DataStream& d) {
  release(d.stream_id);
  release(d.payload);
  for (uint32_t i = 0; i < d.metadata.len; ++i) {
    release(d.metadata.ptr[i].key);
    release(d.metadata.ptr[i].value);
  }
  free(d.metadata.ptr);
}

Str copy_str(const char* data, uint32_t len) {
  auto* p = static_cast<char*>(cabi_realloc(nullptr, 0, 1, len));
  if (len) memcpy(p, data, len);
  return {p, len};
}

Bytes copy_bytes(const uint8_t* data, uint32_t len) {
  auto* p = static_cast<uint8_t*>(cabi_realloc(nullptr, 0, 1, len));
  if (len) memcpy(p, data, len);
  return {p, len};
}

ActrError make_error(ErrorCase tag, Str text) {
  ActrError e{};
  e.tag = tag;
  if (tag == kTimedOut) {
    release(text);
  } else if (tag == kDependencyNotFound) {
    e.dep.service_name = text;
    e.dep.message = copy_str("", 0);
  } else {
    e.text = text;
  }
  return e;
}

}  // namespace guest
