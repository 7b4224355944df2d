#include "runtime/job_fiber.hpp"

#include <memory>

#include "runtime/fiber_stack.hpp"

namespace actr::runtime::job_fiber {

namespace {

// What the fiber resumed next runs; no `run`: it ends.
constinit thread_local Job tls_next{nullptr, nullptr};

// A fiber's whole life. No local has a destructor: a fiber dropped while a job waits unwinds
// through this frame without a landing pad.
boost::context::fiber run_jobs(boost::context::fiber&& sink) {
  for (;;) {
    Job job = tls_next;
    if (!job.run) return std::move(sink);
    job.run(job.arg, sink);
    sink = std::move(sink).resume();
  }
}

}  // namespace

boost::context::fiber make() {
  return boost::context::fiber(std::allocator_arg, FiberStack(), &run_jobs);
}

void next(Job job) { tls_next = job; }

void end(boost::context::fiber&& fiber) {
  if (!fiber) return;
  tls_next = Job{nullptr, nullptr};
  fiber = std::move(fiber).resume();
}

}  // namespace actr::runtime::job_fiber
