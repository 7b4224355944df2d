// The C++ guest SDK (sdk/cpp) end to end: the example workloads examples/echo and
// examples/counter, built by actr_add_workload, loaded through component::Linker on both engines
// against host functions that record what the guest asks of actr:workload/host.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "component/wit/wit_printer.hpp"
#include "support/actr_types.hpp"
#include "support/missing.hpp"

namespace actr::test {
namespace {

using component::Value;
using wasm::EngineKind;
using Args = std::span<const Value>;
using Results = std::vector<Value>;

std::filesystem::path guest_path(const std::string& name) {
  return std::filesystem::path(ACTR_BINARY_DIR) / "guests" / (name + ".wasm");
}

std::string fn_name(std::string_view f) {
  return std::string(kWorkloadInterface) + "#" + std::string(f);
}

struct LogLine {
  std::string level, message;
  bool operator==(const LogLine&) const = default;
};

void PrintTo(const LogLine& l, std::ostream* os) { *os << l.level << ": " << l.message; }

// Records the guest's host calls; the context getters answer what the runtime would install.
struct RecordingHost {
  std::vector<LogLine> logs;
  std::vector<std::string> calls;  // the other host functions called, with their arguments
  std::map<std::string, Value> replies{
      {"call", Value::ok(bytes_value("from call"))},
      {"tell", Value::ok()},
      {"call-raw", Value::ok(bytes_value("from call-raw"))},
      {"discover", Value::ok(to_value(ActrId{4, 5, {"acme", "found", "2.0.0"}}))},
      {"register-stream", Value::ok()},
      {"unregister-stream", Value::ok()},
      {"send-data-stream", Value::ok()},
  };
  ActrId self{3, 77, {"acme", "counter", "1.2.3"}};
  std::optional<ActrId> caller;
  std::string request_id = "req-0";
};

void define_host(component::Linker& linker, RecordingHost& host) {
  for (const auto& f : workload_host_funcs()) {
    component::HostFunction fn;
    if (f.name == "log-message") {
      fn = [&host](Args args, Results&) -> Result<void> {
        if (args.size() != 2) return make_error("log-message: expected 2 arguments");
        ACTR_TRY(auto level, string_from(args[0]));
        ACTR_TRY(auto message, string_from(args[1]));
        host.logs.push_back({std::move(level), std::move(message)});
        return {};
      };
    } else if (f.name == "get-self-id") {
      fn = [&host](Args, Results& results) -> Result<void> {
        results.push_back(to_value(host.self));
        return {};
      };
    } else if (f.name == "get-caller-id") {
      fn = [&host](Args, Results& results) -> Result<void> {
        results.push_back(host.caller ? Value::some(to_value(*host.caller)) : Value::none());
        return {};
      };
    } else if (f.name == "get-request-id") {
      fn = [&host](Args, Results& results) -> Result<void> {
        results.push_back(Value::string(host.request_id));
        return {};
      };
    } else {
      // call, tell, call-raw, discover and the stream functions: recorded with their arguments
      // and answered from `replies`.
      std::string name = f.name;
      fn = [&host, name](Args args, Results& results) -> Result<void> {
        std::string text = name + "(";
        for (size_t i = 0; i < args.size(); ++i) text += (i ? ", " : "") + describe(args[i]);
        host.calls.push_back(text + ")");
        results.push_back(host.replies.at(name));
        return {};
      };
    }
    linker.func(kWorkloadHostInterface, f.name, f.type, std::move(fn));
  }
}

std::string text_of(const DataStream& d) { return describe(to_value(d)); }

// Engines and compiled components, shared by the tests of the process.
struct Loaded {
  std::unique_ptr<wasm::Engine> engine;
  std::map<std::string, std::shared_ptr<const component::Component>> components;
};

Loaded& loaded(EngineKind kind) {
  static std::map<EngineKind, Loaded> cache;
  return cache[kind];
}

class SdkWorkload : public ::testing::TestWithParam<EngineKind> {
 protected:
  // Loads and instantiates build/guests/<name>.wasm; skips when it was not built.
  void load(const std::string& name) {
    auto path = guest_path(name);
    if (!std::filesystem::exists(path)) {
      ACTR_SKIP_MISSING(
          path << " was not built (needs clang-19, wasi-libc, wasm32 libc++ and jco)");
    }
    Loaded& l = loaded(GetParam());
    if (!l.engine) {
      auto engine = wasm::make_engine(GetParam());
      ASSERT_TRUE(engine) << engine.error().message;
      l.engine = std::move(*engine);
    }
    auto& component = l.components[name];
    if (!component) {
      auto c = component::Component::load_file(*l.engine, path);
      ASSERT_TRUE(c) << "loading " << path << ": " << c.error().message;
      component = *c;
    }
    linker_ = std::make_unique<component::Linker>(*l.engine);
    define_host(*linker_, host_);
    auto instance = linker_->instantiate(*component);
    ASSERT_TRUE(instance) << instance.error().message;
    instance_ = std::move(*instance);
  }

