// describe.hpp: a stable, human-readable rendering of parsed responses, one field per token.
//
// For test diffs, fuzzer comparisons (two parses are equal iff their descriptions are) and
// debugging output of the session. Not a wire format: never parse it back. Secrets never reach
// responses, so nothing is masked. Pure functions, thread-safe.
#pragma once

#include <string>

#include "imap/response.hpp"

namespace mailprune::imap {

std::string describe(const Response& response);
std::string describe(const mime::MimePart& part);
std::string describe(const Envelope& envelope);
std::string describe(const ParseError& error);

}  // namespace mailprune::imap
