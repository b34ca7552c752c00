#include "harness/imap_test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace mailprune::test {

namespace {

std::string openssl_error(const std::string& what) {
  char buffer[256];
  unsigned long code = ERR_get_error();
  ERR_error_string_n(code, buffer, sizeof buffer);
  return what + ": " + (code != 0 ? buffer : "unknown error");
}

}  // namespace

struct ImapTestClient::Connection {
  int fd = -1;
  SSL_CTX* context = nullptr;
  SSL* ssl = nullptr;
  std::string buffer;

  ~Connection() {
    if (ssl != nullptr) SSL_free(ssl);
    if (context != nullptr) SSL_CTX_free(context);
    if (fd >= 0) ::close(fd);
  }

  void wait_readable(std::chrono::milliseconds timeout) const {
    if (ssl != nullptr && SSL_pending(ssl) > 0) return;
    pollfd p{fd, POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (r < 0 && errno == EINTR);
    if (r == 0) throw std::runtime_error("IMAP test client: read timed out");
    if (r < 0) throw std::runtime_error("IMAP test client: poll failed");
  }

  // Appends at least one byte to buffer.
  void fill(std::chrono::milliseconds timeout) {
    char chunk[16384];
    for (;;) {
      wait_readable(timeout);
      int n;
      if (ssl != nullptr) {
        n = SSL_read(ssl, chunk, sizeof chunk);
        if (n <= 0) {
          int error = SSL_get_error(ssl, n);
          if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) continue;
          throw std::runtime_error("IMAP test client: connection closed (TLS)");
        }
      } else {
        n = static_cast<int>(::recv(fd, chunk, sizeof chunk, 0));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error("IMAP test client: connection closed");
      }
      buffer.append(chunk, static_cast<std::size_t>(n));
      return;
    }
  }

  void send(const std::string& data) const {
    std::size_t done = 0;
    while (done < data.size()) {
      long n = ssl != nullptr ? SSL_write(ssl, data.data() + done, static_cast<int>(data.size() - done))
                              : ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("IMAP test client: write failed");
      done += static_cast<std::size_t>(n);
    }
  }
};

std::string ImapTestClient::Reply::find(const std::string& needle) const {
  for (const auto& line : untagged) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return "";
}

namespace {

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  return fd;
}

}  // namespace

ImapTestClient::ImapTestClient(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {
  greeting_ = read_line();
}
ImapTestClient::ImapTestClient(ImapTestClient&&) noexcept = default;
ImapTestClient& ImapTestClient::operator=(ImapTestClient&&) noexcept = default;
ImapTestClient::~ImapTestClient() = default;

ImapTestClient ImapTestClient::connect_plain(std::uint16_t port) {
  auto connection = std::make_unique<Connection>();
  connection->fd = connect_loopback(port);
  return ImapTestClient(std::move(connection));
}

ImapTestClient ImapTestClient::connect_tls(std::uint16_t port, const std::string& ca_path,
                                           const std::string& host_name) {
  auto connection = std::make_unique<Connection>();
  connection->fd = connect_loopback(port);
  connection->context = SSL_CTX_new(TLS_client_method());
  if (connection->context == nullptr) throw std::runtime_error(openssl_error("SSL_CTX_new"));
  SSL_CTX_set_verify(connection->context, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(connection->context, ca_path.c_str(), nullptr) != 1) {
    throw std::runtime_error(openssl_error("load CA " + ca_path));
  }
  connection->ssl = SSL_new(connection->context);
  SSL_set_fd(connection->ssl, connection->fd);
  X509_VERIFY_PARAM* param = SSL_get0_param(connection->ssl);
  in6_addr ignored{};
  if (::inet_pton(AF_INET, host_name.c_str(), &ignored) == 1) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host_name.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host_name.c_str(), 0);
    SSL_set_tlsext_host_name(connection->ssl, host_name.c_str());
  }
  if (SSL_connect(connection->ssl) != 1) {
    long verify = SSL_get_verify_result(connection->ssl);
    throw std::runtime_error(openssl_error("TLS handshake") + " (verify: " + X509_verify_cert_error_string(verify) +
                             ")");
  }
  return ImapTestClient(std::move(connection));
}

std::string ImapTestClient::read_line() {
  auto& c = *connection_;
  std::string line;
  for (;;) {
    auto end = c.buffer.find("\r\n");
    while (end == std::string::npos) {
      c.fill(timeout);
      end = c.buffer.find("\r\n");
    }
    std::string part = c.buffer.substr(0, end);
    c.buffer.erase(0, end + 2);
    line += part;
    // A line ending in {n} (or {n+}) announces n bytes of literal, then the line goes on.
    if (part.empty() || part.back() != '}') return line;
    auto open = part.rfind('{');
    if (open == std::string::npos) return line;
    std::size_t length = std::strtoull(part.c_str() + open + 1, nullptr, 10);
    while (c.buffer.size() < length) c.fill(timeout);
    line += "\r\n" + c.buffer.substr(0, length);
    c.buffer.erase(0, length);
  }
}

ImapTestClient::Reply ImapTestClient::command(const std::string& command) {
  const std::string tag = "t" + std::to_string(next_tag_++);
  connection_->send(tag + " " + command + "\r\n");
  Reply reply;
  for (;;) {
    std::string line = read_line();
    if (line.rfind(tag + " ", 0) == 0) {
      reply.tagged = line.substr(tag.size() + 1);
      return reply;
    }
    reply.untagged.push_back(std::move(line));
  }
}

std::string ImapTestClient::quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void ImapTestClient::login(const std::string& user, const std::string& password) {
  auto reply = command("LOGIN " + quote(user) + " " + quote(password));
  if (!reply.ok()) throw std::runtime_error("LOGIN as " + user + " failed: " + reply.tagged);
}

std::string ImapTestClient::peer_certificate_pem() const {
  if (connection_->ssl == nullptr) return "";
  X509* cert = SSL_get1_peer_certificate(connection_->ssl);
  if (cert == nullptr) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  X509_free(cert);
  return pem;
}

}  // namespace mailprune::test
