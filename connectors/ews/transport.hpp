// transport.hpp: one EWS session's HTTP: a libcurl easy handle (connection reuse, HTTP/1.1
// keep-alive), authentication, throttling and retries. Internal to mailprune_ews_connector.
//
//   Transport transport(settings, limit, tokens, "alice@example.org");
//   Result<Response, Error> answer = transport.call(ews::get_item(context, ids, fields));
//
// call() POSTs the envelope (Content-Type: text/xml; charset=utf-8; X-AnchorMailbox: <mailbox>
// when set) and feeds the body, as it arrives, to a ResponseParser: nothing is buffered whole,
// attachment content goes straight from the socket through the base64 decoder to
// CallOptions::content. When the content sink says stop, the transfer is aborted (the connection
// is dropped) and the partial Response comes back with stopped = true.
//
// Auth: Basic and NTLM by libcurl (user/secret); OAuth2 with `Authorization: Bearer` from the
// TokenSource, refreshed once when EWS answers 401.
//
// What comes back as an Error (error.hpp) and what is retried (RetryPolicy, attempts bounded):
//   SOAP fault / every ResponseMessage an error with a throttling code (ErrorServerBusy,
//   ErrorTooManyObjectsOpened...)      sleep BackOffMilliseconds (capped), or backoff; retry
//   HTTP 429 / 503                       sleep Retry-After (capped), or backoff; retry
//   other 5xx, connection, timeout       exponential backoff with full jitter; retry
//   401/403, TLS verification, 4xx       no retry
//   a mutating request whose answer was lost (outcome_unknown) is NOT retried;
//   a call whose content sink already got bytes is NOT retried (the sink cannot take them back).
// A partial success (some ResponseMessages in error) is a Response: the caller decides per item.
// Each HTTP attempt holds one permit of the shared ConcurrencyLimit (per-server cap); sleeps
// between attempts do not.
//
// Secrets (password, token) are never logged nor put into errors. Not thread-safe: one session's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "ews/error.hpp"
#include "ews/http_options.hpp"
#include "ews/oauth2.hpp"
#include "ews/requests.hpp"
#include "ews/responses.hpp"

namespace mailprune::ews {

enum class AuthKind { basic, ntlm, oauth2 };

struct RetryPolicy {
  int max_attempts = 6;  // per call, the first one included
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{30'000};             // exponential backoff cap
  std::chrono::milliseconds max_server_back_off{300'000};  // cap on BackOffMilliseconds / Retry-After
};

struct TransportSettings {
  std::string url;
  AuthKind auth = AuthKind::basic;
  std::string user;
  std::string secret;  // password for basic/ntlm
  HttpOptions http;
  RetryPolicy retry;
  Limits limits;
};

// A counting semaphore shared by the sessions of one source: at most `permits` HTTP requests in
// flight to the server. Thread-safe.
class ConcurrencyLimit {
 public:
  explicit ConcurrencyLimit(std::size_t permits) : available_(permits == 0 ? 1 : permits) {}
  void acquire();
  void release();
  std::size_t peak_in_use() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable released_;
  std::size_t available_;
  std::size_t in_use_ = 0;
  std::size_t peak_ = 0;
};

struct CallOptions {
  ContentSink content;  // GetAttachment content; empty: content is counted, not kept
  bool retry = true;
};

struct TransportStats {
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t round_trips = 0;  // HTTP exchanges, retries included
  std::uint64_t retries = 0;
  std::uint64_t throttled = 0;  // attempts answered with a throttling error
};

class Transport {
 public:
  Transport(TransportSettings settings, std::shared_ptr<ConcurrencyLimit> limit, std::shared_ptr<TokenSource> tokens,
            std::string anchor_mailbox);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  Result<Response, Error> call(const Request& request, const CallOptions& options = {});

  const TransportStats& stats() const { return stats_; }
  // Tests: replace the sleep between attempts (default std::this_thread::sleep_for).
  void set_sleep(std::function<void(std::chrono::milliseconds)> sleep) { sleep_ = std::move(sleep); }

  struct Exchange;  // one HTTP attempt's state (transport.cpp)

 private:
  Result<Response, Error> attempt(const Request& request, const CallOptions& options, bool& content_started,
                                  bool refresh_token);
  std::chrono::milliseconds delay_for(const Error& error, int attempt_number);

  TransportSettings settings_;
  std::shared_ptr<ConcurrencyLimit> limit_;
  std::shared_ptr<TokenSource> tokens_;
  std::string anchor_mailbox_;
  void* curl_ = nullptr;  // CURL*
  TransportStats stats_;
  std::mt19937 random_;
  std::function<void(std::chrono::milliseconds)> sleep_;
};

// The Error for a parsed Response that failed as a whole (a SOAP fault, or every ResponseMessage
// an error with the same retriable code); nullopt when the Response is to be used.
std::optional<Error> whole_response_error(const Response& response, const Request& request, long http_status);

}  // namespace mailprune::ews
