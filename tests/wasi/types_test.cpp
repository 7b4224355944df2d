// The registered functions and types against the published WASI WIT (tests/wasi/golden, made by
// golden/gen_wasi_golden.py from the WebAssembly/WASI repository at each release tag).
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "wasi/wit_types.hpp"
#include "wasi_harness.hpp"

namespace actr::wasi::test {
namespace {

using component::Kind;
using component::ValueType;

// Prints the golden file's notation: anonymous types in WIT syntax, named types by name (their
// definitions collected separately), resources as own<r> / borrow<r>.
class GoldenPrinter {
 public:
  std::string type(const ValueType& t) {
    switch (t.kind) {
      case Kind::List:
        return "list<" + ref(t.elem) + ">";
      case Kind::Option:
        return "option<" + ref(t.elem) + ">";
      case Kind::Tuple: {
        std::string s = "tuple<";
        for (size_t i = 0; i < t.items.size(); ++i) s += (i ? ", " : "") + ref(t.items[i]);
        return s + ">";
      }
      case Kind::Result:
        if (!t.ok && !t.err) return "result";
        if (!t.err) return "result<" + ref(t.ok) + ">";
        return "result<" + (t.ok ? ref(t.ok) : "_") + ", " + ref(t.err) + ">";
      case Kind::Own:
      case Kind::Borrow:
        return std::string(t.kind == Kind::Own ? "own<" : "borrow<") +
               (t.resource ? t.resource->name : "?") + ">";
      case Kind::Record:
      case Kind::Variant:
      case Kind::Enum:
      case Kind::Flags:
        return named(t);
      default:
        return component::to_string(t.kind);
    }
  }

  std::string func(const component::FuncType& f) {
    std::string s = "func(";
    for (size_t i = 0; i < f.params.size(); ++i) {
      s += (i ? ", " : "") + f.params[i].name + ": " + ref(f.params[i].type);
    }
    s += ")";
    if (f.results.size() == 1 && f.results[0].name.empty()) s += " -> " + ref(f.results[0].type);
    if (f.results.size() > 1 || (f.results.size() == 1 && !f.results[0].name.empty())) {
      s += " -> <named results>";
    }
    return s;
  }

  const std::map<std::string, std::string>& definitions() const { return defs_; }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::string ref(const component::TypeRef& t) {
    if (!t) {
      problems_.push_back("null type");
      return "<null>";
    }
    return type(*t);
  }

  std::string named(const ValueType& t) {
    if (t.wit_name.empty()) {
      problems_.push_back("a " + std::string(component::to_string(t.kind)) + " has no name");
      return "<unnamed>";
    }
    std::string def;
    switch (t.kind) {
      case Kind::Record:
        def = "record { ";
        for (size_t i = 0; i < t.fields.size(); ++i) {
          def += (i ? ", " : "") + t.fields[i].name + ": " + ref(t.fields[i].type);
        }
        break;
      case Kind::Variant:
        def = "variant { ";
        for (size_t i = 0; i < t.cases.size(); ++i) {
          def += (i ? ", " : "") + t.cases[i].name;
          if (t.cases[i].type) def += "(" + ref(t.cases[i].type) + ")";
        }
        break;
      default:
        def = std::string(t.kind == Kind::Enum ? "enum" : "flags") + " { ";
        for (size_t i = 0; i < t.names.size(); ++i) def += (i ? ", " : "") + t.names[i];
        break;
    }
    def += " }";
    auto [it, inserted] = defs_.emplace(t.wit_name, def);
    if (!inserted && it->second != def) {
      problems_.push_back("two definitions of " + t.wit_name + ": " + it->second + " / " + def);
    }
    return t.wit_name;
  }

  std::map<std::string, std::string> defs_;
  std::vector<std::string> problems_;
};

std::set<std::string> registered_lines(const component::Linker& linker,
                                       std::vector<std::string>* problems) {
  GoldenPrinter printer;
  std::set<std::string> lines;
  for (const auto& [iface, def] : linker.definitions()) {
    for (const auto& [name, r] : def.resources) lines.insert("resource " + iface + "#" + name);
    for (const auto& [name, f] : def.funcs) {
      lines.insert("func " + iface + "#" + name + ": " + printer.func(f.type));
    }
  }
  for (const auto& [name, d] : printer.definitions()) lines.insert("type " + name + " = " + d);
  *problems = printer.problems();
  return lines;
}

// The golden lines of one WASI release, with its interfaces renamed to the version registered.
std::set<std::string> golden_lines(const std::string& version) {
  std::ifstream in(std::string(ACTR_SOURCE_ROOT) + "/tests/wasi/golden/wasi-" + version + ".txt");
  EXPECT_TRUE(in) << "missing golden file for WASI " << version;
  std::set<std::string> lines;
  std::regex at_version("@" + std::regex_replace(version, std::regex("\\."), "\\.") + "#");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      lines.insert(std::regex_replace(line, at_version, "@" + std::string(kWasiVersion) + "#"));
    }
  }
  return lines;
}

