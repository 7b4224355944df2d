// The realm's Ed25519 signing key as a file the operator hands to every signaling server of the
// realm (`actr signal --signing-key-file F`), so a credential issued by one server verifies at
// all of them and an actor may keep its id at any. `actr signal keygen F` creates one.
//
// Format: the 64-byte secret key (libsodium's seed + public key) as 128 hex digits on one line.
// The file must be private to its owner (mode 0600): whoever reads it can issue credentials.
#pragma once

#include <filesystem>

#include "actr/common/result.hpp"
#include "signaling/credential.hpp"

namespace actr::signaling::server {

actr::Result<CredentialIssuer> read_signing_key_file(const std::filesystem::path& file);

// Writes a fresh key to `file` (mode 0600, synced); refuses to replace an existing file, which
// would silently invalidate every credential issued with the old key. Returns the public key.
actr::Result<PublicKey> create_signing_key_file(const std::filesystem::path& file);

}  // namespace actr::signaling::server
