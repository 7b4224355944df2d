// Round trips through generated bindings on both engines: the host calls the echo guest
// (tests/witgen/guests/echo, built from `actr-witgen --guest` bindings) through the proxies of
// `actr-witgen --host`, and serves the guest's actr:workload/host imports through the generated
// Host interface. Every value must come back unchanged.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "echo_guest_host.hpp"
#include "support/actr_types.hpp"
#include "support/missing.hpp"

namespace actr::witgen {
namespace {

namespace types = ::actr::workload::types;
namespace kinds = ::actr::echo::kinds;
using EchoProxy = ::actr::echo::exports::echo::Proxy;
using WorkloadProxy = ::actr::echo::exports::workload::Proxy;
using ::actr::wit::Result;
using Bytes = std::vector<uint8_t>;
using WitError = Result<void, types::ActrError>;

std::filesystem::path echo_path() {
  return std::filesystem::path(ACTR_BINARY_DIR) / "guests" / "witgen_echo.wasm";
}

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }
std::string text_of(const Bytes& b) { return std::string(b.begin(), b.end()); }

types::ActrId sample_id() { return {{3}, 1234567890123ull, {"acme", "échø-svc", "1.2.3"}}; }

// Records every import call and answers with fixed values.
class RecordingHost : public ::actr::workload::host::Host {
 public:
  std::vector<std::string> calls;

  actr::Result<Result<Bytes, types::ActrError>> call(const types::Dest& target,
                                                     const std::string& route_key,
                                                     const Bytes& payload) override {
    calls.push_back("call " + std::to_string(static_cast<int>(target.tag())) + " " + route_key);
    Bytes reply = bytes_of("reply:");
    reply.insert(reply.end(), payload.begin(), payload.end());
    return Result<Bytes, types::ActrError>::Ok(reply);
  }
  actr::Result<WitError> tell(const types::Dest& target, const std::string& route_key,
                              const Bytes& payload) override {
    calls.push_back("tell " + std::to_string(static_cast<int>(target.tag())) + " " + route_key +
                    " " + text_of(payload));
    return WitError::Ok();
  }
  actr::Result<Result<Bytes, types::ActrError>> call_raw(const types::ActrId& target,
                                                         const std::string& route_key,
                                                         const Bytes&) override {
    calls.push_back("call-raw " + target.type.manufacturer + " " + route_key);
    return Result<Bytes, types::ActrError>::Err(types::ActrError::permission_denied("no ✗"));
  }
  actr::Result<Result<types::ActrId, types::ActrError>> discover(
      const types::ActrType& t) override {
    calls.push_back("discover " + t.manufacturer + ":" + t.name + ":" + t.version);
    types::ActrId id = sample_id();
    id.type = t;
    return Result<types::ActrId, types::ActrError>::Ok(id);
  }
  actr::Result<WitError> register_stream(const std::string& id) override {
    calls.push_back("register " + id);
    return WitError::Ok();
  }
  actr::Result<WitError> unregister_stream(const std::string& id) override {
    calls.push_back("unregister " + id);
    return WitError::Err(types::ActrError::not_found(id));
  }
  actr::Result<WitError> send_data_stream(const types::Dest& target, const types::DataStream& chunk,
                                          const types::PayloadType& payload_type) override {
    last_chunk = chunk;
    last_target = target;
    calls.push_back("send " + chunk.stream_id + " " +
                    std::to_string(static_cast<int>(payload_type.tag())));
    return WitError::Ok();
  }
  actr::Result<void> log_message(const std::string& level, const std::string& message) override {
    calls.push_back("log " + level + " " + message);
    return {};
  }
  actr::Result<types::ActrId> get_self_id() override { return sample_id(); }
  actr::Result<std::optional<types::ActrId>> get_caller_id() override { return caller; }
  actr::Result<std::string> get_request_id() override { return std::string("req-✓"); }

