#include "cli/stop_signals.hpp"

#include <pthread.h>

namespace actr::cli {

StopSignals::StopSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

const char* StopSignals::wait() {
  int sig = 0;
  sigwait(&set_, &sig);
  return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

}  // namespace actr::cli
