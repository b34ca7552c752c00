// server.hpp: mailprune's HTTP/1.1 server (Boost.Beast), with optional TLS.
//
// What it does, per connection: an optional TLS handshake, then requests one after the other on
// a keep-alive connection. Pipelined requests are answered in order, one at a time: the next
// request is read only once the previous response is written, so a connection never has more
// than one response pending and pipelined bytes wait in the socket (the cap on pipelining is 1).
// A timeout is set before every read and write: the header timeout from a request's first byte
// (or from the TCP connection, for the first request) to the end of its header, the body timeout
// for its body, the idle timeout between requests of a keep-alive connection, the write timeout
// for each write. A client that misses one is disconnected. A header larger than
// max_header_bytes gets 431, a body larger than the route's limit 413, an unparsable request
// 400; each closes the connection. `Expect: 100-continue` is answered before the body is read.
//
// Every response gets Date, X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer and,
// unless the handler set them, Cache-Control: no-store and (for HTML) the default
// Content-Security-Policy below. An access log line goes to spdlog at info level after each
// response: method, path as Router::log_path() shows it (never the query string: tokens live
// there), status, body bytes sent, duration, client address.
//
// Threads: `threads` threads run one io_context; each connection lives on its own strand and
// calls handlers there, so a slow handler holds one thread. start(), stop() and wait() may be
// called from any thread; the Router must not change after start().
//
// Stopping: stop() (or SIGINT/SIGTERM after stop_on_signals()) closes the listeners, closes idle
// connections, lets requests in flight finish (their responses say Connection: close), ends
// streamed bodies that are waiting for data, and after shutdown_timeout closes whatever is left.
// wait() returns when every connection is gone.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "http/router.hpp"

namespace mailprune::http {

// The default Content-Security-Policy of HTML responses: nothing from elsewhere, no inline
// script, no framing. A handler that sets its own Content-Security-Policy keeps it (the live
// progress page will set frame-ancestors for intranet embedding).
inline constexpr const char* kDefaultHtmlCsp =
    "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

struct ServerOptions {
  std::vector<std::string> listen{"127.0.0.1:8080"};  // "IP:PORT" or "[IPv6]:PORT"; port 0: any
  int threads = 2;
  std::string tls_cert_file;  // both set: every listener speaks TLS (1.2 or later)
  std::string tls_key_file;
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds body_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds shutdown_timeout{std::chrono::seconds(10)};
  std::size_t max_header_bytes = 8192;
  std::size_t max_body_bytes = 1024 * 1024;
  int max_requests_per_connection = 1000;
  std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-For is believed
  std::string html_csp = kDefaultHtmlCsp;
};

// The [server] section of the configuration as ServerOptions.
ServerOptions server_options(const config::ServerConfig& config);

// A listen address that cannot be used: unparsable, or the bind failed (address in use, ...).
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws ListenError naming the first address that is not "IP:PORT" or "[IPv6]:PORT" (or an empty
// list); binding is not tried. For commands that check their arguments before starting anything.
void check_listen_addresses(const std::vector<std::string>& listen);

class Server {
 public:
  // The server keeps its own copy of the router.
  Server(ServerOptions options, Router router);
  // Stops (as stop()) and waits.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listen address and starts the threads. Throws ListenError (nothing is left
  // listening then) or std::runtime_error for unreadable TLS files. Call once.
  void start();
  // The addresses actually listened on, as "http://127.0.0.1:8080" / "https://[::1]:8443"
  // (port 0 in the options shows the port the system chose). Valid after start().
  std::vector<std::string> urls() const;
  // The ports actually bound, in the order of the listen addresses.
  std::vector<std::uint16_t> ports() const;
  // SIGINT and SIGTERM stop the server gracefully, a second one forcibly (call before or after
  // start()).
  void stop_on_signals();
  // Graceful stop, as above. Returns at once; idempotent; safe from any thread and from handlers.
  void stop();
  // Blocks until the threads have finished (after stop() and the connections are gone).
  void wait();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mailprune::http
