#include "workload/actr_error.hpp"

#include "common/unicode.hpp"

namespace actr::workload {

std::string_view case_name(const ActrError& error) {
  using Tag = ActrError::Tag;
  switch (error.tag()) {
    case Tag::Unavailable:
      return "unavailable";
    case Tag::TimedOut:
      return "timed-out";
    case Tag::NotFound:
      return "not-found";
    case Tag::PermissionDenied:
      return "permission-denied";
    case Tag::InvalidArgument:
      return "invalid-argument";
    case Tag::UnknownRoute:
      return "unknown-route";
    case Tag::DependencyNotFound:
      return "dependency-not-found";
    case Tag::DecodeFailure:
      return "decode-failure";
    case Tag::NotImplemented:
      return "not-implemented";
    case Tag::Internal:
      return "internal";
  }
  return "internal";
}

std::string message_of(const ActrError& error) {
  if (error.tag() == ActrError::Tag::TimedOut) return {};
  if (error.tag() == ActrError::Tag::DependencyNotFound) {
    const auto& d = error.as_dependency_not_found();
    return d.service_name + ": " + d.message;
  }
  return std::visit(
      [](const auto& v) -> std::string {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) return v;
        return {};
      },
      error.value);
}

ActrError error_named(std::string_view name, std::string message) {
  if (name == "unavailable") return ActrError::unavailable(std::move(message));
  if (name == "timed-out") return ActrError::timed_out();
  if (name == "not-found") return ActrError::not_found(std::move(message));
  if (name == "permission-denied") return ActrError::permission_denied(std::move(message));
  if (name == "invalid-argument") return ActrError::invalid_argument(std::move(message));
  if (name == "unknown-route") return ActrError::unknown_route(std::move(message));
  if (name == "decode-failure") return ActrError::decode_failure(std::move(message));
  if (name == "not-implemented") return ActrError::not_implemented(std::move(message));
  if (name == "internal") return ActrError::internal(std::move(message));
  if (name == "dependency-not-found") {
    types::DependencyNotFoundPayload payload;
    if (size_t colon = message.find(": "); colon != std::string::npos) {
      payload.service_name = message.substr(0, colon);
      payload.message = message.substr(colon + 2);
    } else {
      payload.message = std::move(message);
    }
    return ActrError::dependency_not_found(std::move(payload));
  }
  return ActrError::internal(std::string(name) + (message.empty() ? "" : ": " + message));
}

std::string describe(const ActrError& error) {
  std::string m = message_of(error);
  return std::string(case_name(error)) + (m.empty() ? "" : ": " + m);
}

ActrError with_valid_text(ActrError error) {
  std::visit(
      [](auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string>) {
          v = unicode::to_valid_utf8(v);
        } else if constexpr (std::is_same_v<V, types::DependencyNotFoundPayload>) {
          v.service_name = unicode::to_valid_utf8(v.service_name);
          v.message = unicode::to_valid_utf8(v.message);
        }
      },
      error.value);
  return error;
}

}  // namespace actr::workload