  // Calls an export expected to succeed; answers its results.
  std::vector<Value> call(std::string_view export_name, std::vector<Value> args = {}) {
    auto r = instance_->call(fn_name(export_name), args);
    if (!r) {
      ADD_FAILURE() << export_name << " failed: " << r.error().message;
      return {};
    }
    return std::move(*r);
  }

  Value dispatch(std::string route_key, const std::vector<uint8_t>& payload,
                 std::string request_id = "req-1") {
    host_.request_id = request_id;
    auto r = call("dispatch", {to_value(RpcEnvelope{request_id, std::move(route_key), payload})});
    if (r.size() != 1) {
      ADD_FAILURE() << "dispatch returned " << r.size() << " values";
      return Value::ok(bytes_value(""));
    }
    return r[0];
  }

  // The ok payload of a dispatch reply as text; a failure when the reply is an error.
  std::string ok_text(const Value& reply) {
    if (!reply.is_ok) {
      auto e = actr_error_from(reply.payload());
      ADD_FAILURE() << "dispatch answered an error: " << (e ? case_name(e->kind) : "?") << " "
                    << (e ? e->text : "");
      return {};
    }
    auto bytes = bytes_from(reply.payload());
    EXPECT_TRUE(bytes) << bytes.error().message;
    return bytes ? std::string(bytes->begin(), bytes->end()) : std::string();
  }

  std::optional<ActrError> err_of(const Value& reply) {
    if (reply.is_ok) return std::nullopt;
    auto e = actr_error_from(reply.payload());
    EXPECT_TRUE(e) << e.error().message;
    return e ? std::optional<ActrError>(*e) : std::nullopt;
  }

