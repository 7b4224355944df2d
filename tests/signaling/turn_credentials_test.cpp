// TURN credentials by the REST-API scheme coturn checks (signaling/turn_credentials.hpp).
#include "signaling/turn_credentials.hpp"

#include <gtest/gtest.h>

namespace actr::signaling {
namespace {

using namespace std::chrono_literals;

TEST(TurnCredentials, FollowTheRestApiScheme) {
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  TurnCredentials c = turn_rest_credentials("s3cret", "alice", 3600s, now);
  EXPECT_EQ(c.username, "1700003600:alice");
  EXPECT_EQ(c.password, "YAFdW/YDZewZsR1QSgUk2IrfbRI=");  // base64(HMAC-SHA1), by Python's hmac
  EXPECT_EQ(c.expires, now + 3600s);
  EXPECT_NE(turn_rest_credentials("other", "alice", 3600s, now).password, c.password);
}

}  // namespace
}  // namespace actr::signaling
