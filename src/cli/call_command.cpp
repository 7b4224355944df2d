// `actr call`: one call to an actor through a node's HTTP gateway (gateway/client.hpp).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "cli/commands.hpp"
#include "gateway/client.hpp"
#include "gateway/error_mapping.hpp"

namespace actr::cli {
namespace {

constexpr int kActrErrorExit = 2;
constexpr int kTransportExit = 1;

Result<std::vector<uint8_t>> read_stdin() {
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n == 0) return out;
    if (n < 0) return make_error("cannot read the payload from stdin");
    out.insert(out.end(), buf, buf + n);
  }
}

// PAYLOAD as UTF-8 bytes, `@file` the file's bytes, `@-` stdin.
Result<std::vector<uint8_t>> load_payload(const std::string& arg) {
  if (arg == "@-") return read_stdin();
  if (!arg.empty() && arg.front() == '@') {
    std::string path = arg.substr(1);
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error("cannot read payload file '" + path + "'");
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    if (in.bad()) return make_error("cannot read payload file '" + path + "'");
    return bytes;
  }
  return std::vector<uint8_t>(arg.begin(), arg.end());
}

int run_call(const std::string& node, double timeout_s, const std::string& target,
             const std::string& route, const std::string& payload_arg) {
  auto payload = load_payload(payload_arg);
  if (!payload.ok()) {
    std::fprintf(stderr, "error: %s\n", payload.error().message.c_str());
    return kTransportExit;
  }
  gateway::ClientOptions options;
  if (timeout_s > 0)
    options.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  gateway::Client client(options);
  auto result = client.post(node, target, route, *payload);
  if (!result.ok()) {
    std::fprintf(stderr, "error: %s\n", result.error().message.c_str());
    return kTransportExit;
  }
  if (result->is_err()) {
    const auto& error = result->error();
    std::string line = "error: " + std::string(gateway::error_case(error));
    std::string message = gateway::error_message(error);
    if (!message.empty()) line += ": " + message;
    if (error.tag() == gateway::ActrError::Tag::DependencyNotFound)
      line += " (service " + error.as_dependency_not_found().service_name + ")";
    std::fprintf(stderr, "%s\n", line.c_str());
    return kActrErrorExit;
  }
  const auto& reply = result->value();
  if (!reply.empty() && std::fwrite(reply.data(), 1, reply.size(), stdout) != reply.size()) {
    std::fprintf(stderr, "error: cannot write the reply to stdout\n");
    return kTransportExit;
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

void add_call_command(CLI::App& app, int& exit_code) {
  struct Args {
    std::string node = "http://127.0.0.1:8080";
    double timeout = 30;
    std::string target, route, payload;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "call",
      "Call an actor through a node's HTTP gateway and print the reply bytes (exit 2 on an "
      "actr-error, 1 when the node cannot be reached)");
  cmd->add_option("--node", args->node, "Gateway URL of the node")
      ->envname("ACTR_NODE")
      ->capture_default_str();
  cmd->add_option("--timeout", args->timeout, "Seconds to wait for the reply")
      ->capture_default_str();
  cmd->add_option("TARGET", args->target, "Actor type (echo, acme/echo) or actor id")->required();
  cmd->add_option("ROUTE", args->route, "Route key")->required();
  cmd->add_option("PAYLOAD", args->payload,
                  "Payload: text taken as UTF-8 bytes, @FILE for a file's bytes, @- for stdin");
  cmd->callback([args, &exit_code] {
    exit_code = run_call(args->node, args->timeout, args->target, args->route, args->payload);
  });
}

}  // namespace actr::cli
