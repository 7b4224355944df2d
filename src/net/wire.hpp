// The wire format (proto/transport.proto): conversions between the frames' protobuf messages and
// the runtime's types. Decoding validates: a frame that does not say something meaningful (an
// unknown error case, a stream request without its chunk, ...) is an error, never a guess.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/result.hpp"
#include "net/request.hpp"
#include "proto/transport.pb.h"

namespace actr::net::wire {

// Frame.version of this implementation; frames of another version are refused. Version 2
// authenticates at the WebSocket upgrade (version 1 used a Hello frame after it).
inline constexpr uint32_t kProtocolVersion = 2;

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

}  // namespace actr::net::wire
