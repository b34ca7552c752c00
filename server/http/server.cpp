// The listeners, the threads and the stop sequence (server.hpp); connections are in session.cpp.
#include "http/server.hpp"

#include <utility>  // before Asio (Boost 1.74)

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>

#include "http/session.hpp"

namespace mailprune::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;

ServerOptions server_options(const config::ServerConfig& config) {
  ServerOptions options;
  options.listen = config.listen;
  options.threads = config.threads;
  options.tls_cert_file = config.tls_cert_file;
  options.tls_key_file = config.tls_key_file;
  options.header_timeout = std::chrono::seconds(config.header_timeout_seconds);
  options.body_timeout = std::chrono::seconds(config.body_timeout_seconds);
  options.idle_timeout = std::chrono::seconds(config.idle_timeout_seconds);
  options.write_timeout = std::chrono::seconds(config.write_timeout_seconds);
  options.shutdown_timeout = std::chrono::seconds(config.shutdown_timeout_seconds);
  options.max_header_bytes = static_cast<std::size_t>(config.max_header_bytes);
  options.max_body_bytes = static_cast<std::size_t>(config.max_body_bytes);
  options.max_requests_per_connection = config.max_requests_per_connection;
  options.trusted_proxies = config.trusted_proxies;
  return options;
}

namespace {

tcp::endpoint parse_endpoint(const std::string& text) {
  std::string host;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw ListenError(fmt::format("listen address \"{}\": an IPv6 address is written [ADDRESS]:PORT", text));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) throw ListenError(fmt::format("listen address \"{}\": needs IP:PORT", text));
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  boost::system::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) throw ListenError(fmt::format("listen address \"{}\": '{}' is not an IP address", text, host));
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535) {
    throw ListenError(fmt::format("listen address \"{}\": '{}' is not a port", text, port));
  }
  return tcp::endpoint(address, static_cast<std::uint16_t>(std::stoi(port)));
}

std::string url_of(const tcp::endpoint& endpoint, bool tls) {
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = "[" + host + "]";
  return fmt::format("{}://{}:{}", tls ? "https" : "http", host, endpoint.port());
}

}  // namespace

void check_listen_addresses(const std::vector<std::string>& listen) {
  if (listen.empty()) throw ListenError("no listen address");
  for (const auto& text : listen) parse_endpoint(text);
}

struct Server::Impl {
  struct Listener {
    explicit Listener(net::io_context& context) : acceptor(net::make_strand(context)), retry(acceptor.get_executor()) {}
    tcp::acceptor acceptor;
    net::steady_timer retry;  // after an accept failure such as "too many open files"
    tcp::endpoint endpoint;
  };

  Impl(ServerOptions options, Router router)
      : core(std::make_shared<detail::ServerCore>(std::move(options), std::move(router))),
        signals(context),
        shutdown_timer(context) {}

  const ServerOptions& options() const { return core->options(); }

  void open_listeners() {
    if (options().listen.empty()) throw ListenError("no listen address");
    for (const auto& text : options().listen) {
      tcp::endpoint endpoint = parse_endpoint(text);
      auto listener = std::make_unique<Listener>(context);
      boost::system::error_code ec;
      listener->acceptor.open(endpoint.protocol(), ec);
      if (!ec) listener->acceptor.set_option(net::socket_base::reuse_address(true), ec);
      if (!ec && endpoint.address().is_v6()) listener->acceptor.set_option(net::ip::v6_only(true), ec);
      if (!ec) listener->acceptor.bind(endpoint, ec);
      if (!ec) listener->acceptor.listen(net::socket_base::max_listen_connections, ec);
      if (ec) throw ListenError(fmt::format("cannot listen on {}: {}", text, ec.message()));
      listener->endpoint = listener->acceptor.local_endpoint(ec);
      listeners.push_back(std::move(listener));
    }
  }

  void accept(Listener& listener) {
    listener.acceptor.async_accept(
        net::make_strand(context), [this, &listener](boost::system::error_code ec, tcp::socket socket) {
          if (ec == net::error::operation_aborted || !listener.acceptor.is_open()) return;
          if (ec) {
            spdlog::warn("http: accepting on {}: {}", url_of(listener.endpoint, tls.has_value()), ec.message());
            listener.retry.expires_after(std::chrono::milliseconds(100));
            listener.retry.async_wait([this, &listener](boost::system::error_code wait_ec) {
              if (!wait_ec && listener.acceptor.is_open()) accept(listener);
            });
            return;
          }
          detail::start_session(std::move(socket), core, tls ? &*tls : nullptr);
          accept(listener);
        });
  }

