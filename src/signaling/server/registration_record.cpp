#include "signaling/server/registration_record.hpp"

#include <charconv>

#include "proto/signaling_state.pb.h"

namespace actr::signaling::server {

namespace {

template <typename Number>
bool parse_number(std::string_view text, Number& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

}  // namespace

std::string encode_registration(const StoredRegistration& r) {
  proto::RegistrationRecord record;
  *record.mutable_id() = to_proto(r.id);
  record.set_advertised_address(r.advertised_address);
  acl_to_proto(r.acl, *record.mutable_acl());
  record.set_registered_at(r.registered_at);
  return record.SerializeAsString();
}

actr::Result<StoredRegistration> decode_registration(const void* data, int size) {
  proto::RegistrationRecord record;
  if (!record.ParseFromArray(data, size) || !record.has_id()) {
    return actr::make_error("a shared registration record is damaged");
  }
  StoredRegistration r;
  r.id = from_proto(record.id());
  r.advertised_address = record.advertised_address();
  r.acl = acl_from_proto(record.acl());
  r.registered_at = record.registered_at();
  return r;
}

std::string registration_key(uint32_t realm, uint64_t serial) {
  return std::to_string(realm) + "." + std::to_string(serial);
}

std::optional<std::pair<uint32_t, uint64_t>> parse_registration_key(std::string_view key) {
  size_t dot = key.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::pair<uint32_t, uint64_t> out;
  if (!parse_number(key.substr(0, dot), out.first) ||
      !parse_number(key.substr(dot + 1), out.second))
    return std::nullopt;
  return out;
}

}  // namespace actr::signaling::server
