#include "wasi/exit_status.hpp"

#include <charconv>
#include <string>
#include <string_view>

namespace actr::wasi {
namespace {
constexpr std::string_view kExitPrefix = "exit with status ";
}

Error exit_error(int status) {
  return make_error(std::string(kExitPrefix) + std::to_string(status), ErrorCategory::GuestExit,
                    status);
}

std::optional<int> exit_status_of(const Error& error) {
  if (error.is(ErrorCategory::GuestExit)) return error.code;
  std::string_view message = error.message;
  auto at = message.rfind(kExitPrefix);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view digits = message.substr(at + kExitPrefix.size());
  int status = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), status);
  if (ec != std::errc() || end == digits.data()) return std::nullopt;
  return status;
}

}  // namespace actr::wasi
