// The actr:workload world end to end through the component linker, on both engines: the
// hand-written guest tests/guests/workload_all (built by cmake/ActrGuest.cmake) against host
// functions that record every call with the exact types of wit/actr-workload.wit.
//
// The guest reports what each export received by calling log-message("info", <line>), in the
// canonical text forms of tests/guests/workload_all/text.hpp; its dispatch routes are listed in
// tests/guests/workload_all/dispatch.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "actr/wasm/trap.hpp"
#include "support/actr_types.hpp"
#include "support/missing.hpp"

namespace actr::test {
namespace {

using component::Value;
using wasm::EngineKind;
using wasm::TrapKind;

std::filesystem::path guest_path() {
  return std::filesystem::path(ACTR_BINARY_DIR) / "guests" / "workload_all.wasm";
}

// ---- the guest's canonical text forms ----

std::string hex(const std::vector<uint8_t>& b) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t c : b) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string text(const ActrId& id) {
  return std::to_string(id.realm_id) + "/" + std::to_string(id.serial_number) + "/" +
         id.type.manufacturer + ":" + id.type.name + ":" + id.type.version;
}

std::string text(const ActrError& e) {
  std::string out = case_name(e.kind);
  if (e.kind == ActrError::TimedOut) return out;
  if (e.kind == ActrError::DependencyNotFound) return out + "(" + e.text + "," + e.message + ")";
  return out + "(" + e.text + ")";
}

std::string text(const Timestamp& t) {
  return std::to_string(t.seconds) + "s+" + std::to_string(t.nanoseconds) + "ns";
}

std::string text(const DataStream& d) {
  std::string out = "stream-id=" + d.stream_id + " sequence=" + std::to_string(d.sequence) +
                    " payload=" + hex(d.payload) + " metadata=[";
  for (size_t i = 0; i < d.metadata.size(); ++i) {
    out += (i ? "," : "") + d.metadata[i].key + "=" + d.metadata[i].value;
  }
  out += "] timestamp-ms=";
  out += d.timestamp_ms ? std::to_string(*d.timestamp_ms) : "none";
  return out;
}

std::string dest_text(const Dest& d) {
  switch (d.kind) {
    case Dest::Shell:
      return "shell";
    case Dest::Local:
      return "local";
    case Dest::Actor:
      return text(d.actor);
  }
  return "?";
}

// ---- sample values: boundaries, non-ASCII text, empty strings ----

const ActrId kEchoId{1, 42, {"acme", "echo", "1.0.0"}};
const ActrId kUnicodeId{UINT32_MAX, UINT64_MAX, {"ünïcødé", "名前", "v✓-β"}};
const ActrId kEmptyId{0, 0, {"", "", ""}};
const std::vector<ActrId> kSampleIds{kEchoId, kUnicodeId, kEmptyId};

std::vector<ActrError> all_errors() {
  std::vector<ActrError> out;
  for (uint32_t c = 0; c < ActrError::kCaseCount; ++c) {
    ActrError e;
    e.kind = static_cast<ActrError::Case>(c);
    if (e.kind == ActrError::DependencyNotFound) {
      e.text = "svc-ß";
      e.message = "nicht gefunden ✗";
    } else if (e.kind != ActrError::TimedOut) {
      e.text = std::string(case_name(e.kind)) + " — 错误";
    }
    out.push_back(e);
  }
  out.push_back({ActrError::Internal, "", ""});
  out.push_back({ActrError::DependencyNotFound, "", ""});
  return out;
}

Value ok_bytes(std::string_view s) { return Value::ok(bytes_value(s)); }
Value err_value(const ActrError& e) { return Value::err(to_value(e)); }

// ---- the recording host ----

struct HostCall {
  std::string func;
  Dest dest;
  ActrId id;
  ActrType type;
  std::string text;  // route-key, stream-id
  std::vector<uint8_t> payload;
  DataStream chunk;
  PayloadType payload_type = PayloadType::RpcReliable;
};

struct DispatchContext {
  ActrId self;
  std::optional<ActrId> caller;
  std::string request_id;
};

struct RecordingHost {
  std::vector<std::pair<std::string, std::string>> logs;  // level, message
  std::vector<HostCall> calls;
  std::vector<std::string> getters;  // names of the context getters called

  // What the next host calls return.
  Value call_reply = ok_bytes("reply");
  Value tell_reply = Value::ok();
  Value call_raw_reply = ok_bytes("raw-reply");
  Value discover_reply = Value::ok(to_value(kEchoId));
  Value register_reply = Value::ok();
  Value unregister_reply = Value::ok();
  Value send_reply = Value::ok();
  std::optional<std::string> log_trap;  // log-message traps with this message

