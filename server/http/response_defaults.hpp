// response_defaults.hpp: what the server does to every response before writing it, and the access
// log line after. Pure functions (the clock is a parameter), so they are tested without sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace mailprune::http {

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate).
std::string http_date(std::chrono::system_clock::time_point when);

// Applied to every response:
// - fields the server owns are removed (Connection, Keep-Alive, Transfer-Encoding, Content-Length,
//   Date: the server sets them);
// - a field whose name is not an HTTP token is dropped, CR, LF and NUL in values become spaces
//   (a handler echoing user input into a header cannot split the response);
// - added: Date, X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer; unless the handler
//   set them: Cache-Control: no-store, and for text/html the Content-Security-Policy `html_csp`.
void apply_default_headers(Response& response, std::string_view html_csp, std::chrono::system_clock::time_point now);

// One access log line: `METHOD PATH STATUS BYTES DURATIONms CLIENT`, e.g.
// "GET /healthz 200 57 0.4ms 127.0.0.1". `logged_path` is Router::log_path()'s (no query string);
// control characters in it are shown as '?', and it is cut at 200 bytes.
std::string access_log_line(std::string_view method, std::string_view logged_path, int status, std::uint64_t body_bytes,
                            std::chrono::microseconds duration, std::string_view client, bool complete);

}  // namespace mailprune::http
