// The WIT types of the WASI 0.2 interfaces this host implements, built exactly as WASI defines
// them (the linker compares them structurally with what a guest imports). Identical in every
// 0.2.x release: tests/wasi/golden holds the published WIT, flattened, to check against.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "actr/component/types.hpp"

namespace actr::wasi {

// The resource types WASI defines, as the linker created them for one registration.
struct WasiResources {
  std::shared_ptr<const component::ResourceType> error;            // wasi:io/error
  std::shared_ptr<const component::ResourceType> pollable;         // wasi:io/poll
  std::shared_ptr<const component::ResourceType> input_stream;     // wasi:io/streams
  std::shared_ptr<const component::ResourceType> output_stream;    // wasi:io/streams
  std::shared_ptr<const component::ResourceType> terminal_input;   // wasi:cli/terminal-input
  std::shared_ptr<const component::ResourceType> terminal_output;  // wasi:cli/terminal-output
  std::shared_ptr<const component::ResourceType> descriptor;       // wasi:filesystem/types
  std::shared_ptr<const component::ResourceType> directory_entry_stream;
};

// The named types (records, variants, enums, flags); aliases of primitives (instant, duration,
// filesize, link-count) are just the primitive.
struct WasiTypes {
  component::TypeRef stream_error;  // wasi:io/streams
  component::TypeRef datetime;      // wasi:clocks/wall-clock
  // wasi:filesystem/types
  component::TypeRef descriptor_type, descriptor_flags, descriptor_stat, path_flags, open_flags,
      new_timestamp, directory_entry, error_code, advice, metadata_hash_value;
};

WasiTypes make_wasi_types(const WasiResources& resources);

// Case indices, in WIT order.
enum class StreamErrorCase : uint32_t { LastOperationFailed, Closed };

enum class FsErrorCode : uint32_t {
  Access,
  WouldBlock,
  Already,
  BadDescriptor,
  Busy,
  Deadlock,
  Quota,
  Exist,
  FileTooLarge,
  IllegalByteSequence,
  InProgress,
  Interrupted,
  Invalid,
  Io,
  IsDirectory,
  Loop,
  TooManyLinks,
  MessageSize,
  NameTooLong,
  NoDevice,
  NoEntry,
  NoLock,
  InsufficientMemory,
  InsufficientSpace,
  NotDirectory,
  NotEmpty,
  NotRecoverable,
  Unsupported,
  NoTty,
  NoSuchDevice,
  Overflow,
  NotPermitted,
  Pipe,
  ReadOnly,
  InvalidSeek,
  TextFileBusy,
  CrossDevice,
};

}  // namespace actr::wasi
