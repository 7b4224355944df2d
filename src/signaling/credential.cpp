#include "signaling/credential.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <sodium.h>

#include <chrono>
#include <cstdlib>

namespace actr::signaling {

namespace {

void ensure_sodium() {
  // sodium_init is idempotent and thread-safe; -1 means no usable randomness source, without
  // which keys cannot be generated safely.
  static const int ready = sodium_init();
  if (ready < 0) std::abort();
}

std::string serialize_deterministic(const google::protobuf::MessageLite& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

actr::Error credential_error(int code, std::string message) {
  return actr::make_error(
      "credential " + std::string(credential_error_name(code)) + ": " + std::move(message),
      ErrorCategory::Credential, code);
}

}  // namespace

const char* credential_error_name(int code) {
  switch (code) {
    case kCredentialMalformed:
      return "malformed";
    case kCredentialForged:
      return "forged";
    case kCredentialExpired:
      return "expired";
    case kCredentialWrongRealm:
      return "wrong-realm";
  }
  return "invalid";
}

int64_t system_unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Credential::encode() const {
  proto::SignedCredential wire;
  wire.set_claims(signed_claims);
  wire.set_signature(signature);
  return wire.SerializeAsString();
}

actr::Result<Credential> Credential::decode(std::string_view bytes) {
  proto::SignedCredential wire;
  if (!wire.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return credential_error(kCredentialMalformed, "not a SignedCredential message");
  }
  if (wire.signature().size() != crypto_sign_BYTES) {
    return credential_error(kCredentialMalformed, "signature is not 64 bytes");
  }
  proto::Claims claims;
  if (!claims.ParseFromString(wire.claims())) {
    return credential_error(kCredentialMalformed, "claims are not a Claims message");
  }
  if (!claims.has_id() || claims.id().serial() == 0 || claims.id().type().name().empty()) {
    return credential_error(kCredentialMalformed, "claims lack an actor id");
  }
  Credential out;
  out.claims.id = from_proto(claims.id());
  out.claims.expires_at = claims.expires_at();
  out.claims.issued_at = claims.issued_at();
  out.signed_claims = wire.claims();
  out.signature = wire.signature();
  return out;
}

CredentialIssuer CredentialIssuer::generate() {
  ensure_sodium();
  CredentialIssuer issuer;
  crypto_sign_keypair(issuer.public_key_.data(), issuer.secret_key_.data());
  return issuer;
}

actr::Result<CredentialIssuer> CredentialIssuer::from_secret_key(std::string_view secret_key) {
  ensure_sodium();
  if (secret_key.size() != crypto_sign_SECRETKEYBYTES) {
    return actr::make_error("signing key: expected " + std::to_string(crypto_sign_SECRETKEYBYTES) +
                            " bytes, got " + std::to_string(secret_key.size()));
  }
  CredentialIssuer issuer;
  std::copy(secret_key.begin(), secret_key.end(), issuer.secret_key_.begin());
  if (crypto_sign_ed25519_sk_to_pk(issuer.public_key_.data(), issuer.secret_key_.data()) != 0) {
    return actr::make_error("signing key: cannot derive the public key");
  }
  return issuer;
}

Credential CredentialIssuer::issue(const CredentialClaims& claims) const {
  proto::Claims wire;
  *wire.mutable_id() = to_proto(claims.id);
  wire.set_expires_at(claims.expires_at);
  wire.set_issued_at(claims.issued_at);
  Credential out;
  out.claims = claims;
  out.signed_claims = serialize_deterministic(wire);
  out.signature.resize(crypto_sign_BYTES);
  crypto_sign_detached(reinterpret_cast<unsigned char*>(out.signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(out.signed_claims.data()),
                       out.signed_claims.size(), secret_key_.data());
  return out;
}

actr::Result<CredentialVerifier> CredentialVerifier::from_bytes(std::string_view public_key,
                                                                UnixClock clock) {
  PublicKey key{};
  if (public_key.size() != key.size()) {
    return actr::make_error("server public key: expected 32 bytes, got " +
                            std::to_string(public_key.size()));
  }
  std::copy(public_key.begin(), public_key.end(), key.begin());
  return CredentialVerifier(key, std::move(clock));
}

actr::Result<CredentialClaims> CredentialVerifier::verify_signature(
    const Credential& credential) const {
  ensure_sodium();
  if (credential.signature.size() != crypto_sign_BYTES) {
    return credential_error(kCredentialMalformed, "signature is not 64 bytes");
  }
  auto signed_by = [&](const PublicKey& key) {
    return crypto_sign_verify_detached(
               reinterpret_cast<const unsigned char*>(credential.signature.data()),
               reinterpret_cast<const unsigned char*>(credential.signed_claims.data()),
               credential.signed_claims.size(), key.data()) == 0;
  };
  if (signed_by(key_)) return credential.claims;
  for (const PublicKey& key : also_) {
    if (signed_by(key)) return credential.claims;
  }
  return credential_error(kCredentialForged, "signature does not verify under the pinned key");
}

actr::Result<CredentialClaims> CredentialVerifier::verify(const Credential& credential,
                                                          uint32_t expected_realm) const {
  ACTR_TRY(CredentialClaims claims, verify_signature(credential));
  if (int64_t now = clock_(); claims.expires_at <= now) {
    return credential_error(kCredentialExpired, "expired at " + std::to_string(claims.expires_at) +
                                                    ", now " + std::to_string(now));
  }
  if (claims.id.realm.realm_id != expected_realm) {
    return credential_error(kCredentialWrongRealm,
                            "issued for realm " + std::to_string(claims.id.realm.realm_id) +
                                ", expected " + std::to_string(expected_realm));
  }
  return claims;
}

actr::Result<CredentialClaims> CredentialVerifier::verify(std::string_view encoded,
                                                          uint32_t expected_realm) const {
  ACTR_TRY(Credential credential, Credential::decode(encoded));
  return verify(credential, expected_realm);
}

}  // namespace actr::signaling
