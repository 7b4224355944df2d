#include "actr/context.hpp"

namespace actr {

namespace host = ::actr::workload::host;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Trace:
      return "trace";
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
  }
  return "info";
}

Reply Context::call(const Dest& target, const std::string& route_key, const Bytes& payload) {
  return host::call(target, route_key, payload);
}

Status Context::tell(const Dest& target, const std::string& route_key, const Bytes& payload) {
  return host::tell(target, route_key, payload);
}

Reply Context::call_raw(const ActrId& target, const std::string& route_key, const Bytes& payload) {
  return host::call_raw(target, route_key, payload);
}

Outcome<ActrId> Context::discover(const ActrType& type) { return host::discover(type); }

Status Context::register_stream(const std::string& stream_id) {
  return host::register_stream(stream_id);
}

Status Context::unregister_stream(const std::string& stream_id) {
  return host::unregister_stream(stream_id);
}

Status Context::send_data_stream(const Dest& target, const DataStream& chunk,
                                 const PayloadType& type) {
  return host::send_data_stream(target, chunk, type);
}

void Context::log(LogLevel level, const std::string& message) {
  host::log_message(level_name(level), message);
}

ActrId Context::self_id() { return host::get_self_id(); }
std::optional<ActrId> Context::caller_id() { return host::get_caller_id(); }
std::string Context::request_id() { return host::get_request_id(); }

}  // namespace actr
