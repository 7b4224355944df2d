#include "signaling/turn_credentials.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base64.hpp"

namespace actr::signaling {

TurnCredentials turn_rest_credentials(std::string_view secret, std::string_view who,
                                      std::chrono::seconds lifetime,
                                      std::chrono::system_clock::time_point now) {
  TurnCredentials c;
  c.expires = std::chrono::time_point_cast<std::chrono::seconds>(now + lifetime);
  long long expiry =
      std::chrono::duration_cast<std::chrono::seconds>(c.expires.time_since_epoch()).count();
  c.username = std::to_string(expiry) + ":" + std::string(who);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(c.username.data()), c.username.size(), mac, &length);
  c.password = encode_base64(std::string_view(reinterpret_cast<const char*>(mac), length));
  return c;
}

}  // namespace actr::signaling
