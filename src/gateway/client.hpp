// A blocking client of the gateway (what `actr call` uses). One connection per request.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "gateway/backend.hpp"

namespace actr::gateway {

struct ClientOptions {
  std::chrono::milliseconds timeout{30000};  // the whole exchange: resolve, connect, send, reply
  size_t max_reply_bytes = 64 << 20;
};

struct HttpReply {
  unsigned status = 0;
  std::string content_type;
  std::string actr_error;  // the x-actr-error header, "" when absent
  std::vector<uint8_t> body;
  std::string body_text() const { return {body.begin(), body.end()}; }
};

class Client {
 public:
  explicit Client(ClientOptions options = {}) : options_(options) {}

  // POST {node_url}/actors/{target}/{route_key}. The outer Result fails for transport problems
  // (unreachable node, timeout, an answer that is not from a gateway); an actr-error of the
  // node is a CallResult error.
  Result<CallResult> post(std::string_view node_url, std::string_view target,
                          std::string_view route_key, std::span<const uint8_t> payload) const;

  // GET {node_url}{path}, e.g. "/metrics".
  Result<HttpReply> get(std::string_view node_url, std::string_view path) const;

  // The primitive both use; `method` is "GET" or "POST".
  Result<HttpReply> request(std::string_view method, std::string_view node_url,
                            std::string_view path, std::span<const uint8_t> body) const;

 private:
  ClientOptions options_;
};

}  // namespace actr::gateway
