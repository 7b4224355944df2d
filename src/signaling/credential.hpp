// Credentials: claims about an actor (its id, expiry and issue time) signed by the signaling
// server with Ed25519. The server issues them at registration and renewal; nodes verify every
// peer's credential against the server's public key pinned at registration.
//
// Wire form: a SignedCredential message holding the exact serialized Claims bytes that were
// signed (deterministic protobuf serialization) and the 64-byte signature. Verification checks
// those bytes, so a re-encoding by another protobuf library cannot break a valid credential.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "signaling/ids.hpp"

namespace actr::signaling {

// Error::code of credential failures (ErrorCategory::Credential).
enum CredentialErrorCode : int {
  kCredentialMalformed = 1,   // not a decodable credential
  kCredentialForged = 2,      // signature does not verify under the pinned key
  kCredentialExpired = 3,     // expires_at <= now
  kCredentialWrongRealm = 4,  // signed for another realm than expected
};
const char* credential_error_name(int code);

struct CredentialClaims {
  ActrId id;
  int64_t expires_at = 0;  // unix seconds
  int64_t issued_at = 0;   // unix seconds
  bool operator==(const CredentialClaims&) const = default;
};

using PublicKey = std::array<uint8_t, 32>;
using SecretKey = std::array<uint8_t, 64>;  // libsodium form: seed followed by the public key

// Unix seconds; injectable so tests control expiry.
using UnixClock = std::function<int64_t()>;
int64_t system_unix_seconds();

struct Credential {
  CredentialClaims claims;
  std::string signed_claims;  // the serialized Claims the signature covers
  std::string signature;      // 64 bytes

  std::string encode() const;
  static actr::Result<Credential> decode(std::string_view bytes);
};

class CredentialIssuer {
 public:
  // A fresh random key pair.
  static CredentialIssuer generate();
  // The 64-byte secret key of an earlier issuer (RegistryStore keeps it).
  static actr::Result<CredentialIssuer> from_secret_key(std::string_view secret_key);

  const PublicKey& public_key() const { return public_key_; }
  const SecretKey& secret_key() const { return secret_key_; }

  Credential issue(const CredentialClaims& claims) const;

 private:
  CredentialIssuer() = default;
  PublicKey public_key_{};
  SecretKey secret_key_{};
};

class CredentialVerifier {
 public:
  explicit CredentialVerifier(PublicKey pinned, UnixClock clock = system_unix_seconds)
      : key_(pinned), clock_(std::move(clock)) {}
  // Also accepts credentials signed by `also` (the realm's other keys while its signing key is
  // rotated).
  CredentialVerifier(PublicKey pinned, std::vector<PublicKey> also,
                     UnixClock clock = system_unix_seconds)
      : key_(pinned), also_(std::move(also)), clock_(std::move(clock)) {}
  // From the 32 bytes of RegisterReply.server_public_key.
  static actr::Result<CredentialVerifier> from_bytes(std::string_view public_key,
                                                     UnixClock clock = system_unix_seconds);

  // Signature, then expiry, then realm; the first failure decides the error code.
  actr::Result<CredentialClaims> verify(const Credential& credential,
                                        uint32_t expected_realm) const;
  actr::Result<CredentialClaims> verify(std::string_view encoded, uint32_t expected_realm) const;
  // Signature only: for proofs of identity where expiry does not matter (keeping a serial on
  // re-registration, renewing a lapsed credential).
  actr::Result<CredentialClaims> verify_signature(const Credential& credential) const;

  const PublicKey& public_key() const { return key_; }
  const std::vector<PublicKey>& also_accepted() const { return also_; }

 private:
  PublicKey key_;
  std::vector<PublicKey> also_;
  UnixClock clock_;
};

}  // namespace actr::signaling
