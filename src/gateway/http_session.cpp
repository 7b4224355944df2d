#include "gateway/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdint>
#include <exception>
#include <limits>

#include "gateway/error_mapping.hpp"
#include "gateway/uri.hpp"
#include "runtime/metrics/exposition.hpp"

namespace actr::gateway::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr std::string_view kJson = "application/json";
// How long a closing connection keeps draining what the client still sends, and how much.
constexpr std::chrono::seconds kLingerTime{2};
constexpr size_t kLingerBytes = 8 << 20;

std::vector<uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

bool is_http_parse_error(const beast::error_code& ec) {
  return &ec.category() == &http::make_error_code(http::error::bad_target).category();
}

}  // namespace

HttpSession::HttpSession(std::shared_ptr<ServerState> state, tcp::socket socket, uint64_t id)
    : state_(std::move(state)),
      id_(id),
      stream_(std::move(socket)),
      call_timer_(stream_.get_executor()) {}

HttpSession::~HttpSession() {
  state_->admission.remove(id_);
  std::lock_guard lock(state_->mu);
  state_->sessions.erase(id_);
}

void HttpSession::start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
}

void HttpSession::close() {
  net::post(stream_.get_executor(), [self = shared_from_this()] { self->do_close(); });
}

void HttpSession::do_close() {
  closed_ = true;
  call_pending_ = false;
  call_timer_.cancel();
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

void HttpSession::read_header() {
  if (closed_) return;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(state_->options.max_header_bytes));
  // The body limit is set once the route is known: an oversized body then gets 413 only where
  // a body is wanted at all. (Not boost::none: Beast 1.74 then compares a Content-Length
  // against an empty optional and always reports body_limit.)
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  state_->admission.set_idle(id_, true);
  if (buffer_.size() > 0) return parse_header();  // a pipelined request is here already
  // The first byte of the next request: a new connection gets header_timeout for it, a kept-alive
  // one idle_timeout.
  stream_.expires_after(
      served_ ? std::chrono::duration_cast<std::chrono::milliseconds>(state_->options.idle_timeout)
              : state_->options.header_timeout);
  stream_.async_read_some(
      buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t n) {
        self->stream_.expires_never();
        if (self->closed_) return;
        if (ec) return self->do_close();  // end of stream, timeout, reset: nobody to answer
        self->buffer_.commit(n);
        self->parse_header();
      });
}

void HttpSession::parse_header() {
  // The whole header within header_timeout of its first byte, however slowly it trickles in.
  stream_.expires_after(state_->options.header_timeout);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
}

void HttpSession::on_header(beast::error_code ec) {
  stream_.expires_never();
  if (closed_) return;
  if (!ec) {
    served_ = true;
    state_->admission.set_idle(id_, false);
  }
  if (ec == http::error::header_limit)
    return respond_protocol_error(431, "header-too-large", "request header too large", true);
  if (ec && is_http_parse_error(ec) && ec != http::error::end_of_stream &&
      ec != http::error::partial_message)
    return respond_protocol_error(400, "bad-request", "malformed HTTP request: " + ec.message(),
                                  true);
  if (ec) return do_close();  // end of stream, timeout, reset: nobody to answer
  route();
}

void HttpSession::route() {
  const auto& req = parser_->get();
  version_ = req.version();
  keep_alive_ = req.keep_alive();
  auto length = parser_->content_length();
  bool has_body = parser_->chunked() || (length && *length > 0);
  // A body we do not read leaves the connection unusable for a next request.
  bool close_after = has_body || !keep_alive_;
  std::string_view target(req.target().data(), req.target().size());
  std::string_view path = path_of(target);

  if (path == "/healthz" || path == "/metrics") {
    if (req.method() != http::verb::get)
      return respond_protocol_error(405, "method-not-allowed", "use GET", close_after, "GET");
    if (path == "/healthz") {
      Health health{false, "unavailable\n"};
      try {
        health = state_->backend.health();
      } catch (const std::exception&) {
      }
      if (health.text.empty()) health.text = health.ok ? "ok\n" : "unavailable\n";
      return respond(health.ok ? 200 : 503, "text/plain; charset=utf-8", bytes_of(health.text),
                     close_after);
    }
    std::string text;
    try {
      text = state_->backend.metrics_text();
    } catch (const std::exception& e) {
      return respond_protocol_error(500, "internal", e.what(), close_after);
    }
    return respond(200, runtime::metrics::kExpositionContentType, bytes_of(text), close_after);
  }

  auto actor = parse_actor_path(target);
  if (!actor)
    return respond_protocol_error(404, "no-such-endpoint",
                                  "no endpoint " + std::string(path) +
                                      " (POST /actors/{target}/{route-key}, GET /metrics, "
                                      "GET /healthz)",
                                  close_after);
  if (req.method() != http::verb::post)
    return respond_protocol_error(405, "method-not-allowed", "use POST", close_after, "POST");
  if (!actor->ok()) {
    auto error = ActrError::invalid_argument(actor->error().message);
    return respond(http_status(error), kJson, bytes_of(error_body(error)), close_after,
                   error_case(error));
  }
  if (length && *length > state_->options.max_body_bytes)
    return respond_protocol_error(
        413, "payload-too-large",
        "payload exceeds " + std::to_string(state_->options.max_body_bytes) + " bytes", true);
  target_ = std::move(actor->value().target);
  route_key_ = std::move(actor->value().route_key);
  parser_->body_limit(state_->options.max_body_bytes);

  auto expect = req[http::field::expect];
  if (has_body && beast::iequals(expect, "100-continue")) {
    continue_.emplace(http::status::continue_, version_);
    stream_.expires_after(state_->options.idle_timeout);
    return http::async_write(stream_, *continue_,
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               self->stream_.expires_never();
                               self->continue_.reset();
                               if (ec) return self->do_close();
                               self->read_body();
                             });
  }
  read_body();
}

