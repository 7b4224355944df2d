#include "webrtc/dtls_transport.hpp"

#include <glib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace actr::webrtc {

struct DtlsTransport::Session {
  GlibLoop* loop = nullptr;
  std::shared_ptr<const Certificate> certificate;
  DtlsRole role = DtlsRole::Client;
  std::string peer_fingerprint;
  DtlsEvents events;

  mutable std::mutex mu;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  BIO* in = nullptr;  // datagrams from the peer (a memory BIO)
  GSource* timer = nullptr;
  std::atomic<DtlsState> state{DtlsState::New};
  std::string mismatch;  // why the peer's certificate was refused

  // What happened under the lock, reported after it (events may call back in).
  struct Outcome {
    bool connected = false;
    std::vector<std::vector<uint8_t>> data;
    std::string closed;
  };

  ~Session() {
    if (ssl) SSL_free(ssl);  // frees both BIOs
    if (ctx) SSL_CTX_free(ctx);
  }

  static BIO_METHOD* out_method();

  static int verify_peer(X509_STORE_CTX* store, void* arg) {
    auto* s = static_cast<Session*>(arg);
    X509* cert = X509_STORE_CTX_get0_cert(store);
    auto fingerprint = cert ? fingerprint_of(cert) : Result<std::string>(make_error("none"));
    if (!fingerprint || *fingerprint != s->peer_fingerprint) {
      s->mismatch = "dtls: the peer's certificate does not match the fingerprint it signaled";
      return 0;
    }
    return 1;
  }

  // Handshake progress and application data after input or a timeout; under the lock.
  void pump(Outcome& out) {
    DtlsState st = state.load();
    if (st == DtlsState::Handshaking) {
      int r = SSL_do_handshake(ssl);
      if (r == 1) {
        state = DtlsState::Connected;
        out.connected = true;
      } else {
        int e = SSL_get_error(ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
          fail(out, mismatch.empty() ? "dtls: handshake failed: " + last_error() : mismatch);
          return;
        }
      }
    }
    if (state.load() == DtlsState::Connected) {
      uint8_t buffer[16384];
      for (;;) {
        int n = SSL_read(ssl, buffer, sizeof buffer);
        if (n > 0) {
          out.data.emplace_back(buffer, buffer + n);
          continue;
        }
        int e = SSL_get_error(ssl, n);
        if (e == SSL_ERROR_ZERO_RETURN) {
          state = DtlsState::Closed;
          out.closed = "dtls: the peer closed the association";
        } else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
          fail(out, "dtls: " + last_error());
        }
        break;
      }
    }
    schedule_timer();
  }

  void fail(Outcome& out, std::string why) {
    state = DtlsState::Failed;
    out.closed = std::move(why);
    cancel_timer();
  }

  static std::string last_error() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "the association ended";
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    return text;
  }

  // DTLS retransmits lost handshake flights on a timer that OpenSSL only reports.
  void schedule_timer() {
    cancel_timer();
    timeval tv{};
    if (state.load() != DtlsState::Handshaking || DTLSv1_get_timeout(ssl, &tv) != 1) return;
    guint ms = static_cast<guint>(tv.tv_sec * 1000 + tv.tv_usec / 1000) + 1;
    timer = g_timeout_source_new(ms);
    g_source_set_callback(
        timer,
        [](gpointer p) -> gboolean {
          auto* s = static_cast<Session*>(p);
          Outcome out;
          {
            std::lock_guard lock(s->mu);
            if (s->timer) {
              g_source_unref(s->timer);
              s->timer = nullptr;
            }
            if (DTLSv1_handle_timeout(s->ssl) < 0) {
              s->fail(out, "dtls: handshake timed out: " + last_error());
            } else {
              s->pump(out);
            }
          }
          s->report(out);
          return G_SOURCE_REMOVE;
        },
        this, nullptr);
    g_source_attach(timer, loop->context());
  }

  void cancel_timer() {
    if (!timer) return;
    g_source_destroy(timer);
    g_source_unref(timer);
    timer = nullptr;
  }

  void report(Outcome& out) {
    if (out.connected && events.on_connected) events.on_connected();
    for (const auto& d : out.data) {
      if (events.on_data) events.on_data(d);
    }
    if (!out.closed.empty() && events.on_closed) events.on_closed(out.closed);
  }
};

namespace {

int out_write(BIO* bio, const char* data, int length) {
  auto* s = static_cast<DtlsTransport::Session*>(BIO_get_data(bio));
  if (s->events.send_datagram) {
    s->events.send_datagram(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data), length));
  }
  return length;
}

