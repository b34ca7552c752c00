// JSON-lines logging: one valid object per line whatever the message holds.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "log/logging.hpp"

namespace mailprune::log {
namespace {

// Runs `body` with standard error sent to a file; returns what was written.
template <typename Body>
std::string capture_stderr(Body body) {
  char path[] = "/tmp/mailprune-log-XXXXXX";
  int fd = ::mkstemp(path);
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(fd, STDERR_FILENO);
  body();
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ::unlink(path);
  return text.str();
}

TEST(Logging, JsonLinesEscapeWhateverTheMessageHolds) {
  std::string out = capture_stderr([] {
    setup_logging("debug", config::LogFormat::json);
    spdlog::info("plain message");
    spdlog::warn("quotes \" backslash \\ newline \n tab \t and UTF-8 réunion");
    spdlog::debug("server said {}", std::string("* BAD \x01\x02 garbage \xff"));
    spdlog::trace("below the level: not written");
  });
  std::istringstream lines(out);
  std::vector<nlohmann::json> records;
  for (std::string line; std::getline(lines, line);) {
    ASSERT_NO_THROW(records.push_back(nlohmann::json::parse(line))) << line;
  }
  ASSERT_EQ(records.size(), 3u) << out;
  EXPECT_EQ(records[0]["level"], "info");
  EXPECT_EQ(records[0]["message"], "plain message");
  EXPECT_EQ(records[1]["level"], "warning");
  EXPECT_EQ(records[1]["message"], "quotes \" backslash \\ newline \n tab \t and UTF-8 réunion");
  EXPECT_EQ(records[2]["level"], "debug");
  for (const auto& r : records) {
    EXPECT_TRUE(r.contains("time"));
    EXPECT_EQ(r["time"].get<std::string>().back(), 'Z');
  }
  EXPECT_TRUE(json_logging());
}

TEST(Logging, TextFormatIsReadable) {
  std::string out = capture_stderr([] {
    setup_logging("info", config::LogFormat::text);
    spdlog::info("hello {}", 42);
  });
  EXPECT_NE(out.find("info"), std::string::npos) << out;
  EXPECT_NE(out.find("hello 42"), std::string::npos) << out;
  EXPECT_EQ(out.find('{'), std::string::npos) << out;
  EXPECT_FALSE(json_logging());
}

TEST(Logging, UnknownLevelIsRefused) {
  EXPECT_THROW(setup_logging("loud", config::LogFormat::text), std::invalid_argument);
}

}  // namespace
}  // namespace mailprune::log
