#include "conformance/wast_script.hpp"

#include <utility>

namespace actr::conformance {

const char* to_string(Command::Kind k) {
  switch (k) {
    case Command::Kind::Component:
      return "component";
    case Command::Kind::Instance:
      return "component instance";
    case Command::Kind::Invoke:
      return "invoke";
    case Command::Kind::AssertReturn:
      return "assert_return";
    case Command::Kind::AssertTrap:
      return "assert_trap";
    case Command::Kind::AssertInvalid:
      return "assert_invalid";
    case Command::Kind::AssertMalformed:
      return "assert_malformed";
    case Command::Kind::AssertUnlinkable:
      return "assert_unlinkable";
    case Command::Kind::Unsupported:
      return "unsupported";
  }
  return "?";
}

namespace {

Error error_at(const SExpr& node, const std::string& what) {
  return make_error("line " + std::to_string(node.line) + ": " + what);
}

bool is_id(const SExpr& n) { return n.is_atom() && n.text.size() > 1 && n.text[0] == '$'; }

// `(component instance $i $x)`: the only component form whose second item is `instance`.
bool is_instance_form(const SExpr& n) {
  return n.head() == "component" && n.items.size() >= 2 && n.items[1].is_atom("instance");
}

Result<ComponentForm> parse_component(const SExpr& n, std::string_view src) {
  ComponentForm form;
  form.node = &n;
  form.line = n.line;
  size_t i = 1;
  if (i < n.items.size() && n.items[i].is_atom("definition")) {
    form.definition = true;
    ++i;
  }
  if (i < n.items.size() && is_id(n.items[i])) {
    form.id = n.items[i].text.substr(1);
    ++i;
  }
  if (i < n.items.size() && (n.items[i].is_atom("quote") || n.items[i].is_atom("binary"))) {
    bool binary = n.items[i].is_atom("binary");
    form.encoding = binary ? ComponentForm::Encoding::Binary : ComponentForm::Encoding::Quote;
    std::string joined;
    for (size_t k = i + 1; k < n.items.size(); ++k) {
      if (!n.items[k].is_string()) return error_at(n.items[k], "expected a string");
      if (!binary && !joined.empty()) joined += ' ';
      joined += n.items[k].text;
    }
    form.source = binary ? std::move(joined) : "(component " + joined + ")";
    return form;
  }
  form.encoding = ComponentForm::Encoding::Text;
  std::string text = "(component";
  if (form.id) text += " $" + *form.id;
  if (i < n.items.size()) {
    size_t body_begin = n.items[i].begin;
    size_t body_end = n.items.back().end;
    text += "\n";
    text += src.substr(body_begin, body_end - body_begin);
  }
  text += ")";
  form.source = std::move(text);
  return form;
}

Result<Invoke> parse_invoke(const SExpr& n) {
  if (n.head() != "invoke") return error_at(n, "expected (invoke ...)");
  Invoke inv;
  size_t i = 1;
  if (i < n.items.size() && is_id(n.items[i])) inv.instance = n.items[i++].text.substr(1);
  if (i >= n.items.size() || !n.items[i].is_string()) return error_at(n, "invoke needs a name");
  inv.name = n.items[i++].text;
  for (; i < n.items.size(); ++i) inv.args.push_back(&n.items[i]);
  return inv;
}

// The command's source on one line, comments dropped, for reports.
std::string trimmed_text(const SExpr& n, std::string_view src) {
  std::string_view text = src.substr(n.begin, n.end - n.begin);
  std::string out;
  bool space = false, in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == ';' && i + 1 < text.size() && text[i + 1] == ';') {
      while (i < text.size() && text[i] != '\n') ++i;
      space = true;
      continue;
    }
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty() && out.back() != '(' && c != ')') out += ' ';
    space = false;
    if (c == '"') in_string = true;
    out += c;
  }
  constexpr size_t kMax = 160;
  if (out.size() > kMax) out = out.substr(0, kMax) + " ...";
  return out;
}

Result<Command> parse_command(const SExpr& n, std::string_view src) {
  Command cmd;
  cmd.line = n.line;
  cmd.text = trimmed_text(n, src);
  cmd.head = std::string(n.head());
  if (!n.is_list()) return error_at(n, "expected a command in parentheses");

  if (is_instance_form(n)) {
    if (n.items.size() != 4 || !is_id(n.items[2]) || !is_id(n.items[3])) {
      return error_at(n, "expected (component instance $instance $definition)");
    }
    cmd.kind = Command::Kind::Instance;
    cmd.instance_id = n.items[2].text.substr(1);
    cmd.definition_id = n.items[3].text.substr(1);
    return cmd;
  }
  if (cmd.head == "component") {
    cmd.kind = Command::Kind::Component;
    ACTR_TRY(cmd.component, parse_component(n, src));
    return cmd;
  }
  if (cmd.head == "invoke") {
    cmd.kind = Command::Kind::Invoke;
    ACTR_TRY(cmd.invoke, parse_invoke(n));
    return cmd;
  }

  auto message_at = [&](size_t i) -> Result<std::string> {
    if (i >= n.items.size() || !n.items[i].is_string()) {
      return error_at(n, cmd.head + " needs a message string");
    }
    return n.items[i].text;
  };

  if (cmd.head == "assert_return") {
    if (n.items.size() < 2) return error_at(n, "assert_return needs an action");
    cmd.kind = Command::Kind::AssertReturn;
    ACTR_TRY(cmd.invoke, parse_invoke(n.items[1]));
    for (size_t i = 2; i < n.items.size(); ++i) cmd.expected.push_back(&n.items[i]);
    return cmd;
  }
  if (cmd.head == "assert_trap" || cmd.head == "assert_invalid" || cmd.head == "assert_malformed" ||
      cmd.head == "assert_unlinkable") {
    if (n.items.size() != 3) return error_at(n, cmd.head + " needs a form and a message");
    const SExpr& target = n.items[1];
    ACTR_TRY(cmd.message, message_at(2));
    if (cmd.head == "assert_trap") {
      cmd.kind = Command::Kind::AssertTrap;
      if (target.head() == "invoke") {
        ACTR_TRY(cmd.invoke, parse_invoke(target));
      } else if (is_instance_form(target)) {
        if (target.items.size() != 4 || !is_id(target.items[2]) || !is_id(target.items[3])) {
          return error_at(target, "expected (component instance $instance $definition)");
        }
        cmd.instance_id = target.items[2].text.substr(1);
        cmd.definition_id = target.items[3].text.substr(1);
      } else if (target.head() == "component") {
        ACTR_TRY(cmd.component, parse_component(target, src));
      } else {
        return error_at(target, "assert_trap expects an invoke or a component");
      }
      return cmd;
    }
    if (target.head() != "component" || is_instance_form(target)) {
      return error_at(target, cmd.head + " expects a component");
    }
    cmd.kind = cmd.head == "assert_invalid"     ? Command::Kind::AssertInvalid
               : cmd.head == "assert_malformed" ? Command::Kind::AssertMalformed
                                                : Command::Kind::AssertUnlinkable;
    ACTR_TRY(cmd.component, parse_component(target, src));
    return cmd;
  }
  cmd.kind = Command::Kind::Unsupported;
  return cmd;
}

}  // namespace

Result<Script> parse_script(std::string source) {
  Script script;
  script.source = std::move(source);
  ACTR_TRY(script.forms, parse_sexprs(script.source));
  for (const SExpr& form : script.forms) {
    ACTR_TRY(Command cmd, parse_command(form, script.source));
    script.commands.push_back(std::move(cmd));
  }
  return script;
}

}  // namespace actr::conformance
