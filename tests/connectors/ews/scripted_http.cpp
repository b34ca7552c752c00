#include "scripted_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace mailprune::ews::test {

std::string RecordedRequest::header(const std::string& name) const {
  std::string lower_head = head;
  std::transform(lower_head.begin(), lower_head.end(), lower_head.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  std::string key = "\r\n" + name + ":";
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto at = lower_head.find(key);
  if (at == std::string::npos) return "";
  auto start = at + key.size();
  while (start < head.size() && head[start] == ' ') ++start;
  return head.substr(start, head.find("\r\n", start) - start);
}

ScriptedHttpServer::ScriptedHttpServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("scripted server: bind/listen failed");
  }
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { run(); });
}

ScriptedHttpServer::~ScriptedHttpServer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  thread_.join();
  ::close(listen_fd_);
}

void ScriptedHttpServer::reply(std::string raw) {
  std::lock_guard lock(mutex_);
  script_.push_back(std::move(raw));
}

void ScriptedHttpServer::reply_xml(const std::string& body, int status, const std::string& extra_headers) {
  reply("HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body);
}

std::string ScriptedHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<RecordedRequest> ScriptedHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void ScriptedHttpServer::run() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    ++connections_;
    workers_.emplace_back([this, fd] {
      serve(fd);
      ::close(fd);
    });
  }
  for (std::thread& worker : workers_) worker.join();
}

void ScriptedHttpServer::serve(int fd) {
  std::string buffer;
  char chunk[65536];
  while (!stopping_) {
    // Headers.
    std::size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) {
        if (stopping_) return;
        continue;
      }
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    RecordedRequest request;
    request.head = buffer.substr(0, end + 2);
    buffer.erase(0, end + 4);
    const std::string length_text = request.header("Content-Length");
    const std::size_t length = length_text.empty() ? 0 : std::stoul(length_text);
    while (buffer.size() < length) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    request.body = buffer.substr(0, length);
    buffer.erase(0, length);
    std::string reply;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      if (script_.empty()) {
        reply = "HTTP/1.1 599 unscripted\r\nContent-Length: 0\r\n\r\n";
      } else {
        reply = std::move(script_.front());
        script_.pop_front();
      }
      if (reply == kHalf && !script_.empty()) {
        std::string next = std::move(script_.front());
        script_.pop_front();
        ::send(fd, next.data(), next.size() / 2, MSG_NOSIGNAL);
        return;
      }
    }
    if (reply == kClose) return;
    for (std::size_t sent = 0; sent < reply.size();) {
      const ssize_t n = ::send(fd, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }
}

}  // namespace mailprune::ews::test
