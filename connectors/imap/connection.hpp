// connection.hpp: the byte pipe under a Session: TCP, optionally TLS (implicit or upgraded after
// STARTTLS), optionally COMPRESS=DEFLATE on top, with a deadline on every operation.
//
// Blocking calls over a private io_context: each starts one Asio operation and runs the context for
// at most `timeout`; on expiry the socket is closed (which aborts the operation), and Error kind
// timeout is thrown. Any other failure throws Error kind connection with a message naming the host,
// the step and the cause (for certificates: OpenSSL's verify reason, e.g. "unable to get local
// issuer certificate", "hostname mismatch"). After any throw the connection is unusable.
//
// TLS: TLS 1.2 or later; SNI set unless the host is an IP literal; with `verify`, the chain is
// checked against `ca_file` (PEM) or the system's default CAs, and the leaf against the host name,
// or against the IP SANs for an IP literal (asio::ssl::host_name_verification).
//
// Counters: bytes_received / bytes_sent are what crossed the TCP/TLS layer (TLS plaintext, i.e.
// compressed bytes once COMPRESS is on); bytes_inflated is what read_some() returned.
//
// Not thread-safe; one per session. Asio stays out of this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace mailprune::imap::detail {

struct TlsSettings {
  std::string host;  // for SNI and verification
  bool verify = true;
  std::string ca_file;  // "" : system default CAs
};

class Connection {
 public:
  explicit Connection(std::chrono::milliseconds timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Resolves `host` and tries its addresses in order.
  void connect(const std::string& host, std::uint16_t port);
  // TLS client handshake over the connected socket.
  void start_tls(const TlsSettings& settings);
  // From now on both directions are raw DEFLATE. `already_received`: bytes read from the wire
  // after the COMPRESS OK but not used yet; they are the start of the compressed stream.
  void start_compression(std::string_view already_received);

  // Writes everything (compressed when on); the deadline applies to each 64 KiB piece.
  void write(std::string_view bytes);
  // Blocks until at least one (inflated) byte is there; the view lives until the next call.
  std::string_view read_some();
  // Closes the socket without any goodbye; never throws.
  void close() noexcept;

  [[nodiscard]] bool tls() const noexcept;
  [[nodiscard]] bool compressed() const noexcept;
  [[nodiscard]] std::uint64_t bytes_received() const noexcept;
  [[nodiscard]] std::uint64_t bytes_sent() const noexcept;
  [[nodiscard]] std::uint64_t bytes_inflated() const noexcept;
  void set_timeout(std::chrono::milliseconds timeout) noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mailprune::imap::detail
