// charset.hpp: bytes in a named charset to UTF-8, and the raw-bytes rule of INVENTORY.md.
//
// Everything a user sees (attachment names, folder names after decoding) is UTF-8. Mail carries
// text in whatever charset the sender's client chose, often mislabelled; these functions never
// fail: they always return valid UTF-8 and say whether the conversion was exact.
//
// Threads: all functions are pure and reentrant (each call opens its own iconv descriptor).
// Limits: none beyond memory; the output is at most about 3 bytes per input byte (4 for
// multi-byte source charsets that map to supplementary planes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mailprune::mime {

// True when `bytes` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

// Each byte taken as the Unicode code point of the same value (ISO-8859-1), encoded as UTF-8.
std::string latin1_to_utf8(std::string_view bytes);

// Appends the UTF-8 encoding of one Unicode code point (at most U+10FFFF).
void append_utf8(std::string& out, std::uint32_t code_point);

// INVENTORY.md rule 5, last step: `bytes` unchanged when valid UTF-8, otherwise taken as
// Latin-1. Pure ASCII is unchanged either way.
std::string bytes_to_utf8(std::string_view bytes);

struct CharsetConversion {
  std::string text;  // always valid UTF-8
  // False when the charset was unknown (fallback to bytes_to_utf8) or when invalid sequences
  // of the named charset were replaced by U+FFFD.
  bool exact = true;
};

// Converts `bytes` labelled with `charset` (a MIME charset name, any case, surrounding
// whitespace/quotes and an RFC 2231 "*language" suffix tolerated) to UTF-8 with glibc iconv.
//  - common mislabels and aliases are mapped first (e.g. "utf8", "latin1", "ks_c_5601-1987",
//    "gb2312" -> GB18030, "iso-8859-8-i", "x-sjis");
//  - "", "us-ascii", "unknown-8bit", "x-unknown" and charsets iconv does not know are treated
//    as unlabelled bytes: bytes_to_utf8() (exact = false when a name was given but unknown);
//  - "utf-8" input is checked, not trusted: invalid sequences become U+FFFD;
//  - an invalid or truncated sequence in any other charset becomes U+FFFD and conversion goes on.
CharsetConversion convert_to_utf8(std::string_view bytes, std::string_view charset);

}  // namespace mailprune::mime
