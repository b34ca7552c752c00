// The resumable SHA-256 against OpenSSL's EVP one-shot digest, across block boundaries.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <string>

#include "inventory/sha256_stream.hpp"

namespace mailprune::inventory {
namespace {

Sha256Digest reference(const std::string& data) {
  Sha256Digest out{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 generator(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(generator());
  return out;
}

TEST(Sha256Stream, MatchesOpenSslWhateverTheChunking) {
  for (std::size_t size : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 128u, 1000u, 65535u, 65536u, 65537u, 200000u}) {
    std::string data = random_bytes(size, static_cast<unsigned>(size));
    for (std::size_t chunk : {1u, 7u, 64u, 8192u}) {
      if (size > 70000 && chunk < 64) continue;
      Sha256Stream stream;
      for (std::size_t at = 0; at < size; at += chunk) stream.update(std::string_view(data).substr(at, chunk));
      EXPECT_EQ(stream.digest(), reference(data)) << "size " << size << " chunk " << chunk;
      EXPECT_EQ(stream.bytes(), size);
    }
  }
}

TEST(Sha256Stream, ResumesFromTheMidstateAfterThePrefix) {
  const std::uint64_t prefix = 65536;
  for (std::size_t size : {65536u + 1u, 65536u + 63u, 65536u + 64u, 150000u, 1048576u + 17u}) {
    std::string data = random_bytes(size, static_cast<unsigned>(size) + 7);
    Sha256Stream head;
    head.update(std::string_view(data).substr(0, prefix));
    ASSERT_TRUE(head.midstate().has_value());
    EXPECT_EQ(head.digest(), reference(data.substr(0, prefix))) << "the prefix hash";
    Sha256Stream rest(*head.midstate(), prefix);
    rest.update(std::string_view(data).substr(prefix));
    EXPECT_EQ(rest.digest(), reference(data)) << "size " << size;
    EXPECT_EQ(rest.bytes(), size);
  }
}

TEST(Sha256Stream, NoMidstateInsideABlock) {
  Sha256Stream stream;
  stream.update("abc");
  EXPECT_FALSE(stream.midstate().has_value());
  Sha256Midstate any{};
  EXPECT_THROW(Sha256Stream(any, 100), std::invalid_argument);
}

}  // namespace
}  // namespace mailprune::inventory
