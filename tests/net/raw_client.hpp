// A hand-driven WebSocket client for the transport tests: it upgrades with a credential and then
// writes any bytes, so tests can send what a well-behaved node never would.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <optional>
#include <string>

#include "common/base64.hpp"
#include "net/upgrade.hpp"
#include "net/wire.hpp"
#include "net_fixture.hpp"

namespace actr::net::test {

struct RawClient {
  boost::asio::io_context ioc;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws{ioc};
  boost::beast::flat_buffer buffer;
  std::deque<transport::Frame> unread;  // the rest of a Batch the server sent

  explicit RawClient(uint16_t port, const std::string& credential = "node:5") {
    namespace websocket = boost::beast::websocket;
    ws.next_layer().connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    ws.set_option(websocket::stream_base::decorator([credential](websocket::request_type& req) {
      req.set(kCredentialHeader, encode_base64(credential));
      req.set(kNodeHeader, "raw");
    }));
    ws.handshake("127.0.0.1", "/actr");
    ws.binary(true);
  }
  // The next frame (frames of a Batch one by one), or nullopt when the connection ended.
  std::optional<transport::Frame> read() {
    if (unread.empty()) {
      boost::beast::error_code ec;
      buffer.clear();
      ws.read(buffer, ec);
      if (ec) return std::nullopt;
      transport::Frame frame;
      auto data = buffer.cdata();
      EXPECT_TRUE(frame.ParseFromArray(data.data(), static_cast<int>(data.size())));
      if (!frame.has_batch()) return frame;
      auto inner = wire::unpack_batch(frame.batch());
      EXPECT_TRUE(inner.ok()) << (inner.ok() ? "" : inner.error().message);
      if (!inner.ok()) return std::nullopt;
      for (auto& f : inner.value()) unread.push_back(std::move(f));
    }
    auto frame = std::move(unread.front());
    unread.pop_front();
    return frame;
  }
  void write(const std::string& bytes) { ws.write(boost::asio::buffer(bytes)); }
};

}  // namespace actr::net::test