TEST(WasiTypes, RegisteredExactlyWhatWasi0212Defines) {
  WasiHarness h;
  std::vector<std::string> problems;
  auto have = registered_lines(h.linker(), &problems);
  EXPECT_TRUE(problems.empty()) << problems.front();
  auto want = golden_lines("0.2.12");
  ASSERT_FALSE(want.empty());
  for (const auto& line : want) EXPECT_TRUE(have.count(line)) << "missing or different: " << line;
  for (const auto& line : have) EXPECT_TRUE(want.count(line)) << "not in WASI 0.2.12: " << line;
}

// Older guests import 0.2.0 (the third-party fixtures) and 0.2.6 (Rust): every function they can
// import must be registered with the identical type.
TEST(WasiTypes, CoversWasi020And026) {
  WasiHarness h;
  std::vector<std::string> problems;
  auto have = registered_lines(h.linker(), &problems);
  for (const char* version : {"0.2.0", "0.2.6"}) {
    auto want = golden_lines(version);
    ASSERT_GT(want.size(), 80u) << version;
    for (const auto& line : want) {
      EXPECT_TRUE(have.count(line)) << "WASI " << version << ": missing or different: " << line;
    }
  }
}

TEST(WasiTypes, EveryFunctionTypeIsWellFormed) {
  WasiHarness h;
  std::regex kebab("[a-z][a-z0-9]*(-[a-z0-9]+)*");
  std::regex import_name(
      "(\\[method\\]|\\[static\\])?([a-z][a-z0-9]*(-[a-z0-9]+)*\\.)?[a-z][a-z0-9]*(-[a-z0-9]+)*");
  size_t funcs = 0;
  for (const auto& [iface, def] : h.linker().definitions()) {
    EXPECT_TRUE(std::regex_match(iface, std::regex("wasi:[a-z-]+/[a-z-]+@0\\.2\\.12"))) << iface;
    for (const auto& [name, r] : def.resources) {
      ASSERT_TRUE(r.type) << name;
      EXPECT_TRUE(r.type->host_defined) << name;
      EXPECT_EQ(r.type->name, name);
    }
    for (const auto& [name, f] : def.funcs) {
      ++funcs;
      EXPECT_TRUE(std::regex_match(name, import_name)) << name;
      EXPECT_TRUE(f.fn) << name;
      EXPECT_LE(f.type.results.size(), 1u) << name;
      for (const auto& p : f.type.params) {
        EXPECT_TRUE(std::regex_match(p.name, kebab)) << name << " param " << p.name;
        ASSERT_TRUE(p.type) << name;
        EXPECT_TRUE(component::same_type(*p.type, *p.type)) << name;
      }
      for (const auto& r : f.type.results) {
        EXPECT_TRUE(r.name.empty()) << name;
        ASSERT_TRUE(r.type) << name;
      }
      if (name.rfind("[method]", 0) == 0) {
        // A method's first parameter borrows the resource its name says.
        std::string resource = name.substr(8, name.find('.') - 8);
        ASSERT_FALSE(f.type.params.empty()) << name;
        EXPECT_EQ(f.type.params[0].name, "self");
        EXPECT_EQ(f.type.params[0].type->kind, Kind::Borrow) << name;
        EXPECT_EQ(f.type.params[0].type->resource->name, resource) << name;
      }
    }
  }
  EXPECT_EQ(funcs, 71u);
}

TEST(WasiTypes, SharedResourcesAreOneTypeAcrossInterfaces) {
  WasiHarness h;
  auto output = h.resource("wasi:io/streams", "output-stream");
  auto error = h.resource("wasi:io/error", "error");
  const auto* get_stdout = h.def("wasi:cli/stdout", "get-stdout");
  ASSERT_TRUE(get_stdout);
  EXPECT_EQ(get_stdout->type.results[0].type->resource, output);
  const auto* append = h.def("wasi:filesystem/types", "[method]descriptor.append-via-stream");
  ASSERT_TRUE(append);
  EXPECT_EQ(append->type.results[0].type->ok->resource, output);
  const auto* fec = h.def("wasi:filesystem/types", "filesystem-error-code");
  EXPECT_EQ(fec->type.params[0].type->resource, error);
  const auto* sub = h.def("wasi:clocks/monotonic-clock", "subscribe-duration");
  EXPECT_EQ(sub->type.results[0].type->resource, h.resource("wasi:io/poll", "pollable"));
}

