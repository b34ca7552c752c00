// The server with a certificate: HTTPS on loopback, checked by an OpenSSL client that verifies the
// certificate against the test CA; a plain-HTTP client gets nothing.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <memory>

#include "harness/temp_dir.hpp"
#include "harness/tls_certificate.hpp"
#include "http/raw_client.hpp"
#include "http/server.hpp"

namespace mailprune::http {
namespace {

using namespace std::chrono_literals;

// GET `target` over TLS, verifying the server against `ca_path` for IP 127.0.0.1; returns the raw
// bytes of the response (the connection is asked to close), or "" when the handshake fails.
std::string tls_get(std::uint16_t port, const std::string& ca_path, const std::string& target) {
  testing::RawClient tcp(port);
  if (!tcp.connected()) return "";
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(context.get(), ca_path.c_str(), nullptr) != 1) return "";
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(context.get()), SSL_free);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), "127.0.0.1");
  SSL_set_fd(ssl.get(), tcp.fd());
  if (SSL_connect(ssl.get()) != 1) return "";
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  if (SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) <= 0) return "";
  std::string response;
  char buffer[4096];
  for (;;) {
    int n = SSL_read(ssl.get(), buffer, sizeof buffer);
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  return response;
}

TEST(HttpsServer, ServesOverTlsWithTheConfiguredCertificate) {
  test::TempDir dir("https");
  test::TestCertificate certificate = test::make_test_certificate(dir.path());
  ServerOptions options;
  options.listen = {"127.0.0.1:0"};
  options.tls_cert_file = certificate.cert_path;
  options.tls_key_file = certificate.key_path;
  options.header_timeout = 2s;
  Router router;
  router.add("GET", "/whoami", [](const Request& r) { return text_response(200, r.is_tls ? "tls" : "plain"); });
  Server server(options, router);
  server.start();
  std::uint16_t port = server.ports().at(0);
  EXPECT_EQ(server.urls().at(0), "https://127.0.0.1:" + std::to_string(port));

  std::string response = tls_get(port, certificate.ca_path, "/whoami");
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("\r\n\r\ntls"), std::string::npos) << response;
  EXPECT_NE(response.find("X-Content-Type-Options: nosniff"), std::string::npos) << response;

  // Plain HTTP to the TLS port: no HTTP answer, the connection ends.
  testing::RawClient plain(port);
  ASSERT_TRUE(plain.send(testing::get_request("/whoami")));
  EXPECT_EQ(plain.read_response(3s).status, 0);

  server.stop();
  server.wait();
}

TEST(HttpsServer, MissingCertificateFilesAreAnErrorAtStart) {
  ServerOptions options;
  options.listen = {"127.0.0.1:0"};
  options.tls_cert_file = "/nonexistent/cert.pem";
  options.tls_key_file = "/nonexistent/key.pem";
  Server server(options, Router{});
  try {
    server.start();
    FAIL() << "start() should throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/cert.pem"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mailprune::http