  // Installed around dispatch, as the runtime does; the getters trap without it.
  std::optional<DispatchContext> context;

  std::vector<std::string> observations() const {
    std::vector<std::string> out;
    for (const auto& [level, message] : logs) {
      if (level == "info") out.push_back(message);
    }
    return out;
  }
  std::string last_observation() const {
    auto all = observations();
    return all.empty() ? std::string("<nothing reported>") : all.back();
  }
};

using Args = std::span<const Value>;
using Results = std::vector<Value>;

Result<void> expect_arity(Args args, size_t n, std::string_view func) {
  if (args.size() != n) {
    return make_error(std::string(func) + ": " + std::to_string(args.size()) +
                      " arguments, expected " + std::to_string(n));
  }
  return {};
}

// Defines every function of actr:workload/host. The guest also imports actr:workload/types, which
// exports nothing but value types: as in wasmtime (bytecodealliance/wasmtime#5777), such an
// instance needs no host definition.
void define_host(component::Linker& linker, RecordingHost& host) {
  std::map<std::string, component::FuncType> types;
  for (const auto& f : workload_host_funcs()) types[f.name] = f.type;
  auto define = [&](const std::string& name, component::HostFunction fn) {
    linker.func(kWorkloadHostInterface, name, types.at(name), std::move(fn));
  };

  auto routed = [&host](const char* func, Value* reply, bool dest_target) {
    return [&host, func, reply, dest_target](Args args, Results& results) -> Result<void> {
      ACTR_TRY_VOID(expect_arity(args, 3, func));
      HostCall c;
      c.func = func;
      if (dest_target) {
        ACTR_TRY(c.dest, dest_from(args[0]));
      } else {
        ACTR_TRY(c.id, actr_id_from(args[0]));
      }
      ACTR_TRY(c.text, string_from(args[1]));
      ACTR_TRY(c.payload, bytes_from(args[2]));
      host.calls.push_back(std::move(c));
      results.push_back(*reply);
      return {};
    };
  };
  define("call", routed("call", &host.call_reply, true));
  define("tell", routed("tell", &host.tell_reply, true));
  define("call-raw", routed("call-raw", &host.call_raw_reply, false));

  define("discover", [&host](Args args, Results& results) -> Result<void> {
    ACTR_TRY_VOID(expect_arity(args, 1, "discover"));
    HostCall c;
    c.func = "discover";
    ACTR_TRY(c.type, actr_type_from(args[0]));
    host.calls.push_back(std::move(c));
    results.push_back(host.discover_reply);
    return {};
  });

  auto stream_op = [&host](const char* func, Value* reply) {
    return [&host, func, reply](Args args, Results& results) -> Result<void> {
      ACTR_TRY_VOID(expect_arity(args, 1, func));
      HostCall c;
      c.func = func;
      ACTR_TRY(c.text, string_from(args[0]));
      host.calls.push_back(std::move(c));
      results.push_back(*reply);
      return {};
    };
  };
  define("register-stream", stream_op("register-stream", &host.register_reply));
  define("unregister-stream", stream_op("unregister-stream", &host.unregister_reply));

  define("send-data-stream", [&host](Args args, Results& results) -> Result<void> {
    ACTR_TRY_VOID(expect_arity(args, 3, "send-data-stream"));
    HostCall c;
    c.func = "send-data-stream";
    ACTR_TRY(c.dest, dest_from(args[0]));
    ACTR_TRY(c.chunk, data_stream_from(args[1]));
    ACTR_TRY(c.payload_type, payload_type_from(args[2]));
    host.calls.push_back(std::move(c));
    results.push_back(host.send_reply);
    return {};
  });

  define("log-message", [&host](Args args, Results&) -> Result<void> {
    ACTR_TRY_VOID(expect_arity(args, 2, "log-message"));
    ACTR_TRY(auto level, string_from(args[0]));
    ACTR_TRY(auto message, string_from(args[1]));
    if (host.log_trap) return make_error(*host.log_trap);
    host.logs.emplace_back(std::move(level), std::move(message));
    return {};
  });

  define("get-self-id", [&host](Args args, Results& results) -> Result<void> {
    ACTR_TRY_VOID(expect_arity(args, 0, "get-self-id"));
    host.getters.push_back("get-self-id");
    if (!host.context) return make_error("get-self-id called outside a dispatch");
    results.push_back(to_value(host.context->self));
    return {};
  });
  define("get-caller-id", [&host](Args args, Results& results) -> Result<void> {
    ACTR_TRY_VOID(expect_arity(args, 0, "get-caller-id"));
    host.getters.push_back("get-caller-id");
    if (!host.context) return make_error("get-caller-id called outside a dispatch");
    const auto& caller = host.context->caller;
    results.push_back(caller ? Value::some(to_value(*caller)) : Value::none());
    return {};
  });
  define("get-request-id", [&host](Args args, Results& results) -> Result<void> {
    ACTR_TRY_VOID(expect_arity(args, 0, "get-request-id"));
    host.getters.push_back("get-request-id");
    if (!host.context) return make_error("get-request-id called outside a dispatch");
    results.push_back(Value::string(host.context->request_id));
    return {};
  });
}

// One engine and the compiled guest per engine kind, shared by all tests of the process.
struct LoadedGuest {
  std::unique_ptr<wasm::Engine> engine;
  std::shared_ptr<const component::Component> component;
  std::string skip_reason;
};

LoadedGuest& loaded_guest(EngineKind kind) {
  static std::map<EngineKind, LoadedGuest> cache;
  auto it = cache.find(kind);
  if (it != cache.end()) return it->second;
  LoadedGuest& g = cache[kind];
  if (!std::filesystem::exists(guest_path())) {
    g.skip_reason = "guest component " + guest_path().string() +
                    " was not built (needs clang-19, wasi-libc, wasm32 libc++ and jco)";
    return g;
  }
  auto engine = wasm::make_engine(kind);
  if (!engine) {
    g.skip_reason = "engine unavailable: " + engine.error().message;
    return g;
  }
  g.engine = std::move(*engine);
  auto component = component::Component::load_file(*g.engine, guest_path());
  if (!component) {
    g.skip_reason = "";  // a load failure is a test failure, reported by SetUp
    ADD_FAILURE() << "loading " << guest_path() << ": " << component.error().message;
    return g;
  }
  g.component = *component;
  return g;
}

std::string fn_name(std::string_view f) {
  return std::string(kWorkloadInterface) + "#" + std::string(f);
}

class WorkloadWorld : public ::testing::TestWithParam<EngineKind> {
 protected:
  void SetUp() override {
    LoadedGuest& g = loaded_guest(GetParam());
    if (!g.skip_reason.empty()) ACTR_SKIP_MISSING(g.skip_reason);
    ASSERT_TRUE(g.component) << "the guest component did not load";
    guest_ = &g;
    ASSERT_TRUE(instantiate());
  }

