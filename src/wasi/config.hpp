// How the host presents the outside world to one WASI guest: its environment, arguments, stdin,
// and where its stdout and stderr go.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spdlog {
class logger;
}

namespace actr::wasi {

// Receives bytes a guest wrote, unbuffered, as soon as it writes them. Returns false when the
// destination can take no more (e.g. a closed pipe): the guest's write then fails with
// `last-operation-failed` and the stream reports `closed` from then on.
using OutputSink = std::function<bool(std::string_view bytes)>;

// A host directory shown to the guest under `guest` (wasi:filesystem/preopens). Paths the guest
// opens stay beneath it (the kernel resolves them with RESOLVE_BENEATH); without `writable` the
// guest can read but not create, change or remove anything there.
struct Preopen {
  std::filesystem::path host;
  std::string guest;
  bool writable = false;
};

struct WasiConfig {
  // Tags the guest's log lines, e.g. "[echo stdout] hello".
  std::string instance_name = "guest";
  // Nothing is inherited from the host process: a guest sees only what is configured here.
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> args;
  std::optional<std::string> initial_cwd;
  std::vector<Preopen> preopens;  // none: the guest can open no file
  std::string stdin_bytes;        // read by the guest, then end of stream
  // Null: lines go to `logger` (stdout at info level, stderr at warn), line-buffered; a partial
  // last line is logged when the WasiState is destroyed.
  OutputSink stdout_sink;
  OutputSink stderr_sink;
  std::shared_ptr<spdlog::logger> logger;  // null: spdlog's default logger
  // Logger mode: at most this many lines a second per stream (bursts of ten times that); the
  // rest are dropped and counted in the next line that gets through. 0: no limit.
  uint32_t max_lines_per_second = 0;
};

}  // namespace actr::wasi
