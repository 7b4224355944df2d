// What the files of the Actor class share (actor.cpp: intake and the worker side;
// actor_supervision.cpp: failures, restarts, dead letters; actor_lifecycle.cpp: start, stop,
// tier-up, streams). Private to src/runtime.
#pragma once

#include <chrono>
#include <string>

#include "runtime/actor.hpp"

namespace actr::runtime::actor_detail {

// The actor whose guest code runs on this thread (Actor::current()).
extern constinit thread_local Actor* tls_current;

// Makes `actor` the current one for the scope's span.
class CurrentActor {
 public:
  explicit CurrentActor(Actor* actor) : outer_(tls_current) { tls_current = actor; }
  ~CurrentActor() { tls_current = outer_; }
  CurrentActor(const CurrentActor&) = delete;
  CurrentActor& operator=(const CurrentActor&) = delete;

 private:
  Actor* outer_;
};

workload::types::Timestamp now_timestamp();
std::string seconds_text(std::chrono::milliseconds ms);

}  // namespace actr::runtime::actor_detail
