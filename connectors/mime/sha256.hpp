// sha256.hpp: streaming SHA-256 (OpenSSL EVP) and the hash of an attachment's decoded content
// (INVENTORY.md rules 6 and 7).
//
// Threads: an object is used by one thread at a time; distinct objects are independent.
// Errors: OpenSSL can only fail here by running out of memory; that is reported as
// std::bad_alloc, like any other allocation in the library (parse_message() turns it into an
// error value at its boundary).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mime/transfer_decode.hpp"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace mailprune::mime {

using Sha256Digest = std::array<std::uint8_t, 32>;

// 64 lower-case hex digits.
std::string to_hex(const Sha256Digest& digest);

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  // A moved-from Sha256 may only be destroyed or assigned to.
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  // The digest of everything given since construction or the previous final_*; the object is
  // then reset and can hash a new input.
  Sha256Digest final_raw();
  std::string final_hex();

 private:
  void reset();
  evp_md_ctx_st* context_ = nullptr;
};

// One-shot: lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

// What DecodedContentHasher::finish() returns.
struct DecodedDigest {
  std::uint64_t size = 0;  // decoded bytes
  std::string sha256_hex;  // SHA-256 of all decoded bytes, 64 lower-case hex digits
  std::string prefix_hex;  // SHA-256 of the first prefix_size decoded bytes (all of them
                           // when shorter, then equal to sha256_hex)
  bool damaged = false;    // the transfer decoder skipped or guessed something
};

// Decodes an encoded body as it arrives and hashes the decoded bytes, counting them. The
// prefix hash lets a crawl compare two same-size attachments cheaply before it fetches the rest.
// Memory: constant (a TransferDecoder and two hash contexts).
class DecodedContentHasher {
 public:
  static constexpr std::size_t prefix_size = 64 * 1024;

  explicit DecodedContentHasher(TransferEncoding encoding) : decoder_(encoding) {}
  explicit DecodedContentHasher(std::string_view encoding_name) : decoder_(encoding_name) {}

  // Encoded bytes, in pieces of any size split anywhere. The observer, when given, also sees
  // the decoded bytes (as `observer(std::string_view)`), e.g. to scan an HTML body.
  template <class Observer>
  void feed(std::string_view encoded, Observer&& observer) {
    decoder_.feed(encoded, [&](std::string_view decoded) {
      consume(decoded);
      observer(decoded);
    });
  }
  void feed(std::string_view encoded) {
    feed(encoded, [](std::string_view) {});
  }
  // Ends the input. Call once; the hasher is spent afterwards.
  template <class Observer>
  DecodedDigest finish(Observer&& observer) {
    decoder_.finish([&](std::string_view decoded) {
      consume(decoded);
      observer(decoded);
    });
    return digest();
  }
  DecodedDigest finish() {
    return finish([](std::string_view) {});
  }

  // Decoded bytes so far (not counting what finish() may still flush).
  std::uint64_t decoded_size() const { return size_; }

 private:
  void consume(std::string_view decoded);
  DecodedDigest digest();

  TransferDecoder decoder_;
  Sha256 whole_;
  Sha256 prefix_;
  std::uint64_t size_ = 0;
};

}  // namespace mailprune::mime
