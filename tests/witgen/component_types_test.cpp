#include "witgen/component_types.hpp"

#include <gtest/gtest.h>

#include "support/actr_types.hpp"
#include "witgen/resolver.hpp"

namespace actr::witgen {
namespace {

using Group = std::vector<std::pair<std::string, std::string>>;

void expect_funcs_match(const Interface& iface, const std::vector<test::NamedFuncType>& expected) {
  ComponentTypes types;
  ASSERT_EQ(iface.functions.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const Function& f = iface.functions[i];
    EXPECT_EQ(f.name, expected[i].name);
    auto ft = types.func(f);
    ASSERT_TRUE(ft.ok()) << ft.error().message;
    std::string why;
    EXPECT_TRUE(component::same_func_type(*ft, expected[i].type, &why, "the WIT", "the host"))
        << f.name << ": " << why;
  }
}

TEST(WitComponentTypes, SeedFunctionsEqualTheHandWrittenHostTypes) {
  auto set = load_wit(std::string(ACTR_SOURCE_ROOT) + "/wit/actr-workload.wit");
  ASSERT_TRUE(set.ok()) << set.error().message;
  expect_funcs_match(*set->main().find_interface("host"), test::workload_host_funcs());
  expect_funcs_match(*set->main().find_interface("workload"), test::workload_export_funcs());
}

TEST(WitComponentTypes, NamedTypesCarryTheirWitName) {
  auto set = load_wit(std::string(ACTR_SOURCE_ROOT) + "/wit/actr-workload.wit");
  ASSERT_TRUE(set.ok()) << set.error().message;
  const Interface& types_iface = *set->main().find_interface("types");
  ComponentTypes types;
  for (const auto& def : types_iface.types) {
    auto t = types.type(*def);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ((*t)->wit_name, def->name);
  }
  auto dest = types.type(*types_iface.scope.at("dest"));
  std::string why;
  EXPECT_TRUE(component::same_type(**dest, *test::workload_types().dest, &why)) << why;
  // one TypeRef per definition
  EXPECT_EQ(types.type(*types_iface.scope.at("dest"))->get(), dest->get());
}

TEST(WitComponentTypes, EveryConstruct) {
  auto set = resolve_sources({Group{{"t.wit", R"(
    package a:b;
    interface i {
      type bytes = list<u8>;
      type pair = tuple<u32, string>;
      enum color { red, green }
      flags perms { read, write }
      resource file { size: func() -> u64; constructor(); }
      f: func(a: bytes, b: pair, c: color, d: perms, e: option<result<_, color>>) -> result<u32>;
    }
  )"}}});
  ASSERT_TRUE(set.ok()) << set.error().message;
  const Interface& i = *set->main().find_interface("i");
  ComponentTypes types;
  auto ft = types.func(i.functions[0]);
  ASSERT_TRUE(ft.ok()) << ft.error().message;
  using namespace component;
  FuncType expected{{{"a", list_of(primitive(Kind::U8))},
                     {"b", tuple_of({primitive(Kind::U32), primitive(Kind::String)})},
                     {"c", enum_of({"red", "green"})},
                     {"d", flags_of({"read", "write"})},
                     {"e", option_of(result_of(nullptr, enum_of({"red", "green"})))}},
                    {{"", result_of(primitive(Kind::U32), nullptr)}}};
  std::string why;
  EXPECT_TRUE(same_func_type(*ft, expected, &why)) << why;
  EXPECT_EQ(ft->params[0].type->wit_name, "bytes");
  EXPECT_EQ(ft->params[2].type->wit_name, "color");

  const TypeDef& file = *i.scope.at("file");
  auto size = types.func(file.functions[0], &file);
  ASSERT_TRUE(size.ok()) << size.error().message;
  ASSERT_EQ(size->params.size(), 1u);
  EXPECT_EQ(size->params[0].type->kind, Kind::Borrow);
  auto ctor = types.func(file.functions[1], &file);
  ASSERT_TRUE(ctor.ok());
  EXPECT_EQ(ctor->results[0].type->kind, Kind::Own);
  EXPECT_EQ(ctor->results[0].type->resource, size->params[0].type->resource);
}

}  // namespace
}  // namespace actr::witgen
