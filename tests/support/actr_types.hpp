// The actr:workload@0.1.0 contract (wit/actr-workload.wit) as the host-side tests see it: the
// component::ValueType of every type of interface `types`, the FuncTypes of the `host` imports
// and `workload` exports, and plain C++ mirrors of the types with conversion to and from
// component::Value. Written by hand from the WIT, so that tests check the toolchain and the
// linker against an independent reading of the contract.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/component/types.hpp"
#include "actr/component/value.hpp"

namespace actr::test {

inline constexpr std::string_view kWorkloadHostInterface = "actr:workload/host@0.1.0";
inline constexpr std::string_view kWorkloadInterface = "actr:workload/workload@0.1.0";

struct WorkloadTypes {
  component::TypeRef realm, actr_type, actr_id, dest, rpc_envelope, metadata_entry, data_stream,
      payload_type, error_category, dependency_not_found_payload, actr_error, peer_event, timestamp,
      error_event, credential_event, backpressure_event;
  component::TypeRef bytes;  // list<u8>
};
const WorkloadTypes& workload_types();

struct NamedFuncType {
  std::string name;
  component::FuncType type;
};
// The 11 functions of interface `host`, in WIT order.
const std::vector<NamedFuncType>& workload_host_funcs();
// The 18 functions of interface `workload`, in WIT order.
const std::vector<NamedFuncType>& workload_export_funcs();

// ---- C++ mirrors of the WIT types ----

struct ActrType {
  std::string manufacturer, name, version;
  bool operator==(const ActrType&) const = default;
};

struct ActrId {
  uint32_t realm_id = 0;
  uint64_t serial_number = 0;
  ActrType type;
  bool operator==(const ActrId&) const = default;
};

struct Dest {
  enum Case : uint32_t { Shell, Local, Actor };
  Case kind = Shell;
  ActrId actor;  // Actor only
  bool operator==(const Dest&) const = default;
};

struct ActrError {
  enum Case : uint32_t {
    Unavailable,
    TimedOut,
    NotFound,
    PermissionDenied,
    InvalidArgument,
    UnknownRoute,
    DependencyNotFound,
    DecodeFailure,
    NotImplemented,
    Internal,
  };
  static constexpr uint32_t kCaseCount = 10;
  Case kind = Internal;
  std::string text;     // the string payload; the service-name of DependencyNotFound
  std::string message;  // DependencyNotFound only
  bool operator==(const ActrError&) const = default;
};
const char* case_name(ActrError::Case c);

enum class PayloadType : uint32_t {
  RpcReliable,
  RpcSignal,
  StreamReliable,
  StreamLatencyFirst,
  MediaRtp
};
inline constexpr uint32_t kPayloadTypeCount = 5;
const char* case_name(PayloadType p);

enum class ErrorCategory : uint32_t {
  HandlerPanic,
  HandlerError,
  SignalingFailure,
  TransportFailure,
  DataStreamDeliveryUncertain,
};
inline constexpr uint32_t kErrorCategoryCount = 5;
const char* case_name(ErrorCategory c);

struct MetadataEntry {
  std::string key, value;
  bool operator==(const MetadataEntry&) const = default;
};

struct DataStream {
  std::string stream_id;
  uint64_t sequence = 0;
  std::vector<uint8_t> payload;
  std::vector<MetadataEntry> metadata;
  std::optional<int64_t> timestamp_ms;
  bool operator==(const DataStream&) const = default;
};

struct RpcEnvelope {
  std::string request_id, route_key;
  std::vector<uint8_t> payload;
};

struct PeerEvent {
  ActrId peer;
  std::optional<bool> relayed;
};

struct Timestamp {
  uint64_t seconds = 0;
  uint32_t nanoseconds = 0;
};

struct ErrorEvent {
  ActrError source;
  ErrorCategory category = ErrorCategory::HandlerError;
  std::string context;
  Timestamp timestamp;
};

struct BackpressureEvent {
  uint64_t queue_len = 0, threshold = 0;
};

std::vector<uint8_t> bytes_of(std::string_view s);
component::Value bytes_value(std::string_view s);
component::Value bytes_value(const std::vector<uint8_t>& b);

component::Value to_value(const ActrType& t);
component::Value to_value(const ActrId& id);
component::Value to_value(const Dest& d);
component::Value to_value(const ActrError& e);
component::Value to_value(PayloadType p);
component::Value to_value(const DataStream& d);
component::Value to_value(const RpcEnvelope& e);
component::Value to_value(const PeerEvent& e);
component::Value to_value(const Timestamp& t);
component::Value to_value(const ErrorEvent& e);
component::Value credential_event_value(const Timestamp& new_expiry);
component::Value to_value(const BackpressureEvent& e);

// A readable, unambiguous rendering of any value (strings quoted, list<u8> as hex), for test
// assertions: two values of one type are equal iff their renderings are.
std::string describe(const component::Value& v);

// Decoders check the value's shape and say what was wrong.
Result<std::vector<uint8_t>> bytes_from(const component::Value& v);
Result<std::string> string_from(const component::Value& v);
Result<ActrType> actr_type_from(const component::Value& v);
Result<ActrId> actr_id_from(const component::Value& v);
Result<Dest> dest_from(const component::Value& v);
Result<ActrError> actr_error_from(const component::Value& v);
Result<PayloadType> payload_type_from(const component::Value& v);
Result<DataStream> data_stream_from(const component::Value& v);

}  // namespace actr::test
