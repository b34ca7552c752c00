// mutf7.hpp: IMAP modified UTF-7 (RFC 3501 §5.1.3) <-> UTF-8, for mailbox names.
//
// Printable US-ASCII stands for itself except `&`, written `&-`; everything else is UTF-16 in a
// modified base64 (`,` instead of `/`, no padding) between `&` and `-`.
// Both directions validate and return nullopt on bad input (invalid UTF-8; stray bytes, bad
// base64, unpaired surrogates or non-zero padding bits in mUTF-7), so a server that sends raw
// 8-bit names is noticed: keep the wire form then. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailprune::imap {

std::optional<std::string> mutf7_encode(std::string_view utf8);
std::optional<std::string> mutf7_decode(std::string_view mutf7);

}  // namespace mailprune::imap
