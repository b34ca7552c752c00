// imap_test_client.hpp: a deliberately small, blocking IMAP client for tests to check a server's
// state by their own means, independent of connectors/imap (the code under test).
//
// Plaintext or implicit TLS (OpenSSL, verifying the chain against a given CA file and the host
// name). command() sends one tagged command and collects every response line up to the tagged one,
// with `{n}` literals inlined. Timeouts on every read (default 10 s). Not for production: no
// pipelining, no IDLE, minimal error handling (throws std::runtime_error).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mailprune::test {

class ImapTestClient {
 public:
  struct Reply {
    std::vector<std::string> untagged;  // lines starting "* ", without CRLF, literals inlined
    std::string tagged;                 // "OK ...", "NO ...", "BAD ..." without the tag
    bool ok() const { return tagged.rfind("OK", 0) == 0; }
    // The first untagged line containing `needle`, or "".
    std::string find(const std::string& needle) const;
  };

  // Connects to 127.0.0.1:`port` and reads the greeting.
  static ImapTestClient connect_plain(std::uint16_t port);
  // Implicit TLS; verifies the certificate against `ca_path` and `host_name` (a DNS name or an IP).
  static ImapTestClient connect_tls(std::uint16_t port, const std::string& ca_path,
                                    const std::string& host_name = "localhost");

  ImapTestClient(ImapTestClient&&) noexcept;
  ImapTestClient& operator=(ImapTestClient&&) noexcept;
  ~ImapTestClient();

  const std::string& greeting() const { return greeting_; }
  // Sends "<tag> <command>\r\n" and reads up to the tagged response.
  Reply command(const std::string& command);
  // LOGIN with both arguments as quoted strings; throws unless OK.
  void login(const std::string& user, const std::string& password);
  // The server's certificate as PEM ("" on plaintext connections).
  std::string peer_certificate_pem() const;
  // Quotes a string for IMAP (backslash-escaping '"' and '\').
  static std::string quote(const std::string& text);

  std::chrono::milliseconds timeout = std::chrono::seconds(10);

 private:
  struct Connection;
  explicit ImapTestClient(std::unique_ptr<Connection> connection);
  std::string read_line();  // one response line, literals inlined, without CRLF

  std::unique_ptr<Connection> connection_;
  std::string greeting_;
  unsigned next_tag_ = 1;
};

}  // namespace mailprune::test
