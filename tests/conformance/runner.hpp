// Runs a parsed .wast script on one engine through the component linker, and says for every
// command whether it passed, failed (with why) or was skipped (with why).
//
// Semantics, as wasmtime's `wast` runs these scripts:
//   (component ...)              loads and instantiates; later invokes without a name use it
//   (component definition $x ...) loads only; (component instance $i $x) instantiates it
//   assert_return                 calls the export and compares every result
//   assert_trap                   the call (or the instantiation) must fail; any trap passes, and
//                                 a message other than the upstream (wasmtime) one is noted
//   assert_invalid / _malformed   the text must fail to convert, or the binary must fail to load
//   assert_unlinkable             loading works, instantiation fails
// Components that use async features (async lift/lower, task/subtask/waitable/stream/future
// built-ins, stream/future types) are skipped with the list of what they use: actr's component
// host is synchronous by design. Assertions on a skipped component are skipped too.
#pragma once

#include <string>
#include <vector>

#include "actr/wasm/engine.hpp"
#include "conformance/expectations.hpp"
#include "conformance/wast_script.hpp"
#include "support/text_converter.hpp"

namespace actr::conformance {

using test::TextConverter;
using test::TextConverterConfig;

struct Outcome {
  enum class Status { Pass, Fail, Skip };
  Status status = Status::Pass;
  int line = 0;
  std::string kind;    // the command keyword: "component", "assert_return", ...
  std::string text;    // the command, shortened, for reports
  std::string detail;  // Fail/Skip: why; Pass: a note (e.g. a different trap message), or empty
};

const char* to_string(Outcome::Status s);

struct FileRun {
  std::string file;    // relative to the conformance root, e.g. "values/strings.wast"
  std::string engine;  // "interp" or "aot"
  std::string error;   // set when the script could not be run at all (nothing else is set)
  std::vector<Outcome> outcomes;

  size_t count(Outcome::Status s) const;
};

// Runs `script` on `engine`. `file` labels the result and selects the `skip` entries of
// `expectations` that apply (a skipped component also skips the commands that need it).
FileRun run_script(const Script& script, const std::string& file, wasm::Engine& engine,
                   TextConverter& converter, const Expectations& expectations);

}  // namespace actr::conformance
