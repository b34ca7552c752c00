#include "inventory/sha256_stream.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace mailprune::inventory {

struct Sha256Stream::Context {
  EVP_MD_CTX* md = nullptr;
};

Sha256Stream::Sha256Stream() : context_(std::make_unique<Context>()) {
  context_->md = EVP_MD_CTX_new();
  if (context_->md == nullptr || EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr) != 1) {
    if (context_->md) EVP_MD_CTX_free(context_->md);
    throw std::runtime_error("cannot initialise SHA-256");
  }
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(context_->md); }

void Sha256Stream::update(std::string_view bytes) {
  if (finished_) throw std::logic_error("Sha256Stream used after finish()");
  if (!bytes.empty() && EVP_DigestUpdate(context_->md, bytes.data(), bytes.size()) != 1) {
    throw std::runtime_error("SHA-256 update failed");
  }
}

std::array<std::uint8_t, 32> Sha256Stream::finish() {
  if (finished_) throw std::logic_error("Sha256Stream finished twice");
  finished_ = true;
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context_->md, digest.data(), &length) != 1 || length != digest.size()) {
    throw std::runtime_error("SHA-256 final failed");
  }
  return digest;
}

}  // namespace mailprune::inventory