  // (Re)instantiates the guest with the recording host and `limits`.
  bool instantiate(const wasm::StoreLimits& limits = {}) {
    instance_.reset();
    linker_ = std::make_unique<component::Linker>(*guest_->engine);
    define_host(*linker_, host_);
    auto instance = linker_->instantiate(*guest_->component, limits);
    EXPECT_TRUE(instance) << instance.error().message;
    if (!instance) return false;
    instance_ = std::move(*instance);
    return true;
  }

  Result<std::vector<Value>> call(std::string_view export_name, std::vector<Value> args) {
    return instance_->call(fn_name(export_name), args);
  }

  // Calls an export that returns one value and expects success.
  Value call_one(std::string_view export_name, std::vector<Value> args) {
    auto r = call(export_name, std::move(args));
    if (!r) {
      ADD_FAILURE() << export_name << " failed: " << r.error().message;
      return Value();
    }
    if (r->size() != 1) {
      ADD_FAILURE() << export_name << " returned " << r->size() << " values";
      return Value();
    }
    return (*r)[0];
  }

  // Calls an export without results and expects success.
  void call_void(std::string_view export_name, std::vector<Value> args) {
    auto r = call(export_name, std::move(args));
    ASSERT_TRUE(r) << export_name << " failed: " << r.error().message;
    EXPECT_TRUE(r->empty()) << export_name << " returned " << r->size() << " values";
  }

  // dispatch with the runtime's context installed around the call.
  Result<std::vector<Value>> dispatch_raw(const RpcEnvelope& env) {
    host_.context = DispatchContext{self_, caller_, env.request_id};
    auto r = call("dispatch", {to_value(env)});
    host_.context.reset();
    return r;
  }

  Value dispatch(std::string route_key, std::string_view payload = {},
                 std::string request_id = "req-1") {
    auto r = dispatch_raw({std::move(request_id), std::move(route_key), bytes_of(payload)});
    if (!r) {
      ADD_FAILURE() << "dispatch failed: " << r.error().message;
      return Value();
    }
    if (r->size() != 1) {
      ADD_FAILURE() << "dispatch returned " << r->size() << " values";
      return Value();
    }
    return (*r)[0];
  }

