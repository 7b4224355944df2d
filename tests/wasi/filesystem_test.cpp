#include "wasi/wit_types.hpp"
#include "wasi_harness.hpp"

namespace actr::wasi::test {
namespace {

using component::Kind;
using component::Value;

constexpr const char* kFs = "wasi:filesystem/types";

TEST(WasiFilesystem, NoPreopens) {
  WasiHarness h;
  EXPECT_EQ(h.ok("wasi:filesystem/preopens", "get-directories"), Value::list({}));
}

// No descriptor can exist, so any handle a guest could present is not ours.
TEST(WasiFilesystem, DescriptorMethodsAnswerBadDescriptor) {
  WasiHarness h;
  auto descriptor = h.resource(kFs, "descriptor");
  ASSERT_TRUE(descriptor);
  Value self = Value::borrow({descriptor, 1});
  Value bad = Value::err(Value::enumeration(static_cast<uint32_t>(FsErrorCode::BadDescriptor)));
  EXPECT_EQ(bad.payload().index, 3u);  // error-code.bad-descriptor in WIT order

  EXPECT_EQ(h.ok(kFs, "[method]descriptor.stat", {self}), bad);
  EXPECT_EQ(h.ok(kFs, "[method]descriptor.get-type", {self}), bad);
  EXPECT_EQ(h.ok(kFs, "[method]descriptor.read-via-stream", {self, Value::u64(0)}), bad);
  EXPECT_EQ(h.ok(kFs, "[method]descriptor.open-at",
                 {self, Value::flags(1), Value::string("a.txt"), Value::flags(0), Value::flags(1)}),
            bad);
  EXPECT_EQ(h.ok(kFs, "[method]descriptor.is-same-object", {self, self}), Value::boolean(false));
  EXPECT_EQ(h.ok(kFs, "[method]directory-entry-stream.read-directory-entry",
                 {Value::borrow({h.resource(kFs, "directory-entry-stream"), 1})}),
            bad);

  // Every descriptor method that returns a result answers bad-descriptor, whatever its arguments.
  const auto* defs = &h.linker().definitions().at(versioned(kFs));
  int checked = 0;
  for (const auto& [name, def] : defs->funcs) {
    if (name.rfind("[method]descriptor.", 0) != 0 || name == "[method]descriptor.is-same-object") {
      continue;
    }
    std::vector<Value> args(def.type.params.size());
    args[0] = self;
    std::vector<Value> results;
    ASSERT_TRUE(def.fn(args, results).ok()) << name;
    ASSERT_EQ(results.size(), 1u) << name;
    EXPECT_EQ(results[0], bad) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 26);
}

TEST(WasiFilesystem, ErrorCodeOfAnUnknownErrorTraps) {
  WasiHarness h;
  auto r = h.call(kFs, "filesystem-error-code",
                  {Value::borrow({h.resource("wasi:io/error", "error"), 99})});
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace actr::wasi::test
