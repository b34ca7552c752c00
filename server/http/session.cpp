// One HTTP connection: read a request, call the router, write the response, repeat (server.hpp
// says what and why). Everything of one connection runs on its strand.
#include "http/session.hpp"

#include <utility>  // before Asio (Boost 1.74)

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <limits>
#include <optional>
#include <type_traits>

#include "http/client_address.hpp"
#include "http/encoding.hpp"
#include "http/response_defaults.hpp"

namespace mailprune::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

// ---- ServerCore -------------------------------------------------------------------------------

bool ServerCore::add(const std::shared_ptr<SessionBase>& session) {
  std::lock_guard lock(mutex_);
  if (stopping_) return false;
  sessions_.emplace(session.get(), session);
  return true;
}

void ServerCore::remove(SessionBase* session) {
  std::function<void()> on_empty;
  {
    std::lock_guard lock(mutex_);
    sessions_.erase(session);
    if (stopping_ && sessions_.empty()) on_empty = std::exchange(on_empty_, nullptr);
  }
  if (on_empty) on_empty();
}

void ServerCore::begin_stop(std::function<void()> on_empty) {
  std::vector<std::weak_ptr<SessionBase>> sessions;
  bool empty = false;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    empty = sessions_.empty();
    if (!empty) {
      on_empty_ = std::move(on_empty);
      for (auto& [raw, weak] : sessions_) sessions.push_back(weak);
    }
  }
  if (empty) {
    if (on_empty) on_empty();  // nothing was connected
    return;
  }
  for (auto& weak : sessions) {
    if (auto session = weak.lock()) session->request_stop(false);
  }
}

void ServerCore::force_stop() {
  std::vector<std::weak_ptr<SessionBase>> sessions;
  {
    std::lock_guard lock(mutex_);
    for (auto& [raw, weak] : sessions_) sessions.push_back(weak);
  }
  for (auto& weak : sessions) {
    if (auto session = weak.lock()) session->request_stop(true);
  }
}

bool ServerCore::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

// ---- Session ----------------------------------------------------------------------------------

namespace {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::size_t kFirstReadSize = 4096;
constexpr std::size_t kLingerBytes = 1024 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr auto kDefaultRetry = std::chrono::milliseconds(100);

bool is_disconnect(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::operation_aborted || ec == beast::error::timeout ||
         ec == net::ssl::error::stream_truncated || ec == net::error::broken_pipe || ec == net::error::bad_descriptor;
}

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(tcp::socket socket, std::shared_ptr<ServerCore> core, net::ssl::context* tls)
      : core_(std::move(core)),
        options_(core_->options()),
        stream_(make_stream(std::move(socket), tls)),
        buffer_(options_.max_header_bytes + 8192),
        executor_(stream_.get_executor()),
        wait_timer_(executor_) {
    beast::error_code ec;
    auto endpoint = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    peer_ = ec ? std::string("-") : endpoint.address().to_string();
  }

  ~Session() override { core_->remove(this); }

  void start() {
    net::dispatch(executor_, [self = this->shared_from_this()] { self->begin(); });
  }

  void request_stop(bool force) override {
    // executor_ is a copy made at construction: reading it races with nothing on the strand.
    net::dispatch(executor_, [self = this->shared_from_this(), force] { self->on_stop(force); });
  }

 private:
  enum class Phase { handshake, idle, reading, responding, closing };

  static Stream make_stream(tcp::socket socket, net::ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      (void)tls;
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  auto me() { return this->shared_from_this(); }

  void begin() {
    if constexpr (kTls) {
      phase_ = Phase::handshake;
      lowest().expires_after(options_.header_timeout);
      stream_.async_handshake(net::ssl::stream_base::server, [self = me()](beast::error_code ec) {
        if (ec) {
          spdlog::debug("http: TLS handshake with {} failed: {}", self->peer_, ec.message());
          return self->close();
        }
        self->wait_for_request();
      });
    } else {
      wait_for_request();
    }
  }

  void on_stop(bool force) {
    stop_requested_ = true;
    if (force) {
      wait_timer_.cancel();
      return close();
    }
    if (phase_ == Phase::idle || phase_ == Phase::handshake) return close();
    if (phase_ == Phase::responding && waiting_) wait_timer_.cancel();  // a live stream ends
  }

  // ---- reading ----

  void wait_for_request() {
    phase_ = Phase::idle;
    if (stop_requested_ || closed_) return close();
    if (buffer_.size() > 0) return read_header();  // a pipelined request is already here
    lowest().expires_after(requests_ == 0 ? options_.header_timeout : options_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadSize), [self = me()](beast::error_code ec, std::size_t n) {
      if (ec) return self->close();
      self->buffer_.commit(n);
      self->read_header();
    });
  }