  const LoadedGuest* guest_ = nullptr;
  RecordingHost host_;
  std::unique_ptr<component::Linker> linker_;
  std::unique_ptr<component::Instance> instance_;
  ActrId self_ = kEchoId;
  std::optional<ActrId> caller_ = kUnicodeId;
};

#define EXPECT_VALUE(actual, expected) EXPECT_EQ(describe(actual), describe(expected))

// ---- the contract ----

TEST_P(WorkloadWorld, ExportsExactlyTheWorkloadInterface) {
  std::vector<std::string> expected;
  for (const auto& f : workload_export_funcs()) expected.push_back(fn_name(f.name));
  auto names = instance_->func_names();
  std::sort(names.begin(), names.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);
  ASSERT_EQ(expected.size(), 18u);

  for (const auto& f : workload_export_funcs()) {
    SCOPED_TRACE(f.name);
    auto* func = instance_->func(fn_name(f.name));
    ASSERT_NE(func, nullptr);
    const auto& type = func->type();
    ASSERT_EQ(type.params.size(), f.type.params.size());
    for (size_t i = 0; i < type.params.size(); ++i) {
      std::string why;
      EXPECT_EQ(type.params[i].name, f.type.params[i].name);
      EXPECT_TRUE(component::same_type(*type.params[i].type, *f.type.params[i].type, &why)) << why;
    }
    ASSERT_EQ(type.results.size(), f.type.results.size());
    for (size_t i = 0; i < type.results.size(); ++i) {
      std::string why;
      EXPECT_TRUE(component::same_type(*type.results[i].type, *f.type.results[i].type, &why))
          << why;
    }
  }
}

TEST_P(WorkloadWorld, InstantiationRejectsAMissingOrMistypedHostFunction) {
  {
    component::Linker linker(*guest_->engine);
    define_host(linker, host_);
    // log-message(level: string) instead of (level: string, message: string).
    linker.func(kWorkloadHostInterface, "log-message",
                {{{"level", component::primitive(component::Kind::String)}}, {}},
                [](Args, Results&) -> Result<void> { return {}; });
    auto instance = linker.instantiate(*guest_->component);
    ASSERT_FALSE(instance);
    EXPECT_NE(instance.error().message.find("log-message"), std::string::npos)
        << instance.error().message;
  }
  {
    component::Linker linker(*guest_->engine);
    for (const auto& f : workload_host_funcs()) {
      if (f.name == "discover") continue;
      linker.func(kWorkloadHostInterface, f.name, f.type,
                  [](Args, Results&) -> Result<void> { return make_error("not called"); });
    }
    auto instance = linker.instantiate(*guest_->component);
    ASSERT_FALSE(instance);
    EXPECT_NE(instance.error().message.find("discover"), std::string::npos)
        << instance.error().message;
  }
}

// ---- dispatch ----

TEST_P(WorkloadWorld, DispatchEchoesAndReportsTheEnvelope) {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  for (const std::string& payload : {std::string(), std::string("hello"), all_bytes}) {
    EXPECT_VALUE(dispatch("echo", payload), ok_bytes(payload));
    EXPECT_EQ(host_.last_observation(),
              "dispatch request-id=req-1 route-key=echo payload=" + hex(bytes_of(payload)));
  }
  EXPECT_VALUE(dispatch("reverse", "abc\xff"), ok_bytes("\xff"
                                                        "cba"));
  EXPECT_VALUE(dispatch("reverse", ""), ok_bytes(""));

  EXPECT_VALUE(dispatch("echo", "x", "請求-ü-🚀"), ok_bytes("x"));
  EXPECT_EQ(host_.last_observation(), "dispatch request-id=請求-ü-🚀 route-key=echo payload=78");
  EXPECT_VALUE(dispatch("echo", "", ""), ok_bytes(""));
  EXPECT_EQ(host_.last_observation(), "dispatch request-id= route-key=echo payload=");
}

TEST_P(WorkloadWorld, DispatchReturnsEveryErrorCase) {
  for (const ActrError& e : all_errors()) {
    SCOPED_TRACE(text(e));
    std::string payload = e.text;
    if (e.kind == ActrError::DependencyNotFound) payload += std::string(1, '\0') + e.message;
    EXPECT_VALUE(dispatch(std::string("error:") + case_name(e.kind), payload), err_value(e));
  }
  EXPECT_VALUE(dispatch("error:dependency-not-found", "only-service"),
               err_value({ActrError::DependencyNotFound, "only-service", ""}));
  EXPECT_VALUE(
      dispatch("error:no-such-case"),
      err_value({ActrError::InvalidArgument, "unknown actr-error case: no-such-case", ""}));
}

TEST_P(WorkloadWorld, UnknownRouteIsReported) {
  EXPECT_VALUE(dispatch("nowhere/ü"), err_value({ActrError::UnknownRoute, "nowhere/ü", ""}));
  EXPECT_VALUE(dispatch(""), err_value({ActrError::UnknownRoute, "", ""}));
}

TEST_P(WorkloadWorld, LargePayloadsRoundTrip) {
  std::string block(1024, '\0');
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(i * 7);
  std::string expected;
  // 256 KiB, beyond the guest's initial memory, so it must grow. (Larger sizes mostly measure the
  // host's one-Value-per-byte list<u8>.)
  for (int i = 0; i < 256; ++i) expected += block;
  EXPECT_VALUE(dispatch("repeat:256", block), ok_bytes(expected));
  EXPECT_VALUE(dispatch("echo", expected), ok_bytes(expected));
}

TEST_P(WorkloadWorld, ManyDispatchesDoNotLeakOrCorrupt) {
  for (int i = 0; i < 500; ++i) {
    std::string payload(static_cast<size_t>(i % 37), static_cast<char>('a' + i % 26));
    ASSERT_EQ(describe(dispatch(i % 2 ? "echo" : "error:internal", payload)),
              describe(i % 2 ? ok_bytes(payload) : err_value({ActrError::Internal, payload, ""})))
        << "iteration " << i;
  }
}

TEST_P(WorkloadWorld, ContextGettersReadTheDispatchContext) {
  EXPECT_VALUE(
      dispatch("ctx", "", "rid-✓"),
      ok_bytes("self=" + text(kEchoId) + " caller=" + text(kUnicodeId) + " request-id=rid-✓"));
  EXPECT_EQ(host_.getters,
            (std::vector<std::string>{"get-self-id", "get-caller-id", "get-request-id"}));

  self_ = kEmptyId;
  caller_.reset();
  EXPECT_VALUE(dispatch("ctx", "", ""), ok_bytes("self=0/0/:: caller=none request-id="));
}

TEST_P(WorkloadWorld, CallPassesDestRouteAndPayloadAndReturnsTheReply) {
  std::vector<Dest> dests{{Dest::Shell, {}}, {Dest::Local, {}}};
  for (const auto& id : kSampleIds) dests.push_back({Dest::Actor, id});
  for (const Dest& d : dests) {
    SCOPED_TRACE(dest_text(d));
    host_.calls.clear();
    host_.call_reply = ok_bytes("reply \x01\xfe");
    EXPECT_VALUE(dispatch("call", dest_text(d) + "\nroute.ü\nbody\n\xff"),
                 ok_bytes("reply \x01\xfe"));
    ASSERT_EQ(host_.calls.size(), 1u);
    EXPECT_EQ(host_.calls[0].func, "call");
    EXPECT_EQ(host_.calls[0].dest, d);
    EXPECT_EQ(host_.calls[0].text, "route.ü");
    EXPECT_EQ(host_.calls[0].payload, bytes_of("body\n\xff"));
  }

  host_.call_reply = ok_bytes("");
  EXPECT_VALUE(dispatch("call", "local\n\n"), ok_bytes(""));
  EXPECT_EQ(host_.calls.back().text, "");
  EXPECT_TRUE(host_.calls.back().payload.empty());

  for (const ActrError& e : all_errors()) {
    SCOPED_TRACE(text(e));
    host_.call_reply = err_value(e);
    EXPECT_VALUE(dispatch("call", "shell\nr\np"), err_value(e));
  }

  size_t calls = host_.calls.size();
  EXPECT_VALUE(
      dispatch("call", "nowhere"),
      err_value({ActrError::InvalidArgument, "expected <dest>\\n<route-key>\\n<body>", ""}));
  EXPECT_EQ(host_.calls.size(), calls);
}

TEST_P(WorkloadWorld, TellAndCallRaw) {
  EXPECT_VALUE(dispatch("tell", text(kUnicodeId) + "\nnotify\n"), ok_bytes(""));
  ASSERT_EQ(host_.calls.size(), 1u);
  EXPECT_EQ(host_.calls[0].func, "tell");
  EXPECT_EQ(host_.calls[0].dest, (Dest{Dest::Actor, kUnicodeId}));
  EXPECT_EQ(host_.calls[0].text, "notify");
  for (const ActrError& e : all_errors()) {
    host_.tell_reply = err_value(e);
    EXPECT_VALUE(dispatch("tell", "shell\nr\n"), err_value(e));
  }

  host_.calls.clear();
  for (const auto& id : kSampleIds) {
    host_.call_raw_reply = ok_bytes("raw:" + id.type.name);
    EXPECT_VALUE(dispatch("call-raw", text(id) + "\nraw.route\n" + std::string("\x00\x01", 2)),
                 ok_bytes("raw:" + id.type.name));
    ASSERT_FALSE(host_.calls.empty());
    EXPECT_EQ(host_.calls.back().func, "call-raw");
    EXPECT_EQ(host_.calls.back().id, id);
    EXPECT_EQ(host_.calls.back().text, "raw.route");
    EXPECT_EQ(host_.calls.back().payload, bytes_of(std::string("\x00\x01", 2)));
  }
  host_.call_raw_reply = err_value({ActrError::TimedOut, "", ""});
  EXPECT_VALUE(dispatch("call-raw", text(kEchoId) + "\nr\n"),
               err_value({ActrError::TimedOut, "", ""}));
}

TEST_P(WorkloadWorld, DiscoverPassesTheTypeAndReturnsTheId) {
  for (const auto& id : kSampleIds) {
    host_.discover_reply = Value::ok(to_value(id));
    EXPECT_VALUE(dispatch("discover", "acme:名前:1.2.3"), ok_bytes(text(id)));
    ASSERT_FALSE(host_.calls.empty());
    EXPECT_EQ(host_.calls.back().func, "discover");
    EXPECT_EQ(host_.calls.back().type, (ActrType{"acme", "名前", "1.2.3"}));
  }
  for (const ActrError& e : all_errors()) {
    host_.discover_reply = err_value(e);
    EXPECT_VALUE(dispatch("discover", "::"), err_value(e));
    EXPECT_EQ(host_.calls.back().type, (ActrType{"", "", ""}));
  }
}

std::string stream_payload(const Dest& d, const DataStream& s, PayloadType type) {
  std::string out = dest_text(d) + "\n" + s.stream_id + "\n" + case_name(type) + "\n" +
                    std::to_string(s.sequence) + "\n" +
                    (s.timestamp_ms ? std::to_string(*s.timestamp_ms) : "none") + "\n";
  for (size_t i = 0; i < s.metadata.size(); ++i) {
    out += (i ? ";" : "") + s.metadata[i].key + "=" + s.metadata[i].value;
  }
  out += "\n";
  out.append(s.payload.begin(), s.payload.end());
  return out;
}

TEST_P(WorkloadWorld, StreamRegistersSendsAndUnregisters) {
  const std::vector<DataStream> chunks{
      {"s-1", 0, {}, {}, std::nullopt},
      {"strøm-✓",
       UINT64_MAX,
       bytes_of("\x00\x01\xff"),
       {{"k", "v"}, {"ключ", "значение"}},
       INT64_MIN},
      {"", 7, bytes_of("payload"), {{"", ""}}, 1700000000123},
  };
  for (uint32_t t = 0; t < kPayloadTypeCount; ++t) {
    for (const DataStream& chunk : chunks) {
      auto type = static_cast<PayloadType>(t);
      Dest dest = t % 2 ? Dest{Dest::Actor, kUnicodeId} : Dest{Dest::Local, {}};
      SCOPED_TRACE(std::string(case_name(type)) + " " + text(chunk));
      host_.calls.clear();
      EXPECT_VALUE(dispatch("stream", stream_payload(dest, chunk, type)), ok_bytes(""));
      ASSERT_EQ(host_.calls.size(), 3u);
      EXPECT_EQ(host_.calls[0].func, "register-stream");
      EXPECT_EQ(host_.calls[0].text, chunk.stream_id);
      EXPECT_EQ(host_.calls[1].func, "send-data-stream");
      EXPECT_EQ(host_.calls[1].dest, dest);
      EXPECT_EQ(host_.calls[1].chunk, chunk);
      EXPECT_EQ(host_.calls[1].payload_type, type);
      EXPECT_EQ(host_.calls[2].func, "unregister-stream");
      EXPECT_EQ(host_.calls[2].text, chunk.stream_id);
    }
  }
}

TEST_P(WorkloadWorld, StreamErrorsComeBackAndTheStreamIsReleased) {
  const DataStream chunk{"s", 1, bytes_of("x"), {}, std::nullopt};
  const std::string payload = stream_payload({Dest::Shell, {}}, chunk, PayloadType::MediaRtp);
  const ActrError refused{ActrError::PermissionDenied, "no ✋", ""};

  host_.register_reply = err_value(refused);
  EXPECT_VALUE(dispatch("stream", payload), err_value(refused));
  ASSERT_EQ(host_.calls.size(), 1u);  // nothing sent, nothing to unregister

  host_.calls.clear();
  host_.register_reply = Value::ok();
  host_.send_reply = err_value({ActrError::Unavailable, "peer gone", ""});
  EXPECT_VALUE(dispatch("stream", payload), err_value({ActrError::Unavailable, "peer gone", ""}));
  ASSERT_EQ(host_.calls.size(), 3u);
  EXPECT_EQ(host_.calls[2].func, "unregister-stream");

  host_.calls.clear();
  host_.send_reply = Value::ok();
  host_.unregister_reply = err_value({ActrError::NotFound, "s", ""});
  EXPECT_VALUE(dispatch("stream", payload), err_value({ActrError::NotFound, "s", ""}));
}

TEST_P(WorkloadWorld, LogMessagePassesLevelAndMessage) {
  EXPECT_VALUE(dispatch("log:warn", "careful ⚠"), ok_bytes(""));
  EXPECT_EQ(host_.logs.back(), (std::pair<std::string, std::string>{"warn", "careful ⚠"}));
  EXPECT_VALUE(dispatch("log:", ""), ok_bytes(""));
  EXPECT_EQ(host_.logs.back(), (std::pair<std::string, std::string>{"", ""}));
}

// ---- hooks ----

TEST_P(WorkloadWorld, LifecycleHooksSucceedUnlessArmedToFail) {
  for (const char* hook : {"on-start", "on-ready", "on-stop"}) {
    SCOPED_TRACE(hook);
    EXPECT_VALUE(call_one(hook, {}), Value::ok());
    EXPECT_EQ(host_.last_observation(), hook);

    EXPECT_VALUE(dispatch(std::string("fail-next:") + hook, "refused — ✗"), ok_bytes(""));
    EXPECT_VALUE(call_one(hook, {}), err_value({ActrError::Internal, "refused — ✗", ""}));
    EXPECT_EQ(host_.last_observation(), hook);
    EXPECT_VALUE(call_one(hook, {}), Value::ok());  // armed once only
  }
  EXPECT_VALUE(dispatch("fail-next:on-nothing"),
               err_value({ActrError::InvalidArgument, "not a fallible hook: on-nothing", ""}));
}

TEST_P(WorkloadWorld, OnErrorReportsTheEventForEveryErrorAndCategory) {
  const std::vector<Timestamp> times{{0, 0}, {1700000000, 999999999}, {UINT64_MAX, UINT32_MAX}};
  size_t n = 0;
  for (const ActrError& e : all_errors()) {
    for (uint32_t c = 0; c < kErrorCategoryCount; ++c) {
      ErrorEvent event{e, static_cast<ErrorCategory>(c), "ctx ✓ " + std::to_string(n),
                       times[n % times.size()]};
      ++n;
      SCOPED_TRACE(text(e));
      EXPECT_VALUE(call_one("on-error", {to_value(event)}), Value::ok());
      EXPECT_EQ(host_.last_observation(),
                "on-error source=" + text(e) + " category=" + case_name(event.category) +
                    " context=" + event.context + " timestamp=" + text(event.timestamp));
    }
  }
  EXPECT_VALUE(dispatch("fail-next:on-error", "no"), ok_bytes(""));
  ErrorEvent event{{ActrError::TimedOut, "", ""}, ErrorCategory::HandlerPanic, "", {1, 2}};
  EXPECT_VALUE(call_one("on-error", {to_value(event)}), err_value({ActrError::Internal, "no", ""}));
  EXPECT_EQ(host_.last_observation(),
            "on-error source=timed-out category=handler-panic context= "
            "timestamp=1s+2ns");
}

TEST_P(WorkloadWorld, SignalingHooksReport) {
  for (const char* hook :
       {"on-signaling-connecting", "on-signaling-connected", "on-signaling-disconnected"}) {
    call_void(hook, {});
    EXPECT_EQ(host_.last_observation(), hook);
  }
}

TEST_P(WorkloadWorld, TransportHooksReportThePeerEvent) {
  const char* hooks[] = {"on-websocket-connecting",   "on-websocket-connected",
                         "on-websocket-disconnected", "on-webrtc-connecting",
                         "on-webrtc-connected",       "on-webrtc-disconnected"};
  for (const char* hook : hooks) {
    for (const auto& id : kSampleIds) {
      for (std::optional<bool> relayed :
           {std::optional<bool>(), std::optional<bool>(true), std::optional<bool>(false)}) {
        call_void(hook, {to_value(PeerEvent{id, relayed})});
        EXPECT_EQ(host_.last_observation(), std::string(hook) + " peer=" + text(id) + " relayed=" +
                                                (relayed ? (*relayed ? "true" : "false") : "none"));
      }
    }
  }
  call_void("on-websocket-connected", {to_value(PeerEvent{kEchoId, std::nullopt})});
  EXPECT_EQ(host_.last_observation(),
            "on-websocket-connected peer=1/42/acme:echo:1.0.0 relayed=none");
}

TEST_P(WorkloadWorld, CredentialAndMailboxHooksReport) {
  for (const char* hook : {"on-credential-renewed", "on-credential-expiring"}) {
    for (Timestamp t :
         {Timestamp{0, 0}, Timestamp{1700000000, 5}, Timestamp{UINT64_MAX, UINT32_MAX}}) {
      call_void(hook, {credential_event_value(t)});
      EXPECT_EQ(host_.last_observation(), std::string(hook) + " new-expiry=" + text(t));
    }
  }
  for (BackpressureEvent e : {BackpressureEvent{0, 0}, BackpressureEvent{1024, 1000},
                              BackpressureEvent{UINT64_MAX, UINT64_MAX - 1}}) {
    call_void("on-mailbox-backpressure", {to_value(e)});
    EXPECT_EQ(host_.last_observation(),
              "on-mailbox-backpressure queue-len=" + std::to_string(e.queue_len) +
                  " threshold=" + std::to_string(e.threshold));
  }
}

TEST_P(WorkloadWorld, OnDataStreamReportsChunkAndSender) {
  const std::vector<DataStream> chunks{
      {"", 0, {}, {}, std::nullopt},
      {"流-1",
       UINT64_MAX,
       bytes_of(std::string("\x00\xff\x10", 3)),
       {{"a", "1"}, {"ü", "✓"}, {"", ""}},
       INT64_MIN},
      {"s", 3, bytes_of("abc"), {}, INT64_MAX},
  };
  for (const DataStream& chunk : chunks) {
    for (const auto& sender : kSampleIds) {
      EXPECT_VALUE(call_one("on-data-stream", {to_value(chunk), to_value(sender)}), Value::ok());
      EXPECT_EQ(host_.last_observation(),
                "on-data-stream " + text(chunk) + " sender=" + text(sender));
    }
  }
  EXPECT_VALUE(dispatch("fail-next:on-data-stream", "drop"), ok_bytes(""));
  EXPECT_VALUE(call_one("on-data-stream", {to_value(chunks[1]), to_value(kEchoId)}),
               err_value({ActrError::Internal, "drop", ""}));
}

// ---- failures ----

void expect_poisoned(component::Instance& instance) {
  EXPECT_TRUE(instance.poisoned());
  auto again = instance.call(fn_name("on-signaling-connecting"), {});
  ASSERT_FALSE(again);
  EXPECT_EQ(wasm::trap_kind(again.error()), TrapKind::Poisoned) << again.error().message;
}

TEST_P(WorkloadWorld, GuestTrapFailsTheCallAndPoisonsTheInstance) {
  auto r = dispatch_raw({"r", "trap", {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(wasm::trap_kind(r.error()), TrapKind::Unreachable) << r.error().message;
  expect_poisoned(*instance_);
}

TEST_P(WorkloadWorld, SpinningGuestHitsTheDeadline) {
  wasm::StoreLimits limits;
  limits.deadline = std::chrono::milliseconds(200);
  ASSERT_TRUE(instantiate(limits));
  auto started = std::chrono::steady_clock::now();
  auto r = dispatch_raw({"r", "spin", {}});
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(r);
  EXPECT_EQ(wasm::trap_kind(r.error()), TrapKind::DeadlineExceeded) << r.error().message;
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  expect_poisoned(*instance_);
}

TEST_P(WorkloadWorld, ContextGetterOutsideADispatchTraps) {
  // The guest reads its context, but the host has no dispatch running (no context installed).
  auto r = call("dispatch", {to_value(RpcEnvelope{"r", "ctx", {}})});
  ASSERT_FALSE(r);
  EXPECT_EQ(wasm::trap_kind(r.error()), TrapKind::Host) << r.error().message;
  EXPECT_NE(r.error().message.find("get-self-id called outside a dispatch"), std::string::npos)
      << r.error().message;
  expect_poisoned(*instance_);
}

TEST_P(WorkloadWorld, HostFunctionErrorTrapsTheGuest) {
  host_.log_trap = "log sink is closed";
  auto r = call("on-ready", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(wasm::trap_kind(r.error()), TrapKind::Host) << r.error().message;
  EXPECT_NE(r.error().message.find("log sink is closed"), std::string::npos) << r.error().message;
  expect_poisoned(*instance_);
}

TEST_P(WorkloadWorld, InvalidUtf8FromTheGuestTraps) {
  // The guest forwards the route-key line as a string: lifting it must reject invalid UTF-8.
  auto r = dispatch_raw({"r", "call", bytes_of("shell\nbad\xff\xfe\nbody")});
  ASSERT_FALSE(r);
  EXPECT_TRUE(host_.calls.empty());
  EXPECT_TRUE(instance_->poisoned());
}

std::string engine_name(const ::testing::TestParamInfo<EngineKind>& info) {
  return info.param == EngineKind::Aot ? "aot" : "interp";
}

INSTANTIATE_TEST_SUITE_P(Engines, WorkloadWorld,
                         ::testing::Values(EngineKind::Interp, EngineKind::Aot), engine_name);

}  // namespace
}  // namespace actr::test
