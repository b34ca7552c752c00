#include "auth/random.hpp"

#include <sodium.h>

#include <mutex>
#include <stdexcept>
#include <string>

#include "security/encoding.hpp"

namespace mailprune::auth {

void ensure_sodium() {
  static std::once_flag once;
  static bool ready = false;
  std::call_once(once, [] { ready = sodium_init() >= 0; });  // 1: already initialised, fine
  if (!ready) throw std::runtime_error("libsodium could not be initialised (no system randomness?)");
}

std::string base64url_random(std::size_t bytes) {
  ensure_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return security::base64url_encode(raw);
}

std::string sha256(std::string_view text) {
  ensure_sodium();
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()),
                     reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return digest;
}

}  // namespace mailprune::auth
