// Admission of a server's inbound connections (the gateway, the node-to-node listener, the
// signaling server): at most `max_total` open, at most `max_per_address` from one client address.
//
// When a newcomer would pass a limit, the connection that has been idle longest -- one waiting for
// a request or for its upgrade, not one serving a request or an authenticated peer -- is evicted
// to make room: of the newcomer's own address for the per-address limit, of any address for the
// total. Only when nothing is idle is the newcomer refused. So a client that holds hundreds of idle
// connections (on loopback every local client shares one address) never locks out one that sends
// a request; it loses its own idle connections instead. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace actr {

class ConnectionAdmission {
 public:
  struct Limits {
    size_t max_total = 1024;
    size_t max_per_address = 256;
  };
  using Id = uint64_t;
  struct Decision {
    bool admitted = false;
    Id id = 0;                // the newcomer's, when admitted
    std::vector<Id> evicted;  // connections the caller must close now (already forgotten here)
  };

  explicit ConnectionAdmission(Limits limits) : limits_(limits) {}

  // A new connection from `address` (idle until set_idle(id, false)).
  Decision admit(const std::string& address);
  // Idle: waiting for a request (or an upgrade); may be evicted. Busy: serving one.
  void set_idle(Id id, bool idle);
  void remove(Id id);

  size_t size() const;
  size_t count(const std::string& address) const;
  const Limits& limits() const { return limits_; }

 private:
  struct Entry {
    std::string address;
    bool idle = true;
    std::chrono::steady_clock::time_point idle_since;
  };
  // The longest-idle connection (of `address` when given); 0 when none is idle.
  Id oldest_idle(const std::string* address) const;
  void forget(Id id);

  const Limits limits_;
  mutable std::mutex mu_;
  std::unordered_map<Id, Entry> entries_;
  std::unordered_map<std::string, size_t> per_address_;
  Id next_id_ = 1;
};

}  // namespace actr