  std::optional<types::ActrId> caller;
  types::DataStream last_chunk;
  types::Dest last_target;
};

struct Guest {
  std::unique_ptr<wasm::Engine> engine;
  std::shared_ptr<const component::Component> component;
};

class EchoRoundTrip : public ::testing::TestWithParam<wasm::EngineKind> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(echo_path())) {
      ACTR_SKIP_MISSING(echo_path() << " is not built (needs clang-19, wasi-libc and jco)");
    }
    auto engine = wasm::make_engine(GetParam());
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    guest_.engine = std::move(*engine);
    auto component = component::Component::load_file(*guest_.engine, echo_path());
    ASSERT_TRUE(component.ok()) << component.error().message;
    guest_.component = *component;
    linker_ = std::make_unique<component::Linker>(*guest_.engine);
    host_ = std::make_shared<RecordingHost>();
    ::actr::workload::host::add_to_linker(*linker_, host_);
    auto instance = linker_->instantiate(*guest_.component);
    ASSERT_TRUE(instance.ok()) << instance.error().message;
    instance_ = std::move(*instance);
    auto echo = EchoProxy::bind(*instance_);
    ASSERT_TRUE(echo.ok()) << echo.error().message;
    echo_ = std::make_unique<EchoProxy>(std::move(*echo));
    auto workload = WorkloadProxy::bind(*instance_);
    ASSERT_TRUE(workload.ok()) << workload.error().message;
    workload_ = std::make_unique<WorkloadProxy>(std::move(*workload));
  }

  template <class T, class F>
  void expect_echo(F call, const T& value) {
    auto back = (echo_.get()->*call)(value);
    ASSERT_TRUE(back.ok()) << back.error().message;
    // compared as dynamic values too, for a readable difference
    using ::actr::wit::host::Conv;
    EXPECT_EQ(test::describe(Conv<T>::to(*back)), test::describe(Conv<T>::to(value)));
    EXPECT_TRUE(*back == value);
  }

  // Another instance of the echo guest, under `limits`, and its proxy (null, with the failure
  // reported, when either cannot be made).
  struct Echo {
    std::unique_ptr<component::Instance> instance;
    std::unique_ptr<EchoProxy> echo;
  };
  Echo another_echo(const wasm::StoreLimits& limits = {}) {
    auto instance = linker_->instantiate(*guest_.component, limits);
    if (!instance.ok()) {
      ADD_FAILURE() << instance.error().message;
      return {};
    }
    auto echo = EchoProxy::bind(**instance);
    if (!echo.ok()) {
      ADD_FAILURE() << echo.error().message;
      return {};
    }
    return {std::move(*instance), std::make_unique<EchoProxy>(std::move(*echo))};
  }

  Guest guest_;
  std::unique_ptr<component::Linker> linker_;
  std::shared_ptr<RecordingHost> host_;
  std::unique_ptr<component::Instance> instance_;
  std::unique_ptr<EchoProxy> echo_;
  std::unique_ptr<WorkloadProxy> workload_;
};

