// SIGINT/SIGTERM handling for the long-running commands (`actr run`, `actr signal`): the signals
// are blocked before any thread starts (threads inherit the mask, so none is interrupted at a
// random point) and taken by one watcher thread. The first signal cancels every compile at once
// (wasm::cancel_compiles), so a node that is still compiling its components stops now, and wakes
// wait().
#pragma once

#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace actr::cli {

class StopSignals {
 public:
  StopSignals();   // blocks SIGINT and SIGTERM in the calling thread, starts the watcher
  ~StopSignals();  // stops the watcher, restores the calling thread's signal mask
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  const char* wait();      // until a signal came; returns "SIGINT" or "SIGTERM"
  const char* received();  // the signal that came, or null
  int exit_code() const;   // 128 + the signal, for a command that stopped early

 private:
  sigset_t set_, previous_;
  std::mutex mu_;
  std::condition_variable cv_;
  int signal_ = 0;
  bool closing_ = false;
  std::thread watcher_;
};

}  // namespace actr::cli
