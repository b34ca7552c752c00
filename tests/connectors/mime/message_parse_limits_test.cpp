// parse_message() on inputs that once made GMime misbehave: each runs in a forked child under an
// address-space limit and an alarm, so a regression fails the test instead of the machine.
// tests/fuzz/findings/mime-gmime-param-encode-oom: a multipart Content-Type without a boundary
// whose 70-byte parameter name (once converted to UTF-8) sent GMime's parameter re-encoding into
// an endless loop (message_parse.cpp, parameter_name_error()).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <string>

#include "mime/message_parse.hpp"

namespace mailprune::mime {
namespace {

enum ChildOutcome { limit_error = 10, parsed = 11, other_error = 12 };

#if defined(__SANITIZE_ADDRESS__)
constexpr bool address_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool address_sanitizer = true;
#else
constexpr bool address_sanitizer = false;
#endif
#else
constexpr bool address_sanitizer = false;
#endif

// Parses `raw` in a child limited to 512 MiB of address space (not under ASan, which reserves
// terabytes of it) and 20 s; returns its wait status.
int parse_in_child(const std::string& raw, const ParseLimits& limits) {
  const pid_t child = fork();
  if (child == 0) {
    if (!address_sanitizer) {
      rlimit memory{};
      memory.rlim_cur = 512ul * 1024 * 1024;
      memory.rlim_max = 512ul * 1024 * 1024;
      setrlimit(RLIMIT_AS, &memory);
    }
    alarm(20);
    const ParseResult result = parse_message(raw, limits);
    if (result.ok()) _exit(parsed);
    _exit(result.error.find("max_parameter_name_bytes") != std::string::npos ? limit_error : other_error);
  }
  int status = 0;
  EXPECT_EQ(waitpid(child, &status, 0), child);
  return status;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void expect_exit(int status, ChildOutcome outcome) {
  ASSERT_TRUE(WIFEXITED(status)) << (WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                                         : "stopped");
  EXPECT_EQ(WEXITSTATUS(status), outcome);
}

TEST(ParseLimitsGMime, FuzzFindingParamEncodeOomIsRefusedWithinBoundedMemory) {
  const std::string raw = read_file(MAILPRUNE_FUZZ_FINDINGS_DIR "/mime-gmime-param-encode-oom");
  ASSERT_EQ(raw.size(), 377u);
  expect_exit(parse_in_child(raw, {}), limit_error);
  const ParseResult result = parse_message(raw);  // bounded, as the child showed
  EXPECT_TRUE(result.error.starts_with("Content-Type parameter name at byte ")) << result.error;
  EXPECT_TRUE(
      result.error.ends_with(" exceeds the limit of 64 bytes (max_parameter_name_bytes, 8-bit bytes counted as 3)"))
      << result.error;
}

TEST(ParseLimitsGMime, FuzzFindingParsesWhenTheNameLimitIsLifted) {
  // The second line of defence: parse_message() never makes GMime re-encode a parameter list.
  const std::string raw = read_file(MAILPRUNE_FUZZ_FINDINGS_DIR "/mime-gmime-param-encode-oom");
  ParseLimits limits;
  limits.max_parameter_name_bytes = 1000;
  expect_exit(parse_in_child(raw, limits), parsed);
}

std::string multipart_without_boundary(std::size_t name_length, std::string_view field = "Content-Type") {
  return "From: a@example.com\r\nMIME-Version: 1.0\r\n" + std::string(field) + ": multipart/mixed; " +
         std::string(name_length, 'n') + "=\"caf\xC3\xA9 " + std::string(100, 'v') + "\"\r\n\r\nbody\r\n";
}

TEST(ParseLimitsGMime, EveryDangerousNameLengthIsHarmless) {
  ParseLimits lifted;
  lifted.max_parameter_name_bytes = 1000;
  for (std::size_t length = 66; length <= 72; ++length) {
    SCOPED_TRACE(length);
    expect_exit(parse_in_child(multipart_without_boundary(length), lifted), parsed);
    expect_exit(parse_in_child(multipart_without_boundary(length), {}), limit_error);
  }
}

TEST(ParseLimitsGMime, NameLimitBoundaries) {
  EXPECT_TRUE(parse_message(multipart_without_boundary(64)).ok());
  EXPECT_FALSE(parse_message(multipart_without_boundary(65)).ok());
  const std::string disposition =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Disposition : attachment;\r\n " +
      std::string(30, 'x') + std::string(12, '\xB5') + "=1\r\n\r\nx\r\n--b--\r\n";
  const ParseResult refused = parse_message(disposition);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error.find("Content-Disposition parameter name"), std::string::npos) << refused.error;
  // Quoted values and many short parameters are fine.
  std::string many = "Content-Type: text/plain; a=\"" + std::string(200, 'q') + ";" + std::string(80, 'z') + "=\"";
  for (int i = 0; i < 1000; ++i) many += "; p" + std::to_string(i) + "=v";
  many += "\r\n\r\nbody\r\n";
  EXPECT_TRUE(parse_message(many).ok()) << parse_message(many).error;
}

}  // namespace
}  // namespace mailprune::mime
