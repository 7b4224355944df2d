// The wire format: every actr-error case, requests of every kind, frame validation, addresses and
// the token bucket.
#include "net/wire.hpp"

#include <gtest/gtest.h>

#include <set>

#include "net/address.hpp"
#include "net/token_bucket.hpp"
#include "net_fixture.hpp"

namespace actr::net::test {
namespace {

std::vector<ActrError> every_error_case() {
  return {ActrError::unavailable("node down"),
          ActrError::timed_out(),
          ActrError::not_found("no actor 1:9"),
          ActrError::permission_denied("acl"),
          ActrError::invalid_argument("too big"),
          ActrError::unknown_route("nope"),
          ActrError::dependency_not_found({"acme/db", "not registered"}),
          ActrError::decode_failure("bad bytes"),
          ActrError::not_implemented("later"),
          ActrError::internal("trap")};
}

TEST(NetWire, EveryErrorCaseRoundTripsThroughTheFrameBytes) {
  auto cases = every_error_case();
  ASSERT_EQ(cases.size(), 10u);  // one per actr-error case of the contract
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(cases[i].tag()), i);
    transport::Frame frame;
    frame.set_version(wire::kProtocolVersion);
    frame.mutable_reply()->set_id(i);
    *frame.mutable_reply()->mutable_error() = wire::to_proto(cases[i]);
    std::string raw = wire::serialize(frame);
    auto parsed = wire::parse_frame(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
    ASSERT_TRUE(parsed.ok());
    auto back = wire::from_proto(parsed->reply().error());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back.value(), cases[i]) << "case " << i;
  }
}

TEST(NetWire, ErrorCodesAreDistinctAndUnspecifiedIsRefused) {
  std::set<int> codes;
  for (const auto& e : every_error_case()) codes.insert(wire::to_proto(e).code());
  EXPECT_EQ(codes.size(), 10u);
  EXPECT_FALSE(codes.count(transport::ERROR_UNSPECIFIED));
  transport::Error unspecified;
  EXPECT_FALSE(wire::from_proto(unspecified).ok());
  transport::Error unknown;
  unknown.set_code(static_cast<transport::ErrorCode>(99));
  EXPECT_FALSE(wire::from_proto(unknown).ok());
}

TEST(NetWire, CallRequestRoundTripsEveryField) {
  Request r = make_request(workload::Message::Kind::Call, "greet", "hello");
  r.message.chain = {3, 5, 8};
  r.message.lane = workload::Lane::Signal;
  r.message.payload_type = workload::PayloadType::rpc_signal();
  transport::Request p;
  wire::to_proto(r, 42, &p);
  EXPECT_EQ(p.id(), 42u);
  auto back = wire::from_proto(p);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->target, r.target);
  const auto& m = back->message;
  EXPECT_EQ(m.kind, workload::Message::Kind::Call);
  EXPECT_EQ(m.route_key, "greet");
  EXPECT_EQ(m.payload, bytes("hello"));
  EXPECT_EQ(m.request_id, r.message.request_id);
  EXPECT_EQ(m.caller, r.message.caller);
  EXPECT_EQ(m.chain, (std::vector<uint64_t>{3, 5, 8}));
  EXPECT_EQ(m.lane, workload::Lane::Signal);
  EXPECT_EQ(m.payload_type, workload::PayloadType::rpc_signal());
  EXPECT_FALSE(m.chunk.has_value());
}

TEST(NetWire, TellWithoutCallerKeepsTheCallerAbsent) {
  Request r = make_request(workload::Message::Kind::Tell, "note", "");
  r.message.caller.reset();
  transport::Request p;
  wire::to_proto(r, 1, &p);
  auto back = wire::from_proto(p);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->message.kind, workload::Message::Kind::Tell);
  EXPECT_FALSE(back->message.caller.has_value());
  EXPECT_TRUE(back->message.payload.empty());
}

