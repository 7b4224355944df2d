#include "support/actr_types.hpp"

#include <memory>

namespace actr::test {

using component::Case;
using component::Field;
using component::FuncType;
using component::Kind;
using component::Param;
using component::TypeRef;
using component::Value;
using component::ValueType;

namespace {

TypeRef str() { return component::primitive(Kind::String); }

WorkloadTypes build_types() {
  using namespace component;
  WorkloadTypes t;
  t.bytes = list_of(primitive(Kind::U8));
  t.realm = named(record_of({{"realm-id", primitive(Kind::U32)}}), "realm");
  t.actr_type =
      named(record_of({{"manufacturer", str()}, {"name", str()}, {"version", str()}}), "actr-type");
  t.actr_id = named(
      record_of(
          {{"realm", t.realm}, {"serial-number", primitive(Kind::U64)}, {"type", t.actr_type}}),
      "actr-id");
  t.dest =
      named(variant_of({{"shell", nullptr}, {"local", nullptr}, {"actor", t.actr_id}}), "dest");
  t.rpc_envelope =
      named(record_of({{"request-id", str()}, {"route-key", str()}, {"payload", t.bytes}}),
            "rpc-envelope");
  t.metadata_entry = named(record_of({{"key", str()}, {"value", str()}}), "metadata-entry");
  t.data_stream = named(record_of({{"stream-id", str()},
                                   {"sequence", primitive(Kind::U64)},
                                   {"payload", t.bytes},
                                   {"metadata", list_of(t.metadata_entry)},
                                   {"timestamp-ms", option_of(primitive(Kind::S64))}}),
                        "data-stream");
  t.payload_type = named(variant_of({{"rpc-reliable", nullptr},
                                     {"rpc-signal", nullptr},
                                     {"stream-reliable", nullptr},
                                     {"stream-latency-first", nullptr},
                                     {"media-rtp", nullptr}}),
                         "payload-type");
  t.error_category = named(variant_of({{"handler-panic", nullptr},
                                       {"handler-error", nullptr},
                                       {"signaling-failure", nullptr},
                                       {"transport-failure", nullptr},
                                       {"data-stream-delivery-uncertain", nullptr}}),
                           "error-category");
  t.dependency_not_found_payload = named(record_of({{"service-name", str()}, {"message", str()}}),
                                         "dependency-not-found-payload");
  t.actr_error = named(variant_of({{"unavailable", str()},
                                   {"timed-out", nullptr},
                                   {"not-found", str()},
                                   {"permission-denied", str()},
                                   {"invalid-argument", str()},
                                   {"unknown-route", str()},
                                   {"dependency-not-found", t.dependency_not_found_payload},
                                   {"decode-failure", str()},
                                   {"not-implemented", str()},
                                   {"internal", str()}}),
                       "actr-error");
  t.peer_event =
      named(record_of({{"peer", t.actr_id}, {"relayed", option_of(primitive(Kind::Bool))}}),
            "peer-event");
  t.timestamp =
      named(record_of({{"seconds", primitive(Kind::U64)}, {"nanoseconds", primitive(Kind::U32)}}),
            "timestamp");
  t.error_event = named(record_of({{"source", t.actr_error},
                                   {"category", t.error_category},
                                   {"context", str()},
                                   {"timestamp", t.timestamp}}),
                        "error-event");
  t.credential_event = named(record_of({{"new-expiry", t.timestamp}}), "credential-event");
  t.backpressure_event =
      named(record_of({{"queue-len", primitive(Kind::U64)}, {"threshold", primitive(Kind::U64)}}),
            "backpressure-event");
  return t;
}

FuncType fn(std::vector<Param> params, TypeRef result = nullptr) {
  FuncType f;
  f.params = std::move(params);
  if (result) f.results.push_back({"", std::move(result)});
  return f;
}

const char* const kErrorCaseNames[] = {
    "unavailable",
    "timed-out",
    "not-found",
    "permission-denied",
    "invalid-argument",
    "unknown-route",
    "dependency-not-found",
    "decode-failure",
    "not-implemented",
    "internal",
};
const char* const kPayloadTypeNames[] = {
    "rpc-reliable", "rpc-signal", "stream-reliable", "stream-latency-first", "media-rtp",
};
const char* const kErrorCategoryNames[] = {
    "handler-panic",
    "handler-error",
    "signaling-failure",
    "transport-failure",
    "data-stream-delivery-uncertain",
};

Error shape_error(std::string_view what, const Value& v) {
  return make_error("expected " + std::string(what) + ", got a " + component::to_string(v.kind) +
                    " value");
}

}  // namespace

const WorkloadTypes& workload_types() {
  static const WorkloadTypes types = build_types();
  return types;
}

const std::vector<NamedFuncType>& workload_host_funcs() {
  static const std::vector<NamedFuncType> funcs = [] {
    const auto& t = workload_types();
    auto unit_result = component::result_of(nullptr, t.actr_error);
    auto bytes_result = component::result_of(t.bytes, t.actr_error);
    return std::vector<NamedFuncType>{
        {"call",
         fn({{"target", t.dest}, {"route-key", str()}, {"payload", t.bytes}}, bytes_result)},
        {"tell", fn({{"target", t.dest}, {"route-key", str()}, {"payload", t.bytes}}, unit_result)},
        {"call-raw",
         fn({{"target", t.actr_id}, {"route-key", str()}, {"payload", t.bytes}}, bytes_result)},
        {"discover",
         fn({{"target-type", t.actr_type}}, component::result_of(t.actr_id, t.actr_error))},
        {"register-stream", fn({{"stream-id", str()}}, unit_result)},
        {"unregister-stream", fn({{"stream-id", str()}}, unit_result)},
        {"send-data-stream",
         fn({{"target", t.dest}, {"chunk", t.data_stream}, {"payload-type", t.payload_type}},
            unit_result)},
        {"log-message", fn({{"level", str()}, {"message", str()}})},
        {"get-self-id", fn({}, t.actr_id)},
        {"get-caller-id", fn({}, component::option_of(t.actr_id))},
        {"get-request-id", fn({}, str())},
    };
  }();
  return funcs;
}

const std::vector<NamedFuncType>& workload_export_funcs() {
  static const std::vector<NamedFuncType> funcs = [] {
    const auto& t = workload_types();
    auto unit_result = component::result_of(nullptr, t.actr_error);
    return std::vector<NamedFuncType>{
        {"dispatch",
         fn({{"envelope", t.rpc_envelope}}, component::result_of(t.bytes, t.actr_error))},
        {"on-start", fn({}, unit_result)},
        {"on-ready", fn({}, unit_result)},
        {"on-stop", fn({}, unit_result)},
        {"on-error", fn({{"event", t.error_event}}, unit_result)},
        {"on-signaling-connecting", fn({})},
        {"on-signaling-connected", fn({})},
        {"on-signaling-disconnected", fn({})},
        {"on-websocket-connecting", fn({{"event", t.peer_event}})},
        {"on-websocket-connected", fn({{"event", t.peer_event}})},
        {"on-websocket-disconnected", fn({{"event", t.peer_event}})},
        {"on-webrtc-connecting", fn({{"event", t.peer_event}})},
        {"on-webrtc-connected", fn({{"event", t.peer_event}})},
        {"on-webrtc-disconnected", fn({{"event", t.peer_event}})},
        {"on-credential-renewed", fn({{"event", t.credential_event}})},
        {"on-credential-expiring", fn({{"event", t.credential_event}})},
        {"on-mailbox-backpressure", fn({{"event", t.backpressure_event}})},
        {"on-data-stream", fn({{"chunk", t.data_stream}, {"sender", t.actr_id}}, unit_result)},
    };
  }();
  return funcs;
}

const char* case_name(ActrError::Case c) {
  return c < ActrError::kCaseCount ? kErrorCaseNames[c] : "?";
}
const char* case_name(PayloadType p) {
  auto i = static_cast<uint32_t>(p);
  return i < kPayloadTypeCount ? kPayloadTypeNames[i] : "?";
}
const char* case_name(ErrorCategory c) {
  auto i = static_cast<uint32_t>(c);
  return i < kErrorCategoryCount ? kErrorCategoryNames[i] : "?";
}

std::vector<uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

Value bytes_value(std::string_view s) {
  return Value::bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
Value bytes_value(const std::vector<uint8_t>& b) { return Value::bytes(b.data(), b.size()); }

Value to_value(const ActrType& t) {
  return Value::record(
      {Value::string(t.manufacturer), Value::string(t.name), Value::string(t.version)});
}

Value to_value(const ActrId& id) {
  return Value::record(
      {Value::record({Value::u32(id.realm_id)}), Value::u64(id.serial_number), to_value(id.type)});
}

Value to_value(const Dest& d) {
  if (d.kind == Dest::Actor) return Value::variant(Dest::Actor, to_value(d.actor));
  return Value::variant(d.kind);
}

Value to_value(const ActrError& e) {
  if (e.kind == ActrError::TimedOut) return Value::variant(e.kind);
  if (e.kind == ActrError::DependencyNotFound) {
    return Value::variant(e.kind, Value::record({Value::string(e.text), Value::string(e.message)}));
  }
  return Value::variant(e.kind, Value::string(e.text));
}

Value to_value(PayloadType p) { return Value::variant(static_cast<uint32_t>(p)); }

Value to_value(const DataStream& d) {
  std::vector<Value> metadata;
  for (const auto& m : d.metadata) {
    metadata.push_back(Value::record({Value::string(m.key), Value::string(m.value)}));
  }
  return Value::record({Value::string(d.stream_id), Value::u64(d.sequence), bytes_value(d.payload),
                        Value::list(std::move(metadata)),
                        d.timestamp_ms ? Value::some(Value::s64(*d.timestamp_ms)) : Value::none()});
}

Value to_value(const RpcEnvelope& e) {
  return Value::record(
      {Value::string(e.request_id), Value::string(e.route_key), bytes_value(e.payload)});
}

Value to_value(const PeerEvent& e) {
  return Value::record(
      {to_value(e.peer), e.relayed ? Value::some(Value::boolean(*e.relayed)) : Value::none()});
}

Value to_value(const Timestamp& t) {
  return Value::record({Value::u64(t.seconds), Value::u32(t.nanoseconds)});
}

Value to_value(const ErrorEvent& e) {
  return Value::record({to_value(e.source), Value::variant(static_cast<uint32_t>(e.category)),
                        Value::string(e.context), to_value(e.timestamp)});
}

Value credential_event_value(const Timestamp& new_expiry) {
  return Value::record({to_value(new_expiry)});
}

Value to_value(const BackpressureEvent& e) {
  return Value::record({Value::u64(e.queue_len), Value::u64(e.threshold)});
}

std::string describe(const Value& v) {
  static const char kHex[] = "0123456789abcdef";
  auto join = [](const std::vector<Value>& items, const char* open, const char* close) {
    std::string out = open;
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + describe(items[i]);
    return out + close;
  };
  switch (v.kind) {
    case Kind::Bool:
      return v.b ? "true" : "false";
    case Kind::S8:
    case Kind::S16:
    case Kind::S32:
    case Kind::S64:
      return std::to_string(v.s);
    case Kind::U8:
    case Kind::U16:
    case Kind::U32:
    case Kind::U64:
      return std::to_string(v.u);
    case Kind::F32:
      return std::to_string(v.f32);
    case Kind::F64:
      return std::to_string(v.f64);
    case Kind::Char:
      return "char(" + std::to_string(v.u) + ")";
    case Kind::String: {
      std::string out = "\"";
      for (unsigned char c : v.str) {
        if (c == '"' || c == '\\') {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);  // UTF-8 stays readable
        }
      }
      return out + "\"";
    }
    case Kind::FixedList:
      return join(v.items, "[", "]");
    case Kind::List: {
      // Both forms of a list<u8> render alike, as equal values must.
      std::string bytes;
      if (v.list_size() == 0 || !v.copy_bytes(bytes)) return join(v.items, "[", "]");
      std::string out = "bytes:";
      for (unsigned char b : bytes) {
        out += kHex[b >> 4];
        out += kHex[b & 15];
      }
      return out;
    }
    case Kind::Record:
      return join(v.items, "{", "}");
    case Kind::Tuple:
      return join(v.items, "(", ")");
    case Kind::Map:
      return join(v.items, "map[", "]");
    case Kind::Variant:
      return "case" + std::to_string(v.index) + (v.has_payload() ? join(v.items, "(", ")") : "");
    case Kind::Enum:
      return "enum" + std::to_string(v.index);
    case Kind::Option:
      return v.has_payload() ? join(v.items, "some(", ")") : "none";
    case Kind::Result:
      return std::string(v.is_ok ? "ok" : "err") + (v.has_payload() ? join(v.items, "(", ")") : "");
    case Kind::Flags:
      return "flags(" + std::to_string(v.u) + ")";
    case Kind::Own:
      return "own(" + std::to_string(v.handle.rep) + ")";
    case Kind::Borrow:
      return "borrow(" + std::to_string(v.handle.rep) + ")";
  }
  return "?";
}

Result<std::vector<uint8_t>> bytes_from(const Value& v) {
  if (v.kind != Kind::List) return shape_error("list<u8>", v);
  std::vector<uint8_t> out;
  if (v.copy_bytes(out)) return out;
  for (const auto& item : v.items) {
    if (item.kind != Kind::U8) return shape_error("u8", item);
  }
  return make_error("expected list<u8>, got a list with an out-of-range u8");
}

Result<std::string> string_from(const Value& v) {
  if (v.kind != Kind::String) return shape_error("string", v);
  return v.str;
}

Result<ActrType> actr_type_from(const Value& v) {
  if (v.kind != Kind::Record || v.items.size() != 3) return shape_error("actr-type record", v);
  ACTR_TRY(auto manufacturer, string_from(v.items[0]));
  ACTR_TRY(auto name, string_from(v.items[1]));
  ACTR_TRY(auto version, string_from(v.items[2]));
  return ActrType{std::move(manufacturer), std::move(name), std::move(version)};
}

Result<ActrId> actr_id_from(const Value& v) {
  if (v.kind != Kind::Record || v.items.size() != 3) return shape_error("actr-id record", v);
  const Value& realm = v.items[0];
  if (realm.kind != Kind::Record || realm.items.size() != 1 || realm.items[0].kind != Kind::U32) {
    return shape_error("realm record", realm);
  }
  if (v.items[1].kind != Kind::U64) return shape_error("u64 serial-number", v.items[1]);
  ACTR_TRY(auto type, actr_type_from(v.items[2]));
  return ActrId{static_cast<uint32_t>(realm.items[0].u), v.items[1].u, std::move(type)};
}

Result<Dest> dest_from(const Value& v) {
  if (v.kind != Kind::Variant || v.index > Dest::Actor) return shape_error("dest variant", v);
  Dest d;
  d.kind = static_cast<Dest::Case>(v.index);
  if (d.kind == Dest::Actor) {
    if (!v.has_payload()) return make_error("dest.actor without payload");
    ACTR_TRY(d.actor, actr_id_from(v.payload()));
  } else if (v.has_payload()) {
    return make_error("dest case without payload carries one");
  }
  return d;
}

Result<ActrError> actr_error_from(const Value& v) {
  if (v.kind != Kind::Variant || v.index >= ActrError::kCaseCount) {
    return shape_error("actr-error variant", v);
  }
  ActrError e;
  e.kind = static_cast<ActrError::Case>(v.index);
  if (e.kind == ActrError::TimedOut) {
    if (v.has_payload()) return make_error("timed-out carries a payload");
    return e;
  }
  if (!v.has_payload()) return make_error(std::string(case_name(e.kind)) + " without payload");
  if (e.kind == ActrError::DependencyNotFound) {
    const Value& p = v.payload();
    if (p.kind != Kind::Record || p.items.size() != 2) {
      return shape_error("dependency-not-found-payload record", p);
    }
    ACTR_TRY(e.text, string_from(p.items[0]));
    ACTR_TRY(e.message, string_from(p.items[1]));
    return e;
  }
  ACTR_TRY(e.text, string_from(v.payload()));
  return e;
}

Result<PayloadType> payload_type_from(const Value& v) {
  if (v.kind != Kind::Variant || v.index >= kPayloadTypeCount || v.has_payload()) {
    return shape_error("payload-type variant", v);
  }
  return static_cast<PayloadType>(v.index);
}

Result<DataStream> data_stream_from(const Value& v) {
  if (v.kind != Kind::Record || v.items.size() != 5) return shape_error("data-stream record", v);
  DataStream d;
  ACTR_TRY(d.stream_id, string_from(v.items[0]));
  if (v.items[1].kind != Kind::U64) return shape_error("u64 sequence", v.items[1]);
  d.sequence = v.items[1].u;
  ACTR_TRY(d.payload, bytes_from(v.items[2]));
  if (v.items[3].kind != Kind::List) return shape_error("metadata list", v.items[3]);
  for (const auto& entry : v.items[3].items) {
    if (entry.kind != Kind::Record || entry.items.size() != 2) {
      return shape_error("metadata-entry record", entry);
    }
    ACTR_TRY(auto key, string_from(entry.items[0]));
    ACTR_TRY(auto value, string_from(entry.items[1]));
    d.metadata.push_back({std::move(key), std::move(value)});
  }
  const Value& ts = v.items[4];
  if (ts.kind != Kind::Option) return shape_error("option<s64> timestamp-ms", ts);
  if (ts.has_payload()) {
    if (ts.payload().kind != Kind::S64) return shape_error("s64", ts.payload());
    d.timestamp_ms = ts.payload().s;
  }
  return d;
}

}  // namespace actr::test
