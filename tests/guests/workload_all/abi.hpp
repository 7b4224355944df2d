// The canonical-ABI memory layouts of the actr:workload types, written by hand as C structs.
// wasm32 clang gives these structs exactly the Component Model layout (pointers are 4 bytes,
// u64 aligns to 8, a variant's payload follows its u8 discriminant at the payload's alignment);
// the static_asserts below pin every size and offset the host relies on.
#pragma once

#include <cstddef>
#include <cstdint>

namespace guest {

// string and list<T>: (pointer, length in elements) in guest memory.
struct Str {
  char* ptr;
  uint32_t len;
};
struct Bytes {
  uint8_t* ptr;
  uint32_t len;
};

struct ActrType {
  Str manufacturer;
  Str name;
  Str version;
};

struct ActrId {
  uint32_t realm_id;
  uint64_t serial_number;
  ActrType type;
};

enum DestCase : uint8_t { kDestShell, kDestLocal, kDestActor };
struct Dest {
  uint8_t tag;
  ActrId actor;
};

struct MetadataEntry {
  Str key;
  Str value;
};
struct MetadataList {
  MetadataEntry* ptr;
  uint32_t len;
};

struct OptionS64 {
  uint8_t is_some;
  int64_t value;
};

struct DataStream {
  Str stream_id;
  uint64_t sequence;
  Bytes payload;
  MetadataList metadata;
  OptionS64 timestamp_ms;
};

enum ErrorCase : uint8_t {
  kUnavailable,
  kTimedOut,
  kNotFound,
  kPermissionDenied,
  kInvalidArgument,
  kUnknownRoute,
  kDependencyNotFound,
  kDecodeFailure,
  kNotImplemented,
  kInternal,
  kErrorCaseCount,
};

struct DependencyNotFound {
  Str service_name;
  Str message;
};

struct ActrError {
  uint8_t tag;
  union {
    Str text;                // every case with a string payload
    DependencyNotFound dep;  // kDependencyNotFound
  };
};

// result<list<u8>, actr-error>
struct BytesResult {
  uint8_t is_err;
  union {
    Bytes ok;
    ActrError err;
  };
};

// result<_, actr-error>
struct UnitResult {
  uint8_t is_err;
  union {
    ActrError err;
  };
};

// result<actr-id, actr-error>
struct IdResult {
  uint8_t is_err;
  union {
    ActrId ok;
    ActrError err;
  };
};

struct OptionId {
  uint8_t is_some;
  ActrId value;
};

// The parameters of on-data-stream: 17 flat values exceed MAX_FLAT_PARAMS (16), so the host
// passes them as one tuple in guest memory.
struct DataStreamParams {
  DataStream chunk;
  ActrId sender;
};

// The parameters of host.send-data-stream (19 flat values), passed the same way by the guest.
struct SendDataStreamParams {
  Dest target;
  DataStream chunk;
  uint8_t payload_type;
};

static_assert(sizeof(Str) == 8 && alignof(Str) == 4);
static_assert(sizeof(ActrType) == 24);
static_assert(sizeof(ActrId) == 40 && alignof(ActrId) == 8);
static_assert(offsetof(ActrId, serial_number) == 8 && offsetof(ActrId, type) == 16);
static_assert(sizeof(Dest) == 48 && offsetof(Dest, actor) == 8);
static_assert(sizeof(MetadataEntry) == 16);
static_assert(sizeof(OptionS64) == 16 && offsetof(OptionS64, value) == 8);
static_assert(sizeof(DataStream) == 48 && offsetof(DataStream, sequence) == 8 &&
              offsetof(DataStream, payload) == 16 && offsetof(DataStream, metadata) == 24 &&
              offsetof(DataStream, timestamp_ms) == 32);
static_assert(sizeof(ActrError) == 20 && alignof(ActrError) == 4 && offsetof(ActrError, text) == 4);
static_assert(sizeof(BytesResult) == 24 && offsetof(BytesResult, ok) == 4);
static_assert(sizeof(UnitResult) == 24 && offsetof(UnitResult, err) == 4);
static_assert(sizeof(IdResult) == 48 && offsetof(IdResult, ok) == 8);
static_assert(sizeof(OptionId) == 48 && offsetof(OptionId, value) == 8);
static_assert(sizeof(DataStreamParams) == 88 && offsetof(DataStreamParams, sender) == 48);
static_assert(sizeof(SendDataStreamParams) == 104 && offsetof(SendDataStreamParams, chunk) == 48 &&
              offsetof(SendDataStreamParams, payload_type) == 96);

// Memory handed across the boundary is owned by the receiver: the host allocates export
// arguments and import results with cabi_realloc, the guest frees them; guest-allocated export
// results are freed by the post-return functions.
void release(Str s);
void release(Bytes b);
void release(const ActrType& t);
void release(const ActrId& id);
void release(const ActrError& e);
void release(const DataStream& d);

// A malloc'ed copy of `len` bytes (a real block even when len is 0).
Str copy_str(const char* data, uint32_t len);
Bytes copy_bytes(const uint8_t* data, uint32_t len);

ActrError make_error(ErrorCase tag, Str text);

}  // namespace guest