  RecordingHost host_;
  std::unique_ptr<component::Linker> linker_;
  std::unique_ptr<component::Instance> instance_;
};

// ---- echo ----

TEST_P(SdkWorkload, EchoAnswersThePayload) {
  load("echo");
  if (IsSkipped() || HasFatalFailure()) return;
  EXPECT_EQ(ok_text(dispatch("echo", bytes_of("héllo ✓"))), "héllo ✓");
  EXPECT_EQ(ok_text(dispatch("echo", {})), "");
  std::vector<uint8_t> big(100000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  auto reply = dispatch("echo", big);
  ASSERT_TRUE(reply.is_ok);
  EXPECT_EQ(bytes_from(reply.payload()).value(), big);
}

TEST_P(SdkWorkload, EchoReverses) {
  load("echo");
  if (IsSkipped() || HasFatalFailure()) return;
  EXPECT_EQ(ok_text(dispatch("reverse", bytes_of("abc"))), "cba");
  EXPECT_EQ(ok_text(dispatch("reverse", bytes_of("x"))), "x");
  EXPECT_EQ(ok_text(dispatch("reverse", {})), "");
}

TEST_P(SdkWorkload, UnknownRouteIsAnError) {
  load("echo");
  if (IsSkipped() || HasFatalFailure()) return;
  auto e = err_of(dispatch("nope", bytes_of("x")));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, ActrError::UnknownRoute);
  EXPECT_EQ(e->text, "nope");
  // The instance stays usable.
  EXPECT_EQ(ok_text(dispatch("echo", bytes_of("still here"))), "still here");
}

TEST_P(SdkWorkload, EchoLogsEachCallAtInfo) {
  load("echo");
  if (IsSkipped() || HasFatalFailure()) return;
  dispatch("echo", bytes_of("a"), "req-7");
  dispatch("nope", {}, "req-8");
  std::vector<LogLine> expected{{"info", "echo request req-7"}, {"info", "nope request req-8"}};
  EXPECT_EQ(host_.logs, expected);
  EXPECT_TRUE(host_.calls.empty());
}

TEST_P(SdkWorkload, DefaultHooksDoNothingAndLifecycleSucceeds) {
  load("echo");
  if (IsSkipped() || HasFatalFailure()) return;
  for (const char* hook :
       {"on-signaling-connecting", "on-signaling-connected", "on-signaling-disconnected"}) {
    EXPECT_TRUE(call(hook).empty()) << hook;
  }
  PeerEvent peer{{1, 2, {"m", "n", "v"}}, true};
  for (const char* hook : {"on-websocket-connecting", "on-webrtc-connected"}) {
    EXPECT_TRUE(call(hook, {to_value(peer)}).empty()) << hook;
  }
  EXPECT_TRUE(call("on-credential-renewed", {credential_event_value({5, 6})}).empty());
  EXPECT_TRUE(call("on-mailbox-backpressure", {to_value(BackpressureEvent{9, 4})}).empty());
  for (const char* hook : {"on-start", "on-ready", "on-stop"}) {
    auto r = call(hook);
    ASSERT_EQ(r.size(), 1u) << hook;
    EXPECT_TRUE(r[0].is_ok) << hook;
  }
  ErrorEvent event{{ActrError::TimedOut, "", ""}, ErrorCategory::HandlerError, "ctx", {1, 2}};
  auto r = call("on-error", {to_value(event)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].is_ok);
  DataStream chunk{"s", 1, bytes_of("p"), {{"k", "v"}}, std::nullopt};
  r = call("on-data-stream", {to_value(chunk), to_value(ActrId{1, 2, {"a", "b", "c"}})});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].is_ok);
  EXPECT_TRUE(host_.logs.empty());
  EXPECT_TRUE(host_.calls.empty());
}

// The most private memory any mapping of a memory image has in this process, in KiB, and how many
// such mappings there are (instances made from an image map it copy-on-write).
std::pair<size_t, size_t> image_mappings_private_kib() {
  std::ifstream smaps("/proc/self/smaps");
  size_t most = 0, mappings = 0, current = 0;
  bool in_image = false;
  for (std::string line; std::getline(smaps, line);) {
    bool header = !line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
                  !std::isupper(static_cast<unsigned char>(line[0]));
    if (header) {
      if (in_image) most = std::max(most, current);
      in_image = line.find("/memfd:actr-memory-image") != std::string::npos;
      mappings += in_image;
      current = 0;
    } else if (in_image &&
               (line.rfind("Private_Clean:", 0) == 0 || line.rfind("Private_Dirty:", 0) == 0)) {
      current += std::stoul(line.substr(line.find(':') + 1));
    }
  }
  if (in_image) most = std::max(most, current);
  return {most, mappings};
}

