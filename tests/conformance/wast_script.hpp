// A component-model .wast script as a list of commands: the structure of the script, with values
// and component bodies left as S-expressions (values are typed only when a function's signature
// is known; bodies are converted to binary by component_text.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "conformance/sexpr.hpp"

namespace actr::conformance {

// One `(component ...)` form: text (the usual case), `quote` (text given as strings) or `binary`.
struct ComponentForm {
  enum class Encoding { Text, Quote, Binary };
  Encoding encoding = Encoding::Text;
  std::optional<std::string> id;  // `$name`, without the `$`
  bool definition = false;        // `(component definition $x ...)`: define, do not instantiate
  // Text and Quote: a complete `(component ...)` text a text-to-binary converter accepts (the
  // `definition` keyword removed); Binary: the bytes.
  std::string source;
  const SExpr* node = nullptr;  // the whole form, for feature scans
  int line = 0;
};

// `(invoke $instance? "name" args...)`.
struct Invoke {
  std::optional<std::string> instance;
  std::string name;
  std::vector<const SExpr*> args;
};

struct Command {
  enum class Kind {
    Component,  // define (and unless `definition`, instantiate)
    Instance,   // (component instance $i $def)
    Invoke,     // a bare action
    AssertReturn,
    AssertTrap,  // on an invoke, or on a component/instance that must trap instantiating
    AssertInvalid,
    AssertMalformed,
    AssertUnlinkable,
    Unsupported,  // anything else; kept so the runner reports it as skipped
  };
  Kind kind = Kind::Unsupported;
  int line = 0;
  std::string text;                          // the command's source, trimmed (for reports)
  std::optional<ComponentForm> component;    // Component; assert_* on a component
  std::optional<std::string> instance_id;    // Instance: the new instance ($i)
  std::optional<std::string> definition_id;  // Instance: the definition ($x)
  std::optional<Invoke> invoke;              // Invoke; assert_return/assert_trap on an invoke
  std::vector<const SExpr*> expected;        // AssertReturn: result values
  std::string message;                       // AssertTrap/Invalid/Malformed/Unlinkable
  std::string head;                          // the command keyword as written
};

const char* to_string(Command::Kind k);

struct Script {
  std::string source;
  std::vector<SExpr> forms;  // owns every node the commands point into
  std::vector<Command> commands;
};

// Parses a whole .wast script. Errors name the line of the first malformed command.
Result<Script> parse_script(std::string source);

}  // namespace actr::conformance
