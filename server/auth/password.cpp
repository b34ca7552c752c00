#include "auth/password.hpp"

#include <sodium.h>

#include <atomic>
#include <map>
#include <mutex>
#include <utility>

#include "auth/random.hpp"

namespace mailprune::auth {
namespace {

static_assert(crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE == 2);
static_assert(crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE == 67108864);

std::atomic<std::uint64_t> verifications{0};

// The number of code points of valid UTF-8 without control characters; nullopt otherwise.
std::optional<std::size_t> printable_utf8_length(std::string_view text) {
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (lead < 0x80) {
      code = lead;
    } else if ((lead & 0xe0) == 0xc0) {
      extra = 1;
      code = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      extra = 2;
      code = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      extra = 3;
      code = lead & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + extra >= text.size()) return std::nullopt;  // a sequence cut short
    for (std::size_t k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return std::nullopt;
      code = (code << 6) | (next & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[extra] || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return std::nullopt;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return std::nullopt;
    i += extra + 1;
    ++count;
  }
  return count;
}

}  // namespace

PasswordCost PasswordCost::minimum() {
  PasswordCost cost;
  cost.opslimit = crypto_pwhash_argon2id_OPSLIMIT_MIN;
  cost.memlimit = crypto_pwhash_argon2id_MEMLIMIT_MIN;
  return cost;
}

std::string password_problem(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return "the password is too long (at most " + std::to_string(kMaxPasswordBytes) + " bytes)";
  }
  auto length = printable_utf8_length(password);
  if (!length) return "the password must be UTF-8 text without control characters (line breaks, tabs)";
  if (*length < kMinPasswordLength) {
    return "the password is too short (at least " + std::to_string(kMinPasswordLength) + " characters)";
  }
  return "";
}

std::string hash_password(std::string_view password, const PasswordCost& cost) {
  if (auto problem = password_problem(password); !problem.empty()) throw PasswordError(problem);
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.opslimit, cost.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw PasswordError("could not hash the password (Argon2id: out of memory or cost out of range)");
  }
  return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
  if (hash.size() >= crypto_pwhash_STRBYTES || password.size() > kMaxPasswordBytes) return false;
  ensure_sodium();
  std::string terminated(hash);  // libsodium reads a NUL-terminated string
  verifications.fetch_add(1, std::memory_order_relaxed);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool needs_rehash(std::string_view hash, const PasswordCost& cost) {
  if (hash.size() >= crypto_pwhash_STRBYTES) return true;
  ensure_sodium();
  std::string terminated(hash);
  // 1: other algorithm or cost; -1: malformed. Either way a new hash is due.
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), cost.opslimit, cost.memlimit) != 0;
}

const std::string& decoy_hash(const PasswordCost& cost) {
  static std::mutex mutex;
  static std::map<std::pair<unsigned long long, std::size_t>, std::string> hashes;
  std::lock_guard lock(mutex);
  auto& hash = hashes[{cost.opslimit, cost.memlimit}];
  if (hash.empty()) hash = hash_password(base64url_random(24), cost);
  return hash;  // std::map nodes never move
}

std::uint64_t password_verifications() {
  return verifications.load(std::memory_order_relaxed);
}

}  // namespace mailprune::auth
