#include "ews/transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <thread>

namespace mailprune::ews {

void ensure_curl_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void ConcurrencyLimit::acquire() {
  std::unique_lock lock(mutex_);
  released_.wait(lock, [this] { return available_ > 0; });
  --available_;
  ++in_use_;
  peak_ = std::max(peak_, in_use_);
}

void ConcurrencyLimit::release() {
  {
    std::lock_guard lock(mutex_);
    ++available_;
    --in_use_;
  }
  released_.notify_one();
}

std::size_t ConcurrencyLimit::peak_in_use() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

namespace {

class Permit {
 public:
  explicit Permit(ConcurrencyLimit* limit) : limit_(limit) {
    if (limit_ != nullptr) limit_->acquire();
  }
  ~Permit() {
    if (limit_ != nullptr) limit_->release();
  }
  Permit(const Permit&) = delete;
  Permit& operator=(const Permit&) = delete;

 private:
  ConcurrencyLimit* limit_;
};

Error make_error(ErrorKind kind, std::string message, const Request& request, long status = 0) {
  Error error;
  error.kind = kind;
  error.message = std::move(message);
  error.http_status = status;
  error.operation = request.operation;
  error.request_mutates = request.mutates;
  error.request_sent = true;
  return error;
}

std::string_view strip_prefix(std::string_view qualified) {
  const auto colon = qualified.find(':');
  return colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
}

}  // namespace

// One HTTP attempt: what the callbacks see.
struct Transport::Exchange {
  const Limits* limits = nullptr;
  const ContentSink* user_sink = nullptr;
  bool* content_started = nullptr;
  std::unique_ptr<ResponseParser> parser;
  long status = 0;
  std::optional<std::chrono::milliseconds> retry_after;
  std::string snippet;  // the start of a body that is not fed to the parser
  bool stopped = false;
  bool parse_failed = false;
  std::uint64_t body_bytes = 0;

  void new_response(long code) {
    status = code;
    retry_after.reset();
    parser.reset();
    snippet.clear();
    stopped = parse_failed = false;
  }

  bool soap_status() const { return status == 200 || status == 500; }

  ResponseParser& parser_for_body() {
    if (!parser) {
      ContentSink sink;
      if (*user_sink) {
        sink = [this](const ContentChunk& chunk) {
          *content_started = true;
          return (*user_sink)(chunk);
        };
      } else {
        sink = [this](const ContentChunk&) {
          *content_started = true;
          return true;
        };
      }
      parser = std::make_unique<ResponseParser>(*limits, std::move(sink));
    }
    return *parser;
  }
};

namespace {

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Transport::Exchange*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    long code = 0;
    const auto space = line.find(' ');
    if (space != std::string_view::npos && line.size() >= space + 4) {
      std::from_chars(line.data() + space + 1, line.data() + space + 4, code);
    }
    exchange->new_response(code);
  } else if (line.size() > 12 && (line.starts_with("Retry-After:") || line.starts_with("retry-after:"))) {
    std::string_view value = line.substr(12);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    std::int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    // Only the delta-seconds form; an HTTP-date falls back to our own backoff.
    if (ec == std::errc() && end != value.data() && seconds >= 0) {
      exchange->retry_after = std::chrono::milliseconds(seconds * 1000);
    }
  }
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Transport::Exchange*>(user);
  const std::size_t length = size * count;
  exchange->body_bytes += length;
  if (!exchange->soap_status()) {
    if (exchange->snippet.size() < 2048) exchange->snippet.append(data, std::min<std::size_t>(length, 2048));
    return length;  // read it all: the connection stays reusable
  }
  switch (exchange->parser_for_body().feed(std::string_view(data, length))) {
    case FeedStatus::need_more:
      return length;
    case FeedStatus::stopped:
      exchange->stopped = true;
      return 0;  // aborts the transfer
    case FeedStatus::error:
      exchange->parse_failed = true;
      return 0;  // nothing more to learn
  }
  return 0;
}

}  // namespace

