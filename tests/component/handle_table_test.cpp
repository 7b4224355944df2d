// Resource handle tables: own/borrow semantics of the canonical ABI.
#include "component/canonical/handle_table.hpp"

#include <gtest/gtest.h>

#include "actr/wasm/trap.hpp"

namespace actr::component::canonical {
namespace {

std::shared_ptr<const ResourceType> resource(std::string name, bool host = false) {
  return std::make_shared<const ResourceType>(ResourceType{std::move(name), host});
}

template <typename T>
std::string error_of(const Result<T>& r) {
  return r.ok() ? std::string("<ok>") : r.error().message;
}

TEST(HandleTableTest, NewRepDropAndSlotReuse) {
  HandleTable table;
  auto r = resource("r");
  auto a = table.resource_new(r, 100);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 1u) << "index 0 is never used";
  auto b = table.resource_new(r, 200);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, 2u);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(*table.resource_rep(1, *r), 100u);
  EXPECT_EQ(*table.resource_rep(2, *r), 200u);

  auto dropped = table.resource_drop(1, *r);
  ASSERT_TRUE(dropped.ok());
  ASSERT_TRUE(dropped->has_value()) << "dropping an own handle asks for the destructor";
  EXPECT_EQ(**dropped, 100u);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.get(1), nullptr);

  auto c = table.resource_new(r, 300);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, 1u) << "freed slots are reused";
}

TEST(HandleTableTest, UnknownIndicesTrap) {
  HandleTable table;
  auto r = resource("r");
  EXPECT_EQ(error_of(table.resource_rep(0, *r)), "unknown handle index 0");
  EXPECT_EQ(error_of(table.resource_drop(5, *r)), "unknown handle index 5");
  EXPECT_EQ(error_of(table.resource_drop(4294967295u, *r)), "unknown handle index 4294967295");
  ASSERT_TRUE(table.resource_new(r, 1).ok());
  ASSERT_TRUE(table.resource_drop(1, *r).ok());
  auto twice = table.resource_drop(1, *r);
  EXPECT_EQ(error_of(twice), "unknown handle index 1");
  EXPECT_EQ(wasm::trap_kind(twice.error()), wasm::TrapKind::Other);
  EXPECT_EQ(error_of(table.lift_own(1, *r)), "unknown handle index 1");
}

TEST(HandleTableTest, WrongTypeTraps) {
  HandleTable table;
  auto r1 = resource("r1");
  auto r2 = resource("r2");
  auto h = resource("stream", true);
  ASSERT_TRUE(table.resource_new(r1, 7).ok());
  EXPECT_EQ(error_of(table.resource_drop(1, *r2)),
            "handle index 1 used with the wrong type, expected guest-defined resource but found a "
            "different guest-defined resource (expected `r2`, found `r1`)");
  EXPECT_EQ(error_of(table.lift_own(1, *h)),
            "handle index 1 used with the wrong type, expected host-defined resource but found a "
            "guest-defined resource (expected `stream`, found `r1`)");
  EXPECT_TRUE(table.resource_rep(1, *r1).ok()) << "a failed check leaves the handle alone";
}

TEST(HandleTableTest, LiftOwnMovesTheHandleOut) {
  HandleTable table;
  auto r = resource("r");
  ASSERT_TRUE(table.resource_new(r, 42).ok());
  auto rep = table.lift_own(1, *r);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(*rep, 42u);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(error_of(table.resource_rep(1, *r)), "unknown handle index 1");
}

TEST(HandleTableTest, LendingBlocksDropAndMoveUntilTheCallEnds) {
  HandleTable table;
  auto r = resource("r");
  ASSERT_TRUE(table.resource_new(r, 9).ok());
  {
    CallScope call(table);
    auto rep = table.lift_borrow(1, *r, call);
    ASSERT_TRUE(rep.ok());
    EXPECT_EQ(*rep, 9u);
    EXPECT_EQ(table.get(1)->num_lends, 1u);
    EXPECT_EQ(call.lends(), 1u);
    EXPECT_EQ(error_of(table.resource_drop(1, *r)), "cannot remove owned resource while borrowed");
    EXPECT_EQ(error_of(table.lift_own(1, *r)), "cannot remove owned resource while borrowed");
    // Lending twice in one call is fine; both lends end with the call.
    ASSERT_TRUE(table.lift_borrow(1, *r, call).ok());
    EXPECT_EQ(table.get(1)->num_lends, 2u);
    EXPECT_TRUE(call.finish().ok());
  }
  EXPECT_EQ(table.get(1)->num_lends, 0u);
  EXPECT_TRUE(table.resource_drop(1, *r).ok());
}

TEST(HandleTableTest, ScopeDestructorGivesBackLendsAfterAnError) {
  HandleTable table;
  auto r = resource("r");
  ASSERT_TRUE(table.resource_new(r, 9).ok());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(table.resource_new(r, 10 + i).ok());
  {
    CallScope call(table);
    for (uint32_t i = 1; i <= 7; ++i) ASSERT_TRUE(table.lift_borrow(i, *r, call).ok());
    EXPECT_EQ(call.lends(), 7u);
  }  // not finished: e.g. the host function failed
  for (uint32_t i = 1; i <= 7; ++i) EXPECT_EQ(table.get(i)->num_lends, 0u) << i;
}

