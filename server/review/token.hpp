// token.hpp: review link tokens (issue 6) and the anti-forgery tokens of review forms.
//
// A review token is what an agent's review link carries: one per agent and campaign. It says
// which campaign and agent it is for, when it was issued and until when it is valid, and is
// signed so that nobody can make one or change one without the key:
//
//   token   = base64url(payload || mac)                       (no padding; 108 characters)
//   payload = version (1 byte, = 1)
//             campaign_id, agent_id, issued_at, expires_at    (8 bytes each, big-endian, signed;
//                                                              Unix seconds; expires_at 0: never)
//             nonce (16 random bytes: two tokens are never equal)
//   mac     = HMAC-SHA256(key, "mailprune review token v1\n" || payload)   (32 bytes)
//
// The token is stored only as its SHA-256 (review_token.token_sha256), so a copy of the database
// gives no working link, and a token is revoked by marking its hash. Whether a hash is revoked,
// or its campaign closed, is the caller's check (database); this file checks form, signature and
// expiry.
//
// Review forms (POST) carry an anti-forgery token bound to the review token: HMAC-SHA256 over a
// distinct label and the review token's hash, so it cannot be mistaken for, or turned into, a
// review token or an archive link signature made with the same key.
//
// The key is 32 bytes (security::load_or_create_key(config, "review", ...)). Pure functions,
// thread-safe. Verifying never throws on bad input: every string gives a value or a TokenError,
// and MACs are compared in constant time.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "interface/result.hpp"
#include "security/keys.hpp"

namespace mailprune::review {

using TokenHash = std::array<std::uint8_t, 32>;  // SHA-256 of the token text
using Nonce = std::array<std::uint8_t, 16>;

struct TokenClaims {
  std::int64_t campaign_id = 0;  // > 0
  std::int64_t agent_id = 0;     // > 0
  std::int64_t issued_at = 0;    // Unix seconds
  std::int64_t expires_at = 0;   // Unix seconds; 0: never expires
  Nonce nonce{};
};

enum class TokenError {
  malformed,      // not a token: wrong length, characters, encoding, version or field values
  bad_signature,  // well-formed but not signed with this key (forged, tampered, another key)
  expired,        // genuine, but now >= expires_at
};

// "malformed", "bad_signature", "expired".
const char* to_string(TokenError error);

struct IssuedToken {
  std::string token;   // for the link
  TokenHash sha256{};  // to store (review_token.token_sha256)
};

// A new token with a fresh random nonce. Throws std::invalid_argument for ids <= 0, a negative
// issued_at, or an expires_at that is neither 0 nor after issued_at; std::runtime_error when the
// system has no randomness to give.
IssuedToken issue_token(std::int64_t campaign_id, std::int64_t agent_id, std::int64_t issued_at,
                        std::int64_t expires_at, const security::Key& key);

// Checks form, then signature, then expiry (at `now`, Unix seconds). The claims come only from
// a genuine token.
connector::Result<TokenClaims, TokenError> verify_token(std::string_view token, const security::Key& key,
                                                        std::int64_t now);

// SHA-256 of the token text as received (what is stored and looked up).
TokenHash token_sha256(std::string_view token);

// The anti-forgery token of the forms reached through the review token whose hash is given
// (base64url, 43 characters). Deterministic: the same for every page view of one review link.
std::string csrf_token(const TokenHash& review_token_hash, const security::Key& key);

// True when `presented` (from a POSTed form) is csrf_token(review_token_hash, key).
bool verify_csrf(std::string_view presented, const TokenHash& review_token_hash, const security::Key& key);

}  // namespace mailprune::review
