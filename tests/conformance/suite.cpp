#include "conformance/suite.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "conformance/wast_script.hpp"

namespace actr::conformance {

namespace fs = std::filesystem;

namespace {

// Keeps a report cell on one line and of readable length.
std::string one_line(std::string s, size_t max = 220) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (s.size() > max) s = s.substr(0, max) + "...";
  return s;
}

// Markdown text on one line: pipes escaped (tables), and in prose (not `code`) angle brackets,
// which would otherwise read as HTML tags (`map<K,V>`).
std::string cell(const std::string& s, size_t max = 220, bool code = false) {
  std::string out;
  for (char c : one_line(s, max)) {
    if (c == '|') {
      out += "\\|";
    } else if (code) {
      out += c;
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

// The "version" of a package.json, or "unknown": binaries made by another jco are not reused.

}  // namespace

SuitePaths default_paths() {
  SuitePaths p;
  p.root = fs::path(ACTR_SHARED_DIR) / "conformance" / "component-model";
  p.expectations = fs::path(ACTR_SOURCE_ROOT) / "tests" / "conformance" / "expected_failures.txt";
  p.converter = test::default_text_converter_config();
  return p;
}

std::vector<std::string> list_scripts(const fs::path& root) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".wast") {
      out.push_back(fs::relative(it->path(), root).generic_string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const std::vector<EngineChoice>& engines() {
  static const std::vector<EngineChoice> all = {{wasm::EngineKind::Interp, "interp"},
                                                {wasm::EngineKind::Aot, "aot"}};
  return all;
}

FileRun run_file(const SuitePaths& paths, const std::string& file, wasm::EngineKind kind,
                 const Expectations& expectations) {
  FileRun run;
  run.file = file;
  for (const auto& e : engines()) {
    if (e.kind == kind) run.engine = e.name;
  }
  if (const Expectation* skip = expectations.skip(file, 0, run.engine)) {
    run.error = "skipped by the expected-failures list: " + skip->reason;
    return run;
  }
  TextConverter converter(paths.converter);
  if (auto why = converter.unavailable()) {
    run.error = *why;
    return run;
  }
  std::ifstream in(paths.root / file, std::ios::binary);
  if (!in) {
    run.error = "cannot read " + (paths.root / file).string();
    return run;
  }
  auto script = parse_script(std::string(std::istreambuf_iterator<char>(in), {}));
  if (!script) {
    run.error = "cannot parse the script: " + script.error().message;
    return run;
  }
  auto engine = wasm::make_engine(kind);
  if (!engine) {
    run.error = "engine unavailable: " + engine.error().message;
    return run;
  }
  return run_script(*script, file, **engine, converter, expectations);
}

Verdict judge(const FileRun& run, const Expectations& expectations) {
  Verdict v;
  std::set<int> lines;
  for (const Outcome& o : run.outcomes) {
    lines.insert(o.line);
    bool listed = expectations.expected_failure(run.file, o.line, run.engine) != nullptr;
    if (o.status == Outcome::Status::Fail) {
      (listed ? v.expected_failures : v.unexpected_failures).push_back(&o);
    } else if (o.status == Outcome::Status::Pass && listed) {
      v.now_passing.push_back(&o);
    }
  }
  if (run.error.empty()) {
    for (const Expectation& e : expectations.entries()) {
      if (e.file != run.file || e.line == 0) continue;
      if (!e.engine.empty() && e.engine != run.engine) continue;
      if (!lines.count(e.line)) v.stale.push_back(&e);
    }
  }
  return v;
}

std::string markdown_report(const std::vector<FileRun>& runs, const Expectations& expectations,
                            const std::string& regenerate_command) {
  std::ostringstream md;
  std::vector<std::string> engine_names;
  std::vector<std::string> files;
  for (const FileRun& r : runs) {
    if (std::find(engine_names.begin(), engine_names.end(), r.engine) == engine_names.end()) {
      engine_names.push_back(r.engine);
    }
    if (std::find(files.begin(), files.end(), r.file) == files.end()) files.push_back(r.file);
  }
  auto find_run = [&](const std::string& file, const std::string& engine) -> const FileRun* {
    for (const FileRun& r : runs) {
      if (r.file == file && r.engine == engine) return &r;
    }
    return nullptr;
  };

  md << "# Component Model conformance\n\n"
     << "The Component Model's own reference tests (`.wast` scripts from "
        "WebAssembly/component-model,\n"
     << "`test/values`, `resources`, `validation`, `binary` and `linking`, read from\n"
     << "`../shared/conformance`), run through actr's\n"
     << "component linker on both core engines by `tests/conformance` (`actr_conformance_tests`).\n"
     << "Each component command and each assertion is one check. A CTest test per file and engine\n"
     << "fails only on a check that fails and is not in "
        "`tests/conformance/expected_failures.txt`.\n\n"
     << "Regenerate this file (and, with `--write-expected`, the expected-failures list) with:\n\n"
     << "```sh\n"
     << regenerate_command << "\n```\n\n"
     << "## How checks are judged\n\n"
     << "- `component` / `component instance`: passes when the binary (from jco's wasm-tools\n"
     << "  `parse`) loads (decode, validate, compile every core module) and instantiates with no\n"
     << "  host imports. Later assertions on an instance that failed fail too, naming the cause.\n"
     << "- `assert_return`: arguments are typed by the export's signature; every result is "
        "compared\n"
     << "  structurally (floats bit for bit; `nan:canonical`/`nan:arithmetic` accept any NaN).\n"
     << "- `assert_trap`: passes on any trap of the call (or instantiation). Traps worded "
        "differently\n"
     << "  from wasmtime's message are listed at the end, for review.\n"
     << "- `assert_invalid` / `assert_malformed`: the text must not convert, or the binary must "
        "not load.\n"
     << "- Skipped: components that use async features (async lift/lower, task/subtask/waitable/\n"
     << "  stream/future/context/backpressure built-ins, stream/future types), which actr's "
        "synchronous\n"
     << "  host rejects by design, and every check that needs them. `skip` lines in the\n"
     << "  expected-failures list skip files or commands, with their reason; a script the reader\n"
     << "  cannot parse and that is not listed fails its test.\n"
     << "- Expected failures (the list above, with their reasons) are the validator's and\n"
     << "  engines' known gap: multi-memory (wabt 1.0.32 cannot read it)\n"
     << "  (issue 12). A check that\n"
     << "  starts passing is reported so that its line is removed.\n\n";

  md << "## Counts\n\n| file |";
  for (const auto& e : engine_names)
    md << " " << e << " pass | " << e << " fail | " << e << " skip |";
  md << "\n|---|";
  for (size_t i = 0; i < engine_names.size(); ++i) md << "---:|---:|---:|";
  md << "\n";
  std::map<std::string, std::array<size_t, 3>> totals;
  for (const auto& file : files) {
    md << "| `" << file << "` |";
    for (const auto& e : engine_names) {
      const FileRun* r = find_run(file, e);
      if (!r || !r->error.empty()) {
        md << " - | - | - |";
        continue;
      }
      size_t p = r->count(Outcome::Status::Pass), f = r->count(Outcome::Status::Fail),
             s = r->count(Outcome::Status::Skip);
      auto& t = totals[e];
      t[0] += p;
      t[1] += f;
      t[2] += s;
      md << " " << p << " | " << f << " | " << s << " |";
    }
    md << "\n";
  }
  md << "| **total** |";
  for (const auto& e : engine_names) {
    auto& t = totals[e];
    md << " **" << t[0] << "** | **" << t[1] << "** | **" << t[2] << "** |";
  }
  md << "\n\n";

  bool any_error = false;
  for (const FileRun& r : runs) any_error |= !r.error.empty();
  if (any_error) {
    md << "Not run:\n\n";
    for (const FileRun& r : runs) {
      if (!r.error.empty())
        md << "- `" << r.file << "` on " << r.engine << ": " << cell(r.error) << "\n";
    }
    md << "\n";
  }

  // Failures: one row per command, engines merged when they fail the same way.
  md << "## What does not pass yet\n\n";
  bool any_fail = false;
  for (const auto& file : files) {
    std::map<int, std::vector<std::pair<std::string, const Outcome*>>> by_line;
    for (const auto& e : engine_names) {
      const FileRun* r = find_run(file, e);
      if (!r) continue;
      for (const Outcome& o : r->outcomes) {
        if (o.status == Outcome::Status::Fail) by_line[o.line].emplace_back(e, &o);
      }
    }
    if (by_line.empty()) continue;
    any_fail = true;
    md << "### `" << file << "`\n\n| line | check | engines | why |\n|---:|---|---|---|\n";
    for (const auto& [line, fails] : by_line) {
      std::map<std::string, std::vector<std::string>> engines_by_detail;
      for (const auto& [e, o] : fails) engines_by_detail[o->detail].push_back(e);
      for (const auto& [detail, es] : engines_by_detail) {
        std::string joined;
        for (const auto& e : es) joined += (joined.empty() ? "" : ", ") + e;
        std::string listed;
        if (const Expectation* x = expectations.expected_failure(file, line, es.front())) {
          if (!x->reason.empty() && x->reason != detail) listed = " (listed: " + x->reason + ")";
        }
        md << "| " << line << " | `" << cell(fails.front().second->text, 90, true) << "` | "
           << joined << " | " << cell(detail + listed, 400) << " |\n";
      }
    }
    md << "\n";
  }
  if (!any_fail) md << "Every check that ran passes.\n\n";

  // Skips, grouped by reason.
  std::map<std::string, std::vector<std::string>> skips;
  for (const FileRun& r : runs) {
    if (r.engine != engine_names.front()) continue;  // skips do not depend on the engine
    for (const Outcome& o : r.outcomes) {
      if (o.status == Outcome::Status::Skip)
        skips[o.detail].push_back(r.file + ":" + std::to_string(o.line));
    }
  }
  md << "## Skipped\n\n";
  if (skips.empty()) md << "Nothing is skipped.\n\n";
  for (const auto& [why, where] : skips) {
    md << "- " << where.size() << " check" << (where.size() == 1 ? "" : "s") << ": "
       << cell(why, 300) << "\n  (";
    for (size_t i = 0; i < where.size(); ++i) {
      if (i == 8) {
        md << ", ... " << where.size() - 8 << " more";
        break;
      }
      md << (i ? ", " : "") << where[i];
    }
    md << ")\n";
  }
  md << "\n";

  // Traps that pass with another message than wasmtime's: worth aligning, never a failure.
  std::vector<std::string> notes;
  for (const FileRun& r : runs) {
    for (const Outcome& o : r.outcomes) {
      if (o.status == Outcome::Status::Pass && !o.detail.empty() && o.kind != "assert_invalid" &&
          o.kind != "assert_malformed") {
        notes.push_back("`" + r.file + ":" + std::to_string(o.line) + "` " + r.engine + ": " +
                        cell(o.detail, 300));
      }
    }
  }
  if (!notes.empty()) {
    md << "## Passing traps with a message other than upstream's\n\n"
       << "An `assert_trap` passes on any trap; these trap for a reason worded differently from\n"
       << "wasmtime's message (which may also mean a different reason):\n\n";
    for (const auto& n : notes) md << "- " << n << "\n";
    md << "\n";
  }
  return md.str();
}

std::string expectations_for(const std::vector<FileRun>& runs, const Expectations& previous) {
  std::ostringstream out;
  out << "# Conformance checks that are known not to pass yet, and deliberate skips.\n"
      << "# Format (see tests/conformance/expectations.hpp):\n"
      << "#   <file>:<line> [aot|interp] # reason        expected failure\n"
      << "#   skip <file>[:<line>] [aot|interp] # reason  skipped (not run)\n"
      << "# Regenerate with `actr_conformance_tests --write-expected=<this file>`; remove lines "
         "as\n"
      << "# checks start passing (the test run reports them).\n";
  bool first_skip = true;
  for (const Expectation& e : previous.entries()) {
    if (!e.skip) continue;
    if (first_skip) out << "\n";
    first_skip = false;
    out << "skip " << e.file << (e.line ? ":" + std::to_string(e.line) : "")
        << (e.engine.empty() ? "" : " " + e.engine) << (e.reason.empty() ? "" : " # " + e.reason)
        << "\n";
  }
  // file -> line -> engine -> detail
  std::map<std::string, std::map<int, std::map<std::string, std::string>>> fails;
  std::map<std::string, std::set<std::string>> engines_run;
  for (const FileRun& r : runs) {
    if (!r.error.empty()) continue;
    engines_run[r.file].insert(r.engine);
    for (const Outcome& o : r.outcomes) {
      if (o.status == Outcome::Status::Fail) fails[r.file][o.line][r.engine] = o.detail;
    }
  }
  for (const auto& [file, lines] : fails) {
    out << "\n";
    for (const auto& [line, by_engine] : lines) {
      std::vector<std::string> which;
      if (by_engine.size() == engines_run[file].size()) {
        which.push_back("");
      } else {
        for (const auto& [e, _] : by_engine) which.push_back(e);
      }
      for (const auto& e : which) {
        std::string engine = e.empty() ? by_engine.begin()->first : e;
        std::string reason = by_engine.at(engine);
        if (const Expectation* x = previous.expected_failure(file, line, engine)) {
          if (!x->reason.empty()) reason = x->reason;
        }
        reason = one_line(reason, 200);
        for (char& c : reason) {
          if (c == '#') c = ' ';
        }
        out << file << ":" << line << (e.empty() ? "" : " " + e) << " # " << reason << "\n";
      }
    }
  }
  return out.str();
}

}  // namespace actr::conformance
