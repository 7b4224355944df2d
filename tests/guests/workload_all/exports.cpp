#include "exports.hpp"

#include "host.hpp"

namespace guest {

namespace {
alignas(8) BytesResult g_bytes_result;
alignas(8) UnitResult g_unit_result;

// Armed failure messages, by hook; zero-initialised so that no constructor has to run.
struct ArmedFailure {
  bool armed;
  Str message;
};
ArmedFailure g_armed[kFallibleHookCount];
}  // namespace

const char* const kFallibleHookNames[kFallibleHookCount] = {
    "on-start", "on-ready", "on-stop", "on-error", "on-data-stream",
};

void report(const std::string& line) {
  static const char kLevel[] = "info";
  host::log_message(kLevel, sizeof kLevel - 1, line.data(), static_cast<uint32_t>(line.size()));
}

BytesResult* bytes_return_area() { return &g_bytes_result; }
UnitResult* unit_return_area() { return &g_unit_result; }

void release(const BytesResult& r) {
  if (r.is_err) {
    release(r.err);
  } else {
    release(r.ok);
  }
}

void release(const UnitResult& r) {
  if (r.is_err) release(r.err);
}

void arm_failure(FallibleHook hook, Str message) {
  if (g_armed[hook].armed) release(g_armed[hook].message);
  g_armed[hook] = {true, message};
}

UnitResult* finish_fallible_hook(FallibleHook hook) {
  UnitResult* ret = unit_return_area();
  *ret = UnitResult{};
  if (g_armed[hook].armed) {
    ret->is_err = 1;
    ret->err = make_error(kInternal, g_armed[hook].message);
    g_armed[hook] = {};
  }
  return ret;
}

}  // namespace guest
