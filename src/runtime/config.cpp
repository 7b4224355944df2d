#include "runtime/config.hpp"

#include <fstream>
#include <set>
#include <sstream>
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include "runtime/vocabulary.hpp"

namespace actr::runtime {

namespace {

std::string where(const toml::source_region& r, std::string_view source) {
  return std::string(source) + ":" + std::to_string(r.begin.line) + ":" +
         std::to_string(r.begin.column);
}

// Reads an optional key of table `t` into `out`, with a clear error on the wrong type or range.
template <class T>
Result<void> read(const toml::table& t, std::string_view key, T& out, std::string_view source,
                  std::string_view prefix) {
  const toml::node* n = t.get(key);
  if (!n) return {};
  auto bad = [&](std::string_view expected) {
    return make_error(where(n->source(), source) + ": `" + std::string(prefix) + std::string(key) +
                      "` must be " + std::string(expected));
  };
  if constexpr (std::is_same_v<T, bool>) {
    auto v = n->value<bool>();
    if (!v) return bad("true or false");
    out = *v;
  } else if constexpr (std::is_same_v<T, std::string>) {
    auto v = n->value<std::string>();
    if (!v) return bad("a string");
    out = *v;
  } else {
    auto v = n->value<int64_t>();
    if (!v || *v < 0 || static_cast<uint64_t>(*v) > std::numeric_limits<T>::max()) {
      return bad("a non-negative integer in range");
    }
    out = static_cast<T>(*v);
  }
  return {};
}

// An optional array of strings.
Result<void> read_strings(const toml::table& t, std::string_view key, std::vector<std::string>& out,
                          std::string_view source, std::string_view prefix) {
  const toml::node* n = t.get(key);
  if (!n) return {};
  auto bad = [&] {
    return make_error(where(n->source(), source) + ": `" + std::string(prefix) + std::string(key) +
                      "` must be an array of strings");
  };
  const toml::array* a = n->as_array();
  if (!a) return bad();
  out.clear();
  for (const auto& item : *a) {
    auto v = item.value<std::string>();
    if (!v) return bad();
    out.push_back(*v);
  }
  return {};
}

Result<void> read_ms(const toml::table& t, std::string_view key, std::chrono::milliseconds& out,
                     std::string_view source, std::string_view prefix) {
  uint64_t v = static_cast<uint64_t>(out.count());
  ACTR_TRY_VOID(read(t, key, v, source, prefix));
  out = std::chrono::milliseconds(v);
  return {};
}

Result<void> check_keys(const toml::table& t, std::set<std::string_view> known,
                        std::string_view source, std::string_view prefix) {
  for (const auto& [k, v] : t) {
    if (!known.count(k.str())) {
      return make_error(where(v.source(), source) + ": unknown key `" + std::string(prefix) +
                        std::string(k.str()) + "`");
    }
  }
  return {};
}

// [actors.wasi]. Capabilities this host does not provide yet are refused here, by name, rather
// than accepted and silently not granted.
Result<WasiPolicy> parse_wasi(const toml::node& node, const std::filesystem::path& base,
                              std::string_view source, const std::string& prefix) {
  const toml::table* t = node.as_table();
  std::string table_name = prefix.substr(0, prefix.size() - 1);
  if (!t)
    return make_error(where(node.source(), source) + ": `" + table_name + "` must be a table");
  ACTR_TRY_VOID(check_keys(*t, {"env", "args", "log_lines_per_second", "http", "sockets", "dirs"},
                           source, prefix));
  WasiPolicy w;
  if (const toml::node* env = t->get("env")) {
    const toml::table* vars = env->as_table();
    if (!vars) {
      return make_error(where(env->source(), source) + ": `" + prefix +
                        "env` must be a table of strings, e.g. { LANG = \"C\" }");
    }
    for (const auto& [k, v] : *vars) {
      auto value = v.value<std::string>();
      if (!value) {
        return make_error(where(v.source(), source) + ": `" + prefix + "env." +
                          std::string(k.str()) + "` must be a string");
      }
      w.env.emplace_back(std::string(k.str()), *value);
    }
  }
  if (const toml::node* args = t->get("args")) {
    const toml::array* list = args->as_array();
    if (!list)
      return make_error(where(args->source(), source) + ": `" + prefix +
                        "args` must be an array of strings");
    std::vector<std::string> out;
    for (const toml::node& a : *list) {
      auto value = a.value<std::string>();
      if (!value)
        return make_error(where(a.source(), source) + ": `" + prefix +
                          "args` must be an array of strings");
      out.push_back(*value);
    }
    w.args = std::move(out);
  }
  ACTR_TRY_VOID(read(*t, "log_lines_per_second", w.log_lines_per_second, source, prefix));
  if (const toml::node* dirs = t->get("dirs")) {
    const toml::array* list = dirs->as_array();
    std::string key = prefix + "dirs";
    if (!list) {
      return make_error(
          where(dirs->source(), source) + ": `" + key +
          "` must be an array of { host = \"DIR\", guest = \"/path\", write = false }");
    }
    for (const toml::node& d : *list) {
      const toml::table* dt = d.as_table();
      if (!dt) {
        return make_error(where(d.source(), source) + ": `" + key +
                          "` entries are tables: { host = \"DIR\", guest = \"/path\" }");
      }
      ACTR_TRY_VOID(check_keys(*dt, {"host", "guest", "write"}, source, key + "[]."));
      std::string host, guest;
      WasiPolicy::Dir dir;
      ACTR_TRY_VOID(read(*dt, "host", host, source, key + "[]."));
      ACTR_TRY_VOID(read(*dt, "guest", guest, source, key + "[]."));
      ACTR_TRY_VOID(read(*dt, "write", dir.write, source, key + "[]."));
      if (host.empty() || guest.empty() || guest.front() != '/') {
        return make_error(where(d.source(), source) + ": `" + key +
                          "` entries need `host` (a directory) and `guest` (an absolute path)");
      }
      std::error_code ec;
      dir.host = std::filesystem::weakly_canonical(
          std::filesystem::path(host).is_absolute() ? std::filesystem::path(host) : base / host,
          ec);
      if (ec || !std::filesystem::is_directory(dir.host, ec)) {
        return make_error(where(d.source(), source) + ": `" + key + "`: " + dir.host.string() +
                          " is not a directory");
      }
      dir.guest = guest;
      w.dirs.push_back(std::move(dir));
    }
  }
  struct Withheld {
    const char* key;
    const char* what;
  };
  for (Withheld c : {Withheld{"http", "outgoing HTTP (wasi:http)"},
                     Withheld{"sockets", "sockets (wasi:sockets)"}}) {
    const toml::node* n = t->get(c.key);
    if (!n) continue;
    if (auto granted = n->value<bool>(); granted && !*granted) continue;  // `= false`: the default
    return make_error(where(n->source(), source) + ": `" + prefix + c.key + "`: " + c.what +
                      " cannot be granted: this host does not provide it yet (an actor that "
                      "imports it still runs; using it fails)");
  }
  return w;
}

Result<ActorConfig> parse_actor(const toml::table& t, const std::filesystem::path& base,
                                std::string_view source, size_t index) {
  ActorConfig a;
  std::string prefix = "actors[" + std::to_string(index) + "].";
  ACTR_TRY_VOID(check_keys(t,
                           {"name", "component", "type", "instances", "memory_limit_mb",
                            "deadline_ms", "mailbox", "restart", "acl", "wasi"},
                           source, prefix));
  std::string component, type, mailbox = "durable";
  ACTR_TRY_VOID(read(t, "name", a.name, source, prefix));
  ACTR_TRY_VOID(read(t, "component", component, source, prefix));
  ACTR_TRY_VOID(read(t, "type", type, source, prefix));
  ACTR_TRY_VOID(read(t, "instances", a.instances, source, prefix));
  uint64_t memory_mb = a.memory_limit_bytes >> 20;
  ACTR_TRY_VOID(read(t, "memory_limit_mb", memory_mb, source, prefix));
  a.memory_limit_bytes = memory_mb << 20;
  ACTR_TRY_VOID(read_ms(t, "deadline_ms", a.deadline, source, prefix));
  ACTR_TRY_VOID(read(t, "mailbox", mailbox, source, prefix));
  if (component.empty()) {
    return make_error(where(t.source(), source) + ": `" + prefix + "component` is required");
  }
  a.component = std::filesystem::path(component).is_absolute() ? std::filesystem::path(component)
                                                               : base / component;
  if (a.name.empty()) a.name = a.component.stem().string();
  if (type.empty()) type = "local/" + a.name + "@0.1.0";
  auto parsed = parse_type(type);
  if (!parsed) return make_error(where(t.source(), source) + ": " + parsed.error().message);
  a.type = *parsed;
  if (a.instances == 0 || a.instances > 100'000) {
    return make_error(where(t.source(), source) + ": `" + prefix + "instances` must be 1..100000");
  }
  if (mailbox == "durable") {
    a.mailbox = MailboxKind::Durable;
  } else if (mailbox == "memory") {
    a.mailbox = MailboxKind::Memory;
  } else {
    return make_error(where(t.source(), source) + ": `" + prefix +
                      "mailbox` must be \"durable\" or \"memory\"");
  }
  if (const toml::node* acl = t.get("acl")) {
    const toml::array* rules = acl->as_array();
    if (!rules) {
      return make_error(where(acl->source(), source) + ": `" + prefix +
                        "acl` must be an array of rules like \"allow acme/*\"");
    }
    for (const toml::node& rule : *rules) {
      auto text = rule.value<std::string>();
      if (!text) return make_error(where(rule.source(), source) + ": an ACL rule must be a string");
      if (auto parsed = parse_access_rule(*text); !parsed) {
        return make_error(where(rule.source(), source) + ": `" + prefix +
                          "acl`: " + parsed.error().message);
      }
      a.acl.push_back(*text);
    }
  }
  if (const toml::node* w = t.get("wasi")) {
    ACTR_TRY(a.wasi, parse_wasi(*w, base, source, prefix + "wasi."));
  }
  if (const toml::table* r = t["restart"].as_table()) {
    std::string rp = prefix + "restart.";
    ACTR_TRY_VOID(check_keys(*r,
                             {"max_restarts", "window_ms", "backoff_ms", "backoff_max_ms",
                              "cooldown_ms", "cooldown_max_ms"},
                             source, rp));
    ACTR_TRY_VOID(read(*r, "max_restarts", a.restart.max_restarts, source, rp));
    ACTR_TRY_VOID(read_ms(*r, "window_ms", a.restart.window, source, rp));
    ACTR_TRY_VOID(read_ms(*r, "backoff_ms", a.restart.backoff, source, rp));
    ACTR_TRY_VOID(read_ms(*r, "backoff_max_ms", a.restart.backoff_max, source, rp));
    ACTR_TRY_VOID(read_ms(*r, "cooldown_ms", a.restart.cooldown, source, rp));
    ACTR_TRY_VOID(read_ms(*r, "cooldown_max_ms", a.restart.cooldown_max, source, rp));
  }
  return a;
}

}  // namespace

Result<NodeConfig> parse_config(std::string_view text, const std::filesystem::path& base_dir,
                                std::string_view source) {
  toml::parse_result parsed = toml::parse(text, source);
  if (!parsed) {
    const auto& e = parsed.error();
    return make_error(where(e.source(), source) + ": " + std::string(e.description()));
  }
  const toml::table& root = parsed.table();
  NodeConfig c;
  ACTR_TRY_VOID(check_keys(root,
                           {"realm", "data_dir", "engine", "workers", "worker_spin_us",
                            "call_timeout_ms", "mailbox", "gateway", "network", "actors"},
                           source, ""));
  ACTR_TRY_VOID(read(root, "realm", c.realm, source, ""));
  std::string data_dir, engine = to_string(c.engine);
  ACTR_TRY_VOID(read(root, "data_dir", data_dir, source, ""));
  if (!data_dir.empty()) {
    c.data_dir = std::filesystem::path(data_dir).is_absolute() ? std::filesystem::path(data_dir)
                                                               : base_dir / data_dir;
  } else {
    c.data_dir = base_dir / "actr-data";
  }
  ACTR_TRY_VOID(read(root, "engine", engine, source, ""));
  if (auto mode = parse_engine_mode(engine)) {
    c.engine = *mode;
  } else {
    return make_error(std::string(source) + ": `engine`: " + mode.error().message);
  }
  ACTR_TRY_VOID(read(root, "workers", c.workers, source, ""));
  uint64_t spin = static_cast<uint64_t>(c.worker_spin.count());
  ACTR_TRY_VOID(read(root, "worker_spin_us", spin, source, ""));
  if (spin > 10'000)
    return make_error(std::string(source) + ": `worker_spin_us` must be at most 10000");
  c.worker_spin = std::chrono::microseconds(spin);
  ACTR_TRY_VOID(read_ms(root, "call_timeout_ms", c.call_timeout, source, ""));
  if (const toml::table* m = root["mailbox"].as_table()) {
    ACTR_TRY_VOID(check_keys(*m,
                             {"backpressure_threshold", "hard_limit", "max_attempts",
                              "max_payload_bytes", "commit_window_us"},
                             source, "mailbox."));
    ACTR_TRY_VOID(
        read(*m, "backpressure_threshold", c.mailbox.backpressure_threshold, source, "mailbox."));
    ACTR_TRY_VOID(read(*m, "hard_limit", c.mailbox.hard_limit, source, "mailbox."));
    ACTR_TRY_VOID(read(*m, "max_attempts", c.mailbox.max_attempts, source, "mailbox."));
    ACTR_TRY_VOID(read(*m, "max_payload_bytes", c.mailbox.max_payload_bytes, source, "mailbox."));
    uint64_t window = static_cast<uint64_t>(c.mailbox.commit_window.count());
    ACTR_TRY_VOID(read(*m, "commit_window_us", window, source, "mailbox."));
    c.mailbox.commit_window = std::chrono::microseconds(window);
    if (c.mailbox.hard_limit < c.mailbox.backpressure_threshold) {
      return make_error(
          std::string(source) +
          ": `mailbox.hard_limit` must not be below `mailbox.backpressure_threshold`");
    }
    if (c.mailbox.max_attempts == 0) {
      return make_error(std::string(source) + ": `mailbox.max_attempts` must be at least 1");
    }
  }
  if (const toml::table* g = root["gateway"].as_table()) {
    ACTR_TRY_VOID(check_keys(*g, {"enabled", "address", "port"}, source, "gateway."));
    c.gateway.enabled = true;
    ACTR_TRY_VOID(read(*g, "enabled", c.gateway.enabled, source, "gateway."));
    ACTR_TRY_VOID(read(*g, "address", c.gateway.address, source, "gateway."));
    ACTR_TRY_VOID(read(*g, "port", c.gateway.port, source, "gateway."));
  }
  if (const toml::table* n = root["network"].as_table()) {
    const char* p = "network.";
    ACTR_TRY_VOID(
        check_keys(*n,
                   {"signaling", "listen", "advertise", "node_id", "enroll_token",
                    "enroll_token_file", "renew_margin_s", "register_timeout_ms", "transports",
                    "webrtc_timeout_ms", "ice_addresses", "ice_relay_only", "idle_timeout_ms"},
                   source, p));
    // One server ("ws://HOST:PORT") or several of one realm (`actr signal --nats`), tried in turn.
    if ((*n)["signaling"].is_array()) {
      std::vector<std::string> urls;
      ACTR_TRY_VOID(read_strings(*n, "signaling", urls, source, p));
      if (urls.empty()) {
        return make_error(where(n->source(), source) + ": `network.signaling` is an empty list");
      }
      c.network.signaling = urls.front();
      c.network.signaling_fallbacks.assign(urls.begin() + 1, urls.end());
    } else {
      ACTR_TRY_VOID(read(*n, "signaling", c.network.signaling, source, p));
    }
    ACTR_TRY_VOID(read(*n, "listen", c.network.listen, source, p));
    ACTR_TRY_VOID(read(*n, "advertise", c.network.advertise, source, p));
    ACTR_TRY_VOID(read(*n, "node_id", c.network.node_id, source, p));
    ACTR_TRY_VOID(read(*n, "enroll_token", c.network.enroll_token, source, p));
    std::string token_file;
    ACTR_TRY_VOID(read(*n, "enroll_token_file", token_file, source, p));
    if (!token_file.empty()) c.network.enroll_token_file = base_dir / token_file;
    if (!c.network.enroll_token.empty() && !token_file.empty()) {
      return make_error(where(n->source(), source) +
                        ": give `network.enroll_token` or `network.enroll_token_file`, not both");
    }
    uint64_t margin = static_cast<uint64_t>(c.network.renew_margin.count());
    ACTR_TRY_VOID(read(*n, "renew_margin_s", margin, source, p));
    c.network.renew_margin = std::chrono::seconds(margin);
    ACTR_TRY_VOID(read_ms(*n, "register_timeout_ms", c.network.register_timeout, source, p));
    ACTR_TRY_VOID(read_strings(*n, "transports", c.network.transports, source, p));
    bool websocket = false;
    for (const auto& t : c.network.transports) {
      if (t == "websocket") {
        websocket = true;
      } else if (t != "webrtc") {
        return make_error(where(n->source(), source) + ": `network.transports`: unknown `" + t +
                          "` (known: \"websocket\", \"webrtc\")");
      }
    }
    if (!websocket) {
      // The WebSocket listener is the node's address at the signaling server and the path
      // every first message takes; WebRTC joins it (docs/WEBRTC.md).
      return make_error(where(n->source(), source) +
                        ": `network.transports` must include \"websocket\"");
    }
    ACTR_TRY_VOID(read_ms(*n, "webrtc_timeout_ms", c.network.webrtc_timeout, source, p));
    ACTR_TRY_VOID(read_strings(*n, "ice_addresses", c.network.ice_addresses, source, p));
    ACTR_TRY_VOID(read(*n, "ice_relay_only", c.network.ice_relay_only, source, p));
    ACTR_TRY_VOID(read_ms(*n, "idle_timeout_ms", c.network.idle_timeout, source, p));
    if (c.network.idle_timeout < std::chrono::milliseconds(200)) {
      return make_error(where(n->source(), source) +
                        ": `network.idle_timeout_ms` must be at least 200");
    }
    if (c.network.signaling.empty()) {
      return make_error(where(n->source(), source) +
                        ": `network.signaling` (the signaling server, \"ws://HOST:PORT\") is "
                        "required in [network]");
    }
  }
  if (const toml::node* actors = root.get("actors")) {
    const toml::array* arr = actors->as_array();
    if (!arr)
      return make_error(where(actors->source(), source) + ": `actors` must be [[actors]] tables");
    std::set<std::string> names;
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::table* t = (*arr)[i].as_table();
      if (!t)
        return make_error(std::string(source) + ": `actors[" + std::to_string(i) +
                          "]` must be a table");
      ACTR_TRY(auto a, parse_actor(*t, base_dir, source, i));
      if (!names.insert(a.name).second) {
        return make_error(where(t->source(), source) + ": two actors are named `" + a.name + "`");
      }
      c.actors.push_back(std::move(a));
    }
  }
  return c;
}

Result<NodeConfig> load_config(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  auto base = std::filesystem::absolute(path).parent_path();
  return parse_config(ss.str(), base, path.string());
}

const char* to_string(EngineMode mode) {
  switch (mode) {
    case EngineMode::Tiered:
      return "tiered";
    case EngineMode::Aot:
      return "aot";
    case EngineMode::Interp:
      return "interp";
  }
  return "tiered";
}

Result<EngineMode> parse_engine_mode(std::string_view name) {
  if (name == "tiered") return EngineMode::Tiered;
  if (name == "aot") return EngineMode::Aot;
  if (name == "interp") return EngineMode::Interp;
  return make_error("expected \"tiered\", \"aot\" or \"interp\", got \"" + std::string(name) +
                    "\"");
}

EngineMode default_engine_mode() {
  return wasm::default_engine_kind() == wasm::EngineKind::Aot ? EngineMode::Tiered
                                                              : EngineMode::Interp;
}

NodeConfig single_actor_config(const std::filesystem::path& component) {
  NodeConfig c;
  c.data_dir = std::filesystem::absolute("actr-data");
  ActorConfig a;
  a.component = std::filesystem::absolute(component);
  a.name = component.stem().string();
  a.type = ActrType{"local", a.name, "0.1.0"};
  c.actors.push_back(std::move(a));
  return c;
}

}  // namespace actr::runtime
