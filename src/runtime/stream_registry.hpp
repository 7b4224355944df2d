// Which actor registered which data stream id (register-stream), node-wide. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "runtime/vocabulary.hpp"

namespace actr::runtime {

class StreamRegistry {
 public:
  // invalid-argument when another actor holds the id; registering twice is fine.
  Status add(const std::string& stream_id, uint64_t owner_serial);
  // not-found unless `owner_serial` holds it.
  Status remove(const std::string& stream_id, uint64_t owner_serial);
  std::optional<uint64_t> owner(const std::string& stream_id) const;
  void remove_all(uint64_t owner_serial);

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t, std::less<>> owners_;
};

}  // namespace actr::runtime
