#include "signaling/server/nats_connection.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

#include "signaling/protocol.hpp"

namespace actr::signaling::server {

namespace {

void log_disconnected(natsConnection* nc, void*) {
  if (natsConnection_IsClosed(nc)) return;  // closed by this server as it stops
  spdlog::warn("signal: lost the connection to NATS; registrations fail until it returns");
}

void on_reconnected(natsConnection* nc, void* counter) {
  static_cast<std::atomic<uint64_t>*>(counter)->fetch_add(1);
  char url[256] = "?";
  natsConnection_GetConnectedUrl(nc, url, sizeof url);
  spdlog::info("signal: connected to NATS again ({})", url);
}

}  // namespace

actr::Error nats_failure(natsStatus status, std::string_view what) {
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  std::string message = "the realm's shared state (NATS) is unavailable: " + std::string(what) +
                        ": " + natsStatus_GetText(status);
  if (detail && *detail && last == status) message += std::string(" (") + detail + ")";
  return actr::Error{std::move(message), ErrorCategory::SignalingRefused,
                     static_cast<int>(proto::Error::UNAVAILABLE)};
}

actr::Result<std::shared_ptr<NatsConnection>> NatsConnection::connect(Options options) {
  if (options.urls.empty()) return actr::make_error("NATS: no server URL");
  // The library's global state, once per process; never closed, since other servers of this
  // process (tests) may still use it.
  static std::once_flag opened;
  natsStatus opened_status = NATS_OK;
  std::call_once(opened, [&] { opened_status = nats_Open(-1); });
  if (opened_status != NATS_OK) return nats_failure(opened_status, "initializing libnats");

  std::shared_ptr<NatsConnection> self(new NatsConnection(std::move(options)));
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  std::vector<const char*> urls;
  for (const std::string& url : self->options_.urls) urls.push_back(url.c_str());
  auto timeout_ms = static_cast<int64_t>(self->options_.timeout.count());
  if (s == NATS_OK) s = natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, timeout_ms);
  if (s == NATS_OK && !self->options_.name.empty())
    s = natsOptions_SetName(opts, self->options_.name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 500);
  // A hung NATS server (no TCP reset) is noticed after two unanswered pings.
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, 5000);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts, 2);
  // Requests in flight when the connection drops fail then, not at their timeout.
  if (s == NATS_OK) s = natsOptions_SetFailRequestsOnDisconnect(opts, true);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, log_disconnected, nullptr);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, on_reconnected, &self->reconnections_);
  if (s == NATS_OK) s = natsConnection_Connect(&self->connection_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return nats_failure(s, "connecting to " + self->urls());

  jsOptions js_opts;
  jsOptions_Init(&js_opts);
  js_opts.Wait = timeout_ms;
  s = natsConnection_JetStream(&self->jetstream_, self->connection_, &js_opts);
  if (s != NATS_OK) return nats_failure(s, "opening JetStream at " + self->urls());
  return self;
}

NatsConnection::~NatsConnection() {
  if (jetstream_) jsCtx_Destroy(jetstream_);
  if (connection_) {
    natsConnection_Close(connection_);
    natsConnection_Destroy(connection_);
  }
}

bool NatsConnection::connected() const {
  return connection_ && natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
}

void NatsConnection::close() {
  if (connection_) natsConnection_Close(connection_);
}

std::string NatsConnection::urls() const {
  std::string out;
  for (const std::string& url : options_.urls) out += (out.empty() ? "" : ",") + url;
  return out;
}

actr::Result<KvStorePtr> NatsConnection::open_bucket(kvConfig config) {
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, jetstream_, config.Bucket);
  if (s == NATS_NOT_FOUND) {
    s = js_CreateKeyValue(&kv, jetstream_, &config);
    // Another server of the realm created it at the same moment: bind to theirs.
    if (s != NATS_OK) s = js_KeyValue(&kv, jetstream_, config.Bucket);
  }
  if (s != NATS_OK) {
    return nats_failure(s, std::string("opening bucket ") + config.Bucket +
                               " (is JetStream enabled? nats-server -js)");
  }
  return KvStorePtr(kv);
}

}  // namespace actr::signaling::server
