#include "webrtc/certificate.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

namespace actr::webrtc {

Certificate::~Certificate() {
  X509_free(x509_);
  EVP_PKEY_free(key_);
}

Result<std::string> fingerprint_of(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &length) != 1) {
    return make_error("dtls: cannot digest the certificate");
  }
  static const char kHex[] = "0123456789ABCDEF";
  std::string out = "sha-256 ";
  for (unsigned int i = 0; i < length; ++i) {
    if (i) out += ':';
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Result<std::shared_ptr<const Certificate>> Certificate::generate(int days) {
  std::shared_ptr<Certificate> c(new Certificate());
  c->key_ = EVP_EC_gen("P-256");
  if (!c->key_) return make_error("dtls: cannot make a P-256 key");
  c->x509_ = X509_new();
  if (!c->x509_) return make_error("dtls: cannot make a certificate");
  unsigned char serial[8];
  RAND_bytes(serial, sizeof serial);
  uint64_t s = 0;
  for (unsigned char b : serial) s = s << 8 | b;
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(c->x509_), s >> 1);  // positive
  X509_set_version(c->x509_, 2);
  // A day of slack backwards: the peer's clock may be behind ours.
  X509_gmtime_adj(X509_getm_notBefore(c->x509_), -86400);
  X509_gmtime_adj(X509_getm_notAfter(c->x509_), static_cast<long>(days) * 86400);
  X509_NAME* name = X509_get_subject_name(c->x509_);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("actr"), -1, -1, 0);
  X509_set_issuer_name(c->x509_, name);
  if (X509_set_pubkey(c->x509_, c->key_) != 1 || X509_sign(c->x509_, c->key_, EVP_sha256()) == 0) {
    return make_error("dtls: cannot sign the certificate");
  }
  ACTR_TRY(c->fingerprint_, fingerprint_of(c->x509_));
  return std::shared_ptr<const Certificate>(std::move(c));
}

}  // namespace actr::webrtc
