// Signed archive links: the exact format (signature recomputed here with OpenSSL's HMAC directly),
// a good link verifies, and every single-byte change anywhere in it is refused; expiry, other
// keys, query quirks.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <map>
#include <set>
#include <vector>

#include "archive/links.hpp"

namespace mailprune::archive {
namespace {

security::Key key_of(std::uint8_t seed) {
  security::Key key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(seed + i * 31);
  return key;
}

Sha256 sha_of(const std::string& content) {
  Sha256 out{};
  SHA256(reinterpret_cast<const unsigned char*>(content.data()), content.size(), out.data());
  return out;
}

// base64url without padding, from OpenSSL's standard base64.
std::string independent_base64url(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

constexpr std::int64_t kNow = 1'700'000'000;

// `link` is a full link, or a request target (starting with '/') taken as it is.
LinkCheck check(const std::string& link, const security::Key& key, std::int64_t now = kNow) {
  auto at = link.rfind('/', 0) == 0 ? 0 : link.find("/archive/");
  RequestTarget target = split_target(std::string_view(link).substr(at));
  return verify_link(target.path, target.query, key, now);
}

TEST(Links, FormatIsExactlyAsDocumented) {
  security::Key key = key_of(1);
  Sha256 sha = sha_of("report");
  std::string link = make_link("https://mailprune.example.org", 42, sha, "Rapport final é.pdf", 1'800'000'000, key);

  std::string hex = to_hex(sha);
  std::string input = "archive\n42\n" + hex + "\nRapport final é.pdf\n1800000000";
  unsigned char mac[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &length);
  ASSERT_EQ(length, 32u);
  EXPECT_EQ(link, "https://mailprune.example.org/archive/42/" + hex +
                      "/Rapport%20final%20%C3%A9.pdf?e=1800000000&s=" + independent_base64url(mac, 32));
  EXPECT_EQ(link_signing_input(42, sha, "Rapport final é.pdf", 1'800'000'000), input);
}

TEST(Links, GoodLinkVerifies) {
  security::Key key = key_of(2);
  Sha256 sha = sha_of("content");
  for (const std::string& name :
       std::vector<std::string>{"a.pdf", "", "with/slash and ?query&amp#frag.txt", "日本語.docx",
                                std::string("nul\0byte", 8), "line\nbreak", "%41.txt", "~-._"}) {
    std::string link = make_link("http://localhost:8080", 7, sha, name, 0, key);
    LinkCheck result = check(link, key);
    ASSERT_TRUE(result.ok()) << link << " " << to_string(result.error);
    EXPECT_EQ(result.target.reference_id, 7);
    EXPECT_EQ(result.target.sha256, sha);
    EXPECT_EQ(result.target.file_name, name);
    EXPECT_EQ(result.target.expires, 0);
  }
}

// Flip every byte of the request target, in several ways; the result must never verify. Changes
// that keep the link well-formed must fail on the signature (not just on the form).
TEST(Links, EveryByteChangeIsRefused) {
  security::Key key = key_of(3);
  std::string link =
      make_link("http://localhost:8080", 123456, sha_of("x"), "Bilan 2023 (révisé).xlsx", kNow + 86400, key);
  std::string target = link.substr(link.find("/archive/"));
  ASSERT_TRUE(check(target, key).ok());

  std::map<LinkError, int> outcomes;
  std::set<std::size_t> forged_positions;
  for (std::size_t i = 0; i < target.size(); ++i) {
    for (unsigned char mask : {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x03, 0x7f}) {
      std::string changed = target;
      changed[i] = static_cast<char>(static_cast<unsigned char>(changed[i]) ^ mask);
      RequestTarget parts = split_target(changed);
      LinkCheck result = verify_link(parts.path, parts.query, key, kNow);
      EXPECT_FALSE(result.ok()) << "accepted: " << changed;
      ++outcomes[result.error];
      if (result.error == LinkError::bad_signature) forged_positions.insert(i);
    }
  }
  // Every other base64url character at every position of the signature (the last character's two
  // unused bits included).
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = target.find("&s=") + 3; i < target.size(); ++i) {
    for (char c : alphabet) {
      if (c == target[i]) continue;
      std::string changed = target;
      changed[i] = c;
      RequestTarget parts = split_target(changed);
      LinkCheck result = verify_link(parts.path, parts.query, key, kNow);
      EXPECT_FALSE(result.ok()) << "accepted: " << changed;
      ++outcomes[result.error];
    }
  }
  EXPECT_EQ(outcomes[LinkError::none], 0);
  EXPECT_GT(outcomes[LinkError::malformed], 0);
  EXPECT_GT(outcomes[LinkError::bad_signature], 0);
  // Well-formed forgeries were tried in every part: id, hash, name, expiry and signature.
  std::size_t sha_at = target.find('/', 9) + 1;
  std::size_t name_at = target.find('/', sha_at) + 1;
  std::size_t e_at = target.find("?e=") + 3;
  std::size_t s_at = target.find("&s=") + 3;
  auto forged_in = [&](std::size_t from, std::size_t to) {
    return forged_positions.lower_bound(from) != forged_positions.end() && *forged_positions.lower_bound(from) < to;
  };
  EXPECT_TRUE(forged_in(9, sha_at - 1)) << "id";
  EXPECT_TRUE(forged_in(sha_at, name_at - 1)) << "sha";
  EXPECT_TRUE(forged_in(name_at, e_at - 3)) << "name";
  EXPECT_TRUE(forged_in(e_at, s_at - 3)) << "expiry";
  EXPECT_TRUE(forged_in(s_at, target.size())) << "signature";
}

TEST(Links, EveryOtherValueOfAFieldIsRefused) {
  security::Key key = key_of(4);
  Sha256 sha = sha_of("y");
  std::string good = make_link("", 5, sha, "n.pdf", 0, key);
  std::string signature = good.substr(good.find("&s=") + 3);
  std::string hex = to_hex(sha);
  // Same signature, another id / hash / name / expiry: each well-formed, each forged.
  EXPECT_EQ(check("/archive/6/" + hex + "/n.pdf?e=0&s=" + signature, key).error, LinkError::bad_signature);
  EXPECT_EQ(check("/archive/5/" + to_hex(sha_of("z")) + "/n.pdf?e=0&s=" + signature, key).error,
            LinkError::bad_signature);
  EXPECT_EQ(check("/archive/5/" + hex + "/m.pdf?e=0&s=" + signature, key).error, LinkError::bad_signature);
  EXPECT_EQ(check("/archive/5/" + hex + "/n.pdf?e=1&s=" + signature, key).error, LinkError::bad_signature);
  // Non-canonical spellings of the same values are not links at all.
  EXPECT_EQ(check("/archive/05/" + hex + "/n.pdf?e=0&s=" + signature, key).error, LinkError::malformed);
  EXPECT_EQ(check("/archive/5/" + hex + "/n.pdf?e=00&s=" + signature, key).error, LinkError::malformed);
  EXPECT_EQ(check("/archive/5/" + hex + "/n%2Epdf?e=0&s=" + signature, key).error, LinkError::malformed);
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(check("/archive/5/" + upper + "/n.pdf?e=0&s=" + signature, key).error, LinkError::malformed);
  EXPECT_EQ(check("/archive/5/" + hex + "/n.pdf?e=0&s=" + signature + "=", key).error, LinkError::malformed);
}

TEST(Links, ExpiryIsEnforced) {
  security::Key key = key_of(5);
  std::string link = make_link("http://h", 1, sha_of("a"), "a", kNow + 10, key);
  EXPECT_TRUE(check(link, key, kNow).ok());
  EXPECT_TRUE(check(link, key, kNow + 9).ok());
  LinkCheck expired = check(link, key, kNow + 10);
  EXPECT_EQ(expired.error, LinkError::expired);
  EXPECT_EQ(expired.target.reference_id, 1);
  EXPECT_EQ(check(link, key, kNow + 1'000'000).error, LinkError::expired);
  // 0 never expires.
  std::string forever = make_link("http://h", 1, sha_of("a"), "a", 0, key);
  EXPECT_TRUE(check(forever, key, std::int64_t{4'000'000'000}).ok());
}

TEST(Links, AnotherKeyIsRefused) {
  std::string link = make_link("http://h", 9, sha_of("b"), "b.zip", 0, key_of(6));
  EXPECT_TRUE(check(link, key_of(6)).ok());
  security::Key other = key_of(6);
  other[31] ^= 1;
  EXPECT_EQ(check(link, other).error, LinkError::bad_signature);
}

TEST(Links, QueryQuirks) {
  security::Key key = key_of(7);
  std::string link = make_link("http://h", 3, sha_of("c"), "c", 0, key);
  std::string target = link.substr(link.find("/archive/"));
  RequestTarget parts = split_target(target);
  std::string query(parts.query);
  std::string path(parts.path);
  std::string e = "e=0";
  std::string s = query.substr(query.find("s="));
  // Order does not matter; parameters a gateway adds are ignored.
  EXPECT_TRUE(verify_link(path, s + "&" + e, key, kNow).ok());
  EXPECT_TRUE(verify_link(path, query + "&utm_source=mail", key, kNow).ok());
  // Twice, missing, or without '=': malformed.
  EXPECT_EQ(verify_link(path, query + "&e=0", key, kNow).error, LinkError::malformed);
  EXPECT_EQ(verify_link(path, query + "&" + s, key, kNow).error, LinkError::malformed);
  EXPECT_EQ(verify_link(path, s, key, kNow).error, LinkError::malformed);
  EXPECT_EQ(verify_link(path, e, key, kNow).error, LinkError::malformed);
  EXPECT_EQ(verify_link(path, "e&" + s, key, kNow).error, LinkError::malformed);
  EXPECT_EQ(verify_link(path, "", key, kNow).error, LinkError::malformed);
  // Paths that are not links.
  for (const std::string& bad : std::vector<std::string>{
           "/", "/archive/", "/archive/3", "/archive/3/" + to_hex(sha_of("c")), path + "/extra",
           "/archives" + path.substr(8), "/archive/0/" + to_hex(sha_of("c")) + "/c",
           "/archive/-3/" + to_hex(sha_of("c")) + "/c", "/archive/99999999999999999999/" + to_hex(sha_of("c")) + "/c",
           "/archive/3/" + to_hex(sha_of("c")) + "/%4"}) {
    EXPECT_EQ(verify_link(bad, query, key, kNow).error, LinkError::malformed) << bad;
  }
}

TEST(Links, SignerAppliesTheConfiguredValidity) {
  security::Key key = key_of(8);
  LinkSigner forever("https://m.example.org/", 0, key);
  std::string link = forever.link_for(11, sha_of("d"), "d.pdf", kNow);
  EXPECT_EQ(link.rfind("https://m.example.org/archive/11/", 0), 0u) << link;
  EXPECT_NE(link.find("?e=0&"), std::string::npos);
  EXPECT_TRUE(check(link, key, kNow + 100LL * 365 * 86400).ok());

  LinkSigner month("https://m.example.org/mailprune", 30, key);
  std::string limited = month.link_for(11, sha_of("d"), "d.pdf", kNow);
  EXPECT_EQ(limited.rfind("https://m.example.org/mailprune/archive/11/", 0), 0u) << limited;
  LinkCheck result = check(limited, key, kNow);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.target.expires, kNow + 30 * 86400);
  EXPECT_EQ(check(limited, key, kNow + 30 * 86400).error, LinkError::expired);
}

TEST(Links, SignerFromConfigurationUsesTheConfiguredKey) {
  config::Config config;
  config.data_dir = "/nonexistent-mailprune-test";  // a configured key needs no data dir
  config.archive.public_url = "https://files.example.org";
  security::Key key = key_of(9);
  std::string hex;
  for (auto b : key) hex += fmt::format("{:02x}", b);
  config.archive.link_key = config::Secret(hex, "test");
  LinkSigner signer(config);
  EXPECT_EQ(signer.key(), key);
  EXPECT_TRUE(check(signer.link_for(1, sha_of("e"), "e", kNow), key).ok());
}

TEST(Links, PercentEncodingRoundTripsEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string encoded = percent_encode_segment(all);
  EXPECT_EQ(
      encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%0123456789ABCDEF"),
      std::string::npos);
  EXPECT_EQ(percent_decode(encoded), all);
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%4"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_EQ(percent_decode("%41%62"), "Ab");
}

}  // namespace
}  // namespace mailprune::archive
