// Requests this node took from other nodes' actors over a WebRTC path, remembered for a while.
// When such a path dies, the sending node sends what it had no answer for again on WebSocket
// (net::Connection::set_resend); a request that did arrive the first time must not reach its
// actor twice. A repeat gets the first one's answer instead: its acceptance, or its reply, now
// or as soon as there is one.
//
// Keyed by the caller (realm, serial) and the message's request id, which the sending node makes
// unique per caller (calls and tells: "<node>-<counter>", stream chunks: "data-stream:<id>:<seq>").
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/responder.hpp"
#include "workload/message.hpp"

namespace actr::runtime {

class RecentRequests {
 public:
  // Entries live `keep` (past the path's idle timeout, when a dead path is noticed), at most
  // `max_entries` of them holding at most `max_bytes` of replies (the oldest go first).
  RecentRequests(std::chrono::milliseconds keep, size_t max_entries,
                 size_t max_bytes = 64 * 1024 * 1024)
      : keep_(keep), max_entries_(max_entries), max_bytes_(max_bytes) {}

  static std::string key(const workload::Message& m);

  // A request arrives. Seen before: `responder` is joined to the first one's answer and the
  // result is true (do not deliver it). Otherwise it is remembered when `remember` (it came on a
  // WebRTC path) and the result is false.
  bool repeat(const std::string& key, const net::Responder& responder, bool call, bool remember);
  // The first one's answers, for repeats.
  void accepted(const std::string& key, const workload::Status& status);
  void replied(const std::string& key, const workload::CallResult& result);

  size_t size() const;

 private:
  struct Entry {
    bool call = false;
    size_t bytes = 0;  // of the reply kept
    std::optional<workload::Status> accepted;
    std::optional<workload::CallResult> reply;
    std::vector<net::Responder> waiting;
  };
  void expire(std::chrono::steady_clock::time_point now);  // with mu_ held

  const std::chrono::milliseconds keep_;
  const size_t max_entries_;
  const size_t max_bytes_;
  size_t bytes_ = 0;  // replies kept, in all
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> order_;
};

}  // namespace actr::runtime
