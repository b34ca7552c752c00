#include <utility>  // before Asio: Boost 1.74's asio/awaitable.hpp needs it

#include "imap/connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "imap/deflate.hpp"
#include "imap/error.hpp"

namespace mailprune::imap::detail {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t read_chunk = 64u << 10;
constexpr std::size_t write_chunk = 64u << 10;

bool is_ip_literal(const std::string& host) {
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

struct Connection::Impl {
  explicit Impl(std::chrono::milliseconds t) : timeout(t) {}

  std::chrono::milliseconds timeout;
  asio::io_context io;
  tcp::socket socket{io};
  std::optional<ssl::context> tls_context;
  std::optional<ssl::stream<tcp::socket&>> tls;
  std::string peer;  // "host:port" for messages
  std::unique_ptr<Deflater> deflater;
  std::unique_ptr<Inflater> inflater;
  std::string raw_buffer = std::string(read_chunk, '\0');
  std::string inflated;
  std::string compressed_out;
  std::uint64_t received = 0, sent = 0, inflated_total = 0;

  // Runs the io_context until `done` or the deadline. On expiry, `cancel` (closing the socket by
  // default) aborts the operation and its handler is drained before the throw, so no handler ever
  // outlives the stack frame its captures point into.
  template <class Cancel>
  void wait(const bool& done, std::string_view what, Cancel&& cancel) {
    io.restart();
    io.run_for(timeout);
    if (done) return;
    cancel();
    error_code ignored;
    socket.close(ignored);
    io.restart();
    io.run();
    throw make_error(ErrorKind::timeout,
                     std::string(what) + " " + peer + ": no answer within " + std::to_string(timeout.count()) + " ms");
  }
  void wait(const bool& done, std::string_view what) {
    wait(done, what, [] {});
  }

  [[noreturn]] void fail(std::string_view what, const error_code& ec) {
    error_code ignored;
    socket.close(ignored);
    std::string message = std::string(what) + " " + peer + ": ";
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
      message += "connection closed by the server";
    } else {
      message += ec.message();
    }
    throw make_error(ErrorKind::connection, std::move(message));
  }

  std::size_t raw_read() {
    bool done = false;
    error_code result;
    std::size_t n = 0;
    auto handler = [&](const error_code& ec, std::size_t bytes) {
      result = ec;
      n = bytes;
      done = true;
    };
    if (tls) {
      tls->async_read_some(asio::buffer(raw_buffer), handler);
    } else {
      socket.async_read_some(asio::buffer(raw_buffer), handler);
    }
    wait(done, "reading from");
    if (result) fail("reading from", result);
    received += n;
    return n;
  }

  void raw_write(std::string_view bytes) {
    while (!bytes.empty()) {
      const std::size_t piece = std::min(bytes.size(), write_chunk);
      bool done = false;
      error_code result;
      auto handler = [&](const error_code& ec, std::size_t) {
        result = ec;
        done = true;
      };
      if (tls) {
        asio::async_write(*tls, asio::buffer(bytes.data(), piece), handler);
      } else {
        asio::async_write(socket, asio::buffer(bytes.data(), piece), handler);
      }
      wait(done, "writing to");
      if (result) fail("writing to", result);
      sent += piece;
      bytes.remove_prefix(piece);
    }
  }
};

Connection::Connection(std::chrono::milliseconds timeout) : impl_(std::make_unique<Impl>(timeout)) {}

Connection::~Connection() {
  close();
}

void Connection::set_timeout(std::chrono::milliseconds timeout) noexcept {
  impl_->timeout = timeout;
}

void Connection::connect(const std::string& host, std::uint16_t port) {
  Impl& c = *impl_;
  c.peer = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  tcp::resolver resolver(c.io);
  bool done = false;
  error_code result;
  tcp::resolver::results_type endpoints;
  resolver.async_resolve(host, std::to_string(port), [&](const error_code& ec, tcp::resolver::results_type found) {
    result = ec;
    endpoints = std::move(found);
    done = true;
  });
  c.wait(done, "resolving", [&] { resolver.cancel(); });
  if (result) c.fail("resolving", result);

  done = false;
  asio::async_connect(c.socket, endpoints, [&](const error_code& ec, const tcp::endpoint&) {
    result = ec;
    done = true;
  });
  c.wait(done, "connecting to");
  if (result) c.fail("connecting to", result);
  error_code ignored;
  c.socket.set_option(tcp::no_delay(true), ignored);
}

void Connection::start_tls(const TlsSettings& settings) {
  Impl& c = *impl_;
  try {
    c.tls_context.emplace(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(c.tls_context->native_handle(), TLS1_2_VERSION);
    if (settings.verify) {
      if (settings.ca_file.empty()) {
        c.tls_context->set_default_verify_paths();
      } else {
        c.tls_context->load_verify_file(settings.ca_file);
      }
      c.tls_context->set_verify_mode(ssl::verify_peer);
      // host_name_verification returns false on a mismatch without saying why; setting the
      // X509 error makes the handshake failure read "hostname mismatch" instead of a bare
      // "certificate verify failed".
      c.tls_context->set_verify_callback(
          [check = ssl::host_name_verification(settings.host), ip = is_ip_literal(settings.host)](
              bool preverified, ssl::verify_context& context) {
            if (!preverified) return false;
            if (check(preverified, context)) return true;
            X509_STORE_CTX_set_error(context.native_handle(),
                                     ip ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH);
            return false;
          });
    } else {
      c.tls_context->set_verify_mode(ssl::verify_none);
    }
  } catch (const boost::system::system_error& e) {
    throw make_error(ErrorKind::connection, "TLS setup for " + c.peer + " failed (CA file \"" + settings.ca_file +
                                                "\"): " + e.code().message());
  }
  c.tls.emplace(c.socket, *c.tls_context);
  // RFC 6066: SNI carries DNS names only, never an address.
  if (!is_ip_literal(settings.host)) SSL_set_tlsext_host_name(c.tls->native_handle(), settings.host.c_str());

  bool done = false;
  error_code result;
  c.tls->async_handshake(ssl::stream_base::client, [&](const error_code& ec) {
    result = ec;
    done = true;
  });
  c.wait(done, "TLS handshake with");
  if (result) {
    std::string what = "TLS handshake with";
    const long verify = SSL_get_verify_result(c.tls->native_handle());
    if (verify != X509_V_OK) {
      what = "certificate verification (" + std::string(X509_verify_cert_error_string(verify)) + ") for";
    }
    c.fail(what, result);
  }
}

void Connection::start_compression(std::string_view already_received) {
  impl_->deflater = std::make_unique<Deflater>();
  impl_->inflater = std::make_unique<Inflater>();
  impl_->inflater->feed(already_received);
}

void Connection::write(std::string_view bytes) {
  Impl& c = *impl_;
  if (!c.deflater) {
    c.raw_write(bytes);
    return;
  }
  c.compressed_out.clear();
  c.deflater->compress(bytes, c.compressed_out);
  c.raw_write(c.compressed_out);
}

std::string_view Connection::read_some() {
  Impl& c = *impl_;
  if (!c.inflater) {
    const std::size_t n = c.raw_read();
    c.inflated_total += n;
    return {c.raw_buffer.data(), n};
  }
  c.inflated.clear();
  for (;;) {
    // Drain what zlib still holds before touching the socket: one wire read can inflate to much
    // more than one buffer.
    if (c.inflater->inflate_some(c.inflated, read_chunk) > 0) break;
    const std::size_t n = c.raw_read();
    c.inflater->feed({c.raw_buffer.data(), n});
  }
  c.inflated_total += c.inflated.size();
  return c.inflated;
}

void Connection::close() noexcept {
  error_code ignored;
  impl_->socket.shutdown(tcp::socket::shutdown_both, ignored);
  impl_->socket.close(ignored);
}

bool Connection::tls() const noexcept {
  return impl_->tls.has_value();
}
bool Connection::compressed() const noexcept {
  return impl_->inflater != nullptr;
}
std::uint64_t Connection::bytes_received() const noexcept {
  return impl_->received;
}
std::uint64_t Connection::bytes_sent() const noexcept {
  return impl_->sent;
}
std::uint64_t Connection::bytes_inflated() const noexcept {
  return impl_->inflated_total;
}

}  // namespace mailprune::imap::detail
