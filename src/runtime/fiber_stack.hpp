// Stacks for the fibers that run guest code: 256 KiB with a guard page (the aot engine lets guest
// code use up to 96 KiB below the outermost entry on a stack it does not own; the rest is for the
// host's canonical-ABI and import code). A small per-thread cache saves the mmap/mprotect pair
// per message.
#pragma once

#include <boost/context/stack_context.hpp>
#include <cstddef>

namespace actr::runtime {

class FiberStack {
 public:
  static constexpr size_t kSize = 256 * 1024;
  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& sctx) noexcept;
};

}  // namespace actr::runtime
