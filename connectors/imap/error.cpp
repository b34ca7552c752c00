#include "imap/error.hpp"

namespace mailprune::imap {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::parse:
      return "parse";
    case ErrorKind::protocol:
      return "protocol";
    case ErrorKind::no:
      return "no";
    case ErrorKind::bad:
      return "bad";
    case ErrorKind::bye:
      return "bye";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::connection:
      return "connection";
  }
  return "unknown";
}

bool Error::retriable() const noexcept {
  switch (kind) {
    case ErrorKind::parse:
    case ErrorKind::bad:
      return false;
    case ErrorKind::no:
      // RFC 5530 codes that describe a passing condition; Dovecot uses SERVERBUG for internal
      // errors that often go away (a locked index).
      return code == "UNAVAILABLE" || code == "INUSE" || code == "LIMIT" || code == "SERVERBUG";
    case ErrorKind::protocol:
    case ErrorKind::bye:
    case ErrorKind::timeout:
    case ErrorKind::connection:
      return true;
  }
  return false;
}

bool Error::poisons_connection() const noexcept {
  switch (kind) {
    case ErrorKind::protocol:
    case ErrorKind::bye:
    case ErrorKind::timeout:
    case ErrorKind::connection:
      return true;
    case ErrorKind::parse:
    case ErrorKind::no:
    case ErrorKind::bad:
      return false;
  }
  return true;
}

bool Error::outcome_unknown() const noexcept {
  if (!command_in_flight || !command_mutates) return false;
  // A tagged NO or BAD is an answer; everything else leaves the command's fate open.
  return kind != ErrorKind::no && kind != ErrorKind::bad;
}

Error make_error(ErrorKind kind, std::string message, std::string code) {
  Error error;
  error.kind = kind;
  error.message = std::move(message);
  error.code = std::move(code);
  return error;
}

Error error_from(const ParseError& parse_error) {
  Error error = make_error(ErrorKind::parse, parse_error.message);
  error.raw = parse_error.raw;
  error.offset = parse_error.offset;
  return error;
}

}  // namespace mailprune::imap
