// random.hpp (internal to mailprune_auth): libsodium's initialisation, random secrets and their
// SHA-256, for session cookies and API tokens.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailprune::auth {

// sodium_init() once per process; throws std::runtime_error when libsodium cannot start (no
// randomness source).
void ensure_sodium();

// `bytes` random bytes from the system's generator, as base64url without padding.
std::string base64url_random(std::size_t bytes);

// SHA-256 of `text` (32 bytes): what is stored for a session cookie or a token.
std::string sha256(std::string_view text);

}  // namespace mailprune::auth