TEST_P(EchoRoundTrip, EverySeedTypeComesBackUnchanged) {
  expect_echo(&EchoProxy::echo_realm, types::Realm{0xFFFFFFFFu});
  expect_echo(&EchoProxy::echo_actr_type, types::ActrType{"", "名前", "0.1.0-ß"});
  expect_echo(&EchoProxy::echo_actr_id, sample_id());
  expect_echo(&EchoProxy::echo_dest, types::Dest::shell());
  expect_echo(&EchoProxy::echo_dest, types::Dest::local());
  expect_echo(&EchoProxy::echo_dest, types::Dest::actor(sample_id()));
  expect_echo(&EchoProxy::echo_rpc_envelope, types::RpcEnvelope{"r-1", "route/ü", {}});
  expect_echo(&EchoProxy::echo_rpc_envelope, types::RpcEnvelope{"", "", {0, 1, 2, 255}});
  expect_echo(&EchoProxy::echo_metadata_entry, types::MetadataEntry{"ключ", "значение"});
  expect_echo(&EchoProxy::echo_data_stream, types::DataStream{"s", 7, {}, {}, std::nullopt});
  expect_echo(&EchoProxy::echo_data_stream,
              types::DataStream{"s", ~0ull, {9, 8}, {{"a", "b"}, {"", "ü"}}, INT64_MIN});
  for (auto p : {types::PayloadType::rpc_reliable(), types::PayloadType::rpc_signal(),
                 types::PayloadType::stream_reliable(), types::PayloadType::stream_latency_first(),
                 types::PayloadType::media_rtp()}) {
    expect_echo(&EchoProxy::echo_payload_type, p);
  }
  for (auto c :
       {types::ErrorCategory::handler_panic(), types::ErrorCategory::handler_error(),
        types::ErrorCategory::signaling_failure(), types::ErrorCategory::transport_failure(),
        types::ErrorCategory::data_stream_delivery_uncertain()}) {
    expect_echo(&EchoProxy::echo_error_category, c);
  }
  std::vector<types::ActrError> errors = {types::ActrError::unavailable("ü"),
                                          types::ActrError::timed_out(),
                                          types::ActrError::not_found(""),
                                          types::ActrError::permission_denied("p"),
                                          types::ActrError::invalid_argument("i"),
                                          types::ActrError::unknown_route("r"),
                                          types::ActrError::dependency_not_found({"svc", "msg ✓"}),
                                          types::ActrError::decode_failure("d"),
                                          types::ActrError::not_implemented("n"),
                                          types::ActrError::internal("😀")};
  for (const auto& e : errors) expect_echo(&EchoProxy::echo_actr_error, e);
  expect_echo(&EchoProxy::echo_dependency_not_found_payload,
              types::DependencyNotFoundPayload{"a", ""});
  expect_echo(&EchoProxy::echo_peer_event, types::PeerEvent{sample_id(), std::nullopt});
  expect_echo(&EchoProxy::echo_peer_event, types::PeerEvent{sample_id(), true});
  expect_echo(&EchoProxy::echo_peer_event, types::PeerEvent{sample_id(), false});
  expect_echo(&EchoProxy::echo_timestamp, types::Timestamp{1700000000, 999999999});
  expect_echo(
      &EchoProxy::echo_error_event,
      types::ErrorEvent{errors[6], types::ErrorCategory::transport_failure(), "ctx ✓", {1, 2}});
  expect_echo(&EchoProxy::echo_credential_event, types::CredentialEvent{{5, 6}});
  expect_echo(&EchoProxy::echo_backpressure_event, types::BackpressureEvent{100, ~0ull});
}

TEST_P(EchoRoundTrip, EveryConstructComesBackUnchanged) {
  expect_echo(&EchoProxy::echo_string, std::string());
  expect_echo(&EchoProxy::echo_string, std::string("héllo wörld ✓ 😀 日本語"));
  expect_echo(&EchoProxy::echo_string, std::string(100000, 'x'));
  expect_echo(&EchoProxy::echo_bytes, Bytes{});
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  expect_echo(&EchoProxy::echo_bytes, all);
  expect_echo(&EchoProxy::echo_option, std::optional<std::string>());
  expect_echo(&EchoProxy::echo_option, std::optional<std::string>(""));
  expect_echo(&EchoProxy::echo_option, std::optional<std::string>("ß"));
  expect_echo(&EchoProxy::echo_result, Result<uint32_t, std::string>::Ok(42));
  expect_echo(&EchoProxy::echo_result, Result<uint32_t, std::string>::Err("bad ✗"));
  expect_echo(&EchoProxy::echo_bare_result, Result<void, void>::Ok());
  expect_echo(&EchoProxy::echo_bare_result, Result<void, void>::Err());
  for (auto c : {kinds::Color::Red, kinds::Color::Green, kinds::Color::Blue}) {
    expect_echo(&EchoProxy::echo_color, c);
  }
  expect_echo(&EchoProxy::echo_perms, kinds::Perms{});
  expect_echo(&EchoProxy::echo_perms, kinds::Perms::read() | kinds::Perms::exec());
  expect_echo(&EchoProxy::echo_wide, kinds::Wide::w0() | kinds::Wide::w19());
  std::vector<kinds::Shape> shapes = {
      kinds::Shape::empty(),
      kinds::Shape::circle(2.5),
      kinds::Shape::square(-1.25f),
      kinds::Shape::tag_(0xFFFFFFFFFFFFFFFFull),
      kinds::Shape::rect({1.5f, -0.0f}),
      kinds::Shape::text("ünïcödé"),
      kinds::Shape::path({{1, -2}, {INT32_MIN, INT32_MAX}}),
      kinds::Shape::path({}),
      kinds::Shape::owner(sample_id()),
  };
  for (const auto& s : shapes) expect_echo(&EchoProxy::echo_shape, s);
  kinds::Scalars scalars{true,       INT8_MIN,  UINT8_MAX,  INT16_MIN, UINT16_MAX, INT32_MIN,
                         UINT32_MAX, INT64_MIN, UINT64_MAX, 3.5f,      -1e300,     U'😀'};
  expect_echo(&EchoProxy::echo_scalars, scalars);
  kinds::Everything everything{
      scalars,
      "name ✓",
      {1, 2, 3},
      {"", "a", "ü"},
      {{}, {"x"}, {"y", "z"}},
      77,
      std::nullopt,
      Result<std::string, kinds::Color>::Err(kinds::Color::Blue),
      kinds::Color::Green,
      kinds::Perms::write(),
      kinds::Wide::w10(),
      shapes,
      {9, "tuple", kinds::Point{3, 4}},
  };
  expect_echo(&EchoProxy::echo_everything, everything);
  everything.maybe = std::nullopt;
  everything.maybe_text = "";
  everything.outcome = Result<std::string, kinds::Color>::Ok("fine");
  std::get<2>(everything.pair) = std::nullopt;
  expect_echo(&EchoProxy::echo_everything, everything);
  expect_echo(&EchoProxy::echo_alias, kinds::AliasList{{5, 6}});
  expect_echo(&EchoProxy::echo_f32, std::numeric_limits<float>::infinity());
  expect_echo(&EchoProxy::echo_char, U'\U0010FFFF');
  expect_echo(&EchoProxy::echo_s8, int8_t{-128});
  expect_echo(&EchoProxy::echo_tuple, std::tuple<int64_t, double, std::string>{-1, 0.5, "t"});
}

