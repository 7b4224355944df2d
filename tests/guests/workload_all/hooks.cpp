// The sixteen observation hooks and on-data-stream. Each reports exactly what it received, in the
// canonical text forms of text.hpp, then frees the host-allocated arguments.
#include <cstdlib>

#include "exports.hpp"
#include "text.hpp"

using namespace guest;

namespace {

std::string peer_text(uint32_t realm_id, uint64_t serial, char* manufacturer,
                      uint32_t manufacturer_len, char* name, uint32_t name_len, char* version,
                      uint32_t version_len, uint32_t relayed_is_some, uint32_t relayed) {
  ActrId peer{realm_id,
              serial,
              {{manufacturer, manufacturer_len}, {name, name_len}, {version, version_len}}};
  std::string out = "peer=" + text(peer) + " relayed=";
  out += relayed_is_some ? (relayed ? "true" : "false") : "none";
  release(peer);
  return out;
}

}  // namespace

// A peer-event flattens to (realm-id, serial-number, manufacturer, name, version, relayed).
#define GUEST_PEER_HOOK(export_name, symbol)                                                       \
  extern "C" GUEST_EXPORT(export_name) void symbol(                                                \
      uint32_t realm_id, uint64_t serial, char* manufacturer, uint32_t manufacturer_len,           \
      char* name, uint32_t name_len, char* version, uint32_t version_len,                          \
      uint32_t relayed_is_some, uint32_t relayed) {                                                \
    report(export_name " " + peer_text(realm_id, serial, manufacturer, manufacturer_len, name,     \
                                       name_len, version, version_len, relayed_is_some, relayed)); \
  }

GUEST_PEER_HOOK("on-websocket-connecting", on_websocket_connecting)
GUEST_PEER_HOOK("on-websocket-connected", on_websocket_connected)
GUEST_PEER_HOOK("on-websocket-disconnected", on_websocket_disconnected)
GUEST_PEER_HOOK("on-webrtc-connecting", on_webrtc_connecting)
GUEST_PEER_HOOK("on-webrtc-connected", on_webrtc_connected)
GUEST_PEER_HOOK("on-webrtc-disconnected", on_webrtc_disconnected)

#define GUEST_PLAIN_HOOK(export_name, symbol) \
  extern "C" GUEST_EXPORT(export_name) void symbol() { report(export_name); }

GUEST_PLAIN_HOOK("on-signaling-connecting", on_signaling_connecting)
GUEST_PLAIN_HOOK("on-signaling-connected", on_signaling_connected)
GUEST_PLAIN_HOOK("on-signaling-disconnected", on_signaling_disconnected)

// A credential-event flattens to its timestamp (seconds, nanoseconds).
#define GUEST_CREDENTIAL_HOOK(export_name, symbol)                                           \
  extern "C" GUEST_EXPORT(export_name) void symbol(uint64_t seconds, uint32_t nanoseconds) { \
    report(export_name " new-expiry=" + text_timestamp(seconds, nanoseconds));               \
  }

GUEST_CREDENTIAL_HOOK("on-credential-renewed", on_credential_renewed)
GUEST_CREDENTIAL_HOOK("on-credential-expiring", on_credential_expiring)

extern "C" GUEST_EXPORT("on-mailbox-backpressure") void on_mailbox_backpressure(
    uint64_t queue_len, uint64_t threshold) {
  report("on-mailbox-backpressure queue-len=" + decimal(queue_len) +
         " threshold=" + decimal(threshold));
}

// The lifecycle hooks without parameters.
#define GUEST_LIFECYCLE_HOOK(export_name, symbol, hook)       \
  extern "C" GUEST_EXPORT(export_name) UnitResult* symbol() { \
    report(export_name);                                      \
    return finish_fallible_hook(hook);                        \
  }                                                           \
  extern "C" GUEST_POST_RETURN(export_name) void post_##symbol(UnitResult* r) { release(*r); }

GUEST_LIFECYCLE_HOOK("on-start", on_start, kOnStart)
GUEST_LIFECYCLE_HOOK("on-ready", on_ready, kOnReady)
GUEST_LIFECYCLE_HOOK("on-stop", on_stop, kOnStop)

// An error-event flattens to (source: case + four joined payload slots, category, context,
// timestamp). The payload slots hold one string (two slots) or the dependency-not-found record
// (four slots).
extern "C" GUEST_EXPORT("on-error") UnitResult* on_error(uint32_t source_case, uint32_t p0,
                                                         uint32_t p1, uint32_t p2, uint32_t p3,
                                                         uint32_t category, char* context,
                                                         uint32_t context_len, uint64_t seconds,
                                                         uint32_t nanoseconds) {
  ActrError source{};
  source.tag = static_cast<uint8_t>(source_case);
  if (source_case == kDependencyNotFound) {
    source.dep = {{reinterpret_cast<char*>(p0), p1}, {reinterpret_cast<char*>(p2), p3}};
  } else if (source_case != kTimedOut) {
    source.text = {reinterpret_cast<char*>(p0), p1};
  }
  std::string line = "on-error source=" + text(source) + " category=";
  line += category < 5 ? kErrorCategoryNames[category] : "<bad category>";
  line += " context=";
  line += view(Str{context, context_len});
  line += " timestamp=" + text_timestamp(seconds, nanoseconds);
  release(source);
  release(Str{context, context_len});
  report(line);
  return finish_fallible_hook(kOnError);
}
extern "C" GUEST_POST_RETURN("on-error") void post_on_error(UnitResult* r) { release(*r); }

extern "C" GUEST_EXPORT("on-data-stream") UnitResult* on_data_stream(DataStreamParams* params) {
  report("on-data-stream " + text(params->chunk) + " sender=" + text(params->sender));
  release(params->chunk);
  release(params->sender);
  free(params);
  return finish_fallible_hook(kOnDataStream);
}
extern "C" GUEST_POST_RETURN("on-data-stream") void post_on_data_stream(UnitResult* r) {
  release(*r);
}
