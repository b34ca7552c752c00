#include "inventory/sha256_stream.hpp"

// The low-level SHA256_* functions are deprecated in OpenSSL 3 in favour of EVP, whose state is
// opaque; only they let the chaining words be exported after the prefix and imported again, and
// they keep OpenSSL's optimised block function. Tests check resumed hashes against EVP.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <stdexcept>

namespace mailprune::inventory {

struct Sha256Stream::State {
  SHA256_CTX ctx;
};

Sha256Stream::Sha256Stream() : state_(std::make_unique<State>()) {
  if (SHA256_Init(&state_->ctx) != 1) throw std::runtime_error("cannot initialise SHA-256");
}

Sha256Stream::~Sha256Stream() = default;
Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;

Sha256Stream::Sha256Stream(const Sha256Midstate& midstate, std::uint64_t bytes_done) : Sha256Stream() {
  if (bytes_done % 64 != 0) throw std::invalid_argument("SHA-256 can only resume at a 64-byte boundary");
  for (int i = 0; i < 8; ++i) {
    state_->ctx.h[i] = (static_cast<SHA_LONG>(midstate[4 * i]) << 24) |
                       (static_cast<SHA_LONG>(midstate[4 * i + 1]) << 16) |
                       (static_cast<SHA_LONG>(midstate[4 * i + 2]) << 8) | static_cast<SHA_LONG>(midstate[4 * i + 3]);
  }
  const std::uint64_t bits = bytes_done * 8;
  state_->ctx.Nl = static_cast<SHA_LONG>(bits & 0xffffffffu);
  state_->ctx.Nh = static_cast<SHA_LONG>(bits >> 32);
  state_->ctx.num = 0;
  bytes_ = bytes_done;
}

void Sha256Stream::update(std::string_view bytes) {
  if (bytes.empty()) return;
  if (SHA256_Update(&state_->ctx, bytes.data(), bytes.size()) != 1) throw std::runtime_error("SHA-256 update failed");
  bytes_ += bytes.size();
}

Sha256Digest Sha256Stream::digest() const {
  SHA256_CTX copy = state_->ctx;  // finishing pads the state: work on a copy
  Sha256Digest out{};
  if (SHA256_Final(out.data(), &copy) != 1) throw std::runtime_error("SHA-256 final failed");
  return out;
}

std::optional<Sha256Midstate> Sha256Stream::midstate() const {
  if (state_->ctx.num != 0) return std::nullopt;
  Sha256Midstate out{};
  for (int i = 0; i < 8; ++i) {
    const SHA_LONG h = state_->ctx.h[i];
    out[4 * i] = static_cast<std::uint8_t>(h >> 24);
    out[4 * i + 1] = static_cast<std::uint8_t>(h >> 16);
    out[4 * i + 2] = static_cast<std::uint8_t>(h >> 8);
    out[4 * i + 3] = static_cast<std::uint8_t>(h);
  }
  return out;
}

}  // namespace mailprune::inventory
