// What the guest's exports share: the export-name attributes, the log-message reporter, the
// static return areas and the failure injection used by the fallible hooks.
#pragma once

#include <string>

#include "abi.hpp"

#define GUEST_EXPORT(name) __attribute__((export_name("actr:workload/workload@0.1.0#" name)))
#define GUEST_POST_RETURN(name) \
  __attribute__((export_name("cabi_post_actr:workload/workload@0.1.0#" name)))

namespace guest {

// Sends one observation line to the host at level "info".
void report(const std::string& line);

// Return areas: the component model never re-enters an instance while one of its exports (or
// that export's post-return) is running, so one area per result type suffices.
BytesResult* bytes_return_area();
UnitResult* unit_return_area();
void release(const BytesResult& r);
void release(const UnitResult& r);

// The fallible hooks succeed unless a dispatch with route `fail-next:<hook>` armed them; the
// next call of that hook then fails with internal(<that dispatch's payload>), once.
enum FallibleHook { kOnStart, kOnReady, kOnStop, kOnError, kOnDataStream, kFallibleHookCount };
extern const char* const kFallibleHookNames[kFallibleHookCount];
void arm_failure(FallibleHook hook, Str message);  // takes ownership of message
UnitResult* finish_fallible_hook(FallibleHook hook);

}  // namespace guest
