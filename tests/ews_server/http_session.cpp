// The EWS test server's I/O: accept loop, one thread per connection, HTTP/1.1 keep-alive with
// Boost.Beast (synchronous: a test server needs clarity more than scale), optional TLS, and the
// writing of answers whose attachment contents are base64-encoded as they are sent.
#include <utility>

#include <cstdio>

#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "ews_server/ids.hpp"
#include "ews_server/server_impl.hpp"

namespace mailprune::ews_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

std::uint64_t base64_length(std::uint64_t bytes) {
  return (bytes + 2) / 3 * 4;
}

// Writes `answer`'s body: text as is, contents base64-encoded 48 KiB at a time. With `limit`,
// stops after that many bytes (close_mid_response).
template <class Stream>
void write_body(Stream& stream, const ResponseBody& body, std::uint64_t limit) {
  std::uint64_t written = 0;
  auto put = [&](const std::string& bytes) {
    std::uint64_t room = limit - written;
    std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(room, bytes.size()));
    if (count > 0) asio::write(stream, asio::buffer(bytes.data(), count));
    written += count;
    return written < limit;
  };
  for (const auto& piece : body.pieces) {
    if (!piece.base64_of) {
      if (!put(piece.text)) return;
      continue;
    }
    const std::string& content = *piece.base64_of;
    constexpr std::size_t kChunk = 48 * 1024;  // a multiple of 3: no padding mid-stream
    for (std::size_t at = 0; at < content.size(); at += kChunk) {
      if (!put(base64_encode(content.substr(at, kChunk)))) return;
    }
  }
}

template <class Stream>
bool send_answer(Stream& stream, const Answer& answer, bool keep_alive) {
  std::uint64_t length = 0;
  for (const auto& piece : answer.body.pieces) {
    length += piece.base64_of ? base64_length(piece.base64_of->size()) : piece.text.size();
  }
  http::response<http::empty_body> header{static_cast<http::status>(answer.status), 11};
  header.set(http::field::server, "Microsoft-IIS/10.0");
  header.set("X-Powered-By", "ASP.NET");
  if (length > 0 || answer.status == 200) header.set(http::field::content_type, answer.content_type);
  for (const auto& [name, value] : answer.headers) header.set(name, value);
  header.content_length(length);
  header.keep_alive(keep_alive && !answer.close_mid_response);
  http::response_serializer<http::empty_body> serializer{header};
  http::write_header(stream, serializer);
  write_body(stream, answer.body, answer.close_mid_response ? length / 2 : length);
  return header.keep_alive();
}

}  // namespace

void EwsTestServer::Impl::accept_loop() {
  while (!stopping) {
    boost::system::error_code error;
    tcp::socket socket(io);
    acceptor->accept(socket, error);
    if (stopping) break;
    if (error) continue;
    std::lock_guard lock(connections_mutex);
    // Reap finished connections.
    for (auto it = connections.begin(); it != connections.end();) {
      if (it->done) {
        it->thread.join();
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
    Connection& connection = connections.emplace_back();
    connection.native = socket.native_handle();
    connection.thread = std::thread([this, &connection, s = std::move(socket)]() mutable {
      serve(std::move(s), connection);
      connection.done = true;
    });
  }
}

namespace {

template <class Stream>
void session_loop(EwsTestServer::Impl& server, Stream& stream, std::size_t body_limit) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    parser.header_limit(64 * 1024);
    boost::system::error_code error;
    http::read(stream, buffer, parser, error);
    if (error) return;
    auto& request = parser.get();
    HttpRequest input;
    input.method = std::string(request.method_string());
    input.target = std::string(request.target());
    input.authorization = std::string(request[http::field::authorization]);
    input.anchor_mailbox = std::string(request["X-AnchorMailbox"]);
    input.body = std::move(request.body());
    Answer answer;
    try {
      answer = server.answer(input);
    } catch (const std::exception& failure) {
      // A bug of this server: answer 500 and say so, rather than dropping the connection.
      std::fprintf(stderr, "ews test server: internal error: %s\n", failure.what());
      answer = Answer{};
      answer.status = 500;
      answer.content_type = "text/plain";
      answer.body.append_text(std::string("internal error in the EWS test server: ") + failure.what());
    }
    if (answer.delay.count() > 0) std::this_thread::sleep_for(answer.delay);
    if (!send_answer(stream, answer, request.keep_alive())) return;
  }
}

}  // namespace

void EwsTestServer::Impl::serve(tcp::socket socket, Connection& connection) {
  (void)connection;
  try {
    if (tls) {
      asio::ssl::stream<tcp::socket&> stream(socket, *tls);
      stream.handshake(asio::ssl::stream_base::server);
      session_loop(*this, stream, options.max_request_bytes);
      boost::system::error_code ignored;
      stream.shutdown(ignored);
    } else {
      session_loop(*this, socket, options.max_request_bytes);
    }
  } catch (const std::exception& error) {
    // A client that went away or failed its handshake: nothing to answer. Anything else is a
    // bug of this server: say so on stderr (the test that hit it fails on the closed connection).
    std::string what = error.what();
    if (what.find("end of stream") == std::string::npos && what.find("reset by peer") == std::string::npos &&
        what.find("Broken pipe") == std::string::npos && what.find("short read") == std::string::npos &&
        what.find("stream truncated") == std::string::npos) {
      std::fprintf(stderr, "ews test server: connection ended: %s\n", what.c_str());
    }
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

void EwsTestServer::start() {
  Impl& s = *impl_;
  if (s.acceptor) return;
  if (s.options.tls) {
    s.tls.emplace(asio::ssl::context::tls_server);
    s.tls->use_certificate_chain_file(s.cert_path);
    s.tls->use_private_key_file(s.key_path, asio::ssl::context::pem);
  }
  s.acceptor.emplace(s.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  s.port = s.acceptor->local_endpoint().port();
  s.stopping = false;
  s.accept_thread = std::thread([&s] { s.accept_loop(); });
}

void EwsTestServer::stop() {
  Impl& s = *impl_;
  if (!s.acceptor) return;
  s.stopping = true;
  {
    // Wake the blocking accept with a connection of our own.
    boost::system::error_code ignored;
    tcp::socket waker(s.io);
    waker.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), s.port), ignored);
  }
  s.accept_thread.join();
  {
    std::lock_guard lock(s.connections_mutex);
    for (auto& connection : s.connections) {
      if (!connection.done) ::shutdown(connection.native, SHUT_RDWR);
    }
  }
  for (auto& connection : s.connections) connection.thread.join();
  s.connections.clear();
  boost::system::error_code ignored;
  s.acceptor->close(ignored);
  s.acceptor.reset();
}

}  // namespace mailprune::ews_test
