#include "review/token.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "security/encoding.hpp"
#include "security/hmac.hpp"

namespace mailprune::review {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kPayloadSize = 1 + 4 * 8 + 16;
constexpr std::size_t kMacSize = 32;
constexpr std::size_t kTokenBytes = kPayloadSize + kMacSize;
constexpr std::size_t kTokenChars = (kTokenBytes * 4 + 2) / 3;  // base64url without padding
constexpr std::string_view kTokenLabel = "mailprune review token v1\n";
constexpr std::string_view kCsrfLabel = "mailprune review form v1\n";

void put_int64(std::string& out, std::int64_t value) {
  auto bits = static_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((bits >> shift) & 0xff);
}

std::int64_t get_int64(std::string_view bytes) {
  std::uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<std::uint8_t>(bytes[static_cast<std::size_t>(i)]);
  return static_cast<std::int64_t>(bits);
}

std::string mac_of(std::string_view label, std::string_view data, const security::Key& key) {
  std::string input(label);
  input.append(data);
  return std::string(security::bytes_of(security::hmac_sha256(security::bytes_of(key), input)));
}

std::string payload_of(const TokenClaims& claims) {
  std::string payload;
  payload.reserve(kPayloadSize);
  payload += static_cast<char>(kVersion);
  put_int64(payload, claims.campaign_id);
  put_int64(payload, claims.agent_id);
  put_int64(payload, claims.issued_at);
  put_int64(payload, claims.expires_at);
  payload.append(reinterpret_cast<const char*>(claims.nonce.data()), claims.nonce.size());
  return payload;
}

}  // namespace

const char* to_string(TokenError error) {
  switch (error) {
    case TokenError::malformed:
      return "malformed";
    case TokenError::bad_signature:
      return "bad_signature";
    case TokenError::expired:
      return "expired";
  }
  return "malformed";
}

IssuedToken issue_token(std::int64_t campaign_id, std::int64_t agent_id, std::int64_t issued_at,
                        std::int64_t expires_at, const security::Key& key) {
  if (campaign_id <= 0 || agent_id <= 0) throw std::invalid_argument("review token: ids must be positive");
  if (issued_at < 0) throw std::invalid_argument("review token: issued_at must not be negative");
  if (expires_at != 0 && expires_at <= issued_at) {
    throw std::invalid_argument("review token: expires_at must be 0 (never) or after issued_at");
  }
  TokenClaims claims;
  claims.campaign_id = campaign_id;
  claims.agent_id = agent_id;
  claims.issued_at = issued_at;
  claims.expires_at = expires_at;
  if (RAND_bytes(claims.nonce.data(), static_cast<int>(claims.nonce.size())) != 1) {
    throw std::runtime_error("review token: no random bytes available (OpenSSL RAND_bytes)");
  }
  std::string bytes = payload_of(claims);
  bytes += mac_of(kTokenLabel, bytes, key);
  IssuedToken issued;
  issued.token = security::base64url_encode(bytes);
  issued.sha256 = token_sha256(issued.token);
  return issued;
}

connector::Result<TokenClaims, TokenError> verify_token(std::string_view token, const security::Key& key,
                                                        std::int64_t now) {
  // The length first: it bounds the work done on whatever arrives.
  if (token.size() != kTokenChars) return TokenError::malformed;
  auto bytes = security::base64url_decode(token);
  if (!bytes || bytes->size() != kTokenBytes) return TokenError::malformed;
  std::string_view view = *bytes;
  if (static_cast<std::uint8_t>(view[0]) != kVersion) return TokenError::malformed;
  std::string_view payload = view.substr(0, kPayloadSize);
  std::string_view mac = view.substr(kPayloadSize);
  if (!security::equal_constant_time(mac, mac_of(kTokenLabel, payload, key))) return TokenError::bad_signature;

  TokenClaims claims;
  claims.campaign_id = get_int64(payload.substr(1));
  claims.agent_id = get_int64(payload.substr(9));
  claims.issued_at = get_int64(payload.substr(17));
  claims.expires_at = get_int64(payload.substr(25));
  for (std::size_t i = 0; i < claims.nonce.size(); ++i) claims.nonce[i] = static_cast<std::uint8_t>(payload[33 + i]);
  // Signed but impossible values only come from a bug or a leaked key: refuse them all the same.
  if (claims.campaign_id <= 0 || claims.agent_id <= 0 || claims.issued_at < 0 || claims.expires_at < 0) {
    return TokenError::malformed;
  }
  if (claims.expires_at != 0 && now >= claims.expires_at) return TokenError::expired;
  return claims;
}

TokenHash token_sha256(std::string_view token) {
  TokenHash hash{};
  unsigned int length = 0;
  static const unsigned char empty = 0;
  const void* data = token.empty() ? static_cast<const void*>(&empty) : static_cast<const void*>(token.data());
  if (EVP_Digest(data, token.size(), hash.data(), &length, EVP_sha256(), nullptr) != 1 || length != hash.size()) {
    throw std::runtime_error("SHA-256 failed (OpenSSL)");
  }
  return hash;
}

std::string csrf_token(const TokenHash& review_token_hash, const security::Key& key) {
  return security::base64url_encode(mac_of(kCsrfLabel, security::bytes_of(review_token_hash), key));
}

bool verify_csrf(std::string_view presented, const TokenHash& review_token_hash, const security::Key& key) {
  return security::equal_constant_time(presented, csrf_token(review_token_hash, key));
}

}  // namespace mailprune::review
