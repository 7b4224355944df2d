// workload::CallerId, the caller a message carries: one immutable id shared by the messages an
// actor sends, read and compared as std::optional<ActrId> would be.
#include "workload/caller_id.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "workload/message.hpp"

namespace actr::test {
namespace {

using workload::ActrId;
using workload::CallerId;

ActrId some_id(uint64_t serial, std::string name = "caller") {
  return ActrId{{7}, serial, {"acme", std::move(name), "0.1.0"}};
}

TEST(RuntimeCallerId, IsEmptyByDefaultAndAfterResetOrNullopt) {
  CallerId none;
  EXPECT_FALSE(none);
  EXPECT_FALSE(none.has_value());
  EXPECT_EQ(none.value_or(some_id(1)), some_id(1));
  EXPECT_EQ(none.to_optional(), std::nullopt);

  CallerId set = some_id(2);
  ASSERT_TRUE(set);
  set.reset();
  EXPECT_FALSE(set.has_value());
  EXPECT_EQ(set.shared(), nullptr);

  set = some_id(3);
  set = std::nullopt;
  EXPECT_FALSE(set);
}

TEST(RuntimeCallerId, AssignedAnIdHoldsItsOwnCopy) {
  ActrId id = some_id(4);
  CallerId caller;
  caller = id;
  ASSERT_TRUE(caller.has_value());
  EXPECT_EQ(*caller, id);
  EXPECT_EQ(caller->serial_number, 4u);
  EXPECT_EQ(caller->type.name, "caller");
  EXPECT_EQ(caller.value_or(some_id(9)), id);
  EXPECT_EQ(caller.to_optional(), std::optional<ActrId>(id));
  id.type.name = "changed";  // the caller's copy is its own
  EXPECT_EQ(caller->type.name, "caller");
}

TEST(RuntimeCallerId, CopiesAndMessagesShareTheActorsIdWithoutCopyingIt) {
  auto own = std::make_shared<const ActrId>(some_id(5));
  CallerId caller = own;
  EXPECT_EQ(caller.shared().get(), own.get());
  EXPECT_EQ(&*caller, own.get());

  CallerId copy = caller;
  EXPECT_EQ(copy.shared().get(), own.get());

  workload::Message m;
  m.caller = own;
  workload::Message moved = std::move(m);
  EXPECT_EQ(&*moved.caller, own.get());
  workload::Message copied = moved;
  EXPECT_EQ(&*copied.caller, own.get());
  EXPECT_EQ(own.use_count(), 5);  // own, caller, copy, moved, copied

  copied.caller.reset();  // drops this message's share only
  EXPECT_TRUE(moved.caller);
  EXPECT_EQ(own.use_count(), 4);
}

TEST(RuntimeCallerId, ComparesByValue) {
  CallerId a = some_id(6);
  CallerId b = some_id(6);  // another allocation, the same id
  EXPECT_NE(a.shared(), b.shared());
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, a);
  EXPECT_NE(a, CallerId(some_id(7)));
  EXPECT_NE(a, CallerId(some_id(6, "other")));
  EXPECT_NE(a, CallerId());
  EXPECT_NE(CallerId(), a);
  EXPECT_EQ(CallerId(), CallerId(std::nullopt));
}

}  // namespace
}  // namespace actr::test
