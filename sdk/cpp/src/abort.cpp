// Workloads import nothing but their world, so libc's abort paths must not reach stdio (WASI):
// each of them traps instead, and the host reports the trapped call.
#include <cstdlib>

extern "C" {
void abort(void) { __builtin_trap(); }
[[noreturn]] void abort_message(const char*, ...) { __builtin_trap(); }
}

namespace std {
inline namespace __2 {
[[noreturn]] void __libcpp_verbose_abort(const char*, ...) { __builtin_trap(); }
}  // namespace __2
}  // namespace std
