// dispatch: routes an envelope by its route key ("<name>" or "<name>:<argument>"):
//
//   echo                 ok(payload)
//   reverse              ok(payload reversed)
//   repeat:<n>           ok(payload repeated n times)
//   error:<case>         err(<case>(payload as string)); dependency-not-found takes
//                        "<service-name>\0<message>"; timed-out has no payload
//   ctx                  ok("self=<actr-id> caller=<actr-id|none> request-id=<id>") from get-*
//   call                 payload "<dest>\n<route-key>\n<body>": host call's result as is
//   tell                 same payload: ok("") or tell's error
//   call-raw             payload "<actr-id>\n<route-key>\n<body>": host call-raw's result
//   discover             payload "<manufacturer>:<name>:<version>": ok(text of the found id)
//   stream               payload "<dest>\n<stream-id>\n<payload-type>\n<sequence>\n
//                        <timestamp-ms|none>\n<key>=<value>;...\n<body>": register-stream,
//                        send-data-stream, unregister-stream; ok("") or the first error (the
//                        stream is unregistered whenever it was registered)
//   log:<level>          log-message(<level>, payload); ok("")
//   fail-next:<hook>     arms <hook> (on-start, on-ready, on-stop, on-error, on-data-stream) to
//                        fail once with internal(payload); ok("")
//   trap                 executes `unreachable`
//   spin                 loops forever (deadline tests)
//   anything else        err(unknown-route(route-key))
//
// Malformed payloads give err(invalid-argument(<what was expected>)). Before routing, dispatch
// reports "dispatch request-id=<id> route-key=<key> payload=<hex>".
#include <cstdlib>
#include <string_view>
#include <vector>

#include "exports.hpp"
#include "host.hpp"
#include "text.hpp"

using namespace guest;

