// error.hpp: what went wrong talking IMAP, classified by what the caller should do next.
//
// Every failure of the IMAP layer (and of the session built on it) is reduced to one Error value
// before it leaves a connection: framing and grammar errors (FramerError, ParseError), a tagged
// NO or BAD, an untagged BYE, a timeout or a broken transport. Nothing here throws.
//
// The three questions a caller asks (STYLE.md, libpqxx in_doubt_error, Dovecot
// IMAPC_COMMAND_FLAG_RETRIABLE):
//   retriable()          may the same operation succeed if tried again (maybe on a new connection)?
//   poisons_connection() must this connection be dropped and replaced before anything else is sent?
//   outcome_unknown()    might a state-changing command have taken effect even though we saw no
//                        tagged OK? Then it must NOT be blindly retried: check the server state
//                        first (e.g. UID SEARCH for the moved message, HEADER search for an APPEND).
//
// Plain data, cheap to copy, safe to hand between threads.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "interface/result.hpp"

namespace mailprune::imap {

enum class ErrorKind {
  parse,       // a complete response that the grammar could not read (framing still in sync)
  protocol,    // the byte stream itself is broken: bad framing, unexpected tag, literal too large
  no,          // tagged NO: the server refused the command
  bad,         // tagged BAD: the server did not understand the command (a client bug, usually)
  bye,         // untagged BYE: the server is closing the connection
  timeout,     // no (complete) answer in time
  connection,  // the transport failed: reset, EOF, TLS error
};

std::string_view to_string(ErrorKind kind) noexcept;

// A grammar error: the response text with literal bodies left out (the `{n}` markers stay), and
// the byte offset into that text where reading stopped. `raw` is capped at 8 KiB.
struct ParseError {
  std::string message;
  std::string raw;
  std::size_t offset = 0;
};

struct Error {
  ErrorKind kind = ErrorKind::connection;
  std::string message;
  // Response code of a NO/BAD/BYE, upper-cased without brackets ("PARSE", "UNAVAILABLE",
  // "TRYCREATE"), empty when there was none.
  std::string code;
  // The offending raw text (response line, framed text) when there is one, and the offset in it.
  std::string raw;
  std::size_t offset = 0;
  // Set by the session: the command had (possibly) been written to the wire when this happened
  // and its tagged completion had not been understood yet.
  bool command_in_flight = false;
  // Set by the session: the command changes server state (STORE, EXPUNGE, MOVE, COPY, APPEND).
  bool command_mutates = false;

  // Retrying the same command can help: transient server conditions (NO [UNAVAILABLE], [INUSE],
  // [LIMIT], [SERVERBUG]), and anything that a new connection cures (bye, timeout, connection,
  // protocol). parse, bad and other NO are deterministic: retrying the same bytes gives the same
  // answer (split the range or fall back instead).
  [[nodiscard]] bool retriable() const noexcept;
  // The connection can no longer be trusted to be in sync: protocol, bye, timeout, connection.
  // After parse, no and bad the framer is still in sync and the connection may be reused.
  [[nodiscard]] bool poisons_connection() const noexcept;
  // A mutating command was in flight and the connection broke (or its completion was unreadable)
  // before a tagged OK/NO/BAD was seen: it may or may not have been carried out.
  [[nodiscard]] bool outcome_unknown() const noexcept;
};

// Builders for the common cases. `code` is upper-cased by the caller (the parser does it).
Error make_error(ErrorKind kind, std::string message, std::string code = {});
Error error_from(const ParseError& parse_error);

// Result of a parser: either a T or a ParseError.
template <class T>
using Parsed = connector::Result<T, ParseError>;

}  // namespace mailprune::imap
