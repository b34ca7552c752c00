// Review tokens: genuine ones verify; tampered (every byte), truncated, extended, expired, other
// key, other agent, random strings do not, and never crash. Anti-forgery tokens likewise.
#include "review/token.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "security/encoding.hpp"
#include "security/hmac.hpp"

namespace mailprune::review {
namespace {

constexpr std::int64_t kIssued = 1'700'000'000;
constexpr std::int64_t kExpires = kIssued + 21 * 86400;

security::Key key_of(std::uint8_t seed) {
  security::Key key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(seed * 31 + i * 7);
  return key;
}

const security::Key kKey = key_of(1);
const security::Key kOtherKey = key_of(2);

const std::string kBase64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

TEST(ReviewToken, GenuineTokenGivesItsClaims) {
  IssuedToken issued = issue_token(42, 7, kIssued, kExpires, kKey);
  EXPECT_EQ(issued.token.size(), 108u);
  EXPECT_EQ(issued.token.find_first_not_of(kBase64url), std::string::npos) << "URL-safe as it is";
  EXPECT_EQ(issued.sha256, token_sha256(issued.token));

  auto verified = verify_token(issued.token, kKey, kIssued + 60);
  ASSERT_TRUE(verified.ok()) << to_string(verified.error());
  EXPECT_EQ(verified->campaign_id, 42);
  EXPECT_EQ(verified->agent_id, 7);
  EXPECT_EQ(verified->issued_at, kIssued);
  EXPECT_EQ(verified->expires_at, kExpires);
}

TEST(ReviewToken, EveryTokenIsDifferentAndSoIsItsHash) {
  std::set<std::string> tokens;
  std::set<TokenHash> hashes;
  for (int i = 0; i < 200; ++i) {
    IssuedToken issued = issue_token(1, 1, kIssued, kExpires, kKey);
    tokens.insert(issued.token);
    hashes.insert(issued.sha256);
  }
  EXPECT_EQ(tokens.size(), 200u);
  EXPECT_EQ(hashes.size(), 200u);
}

TEST(ReviewToken, TamperedAtEveryCharacterIsRefused) {
  IssuedToken issued = issue_token(42, 7, kIssued, kExpires, kKey);
  for (std::size_t i = 0; i < issued.token.size(); ++i) {
    for (char replacement : {'A', 'z', '0', '-', '_', '+', '/', '=', '.', '\0', '\xff'}) {
      if (issued.token[i] == replacement) continue;
      std::string tampered = issued.token;
      tampered[i] = replacement;
      auto result = verify_token(tampered, kKey, kIssued + 60);
      ASSERT_FALSE(result.ok()) << "position " << i << " -> " << replacement;
      EXPECT_NE(result.error(), TokenError::expired);
    }
  }
}

TEST(ReviewToken, TamperedAtEveryBitOfTheDecodedBytesIsRefused) {
  IssuedToken issued = issue_token(42, 7, kIssued, kExpires, kKey);
  std::string bytes = *security::base64url_decode(issued.token);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string tampered = bytes;
      tampered[i] = static_cast<char>(tampered[i] ^ (1 << bit));
      auto result = verify_token(security::base64url_encode(tampered), kKey, kIssued + 60);
      ASSERT_FALSE(result.ok()) << "byte " << i << " bit " << bit;
      // Byte 0 is the version (malformed); every other change breaks the signature.
      EXPECT_EQ(result.error(), i == 0 ? TokenError::malformed : TokenError::bad_signature) << "byte " << i;
    }
  }
}

TEST(ReviewToken, TruncatedOrExtendedIsMalformed) {
  IssuedToken issued = issue_token(42, 7, kIssued, kExpires, kKey);
  for (std::size_t length = 0; length < issued.token.size(); ++length) {
    auto result = verify_token(issued.token.substr(0, length), kKey, kIssued);
    ASSERT_FALSE(result.ok()) << length;
    EXPECT_EQ(result.error(), TokenError::malformed) << length;
  }
  for (const char* suffix : {"A", "AA", "AAAA", "=", " ", "\n"}) {
    auto result = verify_token(issued.token + suffix, kKey, kIssued);
    ASSERT_FALSE(result.ok()) << suffix;
    EXPECT_EQ(result.error(), TokenError::malformed);
  }
  EXPECT_FALSE(verify_token(" " + issued.token, kKey, kIssued).ok());
}

TEST(ReviewToken, ExpiredAtAndAfterItsExpiry) {
  IssuedToken issued = issue_token(42, 7, kIssued, kExpires, kKey);
  EXPECT_TRUE(verify_token(issued.token, kKey, kExpires - 1).ok());
  for (std::int64_t now : {kExpires, kExpires + 1, kExpires + 86400 * 365}) {
    auto result = verify_token(issued.token, kKey, now);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), TokenError::expired);
  }
  IssuedToken forever = issue_token(42, 7, kIssued, 0, kKey);
  auto still = verify_token(forever.token, kKey, kIssued + 86400LL * 365 * 30);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->expires_at, 0);
}

TEST(ReviewToken, AnotherKeyIsABadSignature) {
  IssuedToken issued = issue_token(42, 7, kIssued, kExpires, kKey);
  auto result = verify_token(issued.token, kOtherKey, kIssued);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), TokenError::bad_signature);
}