// An idle actor costs what its instance writes. What the node runs at start (on-start, on-ready)
// leaves the SDK's echo with two private pages: the shadow stack's top and the page of its data
// and statics. The workload lives in static storage, so malloc is not even set up (its bookkeeping
// would write a page at the heap's far end); the image's other pages stay shared.
TEST_P(SdkWorkload, AnIdleEchoWritesTwoPagesOfItsMemory) {
  if (GetParam() != EngineKind::Aot) GTEST_SKIP() << "memory images are the aot engine's";
  load("echo");  // the first instance of the module: its memory becomes the image
  if (IsSkipped() || HasFatalFailure()) return;
  load("echo");  // maps the image
  if (HasFatalFailure()) return;
  for (const char* hook : {"on-start", "on-ready"}) {
    auto r = call(hook);
    ASSERT_EQ(r.size(), 1u) << hook;
    EXPECT_TRUE(r[0].is_ok) << hook;
  }
  auto [most_kib, mappings] = image_mappings_private_kib();
  ASSERT_GE(mappings, 1u) << "the second instance did not map echo's memory image";
  EXPECT_LE(most_kib, 8u);
  // The first dispatch sets up malloc (the routes table): the instance works as before.
  EXPECT_EQ(ok_text(dispatch("echo", bytes_of("after idling"))), "after idling");
}

TEST_P(SdkWorkload, EchoWitIsTheSeedWorld) {
  load("echo");
  if (IsSkipped() || HasFatalFailure()) return;
  auto& component = loaded(GetParam()).components["echo"];
  std::string wit = component::wit::print_wit(component->ast());
  EXPECT_NE(wit.find("import actr:workload/types@0.1.0;"), std::string::npos) << wit;
  EXPECT_NE(wit.find("import actr:workload/host@0.1.0;"), std::string::npos) << wit;
  EXPECT_NE(wit.find("export actr:workload/workload@0.1.0;"), std::string::npos) << wit;
  // No WASI: the SDK keeps libc's abort paths inside the guest.
  EXPECT_EQ(wit.find("wasi:"), std::string::npos) << wit;
  std::vector<std::string> expected;
  for (const auto& f : workload_export_funcs()) expected.push_back(fn_name(f.name));
  auto names = instance_->func_names();
  std::sort(names.begin(), names.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);
}

// ---- counter ----

std::vector<uint8_t> le_u64(uint64_t v) {
  std::vector<uint8_t> out(8);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
  return out;
}

TEST_P(SdkWorkload, CounterKeepsStateAcrossDispatches) {
  load("counter");
  if (IsSkipped() || HasFatalFailure()) return;
  EXPECT_EQ(ok_text(dispatch("get", {})), "0");
  EXPECT_EQ(ok_text(dispatch("add", bytes_of("5"))), "5");
  EXPECT_EQ(ok_text(dispatch("add", le_u64(1000000000000ull))), "1000000000005");
  EXPECT_EQ(ok_text(dispatch("add", bytes_of("0"))), "1000000000005");
  EXPECT_EQ(ok_text(dispatch("get", {})), "1000000000005");
  EXPECT_EQ(host_.logs.back(), (LogLine{"debug", "total 1000000000005"}));
}

TEST_P(SdkWorkload, CounterRejectsBadAmounts) {
  load("counter");
  if (IsSkipped() || HasFatalFailure()) return;
  for (auto payload : {bytes_of(""), bytes_of("12a"), bytes_of("-1"), bytes_of("abcdefghi"),
                       bytes_of("99999999999999999999")}) {
    auto e = err_of(dispatch("add", payload));
    ASSERT_TRUE(e) << std::string(payload.begin(), payload.end());
    EXPECT_EQ(e->kind, ActrError::InvalidArgument);
  }
  EXPECT_EQ(ok_text(dispatch("add", le_u64(UINT64_MAX))), "18446744073709551615");
  auto e = err_of(dispatch("add", bytes_of("1")));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, ActrError::InvalidArgument);
  EXPECT_EQ(ok_text(dispatch("get", {})), "18446744073709551615");
  e = err_of(dispatch("nope", {}));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, ActrError::UnknownRoute);
  EXPECT_EQ(e->text, "nope");
}

