// A blocking HTTP/1.1 client over a raw loopback socket, for tests that need to control bytes
// and timing exactly (half a header, pipelining, a stalled reader). Parses responses with
// Content-Length, chunked, or read-to-close bodies. Every read has a deadline; nothing throws:
// failures show as a Response with status 0.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>

namespace mailprune::testing {

struct RawResponse {
  int status = 0;  // 0: no (complete) response
  std::string reason;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool chunked = false;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class RawClient {
 public:
  explicit RawClient(std::uint16_t port, const char* address = "127.0.0.1") {
    bool v6 = std::strchr(address, ':') != nullptr;
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = -1;
    if (v6) {
      sockaddr_in6 sa{};
      sa.sin6_family = AF_INET6;
      sa.sin6_port = htons(port);
      ::inet_pton(AF_INET6, address, &sa.sin6_addr);
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    } else {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(port);
      ::inet_pton(AF_INET, address, &sa.sin_addr);
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    }
    connected_ = rc == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool send(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  // True when the server closed the connection (EOF or reset) within `timeout`, with any bytes
  // that arrived before kept for the next read.
  bool closed_within(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int r = fill(deadline);
      if (r == 0) return true;  // EOF or error
      if (r < 0) return false;  // timed out
    }
  }

  // Reads one response (for a HEAD request pass head = true: no body follows).
  RawResponse read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10), bool head = false) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    RawResponse response;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (fill(deadline) <= 0) return RawResponse{};
    }
    std::string head_text = buffer_.substr(0, end + 2);
    buffer_.erase(0, end + 4);
    auto line_end = head_text.find("\r\n");
    std::string status_line = head_text.substr(0, line_end);
    if (status_line.size() < 12) return RawResponse{};
    response.status = std::atoi(status_line.substr(9, 3).c_str());
    response.reason = status_line.size() > 13 ? status_line.substr(13) : "";
    std::size_t pos = line_end + 2;
    while (pos < head_text.size()) {
      auto eol = head_text.find("\r\n", pos);
      std::string line = head_text.substr(pos, eol - pos);
      pos = eol + 2;
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      response.headers.emplace(name, value);
    }
    if (head || response.status == 204 || response.status == 304 || response.status / 100 == 1) return response;
    if (response.header("transfer-encoding") == "chunked") {
      response.chunked = true;
      for (;;) {
        std::size_t eol;
        while ((eol = buffer_.find("\r\n")) == std::string::npos) {
          if (fill(deadline) <= 0) return RawResponse{};
        }
        std::size_t size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
        buffer_.erase(0, eol + 2);
        while (buffer_.size() < size + 2) {
          if (fill(deadline) <= 0) return RawResponse{};
        }
        response.body += buffer_.substr(0, size);
        buffer_.erase(0, size + 2);
        if (size == 0) break;
      }
      return response;
    }
    std::string length = response.header("content-length");
    if (!length.empty()) {
      std::size_t size = std::stoul(length);
      while (buffer_.size() < size) {
        if (fill(deadline) <= 0) return RawResponse{};
      }
      response.body = buffer_.substr(0, size);
      buffer_.erase(0, size);
      return response;
    }
    for (;;) {  // to the end of the connection
      int r = fill(deadline);
      if (r == 0) break;
      if (r < 0) return RawResponse{};
    }
    response.body = std::move(buffer_);
    buffer_.clear();
    return response;
  }

  // Bytes received but not yet consumed by read_response().
  const std::string& pending() const { return buffer_; }
  int fd() const { return fd_; }

 private:
  // > 0 bytes read, 0 EOF/error, -1 deadline passed.
  int fill(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return -1;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready == 0) return -1;
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return 0;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return 1;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

// One request on a fresh connection.
inline RawResponse fetch(std::uint16_t port, const std::string& request,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  RawClient client(port);
  if (!client.connected() || !client.send(request)) return RawResponse{};
  return client.read_response(timeout);
}

inline std::string get_request(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + "\r\n";
}

}  // namespace mailprune::testing
