// content_hash.hpp: the SHA-256 that names archived content (the hash of INVENTORY.md: of the
// decoded bytes), its hex spelling, and a streaming hasher.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mailprune::archive {

using Sha256 = std::array<std::uint8_t, 32>;

// 64 lower-case hex digits.
std::string to_hex(const Sha256& sha256);
// Exactly 64 lower-case hex digits (the only spelling used in paths and links); else nullopt.
std::optional<Sha256> sha256_from_hex(std::string_view hex);

// SHA-256 over content that arrives in pieces. One thread at a time; finish() once.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;

  void update(std::string_view bytes);
  Sha256 finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

Sha256 sha256_of(std::string_view bytes);

}  // namespace mailprune::archive
