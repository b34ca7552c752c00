// session.hpp (internal to mailprune_http): what the listeners share with the connections they
// start. Not for handlers: they see message.hpp and router.hpp only.
#pragma once

#include <utility>  // before Asio (Boost 1.74)

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "http/router.hpp"
#include "http/server.hpp"

namespace mailprune::http::detail {

// A connection, as the server sees it to stop it.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Asks the connection to stop: graceful (finish the request in flight, then close; close now
  // when idle) or forced (close now). Thread-safe: hops to the connection's strand.
  virtual void request_stop(bool force) = 0;
};

// State shared by the server, its listeners and every connection; outlives them all (connections
// hold a shared_ptr). Thread-safe.
class ServerCore {
 public:
  ServerCore(ServerOptions options, Router router) : options_(std::move(options)), router_(std::move(router)) {}

  const ServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }

  // Registers a new connection; false when the server is stopping (the caller closes it).
  bool add(const std::shared_ptr<SessionBase>& session);
  // Called by a connection's destructor.
  void remove(SessionBase* session);
  // Starts the stop: no connection is added any more, every connection is asked to stop
  // gracefully, and `on_empty` runs once (on the thread of the last connection leaving, or here
  // when none is left) when the last connection is gone.
  void begin_stop(std::function<void()> on_empty);
  // Forced stop of the connections left.
  void force_stop();
  bool stopping() const;

 private:
  const ServerOptions options_;
  const Router router_;
  mutable std::mutex mutex_;
  bool stopping_ = false;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;
  std::function<void()> on_empty_;
};

// Starts serving an accepted connection (its executor a strand). `tls`: the TLS context, or null
// for plain HTTP.
void start_session(boost::asio::ip::tcp::socket socket, const std::shared_ptr<ServerCore>& core,
                   boost::asio::ssl::context* tls);

}  // namespace mailprune::http::detail
