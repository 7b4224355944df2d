// examples/greeter on both engines against host doubles of actr:workload/host: discover answers
// an actor id (or an error), call answers the payload back (or an error).
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "support/actr_types.hpp"
#include "support/missing.hpp"

namespace actr::test {
namespace {

using component::Value;
using wasm::EngineKind;

const ActrId kEchoActor{2, 99, {"acme", "echo", "0.1.0"}};

struct Doubles {
  std::optional<ActrError> discover_error, call_error;
  std::vector<std::string> calls;  // the host calls, with their arguments
};

class Greeter : public ::testing::TestWithParam<EngineKind> {
 protected:
  void SetUp() override {
    auto path = std::filesystem::path(ACTR_BINARY_DIR) / "guests" / "greeter.wasm";
    if (!std::filesystem::exists(path)) {
      ACTR_SKIP_MISSING(
          path << " was not built (needs clang-19, wasi-libc, wasm32 libc++ and jco)");
    }
    auto engine = wasm::make_engine(GetParam());
    ASSERT_TRUE(engine) << engine.error().message;
    engine_ = std::move(*engine);
    auto comp = component::Component::load_file(*engine_, path);
    ASSERT_TRUE(comp) << comp.error().message;
    linker_ = std::make_unique<component::Linker>(*engine_);
    for (const auto& f : workload_host_funcs()) {
      component::HostFunction fn;
      if (f.name == "discover") {
        fn = [this](std::span<const Value> args, std::vector<Value>& results) -> Result<void> {
          doubles_.calls.push_back("discover(" + describe(args[0]) + ")");
          results.push_back(doubles_.discover_error ? Value::err(to_value(*doubles_.discover_error))
                                                    : Value::ok(to_value(kEchoActor)));
          return {};
        };
      } else if (f.name == "call") {
        fn = [this](std::span<const Value> args, std::vector<Value>& results) -> Result<void> {
          doubles_.calls.push_back("call(" + describe(args[0]) + ", " + describe(args[1]) + ", " +
                                   describe(args[2]) + ")");
          results.push_back(doubles_.call_error ? Value::err(to_value(*doubles_.call_error))
                                                : Value::ok(args[2]));
          return {};
        };
      } else {
        std::string name = f.name;
        fn = [name](std::span<const Value>, std::vector<Value>&) -> Result<void> {
          return make_error("the greeter must not call " + name);
        };
      }
      linker_->func(kWorkloadHostInterface, f.name, f.type, std::move(fn));
    }
    auto instance = linker_->instantiate(**comp);
    ASSERT_TRUE(instance) << instance.error().message;
    instance_ = std::move(*instance);
  }

  Value greet(const std::string& payload) {
    std::vector<Value> args{to_value(RpcEnvelope{"req-1", "greet", bytes_of(payload)})};
    auto r = instance_->call(std::string(kWorkloadInterface) + "#dispatch", args);
    if (!r || r->size() != 1) {
      ADD_FAILURE() << "dispatch failed: " << (r ? "wrong result count" : r.error().message);
      return Value::ok(bytes_value(""));
    }
    return (*r)[0];
  }

  std::unique_ptr<wasm::Engine> engine_;
  std::unique_ptr<component::Linker> linker_;
  std::unique_ptr<component::Instance> instance_;
  Doubles doubles_;
};

TEST_P(Greeter, GreetsWithTheEchoReply) {
  Value reply = greet("wörld");
  ASSERT_TRUE(reply.is_ok) << describe(reply);
  EXPECT_EQ(bytes_from(reply.payload()).value(), bytes_of("Hello, wörld"));
  std::vector<std::string> expected{
      "discover(" + describe(to_value(ActrType{"acme", "echo", "0.1.0"})) + ")",
      "call(" + describe(to_value(Dest{Dest::Actor, kEchoActor})) + ", " +
          describe(Value::string("echo")) + ", " + describe(bytes_value("wörld")) + ")",
  };
  EXPECT_EQ(doubles_.calls, expected);
}

TEST_P(Greeter, DiscoverErrorsAreReturnedUnchanged) {
  ActrError missing{ActrError::DependencyNotFound, "acme:echo", "no echo actor"};
  doubles_.discover_error = missing;
  Value reply = greet("x");
  ASSERT_FALSE(reply.is_ok);
  EXPECT_EQ(actr_error_from(reply.payload()).value(), missing);
  EXPECT_EQ(doubles_.calls.size(), 1u) << "call after a failed discover";
}

TEST_P(Greeter, CallErrorsAreReturnedUnchanged) {
  ActrError refused{ActrError::PermissionDenied, "echo refused", ""};
  doubles_.call_error = refused;
  Value reply = greet("x");
  ASSERT_FALSE(reply.is_ok);
  EXPECT_EQ(actr_error_from(reply.payload()).value(), refused);
  EXPECT_EQ(doubles_.calls.size(), 2u);
}

TEST_P(Greeter, OtherRoutesAreUnknown) {
  std::vector<Value> args{to_value(RpcEnvelope{"req-2", "echo", {}})};
  auto r = instance_->call(std::string(kWorkloadInterface) + "#dispatch", args);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_FALSE((*r)[0].is_ok);
  EXPECT_EQ(actr_error_from((*r)[0].payload()).value().kind, ActrError::UnknownRoute);
  EXPECT_TRUE(doubles_.calls.empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, Greeter, ::testing::Values(EngineKind::Aot, EngineKind::Interp),
                         [](const auto& info) {
                           return std::string(info.param == EngineKind::Aot ? "aot" : "interp");
                         });

}  // namespace
}  // namespace actr::test
