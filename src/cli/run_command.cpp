// `actr run CONFIG.toml | FILE.wasm`: runs a node until SIGINT or SIGTERM.
#include <spdlog/spdlog.h>

#include <charconv>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/compile_progress.hpp"
#include "cli/stop_signals.hpp"
#include "gateway/node_gateway.hpp"
#include "runtime/config.hpp"
#include "runtime/node.hpp"

namespace actr::cli {

namespace {

struct RunOptions {
  std::string path;
  std::string gateway;  // "ADDR:PORT" or "PORT"
  std::string engine;
  std::string data_dir;
  std::string log_level;
  std::string signaling;          // overrides [network] signaling
  std::string listen;             // overrides [network] listen
  std::string enroll_token_file;  // overrides [network] enroll_token(_file)
};

Result<void> apply_gateway(runtime::NodeConfig& config, const std::string& spec) {
  std::string address = config.gateway.address;
  std::string port_text = spec;
  if (size_t colon = spec.rfind(':'); colon != std::string::npos) {
    address = spec.substr(0, colon);
    port_text = spec.substr(colon + 1);
  }
  uint16_t port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || p != port_text.data() + port_text.size()) {
    return make_error("--gateway: expected PORT or ADDRESS:PORT, got `" + spec + "`");
  }
  config.gateway.enabled = true;
  config.gateway.address = address;
  config.gateway.port = port;
  return {};
}

Result<void> run(const RunOptions& o) {
  if (!o.log_level.empty()) spdlog::set_level(spdlog::level::from_str(o.log_level));
  std::filesystem::path path(o.path);
  runtime::NodeConfig config;
  if (path.extension() == ".wasm") {
    config = runtime::single_actor_config(path);
  } else {
    ACTR_TRY(auto loaded, runtime::load_config(path));
    config = std::move(loaded);
  }
  if (!o.gateway.empty()) ACTR_TRY_VOID(apply_gateway(config, o.gateway));
  if (!o.engine.empty()) {
    ACTR_TRY(config.engine, runtime::parse_engine_mode(o.engine));
  }
  if (!o.data_dir.empty()) config.data_dir = std::filesystem::absolute(o.data_dir);
  if (!o.signaling.empty()) {
    // "ws://A:7450,ws://B:7450": servers of one realm, tried in turn.
    std::vector<std::string> urls;
    for (size_t at = 0; at <= o.signaling.size();) {
      size_t comma = std::min(o.signaling.find(',', at), o.signaling.size());
      if (comma > at) urls.push_back(o.signaling.substr(at, comma - at));
      at = comma + 1;
    }
    if (urls.empty()) return make_error("--signaling: no URL");
    config.network.signaling = urls.front();
    config.network.signaling_fallbacks.assign(urls.begin() + 1, urls.end());
  }
  if (!o.listen.empty()) config.network.listen = o.listen;
  if (!o.enroll_token_file.empty()) {
    config.network.enroll_token.clear();
    config.network.enroll_token_file = std::filesystem::absolute(o.enroll_token_file);
  }
  if (!o.listen.empty() && !config.network.enabled()) {
    return make_error("--listen needs a signaling server (--signaling or [network] signaling)");
  }

  StopSignals stop_signals;  // before any thread starts

  CompileProgressDisplay progress;
  runtime::NodeOptions node_options;
  node_options.on_compile = progress.callback();
  ACTR_TRY(auto node, runtime::Node::create(std::move(config), std::move(node_options)));
  auto started = node->start();
  if (const char* sig = stop_signals.received()) {
    // Compiles were cancelled: whatever start() reports is a consequence of the signal.
    node->stop();
    return make_error(std::string("stopped by ") + sig + " while the node was starting");
  }
  ACTR_TRY_VOID(std::move(started));
  size_t running = 0, hopeless = 0;
  for (auto& a : node->actors()) {
    running += a->state() == runtime::Actor::State::Running;
    std::cout << a->label() << "  " << workload::to_string(a->id().type) << "  ";
    if (auto f = a->failure()) {
      // No restart fixes a component that does not load or link: said once, plainly.
      hopeless += !f->retry_at;
      std::cout << "failed: " << f->reason << (f->retry_at ? " (the supervisor tries again)" : "")
                << "\n";
    } else {
      std::cout << "running\n";
    }
  }
  if (hopeless > 0 && hopeless == node->actors().size()) {
    node->stop();
    return make_error(hopeless == 1
                          ? "the node's only actor cannot start"
                          : "none of the node's " + std::to_string(hopeless) + " actors can start");
  }
  if (auto* network = node->network()) {
    std::cout << "network: listening on " << network->listen_address() << ", signaling at "
              << node->config().network.signaling << "\n";
  }
  std::unique_ptr<gateway::NodeGateway> http;
  if (node->config().gateway.enabled) {
    auto started_gateway = gateway::NodeGateway::start(*node);
    if (!started_gateway) {
      node->stop();
      return started_gateway.error();
    }
    http = std::move(*started_gateway);
    std::cout << "gateway: " << http->url() << "\n";
  }
  std::cout << "ready (" << running << " actors running); Ctrl-C stops the node" << std::endl;
  spdlog::info("{}: stopping", stop_signals.wait());
  if (http) http->stop();  // no new calls from outside
  node->stop();
  std::cout << "stopped" << std::endl;
  return {};
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run a node from actr.toml, or one component as an actor");
  cmd->add_option("path", options->path, "actr.toml, or a component FILE.wasm")->required();
  cmd->add_option("--gateway", options->gateway,
                  "Serve the HTTP gateway on PORT or ADDRESS:PORT (overrides [gateway])");
  cmd->add_option("--engine", options->engine,
                  "tiered (default), aot or interp (overrides `engine`)")
      ->check(CLI::IsMember({"tiered", "aot", "interp"}));
  cmd->add_option("--data-dir", options->data_dir, "Data directory (overrides `data_dir`)");
  cmd->add_option("--signaling", options->signaling,
                  "Join the network of this signaling server, ws://HOST:PORT (overrides "
                  "[network] signaling)");
  cmd->add_option("--listen", options->listen,
                  "Accept other nodes on HOST:PORT (overrides [network] listen)");
  cmd->add_option("--enroll-token-file", options->enroll_token_file,
                  "The signaling server's enrollment token, from this file (overrides [network] "
                  "enroll_token and enroll_token_file)");
  cmd->add_option("--log-level", options->log_level, "trace, debug, info, warn, err, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "err", "off"}));
  cmd->callback([options, &exit_code] {
    if (auto r = run(*options); !r) {
      std::cerr << "error: " << r.error().message << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace actr::cli