TEST_P(SdkWorkload, CounterStateIsPerInstance) {
  load("counter");
  if (IsSkipped() || HasFatalFailure()) return;
  EXPECT_EQ(ok_text(dispatch("add", bytes_of("3"))), "3");
  load("counter");
  if (HasFatalFailure()) return;
  EXPECT_EQ(ok_text(dispatch("get", {})), "0");
}

TEST_P(SdkWorkload, CounterOnStartLogsItsSelfId) {
  load("counter");
  if (IsSkipped() || HasFatalFailure()) return;
  host_.self = ActrId{9, 123456789012ull, {"acme", "counter", "2.0.0"}};
  auto r = call("on-start");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].is_ok);
  ASSERT_EQ(host_.logs.size(), 1u);
  EXPECT_EQ(host_.logs[0],
            (LogLine{"info", "counter started as 9/123456789012/acme:counter:2.0.0"}));
}

// ---- the Context, through tests/sdk/guests/probe ----

TEST_P(SdkWorkload, ContextCallsReachTheHost) {
  load("sdk_probe");
  if (IsSkipped() || HasFatalFailure()) return;
  Dest local{Dest::Local, {}};
  Dest shell{Dest::Shell, {}};
  EXPECT_EQ(ok_text(dispatch("call", bytes_of("p1"))), "from call");
  EXPECT_EQ(ok_text(dispatch("call-raw", bytes_of("p2"))), "from call-raw");
  EXPECT_EQ(ok_text(dispatch("tell", bytes_of("p3"))), "told");
  EXPECT_EQ(ok_text(dispatch("discover", bytes_of("svc"))), "4/5/acme:found:2.0.0");
  std::vector<std::string> expected{
      "call(" + describe(to_value(local)) + ", " + describe(Value::string("inner")) + ", " +
          describe(bytes_value("p1")) + ")",
      "call-raw(" + describe(to_value(ActrId{7, 42, {"acme", "svc", "1.0.0"}})) + ", " +
          describe(Value::string("raw")) + ", " + describe(bytes_value("p2")) + ")",
      "tell(" + describe(to_value(shell)) + ", " + describe(Value::string("told")) + ", " +
          describe(bytes_value("p3")) + ")",
      "discover(" + describe(to_value(ActrType{"acme", "svc", "2.0.0"})) + ")",
  };
  EXPECT_EQ(host_.calls, expected);
}

TEST_P(SdkWorkload, ContextPassesHostErrorsBack) {
  load("sdk_probe");
  if (IsSkipped() || HasFatalFailure()) return;
  ActrError refused{ActrError::PermissionDenied, "no", ""};
  host_.replies["call"] = Value::err(to_value(refused));
  host_.replies["tell"] = Value::err(to_value(ActrError{ActrError::TimedOut, "", ""}));
  host_.replies["discover"] = Value::err(to_value(ActrError{ActrError::NotFound, "svc", ""}));
  host_.replies["unregister-stream"] =
      Value::err(to_value(ActrError{ActrError::DependencyNotFound, "svc", "gone"}));
  EXPECT_EQ(err_of(dispatch("call", {})), refused);
  EXPECT_EQ(err_of(dispatch("tell", {})), (ActrError{ActrError::TimedOut, "", ""}));
  EXPECT_EQ(err_of(dispatch("discover", bytes_of("svc"))),
            (ActrError{ActrError::NotFound, "svc", ""}));
  EXPECT_EQ(err_of(dispatch("streams", {})),
            (ActrError{ActrError::DependencyNotFound, "svc", "gone"}));
}

