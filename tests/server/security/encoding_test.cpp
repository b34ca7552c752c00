// Hex and base64url: RFC 4648's vectors, round trips of every length, and the strictness that
// link signatures rely on (one spelling per byte string).
#include <gtest/gtest.h>

#include <random>

#include "security/encoding.hpp"

namespace mailprune::security {
namespace {

std::string random_bytes(std::size_t n, std::mt19937& rng) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xFF);
  return out;
}

// RFC 4648 §10, in the URL alphabet without padding.
TEST(Base64Url, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64url_encode(plain), encoded);
    EXPECT_EQ(base64url_decode(encoded), plain) << encoded;
  }
}

TEST(Base64Url, UsesTheUrlAlphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_FALSE(base64url_decode("+/8"));
}

TEST(Base64Url, RoundTripsEveryLength) {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n < 80; ++n) {
    std::string bytes = random_bytes(n, rng);
    std::string text = base64url_encode(bytes);
    EXPECT_EQ(text.find('='), std::string::npos);
    EXPECT_EQ(base64url_decode(text), bytes) << n;
  }
}

TEST(Base64Url, RefusesNonCanonicalPaddingAndJunk) {
  EXPECT_FALSE(base64url_decode("Zh"));      // "f" with a non-zero unused bit
  EXPECT_FALSE(base64url_decode("Zm9"));     // "fo" would be Zm8
  EXPECT_FALSE(base64url_decode("Zg=="));    // padding
  EXPECT_FALSE(base64url_decode("Z"));       // 4n+1 characters
  EXPECT_FALSE(base64url_decode("Zm9v\n"));  // whitespace
  EXPECT_FALSE(base64url_decode("Zm 9v"));
  // 32 bytes (a MAC) leave two unused bits: only one of the four spellings is accepted.
  std::string mac(32, '\x5a');
  std::string text = base64url_encode(mac);
  ASSERT_EQ(text.size(), 43u);
  int accepted = 0;
  for (char last : std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")) {
    std::string variant = text;
    variant.back() = last;
    auto decoded = base64url_decode(variant);
    if (decoded && *decoded == mac) ++accepted;
  }
  EXPECT_EQ(accepted, 1);
}

TEST(Base64Any, AcceptsStandardAndUrlWithOrWithoutPadding) {
  EXPECT_EQ(base64_decode_any("Zm9vYg=="), "foob");
  EXPECT_EQ(base64_decode_any("Zm9vYg"), "foob");
  EXPECT_EQ(base64_decode_any("+/8="), std::string("\xfb\xff"));
  EXPECT_EQ(base64_decode_any("-_8"), std::string("\xfb\xff"));
  EXPECT_FALSE(base64_decode_any("+_8"));      // both alphabets
  EXPECT_FALSE(base64_decode_any("Zm9vYg="));  // padding to a wrong length
  EXPECT_FALSE(base64_decode_any("Zm9vY==="));
  EXPECT_FALSE(base64_decode_any("Zh=="));
}

TEST(Hex, EncodesLowerCaseAndDecodesEitherCase) {
  EXPECT_EQ(hex_encode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(hex_decode("0001ABff"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
  std::mt19937 rng(3);
  std::string bytes = random_bytes(300, rng);
  EXPECT_EQ(hex_decode(hex_encode(bytes)), bytes);
}

}  // namespace
}  // namespace mailprune::security