namespace {

BytesResult ok_bytes(Bytes b) {
  BytesResult r{};
  r.ok = b;
  return r;
}

BytesResult ok_text(std::string_view s) {
  return ok_bytes(
      copy_bytes(reinterpret_cast<const uint8_t*>(s.data()), static_cast<uint32_t>(s.size())));
}

BytesResult err(ActrError e) {
  BytesResult r{};
  r.is_err = 1;
  r.err = e;
  return r;
}

BytesResult err(ErrorCase tag, std::string_view message) {
  return err(make_error(tag, copy_str(message.data(), static_cast<uint32_t>(message.size()))));
}

BytesResult from_unit(const UnitResult& u) {
  if (u.is_err) return err(u.err);
  return ok_text("");
}

std::string_view as_text(Bytes b) { return {reinterpret_cast<const char*>(b.ptr), b.len}; }
uint32_t len32(std::string_view s) { return static_cast<uint32_t>(s.size()); }
const uint8_t* bytes_of(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

BytesResult route_error(std::string_view case_name, Bytes payload) {
  int tag = find_name(kErrorCaseNames, kErrorCaseCount, case_name);
  if (tag < 0) return err(kInvalidArgument, "unknown actr-error case: " + std::string(case_name));
  std::string_view text = as_text(payload);
  if (tag != kDependencyNotFound) return err(static_cast<ErrorCase>(tag), text);
  ActrError e{};
  e.tag = kDependencyNotFound;
  size_t nul = text.find('\0');
  std::string_view service = text.substr(0, nul);
  std::string_view message =
      nul == std::string_view::npos ? std::string_view() : text.substr(nul + 1);
  e.dep = {copy_str(service.data(), len32(service)), copy_str(message.data(), len32(message))};
  return err(e);
}

BytesResult route_ctx() {
  ActrId self;
  host::get_self_id(&self);
  OptionId caller;
  host::get_caller_id(&caller);
  Str request_id;
  host::get_request_id(&request_id);
  std::string out = "self=" + text(self) + " caller=";
  out += caller.is_some ? text(caller.value) : std::string("none");
  out += " request-id=";
  out += view(request_id);
  release(self);
  if (caller.is_some) release(caller.value);
  release(request_id);
  return ok_text(out);
}

// "<target>\n<route-key>\n<body>", the target parsed by the caller.
struct Routed {
  std::string_view target, route_key, body;
};
std::optional<Routed> parse_routed(Bytes payload) {
  std::string_view rest = as_text(payload);
  auto target = take_until(rest, '\n');
  if (!target) return std::nullopt;
  auto route_key = take_until(rest, '\n');
  if (!route_key) return std::nullopt;
  return Routed{*target, *route_key, rest};
}

BytesResult route_call(Bytes payload, bool tell) {
  auto routed = parse_routed(payload);
  auto dest = routed ? parse_dest(routed->target) : std::nullopt;
  if (!dest) return err(kInvalidArgument, "expected <dest>\\n<route-key>\\n<body>");
  const ActrType& t = dest->actor.type;
  if (tell) {
    UnitResult r;
    host::tell(dest->tag, dest->actor.realm_id, dest->actor.serial_number, t.manufacturer.ptr,
               t.manufacturer.len, t.name.ptr, t.name.len, t.version.ptr, t.version.len,
               routed->route_key.data(), len32(routed->route_key), bytes_of(routed->body),
               len32(routed->body), &r);
    return from_unit(r);
  }
  BytesResult r;
  host::call(dest->tag, dest->actor.realm_id, dest->actor.serial_number, t.manufacturer.ptr,
             t.manufacturer.len, t.name.ptr, t.name.len, t.version.ptr, t.version.len,
             routed->route_key.data(), len32(routed->route_key), bytes_of(routed->body),
             len32(routed->body), &r);
  return r;  // the host allocated it in our memory; our post-return frees it
}

BytesResult route_call_raw(Bytes payload) {
  auto routed = parse_routed(payload);
  auto id = routed ? parse_id(routed->target) : std::nullopt;
  if (!id) return err(kInvalidArgument, "expected <actr-id>\\n<route-key>\\n<body>");
  BytesResult r;
  host::call_raw(id->realm_id, id->serial_number, id->type.manufacturer.ptr,
                 id->type.manufacturer.len, id->type.name.ptr, id->type.name.len,
                 id->type.version.ptr, id->type.version.len, routed->route_key.data(),
                 len32(routed->route_key), bytes_of(routed->body), len32(routed->body), &r);
  return r;
}

BytesResult route_discover(Bytes payload) {
  auto type = parse_type(as_text(payload));
  if (!type) return err(kInvalidArgument, "expected <manufacturer>:<name>:<version>");
  IdResult r;
  host::discover(type->manufacturer.ptr, type->manufacturer.len, type->name.ptr, type->name.len,
                 type->version.ptr, type->version.len, &r);
  if (r.is_err) return err(r.err);
  BytesResult out = ok_text(text(r.ok));
  release(r.ok);
  return out;
}

BytesResult route_stream(Bytes payload) {
  static const char kExpected[] =
      "expected <dest>\\n<stream-id>\\n<payload-type>\\n<sequence>\\n<timestamp-ms|none>\\n"
      "<key>=<value>;...\\n<body>";
  std::string_view rest = as_text(payload);
  std::string_view fields[6];
  for (auto& field : fields) {
    auto f = take_until(rest, '\n');
    if (!f) return err(kInvalidArgument, kExpected);
    field = *f;
  }
  auto dest = parse_dest(fields[0]);
  int payload_type = find_name(kPayloadTypeNames, 5, fields[2]);
  auto sequence = parse_u64(fields[3]);
  std::optional<int64_t> timestamp_ms;
  if (fields[4] != "none") {
    timestamp_ms = parse_s64(fields[4]);
    if (!timestamp_ms) return err(kInvalidArgument, kExpected);
  }
  if (!dest || payload_type < 0 || !sequence) return err(kInvalidArgument, kExpected);

  std::vector<MetadataEntry> metadata;
  std::string_view entries = fields[5];
  while (!entries.empty()) {
    auto entry = take_until(entries, ';');
    std::string_view pair = entry ? *entry : entries;
    if (!entry) entries = {};
    auto key = take_until(pair, '=');
    if (!key) return err(kInvalidArgument, kExpected);
    metadata.push_back({{const_cast<char*>(key->data()), len32(*key)},
                        {const_cast<char*>(pair.data()), len32(pair)}});
  }

  std::string_view stream_id = fields[1];
  UnitResult r;
  host::register_stream(stream_id.data(), len32(stream_id), &r);
  if (r.is_err) return err(r.err);

  SendDataStreamParams params{};
  params.target = *dest;
  params.chunk.stream_id = {const_cast<char*>(stream_id.data()), len32(stream_id)};
  params.chunk.sequence = *sequence;
  params.chunk.payload = {const_cast<uint8_t*>(bytes_of(rest)), len32(rest)};
  params.chunk.metadata = {metadata.data(), static_cast<uint32_t>(metadata.size())};
  params.chunk.timestamp_ms = {timestamp_ms.has_value(), timestamp_ms.value_or(0)};
  params.payload_type = static_cast<uint8_t>(payload_type);
  UnitResult sent;
  host::send_data_stream(&params, &sent);

  host::unregister_stream(stream_id.data(), len32(stream_id), &r);
  if (sent.is_err) {
    release(r);
    return err(sent.err);
  }
  return from_unit(r);
}

BytesResult route_log(std::string_view level, Bytes payload) {
  host::log_message(level.data(), len32(level), reinterpret_cast<const char*>(payload.ptr),
                    payload.len);
  return ok_text("");
}

BytesResult route_fail_next(std::string_view hook, Bytes payload) {
  int index = find_name(kFallibleHookNames, kFallibleHookCount, hook);
  if (index < 0) return err(kInvalidArgument, "not a fallible hook: " + std::string(hook));
  arm_failure(static_cast<FallibleHook>(index),
              copy_str(reinterpret_cast<const char*>(payload.ptr), payload.len));
  return ok_text("");
}

BytesResult route_repeat(std::string_view count, Bytes payload) {
  auto n = parse_u64(count);
  if (!n || *n * payload.len > (64u << 20)) return err(kInvalidArgument, "expected repeat:<n>");
  auto total = static_cast<uint32_t>(*n * payload.len);
  Bytes out = copy_bytes(nullptr, 0);
  out.ptr = static_cast<uint8_t*>(realloc(out.ptr, total ? total : 1));
  if (!out.ptr) __builtin_trap();
  for (uint32_t i = 0; i < total; ++i) out.ptr[i] = payload.ptr[i % payload.len];
  out.len = total;
  return ok_bytes(out);
}

[[noreturn]] void spin() {
  volatile uint64_t counter = 0;
  for (;;) counter = counter + 1;
}

BytesResult route(std::string_view route_key, Bytes payload) {
  std::string_view name = route_key;
  std::string_view argument;
  if (size_t colon = route_key.find(':'); colon != std::string_view::npos) {
    name = route_key.substr(0, colon);
    argument = route_key.substr(colon + 1);
  }
  if (route_key == "echo") return ok_bytes(copy_bytes(payload.ptr, payload.len));
  if (route_key == "reverse") {
    Bytes out = copy_bytes(payload.ptr, payload.len);
    for (uint32_t i = 0; i < out.len / 2; ++i) std::swap(out.ptr[i], out.ptr[out.len - 1 - i]);
    return ok_bytes(out);
  }
  if (name == "repeat") return route_repeat(argument, payload);
  if (name == "error") return route_error(argument, payload);
  if (route_key == "ctx") return route_ctx();
  if (route_key == "call") return route_call(payload, /*tell=*/false);
  if (route_key == "tell") return route_call(payload, /*tell=*/true);
  if (route_key == "call-raw") return route_call_raw(payload);
  if (route_key == "discover") return route_discover(payload);
  if (route_key == "stream") return route_stream(payload);
  if (name == "log") return route_log(argument, payload);
  if (name == "fail-next") return route_fail_next(argument, payload);
  if (route_key == "trap") __builtin_trap();
  if (route_key == "spin") spin();
  return err(kUnknownRoute, route_key);
}

}  // namespace

// An rpc-envelope flattens to its three (pointer, length) pairs.
extern "C" GUEST_EXPORT("dispatch") BytesResult* dispatch(char* request_id, uint32_t request_id_len,
                                                          char* route_key, uint32_t route_key_len,
                                                          uint8_t* payload, uint32_t payload_len) {
  Str rid{request_id, request_id_len};
  Str key{route_key, route_key_len};
  Bytes body{payload, payload_len};
  report("dispatch request-id=" + std::string(view(rid)) + " route-key=" + std::string(view(key)) +
         " payload=" + hex(body.ptr, body.len));
  BytesResult* ret = bytes_return_area();
  *ret = route(view(key), body);
  release(rid);
  release(key);
  release(body);
  return ret;
}

extern "C" GUEST_POST_RETURN("dispatch") void post_dispatch(BytesResult* r) { release(*r); }
