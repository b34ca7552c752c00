#include "harness/fault_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <list>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

namespace mailprune::test {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// A blocking connect (loopback: immediate), then non-blocking. -1 on failure.
int connect_to(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) close_fd(fd);
  }
  ::freeaddrinfo(found);
  if (fd >= 0) {
    set_nonblocking(fd);
    set_nodelay(fd);
  }
  return fd;
}

}  // namespace

// One proxied connection: the client's socket, the target's, and what waits to be written to each.
// Touched only by the proxy's thread.
struct FaultProxy::Connection {
  std::size_t number = 0;
  int client = -1;
  int server = -1;
  Fault fault;
  bool from_default = false;     // the fault is the default one: firing takes from its budget
  std::size_t next_trigger = 0;  // index into fault.triggers of the text looked for now
  bool armed = false;            // every trigger text was seen (or there is none)
  std::string trigger_tail;      // the last bytes, shorter than the text looked for: matches across reads
  std::uint64_t counted = 0;     // server->client bytes since arming
  bool fired = false;
  bool stalled = false;
  bool cut = false;         // close as soon as to_client is written
  bool client_eof = false;  // the client will send nothing more
  bool server_eof = false;
  bool server_write_shut = false;
  bool client_write_shut = false;
  std::string to_client;
  std::string to_server;
  std::uint64_t written_to_client = 0;
  bool closed = false;
};

FaultProxy::FaultProxy(std::string target_host, std::uint16_t target_port)
    : target_host_(std::move(target_host)), target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) throw_errno("fault proxy: socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    int err = errno;
    close_fd(listen_fd_);
    throw std::system_error(err, std::generic_category(), "fault proxy: listen on 127.0.0.1:0");
  }
  port_ = ntohs(address.sin_port);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    close_fd(listen_fd_);
    throw_errno("fault proxy: pipe");
  }
  wake_read_fd_ = pipe_fds[0];
  wake_write_fd_ = pipe_fds[1];
  thread_ = std::thread([this] { run(); });
}

FaultProxy::~FaultProxy() {
  stop();
}

void FaultProxy::stop() {
  if (thread_.joinable()) {
    stopping_ = true;
    char byte = 0;
    [[maybe_unused]] auto written = ::write(wake_write_fd_, &byte, 1);
    thread_.join();
  }
  close_fd(listen_fd_);
  close_fd(wake_read_fd_);
  close_fd(wake_write_fd_);
}

void FaultProxy::set_fault(std::size_t connection, Fault fault) {
  std::lock_guard lock(mutex_);
  faults_[connection] = std::move(fault);
}

void FaultProxy::set_default_fault(Fault fault, std::size_t max_fires) {
  std::lock_guard lock(mutex_);
  default_fault_ = std::move(fault);
  default_fires_left_ = max_fires;
}

void FaultProxy::clear_faults() {
  std::lock_guard lock(mutex_);
  faults_.clear();
  default_fault_.reset();
}

Fault FaultProxy::fault_for(std::size_t connection, bool& from_default) {
  std::lock_guard lock(mutex_);
  from_default = false;
  if (auto it = faults_.find(connection); it != faults_.end()) return it->second;
  if (!default_fault_) return Fault{};
  from_default = true;
  return *default_fault_;
}

std::uint64_t FaultProxy::bytes_to_client_of(std::size_t connection) const {
  std::lock_guard lock(mutex_);
  auto it = closed_bytes_.find(connection);
  return it == closed_bytes_.end() ? 0 : it->second;
}

bool FaultProxy::take_default_fire() {
  std::lock_guard lock(mutex_);
  if (default_fires_left_ == 0) return false;
  if (default_fires_left_ != unlimited) --default_fires_left_;
  return true;
}

