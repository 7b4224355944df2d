#include "signaling/credential.hpp"

#include <gtest/gtest.h>

namespace actr::signaling {
namespace {

constexpr int64_t kNow = 1'800'000'000;

CredentialClaims claims_for(uint32_t realm, uint64_t serial, int64_t expires_at) {
  CredentialClaims c;
  c.id.realm.realm_id = realm;
  c.id.serial_number = serial;
  c.id.type = ActrType{"acme", "echo", "0.1.0"};
  c.issued_at = kNow - 10;
  c.expires_at = expires_at;
  return c;
}

UnixClock fixed_clock(int64_t t) {
  return [t] { return t; };
}

TEST(Credential, IssuedCredentialVerifiesAndRoundTrips) {
  CredentialIssuer issuer = CredentialIssuer::generate();
  Credential credential = issuer.issue(claims_for(1, 7, kNow + 60));
  EXPECT_EQ(credential.signature.size(), 64u);

  auto decoded = Credential::decode(credential.encode());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->claims, credential.claims);

  CredentialVerifier verifier(issuer.public_key(), fixed_clock(kNow));
  auto claims = verifier.verify(credential.encode(), 1);
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(claims->id.serial_number, 7u);
  EXPECT_EQ(claims->id.type.name, "echo");
  EXPECT_EQ(claims->expires_at, kNow + 60);
}

TEST(Credential, SerializationIsDeterministic) {
  CredentialIssuer issuer = CredentialIssuer::generate();
  // Ed25519 signatures are deterministic too, so equal claims give equal credentials.
  EXPECT_EQ(issuer.issue(claims_for(1, 7, kNow)).encode(),
            issuer.issue(claims_for(1, 7, kNow)).encode());
}

TEST(Credential, SignedByAnotherKeyIsForged) {
  CredentialIssuer server = CredentialIssuer::generate();
  CredentialIssuer impostor = CredentialIssuer::generate();
  Credential credential = impostor.issue(claims_for(1, 7, kNow + 60));
  CredentialVerifier verifier(server.public_key(), fixed_clock(kNow));
  auto claims = verifier.verify(credential.encode(), 1);
  ASSERT_FALSE(claims);
  EXPECT_TRUE(claims.error().is(ErrorCategory::Credential, kCredentialForged));
  EXPECT_NE(claims.error().message.find("forged"), std::string::npos);
}

TEST(Credential, TamperedClaimsAreForged) {
  CredentialIssuer issuer = CredentialIssuer::generate();
  Credential credential = issuer.issue(claims_for(1, 7, kNow + 60));
  // Re-sign nothing, but claim a longer life and another serial.
  Credential longer = issuer.issue(claims_for(1, 8, kNow + 6000));
  credential.signed_claims = longer.signed_claims;
  CredentialVerifier verifier(issuer.public_key(), fixed_clock(kNow));
  auto claims = verifier.verify(credential.encode(), 1);
  ASSERT_FALSE(claims);
  EXPECT_TRUE(claims.error().is(ErrorCategory::Credential, kCredentialForged));
}

TEST(Credential, ExpiredIsRefused) {
  CredentialIssuer issuer = CredentialIssuer::generate();
  Credential credential = issuer.issue(claims_for(1, 7, kNow));
  CredentialVerifier before(issuer.public_key(), fixed_clock(kNow - 1));
  EXPECT_TRUE(before.verify(credential, 1));
  CredentialVerifier at(issuer.public_key(), fixed_clock(kNow));
  auto claims = at.verify(credential, 1);
  ASSERT_FALSE(claims);
  EXPECT_TRUE(claims.error().is(ErrorCategory::Credential, kCredentialExpired));
  // Proof of identity regardless of expiry still works.
  EXPECT_TRUE(at.verify_signature(credential));
}

TEST(Credential, WrongRealmIsRefused) {
  CredentialIssuer issuer = CredentialIssuer::generate();
  Credential credential = issuer.issue(claims_for(2, 7, kNow + 60));
  CredentialVerifier verifier(issuer.public_key(), fixed_clock(kNow));
  auto claims = verifier.verify(credential, 1);
  ASSERT_FALSE(claims);
  EXPECT_TRUE(claims.error().is(ErrorCategory::Credential, kCredentialWrongRealm));
}

TEST(Credential, MalformedBytesAreRefused) {
  CredentialIssuer issuer = CredentialIssuer::generate();
  CredentialVerifier verifier(issuer.public_key(), fixed_clock(kNow));
  for (std::string bytes :
       {std::string(), std::string("\xff\xff\xff", 3), std::string("not a credential at all")}) {
    auto claims = verifier.verify(bytes, 1);
    ASSERT_FALSE(claims);
    EXPECT_TRUE(claims.error().is(ErrorCategory::Credential, kCredentialMalformed))
        << claims.error().message;
  }
  // A well-formed envelope whose signature has the wrong length.
  Credential credential = issuer.issue(claims_for(1, 7, kNow + 60));
  credential.signature.resize(10);
  auto claims = verifier.verify(credential.encode(), 1);
  ASSERT_FALSE(claims);
  EXPECT_TRUE(claims.error().is(ErrorCategory::Credential, kCredentialMalformed));
}

TEST(Credential, IssuerRestoresFromItsSecretKey) {
  CredentialIssuer original = CredentialIssuer::generate();
  auto restored = CredentialIssuer::from_secret_key(std::string_view(
      reinterpret_cast<const char*>(original.secret_key().data()), original.secret_key().size()));
  ASSERT_TRUE(restored) << restored.error().message;
  EXPECT_EQ(restored->public_key(), original.public_key());
  EXPECT_FALSE(CredentialIssuer::from_secret_key("short"));
  EXPECT_FALSE(CredentialVerifier::from_bytes("short"));
}

}  // namespace
}  // namespace actr::signaling
