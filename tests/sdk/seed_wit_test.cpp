// `actr component wit` prints exactly the seed world for the SDK-built workloads, and their
// interfaces are the seed's. The reference is build/guests/seed_world.wasm: jco's dummy core
// module for wit/actr-workload.wit (it imports every host function and exports every workload
// function), wrapped by `jco new` like the workloads (tests/sdk/workloads.cmake). Both sides go
// through the same decoder and printer, so printing conventions cancel out (the source's comments,
// its world name, the `types` import that `use` implies) and any difference is a difference
// between the components themselves.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "component/binary/decoder.hpp"
#include "component/wit/wit_printer.hpp"
#include "support/missing.hpp"
#include "support/run_actr.hpp"

namespace actr::test {
namespace {

namespace fs = std::filesystem;

fs::path guest_path(const std::string& name) {
  return fs::path(ACTR_BINARY_DIR) / "guests" / (name + ".wasm");
}

// What `actr component wit` prints for a component of the seed world (as `jco wit` does).
constexpr const char* kSeedWorldPrint = R"(package root:component;

world root {
  import actr:workload/types@0.1.0;
  import actr:workload/host@0.1.0;

  export actr:workload/workload@0.1.0;
}
)";

// The SDK-built workloads of the world actr:workload/actr-workload-guest.
const std::vector<std::string> kWorkloads{"echo", "counter", "greeter", "sdk_probe"};

// The items of `interface <name> { ... }` in a full print (types, `use` and functions, each
// printed as one blank-line-separated item); empty when the interface is not there.
std::vector<std::string> interface_items(const std::string& wit, const std::string& name) {
  std::string open = "  interface " + name + " {\n";
  size_t begin = wit.find(open);
  if (begin == std::string::npos) return {};
  begin += open.size();
  size_t end = wit.find("\n  }\n", begin);
  std::vector<std::string> items;
  std::string body = wit.substr(begin, end == std::string::npos ? end : end - begin);
  for (size_t at = 0; at < body.size();) {
    size_t next = body.find("\n\n", at);
    if (next == std::string::npos) next = body.size();
    items.push_back(body.substr(at, next - at));
    at = next + 2;
  }
  return items;
}

class SeedWit : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(guest_path("seed_world"))) {
      ACTR_SKIP_MISSING(guest_path("seed_world") << " was not built (needs node and jco)");
    }
  }

  // `actr component wit` of build/guests/<name>.wasm; fails the test when it does not succeed.
  std::string cli_wit(const std::string& name) {
    auto run = run_actr("component wit '" + guest_path(name).string() + "'");
    EXPECT_EQ(run.status, 0) << run.output;
    return run.output;
  }

  // The WIT of build/guests/<name>.wasm with the bodies of the interfaces it names.
  std::string full_wit(const std::string& name) {
    std::ifstream in(guest_path(name), std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    auto tree = component::binary::decode(bytes);
    if (!tree) {
      ADD_FAILURE() << name << ": " << tree.error().message;
      return {};
    }
    component::wit::WitOptions options;
    options.dependencies = true;
    auto wit = component::wit::component_wit(**tree, options);
    if (!wit) {
      ADD_FAILURE() << name << ": " << wit.error().message;
      return {};
    }
    return *wit;
  }
};

TEST_F(SeedWit, SeedComponentPrintsTheSeedWorld) {
  EXPECT_EQ(cli_wit("seed_world"), kSeedWorldPrint);
}

TEST_F(SeedWit, SeedInterfacesHaveTheContractFunctions) {
  std::string wit = full_wit("seed_world");
  for (const char* fragment : {
           "package actr:workload@0.1.0 {",
           "interface types {",
           "interface host {",
           "interface workload {",
           "get-request-id: func() -> string;",
           "dispatch: func(envelope: rpc-envelope) -> result<list<u8>, actr-error>;",
           "on-data-stream: func(chunk: data-stream, sender: actr-id) -> result<_, actr-error>;",
       }) {
    EXPECT_NE(wit.find(fragment), std::string::npos) << fragment << "\n" << wit;
  }
  // A `use` line, then the 11 host functions and the 18 workload functions.
  EXPECT_EQ(interface_items(wit, "host").size(), 12u) << wit;
  EXPECT_EQ(interface_items(wit, "workload").size(), 19u) << wit;
}

TEST_F(SeedWit, CliPrintsExactlyTheSeedWorldForSdkWorkloads) {
  std::string seed = cli_wit("seed_world");
  int checked = 0;
  for (const auto& name : kWorkloads) {
    if (!fs::exists(guest_path(name))) continue;  // needs the guest toolchain
    EXPECT_EQ(cli_wit(name), seed) << name;
    ++checked;
  }
  if (checked == 0)
    ACTR_SKIP_MISSING("no SDK workload was built (needs clang-19 and wasm32 libc++)");
}

// The interface bodies too. wit-component keeps in an imported interface only the functions the
// core module imports; the SDK retains every `host` import (sdk/cpp/src/exports.cpp), so every
// SDK-built workload declares exactly the seed's interfaces, whichever imports it calls.
TEST_F(SeedWit, SdkWorkloadsDeclareTheSeedInterfaces) {
  std::string seed = full_wit("seed_world");
  int checked = 0;
  for (const auto& name : kWorkloads) {
    if (!fs::exists(guest_path(name))) continue;
    SCOPED_TRACE(name);
    std::string wit = full_wit(name);
    for (const char* iface : {"types", "host", "workload"}) {
      EXPECT_EQ(interface_items(wit, iface), interface_items(seed, iface)) << iface;
    }
    EXPECT_EQ(wit, seed);
    ++checked;
  }
  if (checked == 0)
    ACTR_SKIP_MISSING("no SDK workload was built (needs clang-19 and wasm32 libc++)");
}

}  // namespace
}  // namespace actr::test
