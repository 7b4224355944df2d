// Short-lived TURN credentials by the TURN REST API scheme that coturn implements
// (--use-auth-secret, draft-uberti-behave-turn-rest): the signaling server and the TURN server
// share a secret; the username is "<expiry, Unix seconds>:<who>" and the password is
// base64(HMAC-SHA1(secret, username)). The TURN server checks the HMAC and the expiry itself, so
// it needs no user database and a leaked credential dies with its expiry.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace actr::signaling {

// Where a TURN server listens (coturn's default port 3478).
struct TurnServerAddress {
  std::string host;
  uint16_t port = 3478;
};

struct TurnCredentials {
  std::string username;
  std::string password;
  std::chrono::system_clock::time_point expires;
};

TurnCredentials turn_rest_credentials(
    std::string_view secret, std::string_view who, std::chrono::seconds lifetime,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace actr::signaling
