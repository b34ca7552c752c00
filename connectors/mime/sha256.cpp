#include "mime/sha256.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <new>
#include <utility>

namespace mailprune::mime {

std::string to_hex(const Sha256Digest& digest) {
  constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (const std::uint8_t byte : digest) {
    out += digits[byte >> 4];
    out += digits[byte & 0x0F];
  }
  return out;
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr) throw std::bad_alloc();
  reset();
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(context_);
}

Sha256::Sha256(Sha256&& other) noexcept : context_(std::exchange(other.context_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(context_);
    context_ = std::exchange(other.context_, nullptr);
  }
  return *this;
}

void Sha256::reset() {
  if (EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1) throw std::bad_alloc();
}

void Sha256::update(std::string_view bytes) {
  if (bytes.empty()) return;
  if (EVP_DigestUpdate(context_, bytes.data(), bytes.size()) != 1) throw std::bad_alloc();
}

Sha256Digest Sha256::final_raw() {
  Sha256Digest digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_, digest.data(), &length) != 1 || length != digest.size()) {
    throw std::bad_alloc();
  }
  reset();
  return digest;
}

std::string Sha256::final_hex() {
  return to_hex(final_raw());
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 hasher;
  hasher.update(bytes);
  return hasher.final_hex();
}

void DecodedContentHasher::consume(std::string_view decoded) {
  if (size_ < prefix_size) {
    const std::size_t room = prefix_size - static_cast<std::size_t>(size_);
    prefix_.update(decoded.substr(0, std::min(room, decoded.size())));
  }
  whole_.update(decoded);
  size_ += decoded.size();
}

DecodedDigest DecodedContentHasher::digest() {
  DecodedDigest digest;
  digest.size = size_;
  digest.sha256_hex = whole_.final_hex();
  digest.prefix_hex = prefix_.final_hex();
  digest.damaged = decoder_.damaged();
  return digest;
}

}  // namespace mailprune::mime
