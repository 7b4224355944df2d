#include "witgen/generator.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "witgen/resolver.hpp"

namespace actr::witgen {
namespace {

using Group = std::vector<std::pair<std::string, std::string>>;

const OutputFile* find(const std::vector<OutputFile>& files, const std::string& name) {
  for (const auto& f : files) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

PackageSet seed() {
  auto set = load_wit(std::string(ACTR_SOURCE_ROOT) + "/wit/actr-workload.wit");
  EXPECT_TRUE(set.ok()) << set.error().message;
  return std::move(*set);
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST(WitGenerator, GuestBindingsForTheSeedWorld) {
  auto files = generate_guest(seed(), {"actr-workload-guest", ""});
  ASSERT_TRUE(files.ok()) << files.error().message;
  for (const char* name :
       {"actr_wit_runtime.hpp", "actr_wit_guest_abi.hpp", "actr_workload_guest_types.hpp",
        "actr_workload_guest_guest.hpp", "actr_workload_guest_guest.cpp"}) {
    EXPECT_NE(find(*files, name), nullptr) << name;
  }
  const std::string& types = find(*files, "actr_workload_guest_types.hpp")->text;
  EXPECT_TRUE(contains(types, "namespace actr::workload::types {"));
  EXPECT_TRUE(contains(types, "struct ActrId {"));
  EXPECT_TRUE(contains(types, "::actr::workload::types::ActrType type{};"));  // `%type`
  // actr-error uses dependency-not-found-payload, defined after it in the WIT
  EXPECT_LT(types.find("struct DependencyNotFoundPayload"), types.find("struct ActrError"));
  const std::string& header = find(*files, "actr_workload_guest_guest.hpp")->text;
  EXPECT_TRUE(contains(header, "namespace actr::workload::host {"));
  EXPECT_TRUE(contains(header, "namespace actr::workload::exports::workload {"));
  EXPECT_TRUE(contains(header, "get_caller_id();"));
  const std::string& glue = find(*files, "actr_workload_guest_guest.cpp")->text;
  EXPECT_TRUE(contains(glue, "import_module(\"actr:workload/host@0.1.0\"), import_name(\"call\")"));
  EXPECT_TRUE(contains(glue, "export_name(\"actr:workload/workload@0.1.0#dispatch\")"));
  EXPECT_TRUE(contains(glue, "export_name(\"cabi_post_actr:workload/workload@0.1.0#dispatch\")"));
  EXPECT_TRUE(contains(glue, "export_name(\"cabi_realloc\")"));
  // hooks without results need no post-return
  EXPECT_FALSE(contains(glue, "cabi_post_actr:workload/workload@0.1.0#on-signaling-connected"));
}

TEST(WitGenerator, HostBindingsForTheSeedWorld) {
  auto files = generate_host(seed(), {"actr-workload-guest", "my::ns"});
  ASSERT_TRUE(files.ok()) << files.error().message;
  const std::string& header = find(*files, "actr_workload_guest_host.hpp")->text;
  EXPECT_TRUE(contains(header, "namespace my::ns::host {"));
  EXPECT_TRUE(contains(header, "class Host {"));
  EXPECT_TRUE(contains(header,
                       "virtual ::actr::Result<void> log_message(const std::string& "
                       "level, const std::string& message) = 0;"));
  EXPECT_TRUE(contains(header, "namespace my::ns::exports::workload {"));
  EXPECT_TRUE(contains(header, "class Proxy {"));
  EXPECT_TRUE(contains(header, "struct Conv<::my::ns::types::ActrError>"));
}

// --owned-import-params: the host's import virtuals take non-scalar arguments by value and both
// paths (fast and dynamic-value) move the lifted arguments in; exports are untouched.
TEST(WitGenerator, OwnedImportParams) {
  GeneratorOptions options{"actr-workload-guest", ""};
  options.owned_import_params = true;
  auto files = generate_host(seed(), options);
  ASSERT_TRUE(files.ok()) << files.error().message;
  const std::string& header = find(*files, "actr_workload_guest_host.hpp")->text;
  EXPECT_TRUE(contains(header,
                       "call(::actr::workload::types::Dest target, std::string route_key, "
                       "std::vector<uint8_t> payload) = 0;"));
  EXPECT_TRUE(contains(header, "log_message(std::string level, std::string message) = 0;"));
  const std::string& glue = find(*files, "actr_workload_guest_host.cpp")->text;
  size_t moved = 0;
  for (size_t at = glue.find("impl->call(std::move(a0), std::move(a1), std::move(a2))");
       at != std::string::npos;
       at = glue.find("impl->call(std::move(a0), std::move(a1), std::move(a2))", at + 1)) {
    ++moved;
  }
  EXPECT_EQ(moved, 2u);  // the fast path and the dynamic-value path
  EXPECT_FALSE(contains(glue, "impl->call(a0, a1, a2)"));
  // Exports keep their const& arguments: the instance reads them while lowering.
  EXPECT_TRUE(contains(header, "dispatch(const ::actr::workload::types::RpcEnvelope& envelope)"));
}

TEST(WitGenerator, Errors) {
  auto unknown = generate_guest(seed(), {"nope", ""});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message,
            "no world `nope` in package `actr:workload@0.1.0` (worlds: actr-workload-guest)");
}

// A handle inside another type is spelled for the side: the holder of the objects has them
// (std::unique_ptr for own, a pointer for borrow), the other side has handles.
TEST(WitGenerator, HandlesInsideOtherTypes) {
  auto set = resolve_sources({Group{{"r.wit", R"(
    package a:b;
    interface files {
      resource file;
      record pair { a: file, b: option<borrow<file>> }
      open-all: func(names: list<string>) -> list<own<file>>;
      close-all: func(fs: list<file>, p: pair);
    }
    world w { import files; }
  )"}}});
  ASSERT_TRUE(set.ok()) << set.error().message;
  auto host = generate_host(*set, {"w", ""});
  ASSERT_TRUE(host.ok()) << host.error().message;
  const std::string& hh = find(*host, "w_host.hpp")->text;
  const std::string& ht = find(*host, "w_types.hpp")->text;
  EXPECT_TRUE(contains(hh,
                       "virtual ::actr::Result<std::vector<std::unique_ptr<::a::b::files::File>>> "
                       "open_all(const std::vector<std::string>& names) = 0;"));
  EXPECT_TRUE(contains(hh,
                       "close_all(std::vector<std::unique_ptr<::a::b::files::File>> fs, "
                       "::a::b::files::Pair p) = 0;"));
  EXPECT_TRUE(contains(ht, "  std::optional<::a::b::files::File*> b{};"));
  EXPECT_FALSE(contains(ht, "bool operator==(const Pair&)"));  // handles do not compare
  // The class is defined before the struct that holds its handles.
  EXPECT_LT(ht.find("class File {"), ht.find("struct Pair {"));

  auto guest = generate_guest(*set, {"w", ""});
  ASSERT_TRUE(guest.ok()) << guest.error().message;
  const std::string& gh = find(*guest, "w_guest.hpp")->text;
  const std::string& gt = find(*guest, "w_types.hpp")->text;
  const std::string& gc = find(*guest, "w_guest.cpp")->text;
  EXPECT_TRUE(contains(gh, "std::vector<::a::b::files::File> open_all("));
  EXPECT_TRUE(contains(gh,
                       "void close_all(std::vector<::a::b::files::File> fs, "
                       "::a::b::files::Pair p);"));
  EXPECT_TRUE(contains(gt, "  std::optional<const ::a::b::files::File*> b{};"));
  EXPECT_TRUE(contains(gc, "struct Abi<::a::b::files::File> : ImportedOwnAbi<"));
  EXPECT_TRUE(contains(gc, "struct Abi<const ::a::b::files::File*> : ImportedBorrowAbi<"));
}

// The combinations the generators do not support yet fail with a clear message.
TEST(WitGenerator, UnsupportedResourceUses) {
  auto set = resolve_sources({Group{{"r.wit", R"(
    package a:b;
    interface mine {
      resource thing { constructor(); }
    }
    interface lender {
      use mine.{thing};
      look: func(t: borrow<thing>);
    }
    interface theirs {
      resource file { constructor(); }
    }
    interface uses {
      use theirs.{file};
      hand-over: func(f: file);
    }
    world lend { export mine; import lender; }
    world give { export uses; }
    world top { resource r; export f: func() -> r; }
  )"}}});
  ASSERT_TRUE(set.ok()) << set.error().message;
  // Not expressible in WIT (wit-parser rejects it as well): the import's `thing` would be the
  // component's own export.
  auto lend = generate_guest(*set, {"lend", ""});
  ASSERT_FALSE(lend.ok());
  EXPECT_EQ(lend.error().message,
            "r.wit:6:15: imported interface `lender` uses `mine`, which the world exports: an "
            "import cannot depend on an export (so a guest cannot lend or give its own "
            "resources to an import)");
  // `theirs` is imported implicitly (world elaboration): the host implements it like an
  // explicit import, and its add_to_linker defines `file`.
  auto give = generate_host(*set, {"give", ""});
  ASSERT_TRUE(give.ok()) << give.error().message;
  const std::string& give_h = find(*give, "give_host.hpp")->text;
  EXPECT_TRUE(contains(give_h, "namespace a::b::theirs {"));
  EXPECT_TRUE(contains(give_h, "file_new() = 0;"));
  EXPECT_TRUE(
      contains(give_h, "::actr::Result<void> hand_over(std::unique_ptr<::a::b::theirs::File> f);"));
  auto give_guest = generate_guest(*set, {"give", ""});
  ASSERT_TRUE(give_guest.ok()) << give_guest.error().message;
  EXPECT_TRUE(contains(find(*give_guest, "give_guest.cpp")->text,
                       "import_module(\"a:b/theirs\"), import_name(\"[constructor]file\")"));
  auto top = generate_guest(*set, {"top", ""});
  ASSERT_FALSE(top.ok());
  EXPECT_EQ(top.error().message,
            "r.wit:19:26: resource `r` is defined by a world; the C++ binding generator supports "
            "resources of interfaces only");
}

TEST(WitGenerator, SameNamedResourcesInOneInterface) {
  auto set = resolve_sources({Group{{"s.wit", R"(
    package a:b;
    interface one { resource item; }
    interface two { resource item; }
    interface both {
      use one.{item};
      use two.{item as other};
      swap: func(a: list<item>) -> other;
    }
    world w { import both; }
  )"}}});
  ASSERT_TRUE(set.ok()) << set.error().message;
  auto host = generate_host(*set, {"w", ""});
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.error().message,
            "s.wit:4:30: resources `item` and `item` of different interfaces cross the functions "
            "of one interface: not supported by the C++ host bindings yet");
  EXPECT_TRUE(generate_guest(*set, {"w", ""}).ok());
}

TEST(WitGenerator, ResourceBindings) {
  auto set = load_wit(std::string(ACTR_SOURCE_ROOT) + "/tests/witgen/resources/resources.wit");
  ASSERT_TRUE(set.ok()) << set.error().message;
  auto guest = generate_guest(*set, {"resources", ""});
  ASSERT_TRUE(guest.ok()) << guest.error().message;
  // The classes are in the types header (structs may hold handles).
  const std::string& gh = find(*guest, "resources_types.hpp")->text;
  const std::string& gc = find(*guest, "resources_guest.cpp")->text;
  // Imported: a move-only handle class whose destructor drops the handle.
  EXPECT_TRUE(
      contains(gh, "namespace actr::resources::counters {\n\n/// A counter the host keeps."));
  EXPECT_TRUE(contains(gh, "class Counter {\n public:\n  explicit Counter(uint32_t start);"));
  EXPECT_TRUE(contains(gh, "  uint32_t get() const;\n  void add(uint32_t n) const;"));
  EXPECT_TRUE(contains(gh, "static ::actr::resources::counters::Counter make(uint32_t start);"));
  EXPECT_TRUE(contains(gh, "static uint32_t consume(::actr::resources::counters::Counter c);"));
  EXPECT_TRUE(contains(gh, "static uint32_t peek(const ::actr::resources::counters::Counter& c);"));
  EXPECT_TRUE(contains(gh, "Counter(const Counter&) = delete;"));
  EXPECT_TRUE(contains(gh, "~Counter() { reset(); }"));
  EXPECT_TRUE(contains(gc,
                       "import_module(\"actr:resources/counters@0.1.0\"), "
                       "import_name(\"[resource-drop]counter\")"));
  EXPECT_TRUE(contains(gc, "import_name(\"[constructor]counter\")"));
  EXPECT_TRUE(contains(gc, "import_name(\"[method]counter.get\")"));
  EXPECT_TRUE(contains(gc, "import_name(\"[static]counter.make\")"));
  EXPECT_TRUE(contains(gc, "Abi<uint32_t>::lower(c.release(), "));  // own moves
  EXPECT_TRUE(contains(gc, "Abi<uint32_t>::lower(c.handle(), "));   // borrow lends
  // Exported: a base class the guest derives from, and the component's resource built-ins.
  EXPECT_TRUE(contains(gh,
                       "class Accumulator {\n public:\n  virtual ~Accumulator() = default;\n"
                       "  static std::unique_ptr<::actr::resources::exports::accum::"
                       "Accumulator> create(uint64_t start);"));
  EXPECT_TRUE(contains(gh, "  virtual void add(uint32_t n) = 0;"));
  EXPECT_TRUE(contains(gh, "  static uint32_t live();"));
  for (const char* op : {"new", "rep", "drop"}) {
    EXPECT_TRUE(contains(gc, std::string("import_module(\"[export]actr:resources/accum@0.1.0\"), "
                                         "import_name(\"[resource-") +
                                 op + "]accumulator\")"))
        << op;
  }
  EXPECT_TRUE(contains(gc, "export_name(\"actr:resources/accum@0.1.0#[dtor]accumulator\")"));
  EXPECT_TRUE(contains(gc, "export_name(\"actr:resources/accum@0.1.0#[method]accumulator.add\")"));

  auto host = generate_host(*set, {"resources", ""});
  ASSERT_TRUE(host.ok()) << host.error().message;
  const std::string& hh = find(*host, "resources_host.hpp")->text;
  const std::string& hc = find(*host, "resources_host.cpp")->text;
  const std::string& ht = find(*host, "resources_types.hpp")->text;
  EXPECT_TRUE(contains(ht,
                       "class Counter {\n public:\n  virtual ~Counter() = default;\n"
                       "  virtual ::actr::Result<uint32_t> get() = 0;"));
  EXPECT_TRUE(contains(hh,
                       "virtual ::actr::Result<std::unique_ptr<::actr::resources::counters::"
                       "Counter>> counter_new(uint32_t start) = 0;"));
  EXPECT_TRUE(contains(hh,
                       "counter_consume(std::unique_ptr<::actr::resources::counters::Counter> "
                       "c) = 0;"));
  EXPECT_TRUE(contains(hh, "counter_peek(::actr::resources::counters::Counter& c) = 0;"));
  EXPECT_TRUE(contains(hc,
                       "HostResources::define<::actr::resources::counters::Counter>(linker, "
                       "\"actr:resources/counters@0.1.0\", \"counter\");"));
  EXPECT_TRUE(contains(ht, "class Accumulator : public ::actr::wit::host::GuestResource {"));
  EXPECT_TRUE(
      contains(hh, "::actr::Result<uint32_t> read(::actr::resources::counters::Counter& c);"));
  EXPECT_TRUE(contains(hc, "counter_reps_->lend(c)"));
  EXPECT_TRUE(contains(hc, "counter_reps_->end_lend(*actr_rep0);"));
  EXPECT_TRUE(contains(hh,
                       "::actr::Result<void> accumulator_absorb(const ::actr::resources::"
                       "exports::accum::Accumulator& self, ::actr::resources::exports::accum::"
                       "Accumulator other);"));
}

TEST(WitGenerator, WorldLevelFunctionsAndTypes) {
  auto set = resolve_sources({Group{{"w.wit", R"(
    package my:app@1.0.0;
    world app {
      record cfg { name: string, level: u8 }
      import log: func(msg: string);
      export run: func(c: cfg) -> result<u32, string>;
      export helper: interface { twice: func(x: u32) -> u32; }
    }
  )"}}});
  ASSERT_TRUE(set.ok()) << set.error().message;
  auto guest = generate_guest(*set, {"app", ""});
  ASSERT_TRUE(guest.ok()) << guest.error().message;
  const std::string& glue = find(*guest, "app_guest.cpp")->text;
  EXPECT_TRUE(contains(glue, "import_module(\"$root\"), import_name(\"log\")"));
  EXPECT_TRUE(contains(glue, "export_name(\"run\")"));
  EXPECT_TRUE(contains(glue, "export_name(\"helper#twice\")"));
  const std::string& types = find(*guest, "app_types.hpp")->text;
  EXPECT_TRUE(contains(types, "namespace my::app {"));
  EXPECT_TRUE(contains(types, "struct Cfg {"));
  auto host = generate_host(*set, {"app", ""});
  ASSERT_TRUE(host.ok()) << host.error().message;
  const std::string& header = find(*host, "app_host.hpp")->text;
  EXPECT_TRUE(contains(header, "class WorldImports {"));
  EXPECT_TRUE(contains(header, "class WorldExports {"));
  EXPECT_TRUE(contains(header, "namespace my::app::exports::helper {"));
}

TEST(WitGenerator, NamedResultsAndMaps) {
  auto set = resolve_sources({Group{{"n.wit", R"(
    package my:calc;
    interface ops {
      divmod: func(a: u32, b: u32) -> (q: u32, r: u32);
      index: func(words: list<string>) -> map<string, list<u32>>;
    }
    world w { import ops; export ops; }
  )"}}});
  ASSERT_TRUE(set.ok()) << set.error().message;
  auto guest = generate_guest(*set, {"w", ""});
  ASSERT_TRUE(guest.ok()) << guest.error().message;
  const std::string& header = find(*guest, "w_guest.hpp")->text;
  EXPECT_TRUE(contains(header, "std::tuple<uint32_t, uint32_t> divmod(uint32_t a, uint32_t b);"));
  EXPECT_TRUE(contains(header, "::actr::wit::Map<std::string, std::vector<uint32_t>> index("));
  auto host = generate_host(*set, {"w", ""});
  ASSERT_TRUE(host.ok()) << host.error().message;
  const std::string& glue = find(*host, "w_host.cpp")->text;
  EXPECT_TRUE(contains(glue, "{{\"q\", Conv<uint32_t>::type()}, {\"r\", Conv<uint32_t>::type()}}"));
  EXPECT_TRUE(contains(glue, "std::get<1>(r)"));

  auto bad_key = resolve_sources({Group{{"k.wit", R"(
    package my:calc;
    interface ops { f: func(m: map<list<u8>, u32>); }
    world w { import ops; }
  )"}}});
  ASSERT_TRUE(bad_key.ok()) << bad_key.error().message;
  auto res = generate_host(*bad_key, {"w", ""});
  ASSERT_FALSE(res.ok());
  EXPECT_TRUE(contains(res.error().message, "a map key must be bool, an integer, char or string"))
      << res.error().message;
}

TEST(WitGenerator, WriteFilesLeavesUnchangedFilesAlone) {
  auto dir =
      std::filesystem::temp_directory_path() / ("witgen-write-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(write_files(dir.string(), {{"a.hpp", "one"}}).ok());
  auto first = std::filesystem::last_write_time(dir / "a.hpp");
  ASSERT_TRUE(write_files(dir.string(), {{"a.hpp", "one"}}).ok());
  EXPECT_EQ(std::filesystem::last_write_time(dir / "a.hpp"), first);
  ASSERT_TRUE(write_files(dir.string(), {{"a.hpp", "two"}}).ok());
  std::ifstream in(dir / "a.hpp");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "two");
  std::filesystem::remove_all(dir);
}

#ifdef ACTR_WITGEN_EXE
std::string run(const std::string& args, int& status) {
  std::string cmd = std::string(ACTR_WITGEN_EXE) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (p && std::fgets(buf, sizeof buf, p)) out += buf;
  status = p ? ::pclose(p) : -1;
  return out;
}

TEST(WitGeneratorCommand, ReportsErrorsWithPlaces) {
  auto dir = std::filesystem::temp_directory_path() / ("witgen-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream bad(dir / "bad.wit");
    bad << "package a:b;\ninterface i {\n  record r {\n    : u32\n  }\n}\n";
  }
  int status = 0;
  std::string out = run(
      "--guest " + (dir / "bad.wit").string() + " --world w -o " + (dir / "out").string(), status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("bad.wit:4:5: expected `}` or a field name, found `:`"), std::string::npos)
      << out;
  out = run("--host " + std::string(ACTR_SOURCE_ROOT) + "/wit/actr-workload.wit --world nope -o " +
                (dir / "out").string(),
            status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("no world `nope`"), std::string::npos) << out;
  out = run("--host " + std::string(ACTR_SOURCE_ROOT) +
                "/wit/actr-workload.wit --world actr-workload-guest -o " + (dir / "out").string(),
            status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "actr_workload_guest_host.cpp"));
  std::filesystem::remove_all(dir);
}
#endif

}  // namespace
}  // namespace actr::witgen
