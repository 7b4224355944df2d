#include "wasi/add_to_linker.hpp"

#include "wasi/host.hpp"
#include "wasi/interface_builder.hpp"

namespace actr::wasi {
namespace {

// A handle dropped (or its instance destroyed) frees the host object in the state it lives in.
template <typename T>
component::ResourceDestructor erase_from(const std::shared_ptr<const Host>& host,
                                         ResourceTable<T> WasiState::*table) {
  std::weak_ptr<const Host> weak = host;
  return [weak, table](uint32_t rep) {
    if (auto h = weak.lock()) (h->state().*table).erase(rep);
  };
}

// Resources come first: the named types and the functions of several interfaces refer to them.
WasiResources add_resources(component::Linker& linker, const std::shared_ptr<const Host>& host) {
  WasiResources r;
  r.error = InterfaceBuilder(linker, "wasi:io/error")
                .resource("error", erase_from(host, &WasiState::errors));
  r.pollable = InterfaceBuilder(linker, "wasi:io/poll")
                   .resource("pollable", erase_from(host, &WasiState::pollables));
  InterfaceBuilder streams(linker, "wasi:io/streams");
  r.input_stream = streams.resource("input-stream", erase_from(host, &WasiState::input_streams));
  r.output_stream = streams.resource("output-stream", erase_from(host, &WasiState::output_streams));
  // No host object ever stands behind these: there are no terminals.
  r.terminal_input =
      InterfaceBuilder(linker, "wasi:cli/terminal-input").resource("terminal-input", {});
  r.terminal_output =
      InterfaceBuilder(linker, "wasi:cli/terminal-output").resource("terminal-output", {});
  InterfaceBuilder fs(linker, "wasi:filesystem/types");
  r.descriptor = fs.resource("descriptor", erase_from(host, &WasiState::descriptors));
  r.directory_entry_stream =
      fs.resource("directory-entry-stream", erase_from(host, &WasiState::directory_streams));
  return r;
}

}  // namespace

namespace {

Result<void> add_host(component::Linker& linker, std::shared_ptr<Host> host) {
  host->resources = add_resources(linker, host);
  host->types = make_wasi_types(host->resources);
  std::shared_ptr<const Host> shared = host;
  add_cli(linker, shared);
  add_io(linker, shared);
  add_clocks(linker, shared);
  add_random(linker, shared);
  add_filesystem(linker, shared);
  return {};  // the linker's functions hold the host: it lives as long as they do
}

}  // namespace

Result<void> add_to_linker(component::Linker& linker, std::shared_ptr<WasiState> state) {
  if (!state) return make_error("wasi::add_to_linker: no state given");
  auto host = std::make_shared<Host>();
  host->fixed = std::move(state);
  return add_host(linker, std::move(host));
}

Result<void> add_to_linker(component::Linker& linker, StateProvider provider) {
  if (!provider) return make_error("wasi::add_to_linker: no state provider given");
  auto host = std::make_shared<Host>();
  host->provider = std::move(provider);
  return add_host(linker, std::move(host));
}

Result<std::shared_ptr<WasiState>> add_to_linker(component::Linker& linker, WasiConfig config) {
  ACTR_TRY(auto state, WasiState::create(std::move(config)));
  ACTR_TRY_VOID(add_to_linker(linker, state));
  return state;
}

}  // namespace actr::wasi
