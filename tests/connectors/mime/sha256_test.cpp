// SHA-256 (FIPS 180-4 test vectors) and the decoded-content hasher (INVENTORY.md rules 6, 7).
#include "mime/sha256.hpp"

#include <gtest/gtest.h>

#include <string>

#include "test_support.hpp"

namespace mailprune::mime {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, StreamingEqualsOneShotAndObjectIsReusable) {
  const std::string text(1000, 'a');
  Sha256 hasher;
  for (std::size_t i = 0; i < text.size(); i += 7) hasher.update(std::string_view(text).substr(i, 7));
  const Sha256Digest raw = hasher.final_raw();
  EXPECT_EQ(to_hex(raw), sha256_hex(text));
  hasher.update("abc");
  EXPECT_EQ(hasher.final_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 moved = std::move(hasher);
  moved.update("abc");
  EXPECT_EQ(moved.final_hex(), sha256_hex("abc"));
}

struct HasherCase {
  const char* name;
  const char* encoding;
  std::string encoded;
  std::string decoded;
  bool damaged;
};

TEST(DecodedContentHasher, SameContentSameHashWhateverTheEncoding) {
  using namespace std::string_literals;
  const std::string content = "%PDF-1.4\r\n\x01\x02\xFF binary \x00 tail"s;
  const std::vector<HasherCase> rows = {
      {"base64-76-col", "base64", test::base64_encode(content, 76), content, false},
      {"base64-one-line", "base64", test::base64_encode(content), content, false},
      {"base64-lf-4-col", "BASE64", test::base64_encode(content, 4, "\n"), content, false},
      {"binary", "binary", content, content, false},
      {"qp-with-soft-breaks", "quoted-printable", "%PDF-1.4=0D=0A=01=02=FF binary =00 t=\r\nail", content, false},
      {"base64-damaged", "base64", "JVBE*Ri0=", "%PDF-", true},
  };
  for (const HasherCase& row : rows) {
    for (std::size_t split = 0; split <= row.encoded.size(); ++split) {
      DecodedContentHasher hasher(row.encoding);
      hasher.feed(std::string_view(row.encoded).substr(0, split));
      hasher.feed(std::string_view(row.encoded).substr(split));
      const DecodedDigest digest = hasher.finish();
      ASSERT_EQ(digest.sha256_hex, sha256_hex(row.decoded)) << row.name << " split " << split;
      ASSERT_EQ(digest.size, row.decoded.size()) << row.name;
      ASSERT_EQ(digest.prefix_hex, digest.sha256_hex) << row.name;
      ASSERT_EQ(digest.damaged, row.damaged) << row.name;
    }
  }
}

TEST(DecodedContentHasher, PrefixHashCoversFirst64KiB) {
  std::string content;
  for (std::size_t i = 0; content.size() < 200000; ++i) content += std::to_string(i) + ",";
  const std::string encoded = test::base64_encode(content, 76);
  DecodedContentHasher hasher(TransferEncoding::base64);
  for (std::size_t i = 0; i < encoded.size(); i += 1000) {
    hasher.feed(std::string_view(encoded).substr(i, 1000));
  }
  const DecodedDigest digest = hasher.finish();
  EXPECT_EQ(digest.size, content.size());
  EXPECT_EQ(digest.sha256_hex, sha256_hex(content));
  EXPECT_EQ(digest.prefix_hex, sha256_hex(std::string_view(content).substr(0, DecodedContentHasher::prefix_size)));
  EXPECT_FALSE(digest.damaged);
}

TEST(DecodedContentHasher, ObserverSeesDecodedBytes) {
  DecodedContentHasher hasher("quoted-printable");
  std::string seen;
  const auto observe = [&](std::string_view bytes) { seen.append(bytes); };
  hasher.feed("caf=C3=", observe);
  hasher.feed("A9 =\r\nok", observe);
  const DecodedDigest digest = hasher.finish(observe);
  EXPECT_EQ(seen, "caf\xC3\xA9 ok");
  EXPECT_EQ(digest.size, seen.size());
}

}  // namespace
}  // namespace mailprune::mime
