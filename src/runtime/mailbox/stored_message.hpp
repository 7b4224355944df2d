// What the mailbox store keeps: queued messages and dead letters. Bodies are opaque to the store
// (the runtime's encoded envelopes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workload/lane.hpp"

namespace actr::runtime {

using workload::Lane;

struct StoredMessage {
  int64_t id = 0;       // assigned by the store; increases with insertion, never reused
  std::string mailbox;  // owner key, e.g. "echo#0" (stable across restarts); not empty
  Lane lane = Lane::Reliable;
  std::string request_id;  // de-duplication key within one mailbox; not empty
  std::vector<uint8_t> body;
  uint32_t attempts = 0;       // failed deliveries so far
  int64_t enqueued_at_ms = 0;  // Unix time; the store sets it at append when it is 0
};

struct DeadLetter {
  int64_t id = 0;         // the dead letter's own id (what `actr dlq replay` takes)
  StoredMessage message;  // as it was when it died (its id is the id it had in the queue)
  std::string reason;
  int64_t dead_at_ms = 0;
};

}  // namespace actr::runtime