void HttpSession::read_body() {
  if (closed_) return;
  stream_.expires_after(state_->options.idle_timeout);
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
}

void HttpSession::on_body(beast::error_code ec) {
  stream_.expires_never();
  if (closed_) return;
  if (ec == http::error::body_limit)
    return respond_protocol_error(
        413, "payload-too-large",
        "payload exceeds " + std::to_string(state_->options.max_body_bytes) + " bytes", true);
  if (ec && is_http_parse_error(ec) && ec != http::error::end_of_stream &&
      ec != http::error::partial_message)
    return respond_protocol_error(400, "bad-request", "malformed HTTP body: " + ec.message(), true);
  if (ec) return do_close();
  call_backend();
}

void HttpSession::call_backend() {
  uint64_t call = ++call_seq_;
  call_pending_ = true;
  if (state_->options.call_timeout.count() > 0) {
    call_timer_.expires_after(state_->options.call_timeout);
    call_timer_.async_wait([self = shared_from_this(), call](beast::error_code ec) {
      if (!ec) self->on_call_timeout(call);
    });
  }
  std::vector<uint8_t> payload = std::move(parser_->get().body());
  parser_.reset();
  auto done = [self = shared_from_this(), call](CallResult result) mutable {
    deliver(std::move(self), call, std::move(result));
  };
  try {
    state_->backend.call(std::move(target_), std::move(route_key_), std::move(payload),
                         std::move(done));
  } catch (const std::exception& e) {
    on_result(call,
              CallResult::Err(ActrError::internal(std::string("gateway backend: ") + e.what())));
  }
}

void HttpSession::deliver(std::shared_ptr<HttpSession> self, uint64_t call, CallResult result) {
  if (!self) return;  // a second call of `done`
  std::unique_lock lock(self->state_->mu);
  if (self->state_->stopped) {
    lock.unlock();
    return;  // `self` may be the last reference: it must go without the lock held
  }
  auto executor = self->stream_.get_executor();
  net::post(executor, [self = std::move(self), call, result = std::move(result)]() mutable {
    self->on_result(call, std::move(result));
  });
}

void HttpSession::on_result(uint64_t call, CallResult result) {
  if (closed_ || !call_pending_ || call != call_seq_) return;  // late, or answered by timeout
  call_pending_ = false;
  call_timer_.cancel();
  if (result.is_ok())
    return respond(200, "application/octet-stream", std::move(result.value()), !keep_alive_);
  const ActrError& error = result.error();
  respond(http_status(error), kJson, bytes_of(error_body(error)), !keep_alive_, error_case(error));
}

void HttpSession::on_call_timeout(uint64_t call) {
  if (closed_ || !call_pending_ || call != call_seq_) return;
  call_pending_ = false;
  auto error = ActrError::timed_out();
  respond(http_status(error), kJson, bytes_of(error_body(error)), !keep_alive_, error_case(error));
}

void HttpSession::respond(unsigned status, std::string_view content_type, std::vector<uint8_t> body,
                          bool close_after, std::string_view actr_error, std::string_view allow) {
  response_.emplace(static_cast<http::status>(status), version_);
  response_->set(http::field::server, "actr");
  response_->set(http::field::content_type,
                 beast::string_view(content_type.data(), content_type.size()));
  if (!actr_error.empty())
    response_->set("x-actr-error", beast::string_view(actr_error.data(), actr_error.size()));
  if (!allow.empty())
    response_->set(http::field::allow, beast::string_view(allow.data(), allow.size()));
  response_->body() = std::move(body);
  response_->keep_alive(!close_after);
  response_->prepare_payload();
  close_after_write_ = close_after;
  stream_.expires_after(state_->options.idle_timeout);
  http::async_write(stream_, *response_, [self = shared_from_this()](beast::error_code ec, size_t) {
    self->on_write(ec);
  });
}

void HttpSession::respond_protocol_error(unsigned status, std::string_view code,
                                         std::string_view message, bool close_after,
                                         std::string_view allow) {
  respond(status, kJson, bytes_of(protocol_error_body(code, message)), close_after, {}, allow);
}

void HttpSession::on_write(beast::error_code ec) {
  stream_.expires_never();
  response_.reset();
  if (closed_) return;
  if (ec) return do_close();
  if (close_after_write_) return linger();
  read_header();
}

void HttpSession::linger() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  drain_.resize(16 << 10);
  drained_ = 0;
  stream_.expires_after(kLingerTime);
  drain();
}

void HttpSession::drain() {
  stream_.async_read_some(net::buffer(drain_),
                          [self = shared_from_this()](beast::error_code ec, size_t n) {
                            self->drained_ += n;
                            if (ec || self->closed_ || self->drained_ > kLingerBytes)
                              return self->do_close();
                            self->drain();
                          });
}

}  // namespace actr::gateway::detail
