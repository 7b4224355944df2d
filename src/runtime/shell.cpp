#include "runtime/shell.hpp"

#include <chrono>

#include "runtime/node.hpp"

namespace actr::runtime {

ShellHandler builtin_shell(const Node& node) {
  return [&node](ShellRequest request, std::function<void(CallResult)> reply) {
    auto bytes = [](const std::string& s) { return Bytes(s.begin(), s.end()); };
    if (request.route_key == "shell/time") {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
      reply(CallResult::Ok(bytes(std::to_string(ms))));
    } else if (request.route_key == "shell/echo") {
      reply(CallResult::Ok(std::move(request.payload)));
    } else if (request.route_key == "shell/node") {
      reply(CallResult::Ok(bytes("realm=" + std::to_string(node.config().realm) +
                                 " actors=" + std::to_string(node.actors().size()))));
    } else {
      reply(CallResult::Err(ActrError::unknown_route(request.route_key)));
    }
  };
}

}  // namespace actr::runtime
