// sha256_stream.hpp: SHA-256 over content that arrives in chunks (OpenSSL EVP), never held whole.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

namespace mailprune::inventory {

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void update(std::string_view bytes);
  // The digest; the object is then spent (update/finish throw std::logic_error).
  std::array<std::uint8_t, 32> finish();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
  bool finished_ = false;
};

}  // namespace mailprune::inventory
