// SIGINT/SIGTERM handling for the long-running commands (`actr run`, `actr signal`): block the
// signals before any thread starts (threads inherit the mask, so only the waiting thread takes
// them), then wait for one.
#pragma once

#include <signal.h>

namespace actr::cli {

class StopSignals {
 public:
  StopSignals();       // blocks SIGINT and SIGTERM in the calling thread
  const char* wait();  // returns "SIGINT" or "SIGTERM"

 private:
  sigset_t set_;
};

}  // namespace actr::cli