TEST_P(EchoRoundTrip, MapsComeBackInOrderWithDuplicateKeys) {
  using Map = ::actr::wit::Map<std::string, uint32_t>;
  expect_echo(&EchoProxy::echo_map, Map{});
  expect_echo(&EchoProxy::echo_map, Map{{"a", 1}, {"ü", 2}, {"a", 3}});
  kinds::Catalog catalog{"cat", {{U'x', {"one", "two"}}, {U'✓', {}}, {U'x', {""}}}};
  expect_echo(&EchoProxy::echo_catalog, catalog);
  const std::vector<std::string>* x = catalog.entries.find(U'x');
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->size(), 2u);  // the first entry with the key

  // The same value through the dynamic Value path (the bindings' fallback conversions).
  using ::actr::wit::host::Conv;
  auto* fn = instance_->func("actr:echo/echo@0.1.0#echo-catalog");
  ASSERT_NE(fn, nullptr);
  std::vector<component::Value> args{Conv<kinds::Catalog>::to(catalog)};
  auto results = fn->call(args);
  ASSERT_TRUE(results.ok()) << results.error().message;
  ASSERT_EQ(results->size(), 1u);
  auto back = Conv<kinds::Catalog>::from((*results)[0]);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(*back == catalog);
}

TEST_P(EchoRoundTrip, ParametersThroughMemoryAndEmptySignatures) {
  auto sum = echo_->sum_many(1, -2, 3, -4, 5, -6, 7, -8, 0.5f, 0.25, 1, 1, 1, 1, 1, 1, 1);
  ASSERT_TRUE(sum.ok()) << sum.error().message;
  EXPECT_DOUBLE_EQ(*sum, 1 - 2 + 3 - 4 + 5 - 6 + 7 - 8 + 0.5 + 0.25 + 7);
  ASSERT_TRUE(echo_->ping().ok());
  ASSERT_TRUE(echo_->ping().ok());
  auto pings = echo_->pings();
  ASSERT_TRUE(pings.ok());
  EXPECT_EQ(*pings, 2u);
}

