// The conformance suite as a whole: where its inputs are, running one file on one engine, judging
// a run against the expected-failures list, and writing docs/CONFORMANCE.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "actr/wasm/engine.hpp"
#include "conformance/expectations.hpp"
#include "conformance/runner.hpp"

namespace actr::conformance {

struct SuitePaths {
  std::filesystem::path root;          // .../conformance/component-model
  std::filesystem::path expectations;  // tests/conformance/expected_failures.txt
  TextConverterConfig converter;
};

// The paths this build was configured with (ACTR_SHARED_DIR, the repo's node_modules, the build
// directory for the cache).
SuitePaths default_paths();

// Every .wast file under `root`, relative and sorted ("resources/borrows.wast", ...). Empty when
// the directory is absent.
std::vector<std::string> list_scripts(const std::filesystem::path& root);

struct EngineChoice {
  wasm::EngineKind kind;
  const char* name;
};
const std::vector<EngineChoice>& engines();

// Runs one file on one engine (creating the engine). `run.error` says why nothing ran (engine or
// converter unavailable, unreadable or unparsable script, file skipped by the list).
FileRun run_file(const SuitePaths& paths, const std::string& file, wasm::EngineKind engine,
                 const Expectations& expectations);

// How a run compares with the expected-failures list.
struct Verdict {
  std::vector<const Outcome*> unexpected_failures;  // fail the test
  std::vector<const Outcome*> expected_failures;    // tolerated
  std::vector<const Outcome*> now_passing;          // listed but passing: shrink the list
  std::vector<const Expectation*> stale;            // listed lines with no such command
};
Verdict judge(const FileRun& run, const Expectations& expectations);

// The markdown report: counts per file and engine, what does not pass and why.
std::string markdown_report(const std::vector<FileRun>& runs, const Expectations& expectations,
                            const std::string& regenerate_command);

// An expected-failures list that matches `runs` exactly, keeping the reasons of entries that
// remain and the skip entries as they are.
std::string expectations_for(const std::vector<FileRun>& runs, const Expectations& previous);

}  // namespace actr::conformance
