// hmac.hpp: HMAC-SHA256 (RFC 2104, FIPS 198-1) and a comparison that takes the same time
// wherever two byte strings differ.
//
// Used to sign archive links (archive/links.hpp) and review tokens. OpenSSL underneath; pure
// functions, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace mailprune::security {

using Mac = std::array<std::uint8_t, 32>;

// HMAC-SHA256 of `message` under `key` (any length; keys are normally the 32 bytes of keys.hpp).
Mac hmac_sha256(std::string_view key, std::string_view message);

// True when `a` and `b` are equal. The time taken depends on their lengths only, never on where
// they differ (for comparing a received MAC with the expected one).
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace mailprune::security