TEST(HandleTableTest, LoweredBorrowsMustBeDroppedBeforeTheCallEnds) {
  HandleTable callee;
  auto r = resource("r", true);
  {
    CallScope call(callee);
    auto b = callee.lower_borrow(r, 55, call);
    ASSERT_TRUE(b.ok());
    const HandleTable::Entry* e = callee.get(*b);
    ASSERT_NE(e, nullptr);
    EXPECT_FALSE(e->own);
    EXPECT_EQ(e->rep, 55u);
    EXPECT_EQ(call.borrows(), 1u);
    EXPECT_EQ(*callee.resource_rep(*b, *r), 55u);
    auto dropped = callee.resource_drop(*b, *r);
    ASSERT_TRUE(dropped.ok());
    EXPECT_FALSE(dropped->has_value()) << "dropping a borrow runs no destructor";
    EXPECT_EQ(call.borrows(), 0u);
    EXPECT_TRUE(call.finish().ok());
  }
  {
    CallScope call(callee);
    auto b = callee.lower_borrow(r, 56, call);
    ASSERT_TRUE(b.ok());
    auto end = call.finish();
    ASSERT_FALSE(end.ok());
    EXPECT_EQ(end.error().message,
              "borrow handles still remain at the end of the call (1 not dropped)");
    EXPECT_EQ(callee.get(*b), nullptr) << "a finished scope leaves no borrow handle behind";
  }
  EXPECT_EQ(callee.size(), 0u);
}

TEST(HandleTableTest, BorrowHandleCannotBeMovedAsOwn) {
  HandleTable table;
  auto r = resource("r");
  CallScope call(table);
  auto b = table.lower_borrow(r, 1, call);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(error_of(table.lift_own(*b, *r)),
            "handle index 1 is a borrow, but an owned handle is required");
  EXPECT_TRUE(table.resource_drop(*b, *r).ok());
  EXPECT_TRUE(call.finish().ok());
}

TEST(HandleTableTest, BorrowsOfTheInstancesOwnResourcesPassTheRep) {
  HandleTable table;
  auto mine = resource("mine");
  table.add_defined(mine.get());
  EXPECT_TRUE(table.defines(mine.get()));
  CallScope call(table);
  auto b = table.lower_borrow(mine, 1234, call);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, 1234u);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(call.borrows(), 0u);
  EXPECT_TRUE(call.finish().ok());
}

TEST(HandleTableTest, LowerOwnAddsAnOwnHandle) {
  HandleTable table;
  auto r = resource("r", true);
  auto h = table.lower_own(r, 77);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(table.get(*h)->own);
  auto dropped = table.resource_drop(*h, *r);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(dropped->value_or(0), 77u);
}

TEST(HandleTableTest, DropRunsTheDestructorForOwnHandlesOnly) {
  HandleTable table;
  auto r = resource("r", true);
  std::vector<uint32_t> destroyed;
  auto dtor = [&](uint32_t rep) -> Result<void> {
    destroyed.push_back(rep);
    return {};
  };
  ASSERT_TRUE(table.resource_new(r, 31).ok());
  EXPECT_TRUE(table.resource_drop(1, *r, dtor).ok());
  EXPECT_EQ(destroyed, std::vector<uint32_t>{31});
  CallScope call(table);
  auto b = table.lower_borrow(r, 32, call);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(table.resource_drop(*b, *r, dtor).ok());
  EXPECT_EQ(destroyed, std::vector<uint32_t>{31}) << "a borrow has no destructor to run";
  EXPECT_TRUE(call.finish().ok());
  // A failing destructor traps the caller.
  ASSERT_TRUE(table.resource_new(r, 33).ok());
  auto failed = table.resource_drop(
      1, *r, [](uint32_t) -> Result<void> { return wasm::make_trap(wasm::TrapKind::Unreachable); });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(wasm::trap_kind(failed.error()), wasm::TrapKind::Unreachable);
}

TEST(HandleTableTest, LentBorrowHandleCannotBeDropped) {
  // A guest passes a borrow it received on to an import: the borrow handle is lent.
  HandleTable table;
  auto r = resource("r", true);
  CallScope outer(table);
  auto b = table.lower_borrow(r, 5, outer);
  ASSERT_TRUE(b.ok());
  {
    CallScope inner(table);
    ASSERT_TRUE(table.lift_borrow(*b, *r, inner).ok());
    EXPECT_EQ(error_of(table.resource_drop(*b, *r)), "cannot remove owned resource while borrowed");
    EXPECT_TRUE(inner.finish().ok());
  }
  EXPECT_TRUE(table.resource_drop(*b, *r).ok());
  EXPECT_TRUE(outer.finish().ok());
}

}  // namespace
}  // namespace actr::component::canonical
