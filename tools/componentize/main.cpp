// actr-componentize CORE.wasm --wit WIT_FILE_OR_DIR --world NAME -o OUT.wasm
//
// Wraps a core module built against a WIT world into a component, without Node (what
// `jco embed` + `jco new` do for guests that import nothing but their world).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "componentize/componentize.hpp"
#include "witgen/resolver.hpp"

namespace {

bool read_file(const std::string& path, std::vector<uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// Written beside the target and renamed over it: a failed run never leaves a partial component
// that a build tool would take for up to date.
bool write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "actr-componentize: wrap a core wasm module built against a WIT world into a component "
      "(for guests without WASI; those need jco's preview1 adapter)"};
  std::string core_path, wit, world_name, out_path;
  app.add_option("core", core_path, "the core module (e.g. NAME.core.wasm)")->required();
  app.add_option("--wit", wit, "a .wit file, or a directory of them (with deps/)")->required();
  app.add_option("--world", world_name, "the world (name, or ns:pkg/world)")->required();
  app.add_option("-o,--out", out_path, "the component to write")->required();
  CLI11_PARSE(app, argc, argv);

  auto fail = [](const std::string& message) {
    std::cerr << "actr-componentize: " << message << "\n";
    return 1;
  };
  auto packages = actr::witgen::load_wit(wit);
  if (!packages) return fail(packages.error().message);
  auto world = packages->world(world_name);
  if (!world) return fail(world.error().message);
  std::vector<uint8_t> core;
  if (!read_file(core_path, core)) return fail("cannot read " + core_path);
  auto component = actr::componentize::componentize(**world, core);
  if (!component) return fail(core_path + ": " + component.error().message);
  if (!write_file(out_path, *component)) return fail("cannot write " + out_path);
  return 0;
}
