// server_impl.hpp: the EWS test server's state, shared by its translation units (public API,
// HTTP sessions, SOAP dispatch). Internal to tests/ews_server.
#pragma once

#include <utility>  // before Asio (Boost 1.74's awaitable.hpp needs std::exchange)

#include <atomic>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "ews_server/ews_protocol.hpp"
#include "ews_server/ews_test_server.hpp"
#include "ews_server/mailbox_store.hpp"
#include "harness/temp_dir.hpp"

namespace mailprune::ews_test {

struct Principal {
  std::string name;
  std::string mailbox;       // own mailbox address, "" for a service account / OAuth client
  bool full_access = false;  // may impersonate / open every mailbox
};

// One HTTP answer, ready to write: status, headers and a body of pieces (text, and contents
// base64-encoded while writing), plus the fault behaviour to apply while sending it.
struct Answer {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "text/xml; charset=utf-8";
  ResponseBody body;
  bool close_mid_response = false;
  std::chrono::milliseconds delay{0};
};

struct HttpRequest {
  std::string method;
  std::string target;
  std::string authorization;
  std::string anchor_mailbox;  // X-AnchorMailbox
  std::string body;
};

struct EwsTestServer::Impl {
  EwsTestServerOptions options;
  std::optional<test::TempDir> certificate_temp;
  std::string ca_path, cert_path, key_path;

  mutable std::mutex mutex;  // guards everything below except the I/O members
  MailboxStore store;
  struct Account {
    std::string password;
    Principal principal;
  };
  std::map<std::string, Account> accounts;  // by lower-case login
  struct OAuthClient {
    std::string secret;
    std::chrono::seconds lifetime;
  };
  std::map<std::string, OAuthClient> oauth_clients;
  struct Token {
    std::string client;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, Token> tokens;
  std::uint64_t token_counter = 0;
  std::deque<Fault> faults;
  std::map<std::string, std::uint64_t> operation_counts;
  std::map<std::string, std::uint64_t> mailbox_counts;
  std::vector<SchemaViolation> violations;

  // I/O.
  boost::asio::io_context io;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor;
  std::optional<boost::asio::ssl::context> tls;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::thread accept_thread;
  std::mutex connections_mutex;
  struct Connection {
    int native = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::list<Connection> connections;

  void accept_loop();
  Answer answer(const HttpRequest& request);  // http_answer.cpp
  Answer answer_token(const HttpRequest& request);
  Answer answer_soap(const HttpRequest& request, const Principal& principal);  // soap_dispatch.cpp
  std::optional<Principal> authenticate(const std::string& authorization, bool& expired_token);
  void serve(boost::asio::ip::tcp::socket socket, Connection& connection);
};

}  // namespace mailprune::ews_test
