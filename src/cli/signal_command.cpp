// `actr signal`: runs the signaling server until SIGINT or SIGTERM, alone or as one of several
// sharing a realm through NATS (--nats). `actr signal keygen FILE` makes the realm's signing key
// those servers share.
#include <spdlog/spdlog.h>

#include <charconv>
#include <fstream>
#include <iostream>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "cli/stop_signals.hpp"
#include "signaling/enrollment.hpp"
#include "signaling/server/server.hpp"
#include "signaling/server/signing_key_file.hpp"
#include "workload/ids.hpp"

namespace actr::cli {

namespace {

struct SignalOptions {
  std::string listen = "127.0.0.1:7450";
  std::string data_dir = "signaling-data";
  int64_t credential_ttl_s = 3600;
  double heartbeat_s = 10;
  size_t max_frame_bytes = 64 * 1024;
  double rate = 1000;
  std::string enroll_token;
  std::string enroll_token_file;
  bool insecure_open = false;
  std::vector<std::string> turn;
  std::string turn_secret_file;
  std::vector<std::string> nats;
  std::string signing_key_file;
  std::vector<std::string> accepted_signing_key_files;
  std::string log_level;
};

std::string hex(const signaling::PublicKey& key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : key) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  return out;
}

Result<void> apply_listen(signaling::server::ServerOptions& options, const std::string& spec) {
  std::string port_text = spec;
  if (size_t colon = spec.rfind(':'); colon != std::string::npos) {
    options.address = spec.substr(0, colon);
    port_text = spec.substr(colon + 1);
  }
  auto [p, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), options.port);
  if (options.address.empty() || ec != std::errc{} || p != port_text.data() + port_text.size()) {
    return make_error("--listen: expected PORT or ADDRESS:PORT, got `" + spec + "`");
  }
  return {};
}

// --turn HOST[:PORT] (coturn's default port 3478); the secret comes from a file, never from the
// command line (where other users of the machine could read it).
Result<void> apply_turn(signaling::server::ServerOptions& options, const SignalOptions& o) {
  if (o.turn.empty()) return {};
  if (o.turn_secret_file.empty()) {
    return make_error(
        "--turn needs --turn-secret-file: the secret coturn checks credentials with "
        "(its --static-auth-secret)");
  }
  for (const std::string& spec : o.turn) {
    signaling::TurnServerAddress server{spec, 3478};
    size_t colon = spec.rfind(':');
    if (colon != std::string::npos && spec.find(']') == std::string::npos) {
      server.host = spec.substr(0, colon);
      std::string_view port(spec.data() + colon + 1, spec.size() - colon - 1);
      auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), server.port);
      if (ec != std::errc{} || p != port.data() + port.size() || server.port == 0) {
        return make_error("--turn: expected HOST or HOST:PORT, got `" + spec + "`");
      }
    }
    if (server.host.empty()) return make_error("--turn: expected HOST or HOST:PORT");
    options.turn_servers.push_back(std::move(server));
  }
  std::ifstream in(o.turn_secret_file);
  if (!in) return make_error("--turn-secret-file: cannot read " + o.turn_secret_file);
  std::getline(in, options.turn_secret);
  while (!options.turn_secret.empty() &&
         (options.turn_secret.back() == '\r' || options.turn_secret.back() == ' ')) {
    options.turn_secret.pop_back();
  }
  if (options.turn_secret.size() < 16) {
    return make_error("--turn-secret-file: the secret's first line must be at least 16 characters");
  }
  return {};
}

Result<void> run(const SignalOptions& o) {
  if (!o.log_level.empty()) spdlog::set_level(spdlog::level::from_str(o.log_level));
  signaling::server::ServerOptions options;
  ACTR_TRY_VOID(apply_listen(options, o.listen));
  options.data_dir = std::filesystem::absolute(o.data_dir);
  options.credential_ttl = std::chrono::seconds(o.credential_ttl_s);
  options.heartbeat_interval =
      std::chrono::milliseconds(static_cast<int64_t>(o.heartbeat_s * 1000));
  options.max_frame_bytes = o.max_frame_bytes;
  options.messages_per_second = o.rate;
  options.message_burst = 2 * o.rate;
  ACTR_TRY_VOID(apply_turn(options, o));
  options.nats_urls = o.nats;
  if (!o.signing_key_file.empty()) options.signing_key_file = o.signing_key_file;
  for (const auto& f : o.accepted_signing_key_files) options.accepted_signing_key_files.push_back(f);
  if (!o.nats.empty() && o.signing_key_file.empty()) {
    return make_error(
        "--nats needs --signing-key-file: every server of the realm signs credentials with the "
        "same key (create it once with `actr signal keygen FILE` and copy it to each server)");
  }
  // Closed by default: a token from the command line, a token file, or the data directory's own
  // token file (created on first start). Open enrollment only when asked for by name.
  std::string token_note;
  if (o.insecure_open) {
    options.enrollment.open = true;
    std::cerr << "warning: --insecure-open: anyone who reaches " << o.listen
              << " may register actors of any type and receive signed credentials; ACLs by type "
                 "mean nothing. For development only.\n";
    token_note = "enrollment: OPEN (--insecure-open; development only)";
  } else if (!o.enroll_token.empty()) {
    if (o.enroll_token.size() < 16) {
      return make_error("--enroll-token: an enrollment token must be at least 16 characters");
    }
    options.enrollment.tokens.push_back({o.enroll_token, {}});
    token_note = "enrollment: the token given with --enroll-token";
  } else {
    std::filesystem::path file = o.enroll_token_file;
    if (file.empty()) {
      bool created = false;
      ACTR_TRY(file, signaling::ensure_enroll_token_file(options.data_dir, &created));
      if (created) spdlog::info("signaling: created a new enrollment token in {}", file.string());
    }
    ACTR_TRY(options.enrollment.tokens, signaling::read_enroll_tokens(file));
    token_note = "enrollment token: " + std::filesystem::absolute(file).string() +
                 " (nodes: enroll_token_file in [network], or actr run --enroll-token-file)";
  }
  // Discovery accepts semver-compatible versions, as discovery on a node does.
  options.type_matches = [](const signaling::ActrType& offered, const signaling::ActrType& wanted) {
    return workload::type_matches(offered, wanted);
  };

  StopSignals stop_signals;  // before any thread starts

  ACTR_TRY(auto server, signaling::server::Server::start(std::move(options)));
  std::cout << "signaling: " << server->listen_address() << "\n" << token_note << "\n";
  if (!o.nats.empty()) {
    std::string urls;
    for (const std::string& url : o.nats) urls += (urls.empty() ? "" : ",") + url;
    std::cout << "realm state: NATS " << urls << " (signing key " << o.signing_key_file << ")\n";
  }
  std::cout << std::flush;
  spdlog::info("{}: stopping", stop_signals.wait());
  server->stop();
  std::cout << "stopped" << std::endl;
  return {};
}

}  // namespace

