// wasi:io: error, poll and streams.
#include <algorithm>
#include <limits>

#include "wasi/host.hpp"
#include "wasi/interface_builder.hpp"

namespace actr::wasi {

using component::Kind;
using component::primitive;
using component::Value;
using Args = std::span<const Value>;

namespace {

// What check-write grants: output is delivered at once, so the permit is always the same; it
// bounds the memory one write may take.
constexpr uint64_t kWritePermit = 64 * 1024;
// WASI's limit for the blocking-…-and-flush convenience functions.
constexpr uint64_t kBlockingWriteLimit = 4096;
// Larger reads return fewer bytes (as WASI allows), to bound the memory of one call.
constexpr uint64_t kMaxRead = 64 * 1024;

Value bytes_value(std::string_view bytes) {
  return Value::bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

void add_error(component::Linker& linker, const std::shared_ptr<const Host>& host) {
  InterfaceBuilder(linker, "wasi:io/error")
      .method(host->resources.error, "to-debug-string", {}, primitive(Kind::String),
              [host](Args args) -> Result<Value> {
                ACTR_TRY(auto* error, host->find(host->state().errors, args[0]));
                return Value::string(error->message);
              });
}

void add_poll(component::Linker& linker, const std::shared_ptr<const Host>& host) {
  InterfaceBuilder poll(linker, "wasi:io/poll");
  const auto& pollable = host->resources.pollable;
  poll.method(pollable, "ready", {}, primitive(Kind::Bool), [host](Args args) -> Result<Value> {
    ACTR_TRY(auto* p, host->find(host->state().pollables, args[0]));
    return Value::boolean(p->ready());
  });
  poll.method(pollable, "block", {}, nullptr, [host](Args args) -> Result<Value> {
    ACTR_TRY(auto* p, host->find(host->state().pollables, args[0]));
    p->block();
    return Value();
  });
  poll.func("poll", {{"in", component::list_of(component::borrow_of(pollable))}},
            component::list_of(primitive(Kind::U32)), [host](Args args) -> Result<Value> {
              const auto& in = args[0].items;
              if (in.empty()) return make_error("poll: the list of pollables is empty");
              if (in.size() > std::numeric_limits<uint32_t>::max()) {
                return make_error("poll: more pollables than a u32 can index");
              }
              std::vector<const Pollable*> waiting;
              for (const auto& handle : in) {
                ACTR_TRY(auto* p, host->find(host->state().pollables, handle));
                waiting.push_back(p);
              }
              for (;;) {
                std::vector<Value> ready;
                uint64_t earliest = std::numeric_limits<uint64_t>::max();
                for (uint32_t i = 0; i < waiting.size(); ++i) {
                  if (waiting[i]->ready()) ready.push_back(Value::u32(i));
                  if (waiting[i]->deadline) earliest = std::min(earliest, *waiting[i]->deadline);
                }
                if (!ready.empty()) return Value::list(std::move(ready));
                sleep_until_monotonic(earliest);
              }
            });
}

void add_input_stream(InterfaceBuilder& streams, const std::shared_ptr<const Host>& host) {
  const auto& r = host->resources;
  const auto& t = host->types;
  auto u64 = primitive(Kind::U64);
  auto read_result = component::result_of(component::list_of(primitive(Kind::U8)), t.stream_error);
  auto skip_result = component::result_of(u64, t.stream_error);

  // Stdin is in memory: the blocking forms never wait.
  auto read = [host](Args args) -> Result<Value> {
    ACTR_TRY(auto* stream, host->find(host->state().input_streams, args[0]));
    auto got = stream->source->read(std::min(args[1].u, kMaxRead));
    if (auto* error = std::get_if<StreamError>(&got)) {
      ACTR_TRY(Value e, host->stream_error(*error));
      return Value::err(std::move(e));
    }
    return Value::ok(bytes_value(std::get<std::string_view>(got)));
  };
  auto skip = [host](Args args) -> Result<Value> {
    ACTR_TRY(auto* stream, host->find(host->state().input_streams, args[0]));
    uint64_t skipped = 0;
    for (uint64_t left = args[1].u; left > 0;) {
      auto got = stream->source->read(left);
      if (auto* error = std::get_if<StreamError>(&got)) {
        if (skipped > 0) break;  // report what was skipped; the end shows on the next call
        ACTR_TRY(Value e, host->stream_error(*error));
        return Value::err(std::move(e));
      }
      size_t n = std::get<std::string_view>(got).size();
      skipped += n;
      left -= n;
    }
    return Value::ok(Value::u64(skipped));
  };
  auto len = component::Param{"len", u64};
  streams.method(r.input_stream, "read", {len}, read_result, read);
  streams.method(r.input_stream, "blocking-read", {len}, read_result, read);
  streams.method(r.input_stream, "skip", {len}, skip_result, skip);
  streams.method(r.input_stream, "blocking-skip", {len}, skip_result, skip);
  streams.method(r.input_stream, "subscribe", {}, component::own_of(r.pollable),
                 [host](Args args) -> Result<Value> {
                   ACTR_TRY_VOID(host->find(host->state().input_streams, args[0]));
                   return host->give(host->state().pollables, host->resources.pollable,
                                     Pollable::ready_now());
                 });
}

// Writes `bytes` (at most `limit`, else the guest broke the check-write contract: a trap).
Result<Value> write_to(const Host& host, const Value& self, std::string_view bytes, uint64_t limit,
                       const char* what) {
  ACTR_TRY(auto* stream, host.find(host.state().output_streams, self));
  if (bytes.size() > limit) {
    return make_error(std::string(what) + ": " + std::to_string(bytes.size()) +
                      " bytes exceed the permitted " + std::to_string(limit));
  }
  if (auto error = stream->channel->write(bytes)) {
    ACTR_TRY(Value e, host.stream_error(*error));
    return Value::err(std::move(e));
  }
  return Value::ok();
}

void add_output_stream(InterfaceBuilder& streams, const std::shared_ptr<const Host>& host) {
  const auto& r = host->resources;
  const auto& t = host->types;
  auto u64 = primitive(Kind::U64);
  auto unit_result = component::result_of(nullptr, t.stream_error);
  auto count_result = component::result_of(u64, t.stream_error);
  auto contents = component::Param{"contents", component::list_of(primitive(Kind::U8))};
  auto len = component::Param{"len", u64};

  streams.method(r.output_stream, "check-write", {}, count_result,
                 [host](Args args) -> Result<Value> {
                   ACTR_TRY(auto* stream, host->find(host->state().output_streams, args[0]));
                   if (stream->channel->closed()) {
                     ACTR_TRY(Value e, host->stream_error(StreamError::closed()));
                     return Value::err(std::move(e));
                   }
                   return Value::ok(Value::u64(kWritePermit));
                 });
  streams.method(
      r.output_stream, "write", {contents}, unit_result, [host](Args args) -> Result<Value> {
        std::string scratch;
        return write_to(*host, args[0], bytes_of(args[1], scratch), kWritePermit, "write");
      });
  streams.method(r.output_stream, "blocking-write-and-flush", {contents}, unit_result,
                 [host](Args args) -> Result<Value> {
                   std::string scratch;
                   return write_to(*host, args[0], bytes_of(args[1], scratch), kBlockingWriteLimit,
                                   "blocking-write-and-flush");
                 });
  // Output is delivered as it is written: flushing only reports whether the stream is open.
  auto flush = [host](Args args) -> Result<Value> {
    ACTR_TRY(auto* stream, host->find(host->state().output_streams, args[0]));
    if (auto error = stream->channel->flush()) {
      ACTR_TRY(Value e, host->stream_error(*error));
      return Value::err(std::move(e));
    }
    return Value::ok();
  };
  streams.method(r.output_stream, "flush", {}, unit_result, flush);
  streams.method(r.output_stream, "blocking-flush", {}, unit_result, flush);
  streams.method(r.output_stream, "subscribe", {}, component::own_of(r.pollable),
                 [host](Args args) -> Result<Value> {
                   ACTR_TRY_VOID(host->find(host->state().output_streams, args[0]));
                   return host->give(host->state().pollables, host->resources.pollable,
                                     Pollable::ready_now());
                 });
  auto zeroes = [host](uint64_t limit, const char* what) {
    return [host, limit, what](Args args) -> Result<Value> {
      if (args[1].u > limit) {
        return make_error(std::string(what) + ": " + std::to_string(args[1].u) +
                          " bytes exceed the permitted " + std::to_string(limit));
      }
      return write_to(*host, args[0], std::string(args[1].u, '\0'), limit, what);
    };
  };
  streams.method(r.output_stream, "write-zeroes", {len}, unit_result,
                 zeroes(kWritePermit, "write-zeroes"));
  streams.method(r.output_stream, "blocking-write-zeroes-and-flush", {len}, unit_result,
                 zeroes(kBlockingWriteLimit, "blocking-write-zeroes-and-flush"));

  // Moves up to `len` bytes (at most one permit) from an input stream; the source never blocks.
  auto splice = [host](Args args) -> Result<Value> {
    ACTR_TRY(auto* out, host->find(host->state().output_streams, args[0]));
    ACTR_TRY(auto* in, host->find(host->state().input_streams, args[1]));
    auto fail = [&](const StreamError& error) -> Result<Value> {
      ACTR_TRY(Value e, host->stream_error(error));
      return Value::err(std::move(e));
    };
    if (out->channel->closed()) return fail(StreamError::closed());
    auto got = in->source->read(std::min(args[2].u, kWritePermit));
    if (auto* error = std::get_if<StreamError>(&got)) return fail(*error);
    auto bytes = std::get<std::string_view>(got);
    if (auto error = out->channel->write(bytes)) return fail(*error);
    return Value::ok(Value::u64(bytes.size()));
  };
  auto src = component::Param{"src", component::borrow_of(r.input_stream)};
  streams.method(r.output_stream, "splice", {src, len}, count_result, splice);
  streams.method(r.output_stream, "blocking-splice", {src, len}, count_result, splice);
}

}  // namespace

void add_io(component::Linker& linker, const std::shared_ptr<const Host>& host) {
  add_error(linker, host);
  add_poll(linker, host);
  InterfaceBuilder streams(linker, "wasi:io/streams");
  add_input_stream(streams, host);
  add_output_stream(streams, host);
}

}  // namespace actr::wasi