void FaultProxy::run() {
  std::list<Connection> connections;
  std::vector<char> buffer(64 * 1024);

  // Writes as much of `pending` as the socket takes. False: the peer is gone.
  auto write_some = [](int fd, std::string& pending, std::atomic<std::uint64_t>& counter) {
    while (!pending.empty()) {
      ssize_t n = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
      }
      counter += static_cast<std::uint64_t>(n);
      pending.erase(0, static_cast<std::size_t>(n));
    }
    return true;
  };
  auto close_connection = [&](Connection& c) {
    close_fd(c.client);
    close_fd(c.server);
    if (c.closed) return;
    --open_;
    c.closed = true;
    std::lock_guard lock(mutex_);
    closed_bytes_[c.number] = c.written_to_client;
  };
  // Writes to the client, counting per connection too.
  auto write_to_client = [&](Connection& c) {
    const std::size_t before = c.to_client.size();
    const bool alive = write_some(c.client, c.to_client, to_client_);
    c.written_to_client += before - c.to_client.size();
    return alive;
  };

  auto fire = [&](Connection& c) {
    c.fired = true;
    if (c.from_default && !take_default_fire()) return;  // the budget is spent: forward as is
    ++fired_;
    switch (c.fault.kind) {
      case Fault::Kind::cut:
        c.cut = true;
        break;
      case Fault::Kind::garbage:
        c.to_client += c.fault.garbage_bytes;
        break;
      case Fault::Kind::stall:
        c.stalled = true;
        break;
      case Fault::Kind::none:
      case Fault::Kind::refuse:
        break;
    }
  };

  // Bytes read from the target, through the connection's fault, into to_client.
  auto from_server = [&](Connection& c, std::string_view data) {
    const Fault& fault = c.fault;
    while (!data.empty()) {
      if (c.cut || c.stalled) return;  // what follows the fault is never forwarded
      if (fault.kind == Fault::Kind::none || c.fired) {
        c.to_client.append(data);
        return;
      }
      if (!c.armed) {
        // Forward up to and including the end of the text looked for.
        const std::string& text = fault.triggers[c.next_trigger];
        std::string window = c.trigger_tail;
        window.append(data);
        const auto at = window.find(text);
        if (at == std::string::npos) {
          c.to_client.append(data);
          const std::size_t keep = std::min(window.size(), text.size() - 1);
          c.trigger_tail = window.substr(window.size() - keep);
          return;
        }
        const std::size_t end_in_data = at + text.size() - c.trigger_tail.size();
        c.to_client.append(data.substr(0, end_in_data));
        data.remove_prefix(end_in_data);
        c.trigger_tail.clear();
        c.armed = ++c.next_trigger == fault.triggers.size();
        if (c.armed && c.counted >= fault.after_bytes) fire(c);
        continue;
      }
      const std::uint64_t take = std::min<std::uint64_t>(fault.after_bytes - c.counted, data.size());
      c.to_client.append(data.substr(0, take));
      data.remove_prefix(take);
      c.counted += take;
      if (c.counted >= fault.after_bytes) fire(c);
    }
  };

  auto accept_one = [&] {
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) return;
    const std::size_t number = ++accepted_;
    Connection c;
    c.number = number;
    c.client = client;
    c.fault = fault_for(number, c.from_default);
    if (c.fault.kind == Fault::Kind::refuse && (!c.from_default || take_default_fire())) {
      ++fired_;
      close_fd(c.client);
      return;
    }
    if (c.fault.kind == Fault::Kind::refuse) c.fault = Fault{};  // the default's budget is spent
    c.server = connect_to(target_host_, target_port_);
    if (c.server < 0) {
      ++connect_failures_;
      close_fd(c.client);
      return;
    }
    set_nodelay(c.client);
    ++open_;
    c.armed = c.fault.triggers.empty();
    if (c.fault.kind != Fault::Kind::none && c.armed && c.fault.after_bytes == 0) fire(c);
    connections.push_back(std::move(c));
  };

  // Reads once. nullopt: would block; "" : end of stream or error.
  auto read_some = [&](int fd, bool& eof) -> std::optional<std::string_view> {
    for (;;) {
      ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n > 0) return std::string_view(buffer.data(), static_cast<std::size_t>(n));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
      eof = true;
      return std::string_view();
    }
  };

  while (!stopping_) {
    // A cut whose bytes are all written (nothing left to poll for).
    for (auto& c : connections) {
      if (!c.closed && c.cut && c.to_client.empty()) close_connection(c);
    }
    connections.remove_if([](const Connection& c) { return c.closed; });
    std::vector<pollfd> fds;
    fds.push_back({wake_read_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    std::vector<std::pair<Connection*, bool>> owners;  // per fd after the first two: (connection, is_client)
    for (auto& c : connections) {
      short client_events = 0, server_events = 0;
      if (c.stalled) {
        // Only what preceded the stall goes out; reading is only to notice the client hanging up.
        client_events = static_cast<short>(POLLIN | (c.to_client.empty() ? 0 : POLLOUT));
      } else {
        if (!c.client_eof && c.to_server.empty()) client_events |= POLLIN;
        if (!c.to_client.empty()) client_events |= POLLOUT;
        if (!c.server_eof && c.to_client.empty() && !c.cut) server_events |= POLLIN;
        if (!c.to_server.empty()) server_events |= POLLOUT;
      }
      fds.push_back({c.client, client_events, 0});
      owners.emplace_back(&c, true);
      fds.push_back({c.server, server_events, 0});
      owners.emplace_back(&c, false);
    }
    if (::poll(fds.data(), fds.size(), 1000) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) break;  // stop()
    if (fds[1].revents & POLLIN) accept_one();

    for (std::size_t i = 2; i < fds.size(); ++i) {
      auto [c, is_client] = owners[i - 2];
      const short revents = fds[i].revents;
      if (c->closed || revents == 0) continue;
      if (c->stalled) {
        if (!is_client) continue;
        if ((revents & POLLOUT) && !write_to_client(*c)) {
          close_connection(*c);
          continue;
        }
        bool eof = false;
        while (auto data = read_some(c->client, eof)) {
          if (eof) break;  // the client hung up (or reset): done
        }
        if (eof) close_connection(*c);
        continue;
      }
      if (is_client) {
        if (revents & POLLOUT) {
          if (!write_to_client(*c)) {
            close_connection(*c);
            continue;
          }
        }
        if (revents & (POLLIN | POLLHUP | POLLERR)) {
          bool eof = false;
          if (auto data = read_some(c->client, eof)) {
            if (eof) c->client_eof = true;
            c->to_server.append(*data);
          }
        }
      } else {
        if (revents & POLLOUT) {
          if (!write_some(c->server, c->to_server, to_server_)) {
            close_connection(*c);
            continue;
          }
        }
        if (revents & (POLLIN | POLLHUP | POLLERR)) {
          bool eof = false;
          if (auto data = read_some(c->server, eof)) {
            if (eof) c->server_eof = true;
            from_server(*c, *data);
          }
        }
      }
      // Pass end-of-stream on once what preceded it is written; close when both ways are done.
      if (c->client_eof && c->to_server.empty() && !c->server_write_shut && c->server >= 0) {
        ::shutdown(c->server, SHUT_WR);
        c->server_write_shut = true;
      }
      if (c->server_eof && c->to_client.empty() && !c->client_write_shut && c->client >= 0) {
        ::shutdown(c->client, SHUT_WR);
        c->client_write_shut = true;
      }
      if ((c->cut && c->to_client.empty()) || (c->server_write_shut && c->client_write_shut)) {
        close_connection(*c);
      }
    }
  }
  for (auto& c : connections) close_connection(c);
}

}  // namespace mailprune::test
