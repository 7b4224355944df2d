// Where an output stream's bytes go (stdout or stderr of one guest), shared by every handle the
// guest opens on it: a configured sink, or the logger with line buffering.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wasi/config.hpp"
#include "wasi/stream_error.hpp"

namespace actr::wasi {

// Where an output stream's bytes go: a guest's stdout or stderr (OutputChannel), or a file
// (file_streams.hpp).
class OutputTarget {
 public:
  virtual ~OutputTarget() = default;
  // Delivers `bytes`; an error is reported to the guest as a stream error.
  virtual std::optional<StreamError> write(std::string_view bytes) = 0;
  virtual std::optional<StreamError> flush() = 0;
  virtual bool closed() const = 0;
};

class OutputChannel final : public OutputTarget {
 public:
  enum class Stream { Stdout, Stderr };

  // Without a sink, complete lines go to `logger` (null: spdlog's default logger).
  OutputChannel(Stream stream, std::string instance_name, OutputSink sink,
                std::shared_ptr<spdlog::logger> logger, uint32_t max_lines_per_second = 0);
  ~OutputChannel();  // logs a pending partial line
  OutputChannel(const OutputChannel&) = delete;
  OutputChannel& operator=(const OutputChannel&) = delete;

  // Delivers `bytes`. The first failure of the sink is reported once as LastOperationFailed;
  // after it, and after close(), every operation reports Closed.
  std::optional<StreamError> write(std::string_view bytes) override;
  // Succeeds unless closed. Does not break a pending partial line: guests flush after every
  // write, and a log line per flush would split lines at arbitrary points.
  std::optional<StreamError> flush() override;
  void close() { closed_ = true; }
  bool closed() const override { return closed_; }

  // Logs a pending partial line now (no-op with a sink).
  void flush_partial_line();

 private:
  void log_line(std::string_view line);

  Stream stream_;
  std::string instance_name_;
  OutputSink sink_;
  std::shared_ptr<spdlog::logger> logger_;
  std::string pending_;  // logger mode: bytes after the last newline
  bool closed_ = false;
  // Logger mode's rate limit (token bucket in lines).
  double rate_ = 0, tokens_ = 0;
  std::chrono::steady_clock::time_point refilled_;
  uint64_t dropped_ = 0;
};

}  // namespace actr::wasi
