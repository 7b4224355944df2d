// The seed world's generated host bindings (actr-witgen --host wit/actr-workload.wit) against
// two guests on both engines: the hand-written tests/guests/workload_all, and
// tests/witgen/guests/seed built from the generated guest bindings.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "actr_workload_guest_host.hpp"
#include "support/missing.hpp"

namespace actr::witgen {
namespace {

namespace types = ::actr::workload::types;
using Proxy = ::actr::workload::exports::workload::Proxy;
using Bytes = std::vector<uint8_t>;
template <class T>
using WitResult = ::actr::wit::Result<T, types::ActrError>;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }
std::string text_of(const Bytes& b) { return std::string(b.begin(), b.end()); }

class LoggingHost : public ::actr::workload::host::Host {
 public:
  std::vector<std::string> log;
  std::optional<types::ActrId> caller;

  actr::Result<WitResult<Bytes>> call(const types::Dest&, const std::string&,
                                      const Bytes&) override {
    return WitResult<Bytes>::Err(types::ActrError::not_implemented("call"));
  }
  actr::Result<WitResult<void>> tell(const types::Dest&, const std::string&,
                                     const Bytes&) override {
    return WitResult<void>::Ok();
  }
  actr::Result<WitResult<Bytes>> call_raw(const types::ActrId&, const std::string&,
                                          const Bytes&) override {
    return WitResult<Bytes>::Err(types::ActrError::not_implemented("call-raw"));
  }
  actr::Result<WitResult<types::ActrId>> discover(const types::ActrType&) override {
    return WitResult<types::ActrId>::Err(types::ActrError::not_found("none"));
  }
  actr::Result<WitResult<void>> register_stream(const std::string&) override {
    return WitResult<void>::Ok();
  }
  actr::Result<WitResult<void>> unregister_stream(const std::string&) override {
    return WitResult<void>::Ok();
  }
  actr::Result<WitResult<void>> send_data_stream(const types::Dest&, const types::DataStream&,
                                                 const types::PayloadType&) override {
    return WitResult<void>::Ok();
  }
  actr::Result<void> log_message(const std::string& level, const std::string& message) override {
    log.push_back(level + ": " + message);
    return {};
  }
  actr::Result<types::ActrId> get_self_id() override {
    return types::ActrId{{1}, 2, {"acme", "self", "1.0.0"}};
  }
  actr::Result<std::optional<types::ActrId>> get_caller_id() override { return caller; }
  actr::Result<std::string> get_request_id() override { return std::string("req-1"); }
};

struct Param {
  wasm::EngineKind engine;
  const char* guest;
};

class SeedBindings : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    auto path = std::filesystem::path(ACTR_BINARY_DIR) / "guests" /
                (std::string(GetParam().guest) + ".wasm");
    if (!std::filesystem::exists(path)) {
      ACTR_SKIP_MISSING(path << " is not built (needs clang-19, wasi-libc and jco)");
    }
    auto engine = wasm::make_engine(GetParam().engine);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(*engine);
    auto component = component::Component::load_file(*engine_, path);
    ASSERT_TRUE(component.ok()) << component.error().message;
    component_ = *component;
    linker_ = std::make_unique<component::Linker>(*engine_);
    host_ = std::make_shared<LoggingHost>();
    ::actr::workload::host::add_to_linker(*linker_, host_);
    auto instance = linker_->instantiate(*component_);
    ASSERT_TRUE(instance.ok()) << instance.error().message;
    instance_ = std::move(*instance);
    auto proxy = Proxy::bind(*instance_);
    ASSERT_TRUE(proxy.ok()) << proxy.error().message;
    proxy_ = std::make_unique<Proxy>(std::move(*proxy));
  }

  bool hand_written() const { return std::string(GetParam().guest) == "workload_all"; }

  std::unique_ptr<wasm::Engine> engine_;
  std::shared_ptr<const component::Component> component_;
  std::unique_ptr<component::Linker> linker_;
  std::shared_ptr<LoggingHost> host_;
  std::unique_ptr<component::Instance> instance_;
  std::unique_ptr<Proxy> proxy_;
};

TEST_P(SeedBindings, DispatchEchoesThroughTypedCalls) {
  auto r = proxy_->dispatch(types::RpcEnvelope{"req-9", "echo", bytes_of("héllo ✓")});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->is_ok());
  EXPECT_EQ(text_of(r->value()), "héllo ✓");

  r = proxy_->dispatch(types::RpcEnvelope{"req-9", "no-such-route", {}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->is_err());
  EXPECT_EQ(r->error(), types::ActrError::unknown_route("no-such-route"));
}

TEST_P(SeedBindings, HooksReachTheTypedHost) {
  ASSERT_TRUE(proxy_->on_signaling_connected().ok());
  ASSERT_TRUE(proxy_->on_mailbox_backpressure({3, 4}).ok());
  auto start = proxy_->on_start();
  ASSERT_TRUE(start.ok()) << start.error().message;
  EXPECT_TRUE(start->is_ok());
  ASSERT_FALSE(host_->log.empty());
  if (!hand_written()) {
    EXPECT_EQ(host_->log[0], "hook: on-signaling-connected");
    EXPECT_EQ(host_->log.back(), "hook: on-start");
  }
}

TEST_P(SeedBindings, HostImportsAnswerTheGuest) {
  host_->caller = types::ActrId{{5}, 6, {"acme", "caller", "0.1.0"}};
  if (hand_written()) {
    auto r = proxy_->dispatch(types::RpcEnvelope{"req-1", "ctx", {}});
    ASSERT_TRUE(r.ok() && r->is_ok()) << (r.ok() ? "" : r.error().message);
    EXPECT_NE(text_of(r->value()).find("request-id=req-1"), std::string::npos)
        << text_of(r->value());
  } else {
    auto r = proxy_->dispatch(types::RpcEnvelope{"req-1", "whoami", {}});
    ASSERT_TRUE(r.ok() && r->is_ok()) << (r.ok() ? "" : r.error().message);
    EXPECT_EQ(text_of(r->value()), "caller");
  }
}

INSTANTIATE_TEST_SUITE_P(Guests, SeedBindings,
                         ::testing::Values(Param{wasm::EngineKind::Aot, "workload_all"},
                                           Param{wasm::EngineKind::Interp, "workload_all"},
                                           Param{wasm::EngineKind::Aot, "witgen_seed"},
                                           Param{wasm::EngineKind::Interp, "witgen_seed"}),
                         [](const auto& info) {
                           return std::string(info.param.guest) +
                                  (info.param.engine == wasm::EngineKind::Aot ? "_aot" : "_interp");
                         });

}  // namespace
}  // namespace actr::witgen
