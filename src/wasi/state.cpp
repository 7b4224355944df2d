#include "wasi/state.hpp"

namespace actr::wasi {

Result<std::shared_ptr<WasiState>> WasiState::create(WasiConfig config) {
  uint64_t seeds[3];
  ACTR_TRY_VOID(secure_random_fill(reinterpret_cast<uint8_t*>(seeds), sizeof seeds));
  return std::shared_ptr<WasiState>(
      new WasiState(std::move(config), seeds[0], {seeds[1], seeds[2]}));
}

WasiState::WasiState(WasiConfig config, uint64_t random_seed,
                     std::pair<uint64_t, uint64_t> insecure_seed)
    : config_(std::move(config)),
      stdin_(std::make_shared<InputSource>(config_.stdin_bytes)),
      stdout_(std::make_shared<OutputChannel>(OutputChannel::Stream::Stdout, config_.instance_name,
                                              config_.stdout_sink, config_.logger,
                                              config_.max_lines_per_second)),
      stderr_(std::make_shared<OutputChannel>(OutputChannel::Stream::Stderr, config_.instance_name,
                                              config_.stderr_sink, config_.logger,
                                              config_.max_lines_per_second)),
      insecure_random_(random_seed),
      insecure_seed_(insecure_seed) {}

void WasiState::flush_output() {
  stdout_->flush_partial_line();
  stderr_->flush_partial_line();
}

}  // namespace actr::wasi
