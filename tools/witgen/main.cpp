// actr-witgen --guest|--host WIT_FILE_OR_DIR --world NAME -o OUT_DIR [--namespace NS]
//              [--owned-import-params]
#include <CLI/CLI.hpp>
#include <iostream>

#include "witgen/generator.hpp"
#include "witgen/resolver.hpp"

int main(int argc, char** argv) {
  using namespace actr::witgen;
  CLI::App app{
      "actr-witgen: C++ bindings for a WIT world (guest: wasm32 component code; host: "
      "typed wrappers over the actr component linker)"};
  bool guest = false, host = false;
  std::string wit, out_dir;
  GeneratorOptions options;
  auto* g = app.add_flag("--guest", guest, "generate guest bindings");
  auto* h = app.add_flag("--host", host, "generate host bindings");
  g->excludes(h);
  app.add_option("wit", wit, "a .wit file, or a directory of them (with deps/)")->required();
  app.add_option("--world", options.world, "the world (name, or ns:pkg/world)")->required();
  app.add_option("-o,--out", out_dir, "output directory")->required();
  app.add_option("--namespace", options.cpp_namespace,
                 "C++ namespace of the world's package (default ns::pkg)");
  app.add_flag("--owned-import-params", options.owned_import_params,
               "host: imported functions take non-scalar arguments by value (moved in)");
  CLI11_PARSE(app, argc, argv);
  if (!guest && !host) {
    std::cerr << "actr-witgen: give --guest or --host\n";
    return 2;
  }
  auto packages = load_wit(wit);
  if (!packages) {
    std::cerr << "actr-witgen: " << packages.error().message << "\n";
    return 1;
  }
  auto files = guest ? generate_guest(*packages, options) : generate_host(*packages, options);
  if (!files) {
    std::cerr << "actr-witgen: " << files.error().message << "\n";
    return 1;
  }
  auto written = write_files(out_dir, *files);
  if (!written) {
    std::cerr << "actr-witgen: " << written.error().message << "\n";
    return 1;
  }
  return 0;
}
