// Registration of the `actr` subcommands, one function per command group.
#pragma once

#include <CLI/CLI.hpp>

namespace actr::cli {

// `actr component wit FILE` and `actr component invoke [--engine] [--trap-unknown-imports] FILE
// CALL`. Sets `exit_code` when a command fails.
void add_component_commands(CLI::App& app, int& exit_code);

// `actr new NAME [--dir PARENT]` (a C++ workload project from sdk/cpp/template) and
// `actr build [DIR]` (cmake + ninja into DIR/build; prints the component's path).
void add_workload_commands(CLI::App& app, int& exit_code);

// `actr dlq list [--data-dir DIR | --config actr.toml] [--mailbox M]` and `actr dlq replay ID...`.
void add_dlq_commands(CLI::App& app, int& exit_code);

// `actr call [--node URL] [--timeout S] TARGET ROUTE [PAYLOAD|@file|@-]` through a node's HTTP
// gateway: prints the reply bytes; exits 2 on an actr-error, 1 when the node is unreachable.
void add_call_command(CLI::App& app, int& exit_code);

// `actr run [--gateway ADDR:PORT] [--engine] [--data-dir] [--log-level] actr.toml|FILE.wasm`:
// runs a node until SIGINT/SIGTERM.
void add_run_command(CLI::App& app, int& exit_code);

// `actr signal [--listen ADDR:PORT] [--data-dir DIR] [--credential-ttl S] [--heartbeat S]
// [--max-frame BYTES] [--rate N] [--enroll-token T | --enroll-token-file F | --insecure-open]
// [--log-level]`: runs the signaling server until SIGINT/SIGTERM.
void add_signal_command(CLI::App& app, int& exit_code);

}  // namespace actr::cli
