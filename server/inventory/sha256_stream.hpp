// sha256_stream.hpp: SHA-256 over content that arrives in chunks, never held whole, with a
// resumable state.
//
// Duplicate hashing reads a 64 KiB prefix of colliding attachments first and only the rest of
// those whose prefixes collide too. So that the first 64 KiB do not travel twice, the hash state
// after the prefix (its "midstate": the eight 32-bit chaining words, once a whole number of
// 64-byte blocks has been hashed) is kept with the prefix hash, and the full hash resumes from it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace mailprune::inventory {

using Sha256Digest = std::array<std::uint8_t, 32>;
using Sha256Midstate = std::array<std::uint8_t, 32>;  // chaining words, big-endian

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(Sha256Stream&&) noexcept;
  Sha256Stream& operator=(Sha256Stream&&) noexcept;
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  // Continues a hash whose first `bytes_done` bytes (a multiple of 64) produced `midstate`.
  Sha256Stream(const Sha256Midstate& midstate, std::uint64_t bytes_done);

  void update(std::string_view bytes);
  // The digest of everything so far; the stream can go on afterwards.
  Sha256Digest digest() const;
  // The midstate, when the bytes so far are a whole number of 64-byte blocks.
  std::optional<Sha256Midstate> midstate() const;
  std::uint64_t bytes() const { return bytes_; }

 private:
  struct State;  // OpenSSL's SHA256_CTX, whose chaining words are public
  std::unique_ptr<State> state_;
  std::uint64_t bytes_ = 0;
};

}  // namespace mailprune::inventory
