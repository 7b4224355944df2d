#include "cli/stop_signals.hpp"

#include <pthread.h>

#include "actr/wasm/engine.hpp"

namespace actr::cli {

StopSignals::StopSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, &previous_);
  watcher_ = std::thread([this] {
    int sig = 0;
    sigwait(&set_, &sig);
    std::lock_guard lock(mu_);
    if (closing_) return;  // the destructor's own wake-up
    wasm::cancel_compiles();
    signal_ = sig;
    cv_.notify_all();
  });
}

StopSignals::~StopSignals() {
  bool signalled = false;
  {
    std::lock_guard lock(mu_);
    signalled = signal_ != 0;
    closing_ = true;
  }
  // Wake the watcher with a signal of our own, sent to that thread only.
  if (!signalled) pthread_kill(watcher_.native_handle(), SIGTERM);
  watcher_.join();
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

const char* StopSignals::wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return signal_ != 0; });
  return signal_ == SIGINT ? "SIGINT" : "SIGTERM";
}

const char* StopSignals::received() {
  std::lock_guard lock(mu_);
  if (signal_ == 0) return nullptr;
  return signal_ == SIGINT ? "SIGINT" : "SIGTERM";
}

int StopSignals::exit_code() const { return 128 + (signal_ == 0 ? SIGTERM : signal_); }

}  // namespace actr::cli
