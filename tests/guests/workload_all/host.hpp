// The core-wasm signatures of the actr:workload/host imports, as the canonical ABI lowers them:
// records and variants are flattened to scalars; results wider than one scalar are written to a
// return area whose address is the last parameter; more than 16 flat parameters go by pointer.
#pragma once

#include <cstdint>

#include "abi.hpp"

#define GUEST_HOST_IMPORT(name) \
  __attribute__((import_module("actr:workload/host@0.1.0"), import_name(name)))

namespace guest::host {
extern "C" {

// A dest flattens to (case, realm-id, serial-number, manufacturer, name, version) with the actor
// fields zero for shell/local.
GUEST_HOST_IMPORT("call")
void call(uint32_t dest_case, uint32_t realm_id, uint64_t serial, const char* manufacturer,
          uint32_t manufacturer_len, const char* name, uint32_t name_len, const char* version,
          uint32_t version_len, const char* route_key, uint32_t route_key_len,
          const uint8_t* payload, uint32_t payload_len, BytesResult* ret);

GUEST_HOST_IMPORT("tell")
void tell(uint32_t dest_case, uint32_t realm_id, uint64_t serial, const char* manufacturer,
          uint32_t manufacturer_len, const char* name, uint32_t name_len, const char* version,
          uint32_t version_len, const char* route_key, uint32_t route_key_len,
          const uint8_t* payload, uint32_t payload_len, UnitResult* ret);

GUEST_HOST_IMPORT("call-raw")
void call_raw(uint32_t realm_id, uint64_t serial, const char* manufacturer,
              uint32_t manufacturer_len, const char* name, uint32_t name_len, const char* version,
              uint32_t version_len, const char* route_key, uint32_t route_key_len,
              const uint8_t* payload, uint32_t payload_len, BytesResult* ret);

GUEST_HOST_IMPORT("discover")
void discover(const char* manufacturer, uint32_t manufacturer_len, const char* name,
              uint32_t name_len, const char* version, uint32_t version_len, IdResult* ret);

GUEST_HOST_IMPORT("register-stream")
void register_stream(const char* stream_id, uint32_t stream_id_len, UnitResult* ret);

GUEST_HOST_IMPORT("unregister-stream")
void unregister_stream(const char* stream_id, uint32_t stream_id_len, UnitResult* ret);

GUEST_HOST_IMPORT("send-data-stream")
void send_data_stream(const SendDataStreamParams* params, UnitResult* ret);

GUEST_HOST_IMPORT("log-message")
void log_message(const char* level, uint32_t level_len, const char* message, uint32_t message_len);

GUEST_HOST_IMPORT("get-self-id")
void get_self_id(ActrId* ret);

GUEST_HOST_IMPORT("get-caller-id")
void get_caller_id(OptionId* ret);

GUEST_HOST_IMPORT("get-request-id")
void get_request_id(Str* ret);

}  // extern "C"
}  // namespace guest::host
