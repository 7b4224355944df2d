// `join` answers the payload's space-separated words joined by ", " (textkit::join, C++);
// `checksum` answers the FNV-1a of the payload in decimal (textkit_checksum, C).
#include <actr/workload.hpp>
#include <string>
#include <vector>

#include "textkit.h"

namespace {

class TextkitWorkload : public actr::Workload {
 public:
  actr::Reply dispatch(actr::Context& ctx, actr::RpcEnvelope envelope) override {
    static const actr::Routes<TextkitWorkload> routes{{"join", &TextkitWorkload::join},
                                                      {"checksum", &TextkitWorkload::checksum}};
    return routes.dispatch(*this, ctx, envelope);
  }

  actr::Reply join(actr::Context&, const actr::Bytes& payload) {
    std::vector<std::string> words{""};
    for (uint8_t c : payload) {
      if (c == ' ') {
        words.emplace_back();
      } else {
        words.back() += static_cast<char>(c);
      }
    }
    return actr::Reply::Ok(actr::to_bytes(textkit::join(words, ", ")));
  }

  actr::Reply checksum(actr::Context&, const actr::Bytes& payload) {
    uint32_t sum = textkit_checksum(payload.data(), static_cast<uint32_t>(payload.size()));
    return actr::Reply::Ok(actr::to_bytes(std::to_string(sum)));
  }
};

}  // namespace

ACTR_WORKLOAD(TextkitWorkload)
