#include "gateway/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <boost/beast/http/write.hpp>
#include <exception>
#include <optional>

#include "gateway/error_mapping.hpp"
#include "gateway/json.hpp"
#include "gateway/uri.hpp"

namespace actr::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

using Body = http::vector_body<uint8_t>;

// One exchange on a private io_context; every step runs until it completes or the deadline
// (one timer for the whole exchange) closes the socket under it.
class Exchange {
 public:
  Exchange(std::chrono::milliseconds timeout) : resolver_(ioc_), socket_(ioc_), timer_(ioc_) {
    timer_.expires_after(timeout);
    timer_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      timed_out_ = true;
      resolver_.cancel();
      beast::error_code ignored;
      socket_.close(ignored);
    });
  }

  bool timed_out() const { return timed_out_; }

  beast::error_code connect(const std::string& host, uint16_t port) {
    tcp::resolver::results_type endpoints;
    auto ec = run([&](auto done) {
      resolver_.async_resolve(host, std::to_string(port),
                              [&, done](beast::error_code e, tcp::resolver::results_type r) {
                                endpoints = std::move(r);
                                done(e);
                              });
    });
    if (ec) return ec;
    return run([&](auto done) {
      net::async_connect(socket_, endpoints,
                         [done](beast::error_code e, const tcp::endpoint&) { done(e); });
    });
  }

  template <class Message>
  beast::error_code write(Message& message) {
    return run([&](auto done) {
      http::async_write(socket_, message, [done](beast::error_code e, size_t) { done(e); });
    });
  }

  template <class Parser>
  beast::error_code read(Parser& parser) {
    return run([&](auto done) {
      http::async_read(socket_, buffer_, parser, [done](beast::error_code e, size_t) { done(e); });
    });
  }

 private:
  template <class Start>
  beast::error_code run(Start start) {
    std::optional<beast::error_code> result;
    start([&result](beast::error_code ec) { result = ec; });
    while (!result && ioc_.run_one() > 0) {
    }
    if (!result) return net::error::timed_out;
    return *result;
  }

  net::io_context ioc_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  bool timed_out_ = false;
};

std::string describe(const NodeUrl& url) {
  bool v6 = url.host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

std::string host_header(const NodeUrl& url) {
  bool v6 = url.host.find(':') != std::string::npos;
  return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

// A short, printable excerpt of a non-gateway answer for error messages.
std::string excerpt(const HttpReply& reply) {
  if (auto fields = json::parse_string_object(reply.body_text())) {
    auto message = fields->find("message");
    if (message != fields->end()) return message->second;
  }
  std::string text = reply.body_text().substr(0, 200);
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return text;
}

}  // namespace

Result<HttpReply> Client::request(std::string_view method, std::string_view node_url,
                                  std::string_view path, std::span<const uint8_t> body) const {
  ACTR_TRY(NodeUrl url, parse_node_url(node_url));
  http::verb verb = method == "POST" ? http::verb::post : http::verb::get;
  std::string target = url.prefix + std::string(path);
  try {
    Exchange exchange(options_.timeout);
    auto failure = [&](std::string_view what, const beast::error_code& ec) {
      std::string reason =
          exchange.timed_out()
              ? "timed out after " + std::to_string(options_.timeout.count()) + " ms"
              : ec.message();
      return make_error(std::string(what) + " " + describe(url) + ": " + reason);
    };
    if (auto ec = exchange.connect(url.host, url.port)) return failure("cannot connect to", ec);

    http::request<Body> req{verb, target, 11};
    req.set(http::field::host, host_header(url));
    req.set(http::field::user_agent, "actr/0.1.0");
    req.set(http::field::connection, "close");
    if (verb == http::verb::post) {
      req.set(http::field::content_type, "application/octet-stream");
      req.body().assign(body.begin(), body.end());
    }
    req.prepare_payload();
    if (auto ec = exchange.write(req)) return failure("cannot send to", ec);

    http::response_parser<Body> parser;
    parser.body_limit(options_.max_reply_bytes);
    if (auto ec = exchange.read(parser)) return failure("no valid reply from", ec);
    auto& res = parser.get();
    HttpReply reply;
    reply.status = res.result_int();
    reply.content_type = std::string(res[http::field::content_type]);
    reply.actr_error = std::string(res["x-actr-error"]);
    reply.body = std::move(res.body());
    return reply;
  } catch (const std::exception& e) {
    return make_error("gateway client: " + std::string(e.what()));
  }
}

Result<HttpReply> Client::get(std::string_view node_url, std::string_view path) const {
  return request("GET", node_url, path, {});
}

Result<CallResult> Client::post(std::string_view node_url, std::string_view target,
                                std::string_view route_key,
                                std::span<const uint8_t> payload) const {
  std::string path = "/actors/" + percent_encode(target) + "/" + percent_encode(route_key);
  ACTR_TRY(HttpReply reply, request("POST", node_url, path, payload));
  if (reply.status == 200 && reply.actr_error.empty()) return CallResult::Ok(std::move(reply.body));
  if (!reply.actr_error.empty()) {
    if (auto error = parse_error_body(reply.body_text())) return CallResult::Err(std::move(*error));
    // The header alone names the case; keep whatever text came along.
    if (auto error = make_actr_error(reply.actr_error, reply.body_text()))
      return CallResult::Err(std::move(*error));
    return make_error("the node answered an unknown error case '" + reply.actr_error + "'");
  }
  return make_error("the node answered HTTP " + std::to_string(reply.status) + ": " +
                    excerpt(reply));
}

}  // namespace actr::gateway
