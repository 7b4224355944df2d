#include "gateway/error_mapping.hpp"

#include <array>
#include <type_traits>
#include <variant>

#include "gateway/json.hpp"

namespace actr::gateway {
namespace {

using Tag = ActrError::Tag;

struct CaseInfo {
  Tag tag;
  std::string_view name;
  unsigned status;
};

constexpr std::array<CaseInfo, 10> kCases{{
    {Tag::Unavailable, "unavailable", 503},
    {Tag::TimedOut, "timed-out", 504},
    {Tag::NotFound, "not-found", 404},
    {Tag::PermissionDenied, "permission-denied", 403},
    {Tag::InvalidArgument, "invalid-argument", 400},
    {Tag::UnknownRoute, "unknown-route", 404},
    {Tag::DependencyNotFound, "dependency-not-found", 404},
    {Tag::DecodeFailure, "decode-failure", 400},
    {Tag::NotImplemented, "not-implemented", 501},
    {Tag::Internal, "internal", 500},
}};

const CaseInfo& info(const ActrError& error) {
  for (const auto& c : kCases)
    if (c.tag == error.tag()) return c;
  return kCases[9];  // unreachable for a well-formed variant
}

}  // namespace

std::string_view error_case(const ActrError& error) { return info(error).name; }

unsigned http_status(const ActrError& error) { return info(error).status; }

std::string error_message(const ActrError& error) {
  switch (error.tag()) {
    case Tag::TimedOut:
      return {};
    case Tag::DependencyNotFound:
      return error.as_dependency_not_found().message;
    default:
      return std::visit(
          [](const auto& v) -> std::string {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>)
              return v;
            else
              return {};
          },
          error.value);
  }
}

std::string error_body(const ActrError& error) {
  std::string body = "{\"error\":" + json::quote(error_case(error)) +
                     ",\"message\":" + json::quote(error_message(error));
  if (error.tag() == Tag::DependencyNotFound)
    body += ",\"service\":" + json::quote(error.as_dependency_not_found().service_name);
  return body + "}";
}

std::string protocol_error_body(std::string_view code, std::string_view message) {
  return "{\"error\":" + json::quote(code) + ",\"message\":" + json::quote(message) + "}";
}

std::optional<ActrError> make_actr_error(std::string_view case_name, std::string message,
                                         std::string service) {
  for (const auto& c : kCases) {
    if (c.name != case_name) continue;
    switch (c.tag) {
      case Tag::Unavailable:
        return ActrError::unavailable(std::move(message));
      case Tag::TimedOut:
        return ActrError::timed_out();
      case Tag::NotFound:
        return ActrError::not_found(std::move(message));
      case Tag::PermissionDenied:
        return ActrError::permission_denied(std::move(message));
      case Tag::InvalidArgument:
        return ActrError::invalid_argument(std::move(message));
      case Tag::UnknownRoute:
        return ActrError::unknown_route(std::move(message));
      case Tag::DependencyNotFound:
        return ActrError::dependency_not_found({std::move(service), std::move(message)});
      case Tag::DecodeFailure:
        return ActrError::decode_failure(std::move(message));
      case Tag::NotImplemented:
        return ActrError::not_implemented(std::move(message));
      case Tag::Internal:
        return ActrError::internal(std::move(message));
    }
  }
  return std::nullopt;
}

std::optional<ActrError> parse_error_body(std::string_view body) {
  auto fields = json::parse_string_object(body);
  if (!fields) return std::nullopt;
  auto error = fields->find("error");
  if (error == fields->end()) return std::nullopt;
  return make_actr_error(error->second, (*fields)["message"], (*fields)["service"]);
}

}  // namespace actr::gateway
