#include "security/hmac.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace mailprune::security {

Mac hmac_sha256(std::string_view key, std::string_view message) {
  Mac mac{};
  unsigned int length = 0;
  // OpenSSL wants non-null pointers even for empty input.
  static const unsigned char empty = 0;
  const void* key_data = key.empty() ? static_cast<const void*>(&empty) : static_cast<const void*>(key.data());
  const auto* data = message.empty() ? &empty : reinterpret_cast<const unsigned char*>(message.data());
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()), data, message.size(), mac.data(), &length) ==
          nullptr ||
      length != mac.size()) {
    throw std::runtime_error("HMAC-SHA256 failed (OpenSSL)");
  }
  return mac;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace mailprune::security
