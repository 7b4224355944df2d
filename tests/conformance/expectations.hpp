// The checked-in list of conformance checks that are known not to pass yet (and of those skipped
// on purpose), so the suite stays green while tracking progress honestly.
//
// One entry per line; `#` starts a comment (the reason, kept for reports):
//   values/concat.wast:613 # map<K,V> types are not supported     expected failure, both engines
//   values/strings.wast:40 aot # ...                               expected failure on aot only
//   skip values/post-return.wast # ...                             skip a whole file
//   skip values/post-return.wast:202 # ...                         skip one command
// Lines are those of the command in the .wast file (the files are pinned to one upstream commit).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actr/common/result.hpp"

namespace actr::conformance {

struct Expectation {
  bool skip = false;
  std::string file;    // relative to the conformance root
  int line = 0;        // 0: the whole file
  std::string engine;  // empty: every engine
  std::string reason;
  int source_line = 0;  // line in the list, for messages
};

class Expectations {
 public:
  static Result<Expectations> parse(const std::string& text);
  static Result<Expectations> load(const std::string& path);  // a missing file is an empty list

  // The entry that marks command `line` of `file` as an expected failure on `engine`.
  const Expectation* expected_failure(const std::string& file, int line,
                                      const std::string& engine) const;
  // The entry that says to skip the command (or, with line 0, the whole file).
  const Expectation* skip(const std::string& file, int line, const std::string& engine) const;

  const std::vector<Expectation>& entries() const { return entries_; }

 private:
  const Expectation* find(bool skip, const std::string& file, int line,
                          const std::string& engine) const;
  std::vector<Expectation> entries_;
};

}  // namespace actr::conformance
