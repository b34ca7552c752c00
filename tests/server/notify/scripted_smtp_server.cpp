#include "scripted_smtp_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace mailprune::notify::test {
namespace {

bool send_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::string upper_prefix(const std::string& line, std::size_t length) {
  std::string out = line.substr(0, length);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Reads one CRLF-terminated line into `line` (without CRLF); false when the peer is gone, the
// server stops, or nothing comes for 10 s.
bool read_line(int fd, std::string& buffer, std::string& line, const std::atomic<bool>& stopping) {
  for (int waited = 0; waited < 10000;) {
    auto end = buffer.find("\r\n");
    if (end != std::string::npos) {
      line = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      return true;
    }
    if (stopping.load()) return false;
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, 100);
    if (ready == 0) {
      waited += 100;
      continue;
    }
    char chunk[4096];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  return false;
}

}  // namespace

ScriptedSmtpServer::ScriptedSmtpServer(SmtpScript script) : script_(std::move(script)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 8) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(listener_);
    throw std::runtime_error("cannot listen on 127.0.0.1:0");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

ScriptedSmtpServer::~ScriptedSmtpServer() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listener_);
}

std::vector<std::string> ScriptedSmtpServer::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

std::vector<std::string> ScriptedSmtpServer::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

void ScriptedSmtpServer::serve() {
  while (!stopping_.load()) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    serve_connection(fd);
    ::close(fd);
  }
}

void ScriptedSmtpServer::serve_connection(int fd) {
  // An empty reply means: close the connection now.
  auto answer = [&](const std::string& reply) { return !reply.empty() && send_all(fd, reply + "\r\n"); };
  if (!answer(script_.greeting)) return;
  std::string buffer;
  std::string line;
  while (read_line(fd, buffer, line, stopping_)) {
    {
      std::lock_guard lock(mutex_);
      commands_.push_back(line);
    }
    const std::string verb = upper_prefix(line, 4);
    std::string reply;
    if (verb == "EHLO" || verb == "HELO") {
      reply = script_.ehlo;
    } else if (verb == "AUTH") {
      // "AUTH PLAIN" without initial response: ask for it, record it as a command line.
      if (line.find(' ', 5) == std::string::npos) {
        if (!answer("334 ") || !read_line(fd, buffer, line, stopping_)) return;
        std::lock_guard lock(mutex_);
        commands_.push_back(line);
      }
      reply = script_.auth;
    } else if (verb == "MAIL") {
      reply = script_.mail;
    } else if (verb == "RCPT") {
      reply = script_.rcpt;
    } else if (verb == "RSET" || verb == "NOOP") {
      reply = "250 2.0.0 Ok";
    } else if (verb == "QUIT") {
      answer(script_.quit);
      return;
    } else if (verb == "DATA") {
      if (!answer(script_.data)) return;
      if (script_.data.rfind("354", 0) != 0) continue;
      std::string message;
      bool complete = false;
      while (read_line(fd, buffer, line, stopping_)) {
        if (line == ".") {
          complete = true;
          break;
        }
        message += (line.rfind("..", 0) == 0 ? line.substr(1) : line) + "\r\n";
      }
      if (!complete) return;
      {
        std::lock_guard lock(mutex_);
        commands_.push_back(".");
        messages_.push_back(message);
      }
      reply = script_.end_of_data;
      if (script_.close_after_message) {
        answer(reply);
        return;
      }
    } else {
      reply = "502 5.5.2 Error: command not recognized";
    }
    if (!answer(reply)) return;
  }
}

}  // namespace mailprune::notify::test
