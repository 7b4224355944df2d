// The `actr` command.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"actr: a runtime for distributed actors whose workloads are WebAssembly components"};
  app.require_subcommand(1);
  app.add_subcommand("version", "Print the version")->callback([] { std::puts("actr 0.1.0"); });
  int exit_code = 0;
  actr::cli::add_component_commands(app, exit_code);
  actr::cli::add_workload_commands(app, exit_code);
  actr::cli::add_run_command(app, exit_code);
  actr::cli::add_dlq_commands(app, exit_code);
  actr::cli::add_call_command(app, exit_code);
  actr::cli::add_signal_command(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