TEST_P(SdkWorkload, ContextStreams) {
  load("sdk_probe");
  if (IsSkipped() || HasFatalFailure()) return;
  EXPECT_EQ(ok_text(dispatch("streams", bytes_of("chunk"))), "streams");
  Dest target{Dest::Actor, {1, 2, {"m", "n", "v"}}};
  DataStream chunk{"s-1", 9, bytes_of("chunk"), {{"k", "v"}}, -5};
  std::vector<std::string> expected{
      "register-stream(" + describe(Value::string("s-1")) + ")",
      "send-data-stream(" + describe(to_value(target)) + ", " + text_of(chunk) + ", " +
          describe(to_value(PayloadType::StreamLatencyFirst)) + ")",
      "unregister-stream(" + describe(Value::string("s-1")) + ")",
  };
  EXPECT_EQ(host_.calls, expected);
}

TEST_P(SdkWorkload, ContextIdentityOfTheDispatch) {
  load("sdk_probe");
  if (IsSkipped() || HasFatalFailure()) return;
  host_.self = ActrId{1, 2, {"acme", "probe", "0.1.0"}};
  EXPECT_EQ(ok_text(dispatch("context", {}, "req-42")), "1/2/acme:probe:0.1.0 none req-42");
  host_.caller = ActrId{UINT32_MAX, UINT64_MAX, {"ü", "名前", "v✓"}};
  EXPECT_EQ(ok_text(dispatch("context", {}, "")),
            "1/2/acme:probe:0.1.0 4294967295/18446744073709551615/ü:名前:v✓ ");
}

TEST_P(SdkWorkload, ContextLogLevels) {
  load("sdk_probe");
  if (IsSkipped() || HasFatalFailure()) return;
  EXPECT_EQ(ok_text(dispatch("log", bytes_of("msg ✓"))), "");
  std::vector<LogLine> expected{{"trace", "msg ✓"}, {"debug", "msg ✓"}, {"info", "msg ✓"},
                                {"warn", "msg ✓"},  {"error", "msg ✓"}, {"info", "levels done"}};
  EXPECT_EQ(host_.logs, expected);
}

TEST_P(SdkWorkload, OverriddenHooksAnswer) {
  load("sdk_probe");
  if (IsSkipped() || HasFatalFailure()) return;
  auto r = call("on-stop");
  ASSERT_EQ(r.size(), 1u);
  ASSERT_FALSE(r[0].is_ok);
  EXPECT_EQ(actr_error_from(r[0].payload()).value(),
            (ActrError{ActrError::Unavailable, "stopping", ""}));
  r = call("on-start");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].is_ok);
  DataStream chunk{"s-9", 1, {}, {}, std::nullopt};
  r = call("on-data-stream", {to_value(chunk), to_value(ActrId{1, 2, {"a", "b", "c"}})});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].is_ok);
  EXPECT_EQ(host_.logs, (std::vector<LogLine>{{"info", "s-9 from 1/2/a:b:c"}}));
  EXPECT_EQ(err_of(dispatch("nope", {}))->kind, ActrError::UnknownRoute);
}

TEST_P(SdkWorkload, AbortTrapsTheCall) {
  for (const char* route : {"abort", "at"}) {
    SCOPED_TRACE(route);
    load("sdk_probe");
    if (IsSkipped() || HasFatalFailure()) return;
    std::vector<Value> args{to_value(RpcEnvelope{"r", route, {}})};
    auto r = instance_->call(fn_name("dispatch"), args);
    ASSERT_FALSE(r) << "the call did not trap";
    EXPECT_NE(r.error().message.find("unreachable"), std::string::npos) << r.error().message;
    EXPECT_TRUE(instance_->poisoned());
    std::vector<Value> log_args{to_value(RpcEnvelope{"r", "log", {}})};
    EXPECT_FALSE(instance_->call(fn_name("dispatch"), log_args));
    EXPECT_TRUE(host_.logs.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, SdkWorkload,
                         ::testing::Values(EngineKind::Aot, EngineKind::Interp),
                         [](const auto& info) {
                           return std::string(info.param == EngineKind::Aot ? "aot" : "interp");
                         });

}  // namespace
}  // namespace actr::test
