// actr_conformance_tests: one GoogleTest test per .wast file and engine
// (ConformanceInterp.values_strings, ConformanceAot.resources_borrows, ...), plus the unit tests
// of the harness itself.
//
// Report mode (no tests run):
//   actr_conformance_tests --report=docs/CONFORMANCE.md [--write-expected=<list>] [--engine=interp]
// runs every file on every engine (or the one given) and writes the markdown report and,
// optionally, an expected-failures list that matches the current results.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "conformance/suite.hpp"
#include "support/missing.hpp"

namespace {

using namespace actr::conformance;

std::string test_name(const std::string& file) {
  std::string name = file.substr(0, file.size() - std::string(".wast").size());
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class ConformanceFile : public testing::Test {
 public:
  ConformanceFile(std::string file, actr::wasm::EngineKind engine)
      : file_(std::move(file)), engine_(engine) {}

  void TestBody() override {
    SuitePaths paths = default_paths();
    auto expectations = Expectations::load(paths.expectations.string());
    ASSERT_TRUE(expectations.ok()) << expectations.error().message;
    FileRun run = run_file(paths, file_, engine_, *expectations);
    // A file the expected-failures list skips, with its reason, is a deliberate skip; any other
    // file that cannot run (a script the reader does not understand) is a failure.
    if (expectations->skip(run.file, 0, run.engine)) GTEST_SKIP() << run.error;
    if (!run.error.empty()) FAIL() << run.error;

    Verdict v = judge(run, *expectations);
    std::cout << "[conformance] " << run.file << " on " << run.engine << ": "
              << run.count(Outcome::Status::Pass) << " pass, " << run.count(Outcome::Status::Fail)
              << " fail (" << v.expected_failures.size() << " expected), "
              << run.count(Outcome::Status::Skip) << " skipped\n";
    for (const Outcome* o : v.now_passing) {
      std::cout << "[conformance] NOW PASSES, remove from expected_failures.txt: " << run.file
                << ":" << o->line << " " << o->text << "\n";
    }
    for (const Expectation* e : v.stale) {
      std::cout << "[conformance] STALE entry (no command at that line), remove: " << e->file << ":"
                << e->line << "\n";
    }
    RecordProperty("pass", static_cast<int>(run.count(Outcome::Status::Pass)));
    RecordProperty("fail", static_cast<int>(run.count(Outcome::Status::Fail)));
    RecordProperty("skip", static_cast<int>(run.count(Outcome::Status::Skip)));
    RecordProperty("now_passing", static_cast<int>(v.now_passing.size()));
    for (const Outcome* o : v.unexpected_failures) {
      ADD_FAILURE() << run.file << ":" << o->line << " (" << run.engine << ") " << o->text
                    << "\n    " << o->detail;
    }
    if (run.count(Outcome::Status::Pass) == 0 && run.count(Outcome::Status::Fail) == 0) {
      GTEST_SKIP() << "every check of " << run.file << " was skipped";
    }
  }

 private:
  std::string file_;
  actr::wasm::EngineKind engine_;
};

class MissingMaterial : public testing::Test {
 public:
  explicit MissingMaterial(std::string root) : root_(std::move(root)) {}
  void TestBody() override {
    ACTR_SKIP_MISSING("no .wast scripts under "
                      << root_ << " (the read-only ../shared/conformance material is absent)");
  }

 private:
  std::string root_;
};

void register_tests() {
  SuitePaths paths = default_paths();
  std::vector<std::string> files = list_scripts(paths.root);
  if (files.empty()) {
    std::string root = paths.root.string();
    testing::RegisterTest("Conformance", "SharedMaterial", nullptr, nullptr, __FILE__, __LINE__,
                          [root]() -> testing::Test* { return new MissingMaterial(root); });
    return;
  }
  for (const auto& e : engines()) {
    std::string suite =
        std::string("Conformance") + (e.kind == actr::wasm::EngineKind::Aot ? "Aot" : "Interp");
    for (const auto& file : files) {
      auto kind = e.kind;
      testing::RegisterTest(
          suite.c_str(), test_name(file).c_str(), nullptr, nullptr, __FILE__, __LINE__,
          [file, kind]() -> testing::Test* { return new ConformanceFile(file, kind); });
    }
  }
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

int report(const std::string& report_path, const std::string& expected_path,
           const std::string& only_engine, const std::string& command) {
  SuitePaths paths = default_paths();
  auto expectations = Expectations::load(paths.expectations.string());
  if (!expectations) {
    std::cerr << expectations.error().message << "\n";
    return 1;
  }
  std::vector<std::string> files = list_scripts(paths.root);
  if (files.empty()) {
    std::cerr << "no .wast scripts under " << paths.root << "\n";
    return 1;
  }
  std::vector<FileRun> runs;
  for (const auto& e : engines()) {
    if (!only_engine.empty() && only_engine != e.name) continue;
    for (const auto& file : files) {
      std::cerr << "running " << file << " on " << e.name << "\n";
      runs.push_back(run_file(paths, file, e.kind, *expectations));
      const FileRun& r = runs.back();
      std::cerr << "  " << r.count(Outcome::Status::Pass) << " pass, "
                << r.count(Outcome::Status::Fail) << " fail, " << r.count(Outcome::Status::Skip)
                << " skip" << (r.error.empty() ? "" : " (" + r.error + ")") << "\n";
    }
  }
  if (!report_path.empty() &&
      !write_text(report_path, markdown_report(runs, *expectations, command))) {
    std::cerr << "cannot write " << report_path << "\n";
    return 1;
  }
  if (!expected_path.empty() && !write_text(expected_path, expectations_for(runs, *expectations))) {
    std::cerr << "cannot write " << expected_path << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string report_path, expected_path, engine;
  bool report_mode = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      size_t n = std::strlen(flag);
      return a.compare(0, n, flag) == 0 ? argv[i] + n : nullptr;
    };
    if (const char* v = value("--report=")) {
      report_path = v;
      report_mode = true;
    } else if (const char* v2 = value("--write-expected=")) {
      expected_path = v2;
      report_mode = true;
    } else if (const char* v3 = value("--engine=")) {
      engine = v3;
    }
  }
  if (report_mode) {
    std::string command =
        "ninja -C build actr_conformance_tests && build/tests/conformance/actr_conformance_tests "
        "\\\n"
        "    --report=docs/CONFORMANCE.md --write-expected=tests/conformance/expected_failures.txt";
    return report(report_path, expected_path, engine, command);
  }
  testing::InitGoogleTest(&argc, argv);
  register_tests();
  return RUN_ALL_TESTS();
}