long out_ctrl(BIO*, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
      return DtlsTransport::kMtu;
    default:
      return 0;
  }
}

int out_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

}  // namespace

BIO_METHOD* DtlsTransport::Session::out_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "actr-dtls-out");
    BIO_meth_set_write(m, out_write);
    BIO_meth_set_ctrl(m, out_ctrl);
    BIO_meth_set_create(m, out_create);
    return m;
  }();
  return method;
}

Result<std::unique_ptr<DtlsTransport>> DtlsTransport::create(
    GlibLoop& loop, std::shared_ptr<const Certificate> certificate, DtlsRole role,
    std::string peer_fingerprint, DtlsEvents events) {
  if (!certificate) return make_error("dtls: no certificate");
  if (!peer_fingerprint.starts_with("sha-256 ")) {
    return make_error("dtls: the peer's fingerprint is not a sha-256 one: " + peer_fingerprint);
  }
  auto s = std::make_unique<Session>();
  s->loop = &loop;
  s->certificate = std::move(certificate);
  s->role = role;
  s->peer_fingerprint = std::move(peer_fingerprint);
  s->events = std::move(events);
  s->ctx = SSL_CTX_new(DTLS_method());
  if (!s->ctx) return make_error("dtls: cannot make a context");
  SSL_CTX_set_min_proto_version(s->ctx, DTLS1_2_VERSION);
  if (SSL_CTX_use_certificate(s->ctx, s->certificate->x509()) != 1 ||
      SSL_CTX_use_PrivateKey(s->ctx, s->certificate->key()) != 1) {
    return make_error("dtls: the certificate is not usable");
  }
  // The chain is self-signed by design: the only check is the signaled fingerprint.
  SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_cert_verify_callback(s->ctx, Session::verify_peer, s.get());
  SSL_CTX_set_options(s->ctx, SSL_OP_NO_QUERY_MTU);
  s->ssl = SSL_new(s->ctx);
  if (!s->ssl) return make_error("dtls: cannot make a session");
  s->in = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(s->in, -1);  // empty means "wait for more", not end of stream
  BIO* out = BIO_new(Session::out_method());
  BIO_set_data(out, s.get());
  SSL_set_bio(s->ssl, s->in, out);
  DTLS_set_link_mtu(s->ssl, kMtu);
  if (role == DtlsRole::Client) {
    SSL_set_connect_state(s->ssl);
  } else {
    SSL_set_accept_state(s->ssl);
  }
  return std::unique_ptr<DtlsTransport>(new DtlsTransport(std::move(s)));
}

DtlsTransport::DtlsTransport(std::unique_ptr<Session> session) : session_(std::move(session)) {}

DtlsTransport::~DtlsTransport() {
  Session* s = session_.get();
  // The timer's callback runs on the loop: remove it there, so none is running meanwhile.
  s->loop->run_sync([s] {
    std::lock_guard lock(s->mu);
    s->cancel_timer();
  });
}

void DtlsTransport::start() {
  Session* s = session_.get();
  Session::Outcome out;
  {
    std::lock_guard lock(s->mu);
    if (s->state.load() != DtlsState::New) return;
    s->state = DtlsState::Handshaking;
    s->pump(out);
  }
  s->report(out);
}

void DtlsTransport::receive(std::span<const uint8_t> datagram) {
  Session* s = session_.get();
  Session::Outcome out;
  {
    std::lock_guard lock(s->mu);
    DtlsState st = s->state.load();
    if (st == DtlsState::New && s->role == DtlsRole::Server) {
      s->state = DtlsState::Handshaking;  // the client's hello may come before start()
    } else if (st != DtlsState::Handshaking && st != DtlsState::Connected) {
      return;
    }
    BIO_write(s->in, datagram.data(), static_cast<int>(datagram.size()));
    s->pump(out);
  }
  s->report(out);
}

Result<void> DtlsTransport::send(std::span<const uint8_t> data) {
  Session* s = session_.get();
  std::lock_guard lock(s->mu);
  if (s->state.load() != DtlsState::Connected) return make_error("dtls: not connected");
  int n = SSL_write(s->ssl, data.data(), static_cast<int>(data.size()));
  if (n != static_cast<int>(data.size())) {
    return make_error("dtls: the record was not sent: " + Session::last_error());
  }
  return {};
}

void DtlsTransport::close() {
  Session* s = session_.get();
  std::lock_guard lock(s->mu);
  if (s->state.load() == DtlsState::Connected) SSL_shutdown(s->ssl);
  s->state = DtlsState::Closed;
  s->cancel_timer();
}

DtlsState DtlsTransport::state() const { return session_->state.load(); }

}  // namespace actr::webrtc
