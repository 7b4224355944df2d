// The node's configuration: `actr.toml` (see docs/RUNTIME.md for every key and its default).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/wasm/engine.hpp"
#include "runtime/vocabulary.hpp"

namespace actr::runtime {

struct RestartPolicy {
  uint32_t max_restarts = 5;  // within `window`; then the actor is failed for a cool-down
  std::chrono::milliseconds window{60'000};
  std::chrono::milliseconds backoff{100};  // doubled after each restart in the window
  std::chrono::milliseconds backoff_max{5'000};
  // A failed actor is started again after `cooldown`, doubled while it keeps failing up to
  // `cooldown_max`; back to `cooldown` once it has run for a whole `window`.
  std::chrono::milliseconds cooldown{10'000};
  std::chrono::milliseconds cooldown_max{300'000};
};

enum class MailboxKind { Durable, Memory };

// What WASI shows an actor ([actors.wasi]; docs/RUNTIME.md "WASI"). Deny by default: nothing of
// the node's environment, no arguments but the actor's name, empty stdin, no files, no network.
// stdout and stderr go to the node log a line at a time, tagged with the actor.
struct WasiPolicy {
  std::vector<std::pair<std::string, std::string>> env;  // the actor's whole environment
  std::optional<std::vector<std::string>> args;          // default: {name}
  uint32_t log_lines_per_second = 100;                   // then lines are dropped (and counted)
  // Directories the actor may use, shown to it under `guest`; read-only unless `write`.
  struct Dir {
    std::filesystem::path host;  // absolute after loading
    std::string guest;
    bool write = false;
  };
  std::vector<Dir> dirs;
};

struct ActorConfig {
  std::string name;                 // unique in the node; mailbox keys are "<name>#<index>"
  std::filesystem::path component;  // absolute after loading
  ActrType type;
  uint32_t instances = 1;
  uint64_t memory_limit_bytes = 64ull << 20;
  std::chrono::milliseconds deadline{5'000};  // guest time per export call
  MailboxKind mailbox = MailboxKind::Durable;
  RestartPolicy restart;
  WasiPolicy wasi;
  // Who may discover and call this actor: "allow|deny [MANUFACTURER/]NAME [realm N]" rules,
  // first match wins, none admits everyone, rules of which none matches admit nobody (see
  // signaling/acl.hpp). Enforced by discovery and on delivery, for local and remote callers.
  std::vector<std::string> acl;
};

// "<name>#<index>": the key of an actor instance's durable mailbox and of its kept identity.
inline std::string mailbox_key(const ActorConfig& actor, uint32_t index) {
  return actor.name + "#" + std::to_string(index);
}

struct MailboxConfig {
  uint64_t backpressure_threshold = 1'000;  // on-mailbox-backpressure fires when crossed upward
  uint64_t hard_limit = 10'000;             // senders get `unavailable` beyond it
  uint32_t max_attempts = 3;                // traps of one message before it is dead-lettered
  uint64_t max_payload_bytes = 4ull << 20;  // larger payloads are refused (invalid-argument)
  // Group commit: how long a batch waits for more messages once the queue is empty. 0 commits at
  // once; what arrives during a commit still shares the next one (measured: as fast, less latency).
  std::chrono::microseconds commit_window{0};
};

struct GatewayConfig {
  bool enabled = false;
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
};

// The node on a network: registered at a signaling server (`actr signal`), reachable by other
// nodes over WebSocket. Off while `signaling` is empty.
struct NetworkConfig {
  std::string signaling;  // "ws://HOST:PORT" of the signaling server
  // More servers of the same realm, tried in turn when the one in use dies (`signaling` given
  // as a list: the first is `signaling`, the rest these).
  std::vector<std::string> signaling_fallbacks;
  std::string listen = "127.0.0.1:0";  // where other nodes connect; port 0: any free port
  std::string advertise;               // the address other nodes use; default: the bound listen
  std::string node_id;                 // for peers' logs; default: "<hostname>-<pid>"
  // What the node sends to the signaling server to register (closed by default): the token, or a
  // file holding it (the first token of the file; read when the node starts).
  std::string enroll_token;
  std::filesystem::path enroll_token_file;
  std::chrono::seconds renew_margin{60};  // renew credentials this long before they expire
  // start() waits this long for the first registration of every actor; without it the node
  // starts with the ids it had before (data_dir/identities) or fails.
  std::chrono::milliseconds register_timeout{10'000};
  // The paths to other nodes: "websocket" (always), and "webrtc": data channels negotiated
  // through the signaling relay, taken once open (docs/WEBRTC.md).
  std::vector<std::string> transports{"websocket"};
  std::chrono::milliseconds webrtc_timeout{5000};  // from the offer to an open path
  std::vector<std::string> ice_addresses;  // WebRTC gathers only on these (empty: all interfaces)
  bool ice_relay_only = false;             // WebRTC through the TURN server only
  // A connection to another node on which nothing is heard this long is closed (pings after
  // half of it): how long a vanished peer or a dead WebRTC path goes unnoticed.
  std::chrono::milliseconds idle_timeout{15'000};

  bool webrtc() const {
    return std::find(transports.begin(), transports.end(), "webrtc") != transports.end();
  }

  bool enabled() const { return !signaling.empty(); }
};

// How a node runs its components (docs/RUNTIME.md "Engines").
//   tiered  start on what is ready at once -- compiled code from the code cache, else the
//           interpreter -- and move each actor to compiled code, state and all, when the
//           background compile ends (the default when a C compiler is installed)
//   aot     compile every component before the actors start (slow first start, no switch)
//   interp  the interpreter only (no C compiler needed; ~100x slower compute)
enum class EngineMode { Tiered, Aot, Interp };
const char* to_string(EngineMode mode);
Result<EngineMode> parse_engine_mode(std::string_view name);
EngineMode default_engine_mode();

struct NodeConfig {
  uint32_t realm = 1;
  std::filesystem::path data_dir = "actr-data";
  EngineMode engine = default_engine_mode();
  uint32_t workers = 0;                       // 0: one per hardware thread
  std::chrono::microseconds worker_spin{50};  // polling before a worker sleeps
  std::chrono::milliseconds call_timeout{30'000};
  MailboxConfig mailbox;
  GatewayConfig gateway;
  NetworkConfig network;
  std::vector<ActorConfig> actors;
};

// Parses TOML text; relative paths are resolved against `base_dir`. Errors name the key.
Result<NodeConfig> parse_config(std::string_view toml_text, const std::filesystem::path& base_dir,
                                std::string_view source_name = "actr.toml");
Result<NodeConfig> load_config(const std::filesystem::path& path);

// The configuration `actr run FILE.wasm` uses: one actor named after the file, type
// "local/<stem>@0.1.0", data under ./actr-data.
NodeConfig single_actor_config(const std::filesystem::path& component);

}  // namespace actr::runtime
