// Tests that need material a machine may lack (a guest toolchain, the read-only ../shared inputs,
// an engine) skip when it is missing, with a message saying what is missing. Under
// ACTR_REQUIRE_ALL=1 -- set by .ci/run, where the set-up script installed everything -- missing
// material is a failure instead: there a skip would only hide a broken set-up.
//
//   if (!std::filesystem::exists(path)) ACTR_SKIP_MISSING(path << " was not built");
//
// Deliberate skips (child-process helpers, a documented limitation) use GTEST_SKIP() directly.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

namespace actr::test {

inline bool require_all() {
  const char* v = std::getenv("ACTR_REQUIRE_ALL");
  return v && *v && std::strcmp(v, "0") != 0;
}

}  // namespace actr::test

#define ACTR_SKIP_MISSING(message)                                                            \
  do {                                                                                        \
    if (::actr::test::require_all()) {                                                        \
      FAIL() << "missing under ACTR_REQUIRE_ALL (the set-up should provide it): " << message; \
    } else {                                                                                  \
      GTEST_SKIP() << message;                                                                \
    }                                                                                         \
  } while (0)
