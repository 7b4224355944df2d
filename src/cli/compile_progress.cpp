#include "cli/compile_progress.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

namespace actr::cli {

namespace {

std::string sizes(const wasm::CompileProgress& p) {
  char buf[160];
  int n =
      std::snprintf(buf, sizeof buf, "%.1f MB of wasm, %.1f MB of C",
                    static_cast<double>(p.wasm_bytes) / 1e6, static_cast<double>(p.c_bytes) / 1e6);
  if (p.profiled_functions > 0 && n > 0 && static_cast<size_t>(n) < sizeof buf) {
    std::snprintf(buf + n, sizeof buf - n, "; %zu of %zu functions ran before",
                  p.profiled_functions, p.functions);
  }
  return buf;
}

}  // namespace

CompileProgressDisplay::CompileProgressDisplay(bool log_otherwise)
    : terminal_(::isatty(STDERR_FILENO) == 1), log_otherwise_(log_otherwise) {
  if (terminal_) ticker_ = std::thread([this] { tick(); });
}

CompileProgressDisplay::~CompileProgressDisplay() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

std::function<void(const wasm::CompileProgress&)> CompileProgressDisplay::callback() {
  return [this](const wasm::CompileProgress& p) { on_progress(p); };
}

void CompileProgressDisplay::on_progress(const wasm::CompileProgress& p) {
  using Stage = wasm::CompileProgress::Stage;
  std::lock_guard lock(mu_);
  if (p.stage == Stage::Translated) {
    if (running_++ == 0) began_ = std::chrono::steady_clock::now();
    last_ = p;
    if (!terminal_ && log_otherwise_) spdlog::info("compiling a core module ({})", sizes(p));
    return;
  }
  if (p.stage == Stage::Compiling) {
    last_ = p;
    if (!terminal_ && log_otherwise_ && p.units_total > 1 &&
        (p.units_done % 10 == 0 || p.units_done == p.units_total)) {
      spdlog::info("compiling a core module: {}/{} units", p.units_done, p.units_total);
    }
    return;
  }
  if (p.stage != Stage::Finished && p.stage != Stage::Failed) return;
  if (running_ > 0) --running_;
  double seconds = static_cast<double>(p.elapsed.count()) / 1000.0;
  if (terminal_) {
    if (shown_ || seconds >= 1.0) {
      std::fprintf(stderr, "\r\033[K%s a core module (%s) in %.1f s\n",
                   p.stage == Stage::Finished ? "compiled" : "failed to compile", sizes(p).c_str(),
                   seconds);
    }
    shown_ = false;
  } else if (p.stage == Stage::Finished && log_otherwise_) {
    spdlog::info("compiled a core module ({}) in {:.1f} s", sizes(p), seconds);
  }
}

void CompileProgressDisplay::tick() {
  std::unique_lock lock(mu_);
  while (!quit_) {
    cv_.wait_for(lock, std::chrono::seconds(1));
    if (quit_ || running_ == 0) continue;
    auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - began_)
            .count();
    if (seconds < 1) continue;
    std::string units;
    if (last_.units_total > 1) {
      units = ", " + std::to_string(last_.units_done) + "/" + std::to_string(last_.units_total) +
              " units";
    }
    std::fprintf(stderr, "\r\033[Kcompiling %d core module%s (%s%s): %lld s, Ctrl-C stops it",
                 running_, running_ == 1 ? "" : "s", sizes(last_).c_str(), units.c_str(),
                 static_cast<long long>(seconds));
    std::fflush(stderr);
    shown_ = true;
  }
}

}  // namespace actr::cli
