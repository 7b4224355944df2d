// The node's DTLS identity: a self-signed certificate (ECDSA P-256) made at start, whose
// SHA-256 fingerprint travels in the description (a=fingerprint) through the signaling server,
// which checks the sender's credentials. The peer's DTLS certificate must match that
// fingerprint: that is what binds the encrypted path to the authenticated actor (RFC 8827).
#pragma once

#include <memory>
#include <string>

#include "actr/common/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;

namespace actr::webrtc {

class Certificate {
 public:
  // A fresh key and certificate, valid for `days`.
  static Result<std::shared_ptr<const Certificate>> generate(int days = 30);
  ~Certificate();
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  // "sha-256 AB:CD:...", as SDP's a=fingerprint spells it.
  const std::string& fingerprint() const { return fingerprint_; }
  EVP_PKEY* key() const { return key_; }
  X509* x509() const { return x509_; }

 private:
  Certificate() = default;
  EVP_PKEY* key_ = nullptr;
  X509* x509_ = nullptr;
  std::string fingerprint_;
};

// The fingerprint of `cert` as fingerprint() spells it.
Result<std::string> fingerprint_of(X509* cert);

}  // namespace actr::webrtc
