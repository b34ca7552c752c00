// fault_proxy.hpp: a TCP proxy on loopback that forwards to a real server and breaks connections
// on purpose, for failure-path tests (STYLE.md "Tests": cut the TCP connection, hang, answer garbage).
//
//   DovecotServer imap;
//   FaultProxy proxy("127.0.0.1", imap.imap_port());
//   proxy.set_fault(2, Fault::cut(12).after_text("}\r\n"));   // 2nd connection: cut 12 bytes into
//                                                              // the first literal the server sends
//   ... point the client at 127.0.0.1:proxy.port() ...
//   EXPECT_EQ(proxy.faults_fired(), 1u);
//
// It forwards bytes and nothing else, so TLS passes through untouched (the client verifies the real
// server's certificate, which names 127.0.0.1 and localhost). Faults look only at the server->client
// stream of one connection:
//   cut      forward N bytes, then close both sockets (the client sees EOF in the middle of whatever
//            it was reading: a literal, a TLS record);
//   garbage  forward N bytes, insert the given bytes, then go on forwarding (plaintext targets: on
//            TLS it breaks the record MAC, which is a cut by another name);
//   stall    forward N bytes, then forward nothing more in either direction and keep both sockets
//            open until the client hangs up or the proxy stops (provokes the client's read timeout);
//   refuse   close the client's connection as soon as it is accepted (no connection to the target).
// N counts server->client bytes from the start of the connection or, with after_text(), from the
// end of the first occurrence of that text in the stream; chained after_text() calls are looked for
// one after the other (after_text("ENVELOPE (").after_text("}\r\n") puts N inside the first literal
// of the first ENVELOPE, whatever the greeting, login and listing cost).
//
// Which connection gets which fault: set_fault(k, f) for the k-th accepted connection (1-based, in
// accept order); set_default_fault(f, max_fires) for every connection without its own, firing at
// most max_fires times in all (so "the first connection that fetches a literal is cut, once" does
// not depend on how many connections came before). Set them before the client connects (they are
// read at accept time); changing them later affects later connections.
//
// Threads: the proxy runs one thread of its own (poll() over every socket, non-blocking, so a slow
// or stalled peer never holds up the others); every public method is thread-safe. stop() (and the
// destructor) closes every socket and joins the thread. Counters are totals since construction.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mailprune::test {

struct Fault {
  enum class Kind { none, cut, garbage, stall, refuse };

  static Fault none() { return {}; }
  static Fault cut(std::uint64_t after_bytes) { return {Kind::cut, after_bytes, {}, {}}; }
  static Fault garbage(std::uint64_t after_bytes, std::string bytes) {
    return {Kind::garbage, after_bytes, std::move(bytes), {}};
  }
  static Fault stall(std::uint64_t after_bytes) { return {Kind::stall, after_bytes, {}, {}}; }
  static Fault refuse() { return {Kind::refuse, 0, {}, {}}; }
  // Counts after_bytes from the end of the first occurrence of `text` in the server->client
  // stream (after the texts given before it); the fault never fires on a connection where the
  // texts do not appear, in order.
  Fault after_text(std::string text) && {
    if (!text.empty()) triggers.push_back(std::move(text));
    return std::move(*this);
  }

  Kind kind = Kind::none;
  std::uint64_t after_bytes = 0;
  std::string garbage_bytes;          // Kind::garbage
  std::vector<std::string> triggers;  // empty: counts from the connection's first byte
};

class FaultProxy {
 public:
  // Listens on 127.0.0.1 at a port the kernel picks (no race with other processes) and starts the
  // thread. Each accepted connection is connected to target_host:target_port (blocking, at accept;
  // a failed connect closes the client's connection and counts in target_connect_failures()).
  // Throws std::system_error when it cannot listen.
  FaultProxy(std::string target_host, std::uint16_t target_port);
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;
  ~FaultProxy();

  void set_fault(std::size_t connection, Fault fault);
  static constexpr std::size_t unlimited = static_cast<std::size_t>(-1);
  void set_default_fault(Fault fault, std::size_t max_fires = unlimited);
  void clear_faults();

  std::uint16_t port() const { return port_; }
  const std::string& host() const { return host_; }

  std::size_t connections_accepted() const { return accepted_.load(); }
  std::size_t connections_open() const { return open_.load(); }
  std::size_t faults_fired() const { return fired_.load(); }  // refusals included
  std::size_t target_connect_failures() const { return connect_failures_.load(); }
  std::uint64_t bytes_to_client() const { return to_client_.load(); }  // forwarded from the target
  std::uint64_t bytes_to_server() const { return to_server_.load(); }  // forwarded to the target
  // What the k-th connection wrote to its client (injected garbage included), known once it is
  // closed; 0 for a connection still open or never accepted.
  std::uint64_t bytes_to_client_of(std::size_t connection) const;

  // Closes every socket and joins the thread; idempotent.
  void stop();

 private:
  struct Connection;
  void run();
  // The connection's fault; `from_default` tells whether it counts against the default's budget.
  Fault fault_for(std::size_t connection, bool& from_default);
  // Takes one firing from the default fault's budget; false when it is spent.
  bool take_default_fire();

  std::string host_ = "127.0.0.1";
  std::string target_host_;
  std::uint16_t target_port_ = 0;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_read_fd_ = -1;
  int wake_write_fd_ = -1;

  mutable std::mutex mutex_;  // guards the fault table and closed_bytes_
  std::map<std::size_t, std::uint64_t> closed_bytes_;
  std::map<std::size_t, Fault> faults_;
  std::optional<Fault> default_fault_;
  std::size_t default_fires_left_ = 0;

  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> open_{0};
  std::atomic<std::size_t> fired_{0};
  std::atomic<std::size_t> connect_failures_{0};
  std::atomic<std::uint64_t> to_client_{0};
  std::atomic<std::uint64_t> to_server_{0};
  std::thread thread_;
};

}  // namespace mailprune::test
