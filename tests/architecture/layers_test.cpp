// The layer rule of docs/DESIGN.md, checked over the include graph of src/ and of the public
// headers (include/actr/<layer>/...): a file includes headers of its own layer or of layers
// below it, never of a layer above or beside it. And the public API closes over itself: a header
// under include/ includes only headers under include/.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace actr::test {
namespace {

namespace fs = std::filesystem;

struct Layer {
  const char* dir;  // under src/ (the longest matching directory names a file's layer)
  int level;        // a layer may include levels below its own; equal levels are siblings
};

// Bottom to top; the diagram in docs/DESIGN.md ("Layers") shows the same table.
constexpr Layer kLayers[] = {
    {"common", 0},            // Result, Unicode, SQLite RAII, connection admission
    {"wasm", 1},              // core modules: interpreter and AOT engines, code cache
    {"component", 2},         // the component model: binary, validation, canonical ABI, linker
    {"wasi", 3},              // WASI 0.2 host
    {"workload", 3},          // the seed contract's bindings and the shared vocabulary
    {"proto", 3},             // generated wire formats (transport, signaling)
    {"signaling", 4},         // signaling vocabulary and the node's client
    {"net", 4},               // node-to-node transport
    {"webrtc", 4},            // WebRTC data channels: ICE (libnice), DTLS, SCTP
    {"runtime", 5},           // the node: actors, mailboxes, supervision, network seam
    {"gateway", 6},           // HTTP in front of a node
    {"signaling/server", 6},  // the signaling server
    {"node", 6},              // the embedding facade over the runtime (include/actr/node)
    {"cli", 7},               // the actr command
};

// Headers generated into a layer's build directory, included without a directory.
const std::map<std::string, std::string> kGeneratedHeaders = {
    {"actr_workload_guest_types.hpp", "workload"},
    {"actr_workload_guest_host.hpp", "workload"},
    {"actr_wit_runtime.hpp", "workload"},
    {"actr_wit_host.hpp", "workload"},
};

const Layer* layer_of(std::string path) {  // relative to src/, or "actr/..." (a public header)
  if (path.rfind("actr/", 0) == 0) path = path.substr(5);
  const Layer* best = nullptr;
  for (const Layer& l : kLayers) {
    std::string dir = std::string(l.dir) + "/";
    if (path.rfind(dir, 0) == 0 && (!best || dir.size() > std::string(best->dir).size() + 1)) {
      best = &l;
    }
  }
  return best;
}

fs::path src_dir() { return fs::path(ACTR_SOURCE_ROOT) / "src"; }
fs::path include_dir() { return fs::path(ACTR_SOURCE_ROOT) / "include"; }

struct Include {
  std::string file;  // relative to `root`
  int line;
  std::string target;  // as written
};

// The quoted includes of every source under `root`.
std::vector<Include> includes_under(const fs::path& root) {
  std::vector<Include> out;
  static const std::regex quoted(R"(^\s*#\s*include\s*"([^"]+)\")");
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".h")) continue;
    std::string rel = fs::relative(entry.path(), root).generic_string();
    std::ifstream in(entry.path());
    std::string text;
    for (int n = 1; std::getline(in, text); ++n) {
      std::smatch m;
      if (std::regex_search(text, m, quoted)) out.push_back({rel, n, m[1]});
    }
  }
  return out;
}

// The includes of src/ and of the public headers of the layers (include/actr/<layer>/; the
// binding runtime in include/actr/wit is copied beside generated code and has no layer).
std::vector<Include> project_includes() {
  std::vector<Include> out = includes_under(src_dir());
  for (Include& inc : includes_under(include_dir())) {
    if (inc.file.rfind("actr/wit/", 0) == 0) continue;
    out.push_back(std::move(inc));
  }
  return out;
}

bool is_project_header(const Include& inc) {
  const fs::path beside = fs::path(inc.file).parent_path() / inc.target;
  return fs::exists(src_dir() / inc.target) || fs::exists(include_dir() / inc.target) ||
         fs::exists(src_dir() / beside) || fs::exists(include_dir() / beside);
}

TEST(Layers, EveryDirectoryOfSrcIsALayer) {
  for (const auto& entry : fs::recursive_directory_iterator(src_dir())) {
    if (!entry.is_regular_file()) continue;
    auto ext = entry.path().extension();
    if (ext != ".cpp" && ext != ".hpp") continue;
    std::string rel = fs::relative(entry.path(), src_dir()).generic_string();
    EXPECT_TRUE(layer_of(rel)) << rel << " lies outside every layer of the table";
  }
}

TEST(Layers, ImportsGoDownOnly) {
  auto includes = project_includes();
  ASSERT_GT(includes.size(), 500u)
      << "the scan found too few includes: is " << src_dir() << " the source tree?";
  size_t checked = 0, external = 0;
  for (const Include& inc : includes) {
    const Layer* from = layer_of(inc.file);
    ASSERT_TRUE(from) << inc.file;
    const Layer* to = nullptr;
    if (auto g = kGeneratedHeaders.find(inc.target); g != kGeneratedHeaders.end()) {
      to = layer_of(g->second + "/x");
    } else if (inc.target.find('/') != std::string::npos) {
      to = layer_of(inc.target);
    } else {
      // A header beside the including file.
      to = layer_of((fs::path(inc.file).parent_path() / inc.target).generic_string());
    }
    if (!to) {
      // A library's header (wabt, ...): not in src/ or include/ and not beside the file.
      EXPECT_FALSE(is_project_header(inc)) << inc.file << ":" << inc.line << " includes \""
                                           << inc.target << "\", which belongs to no layer";
      ++external;
      continue;
    }
    ++checked;
    if (to == from) continue;
    EXPECT_LT(to->level, from->level)
        << inc.file << ":" << inc.line << " (layer " << from->dir << ") includes \"" << inc.target
        << "\" of layer " << to->dir << ", which is "
        << (to->level == from->level ? "beside it" : "above it");
  }
  EXPECT_EQ(checked + external, includes.size());
  EXPECT_GT(checked, external);
}

TEST(Layers, ThePublicApiIncludesOnlyPublicHeaders) {
  auto includes = includes_under(include_dir());
  ASSERT_GT(includes.size(), 10u) << "the scan found too few includes under " << include_dir();
  for (const Include& inc : includes) {
    bool public_header =
        fs::exists(include_dir() / inc.target) ||
        fs::exists(include_dir() / fs::path(inc.file).parent_path() / inc.target) ||
        kGeneratedHeaders.count(inc.target) > 0;
    EXPECT_TRUE(public_header || !is_project_header(inc))
        << "include/" << inc.file << ":" << inc.line << " includes \"" << inc.target
        << "\", which is internal (src/)";
  }
}

// The check itself: a made-up upward include is caught.
TEST(Layers, TheCheckSeesAnUpwardInclude) {
  const Layer* runtime = layer_of("runtime/node.cpp");
  const Layer* gateway = layer_of("gateway/gateway.hpp");
  const Layer* server = layer_of("signaling/server/server.hpp");
  const Layer* signaling = layer_of("signaling/client.hpp");
  ASSERT_TRUE(runtime && gateway && server && signaling);
  EXPECT_GT(gateway->level, runtime->level);
  EXPECT_EQ(std::string(server->dir), "signaling/server");
  EXPECT_GT(server->level, signaling->level);
  EXPECT_EQ(layer_of("nowhere/file.hpp"), nullptr);
  EXPECT_EQ(layer_of("actr/component/linker.hpp"), layer_of("component/linker.cpp"));
}

}  // namespace
}  // namespace actr::test
