#include "net/wire.hpp"

#include <utility>

#include "common/unicode.hpp"

namespace actr::net::wire {

namespace {

using Tag = ActrError::Tag;

Error malformed(std::string what) { return make_error("malformed frame: " + std::move(what)); }

transport::PayloadType to_proto(const workload::PayloadType& type) {
  using T = workload::PayloadType::Tag;
  switch (type.tag()) {
    case T::RpcReliable:
      return transport::PAYLOAD_RPC_RELIABLE;
    case T::RpcSignal:
      return transport::PAYLOAD_RPC_SIGNAL;
    case T::StreamReliable:
      return transport::PAYLOAD_STREAM_RELIABLE;
    case T::StreamLatencyFirst:
      return transport::PAYLOAD_STREAM_LATENCY_FIRST;
    case T::MediaRtp:
      return transport::PAYLOAD_MEDIA_RTP;
  }
  return transport::PAYLOAD_RPC_RELIABLE;
}

Result<workload::PayloadType> from_proto(transport::PayloadType type) {
  switch (type) {
    case transport::PAYLOAD_RPC_RELIABLE:
      return workload::PayloadType::rpc_reliable();
    case transport::PAYLOAD_RPC_SIGNAL:
      return workload::PayloadType::rpc_signal();
    case transport::PAYLOAD_STREAM_RELIABLE:
      return workload::PayloadType::stream_reliable();
    case transport::PAYLOAD_STREAM_LATENCY_FIRST:
      return workload::PayloadType::stream_latency_first();
    case transport::PAYLOAD_MEDIA_RTP:
      return workload::PayloadType::media_rtp();
    default:
      break;
  }
  return malformed("unknown payload type " + std::to_string(static_cast<int>(type)));
}

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string to_string(const Bytes& b) { return std::string(b.begin(), b.end()); }

}  // namespace

transport::Error to_proto(const ActrError& error) {
  transport::Error out;
  switch (error.tag()) {
    case Tag::Unavailable:
      out.set_code(transport::ERROR_UNAVAILABLE);
      out.set_message(error.as_unavailable());
      break;
    case Tag::TimedOut:
      out.set_code(transport::ERROR_TIMED_OUT);
      break;
    case Tag::NotFound:
      out.set_code(transport::ERROR_NOT_FOUND);
      out.set_message(error.as_not_found());
      break;
    case Tag::PermissionDenied:
      out.set_code(transport::ERROR_PERMISSION_DENIED);
      out.set_message(error.as_permission_denied());
      break;
    case Tag::InvalidArgument:
      out.set_code(transport::ERROR_INVALID_ARGUMENT);
      out.set_message(error.as_invalid_argument());
      break;
    case Tag::UnknownRoute:
      out.set_code(transport::ERROR_UNKNOWN_ROUTE);
      out.set_message(error.as_unknown_route());
      break;
    case Tag::DependencyNotFound:
      out.set_code(transport::ERROR_DEPENDENCY_NOT_FOUND);
      out.set_service_name(error.as_dependency_not_found().service_name);
      out.set_message(error.as_dependency_not_found().message);
      break;
    case Tag::DecodeFailure:
      out.set_code(transport::ERROR_DECODE_FAILURE);
      out.set_message(error.as_decode_failure());
      break;
    case Tag::NotImplemented:
      out.set_code(transport::ERROR_NOT_IMPLEMENTED);
      out.set_message(error.as_not_implemented());
      break;
    case Tag::Internal:
      out.set_code(transport::ERROR_INTERNAL);
      out.set_message(error.as_internal());
      break;
  }
  return out;
}

Result<ActrError> from_proto(const transport::Error& error) {
  // A peer's text reaches the caller's guest as a WIT string: invalid bytes become U+FFFD.
  std::string m = unicode::to_valid_utf8(error.message());
  switch (error.code()) {
    case transport::ERROR_UNAVAILABLE:
      return ActrError::unavailable(m);
    case transport::ERROR_TIMED_OUT:
      return ActrError::timed_out();
    case transport::ERROR_NOT_FOUND:
      return ActrError::not_found(m);
    case transport::ERROR_PERMISSION_DENIED:
      return ActrError::permission_denied(m);
    case transport::ERROR_INVALID_ARGUMENT:
      return ActrError::invalid_argument(m);
    case transport::ERROR_UNKNOWN_ROUTE:
      return ActrError::unknown_route(m);
    case transport::ERROR_DEPENDENCY_NOT_FOUND:
      return ActrError::dependency_not_found({unicode::to_valid_utf8(error.service_name()), m});
    case transport::ERROR_DECODE_FAILURE:
      return ActrError::decode_failure(m);
    case transport::ERROR_NOT_IMPLEMENTED:
      return ActrError::not_implemented(m);
    case transport::ERROR_INTERNAL:
      return ActrError::internal(m);
    default:
      break;
  }
  return malformed("unknown error case " + std::to_string(static_cast<int>(error.code())));
}

transport::ActrId to_proto(const ActrId& id) {
  transport::ActrId out;
  out.set_realm(id.realm.realm_id);
  out.set_serial_number(id.serial_number);
  auto* type = out.mutable_type();
  type->set_manufacturer(id.type.manufacturer);
  type->set_name(id.type.name);
  type->set_version(id.type.version);
  return out;
}

ActrId from_proto(const transport::ActrId& id) {
  ActrId out;
  out.realm.realm_id = id.realm();
  out.serial_number = id.serial_number();
  out.type.manufacturer = id.type().manufacturer();
  out.type.name = id.type().name();
  out.type.version = id.type().version();
  return out;
}

void to_proto(const Request& request, uint64_t id, transport::Request* out) {
  const workload::Message& m = request.message;
  out->set_id(id);
  switch (m.kind) {
    case workload::Message::Kind::Call:
      out->set_kind(transport::Request::KIND_CALL);
      break;
    case workload::Message::Kind::Tell:
      out->set_kind(transport::Request::KIND_TELL);
      break;
    case workload::Message::Kind::Stream:
      out->set_kind(transport::Request::KIND_STREAM);
      break;
  }
  *out->mutable_target() = to_proto(request.target);
  if (m.caller) *out->mutable_caller() = to_proto(*m.caller);
  out->set_route_key(m.route_key);
  out->set_payload(to_string(m.payload));
  out->mutable_chain()->Add(m.chain.begin(), m.chain.end());
  out->set_payload_type(to_proto(m.payload_type));
  out->set_request_id(m.request_id);
  out->set_signal_lane(m.lane == workload::Lane::Signal);
  if (m.chunk) {
    auto* chunk = out->mutable_chunk();
    chunk->set_stream_id(m.chunk->stream_id);
    chunk->set_sequence(m.chunk->sequence);
    for (const auto& e : m.chunk->metadata) {
      auto* entry = chunk->add_metadata();
      entry->set_key(e.key);
      entry->set_value(e.value);
    }
    if (m.chunk->timestamp_ms) chunk->set_timestamp_ms(*m.chunk->timestamp_ms);
    chunk->set_payload(to_string(m.chunk->payload));
  }
}

Result<Request> from_proto(const transport::Request& in) {
  Request out;
  workload::Message& m = out.message;
  switch (in.kind()) {
    case transport::Request::KIND_CALL:
      m.kind = workload::Message::Kind::Call;
      break;
    case transport::Request::KIND_TELL:
      m.kind = workload::Message::Kind::Tell;
      break;
    case transport::Request::KIND_STREAM:
      m.kind = workload::Message::Kind::Stream;
      break;
    default:
      return malformed("unknown request kind " + std::to_string(in.kind()));
  }
  if (!in.has_target()) return malformed("request without a target");
  out.target = from_proto(in.target());
  if (in.has_caller()) m.caller = from_proto(in.caller());
  m.route_key = in.route_key();
  m.payload = to_bytes(in.payload());
  m.chain.assign(in.chain().begin(), in.chain().end());
  ACTR_TRY(m.payload_type, from_proto(in.payload_type()));
  m.request_id = in.request_id();
  m.lane = in.signal_lane() ? workload::Lane::Signal : workload::Lane::Reliable;
  if (m.kind == workload::Message::Kind::Stream) {
    if (!in.has_chunk()) return malformed("stream request without its chunk");
    const auto& c = in.chunk();
    workload::DataStream chunk;
    chunk.stream_id = c.stream_id();
    chunk.sequence = c.sequence();
    chunk.payload = to_bytes(c.payload());
    for (const auto& e : c.metadata()) chunk.metadata.push_back({e.key(), e.value()});
    if (c.has_timestamp_ms()) chunk.timestamp_ms = c.timestamp_ms();
    m.chunk = std::move(chunk);
  } else if (in.has_chunk()) {
    return malformed("a chunk on a request that is not a stream chunk");
  }
  return out;
}

std::string serialize(const transport::Frame& frame) {
  std::string out;
  frame.SerializeToString(&out);
  return out;
}

Result<transport::Frame> parse_frame(std::span<const uint8_t> bytes) {
  transport::Frame frame;
  if (!frame.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return malformed("not a transport.Frame");
  if (frame.version() != kProtocolVersion)
    return malformed("protocol version " + std::to_string(frame.version()) + " (this node speaks " +
                     std::to_string(kProtocolVersion) + ")");
  if (frame.body_case() == transport::Frame::BODY_NOT_SET) return malformed("frame without a body");
  return frame;
}

namespace {

size_t varint_size(size_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

// A length-delimited field with a one-byte tag: tag, length, bytes.
size_t field_size(size_t length) { return 1 + varint_size(length) + length; }

}  // namespace

size_t frames_per_batch(const std::deque<std::string>& frames, size_t limit) {
  // Frame{version (tag + one-byte varint), batch (field 10) {frames (field 1)...}}.
  constexpr size_t kVersionField = 2;
  size_t content = 0;
  size_t count = 0;
  for (const auto& frame : frames) {
    size_t next = content + field_size(frame.size());
    if (kVersionField + field_size(next) > limit) break;
    content = next;
    ++count;
  }
  return count < 2 ? 1 : count;
}

std::string serialize_batch(std::deque<std::string>& frames, size_t count) {
  transport::Frame frame;
  frame.set_version(kProtocolVersion);
  auto* batch = frame.mutable_batch();
  batch->mutable_frames()->Reserve(static_cast<int>(count));
  for (size_t i = 0; i < count; ++i) {
    batch->add_frames(std::move(frames.front()));
    frames.pop_front();
  }
  return serialize(frame);
}

Result<std::vector<transport::Frame>> unpack_batch(const transport::Batch& batch) {
  if (batch.frames().empty()) return malformed("empty batch");
  std::vector<transport::Frame> out;
  out.reserve(static_cast<size_t>(batch.frames_size()));
  for (const auto& bytes : batch.frames()) {
    ACTR_TRY(auto frame, parse_frame(std::span<const uint8_t>(
                             reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())));
    if (frame.has_batch()) return malformed("a batch inside a batch");
    out.push_back(std::move(frame));
  }
  return out;
}

}  // namespace actr::net::wire