  void read_header() {
    phase_ = Phase::reading;
    started_ = std::chrono::steady_clock::now();
    method_.clear();
    logged_path_.clear();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    // Checked per route once the header is known. (Not boost::none: Beast 1.74 compares a
    // Content-Length with the optional limit, and any number is greater than none.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    lowest().expires_after(options_.header_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = me()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == bhttp::error::header_limit || ec == beast::http::error::buffer_overflow) return reply_error(431);
    if (ec == bhttp::error::bad_version) return reply_error(505);  // Beast parses only HTTP/1.0 and 1.1
    if (ec) {
      if (is_disconnect(ec)) {
        if (ec == beast::error::timeout) spdlog::debug("http: {} too slow sending a request header", peer_);
        return close();
      }
      spdlog::debug("http: unreadable request from {}: {}", peer_, ec.message());
      return reply_error(400);
    }
    auto& request = parser_->get();
    method_ = std::string(request.method_string());
    if (request.version() != 10 && request.version() != 11) return reply_error(505);
    target_ = parse_target(std::string_view(request.target().data(), request.target().size()));
    if (!target_) return reply_error(400);
    logged_path_ = core_->router().log_path(target_->path);

    std::size_t limit = core_->router().body_limit(method_, target_->path, options_.max_body_bytes);
    if (auto length = parser_->content_length(); length && *length > limit) return reply_error(413);
    if (parser_->is_done()) return handle();
    parser_->body_limit(limit);

    auto expect = request[bhttp::field::expect];
    if (request.version() == 11 && beast::iequals(expect, "100-continue")) {
      interim_.emplace(bhttp::status::continue_, 11);
      lowest().expires_after(options_.write_timeout);
      bhttp::async_write(stream_, *interim_, [self = me()](beast::error_code write_ec, std::size_t) {
        self->interim_.reset();
        if (write_ec) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    lowest().expires_after(options_.body_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, [self = me()](beast::error_code ec, std::size_t) {
      if (ec == bhttp::error::body_limit) return self->reply_error(413);
      if (ec) {
        if (is_disconnect(ec)) return self->close();
        spdlog::debug("http: unreadable request body from {}: {}", self->peer_, ec.message());
        return self->reply_error(400);
      }
      self->handle();
    });
  }

  // ---- answering ----

  void handle() {
    phase_ = Phase::responding;
    ++requests_;
    auto& message = parser_->get();
    Request request;
    request.method = method_;
    request.target = std::string(message.target());
    request.path = std::move(target_->path);
    request.query = std::move(target_->query);
    for (const auto& field : message) {
      request.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.remote_address = client_address(peer_, request.headers, options_.trusted_proxies);
    request.is_tls = kTls;
    client_ = request.remote_address;
    version_ = message.version();
    head_ = method_ == "HEAD";
    keep_alive_ = message.keep_alive() && requests_ < options_.max_requests_per_connection;
    parser_.reset();

    Response response;
    try {
      response = core_->router().dispatch(request);
    } catch (const std::exception& e) {
      spdlog::error("http: {} {}: handler failed: {}", method_, logged_path_, e.what());
      response = status_response(500);
    } catch (...) {
      spdlog::error("http: {} {}: handler failed", method_, logged_path_);
      response = status_response(500);
    }
    send(std::move(response));
  }

  // A response to a request that could not be read (400, 413, 431, 505): the connection closes
  // after it, lingering so the client reads it before it sees the close.
  void reply_error(int status) {
    phase_ = Phase::responding;
    if (started_ == std::chrono::steady_clock::time_point{}) started_ = std::chrono::steady_clock::now();
    if (logged_path_.empty()) logged_path_ = "-";
    client_ = peer_;
    version_ = 11;
    head_ = false;
    keep_alive_ = false;
    linger_ = true;
    parser_.reset();
    send(status_response(status));
  }

  template <class Message>
  static void set_reason(Message& message, int status) {
    std::string_view reason = reason_phrase(status);
    if (!reason.empty()) message.reason(beast::string_view(reason.data(), reason.size()));
  }

  template <class Message>
  void copy_headers(const Response& response, Message& message) {
    for (const auto& [name, value] : response.headers) message.insert(name, value);
  }

  void send(Response response) {
    if (response.status < 200 || response.status > 599) {
      spdlog::error("http: {} {}: handler answered status {}", method_, logged_path_, response.status);
      response = status_response(500);
    }
    if (stop_requested_ || core_->stopping()) keep_alive_ = false;
    apply_default_headers(response, options_.html_csp, std::chrono::system_clock::now());
    status_ = response.status;
    body_bytes_ = 0;
    if (response.producer) return send_streamed(std::move(response));

    string_response_.emplace(static_cast<bhttp::status>(response.status), version_);
    set_reason(*string_response_, response.status);
    copy_headers(response, *string_response_);
    bool no_body = response.status == 204 || response.status == 304;
    if (!no_body) {
      string_response_->set(bhttp::field::content_length, std::to_string(response.body.size()));
      if (!head_) {
        body_bytes_ = response.body.size();
        string_response_->body() = std::move(response.body);
      }
    }
    string_response_->keep_alive(keep_alive_);
    lowest().expires_after(options_.write_timeout);
    bhttp::async_write(stream_, *string_response_, [self = me()](beast::error_code ec, std::size_t) {
      self->string_response_.reset();
      self->log_access(!ec);
      if (ec) return self->close();
      self->after_response();
    });
  }

  void send_streamed(Response response) {
    producer_ = std::move(response.producer);
    content_length_ = response.content_length;
    sent_ = 0;
    header_response_.emplace(static_cast<bhttp::status>(response.status), version_);
    set_reason(*header_response_, response.status);
    copy_headers(response, *header_response_);
    if (content_length_) {
      header_response_->content_length(*content_length_);
      chunked_ = false;
    } else if (version_ >= 11) {
      header_response_->chunked(true);
      chunked_ = true;
    } else {
      chunked_ = false;  // HTTP/1.0: the end of the body is the end of the connection
      keep_alive_ = false;
    }
    header_response_->keep_alive(keep_alive_);
    header_serializer_.emplace(*header_response_);
    lowest().expires_after(options_.write_timeout);
    bhttp::async_write_header(stream_, *header_serializer_, [self = me()](beast::error_code ec, std::size_t) {
      if (ec) return self->abort_stream();
      if (self->head_) return self->end_stream();
      self->pump();
    });
  }

  void pump() {
    if (closed_) return;
    Chunk chunk;
    try {
      chunk = producer_();
    } catch (const std::exception& e) {
      spdlog::error("http: {} {}: body producer failed: {}", method_, logged_path_, e.what());
      return abort_stream();
    } catch (...) {
      spdlog::error("http: {} {}: body producer failed", method_, logged_path_);
      return abort_stream();
    }
    if (!chunk.data.empty()) {
      if (content_length_ && sent_ + chunk.data.size() > *content_length_) {
        spdlog::error("http: {} {}: body producer gave more than its Content-Length", method_, logged_path_);
        return abort_stream();
      }
      chunk_data_ = std::move(chunk.data);
      last_pending_ = chunk.last;
      lowest().expires_after(options_.write_timeout);
      auto on_written = [self = me()](beast::error_code ec, std::size_t) {
        if (ec) return self->abort_stream();
        self->sent_ += self->chunk_data_.size();
        self->body_bytes_ += self->chunk_data_.size();
        self->chunk_data_.clear();
        if (self->last_pending_) return self->end_stream();
        self->pump();
      };
      if (chunked_) {
        net::async_write(stream_, bhttp::make_chunk(net::buffer(chunk_data_)), std::move(on_written));
      } else {
        net::async_write(stream_, net::buffer(chunk_data_), std::move(on_written));
      }
      return;
    }
    if (chunk.last || stop_requested_) return end_stream();
    waiting_ = true;
    wait_timer_.expires_after(chunk.retry_after.count() > 0 ? chunk.retry_after : kDefaultRetry);
    wait_timer_.async_wait([self = me()](beast::error_code) {
      self->waiting_ = false;
      self->pump();
    });
  }

  void end_stream() {
    if (content_length_ && !head_ && sent_ != *content_length_) {
      spdlog::error("http: {} {}: body producer ended after {} of its {} bytes", method_, logged_path_, sent_,
                    *content_length_);
      return abort_stream();
    }
    if (!chunked_ || head_) return finish_stream();
    lowest().expires_after(options_.write_timeout);
    net::async_write(stream_, bhttp::make_chunk_last(), [self = me()](beast::error_code ec, std::size_t) {
      if (ec) return self->abort_stream();
      self->finish_stream();
    });
  }

  void finish_stream() {
    release_stream();
    log_access(true);
    after_response();
  }

  void abort_stream() {
    release_stream();
    log_access(false);
    close();
  }

  void release_stream() {
    producer_ = nullptr;  // the producer's resources (an open file) go now
    header_serializer_.reset();
    header_response_.reset();
    chunk_data_.clear();
  }

  void after_response() {
    if (!keep_alive_ || stop_requested_) return graceful_close();
    wait_for_request();
  }

  void log_access(bool complete) {
    auto duration = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_);
    spdlog::info("http {}", access_log_line(method_, logged_path_, status_, body_bytes_, duration, client_, complete));
    started_ = {};
  }

  // ---- closing ----

  void graceful_close() {
    if (closed_) return;
    phase_ = Phase::closing;
    if constexpr (kTls) {
      lowest().expires_after(kLingerTime);
      stream_.async_shutdown([self = me()](beast::error_code) { self->close(); });
    } else {
      beast::error_code ec;
      auto& socket = lowest().socket();
      bool unread = buffer_.size() > 0 || socket.available(ec) > 0;
      socket.shutdown(tcp::socket::shutdown_send, ec);
      if (!(linger_ || unread) || ec) return close();
      // Closing with unread input makes the kernel send a reset, which can destroy the response
      // before the client reads it: read (and drop) what it still sends, for a short while.
      buffer_.consume(buffer_.size());
      lingered_ = 0;
      lowest().expires_after(kLingerTime);
      linger();
    }
  }

  void linger() {
    stream_.async_read_some(buffer_.prepare(kFirstReadSize), [self = me()](beast::error_code ec, std::size_t n) {
      self->lingered_ += n;
      if (ec || self->lingered_ > kLingerBytes) return self->close();
      self->linger();  // what was read is dropped: it was never committed to the buffer
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    phase_ = Phase::closing;
    wait_timer_.cancel();
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
  }

  std::shared_ptr<ServerCore> core_;
  const ServerOptions& options_;
  Stream stream_;
  beast::flat_buffer buffer_;
  net::any_io_executor executor_;  // the connection's strand
  net::steady_timer wait_timer_;
  std::string peer_;

  Phase phase_ = Phase::idle;
  bool stop_requested_ = false;
  bool closed_ = false;
  int requests_ = 0;

  // The request being read.
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<Target> target_;
  std::optional<bhttp::response<bhttp::empty_body>> interim_;  // 100 Continue

  // The response being written.
  std::chrono::steady_clock::time_point started_{};
  std::string method_;
  std::string logged_path_;
  std::string client_;
  unsigned version_ = 11;
  bool head_ = false;
  bool keep_alive_ = false;
  bool linger_ = false;
  int status_ = 0;
  std::uint64_t body_bytes_ = 0;
  std::optional<bhttp::response<bhttp::string_body>> string_response_;
  std::optional<bhttp::response<bhttp::empty_body>> header_response_;
  std::optional<bhttp::response_serializer<bhttp::empty_body>> header_serializer_;
  BodyProducer producer_;
  std::optional<std::uint64_t> content_length_;
  std::uint64_t sent_ = 0;
  bool chunked_ = false;
  bool last_pending_ = false;
  bool waiting_ = false;
  std::string chunk_data_;
  std::size_t lingered_ = 0;
};

}  // namespace

void start_session(tcp::socket socket, const std::shared_ptr<ServerCore>& core, net::ssl::context* tls) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  std::shared_ptr<SessionBase> session;
  if (tls != nullptr) {
    auto tls_session = std::make_shared<Session<TlsStream>>(std::move(socket), core, tls);
    session = tls_session;
    if (!core->add(session)) return;  // stopping: the connection closes as the session goes
    tls_session->start();
  } else {
    auto plain_session = std::make_shared<Session<PlainStream>>(std::move(socket), core, tls);
    session = plain_session;
    if (!core->add(session)) return;
    plain_session->start();
  }
}

}  // namespace mailprune::http::detail
