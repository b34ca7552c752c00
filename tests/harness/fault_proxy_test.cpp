// FaultProxy against a local server on loopback that greets with a known byte stream and then
// echoes: forwarding both ways, counters, and each fault on the connection it was set for.
#include "harness/fault_proxy.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "harness/temp_dir.hpp"

namespace mailprune::test {
namespace {

using namespace std::chrono_literals;

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `greeting` to every client, then echoes what it receives until the client hangs up.
class GreetEchoServer {
 public:
  explicit GreetEchoServer(std::string greeting) : greeting_(std::move(greeting)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~GreetEchoServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : clients_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : workers_) t.join();
    ::close(listen_fd_);
  }
  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void accept_loop() {
    while (!stopping_) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      ++accepted_;
      std::lock_guard lock(mutex_);
      clients_.push_back(fd);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }
  void serve(int fd) {
    ::send(fd, greeting_.data(), greeting_.size(), MSG_NOSIGNAL);
    char buffer[8192];
    for (;;) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      if (::send(fd, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
    }
    ::shutdown(fd, SHUT_WR);
    std::lock_guard lock(mutex_);
    clients_.remove(fd);
    ::close(fd);
  }

  std::string greeting_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::list<int> clients_;
  std::list<std::thread> workers_;
  std::thread acceptor_;
};

struct Received {
  std::string bytes;
  bool eof = false;  // the peer closed (or reset); false: `quiet` passed with nothing more
};

// Reads until EOF, `want` bytes, or `quiet` without a byte.
Received receive(int fd, std::size_t want = SIZE_MAX, std::chrono::milliseconds quiet = 2s) {
  Received r;
  char buffer[8192];
  while (r.bytes.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) return r;
    ssize_t n = ::recv(fd, buffer, std::min(sizeof buffer, want - r.bytes.size()), 0);
    if (n <= 0) {
      r.eof = true;
      return r;
    }
    r.bytes.append(buffer, static_cast<std::size_t>(n));
  }
  return r;
}

void send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    sent += static_cast<std::size_t>(n);
  }
}

// A greeting with a literal in the middle, like an IMAP FETCH response: 200 'a', "{64}\r\n",
// 64 'L', then 10000 'z'.
std::string sample_greeting() {
  return std::string(200, 'a') + "{64}\r\n" + std::string(64, 'L') + std::string(10000, 'z');
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 3s) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

