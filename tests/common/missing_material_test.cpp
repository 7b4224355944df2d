// ACTR_SKIP_MISSING: a skip on a developer's machine, a failure under ACTR_REQUIRE_ALL (.ci/run).
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "support/missing.hpp"

namespace actr::test {
namespace {

void needs_missing_material() { ACTR_SKIP_MISSING("guests/nothing.wasm was not built"); }

TEST(MissingMaterial, FailsUnderRequireAll) {
  ::setenv("ACTR_REQUIRE_ALL", "1", 1);
  EXPECT_FATAL_FAILURE(needs_missing_material(),
                       "missing under ACTR_REQUIRE_ALL (the set-up should provide it): "
                       "guests/nothing.wasm was not built");
  ::setenv("ACTR_REQUIRE_ALL", "0", 1);
  EXPECT_FALSE(require_all());
  ::unsetenv("ACTR_REQUIRE_ALL");
  EXPECT_FALSE(require_all());
}

}  // namespace
}  // namespace actr::test
