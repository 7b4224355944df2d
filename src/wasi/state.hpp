// Everything WASI keeps for one component instance: its configuration, the host objects behind
// the resource handles it holds, and how it exited. Used by one thread at a time, like the
// instance.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actr/common/result.hpp"
#include "wasi/config.hpp"
#include "wasi/file_handle.hpp"
#include "wasi/input_source.hpp"
#include "wasi/output_channel.hpp"
#include "wasi/pollable.hpp"
#include "wasi/random_source.hpp"
#include "wasi/resource_table.hpp"

namespace actr::wasi {

class WasiState {
 public:
  // Fails only if the kernel's random source does (it seeds the insecure generator).
  static Result<std::shared_ptr<WasiState>> create(WasiConfig config);

  const WasiConfig& config() const { return config_; }

  // Set when the guest called wasi:cli/exit (exit or exit-with-code).
  std::optional<int> exit_status() const { return exit_status_; }
  void set_exit_status(int status) { exit_status_ = status; }

  // Shared by every stream handle the guest opens on them. Closing an output channel makes the
  // guest's further operations on it report `closed`.
  const std::shared_ptr<InputSource>& stdin_source() const { return stdin_; }
  const std::shared_ptr<OutputChannel>& stdout_channel() const { return stdout_; }
  const std::shared_ptr<OutputChannel>& stderr_channel() const { return stderr_; }

  // Logs pending partial lines of stdout and stderr now (also done on destruction).
  void flush_output();

  // Host objects by rep, one table per resource type. A stream handle refers to the channel or
  // source it was opened on, which outlives it.
  struct InputStream {
    std::shared_ptr<InputSource> source;
  };
  struct OutputStream {
    std::shared_ptr<OutputTarget> channel;
  };
  struct IoError {
    std::string message;
    std::optional<uint32_t> fs_code;  // an FsErrorCode, for filesystem-error-code
  };
  // wasi:filesystem: descriptors of the directories the policy grants and what is opened in them.
  ResourceTable<std::shared_ptr<FileHandle>> descriptors;
  ResourceTable<DirectoryStream> directory_streams;
  ResourceTable<InputStream> input_streams;
  ResourceTable<OutputStream> output_streams;
  ResourceTable<IoError> errors;
  ResourceTable<Pollable> pollables;

  InsecureRandom& insecure_random() { return insecure_random_; }
  // wasi:random/insecure-seed: chosen once per instance, the same for every call.
  std::pair<uint64_t, uint64_t> insecure_seed() const { return insecure_seed_; }

 private:
  WasiState(WasiConfig config, uint64_t random_seed, std::pair<uint64_t, uint64_t> insecure_seed);

  WasiConfig config_;
  std::shared_ptr<InputSource> stdin_;
  std::shared_ptr<OutputChannel> stdout_, stderr_;
  InsecureRandom insecure_random_;
  std::pair<uint64_t, uint64_t> insecure_seed_;
  std::optional<int> exit_status_;
};

// The state of the instance whose call is running; must always name one (a fallback state for
// calls outside any instance's call).
using StateProvider = std::function<WasiState&()>;

}  // namespace actr::wasi
