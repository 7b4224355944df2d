// What a command shows while the aot engine compiles (which can take minutes for a big
// component): on a terminal, a line on stderr that counts the seconds once a compile has taken
// more than one; otherwise a log line when one starts and when it ends.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "actr/wasm/engine.hpp"

namespace actr::cli {

class CompileProgressDisplay {
 public:
  // `log_otherwise`: without a terminal, log a line when a compile starts and ends (a node's
  // log); else stay silent there (a command whose output is its result, like invoke).
  explicit CompileProgressDisplay(bool log_otherwise = true);
  ~CompileProgressDisplay();
  CompileProgressDisplay(const CompileProgressDisplay&) = delete;
  CompileProgressDisplay& operator=(const CompileProgressDisplay&) = delete;

  // For wasm::EngineOptions::on_compile / runtime::NodeOptions::on_compile.
  std::function<void(const wasm::CompileProgress&)> callback();

 private:
  void on_progress(const wasm::CompileProgress& p);
  void tick();

  const bool terminal_;
  const bool log_otherwise_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool quit_ = false;
  int running_ = 0;
  wasm::CompileProgress last_;
  std::chrono::steady_clock::time_point began_;
  bool shown_ = false;
  std::thread ticker_;
};

}  // namespace actr::cli
