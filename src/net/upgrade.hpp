// What the WebSocket upgrade between two nodes carries. Credentials are checked before a
// WebSocket exists: the connecting node sends its credential (base64 of the opaque
// TransportOptions::credential() bytes), its node id and its listen address as headers of the
// HTTP upgrade request. The accepting node verifies the credential and either refuses the upgrade
// with a plain-text reason (401 when the credential is missing or not base64, 403 when the
// verifier refuses it, 400 for a request that is not a WebSocket upgrade) or accepts it and sends
// the same three headers in its 101 response; the connecting node verifies that credential
// before it sends anything over the WebSocket.
//
// Size: Beast reads the 101 response with its default 8 KiB header limit, so the accepting side
// puts a credential of more than kMaxCredentialHeaderBytes (base64) into a Credentials frame,
// the first frame it sends, instead of the header. Upgrade requests may carry up to
// kMaxUpgradeHeaderBytes (common/upgrade_limits.hpp) of headers, so a connecting node's credential
// is limited to about 59 KiB of base64 (some 500 actors' credentials). Beyond that the node sends
// TransportOptions::upgrade_credential (a part of its set) in the header and the whole set as its
// first frame; without one, its requests fail locally with invalid-argument.
#pragma once

#include <cstddef>

#include "common/upgrade_limits.hpp"

namespace actr::net {

inline constexpr const char* kCredentialHeader = "X-Actr-Credential";
inline constexpr const char* kNodeHeader = "X-Actr-Node";
inline constexpr const char* kListenHeader = "X-Actr-Listen";

inline constexpr size_t kMaxRequestCredentialBytes = kMaxUpgradeHeaderBytes - 1024;  // base64
inline constexpr size_t kMaxCredentialHeaderBytes = 6 * 1024;

}  // namespace actr::net
