// wss://: the same calls over TLS, with a throw-away self-signed certificate for "localhost".
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "net_fixture.hpp"

namespace actr::net::test {
namespace {

using Kind = workload::Message::Kind;

struct Pem {
  std::string certificate;
  std::string key;
};

std::string drain(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

// A self-signed P-256 certificate for DNS:localhost, valid for a day.
Pem self_signed_localhost() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, key, EVP_sha256());
  BIO* c = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(c, cert);
  BIO* k = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
  Pem out{drain(c), drain(k)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

TEST(NetTls, CallsAndTellsOverWss) {
  Pem pem = self_signed_localhost();
  auto server_options = options("b", "node:2");
  server_options.on_request = echo_handler();
  server_options.tls.certificate_chain_pem = pem.certificate;
  server_options.tls.private_key_pem = pem.key;
  auto server = start(std::move(server_options));
  ASSERT_TRUE(server);

  auto client_options = options("a", "node:1");
  client_options.tls.trusted_ca_pem = pem.certificate;
  auto client = start(std::move(client_options));
  auto peer = client->peer("wss://localhost:" + std::to_string(server->port()));
  ASSERT_TRUE(peer.ok()) << peer.error().message;
  auto r = call_and_wait(*peer.value(), make_request(Kind::Call, "echo", "secret"));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_ok()) << (r->is_err() ? r->error().as_unavailable() : "");
  EXPECT_EQ(text(r->value()), "echo:secret");
  auto t = tell_and_wait(*peer.value(), make_request(Kind::Tell, "note", ""));
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(t->is_ok());
  EXPECT_EQ(client->stats().outbound_opened, 1u);
}

TEST(NetTls, UntrustedCertificateIsRefused) {
  Pem pem = self_signed_localhost();
  Pem other = self_signed_localhost();
  auto server_options = options("b", "node:2");
  server_options.on_request = echo_handler();
  server_options.tls.certificate_chain_pem = pem.certificate;
  server_options.tls.private_key_pem = pem.key;
  auto server = start(std::move(server_options));

  auto client_options = options("a", "node:1");
  client_options.tls.trusted_ca_pem = other.certificate;  // trusts someone else
  auto client = start(std::move(client_options));
  auto peer = client->peer("wss://localhost:" + std::to_string(server->port())).value();
  auto r = call_and_wait(*peer, make_request(Kind::Call, "echo", "secret"));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_err());
  EXPECT_EQ(r->error().tag(), ActrError::Tag::Unavailable);
  EXPECT_NE(r->error().as_unavailable().find("TLS"), std::string::npos)
      << r->error().as_unavailable();

  // A plain ws:// client cannot talk to a TLS listener either.
  auto plain = client->peer("127.0.0.1:" + std::to_string(server->port())).value();
  auto p = call_and_wait(*plain, make_request(Kind::Call, "echo", "x"));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->error().tag(), ActrError::Tag::Unavailable);
}

TEST(NetTls, CredentialsAreCheckedAtTheUpgradeOverWss) {
  Pem pem = self_signed_localhost();
  auto server_options = options("b", "node:2");
  server_options.on_request = echo_handler();
  server_options.tls.certificate_chain_pem = pem.certificate;
  server_options.tls.private_key_pem = pem.key;
  auto server = start(std::move(server_options));
  auto client_options = options("mallory", "forged");
  client_options.tls.trusted_ca_pem = pem.certificate;
  auto client = start(std::move(client_options));
  auto peer = client->peer("wss://localhost:" + std::to_string(server->port())).value();
  auto r = call_and_wait(*peer, make_request(Kind::Call, "echo", "secret"));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_err());
  EXPECT_EQ(r->error().tag(), ActrError::Tag::PermissionDenied);
  EXPECT_NE(r->error().as_permission_denied().find("403"), std::string::npos)
      << r->error().as_permission_denied();
}

TEST(NetTls, BadPemIsAStartError) {
  auto o = options("b", "node:2");
  o.tls.certificate_chain_pem = "not a certificate";
  o.tls.private_key_pem = "nor a key";
  auto t = Transport::start(std::move(o));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("TLS"), std::string::npos);
}

}  // namespace
}  // namespace actr::net::test
