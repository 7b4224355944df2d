// Fibers that run one job after another (an actor's export calls, Actor::run_fiber). When a job
// ends its fiber switches back and waits for the next job instead of ending, so that a worker can
// keep it (Worker::keep_fiber): a job on a kept fiber costs the switch in and the switch back, a
// new fiber also the switches that set it up and tear it down. A fiber that waits between jobs is
// ended with end(), which lets it return: destroying it would unwind it, and a throw on a fiber's
// stack costs microseconds (and misleads AddressSanitizer, which does not know fiber stacks).
#pragma once

#include <boost/context/fiber.hpp>

namespace actr::runtime::job_fiber {

// A job: `run(arg, sink)` on the fiber. `sink` is the fiber that resumed it; the job switches
// back to it to wait (sink = std::move(sink).resume()). The job ends when run returns.
struct Job {
  void (*run)(void* arg, boost::context::fiber& sink);
  void* arg;
};

// A new fiber, which runs the job given by next() when it is first resumed.
boost::context::fiber make();
// The job that the next resume of a fiber waiting between jobs (or a new one) runs; read by that
// fiber at once, on this thread.
void next(Job job);
// Ends `fiber`, which waits between jobs (or is new), without unwinding it.
void end(boost::context::fiber&& fiber);

}  // namespace actr::runtime::job_fiber
