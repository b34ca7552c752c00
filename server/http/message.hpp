// message.hpp: mailprune's own HTTP request and response, what handlers see and return.
//
// Handlers are pure functions `Response handle(const Request&)` (router.hpp): no socket, no Beast
// type, no I/O of their own beyond what they need to compute the answer (a database query, a
// file opened for streaming). The server (server.hpp) parses the wire into a Request, calls the
// handler on one of its I/O threads, and writes the Response. Plain data: copy freely.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailprune::http {

// True when `a` and `b` are equal ignoring ASCII case (header and cookie names, media types).
bool iequals(std::string_view a, std::string_view b);

// HTTP header fields: names compared case-insensitively, order and repeats kept.
class Headers {
 public:
  // The first value of `name`; nullopt when absent.
  std::optional<std::string> get(std::string_view name) const;
  bool contains(std::string_view name) const;
  // Replaces every field named `name` by one with `value`.
  void set(std::string_view name, std::string value);
  // Appends a field (for fields that repeat, such as Set-Cookie).
  void add(std::string_view name, std::string value);
  void remove(std::string_view name);

  using Field = std::pair<std::string, std::string>;
  const std::vector<Field>& fields() const { return fields_; }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

// Decoded name/value pairs (a query string, a form, cookies), in order, repeats kept.
class Params {
 public:
  Params() = default;
  explicit Params(std::vector<std::pair<std::string, std::string>> pairs) : pairs_(std::move(pairs)) {}
  // The first value of `name` (exact, case-sensitive match); nullopt when absent.
  std::optional<std::string> get(std::string_view name) const;
  std::vector<std::string> get_all(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  void add(std::string name, std::string value) { pairs_.emplace_back(std::move(name), std::move(value)); }

  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }
  auto begin() const { return pairs_.begin(); }
  auto end() const { return pairs_.end(); }
  std::size_t size() const { return pairs_.size(); }
  bool empty() const { return pairs_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

struct Request {
  std::string method;  // as sent, e.g. "GET", "POST" (methods are case-sensitive)
  // The request target exactly as sent (path and query, still percent-encoded), for handlers
  // that check a signature over the spelling they issued (archive links). It holds tokens: never
  // log it.
  std::string target;
  // The path, percent-decoded, starting with '/'. The server refuses (400) targets whose path
  // has a malformed escape, an encoded NUL, or a "." / ".." segment (also when decoded), so
  // prefix routes can map what follows their prefix to names without surprises. An encoded '/'
  // is decoded like any byte: use `target` where segment boundaries matter.
  std::string path;
  Params query;  // the query string, decoded ('+' is a space)
  Headers headers;
  std::string body;  // at most the route's body limit
  // The client's address ("127.0.0.1", "::1"); X-Forwarded-For's last entry when the peer is a
  // trusted proxy (server.hpp).
  std::string remote_address;
  bool is_tls = false;  // the connection to mailprune is TLS (not what a proxy in front saw)
};

// One piece of a streamed body (see BodyProducer).
struct Chunk {
  std::string data;   // bytes to send now; may be empty
  bool last = false;  // nothing follows (data, if any, is sent first)
  // With no data and not last: "nothing yet, ask me again after this long" (live streams such as
  // Server-Sent Events); the server waits without holding a thread. 0 means 100 ms.
  std::chrono::milliseconds retry_after{0};
};

// Produces a response body piece by piece, for bodies too large to hold (an archived attachment)
// or that never end (live updates). Called repeatedly on an I/O thread, never concurrently, until
// it returns a Chunk with `last`; each call must return promptly (reading the next 64 KiB of a file
// is fine; waiting for an event is not: return an empty chunk with retry_after instead). Throwing
// aborts the connection (the client sees a truncated body). Destroyed when the response ends, the
// client goes away or the server stops: release resources in destructors. When the server stops
// gracefully, a producer that is waiting (retry_after) is not called again and the body ends.
using BodyProducer = std::function<Chunk()>;

struct Response {
  int status = 200;
  Headers headers;  // Content-Type etc.; the server adds Date, Content-Length or chunking, and
                    // the security headers the handler did not set (server.hpp)
  std::string body;
  // When set, the body is streamed from it and `body` is ignored. With `content_length` the
  // response carries Content-Length (the producer must give exactly that many bytes, or the
  // connection is closed); without, it is sent chunked.
  BodyProducer producer;
  std::optional<std::uint64_t> content_length;
};

// Small builders for the usual cases.
Response text_response(int status, std::string body);  // text/plain; charset=utf-8
Response html_response(int status, std::string body);  // text/html; charset=utf-8
Response json_response(int status, std::string body);  // application/json
// Status with a short plain-text body naming it ("404 Not Found\n").
Response status_response(int status);
// "Not Found" for 404, etc.; "" for codes it does not know.
std::string_view reason_phrase(int status);

}  // namespace mailprune::http
