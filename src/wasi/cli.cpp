// wasi:cli: environment, exit, stdin/stdout/stderr and the (absent) terminals.
#include "wasi/exit_status.hpp"
#include "wasi/host.hpp"
#include "wasi/interface_builder.hpp"

namespace actr::wasi {

using component::Kind;
using component::primitive;
using component::Value;
using Args = std::span<const Value>;

namespace {

void add_environment(component::Linker& linker, const std::shared_ptr<const Host>& host) {
  InterfaceBuilder env(linker, "wasi:cli/environment");
  auto string = primitive(Kind::String);
  env.func("get-environment", {}, component::list_of(component::tuple_of({string, string})),
           [host](Args) -> Result<Value> {
             std::vector<Value> pairs;
             for (const auto& [key, value] : host->state().config().env) {
               pairs.push_back(Value::tuple({Value::string(key), Value::string(value)}));
             }
             return Value::list(std::move(pairs));
           });
  env.func("get-arguments", {}, component::list_of(string), [host](Args) -> Result<Value> {
    std::vector<Value> args;
    for (const auto& arg : host->state().config().args) args.push_back(Value::string(arg));
    return Value::list(std::move(args));
  });
  env.func("initial-cwd", {}, component::option_of(string), [host](Args) -> Result<Value> {
    const auto& cwd = host->state().config().initial_cwd;
    return cwd ? Value::some(Value::string(*cwd)) : Value::none();
  });
}

void add_exit(component::Linker& linker, const std::shared_ptr<const Host>& host) {
  InterfaceBuilder exit(linker, "wasi:cli/exit");
  // The returned Error traps the guest, which is how exit stops it.
  exit.func("exit", {{"status", component::result_of(nullptr, nullptr)}}, nullptr,
            [host](Args args) -> Result<Value> {
              int status = args[0].is_ok ? 0 : 1;
              host->state().set_exit_status(status);
              return exit_error(status);
            });
  exit.func("exit-with-code", {{"status-code", primitive(Kind::U8)}}, nullptr,
            [host](Args args) -> Result<Value> {
              int status = static_cast<int>(args[0].u & 0xff);
              host->state().set_exit_status(status);
              return exit_error(status);
            });
}

void add_stdio(component::Linker& linker, const std::shared_ptr<const Host>& host) {
  const auto& r = host->resources;
  InterfaceBuilder(linker, "wasi:cli/stdin")
      .func("get-stdin", {}, component::own_of(r.input_stream), [host](Args) {
        return host->give(host->state().input_streams, host->resources.input_stream,
                          WasiState::InputStream{host->state().stdin_source()});
      });
  InterfaceBuilder(linker, "wasi:cli/stdout")
      .func("get-stdout", {}, component::own_of(r.output_stream), [host](Args) {
        return host->give(host->state().output_streams, host->resources.output_stream,
                          WasiState::OutputStream{host->state().stdout_channel()});
      });
  InterfaceBuilder(linker, "wasi:cli/stderr")
      .func("get-stderr", {}, component::own_of(r.output_stream), [host](Args) {
        return host->give(host->state().output_streams, host->resources.output_stream,
                          WasiState::OutputStream{host->state().stderr_channel()});
      });
}

// A guest's stdio is never a terminal here.
void add_terminals(component::Linker& linker, const std::shared_ptr<const Host>& host) {
  const auto& r = host->resources;
  auto none = [](Args) -> Result<Value> { return Value::none(); };
  InterfaceBuilder(linker, "wasi:cli/terminal-stdin")
      .func("get-terminal-stdin", {}, component::option_of(component::own_of(r.terminal_input)),
            none);
  InterfaceBuilder(linker, "wasi:cli/terminal-stdout")
      .func("get-terminal-stdout", {}, component::option_of(component::own_of(r.terminal_output)),
            none);
  InterfaceBuilder(linker, "wasi:cli/terminal-stderr")
      .func("get-terminal-stderr", {}, component::option_of(component::own_of(r.terminal_output)),
            none);
}

}  // namespace

void add_cli(component::Linker& linker, const std::shared_ptr<const Host>& host) {
  add_environment(linker, host);
  add_exit(linker, host);
  add_stdio(linker, host);
  add_terminals(linker, host);
}

}  // namespace actr::wasi