  // The first signal stops gracefully, a second one closes every connection at once.
  void wait_for_signal() {
    signals.async_wait([this](boost::system::error_code ec, int signal) {
      if (ec) return;  // cancelled: the server has stopped
      const char* name = signal == SIGINT ? "SIGINT" : "SIGTERM";
      // Re-armed first: begin_stop() may find no connection left and cancel the signal wait at
      // once, on another thread; a wait armed after that cancel would keep the threads forever.
      wait_for_signal();
      if (stop_begun) {
        spdlog::warn("http: {} received again, closing every connection now", name);
        core->force_stop();
      } else {
        spdlog::info("http: {} received, stopping (requests in flight finish first)", name);
        begin_stop();
      }
    });
  }

  void begin_stop() {
    if (stop_begun.exchange(true)) return;
    for (auto& listener : listeners) {
      net::post(listener->acceptor.get_executor(), [&listener = *listener] {
        boost::system::error_code ec;
        listener.acceptor.close(ec);
        listener.retry.cancel();
      });
    }
    net::post(context, [this] {
      shutdown_timer.expires_after(options().shutdown_timeout);
      shutdown_timer.async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        spdlog::warn("http: shutdown timeout reached, closing the connections left");
        core->force_stop();
      });
      core->begin_stop([this] {
        // The last connection is gone: nothing keeps the threads once the timers are cancelled.
        net::post(context, [this] {
          shutdown_timer.cancel();
          boost::system::error_code ignored;
          signals.cancel(ignored);
        });
      });
    });
  }

  net::io_context context;
  std::shared_ptr<detail::ServerCore> core;
  std::optional<net::ssl::context> tls;
  std::vector<std::unique_ptr<Listener>> listeners;
  net::signal_set signals;
  bool signals_added = false;
  net::steady_timer shutdown_timer;
  std::vector<std::thread> threads;
  std::atomic<bool> stop_begun{false};
  std::mutex join_mutex;
  bool started = false;
};

Server::Server(ServerOptions options, Router router)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(router))) {}

Server::~Server() {
  stop();
  wait();
}

void Server::start() {
  Impl& impl = *impl_;
  if (impl.started) throw std::logic_error("http::Server::start() called twice");
  const ServerOptions& options = impl.options();
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    impl.tls.emplace(net::ssl::context::tls_server);
    impl.tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                          net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1 |
                          net::ssl::context::single_dh_use);
    boost::system::error_code ec;
    impl.tls->use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec) throw std::runtime_error(fmt::format("TLS certificate {}: {}", options.tls_cert_file, ec.message()));
    impl.tls->use_private_key_file(options.tls_key_file, net::ssl::context::pem, ec);
    if (ec) throw std::runtime_error(fmt::format("TLS private key {}: {}", options.tls_key_file, ec.message()));
  }
  impl.open_listeners();  // throws before any thread exists: nothing to undo but the sockets
  impl.started = true;
  for (auto& listener : impl.listeners) impl.accept(*listener);
  int threads = std::max(1, options.threads);
  for (int i = 0; i < threads; ++i) {
    impl.threads.emplace_back([&impl] {
      for (;;) {
        try {
          impl.context.run();
          return;
        } catch (const std::exception& e) {
          // Handlers do not throw (sessions catch at their boundary); this is a last resort.
          spdlog::error("http: I/O thread: {}", e.what());
        }
      }
    });
  }
}

std::vector<std::string> Server::urls() const {
  std::vector<std::string> out;
  for (const auto& listener : impl_->listeners) out.push_back(url_of(listener->endpoint, impl_->tls.has_value()));
  return out;
}

std::vector<std::uint16_t> Server::ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& listener : impl_->listeners) out.push_back(listener->endpoint.port());
  return out;
}

void Server::stop_on_signals() {
  Impl& impl = *impl_;
  if (impl.signals_added) return;
  impl.signals_added = true;
  impl.signals.add(SIGINT);
  impl.signals.add(SIGTERM);
  impl.wait_for_signal();
}

void Server::stop() {
  if (impl_->started) impl_->begin_stop();
}

void Server::wait() {
  std::lock_guard lock(impl_->join_mutex);
  for (auto& thread : impl_->threads) {
    if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
  }
}

}  // namespace mailprune::http
