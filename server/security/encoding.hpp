// encoding.hpp: byte strings as text: lower-case hex, and base64url without padding (RFC 4648 §5)
// for what travels in URLs (link signatures, review tokens).
//
// Bytes are carried in std::string / std::string_view (any byte value). Decoders are strict: a
// text with any character outside the alphabet, or that is not the canonical encoding of its
// bytes, is refused (nullopt). Canonical matters for signatures: base64url of 32 bytes leaves two
// unused bits in its last character, and a decoder that ignored them would accept four spellings
// of one signature. Pure functions, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailprune::security {

// Views a fixed-size byte array (a key, a digest) as bytes for the functions below.
template <std::size_t N>
std::string_view bytes_of(const std::array<std::uint8_t, N>& bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), N);
}

// Lower-case hex, two digits per byte.
std::string hex_encode(std::string_view bytes);
// Hex of either case; an odd length or a non-hex character gives nullopt.
std::optional<std::string> hex_decode(std::string_view text);

// base64url (alphabet A-Z a-z 0-9 - _), no padding.
std::string base64url_encode(std::string_view bytes);
// Canonical base64url without padding only: '=' anywhere, characters of the standard alphabet
// ('+', '/'), a length of 4n+1, or non-zero unused trailing bits give nullopt.
std::optional<std::string> base64url_decode(std::string_view text);

// Lenient base64 for keys pasted by people: the standard or the URL alphabet, with or without
// '=' padding (but not both alphabets at once). Still refuses non-zero unused trailing bits,
// other characters, and bad lengths.
std::optional<std::string> base64_decode_any(std::string_view text);

}  // namespace mailprune::security