TEST_P(EchoRoundTrip, GuestCallsTheSeedHostImports) {
  auto dispatch = [&](std::string route, std::string payload) {
    return workload_->dispatch(types::RpcEnvelope{"req", std::move(route), bytes_of(payload)});
  };
  auto r = dispatch("forward", "hi ✓");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->is_ok());
  EXPECT_EQ(text_of(r->value()), "reply:hi ✓");
  EXPECT_EQ(host_->calls.back(), "call 1 inner");

  r = dispatch("forward-raw", "");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->is_err());
  EXPECT_EQ(r->error(), types::ActrError::permission_denied("no ✗"));
  EXPECT_EQ(host_->calls.back(), "call-raw acme raw");

  r = dispatch("tell", "msg");
  ASSERT_TRUE(r.ok() && r->is_ok());
  EXPECT_EQ(host_->calls.back(), "tell 0 told msg");

  r = dispatch("discover", "finder");
  ASSERT_TRUE(r.ok() && r->is_ok());
  EXPECT_EQ(text_of(r->value()), "3/1234567890123/acme:finder:2.0.0");

  r = dispatch("context", "");
  ASSERT_TRUE(r.ok() && r->is_ok());
  EXPECT_EQ(text_of(r->value()), "3/1234567890123/acme:échø-svc:1.2.3 none req-✓");
  host_->caller = types::ActrId{{1}, 2, {"a", "b", "c"}};
  r = dispatch("context", "");
  ASSERT_TRUE(r.ok() && r->is_ok());
  EXPECT_EQ(text_of(r->value()), "3/1234567890123/acme:échø-svc:1.2.3 1/2/a:b:c req-✓");

  r = dispatch("stream", "data");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->is_ok());
  EXPECT_EQ(text_of(r->value()), "reg-ok unreg-err:s-2");
  EXPECT_EQ(host_->last_chunk,
            (types::DataStream{"s-1", 9, bytes_of("data"), {{"k", "v"}, {"é", "ü"}}, -5}));
  EXPECT_EQ(host_->last_target, types::Dest::actor({{1}, 2, {"m", "n", "v"}}));

  r = dispatch("log", "logged ✓");
  ASSERT_TRUE(r.ok() && r->is_ok());
  EXPECT_EQ(host_->calls.back(), "log info logged ✓");

  r = dispatch("nope", "");
  ASSERT_TRUE(r.ok() && r->is_err());
  EXPECT_EQ(r->error(), types::ActrError::unknown_route("nope"));
}

TEST_P(EchoRoundTrip, LifecycleHooks) {
  auto start = workload_->on_start();
  ASSERT_TRUE(start.ok() && start->is_ok());
  auto ready = workload_->on_ready();
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(*ready, WitError::Err(types::ActrError::timed_out()));
  auto stop = workload_->on_stop();
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(*stop, WitError::Err(types::ActrError::dependency_not_found({"svc", "gone"})));
  auto err = workload_->on_error(types::ErrorEvent{
      types::ActrError::internal("boom"), types::ErrorCategory::handler_panic(), "ctx", {1, 2}});
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(*err, WitError::Err(types::ActrError::internal("boom")));
  EXPECT_EQ(host_->calls.back(), "log on-error ctx");
  ASSERT_TRUE(workload_->on_signaling_connected().ok());
  EXPECT_EQ(host_->calls.back(), "log hook signaling-connected");
  ASSERT_TRUE(workload_->on_webrtc_connected({sample_id(), true}).ok());
  EXPECT_EQ(host_->calls.back(), "log rtc relayed");
  ASSERT_TRUE(workload_->on_mailbox_backpressure({5, 10}).ok());
  EXPECT_EQ(host_->calls.back(), "log backpressure 5/10");
  auto ds =
      workload_->on_data_stream(types::DataStream{"st", 1, {}, {}, std::nullopt}, sample_id());
  ASSERT_TRUE(ds.ok() && ds->is_ok());
  EXPECT_EQ(host_->calls.back(), "log data-stream st from 3/1234567890123/acme:échø-svc:1.2.3");
}

// A value the host cannot lower (a string that is not UTF-8) is the host's error: the call fails
// with an unclassified Error before the guest runs, and the instance is not poisoned.
TEST_P(EchoRoundTrip, AValueTheHostCannotLowerIsAHostErrorNotATrap) {
  for (std::string bad :
       {std::string("\xff"), std::string("ok\xfe\xff"), std::string("\xed\xa0\x80")}) {
    auto r = workload_->dispatch(types::RpcEnvelope{"req", bad, bytes_of("x")});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, 0) << r.error().message;
    EXPECT_NE(r.error().message.find("not valid utf-8"), std::string::npos) << r.error().message;
    EXPECT_FALSE(instance_->poisoned());
  }
  auto s = echo_->echo_string("fine");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(*s, "fine");
}

