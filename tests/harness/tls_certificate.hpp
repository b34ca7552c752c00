// tls_certificate.hpp: a throwaway certificate authority and server certificate for test servers,
// made with the `openssl` command-line tool (ECDSA P-256, valid two days).
//
// The server certificate names CN=localhost with subjectAltName DNS:localhost and IP:127.0.0.1, so
// clients can verify both names. Clients trust `ca_path`; servers present `cert_path` / `key_path`.
// Shared by every TLS test server (Dovecot now; Cyrus, Postfix, the HTTP server later).
#pragma once

#include <string>

namespace mailprune::test {

struct TestCertificate {
  std::string ca_path;    // PEM: the CA certificate clients should trust
  std::string cert_path;  // PEM: the server's certificate (signed by the CA)
  std::string key_path;   // PEM: the server's private key, mode 0600, owned by us
};

// Writes ca.pem, cert.pem and key.pem (and the CA's key) into `dir`, which must exist. Throws
// std::runtime_error with openssl's output when a step fails.
TestCertificate make_test_certificate(const std::string& dir);

}  // namespace mailprune::test
