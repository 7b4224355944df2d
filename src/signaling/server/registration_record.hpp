// A StoredRegistration as the bytes the servers of a realm share in NATS key-value buckets
// (proto/signaling_state.proto RegistrationRecord), and the keys they are filed under.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actr/common/result.hpp"
#include "signaling/server/registry_store.hpp"

namespace actr::signaling::server {

std::string encode_registration(const StoredRegistration& registration);
actr::Result<StoredRegistration> decode_registration(const void* data, int size);

// "REALM.SERIAL": a registration's key (NATS key tokens are separated by dots).
std::string registration_key(uint32_t realm, uint64_t serial);
// The (realm, serial) of a key "REALM.SERIAL"; nullopt for any other key.
std::optional<std::pair<uint32_t, uint64_t>> parse_registration_key(std::string_view key);

}  // namespace actr::signaling::server
