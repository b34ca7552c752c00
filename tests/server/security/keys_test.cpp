// Keys: the generated key is created once (0600 in a 0700 folder) and kept; processes starting at
// the same moment all end up with one key; a configured key is used as given; weak, malformed,
// exposed or damaged keys are refused with an error that says what to do and never shows the key.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "security/encoding.hpp"
#include "security/keys.hpp"

namespace mailprune::security {
namespace {

namespace fs = std::filesystem;

class Keys : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mp-keys-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    config_.data_dir = (dir_ / "data").string();  // does not exist yet: created on demand
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static mode_t mode_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
  std::string error_of(const config::Secret& secret) {
    try {
      load_or_create_key(config_, "links", secret);
    } catch (const KeyError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
  config::Config config_;
};

TEST_F(Keys, GeneratedOnceWithPrivateModesAndKept) {
  Key first = load_or_create_key(config_, "links", {});
  fs::path file = fs::path(config_.data_dir) / "keys" / "links.key";
  EXPECT_EQ(key_file_path(config_, "links"), file.string());
  ASSERT_TRUE(fs::exists(file));
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(file.parent_path()), 0700u);
  EXPECT_EQ(read(file), hex_encode(bytes_of(first)) + "\n");
  // No temporary file left next to it.
  EXPECT_EQ(std::distance(fs::directory_iterator(file.parent_path()), fs::directory_iterator()), 1);

  struct stat before {};
  ASSERT_EQ(::stat(file.c_str(), &before), 0);
  Key second = load_or_create_key(config_, "links", {});
  EXPECT_EQ(first, second);
  struct stat after {};
  ASSERT_EQ(::stat(file.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);

  // Another name is another key.
  Key review = load_or_create_key(config_, "review", {});
  EXPECT_NE(review, first);
  // 32 random bytes: not all one value.
  EXPECT_GT(std::set<std::uint8_t>(first.begin(), first.end()).size(), 8u);
}

// Processes starting together: each forked child waits on a pipe until the parent closes it, then
// loads the key at once. Repeated to give the race many chances; every child of a round must
// report the same key, the one in the file.
TEST_F(Keys, ProcessesStartingTogetherShareOneKey) {
  constexpr int kRounds = 15;
  constexpr int kChildren = 6;
  for (int round = 0; round < kRounds; ++round) {
    config::Config config = config_;
    config.data_dir = (dir_ / ("race" + std::to_string(round))).string();
    int gate[2];
    ASSERT_EQ(::pipe(gate), 0);
    std::vector<std::pair<pid_t, int>> children;
    for (int i = 0; i < kChildren; ++i) {
      int out[2];
      ASSERT_EQ(::pipe(out), 0);
      pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        ::close(gate[1]);
        ::close(out[0]);
        char c;
        while (::read(gate[0], &c, 1) > 0) {
        }
        std::string result;
        try {
          result = hex_encode(bytes_of(load_or_create_key(config, "links", {})));
        } catch (const std::exception& e) {
          result = std::string("error: ") + e.what();
        }
        ssize_t written = ::write(out[1], result.data(), result.size());
        ::_exit(written == static_cast<ssize_t>(result.size()) ? 0 : 1);
      }
      ::close(out[1]);
      children.emplace_back(pid, out[0]);
    }
    ::close(gate[0]);
    ::close(gate[1]);  // all children start now
    std::set<std::string> keys;
    for (auto [pid, fd] : children) {
      std::string result;
      char buffer[256];
      for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) result.append(buffer, static_cast<std::size_t>(n));
      ::close(fd);
      int status = 0;
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      EXPECT_EQ(result.size(), 64u) << result;
      keys.insert(result);
    }
    ASSERT_EQ(keys.size(), 1u) << "round " << round;
    EXPECT_EQ(read(fs::path(config.data_dir) / "keys" / "links.key"), *keys.begin() + "\n");
    EXPECT_EQ(std::distance(fs::directory_iterator(fs::path(config.data_dir) / "keys"), fs::directory_iterator()), 1);
  }
}

TEST_F(Keys, ConfiguredKeyIsUsedAsGiven) {
  Key expected{};
  for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<std::uint8_t>(i * 7 + 3);
  std::string hex = hex_encode(bytes_of(expected));
  std::string b64 = base64url_encode(bytes_of(expected));
  // Standard alphabet with padding, as `openssl rand -base64 32` prints it.
  std::string standard = b64;
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  standard += "=";

  for (const std::string& value : {hex, " " + hex + "\n", b64, standard}) {
    EXPECT_EQ(load_or_create_key(config_, "links", config::Secret(value, "environment variable K")), expected) << value;
  }
  // Upper-case hex too.
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(load_or_create_key(config_, "links", config::Secret(upper, "file f")), expected);
  // No key file is created when the key is configured.
  EXPECT_FALSE(fs::exists(fs::path(config_.data_dir) / "keys"));
}

TEST_F(Keys, LongerConfiguredKeyIsReducedWithSha256) {
  std::string bytes;
  for (int i = 0; i < 48; ++i) bytes.push_back(static_cast<char>(i * 5 + 1));
  Key key = load_or_create_key(config_, "links", config::Secret(hex_encode(bytes), "file f"));
  // SHA-256 of those 48 bytes, computed independently (Python's hashlib).
  EXPECT_EQ(hex_encode(bytes_of(key)), "f38026b6158c2214cd995125c424ade0aa543d8e2f96b45ab249dcd4a15a758e");
}

TEST_F(Keys, ShortKeyIsRefusedWithAClearError) {
  std::string value = "00112233445566778899aabbccddeeff";  // 16 bytes
  std::string message = error_of(config::Secret(value, "environment variable MAILPRUNE_LINK_KEY"));
  EXPECT_NE(message.find("too short"), std::string::npos) << message;
  EXPECT_NE(message.find("16 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("at least 32"), std::string::npos) << message;
  EXPECT_NE(message.find("environment variable MAILPRUNE_LINK_KEY"), std::string::npos) << message;
  EXPECT_NE(message.find("openssl rand -hex 32"), std::string::npos) << message;
  EXPECT_EQ(message.find(value), std::string::npos) << "the key must not be echoed: " << message;
}

TEST_F(Keys, PassphraseAndPatternsAreRefused) {
  std::string passphrase = error_of(config::Secret("correct horse battery staple!", "file /etc/k"));
  EXPECT_NE(passphrase.find("neither hex nor base64"), std::string::npos) << passphrase;
  EXPECT_EQ(passphrase.find("correct horse"), std::string::npos);

  std::string zeros = error_of(config::Secret(std::string(64, '0'), "file /etc/k"));
  EXPECT_NE(zeros.find("does not look random"), std::string::npos) << zeros;
  std::string pattern = error_of(config::Secret(std::string(32, 'a') + std::string(32, 'b'), "file /etc/k"));
  EXPECT_NE(pattern.find("does not look random"), std::string::npos) << pattern;
}

TEST_F(Keys, KeyFileReadableByOthersIsRefused) {
  load_or_create_key(config_, "links", {});
  fs::path file = key_file_path(config_, "links");
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  std::string message = error_of({});
  EXPECT_NE(message.find("chmod 600"), std::string::npos) << message;
}

TEST_F(Keys, DamagedKeyFileIsRefusedNotReplaced) {
  load_or_create_key(config_, "links", {});
  fs::path file = key_file_path(config_, "links");
  {
    std::ofstream out(file, std::ios::trunc);
    out << "not a key\n";
  }
  std::string message = error_of({});
  EXPECT_NE(message.find("damaged"), std::string::npos) << message;
  EXPECT_EQ(read(file), "not a key\n");
}

TEST_F(Keys, KeysFolderWritableByOthersIsRefused) {
  fs::create_directories(fs::path(config_.data_dir) / "keys");
  ASSERT_EQ(::chmod((fs::path(config_.data_dir) / "keys").c_str(), 0777), 0);
  std::string message = error_of({});
  EXPECT_NE(message.find("writable by others"), std::string::npos) << message;
}

TEST_F(Keys, InvalidNamesAreRefused) {
  EXPECT_THROW(load_or_create_key(config_, "../x", {}), KeyError);
  EXPECT_THROW(load_or_create_key(config_, "", {}), KeyError);
  EXPECT_THROW(load_or_create_key(config_, "Links", {}), KeyError);
}

}  // namespace
}  // namespace mailprune::security
