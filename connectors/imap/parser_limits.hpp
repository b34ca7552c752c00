// parser_limits.hpp: the limits of the response grammar (response.hpp, bodystructure.hpp).
//
// Safe defaults in the spirit of Beast's header limits and Dovecot's max_nested_mime_parts: a
// response that exceeds one is a ParseError, never unbounded recursion or allocation. The sizes of
// the input itself are bounded earlier by FramerLimits.
#pragma once

#include <cstddef>

namespace mailprune::imap {

struct ParserLimits {
  // Parenthesis nesting of any value: BODYSTRUCTURE multiparts nest one level per MIME level (and
  // message/rfc822 adds its envelope and body). Dovecot stops at 100 MIME levels.
  std::size_t max_nesting = 100;
  // MIME parts in one BODYSTRUCTURE (message/rfc822 embedded parts included).
  std::size_t max_body_parts = 5000;
  // Items in one FETCH response.
  std::size_t max_fetch_items = 256;
};

}  // namespace mailprune::imap
