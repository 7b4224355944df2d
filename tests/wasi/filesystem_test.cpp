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

// Without a grant no descriptor exists; a handle the host never gave out is a host-side fault
// (the canonical ABI checks handles before the host sees them), so every method refuses it with
// an error naming the handle rather than touching any file.
TEST(WasiFilesystem, DescriptorMethodsRefuseAnUnknownDescriptor) {
  WasiHarness h;
  auto descriptor = h.resource(kFs, "descriptor");
  ASSERT_TRUE(descriptor);
  Value self = Value::borrow({descriptor, 1});

  const auto* defs = &h.linker().definitions().at(versioned(kFs));
  int checked = 0;
  for (const auto& [name, def] : defs->funcs) {
    if (name.rfind("[method]descriptor.", 0) != 0) continue;
    std::vector<Value> args(def.type.params.size());
    args[0] = self;
    if (name == "[method]descriptor.is-same-object") args[1] = self;
    if (name == "[method]descriptor.link-at") args[3] = self;
    std::vector<Value> results;
    auto r = def.fn(args, results);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_NE(r.error().message.find("descriptor"), std::string::npos)
        << name << ": " << r.error().message;
    ++checked;
  }
  EXPECT_EQ(checked, 27);

  auto entries = h.call(kFs, "[method]directory-entry-stream.read-directory-entry",
                        {Value::borrow({h.resource(kFs, "directory-entry-stream"), 1})});
  ASSERT_FALSE(entries.ok());
  EXPECT_NE(entries.error().message.find("directory-entry-stream"), std::string::npos);
}

TEST(WasiFilesystem, ErrorCodeOfAnUnknownErrorTraps) {
  WasiHarness h;
  auto r = h.call(kFs, "filesystem-error-code",
                  {Value::borrow({h.resource("wasi:io/error", "error"), 99})});
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace actr::wasi::test
