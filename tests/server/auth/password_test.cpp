// Argon2id password hashes (libsodium): format, verification, rehash decisions, the password rules,
// and the decoy hash that unknown logins are checked against. No server needed.
#include <gtest/gtest.h>

#include <string>

#include "auth/password.hpp"

namespace mailprune::auth {
namespace {

const PasswordCost kCheap = PasswordCost::minimum();

TEST(Password, HashIsArgon2idWithItsCostAndVerifies) {
  std::string hash = hash_password("correct horse battery", kCheap);
  EXPECT_EQ(hash.rfind("$argon2id$v=19$m=8,t=1,p=1$", 0), 0u) << hash;  // m is in KiB
  EXPECT_TRUE(verify_password(hash, "correct horse battery"));
  EXPECT_FALSE(verify_password(hash, "correct horse batterY"));
  EXPECT_FALSE(verify_password(hash, "correct horse battery "));
  EXPECT_FALSE(verify_password(hash, ""));
}

TEST(Password, DefaultCostIsLibsodiumInteractive) {
  std::string hash = hash_password("a default-cost password");
  EXPECT_EQ(hash.rfind("$argon2id$v=19$m=65536,t=2,p=1$", 0), 0u) << hash;
  EXPECT_TRUE(verify_password(hash, "a default-cost password"));
  EXPECT_FALSE(needs_rehash(hash));
  EXPECT_TRUE(needs_rehash(hash, kCheap));
}

TEST(Password, SaltsDiffer) {
  EXPECT_NE(hash_password("same password twice", kCheap), hash_password("same password twice", kCheap));
}

TEST(Password, RehashWhenCostOrAlgorithmDiffers) {
  std::string cheap = hash_password("a password to rehash", kCheap);
  EXPECT_FALSE(needs_rehash(cheap, kCheap));
  PasswordCost more = kCheap;
  more.opslimit = 3;
  EXPECT_TRUE(needs_rehash(cheap, more));
  PasswordCost bigger = kCheap;
  bigger.memlimit = 16384;
  EXPECT_TRUE(needs_rehash(cheap, bigger));
  EXPECT_TRUE(needs_rehash("not a hash", kCheap));
  EXPECT_TRUE(needs_rehash("", kCheap));
}

TEST(Password, MalformedHashesNeverVerify) {
  std::string hash = hash_password("twelve chars ok", kCheap);
  EXPECT_FALSE(verify_password("", "twelve chars ok"));
  EXPECT_FALSE(verify_password("$argon2id$garbage", "twelve chars ok"));
  EXPECT_FALSE(verify_password(hash.substr(0, hash.size() - 2), "twelve chars ok"));
  EXPECT_FALSE(verify_password(std::string(300, 'x'), "twelve chars ok"));
}

TEST(Password, RulesForNewPasswords) {
  EXPECT_EQ(password_problem("twelve chars"), "");
  EXPECT_NE(password_problem("eleven char"), "");
  EXPECT_NE(password_problem(""), "");
  // Twelve characters counted as characters, not bytes: "éééééééééééé" is 24 bytes, 12 characters;
  // "ééééé" is 10 bytes but 5 characters.
  std::string twelve_accents;
  for (int i = 0; i < 12; ++i) twelve_accents += "\xc3\xa9";
  EXPECT_EQ(password_problem(twelve_accents), "");
  EXPECT_NE(password_problem("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), "");
  EXPECT_NE(password_problem("twelve chars\n"), "");         // a pasted line break
  EXPECT_NE(password_problem("twelve\tchars!"), "");         // control characters
  EXPECT_NE(password_problem("twelve chars \xff\xfe"), "");  // not UTF-8
  EXPECT_NE(password_problem("twelve chars \xc3"), "");      // cut sequence
  EXPECT_NE(password_problem("twelve chars \xc0\xaf"), "");  // overlong '/'
  EXPECT_NE(password_problem(std::string(kMaxPasswordBytes + 1, 'a')), "");
  EXPECT_EQ(password_problem(std::string(kMaxPasswordBytes, 'a')), "");
  EXPECT_THROW(hash_password("short", kCheap), PasswordError);
  // The message never repeats the password.
  EXPECT_EQ(password_problem("s3cret-short").find("s3cret"), std::string::npos);
}

TEST(Password, TooLongInputIsRefusedNotTruncated) {
  std::string long_password(kMaxPasswordBytes, 'p');
  std::string hash = hash_password(long_password, kCheap);
  EXPECT_TRUE(verify_password(hash, long_password));
  EXPECT_FALSE(verify_password(hash, long_password + "p"));
}

TEST(Password, DecoyHashIsStableAndUnknown) {
  const std::string& decoy = decoy_hash(kCheap);
  EXPECT_EQ(&decoy, &decoy_hash(kCheap));
  EXPECT_EQ(decoy.rfind("$argon2id$", 0), 0u);
  EXPECT_FALSE(verify_password(decoy, "twelve chars"));
  EXPECT_FALSE(needs_rehash(decoy, kCheap));
}

TEST(Password, EveryVerificationIsCounted) {
  std::string hash = hash_password("counted password", kCheap);
  std::uint64_t before = password_verifications();
  verify_password(hash, "counted password");
  verify_password(hash, "wrong password!!");
  EXPECT_EQ(password_verifications(), before + 2);
}

}  // namespace
}  // namespace mailprune::auth
