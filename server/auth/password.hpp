// password.hpp: admin passwords, hashed with Argon2id (libsodium crypto_pwhash_str).
//
// A stored hash is libsodium's self-describing string "$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>"
// (at most 128 bytes): it carries its random salt and its cost, so verifying needs nothing else and
// a cost raised later is noticed by needs_rehash() at the next successful login.
//
// Cost: the default is libsodium's "interactive" level, crypto_pwhash_OPSLIMIT_INTERACTIVE (2
// passes) and crypto_pwhash_MEMLIMIT_INTERACTIVE (64 MiB): about 0.1 s of one core per hash or
// check, and 64 MiB of memory while it runs. That is the price of every login (and of every
// attempt, unknown logins included), so the login throttling of login.hpp also bounds how much
// CPU and memory an attacker can make the server spend. PasswordCost::minimum() (1 pass, 8 KiB)
// is for tests only: it makes guessing cheap.
//
// Thread-safe: libsodium is initialised once (std::call_once) on first use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mailprune::auth {

struct PasswordCost {
  unsigned long long opslimit = 2;  // crypto_pwhash_OPSLIMIT_INTERACTIVE
  std::size_t memlimit = 67108864;  // crypto_pwhash_MEMLIMIT_INTERACTIVE (bytes)
  // libsodium's lowest accepted cost (tests).
  static PasswordCost minimum();
};

inline constexpr std::size_t kMinPasswordLength = 12;   // characters (UTF-8 code points)
inline constexpr std::size_t kMaxPasswordBytes = 1024;  // longer input is refused, not truncated

// A password that cannot be used (too short, too long, not UTF-8), or libsodium refusing to work
// (out of memory). The message says which, never the password.
class PasswordError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Why `password` is not acceptable for a new password, or "" when it is: at least
// kMinPasswordLength characters, at most kMaxPasswordBytes bytes, valid UTF-8, no control
// characters (a newline pasted by mistake).
std::string password_problem(std::string_view password);

// A new Argon2id hash string (fresh random salt). Throws PasswordError when password_problem()
// says so or libsodium fails.
std::string hash_password(std::string_view password, const PasswordCost& cost = {});

// True when `password` matches `hash`. False for a wrong password, a password longer than
// kMaxPasswordBytes, and a malformed or non-Argon2 hash. Never throws. Takes the hash's own cost
// in time and memory (always, whatever the password).
bool verify_password(std::string_view hash, std::string_view password);

// True when `hash` was made with another algorithm or cost than `cost` (then the caller, knowing
// the password, stores hash_password(password, cost) instead), or is malformed.
bool needs_rehash(std::string_view hash, const PasswordCost& cost = {});

// A hash of a random password nobody knows, made once per cost and kept for the process: checked
// against when a login does not exist, so that unknown and known logins cost the same. Made on
// first use (which then also pays for hashing): a server may call it at start-up.
const std::string& decoy_hash(const PasswordCost& cost = {});

// How many times verify_password() has run Argon2 in this process (tests check that unknown
// logins pay the same price; also a metric).
std::uint64_t password_verifications();

}  // namespace mailprune::auth
