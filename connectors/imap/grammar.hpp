// grammar.hpp: internal interfaces between the grammar files of mailprune_imap
// (response.cpp, fetch.cpp, bodystructure.cpp). Not installed for other users.
#pragma once

#include "imap/bodystructure.hpp"
#include "imap/lexer.hpp"
#include "imap/response.hpp"

namespace mailprune::imap::detail {

Envelope envelope_from(const Lexer& lexer, const Value& value);
// Interprets a BODY/BODYSTRUCTURE value; throws ParseFailure on structures it cannot read.
mime::MimePart body_from(const Lexer& lexer, const Value& value);
// Reads `n FETCH (...)` after the number and the FETCH keyword.
FetchMessage read_fetch(Lexer& lexer, std::uint32_t seq);

}  // namespace mailprune::imap::detail