TEST(NetWire, StreamChunkRoundTrips) {
  Request r = make_request(workload::Message::Kind::Stream, "", "");
  workload::DataStream chunk;
  chunk.stream_id = "video";
  chunk.sequence = 17;
  chunk.payload = bytes("frame-bytes");
  chunk.metadata = {{"codec", "h264"}, {"k", ""}};
  chunk.timestamp_ms = -5;
  r.message.chunk = chunk;
  r.message.payload_type = workload::PayloadType::stream_latency_first();
  for (auto type :
       {workload::PayloadType::rpc_reliable(), workload::PayloadType::rpc_signal(),
        workload::PayloadType::stream_reliable(), workload::PayloadType::stream_latency_first(),
        workload::PayloadType::media_rtp()}) {
    r.message.payload_type = type;
    transport::Request p;
    wire::to_proto(r, 1, &p);
    auto back = wire::from_proto(p);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->message.chunk, chunk);
    EXPECT_EQ(back->message.payload_type, type);
    EXPECT_TRUE(back->message.payload.empty());
  }
  r.message.chunk->timestamp_ms.reset();
  transport::Request p;
  wire::to_proto(r, 1, &p);
  EXPECT_FALSE(wire::from_proto(p)->message.chunk->timestamp_ms.has_value());
}

TEST(NetWire, InconsistentRequestsAreRefused) {
  transport::Request stream_without_chunk;
  stream_without_chunk.set_kind(transport::Request::KIND_STREAM);
  *stream_without_chunk.mutable_target() = wire::to_proto(actor(1));
  EXPECT_FALSE(wire::from_proto(stream_without_chunk).ok());

  transport::Request no_target;
  EXPECT_FALSE(wire::from_proto(no_target).ok());

  transport::Request chunk_on_call;
  *chunk_on_call.mutable_target() = wire::to_proto(actor(1));
  chunk_on_call.mutable_chunk()->set_stream_id("s");
  EXPECT_FALSE(wire::from_proto(chunk_on_call).ok());

  transport::Request bad_kind;
  *bad_kind.mutable_target() = wire::to_proto(actor(1));
  bad_kind.set_kind(static_cast<transport::Request::Kind>(9));
  EXPECT_FALSE(wire::from_proto(bad_kind).ok());

  transport::Request bad_type;
  *bad_type.mutable_target() = wire::to_proto(actor(1));
  bad_type.set_payload_type(static_cast<transport::PayloadType>(9));
  EXPECT_FALSE(wire::from_proto(bad_type).ok());
}

TEST(NetWire, FramesAreValidated) {
  const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
  auto g = wire::parse_frame(garbage);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find("malformed"), std::string::npos);

  transport::Frame empty;
  empty.set_version(wire::kProtocolVersion);
  std::string raw = wire::serialize(empty);
  EXPECT_FALSE(wire::parse_frame(std::span<const uint8_t>(
                                     reinterpret_cast<const uint8_t*>(raw.data()), raw.size()))
                   .ok());

  transport::Frame future;
  future.set_version(wire::kProtocolVersion + 1);
  future.mutable_ping()->set_nonce(1);
  raw = wire::serialize(future);
  auto v = wire::parse_frame(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("version"), std::string::npos);
}

TEST(NetAddress, ParsesTheSupportedForms) {
  auto a = parse_address("127.0.0.1:7400");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 7400);
  EXPECT_EQ(a->to_string(), "127.0.0.1:7400");
  auto w = parse_address("ws://node-b:80/x/y");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->host, "node-b");
  EXPECT_EQ(w->path, "/x/y");
  auto v6 = parse_address("[::1]:9");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->to_string(), "[::1]:9");
  auto s = parse_address("wss://h:1");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->tls);
  EXPECT_EQ(s->key(), "wss://h:1");
  for (const char* bad : {"", "host", "host:", ":80", "h:99999", "h:8x", "[::1]9", "wss://"}) {
    EXPECT_FALSE(parse_address(bad).ok()) << bad;
  }
}

TEST(NetTokenBucket, AllowsTheBurstThenTheRate) {
  auto t0 = TokenBucket::Clock::now();
  TokenBucket bucket(10, 5, t0);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0));
  EXPECT_TRUE(bucket.take(t0 + std::chrono::milliseconds(100)));  // one token per 100 ms
  EXPECT_FALSE(bucket.take(t0 + std::chrono::milliseconds(100)));
  TokenBucket unlimited(0, 1, t0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(unlimited.take(t0));
}

}  // namespace
}  // namespace actr::net::test
