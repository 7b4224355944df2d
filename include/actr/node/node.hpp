// Embedding a node in a C++ program: the actors of one actr.toml, started, called and stopped
// by the program, which also answers the actors' calls to `shell`.
//
//   auto node = actr::node::Node::load("actr.toml");
//   if (!node) return fail(node.error().message);
//   if (auto started = (*node)->start(); !started) return fail(started.error().message);
//   actr::node::Reply r = (*node)->call("acme/echo", "echo", {'h', 'i'});
//   if (!r.ok()) return fail(r.error_kind + ": " + r.error);
//   (*node)->stop();
//
// This header and the ones it includes are the whole API: the runtime behind it is internal.
// Calls are thread-safe; `call` blocks the calling thread, `call_async` does not.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/wasm/engine.hpp"

namespace actr::node {

using Bytes = std::vector<uint8_t>;

// The outcome of a call: the reply's bytes, or the contract's `actr-error` as its WIT case name
// ("unknown-route", "timed-out", "not-found", ...) and its message.
struct Reply {
  Bytes payload;
  std::string error_kind;  // empty: success
  std::string error;
  bool ok() const { return error_kind.empty(); }
};

// A call an actor made to `shell` (dest::shell): the program answers it.
struct ShellCall {
  std::string caller;  // the calling actor, "realm:serial"
  std::string route;
  Bytes payload;
};
// Answers exactly once, from any thread.
using ShellHandler = std::function<void(ShellCall call, std::function<void(Reply)> answer)>;

struct Options {
  // Where compiled code is cached (default: $ACTR_CACHE_DIR, else ~/.cache/actr).
  std::optional<std::filesystem::path> cache_dir;
  // Answers the actors' calls to `shell`; default: actr run's (shell/time, shell/echo, shell/node).
  ShellHandler shell;
  // Compiles that miss the code cache; default: a log line when one starts and when it ends.
  std::function<void(const wasm::CompileProgress&)> on_compile;
};

struct ActorStatus {
  std::string name;     // the [[actors]] name
  std::string id;       // "realm:serial"
  std::string type;     // "manufacturer/name@version"
  std::string state;    // "running", "restarting", "failed", ...
  std::string tier;     // "interp" or "aot" (tiered execution), "none" before it loaded
  std::string failure;  // why it failed or restarts; empty otherwise
};

class Node {
 public:
  // Reads actr.toml (relative paths resolve against its directory). Errors name the key.
  static Result<std::unique_ptr<Node>> load(const std::filesystem::path& actr_toml,
                                            Options options = {});
  // The same from TOML text, with relative paths resolved against `base_dir`.
  static Result<std::unique_ptr<Node>> from_toml(std::string_view toml,
                                                 const std::filesystem::path& base_dir,
                                                 Options options = {});
  ~Node();  // stop()
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Loads every component and starts every actor (on-start, on-ready). An actor that cannot
  // start is reported in actors() and the others run; errors are node-wide failures only.
  Result<void> start();
  // Drains and stops every actor (on-stop). Idempotent.
  void stop();

  // `target`: "realm:serial", or a type "manufacturer/name" (any running instance).
  Reply call(std::string_view target, std::string_view route, Bytes payload);
  void call_async(std::string_view target, std::string_view route, Bytes payload,
                  std::function<void(Reply)> done);
  // Fire-and-forget: an empty error_kind once the message is accepted.
  Reply tell(std::string_view target, std::string_view route, Bytes payload);

  std::vector<ActorStatus> actors() const;
  // True while the node runs and none of its actors has failed; problems() says why not.
  bool healthy() const;
  std::vector<std::string> problems() const;
  // The node's metrics in the Prometheus text format (what GET /metrics serves).
  std::string metrics_text() const;

 private:
  struct Impl;
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace actr::node