TEST(FaultProxy, ForwardsBothWaysAndCounts) {
  const std::string greeting = sample_greeting();
  GreetEchoServer server(greeting);
  FaultProxy proxy("127.0.0.1", server.port());
  EXPECT_NE(proxy.port(), 0);

  int fd = connect_loopback(proxy.port());
  ASSERT_GE(fd, 0);
  EXPECT_EQ(receive(fd, greeting.size()).bytes, greeting);
  std::string payload;
  for (int i = 0; i < 300'000; ++i) payload += static_cast<char>('A' + i % 26);
  std::thread writer([&] { send_all(fd, payload); });
  Received echoed = receive(fd, payload.size());
  writer.join();
  EXPECT_EQ(echoed.bytes, payload);
  ::shutdown(fd, SHUT_WR);  // half-close passes through: the server's EOF comes back
  EXPECT_TRUE(receive(fd).eof);
  ::close(fd);

  EXPECT_EQ(proxy.connections_accepted(), 1u);
  EXPECT_EQ(proxy.faults_fired(), 0u);
  EXPECT_EQ(proxy.bytes_to_server(), payload.size());
  EXPECT_EQ(proxy.bytes_to_client(), greeting.size() + payload.size());
  EXPECT_TRUE(eventually([&] { return proxy.connections_open() == 0; }));
}

TEST(FaultProxy, CutAfterBytesClosesTheClientMidStream) {
  GreetEchoServer server(sample_greeting());
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.set_fault(1, Fault::cut(1234));
  int fd = connect_loopback(proxy.port());
  Received r = receive(fd);
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(r.bytes, sample_greeting().substr(0, 1234));
  ::close(fd);
  EXPECT_EQ(proxy.faults_fired(), 1u);
  EXPECT_EQ(proxy.bytes_to_client(), 1234u);
  EXPECT_TRUE(eventually([&] { return proxy.connections_open() == 0; }));
  EXPECT_EQ(proxy.bytes_to_client_of(1), 1234u);
  EXPECT_EQ(proxy.bytes_to_client_of(2), 0u);
}

TEST(FaultProxy, CutAfterTextLandsInsideTheLiteral) {
  GreetEchoServer server(sample_greeting());
  FaultProxy proxy("127.0.0.1", server.port());
  // The trigger split across reads is found too: the server's one send may arrive in pieces.
  proxy.set_default_fault(Fault::cut(10).after_text("}\r\n"));
  int fd = connect_loopback(proxy.port());
  Received r = receive(fd);
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(r.bytes, std::string(200, 'a') + "{64}\r\n" + std::string(10, 'L'));
  ::close(fd);
}

TEST(FaultProxy, TriggerAcrossReadsIsFound) {
  // The echo path delivers what the client sends in separate reads: send the trigger in two halves.
  GreetEchoServer server("");
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.set_fault(1, Fault::cut(2).after_text("MARK"));
  int fd = connect_loopback(proxy.port());
  send_all(fd, "xxMA");
  EXPECT_EQ(receive(fd, 4).bytes, "xxMA");
  send_all(fd, "RKyyzz");
  Received r = receive(fd);
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(r.bytes, "RKyy");
  ::close(fd);
}

TEST(FaultProxy, ChainedTextsAreLookedForInOrder) {
  // "}\r\n" occurs once, before "zzz": the chain needs "zzz" first, then a "}\r\n" after it.
  GreetEchoServer server("x}\r\nyy zzz ab}\r\ncdefgh");
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.set_fault(1, Fault::cut(2).after_text("zzz").after_text("}\r\n"));
  int fd = connect_loopback(proxy.port());
  Received r = receive(fd);
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(r.bytes, "x}\r\nyy zzz ab}\r\ncd");
  ::close(fd);
}

TEST(FaultProxy, DefaultFaultFiresAtMostItsBudget) {
  const std::string greeting = sample_greeting();
  GreetEchoServer server(greeting);
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.set_fault(1, Fault::none());                             // its own: never the default
  proxy.set_default_fault(Fault::cut(3).after_text("{64}"), 2);  // then the next two cut
  for (int i = 1; i <= 5; ++i) {
    int fd = connect_loopback(proxy.port());
    Received r = receive(fd, greeting.size());
    const bool cut = i == 2 || i == 3;
    EXPECT_EQ(r.bytes, cut ? std::string(200, 'a') + "{64}\r\nL" : greeting) << "connection " << i;
    ::close(fd);
  }
  EXPECT_EQ(proxy.faults_fired(), 2u);

  proxy.clear_faults();
  proxy.set_default_fault(Fault::refuse(), 1);
  for (int i = 0; i < 2; ++i) {
    int fd = connect_loopback(proxy.port());
    EXPECT_EQ(receive(fd, greeting.size()).bytes.size(), i == 0 ? 0u : greeting.size());
    ::close(fd);
  }
  EXPECT_EQ(proxy.faults_fired(), 3u);
}

TEST(FaultProxy, GarbageIsInsertedAndTheRestFollows) {
  GreetEchoServer server(sample_greeting());
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.set_fault(1, Fault::garbage(100, "\x01\xff)))junk\r\n"));
  int fd = connect_loopback(proxy.port());
  const std::string expected = sample_greeting().insert(100, "\x01\xff)))junk\r\n");
  Received r = receive(fd, expected.size());
  EXPECT_EQ(r.bytes, expected);
  send_all(fd, "echo");
  EXPECT_EQ(receive(fd, 4).bytes, "echo");
  ::close(fd);
  EXPECT_EQ(proxy.faults_fired(), 1u);
}

TEST(FaultProxy, StallForwardsNothingMoreButKeepsTheConnectionOpen) {
  GreetEchoServer server(sample_greeting());
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.set_fault(1, Fault::stall(500));
  int fd = connect_loopback(proxy.port());
  Received r = receive(fd, SIZE_MAX, 300ms);
  EXPECT_FALSE(r.eof) << "a stall is not a close";
  EXPECT_EQ(r.bytes, sample_greeting().substr(0, 500));
  send_all(fd, "anyone there?");
  r = receive(fd, SIZE_MAX, 300ms);
  EXPECT_FALSE(r.eof);
  EXPECT_EQ(r.bytes, "");
  EXPECT_EQ(proxy.connections_open(), 1u);
  ::close(fd);  // the client gives up: the proxy lets go of both sides
  EXPECT_TRUE(eventually([&] { return proxy.connections_open() == 0; }));
}

TEST(FaultProxy, RefuseClosesAtAcceptWithoutTouchingTheTarget) {
  GreetEchoServer server(sample_greeting());
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.set_default_fault(Fault::refuse());
  for (int i = 0; i < 3; ++i) {
    int fd = connect_loopback(proxy.port());
    ASSERT_GE(fd, 0);
    Received r = receive(fd);
    EXPECT_TRUE(r.eof);
    EXPECT_EQ(r.bytes, "");
    ::close(fd);
  }
  EXPECT_EQ(proxy.connections_accepted(), 3u);
  EXPECT_EQ(proxy.faults_fired(), 3u);
  EXPECT_EQ(server.accepted(), 0);
}

TEST(FaultProxy, FaultsApplyToTheirConnectionNumberOnly) {
  const std::string greeting = sample_greeting();
  GreetEchoServer server(greeting);
  FaultProxy proxy("127.0.0.1", server.port());
  proxy.set_fault(2, Fault::cut(7));
  for (int i = 1; i <= 3; ++i) {
    int fd = connect_loopback(proxy.port());
    Received r = receive(fd, greeting.size());
    EXPECT_EQ(r.bytes, i == 2 ? greeting.substr(0, 7) : greeting) << "connection " << i;
    ::close(fd);
  }
  EXPECT_EQ(proxy.faults_fired(), 1u);
}

TEST(FaultProxy, UnreachableTargetClosesTheClient) {
  const std::uint16_t dead_port = free_port();  // nothing listens there
  FaultProxy proxy("127.0.0.1", dead_port);
  int fd = connect_loopback(proxy.port());
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(receive(fd).eof);
  ::close(fd);
  EXPECT_EQ(proxy.target_connect_failures(), 1u);
}

TEST(FaultProxy, StopJoinsWithConnectionsOpenAndStopsListening) {
  GreetEchoServer server(sample_greeting());
  auto proxy = std::make_unique<FaultProxy>("127.0.0.1", server.port());
  proxy->set_fault(1, Fault::stall(0));
  const std::uint16_t port = proxy->port();
  int stalled = connect_loopback(port);
  int open = connect_loopback(port);
  EXPECT_EQ(receive(open, 10).bytes.size(), 10u);
  const auto started = std::chrono::steady_clock::now();
  proxy->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_TRUE(receive(stalled).eof);
  Received rest = receive(open);
  EXPECT_TRUE(rest.eof);
  proxy.reset();
  EXPECT_LT(connect_loopback(port), 0) << "nothing listens after stop";
  ::close(stalled);
  ::close(open);
}

}  // namespace
}  // namespace mailprune::test