TEST_P(EchoRoundTrip, LoweringsThatOverflowTheGuestsBlockAreaComeBackUnchanged) {
  // The guest's cabi_realloc hands blocks out of a 1 KiB area until it is full, then from the
  // heap, and starts the area over once lifting gave every block back: a string that fills the
  // area exactly, one a byte bigger, and one lowering that takes both kinds (300 strings of 24
  // bytes, then their 2400-byte list), alternating with small values that fit the area whole.
  kinds::Everything many;
  for (int i = 0; i < 300; ++i)
    many.strings.push_back("string number " + std::to_string(1000000000 + i));
  many.nested = {{"a"}, many.strings, {}};
  for (int round = 0; round < 3; ++round) {
    expect_echo(&EchoProxy::echo_string, std::string(1024, 'a'));
    expect_echo(&EchoProxy::echo_string, std::string(1025, 'b'));
    expect_echo(&EchoProxy::echo_everything, many);
    expect_echo(&EchoProxy::echo_string, std::string("small"));
    expect_echo(&EchoProxy::echo_option, std::optional<std::string>(std::string(1000, 'c')));
    auto sum = echo_->sum_many(1, 2, 3, 4, 5, 6, 7, 8, 0.5f, 0.25, 1, 1, 1, 1, 1, 1, 1);
    ASSERT_TRUE(sum.ok()) << sum.error().message;
    EXPECT_DOUBLE_EQ(*sum, 36 + 0.5 + 0.25 + 7);
  }
}

TEST_P(EchoRoundTrip, ManyCallsDoNotLeakGuestMemory) {
  // Each call moves 16 KiB through guest memory four times (lift, copy, lower, post-return);
  // a leak would exhaust the 8 MiB limit long before the last call.
  wasm::StoreLimits limits;
  limits.max_memory_bytes = 8u << 20;
  auto [instance, echo] = another_echo(limits);
  ASSERT_TRUE(echo);
  std::string big(16384, 'q');
  kinds::Everything e;
  e.strings.assign(64, "element");
  e.shapes.assign(16, kinds::Shape::text("shape"));
  for (int i = 0; i < 2000; ++i) {
    auto s = echo->echo_string(big);
    ASSERT_TRUE(s.ok()) << "call " << i << ": " << s.error().message;
    auto r = echo->echo_everything(e);
    ASSERT_TRUE(r.ok()) << "call " << i << ": " << r.error().message;
  }
}

// The guest's cabi_realloc traps while the host lowers an argument (its heap cannot grow past the
// store's limit): the call returns that trap and the instance is poisoned, as for any trap in a
// call, and the entry leaves the thread as it found it, so another instance keeps working.
TEST_P(EchoRoundTrip, AReallocThatTrapsWhileLoweringFailsTheCallAndPoisonsTheInstance) {
  wasm::StoreLimits limits;
  limits.max_memory_bytes = 4u << 20;
  auto [instance, echo] = another_echo(limits);
  ASSERT_TRUE(echo);
  auto small = echo->echo_string("before");
  ASSERT_TRUE(small.ok()) << small.error().message;
  EXPECT_EQ(*small, "before");

  std::string big(6u << 20, 'z');  // more than the store may hold
  auto failed = echo->echo_string(big);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, static_cast<int>(wasm::TrapKind::Unreachable))
      << failed.error().message;
  EXPECT_TRUE(instance->poisoned());
  auto after = echo->echo_string("after");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, static_cast<int>(wasm::TrapKind::Poisoned));

  auto other = another_echo();
  ASSERT_TRUE(other.echo);
  auto& other_echo = other.echo;
  for (int i = 0; i < 3; ++i) {
    auto s = other_echo->echo_string("still here");
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(*s, "still here");
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, EchoRoundTrip,
                         ::testing::Values(wasm::EngineKind::Aot, wasm::EngineKind::Interp),
                         [](const auto& info) {
                           return info.param == wasm::EngineKind::Aot ? "aot" : "interp";
                         });

}  // namespace
}  // namespace actr::witgen
