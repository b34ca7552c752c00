// classify.hpp: turns what the protocol layer reports into Error values (error.hpp), so the
// session has one place that decides retriable / poisons_connection / outcome_unknown.
//
//   FramerError            -> protocol (the stream is out of sync: drop the connection)
//   ParseError             -> parse (error_from in error.hpp)
//   tagged NO / BAD        -> no / bad, with the response code ("UNAVAILABLE", "PARSE", ...)
//   untagged BYE           -> bye
// Pure functions, thread-safe.
#pragma once

#include <optional>

#include "imap/error.hpp"
#include "imap/framer.hpp"
#include "imap/response.hpp"

namespace mailprune::imap {

Error error_from(const FramerError& framer_error);
// nullopt for OK, PREAUTH and untagged NO/BAD (warnings, not command failures).
std::optional<Error> error_from(const StatusResponse& status);

}  // namespace mailprune::imap
