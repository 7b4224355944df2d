#include "wasi/output_channel.hpp"

#include <spdlog/spdlog.h>

namespace actr::wasi {
namespace {
// A guest that never writes a newline must not grow the buffer without bound.
constexpr size_t kMaxPendingLine = 16 * 1024;
}  // namespace

OutputChannel::OutputChannel(Stream stream, std::string instance_name, OutputSink sink,
                             std::shared_ptr<spdlog::logger> logger, uint32_t max_lines_per_second)
    : stream_(stream),
      instance_name_(std::move(instance_name)),
      sink_(std::move(sink)),
      logger_(std::move(logger)),
      rate_(max_lines_per_second),
      tokens_(10.0 * max_lines_per_second),
      refilled_(std::chrono::steady_clock::now()) {}

OutputChannel::~OutputChannel() { flush_partial_line(); }

std::optional<StreamError> OutputChannel::write(std::string_view bytes) {
  if (closed_) return StreamError::closed();
  if (sink_) {
    if (bytes.empty() || sink_(bytes)) return std::nullopt;
    closed_ = true;
    return StreamError::failed(std::string(stream_ == Stream::Stdout ? "stdout" : "stderr") +
                               " of `" + instance_name_ + "` is no longer writable");
  }
  while (!bytes.empty()) {
    auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      pending_.append(bytes);
      if (pending_.size() >= kMaxPendingLine) flush_partial_line();
      break;
    }
    pending_.append(bytes.substr(0, newline));
    log_line(pending_);
    pending_.clear();
    bytes.remove_prefix(newline + 1);
  }
  return std::nullopt;
}

std::optional<StreamError> OutputChannel::flush() {
  if (closed_) return StreamError::closed();
  return std::nullopt;
}

void OutputChannel::flush_partial_line() {
  if (sink_ || pending_.empty()) return;
  log_line(pending_);
  pending_.clear();
}

void OutputChannel::log_line(std::string_view line) {
  if (rate_ > 0) {
    auto now = std::chrono::steady_clock::now();
    tokens_ = std::min(10.0 * rate_,
                       tokens_ + rate_ * std::chrono::duration<double>(now - refilled_).count());
    refilled_ = now;
    if (tokens_ < 1) {
      ++dropped_;
      return;
    }
    tokens_ -= 1;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  auto& logger = logger_ ? *logger_ : *spdlog::default_logger_raw();
  bool out = stream_ == Stream::Stdout;
  if (dropped_ > 0) {
    logger.log(spdlog::level::warn, "[{} {}] ({} lines dropped: more than {} a second)",
               instance_name_, out ? "stdout" : "stderr", dropped_, rate_);
    dropped_ = 0;
  }
  logger.log(out ? spdlog::level::info : spdlog::level::warn, "[{} {}] {}", instance_name_,
             out ? "stdout" : "stderr", line);
}

}  // namespace actr::wasi