// What a forger who knows the format but not the key can try: put another agent's (or campaign's,
// or expiry's) value in a genuine token, or graft one token's MAC onto another's payload.
TEST(ReviewToken, AnotherAgentCannotBeForged) {
  IssuedToken mine = issue_token(42, 7, kIssued, kExpires, kKey);
  IssuedToken theirs = issue_token(42, 8, kIssued, kExpires, kKey);
  std::string bytes = *security::base64url_decode(mine.token);
  auto set_field = [](std::string b, std::size_t offset, std::int64_t value) {
    for (int i = 7; i >= 0; --i) {
      b[offset + static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
      value >>= 8;
    }
    return b;
  };
  for (auto forged : {set_field(bytes, 9, 8), set_field(bytes, 1, 43), set_field(bytes, 25, 0),
                      set_field(bytes, 25, kExpires + 86400)}) {
    auto result = verify_token(security::base64url_encode(forged), kKey, kIssued);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), TokenError::bad_signature);
  }
  std::string their_bytes = *security::base64url_decode(theirs.token);
  std::string grafted = their_bytes.substr(0, 49) + bytes.substr(49);
  auto result = verify_token(security::base64url_encode(grafted), kKey, kIssued);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), TokenError::bad_signature);
  // The genuine one still names its own agent only.
  EXPECT_EQ(verify_token(theirs.token, kKey, kIssued)->agent_id, 8);
}

TEST(ReviewToken, SignedButImpossibleValuesAreMalformed) {
  // A token whose MAC is right but whose ids are not positive (only a bug or a leaked key makes one).
  std::string payload(1, '\x01');
  for (std::int64_t value : {std::int64_t{0}, std::int64_t{7}, kIssued, kExpires}) {
    for (int shift = 56; shift >= 0; shift -= 8) payload += static_cast<char>((value >> shift) & 0xff);
  }
  payload += std::string(16, 'n');
  auto mac = security::hmac_sha256(security::bytes_of(kKey), "mailprune review token v1\n" + payload);
  std::string token = security::base64url_encode(payload + std::string(security::bytes_of(mac)));
  auto result = verify_token(token, kKey, kIssued);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error(), TokenError::malformed);
}

TEST(ReviewToken, IssueRefusesNonsense) {
  EXPECT_THROW(issue_token(0, 1, kIssued, kExpires, kKey), std::invalid_argument);
  EXPECT_THROW(issue_token(1, -1, kIssued, kExpires, kKey), std::invalid_argument);
  EXPECT_THROW(issue_token(1, 1, kIssued, kIssued, kKey), std::invalid_argument);
  EXPECT_THROW(issue_token(1, 1, -5, 0, kKey), std::invalid_argument);
}

TEST(ReviewToken, RandomStringsNeverCrashAndNeverVerify) {
  std::mt19937_64 random(20240601);
  IssuedToken issued = issue_token(42, 7, kIssued, kExpires, kKey);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    switch (i % 4) {
      case 0: {  // any bytes, any length
        std::size_t length = random() % 200;
        for (std::size_t j = 0; j < length; ++j) text += static_cast<char>(random() & 0xff);
        break;
      }
      case 1:  // the right length from the right alphabet
        for (std::size_t j = 0; j < 108; ++j) text += kBase64url[random() % kBase64url.size()];
        break;
      case 2: {  // the genuine token with a few random changes
        text = issued.token;
        for (int k = 0; k < 1 + static_cast<int>(random() % 4); ++k) {
          text[random() % text.size()] = kBase64url[random() % kBase64url.size()];
        }
        if (text == issued.token) continue;
        break;
      }
      default: {  // a valid version byte and random rest
        std::string bytes(1, '\x01');
        for (int j = 0; j < 80; ++j) bytes += static_cast<char>(random() & 0xff);
        text = security::base64url_encode(bytes);
      }
    }
    auto result = verify_token(text, kKey, kIssued);
    EXPECT_FALSE(result.ok()) << i;
  }
}

TEST(Csrf, BoundToTheReviewTokenAndTheKey) {
  IssuedToken mine = issue_token(42, 7, kIssued, kExpires, kKey);
  IssuedToken theirs = issue_token(42, 8, kIssued, kExpires, kKey);
  std::string csrf = csrf_token(mine.sha256, kKey);
  EXPECT_EQ(csrf.size(), 43u);
  EXPECT_EQ(csrf, csrf_token(mine.sha256, kKey)) << "the same on every page view";
  EXPECT_TRUE(verify_csrf(csrf, mine.sha256, kKey));
  EXPECT_FALSE(verify_csrf(csrf, theirs.sha256, kKey)) << "another agent's form";
  EXPECT_FALSE(verify_csrf(csrf, mine.sha256, kOtherKey));
  EXPECT_FALSE(verify_csrf("", mine.sha256, kKey));
  EXPECT_FALSE(verify_csrf(csrf.substr(1), mine.sha256, kKey));
  for (std::size_t i = 0; i < csrf.size(); ++i) {
    std::string tampered = csrf;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verify_csrf(tampered, mine.sha256, kKey)) << i;
  }
  // Not a review token, and not the token's own MAC under another name.
  EXPECT_FALSE(verify_token(csrf, kKey, kIssued).ok());
  std::string token_mac = security::base64url_encode(security::base64url_decode(mine.token)->substr(49));
  EXPECT_NE(csrf, token_mac);
}

}  // namespace
}  // namespace mailprune::review