std::string unnamed_wit(const component::TypeRef& t) {
  ValueType copy = *t;
  copy.wit_name.clear();
  return component::to_wit(copy);
}

TEST(WasiTypes, ToWitOfASample) {
  WasiHarness h;
  const auto* write = h.def("wasi:io/streams", "[method]output-stream.write");
  ASSERT_TRUE(write);
  EXPECT_EQ(component::to_wit(*write->type.params[0].type), "borrow<output-stream>");
  EXPECT_EQ(component::to_wit(*write->type.params[1].type), "list<u8>");
  EXPECT_EQ(component::to_wit(*write->type.results[0].type), "result<_, stream-error>");
  const auto* read = h.def("wasi:io/streams", "[method]input-stream.read");
  EXPECT_EQ(component::to_wit(*read->type.results[0].type), "result<list<u8>, stream-error>");
  auto stream_error = write->type.results[0].type->err;
  EXPECT_EQ(unnamed_wit(stream_error), "variant { last-operation-failed(error), closed }");

  const auto* env = h.def("wasi:cli/environment", "get-environment");
  EXPECT_EQ(component::to_wit(*env->type.results[0].type), "list<tuple<string, string>>");
  const auto* exit = h.def("wasi:cli/exit", "exit");
  EXPECT_EQ(component::to_wit(*exit->type.params[0].type), "result");

  const auto* now = h.def("wasi:clocks/wall-clock", "now");
  EXPECT_EQ(component::to_wit(*now->type.results[0].type), "datetime");
  EXPECT_EQ(unnamed_wit(now->type.results[0].type), "record { seconds: u64, nanoseconds: u32 }");

  const auto* stat = h.def("wasi:filesystem/types", "[method]descriptor.stat");
  EXPECT_EQ(component::to_wit(*stat->type.results[0].type), "result<descriptor-stat, error-code>");
  EXPECT_EQ(unnamed_wit(stat->type.results[0].type->ok),
            "record { type: descriptor-type, link-count: u64, size: u64, "
            "data-access-timestamp: option<datetime>, data-modification-timestamp: "
            "option<datetime>, status-change-timestamp: option<datetime> }");
  const auto& codes = stat->type.results[0].type->err->names;
  ASSERT_EQ(codes.size(), 37u);
  EXPECT_EQ(codes[static_cast<size_t>(FsErrorCode::BadDescriptor)], "bad-descriptor");
  EXPECT_EQ(codes[static_cast<size_t>(FsErrorCode::Unsupported)], "unsupported");
  EXPECT_EQ(codes[static_cast<size_t>(FsErrorCode::CrossDevice)], "cross-device");
  const auto* dirs = h.def("wasi:filesystem/preopens", "get-directories");
  EXPECT_EQ(component::to_wit(*dirs->type.results[0].type), "list<tuple<descriptor, string>>");
}

// The linker matches host functions by same_type; a type built independently from the WIT must
// match what is registered, and a near miss must not.
TEST(WasiTypes, SameTypeAgainstAnIndependentlyBuiltType) {
  WasiHarness h;
  using namespace component;
  auto pollable = h.resource("wasi:io/poll", "pollable");
  const auto* poll = h.def("wasi:io/poll", "poll");
  ASSERT_TRUE(poll);
  EXPECT_TRUE(same_type(*poll->type.params[0].type, *list_of(borrow_of(pollable))));
  EXPECT_FALSE(same_type(*poll->type.params[0].type, *list_of(own_of(pollable))));
  EXPECT_TRUE(same_type(*poll->type.results[0].type, *list_of(primitive(Kind::U32))));

  const auto* flags = h.def("wasi:filesystem/types", "[method]descriptor.get-flags");
  auto descriptor_flags = flags_of({"read", "write", "file-integrity-sync", "data-integrity-sync",
                                    "requested-write-sync", "mutate-directory"});
  auto& err = flags->type.results[0].type->err;
  EXPECT_TRUE(same_type(*flags->type.results[0].type->ok, *descriptor_flags));
  EXPECT_FALSE(same_type(*flags->type.results[0].type->ok, *flags_of({"read", "write"})));
  EXPECT_EQ(err->kind, Kind::Enum);
}

}  // namespace
}  // namespace actr::wasi::test
