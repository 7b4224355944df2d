#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "cli/commands.hpp"
#include "cli/compile_progress.hpp"
#include "cli/stop_signals.hpp"
#include "component/binary/decoder.hpp"
#include "component/wave/wave.hpp"
#include "component/wit/wit_printer.hpp"
#include "wasi/add_to_linker.hpp"

namespace actr::cli {
namespace {

Result<std::vector<uint8_t>> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot open " + path);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

int fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

int run_wit(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return fail(bytes.error().message);
  auto tree = component::binary::decode(*bytes);
  if (!tree) return fail(path + ": " + tree.error().message);
  // An invalid component is an error (exit 1, the reason on stderr), as for wasm-tools.
  auto wit = component::wit::component_wit(**tree);
  if (!wit) return fail(path + ": invalid component: " + wit.error().message);
  std::fputs(wit->c_str(), stdout);
  return 0;
}

struct InvokeOptions {
  std::string engine;
  bool trap_unknown_imports = false;
  std::string file;
  std::string call;
};

int run_invoke(const InvokeOptions& o) {
  // While the component compiles, Ctrl-C / SIGTERM stop the compile at once; afterwards they
  // end the process as usual (a guest call is not interruptible otherwise).
  auto stop_signals = std::make_unique<StopSignals>();
  CompileProgressDisplay progress(/*log_otherwise=*/false);
  wasm::EngineOptions options;
  options.on_compile = progress.callback();
  wasm::EngineKind kind = wasm::default_engine_kind();
  if (!o.engine.empty()) {
    auto k = wasm::parse_engine_kind(o.engine);
    if (!k) return fail(k.error().message);
    kind = *k;
  }
  auto engine = wasm::make_engine(kind, options);
  if (!engine) return fail(engine.error().message);
  auto comp = component::Component::load_file(**engine, o.file);
  if (const char* sig = stop_signals->received()) return fail(std::string("stopped by ") + sig);
  stop_signals.reset();
  if (!comp) return fail(comp.error().message);

  component::Linker linker(**engine);
  linker.trap_unknown_imports(o.trap_unknown_imports);
  wasi::WasiConfig config;
  config.instance_name = o.file;
  auto wasi_state = wasi::add_to_linker(linker, std::move(config));
  if (!wasi_state) return fail(wasi_state.error().message);

  auto call = component::wave::parse_call(o.call);
  if (!call) return fail("in `" + o.call + "`: " + call.error().message);

  auto instance = linker.instantiate(**comp);
  if (!instance) return fail(instance.error().message);
  component::ExportedFunc* fn = (*instance)->func(call->name);
  if (!fn) {
    std::string known;
    for (const auto& n : (*instance)->func_names()) known += (known.empty() ? "" : ", ") + n;
    return fail("no exported function `" + call->name + "` (exports: " + known + ")");
  }
  auto args = component::wave::parse_args(*call, fn->type().params);
  if (!args) return fail("in `" + o.call + "`: " + args.error().message);
  auto results = fn->call(*args);
  if (!results) {
    if (auto status = (*wasi_state)->exit_status()) return *status;
    return fail(results.error().message);
  }
  const auto& types = fn->type().results;
  for (size_t i = 0; i < results->size() && i < types.size(); ++i) {
    std::string text = component::wave::print((*results)[i], *types[i].type);
    if (!types[i].name.empty()) text = types[i].name + ": " + text;
    std::puts(text.c_str());
  }
  return 0;
}

struct CompileOptions {
  std::vector<std::string> files;
  std::string cache_dir;
};

// `actr compile FILE...`: every core module of each component into the aot code cache, so that
// a node deployed afterwards starts without compiling (as `wasmtime compile` does).
int run_compile(const CompileOptions& o) {
  StopSignals stop_signals;  // Ctrl-C / SIGTERM stop a compile at once
  CompileProgressDisplay progress;
  wasm::EngineOptions options;
  if (!o.cache_dir.empty()) options.cache_dir = o.cache_dir;
  std::atomic<uint64_t> compiled_modules{0};
  options.on_compile = [&, show = progress.callback()](const wasm::CompileProgress& p) {
    if (p.stage == wasm::CompileProgress::Stage::Finished) compiled_modules.fetch_add(1);
    show(p);
  };
  auto engine = wasm::make_engine(wasm::EngineKind::Aot, options);
  if (!engine) return fail(engine.error().message);
  int status = 0;
  for (const auto& file : o.files) {
    auto began = std::chrono::steady_clock::now();
    uint64_t compiles = compiled_modules.load();
    auto comp = component::Component::load_file(**engine, file);
    if (const char* sig = stop_signals.received()) {
      std::fprintf(stderr, "error: stopped by %s\n", sig);
      return 1;
    }
    if (!comp) {
      std::fprintf(stderr, "error: %s\n", comp.error().message.c_str());
      status = 1;
      continue;
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    uint64_t compiled = compiled_modules.load() - compiles;
    std::printf("%s: %s in %.2f s\n", file.c_str(),
                compiled == 0 ? "already in the cache"
                              : ("compiled " + std::to_string(compiled) + " core module" +
                                 (compiled == 1 ? "" : "s"))
                                    .c_str(),
                seconds);
  }
  return status;
}

}  // namespace

void add_component_commands(CLI::App& app, int& exit_code) {
  auto* compile = app.add_subcommand(
      "compile", "Compile components into the aot code cache ahead of running them");
  auto compile_opts = std::make_shared<CompileOptions>();
  compile->add_option("FILE", compile_opts->files, "component binaries")->required();
  compile->add_option("--cache-dir", compile_opts->cache_dir,
                      "Code cache (default: $ACTR_CACHE_DIR, else ~/.cache/actr)");
  compile->callback([compile_opts, &exit_code] { exit_code = run_compile(*compile_opts); });

  auto* component = app.add_subcommand("component", "Inspect and run WebAssembly components");
  component->require_subcommand(1);

  auto* wit = component->add_subcommand("wit", "Print the component's world in WIT");
  auto wit_file = std::make_shared<std::string>();
  wit->add_option("FILE", *wit_file, "component binary")->required();
  wit->callback([wit_file, &exit_code] { exit_code = run_wit(*wit_file); });

  auto* invoke = component->add_subcommand(
      "invoke", "Instantiate a component with the WASI subset and call one export");
  auto opts = std::make_shared<InvokeOptions>();
  invoke->add_option("--engine", opts->engine,
                     "aot or interp (default: aot when a C compiler is present)");
  invoke->add_flag("--trap-unknown-imports", opts->trap_unknown_imports,
                   "link imports the host does not provide to functions that trap when called");
  invoke->add_option("FILE", opts->file, "component binary")->required();
  invoke->add_option("CALL", opts->call, "the call in WAVE, e.g. 'add(1, 2)'")->required();
  invoke->callback([opts, &exit_code] { exit_code = run_invoke(*opts); });
}

}  // namespace actr::cli
