#include "runtime/fiber_stack.hpp"

#include <boost/context/protected_fixedsize_stack.hpp>
#include <vector>

namespace actr::runtime {

namespace {

constexpr size_t kCached = 64;

struct Cache {
  std::vector<boost::context::stack_context> free;
  ~Cache() {
    boost::context::protected_fixedsize_stack alloc(FiberStack::kSize);
    for (auto& s : free) alloc.deallocate(s);
  }
};

thread_local Cache cache;

}  // namespace

boost::context::stack_context FiberStack::allocate() {
  if (!cache.free.empty()) {
    auto s = cache.free.back();
    cache.free.pop_back();
    return s;
  }
  return boost::context::protected_fixedsize_stack(kSize).allocate();
}

void FiberStack::deallocate(boost::context::stack_context& sctx) noexcept {
  if (cache.free.size() < kCached) {
    cache.free.push_back(sctx);
    return;
  }
  boost::context::protected_fixedsize_stack(kSize).deallocate(sctx);
}

}  // namespace actr::runtime
