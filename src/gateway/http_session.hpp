// Internal: one client connection of the gateway, served on its own strand: read a request,
// route it, answer, and read the next one while the client keeps the connection alive.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/backend.hpp"
#include "gateway/server_state.hpp"

namespace actr::gateway::detail {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  using Body = boost::beast::http::vector_body<uint8_t>;
  using Request = boost::beast::http::request<Body>;
  using Response = boost::beast::http::response<Body>;

  HttpSession(std::shared_ptr<ServerState> state, boost::asio::ip::tcp::socket socket, uint64_t id);
  ~HttpSession();

  // Both run on the session's strand (they post themselves there).
  void start();
  void close();

 private:
  void do_close();
  void read_header();
  void parse_header();
  void on_header(boost::beast::error_code ec);
  void route();
  void read_body();
  void on_body(boost::beast::error_code ec);
  void call_backend();
  // The `done` of Backend::call: posts the result to the strand unless the gateway stopped.
  static void deliver(std::shared_ptr<HttpSession> self, uint64_t call, CallResult result);
  void on_result(uint64_t call, CallResult result);
  void on_call_timeout(uint64_t call);

  void respond(unsigned status, std::string_view content_type, std::vector<uint8_t> body,
               bool close_after, std::string_view actr_error = {}, std::string_view allow = {});
  void respond_protocol_error(unsigned status, std::string_view code, std::string_view message,
                              bool close_after, std::string_view allow = {});
  void on_write(boost::beast::error_code ec);
  // Half-closes and drains what the client still sends (briefly), so that it reads the reply
  // instead of a connection reset.
  void linger();
  void drain();

  // First member: destroyed last, so the io_context outlives the stream and the timer.
  std::shared_ptr<ServerState> state_;
  const uint64_t id_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<Body>> parser_;
  std::optional<Response> response_;
  std::optional<boost::beast::http::response<boost::beast::http::empty_body>> continue_;
  boost::asio::steady_timer call_timer_;
  std::vector<uint8_t> drain_;
  size_t drained_ = 0;

  std::string target_;
  std::string route_key_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool close_after_write_ = false;
  bool closed_ = false;
  bool served_ = false;    // a request header was read: later waits are keep-alive idleness
  uint64_t call_seq_ = 0;  // the call waiting for the backend, while call_pending_
  bool call_pending_ = false;
};

}  // namespace actr::gateway::detail
