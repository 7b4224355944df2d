// Internal to the Connection's files (connection*.cpp): small helpers they share.
#pragma once

#include <boost/beast/core/string.hpp>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "net/connection.hpp"
#include "net/wire.hpp"

namespace actr::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

inline ActrError lost(const std::string& who, const std::string& why) {
  return ActrError::unavailable("connection to " + who + " lost: " + why);
}

inline void fail(Pending& p, const ActrError& error) {
  if (!p.accepted) {
    if (p.on_accepted) p.on_accepted(Status::Err(error));
  } else if (p.on_reply) {
    p.on_reply(CallResult::Err(error));
  }
}

inline std::string_view as_view(const std::vector<uint8_t>& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline std::string trim(beast::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\n' ||
                         text[end - 1] == '\r'))
    --end;
  return std::string(text.substr(begin, end - begin));
}

// A header value never carries control characters (no header injection through a node id).
inline std::string header_safe(beast::string_view text) {
  std::string out;
  for (char c : text)
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  if (out.size() > 256) out.resize(256);
  return out;
}

// Ends a job posted to the strand that counted in Connection::posted_ (see there), after the job
// queued its frame.
struct PostedDone {
  std::mutex& mu;
  size_t& posted;
  ~PostedDone() {
    std::lock_guard lock(mu);
    --posted;
  }
};

inline transport::Frame make_frame() {
  transport::Frame frame;
  frame.set_version(wire::kProtocolVersion);
  return frame;
}

}  // namespace actr::net::detail
