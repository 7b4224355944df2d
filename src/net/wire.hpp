// The wire format (proto/transport.proto): conversions between the frames' protobuf messages and
// the runtime's types. Decoding validates: a frame that does not say something meaningful (an
// unknown error case, a stream request without its chunk, ...) is an error, never a guess.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "net/request.hpp"
#include "proto/transport.pb.h"

namespace actr::net::wire {

// Frame.version of this implementation; frames of another version are refused. Version 2
// authenticates at the WebSocket upgrade (version 1 used a Hello frame after it); version 3 adds
// Batch frames.
inline constexpr uint32_t kProtocolVersion = 3;

transport::Error to_proto(const ActrError& error);
Result<ActrError> from_proto(const transport::Error& error);

transport::ActrId to_proto(const ActrId& id);
ActrId from_proto(const transport::ActrId& id);

// `id` is the multiplexing id of the connection, not the message's request_id.
void to_proto(const Request& request, uint64_t id, transport::Request* out);
Result<Request> from_proto(const transport::Request& request);

// Frame helpers: the serialized bytes of one binary WebSocket message.
std::string serialize(const transport::Frame& frame);
Result<transport::Frame> parse_frame(std::span<const uint8_t> bytes);

// Batching (transport.Batch). How many of the leading serialized `frames` to send as one message
// of at most `limit` bytes: 1 means send the first frame alone (it is the only one, or it or its
// successor does not fit a batch with it).
size_t frames_per_batch(const std::deque<std::string>& frames, size_t limit);
// The Batch message of the first `count` frames, which are moved out of `frames` (popped).
std::string serialize_batch(std::deque<std::string>& frames, size_t count);
// The frames of a parsed batch, in order; a malformed or nested inner frame is an error.
Result<std::vector<transport::Frame>> unpack_batch(const transport::Batch& batch);

}  // namespace actr::net::wire