std::optional<Error> whole_response_error(const Response& response, const Request& request, long http_status) {
  if (response.fault) {
    Error error = make_error(ErrorKind::fault, response.fault->fault_string, request, http_status);
    error.code = !response.fault->response_code.empty() ? response.fault->response_code
                                                        : std::string(strip_prefix(response.fault->fault_code));
    if (response.fault->back_off_ms) error.back_off = std::chrono::milliseconds(*response.fault->back_off_ms);
    return error;
  }
  if (response.stopped) return std::nullopt;
  if (response.messages.empty()) {
    if (response.operation.empty()) {
      return make_error(ErrorKind::parse, "no EWS response in the SOAP body", request, http_status);
    }
    return std::nullopt;
  }
  std::optional<std::uint64_t> back_off;
  for (const ResponseMessage& message : response.messages) {
    if (message.status.response_class != ResponseClass::error || !classify_code(message.status.code).retriable) {
      return std::nullopt;
    }
    if (message.status.back_off_ms) back_off = std::max(back_off.value_or(0), *message.status.back_off_ms);
  }
  const ResponseMessage& first = response.messages.front();
  Error error = make_error(ErrorKind::response, first.status.message_text, request, http_status);
  error.code = first.status.code;
  if (back_off) error.back_off = std::chrono::milliseconds(*back_off);
  return error;
}

Transport::Transport(TransportSettings settings, std::shared_ptr<ConcurrencyLimit> limit,
                     std::shared_ptr<TokenSource> tokens, std::string anchor_mailbox)
    : settings_(std::move(settings)),
      limit_(std::move(limit)),
      tokens_(std::move(tokens)),
      anchor_mailbox_(std::move(anchor_mailbox)),
      random_(std::random_device{}()),
      sleep_([](std::chrono::milliseconds delay) { std::this_thread::sleep_for(delay); }) {
  ensure_curl_initialised();
  curl_ = curl_easy_init();
  if (curl_ == nullptr) throw std::runtime_error("curl_easy_init failed");
}

Transport::~Transport() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

std::chrono::milliseconds Transport::delay_for(const Error& error, int attempt_number) {
  const RetryPolicy& policy = settings_.retry;
  if (error.back_off) return std::min(*error.back_off, policy.max_server_back_off);
  // Exponential backoff with jitter: uniform in [d/2, d], d = base * 2^(n-1) capped.
  auto delay = policy.base_delay;
  for (int i = 1; i < attempt_number && delay < policy.max_delay; ++i) delay *= 2;
  delay = std::min(delay, policy.max_delay);
  std::uniform_int_distribution<std::int64_t> jitter(delay.count() / 2, std::max<std::int64_t>(delay.count(), 1));
  return std::chrono::milliseconds(jitter(random_));
}

Result<Response, Error> Transport::call(const Request& request, const CallOptions& options) {
  bool content_started = false;
  bool refreshed = false;
  for (int attempt_number = 1;; ++attempt_number) {
    auto result = attempt(request, options, content_started, refreshed && settings_.auth == AuthKind::oauth2);
    if (result.ok()) return result;
    const Error& error = result.error();
    if (error.throttled()) ++stats_.throttled;
    // OAuth2: a refused token is renewed once, at once.
    if (error.kind == ErrorKind::authentication && settings_.auth == AuthKind::oauth2 && !refreshed &&
        error.http_status == 401) {
      refreshed = true;
      --attempt_number;
      ++stats_.retries;
      continue;
    }
    if (!options.retry || !error.retriable() || error.outcome_unknown() || content_started ||
        attempt_number >= settings_.retry.max_attempts) {
      return result;
    }
    ++stats_.retries;
    sleep_(delay_for(error, attempt_number));
  }
}