void add_signal_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<SignalOptions>();
  auto* cmd = app.add_subcommand("signal", "Run the signaling server nodes register with");
  cmd->add_option("--listen", options->listen, "ADDRESS:PORT or PORT (default 127.0.0.1:7450)");
  cmd->add_option("--data-dir", options->data_dir,
                  "Registrations, serial counters and the signing key (default signaling-data)");
  cmd->add_option("--credential-ttl", options->credential_ttl_s,
                  "Credential lifetime in seconds (default 3600)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--heartbeat", options->heartbeat_s,
                  "Heartbeat interval in seconds; 3 missed mark an actor down (default 10)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-frame", options->max_frame_bytes,
                  "Largest accepted frame in bytes (default 65536)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--rate", options->rate,
                  "Messages per second per connection, burst twice that (default 1000)")
      ->check(CLI::PositiveNumber);
  auto* token = cmd->add_option("--enroll-token", options->enroll_token,
                                "Nodes must send this token (Authorization: Bearer) to register");
  auto* token_file =
      cmd->add_option("--enroll-token-file", options->enroll_token_file,
                      "Enrollment tokens, one a line: TOKEN [TYPE-PATTERN...] (default: "
                      "DATA_DIR/enroll-token, created with a random token on first start)")
          ->excludes(token);
  cmd->add_flag("--insecure-open", options->insecure_open,
                "Let anyone register any actor type without a token (development only)")
      ->excludes(token)
      ->excludes(token_file);
  cmd->add_option("--turn", options->turn,
                  "A TURN server (HOST or HOST:PORT, default port 3478) whose short-lived "
                  "credentials registered actors receive; repeatable");
  cmd->add_option("--turn-secret-file", options->turn_secret_file,
                  "The secret shared with the TURN servers (coturn --use-auth-secret "
                  "--static-auth-secret), on the file's first line");
  cmd->add_option("--nats", options->nats,
                  "Share the realm with other signaling servers through NATS JetStream: "
                  "nats://HOST:PORT[,...] (needs --signing-key-file)")
      ->delimiter(',');
  cmd->add_option("--signing-key-file", options->signing_key_file,
                  "The realm's Ed25519 signing key, the same file at every server of the realm "
                  "(`actr signal keygen FILE`; default: the key kept in DATA_DIR)");
  cmd->add_option("--accept-signing-key-file", options->accepted_signing_key_files,
                  "Another signing key file of the realm (while rotating its key) whose "
                  "credentials still prove an actor's id here; new ones are signed with "
                  "--signing-key-file only; repeatable");
  cmd->add_option("--log-level", options->log_level, "trace, debug, info, warn, err, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "err", "off"}));

  auto key_file = std::make_shared<std::string>();
  auto* keygen = cmd->add_subcommand(
      "keygen", "Create a realm signing key file (mode 0600) for --signing-key-file");
  keygen->add_option("file", *key_file, "Where to write the key; an existing file is kept")
      ->required();
  keygen->callback([key_file, &exit_code] {
    auto public_key = signaling::server::create_signing_key_file(*key_file);
    if (!public_key) {
      std::cerr << "error: " << public_key.error().message << "\n";
      exit_code = 1;
      return;
    }
    std::cout << "signing key: " << *key_file << "\npublic key: " << hex(*public_key) << std::endl;
  });

  cmd->callback([options, keygen, &exit_code] {
    if (keygen->parsed()) return;
    if (auto r = run(*options); !r) {
      std::cerr << "error: " << r.error().message << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace actr::cli
