// What travels through mailboxes: calls, tells, data-stream chunks and hook invocations.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "workload/actr_error.hpp"
#include "workload/call_chain.hpp"
#include "workload/caller_id.hpp"
#include "workload/ids.hpp"
#include "workload/lane.hpp"

namespace actr::workload {

using DataStream = types::DataStream;
using PayloadType = types::PayloadType;

// Where a call's outcome goes. Settles once: the first of reply, timeout or cancellation wins.
class ReplySlot {
 public:
  explicit ReplySlot(std::function<void(CallResult)> on_reply) : on_reply_(std::move(on_reply)) {}
  bool settle(CallResult result) {
    if (settled_.exchange(true)) return false;
    auto fn = std::move(on_reply_);
    fn(std::move(result));
    return true;
  }
  bool settled() const { return settled_.load(); }

 private:
  std::atomic<bool> settled_{false};
  std::function<void(CallResult)> on_reply_;
};

struct Message {
  enum class Kind : uint8_t { Call, Tell, Stream };
  Kind kind = Kind::Tell;
  Lane lane = Lane::Reliable;
  std::string request_id;
  std::string route_key;
  Bytes payload;
  CallerId caller;  // none for shell and gateway calls
  // Serial numbers (this realm) of the actors whose dispatch waits, directly or through others,
  // on this message: delivering it to one of them would deadlock.
  CallChain chain;
  std::optional<DataStream> chunk;  // Kind::Stream
  PayloadType payload_type = PayloadType::rpc_reliable();
  std::shared_ptr<ReplySlot> reply;  // Kind::Call only; null after the caller was answered
  // Mailbox bookkeeping.
  int64_t store_id = 0;   // row in the durable store; 0 for the memory lane
  uint32_t attempts = 0;  // traps so far
  // Every string was checked as UTF-8 already: lifted from a guest (the canonical ABI checks) or
  // made by the node. A receiver skips its own check then; not carried across nodes.
  bool text_checked = false;
};

}  // namespace actr::workload
