// What a workload can ask of its host: calls to other actors, streams, logging and the identity
// of the current dispatch. A thin layer over the generated imports of `actr:workload/host`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "actr/types.hpp"

namespace actr {

enum class LogLevel { Trace, Debug, Info, Warn, Error };

// The WIT spelling of a level: "trace", "debug", "info", "warn", "error".
const char* level_name(LogLevel level);

class Context {
 public:
  // Request/response to a routed destination; answers the callee's reply bytes.
  Reply call(const Dest& target, const std::string& route_key, const Bytes& payload);
  // Fire-and-forget to a routed destination.
  Status tell(const Dest& target, const std::string& route_key, const Bytes& payload);
  // Request/response to a known actor identity, without routing.
  Reply call_raw(const ActrId& target, const std::string& route_key, const Bytes& payload);
  // An actor serving `type`.
  Outcome<ActrId> discover(const ActrType& type);

  Status register_stream(const std::string& stream_id);
  Status unregister_stream(const std::string& stream_id);
  Status send_data_stream(const Dest& target, const DataStream& chunk, const PayloadType& type);

  void log(LogLevel level, const std::string& message);
  void trace(const std::string& message) { log(LogLevel::Trace, message); }
  void debug(const std::string& message) { log(LogLevel::Debug, message); }
  void info(const std::string& message) { log(LogLevel::Info, message); }
  void warn(const std::string& message) { log(LogLevel::Warn, message); }
  void error(const std::string& message) { log(LogLevel::Error, message); }

  // The identity of the current dispatch. The host traps a guest that asks outside a call it
  // made into the guest.
  ActrId self_id();
  std::optional<ActrId> caller_id();
  std::string request_id();
};

}  // namespace actr
