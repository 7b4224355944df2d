// A plain TCP connection for speaking (possibly broken) HTTP/1.1 to the gateway in tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace actr::gateway::test {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class RawConnection {
 public:
  explicit RawConnection(uint16_t port,
                         std::chrono::milliseconds read_timeout = std::chrono::milliseconds(5000));
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send(std::string_view data);
  // One response (Content-Length framed); nullopt on EOF, reset or timeout.
  std::optional<RawResponse> read_response();
  // True when the server closed the connection (EOF or reset) before the read timeout.
  bool closed_by_peer();

 private:
  bool fill();  // reads more into buffer_; false on EOF/error/timeout
  int fd_ = -1;
  std::string buffer_;
  bool timed_out_ = false;
};

// "POST {path} HTTP/1.1" with Host and Content-Length headers and `body`.
std::string post_request(std::string_view path, std::string_view body,
                         std::string_view extra_headers = {});
std::string get_request(std::string_view path);

}  // namespace actr::gateway::test
