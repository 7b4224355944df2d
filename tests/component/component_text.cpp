#include "component/component_text.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace actr::test {
namespace fs = std::filesystem;
namespace {

std::string hash_hex(const std::string& s) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

fs::path cache_dir() { return fs::path(ACTR_BINARY_DIR) / "test-cache" / "component-text"; }

fs::path jco_api() {
  return fs::path(ACTR_SOURCE_ROOT) / "node_modules" / "@bytecodealliance" / "jco" / "dist" /
         "api.js";
}

bool write_file(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
  return static_cast<bool>(f);
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), {});
}

// Turns every `<base>.wat` or `<base>.wit` listed in the jobs file into `<base>.wasm`, or into
// `<base>.err` with the tool's message.
constexpr const char* kScript =
    R"(import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const [api, jobs] = process.argv.slice(2);
const { parse, componentEmbed, componentNew } = await import(api);
for (const base of readFileSync(jobs, 'utf8').split('\n').filter(Boolean)) {
  try {
    if (existsSync(base + '.wit')) {
      const witSource = readFileSync(base + '.wit', 'utf8');
      const world = /^\s*world\s+(%?[a-z][a-z0-9-]*)/m.exec(witSource)[1].replace('%', '');
      const embedded = await componentEmbed({ dummy: true, witSource, world });
      writeFileSync(base + '.wasm', await componentNew(embedded, []));
    } else {
      writeFileSync(base + '.wasm', await parse(readFileSync(base + '.wat', 'utf8')));
    }
  } catch (e) {
    writeFileSync(base + '.err', String(e));
  }
}
)";

}  // namespace

std::optional<std::vector<uint8_t>> read_file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), {});
}

static std::vector<TextToBinary> convert(const std::vector<std::string>& texts, const char* ext) {
  std::vector<TextToBinary> out(texts.size());
  std::error_code ec;
  fs::create_directories(cache_dir(), ec);
  std::vector<fs::path> bases;
  std::string jobs;
  for (const auto& t : texts) {
    fs::path base = cache_dir() / (hash_hex(t) + ext);
    bases.push_back(base);
    if (fs::exists(base.string() + ".wasm") || fs::exists(base.string() + ".err")) continue;
    write_file(base.string() + ext, t);
    jobs += base.string() + "\n";
  }
  if (!jobs.empty()) {
    if (!fs::exists(jco_api())) {
      for (auto& r : out) {
        r.tool_missing = true;
        r.error = "jco is not installed (npm ci at the repository root)";
      }
      return out;
    }
    fs::path script = cache_dir() / "parse.mjs";
    fs::path job_file = cache_dir() / ("jobs-" + hash_hex(jobs) + ".txt");
    write_file(script, kScript);
    write_file(job_file, jobs);
    std::string cmd = "node '" + script.string() + "' '" + jco_api().string() + "' '" +
                      job_file.string() + "' > /dev/null 2>&1";
    int rc = std::system(cmd.c_str());
    fs::remove(job_file, ec);
    if (rc != 0) {
      for (auto& r : out) {
        r.tool_missing = true;
        r.error = "node could not run jco (exit status " + std::to_string(rc) + ")";
      }
      return out;
    }
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    std::string base = bases[i].string();
    if (auto bytes = read_file_bytes(base + ".wasm")) {
      out[i].bytes = std::move(bytes);
    } else if (fs::exists(base + ".err")) {
      out[i].error = "jco parse: " + read_text(base + ".err");
    } else {
      out[i].tool_missing = true;
      out[i].error = "jco produced no output";
    }
  }
  return out;
}

std::vector<TextToBinary> components_from_text(const std::vector<std::string>& texts) {
  return convert(texts, ".wat");
}

TextToBinary component_from_text(const std::string& text) {
  return std::move(convert({text}, ".wat").front());
}

TextToBinary component_from_wit(const std::string& wit) {
  return std::move(convert({wit}, ".wit").front());
}

}  // namespace actr::test