Result<Response, Error> Transport::attempt(const Request& request, const CallOptions& options, bool& content_started,
                                           bool refresh_token) {
  CURL* curl = static_cast<CURL*>(curl_);
  std::string authorization;
  if (settings_.auth == AuthKind::oauth2) {
    if (!tokens_) return make_error(ErrorKind::authentication, "OAuth2 without a token source", request);
    auto token = tokens_->bearer(refresh_token);
    if (!token) {
      Error error = token.error();
      error.operation = request.operation + " (" + error.operation + ")";
      error.request_mutates = request.mutates;
      error.request_sent = false;
      return error;
    }
    authorization = "Authorization: Bearer " + token.value();
  }

  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: text/xml; charset=utf-8");
  headers = curl_slist_append(headers, "Accept: text/xml");
  headers = curl_slist_append(headers, "Expect:");
  const std::string action =
      "SOAPAction: \"http://schemas.microsoft.com/exchange/services/2006/messages/" + request.operation + "\"";
  headers = curl_slist_append(headers, action.c_str());
  const std::string anchor = "X-AnchorMailbox: " + anchor_mailbox_;
  if (!anchor_mailbox_.empty()) headers = curl_slist_append(headers, anchor.c_str());
  if (!authorization.empty()) headers = curl_slist_append(headers, authorization.c_str());

  Exchange exchange;
  exchange.limits = &settings_.limits;
  exchange.user_sink = &options.content;
  exchange.content_started = &content_started;

  const HttpOptions& http = settings_.http;
  curl_easy_reset(curl);  // keeps the connection cache: the TCP/TLS connection is reused
  curl_easy_setopt(curl, CURLOPT_URL, settings_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.envelope.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.envelope.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate when the server offers it
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, http.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(http.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(http.request_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, http.low_speed_bytes);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(http.low_speed_time.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, http.verify ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, http.verify ? 2L : 0L);
  if (!http.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, http.ca_file.c_str());
  if (settings_.auth == AuthKind::basic || settings_.auth == AuthKind::ntlm) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, settings_.auth == AuthKind::ntlm ? CURLAUTH_NTLM : CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, settings_.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, settings_.secret.c_str());
  }

  CURLcode code;
  {
    Permit permit(limit_.get());
    code = curl_easy_perform(curl);
  }
  curl_slist_free_all(headers);
  ++stats_.round_trips;
  long header_bytes = 0, request_bytes = 0;
  curl_off_t uploaded = 0;
  curl_easy_getinfo(curl, CURLINFO_HEADER_SIZE, &header_bytes);
  curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_bytes);
  curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &uploaded);
  stats_.bytes_received += static_cast<std::uint64_t>(header_bytes) + exchange.body_bytes;
  stats_.bytes_sent += static_cast<std::uint64_t>(request_bytes) + static_cast<std::uint64_t>(uploaded);
  const long status = exchange.status;

  if (code == CURLE_WRITE_ERROR && exchange.stopped) {
    Parsed<Response> parsed = exchange.parser->finish();
    if (parsed.ok()) return std::move(parsed).value();
    return make_error(ErrorKind::parse, parsed.error().describe(), request, status);
  }
  if (code == CURLE_WRITE_ERROR && exchange.parse_failed) {
    Parsed<Response> parsed = exchange.parser->finish();
    const std::string message = parsed.ok() ? std::string("unreadable response") : parsed.error().describe();
    // A 500 that is not SOAP (an IIS error page) is an HTTP error, retriable.
    return make_error(status == 200 ? ErrorKind::parse : ErrorKind::http, message, request, status);
  }
  if (code != CURLE_OK) {
    ErrorKind kind = ErrorKind::connection;
    if (code == CURLE_OPERATION_TIMEDOUT) kind = ErrorKind::timeout;
    if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE) kind = ErrorKind::tls;
    Error error = make_error(kind, curl_easy_strerror(code), request, status);
    error.request_sent = !(code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
                           code == CURLE_COULDNT_RESOLVE_PROXY || kind == ErrorKind::tls);
    return error;
  }
  if (status == 401 || status == 403) {
    Error error = make_error(ErrorKind::authentication, "credentials refused", request, status);
    error.request_sent = false;
    return error;
  }
  if (!exchange.soap_status()) {
    Error error = make_error(ErrorKind::http, "HTTP " + std::to_string(status), request, status);
    error.back_off = exchange.retry_after;
    return error;
  }
  if (!exchange.parser) return make_error(ErrorKind::parse, "empty response body", request, status);
  Parsed<Response> parsed = exchange.parser->finish();
  if (!parsed.ok()) {
    return make_error(status == 200 ? ErrorKind::parse : ErrorKind::http, parsed.error().describe(), request, status);
  }
  if (auto error = whole_response_error(parsed.value(), request, status)) return *error;
  return std::move(parsed).value();
}

}  // namespace mailprune::ews
