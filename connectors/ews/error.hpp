// error.hpp: what went wrong talking EWS, classified by what the caller should do next.
//
// Every failure of one EWS call is one Error value: the transport (connect/TLS/timeout/reset),
// HTTP status, a response that is not readable EWS, a SOAP fault, or a ResponseMessage with
// ResponseClass="Error". Nothing here throws.
//
// The questions a caller asks (STYLE.md; libpqxx in_doubt_error):
//   retriable()          may the same request succeed if sent again (after backoff)?
//   throttled()          the server asked us to slow down (ErrorServerBusy, HTTP 429/503, ...);
//                        back_off tells how long when the server said so;
//   poisons_connection() drop the HTTP connection (curl handle state) before the next request;
//   outcome_unknown()    a mutating request (DeleteItem, MoveItem, ...) may or may not have been
//                        carried out: check the server state before trying again.
// Plain data, cheap to copy, safe to hand between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "interface/result.hpp"

namespace mailprune::ews {

enum class ErrorKind {
  connection,      // connect, reset, DNS: nothing (complete) came back
  tls,             // certificate or host name verification failed: retrying will not help
  timeout,         // connect or total timeout, or the low-speed limit
  http,            // an HTTP status other than 200 without a readable SOAP answer
  authentication,  // HTTP 401/403 (after one token refresh for OAuth2), token endpoint refused
  parse,           // the body is not well-formed XML or not the expected EWS shape
  fault,           // a SOAP fault (code in `code` when it carried an EWS ResponseCode)
  response,        // ResponseClass="Error" with ResponseCode `code`
};

std::string_view to_string(ErrorKind kind) noexcept;

// How a ResponseCode is to be treated.
struct CodeClass {
  bool retriable = false;       // transient on the server side
  bool throttling = false;      // the server is protecting itself: back off
  bool authentication = false;  // credentials, impersonation rights
  bool not_found = false;       // mailbox/folder/item/attachment does not exist (any more)
};
CodeClass classify_code(std::string_view response_code);

struct Error {
  ErrorKind kind = ErrorKind::connection;
  std::string message;
  std::string code;                                   // EWS ResponseCode ("ErrorServerBusy"), "" when none
  long http_status = 0;                               // 0 when no HTTP response was seen
  std::optional<std::chrono::milliseconds> back_off;  // BackOffMilliseconds or Retry-After
  std::string operation;                              // "GetItem", ...
  bool request_mutates = false;
  bool request_sent = false;  // (maybe) on the wire: the server may have acted on it

  [[nodiscard]] bool retriable() const noexcept;
  [[nodiscard]] bool throttled() const noexcept;
  [[nodiscard]] bool poisons_connection() const noexcept;
  [[nodiscard]] bool outcome_unknown() const noexcept;
  [[nodiscard]] bool authentication() const noexcept;
  [[nodiscard]] bool not_found() const noexcept;
  // "GetItem: ErrorServerBusy: The server cannot service this request right now (HTTP 500)".
  [[nodiscard]] std::string describe() const;
};

// A parse error: what, where (line/column of the XML, byte offset into the body) and the element
// path that was open ("Envelope/Body/GetItemResponse/...").
struct ParseError {
  std::string message;
  std::uint64_t line = 0;
  std::uint64_t column = 0;
  std::uint64_t offset = 0;
  std::string path;
  [[nodiscard]] std::string describe() const;
};

// Either a T or an E (connectors/interface/result.hpp).
using connector::Result;

template <class T>
using Parsed = Result<T, ParseError>;

}  // namespace mailprune::ews
