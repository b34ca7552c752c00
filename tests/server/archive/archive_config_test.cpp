// The [archive] section of the configuration: defaults, checks with file/line/key, the key secret.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "config/loader.hpp"

namespace mailprune::config {
namespace {

std::vector<ConfigError> errors_of(const std::string& text) {
  try {
    parse_config(text, "t.toml");
  } catch (const ConfigException& e) {
    return e.errors();
  }
  return {};
}

TEST(ArchiveConfig, Defaults) {
  Config config = parse_config("", "t.toml");
  EXPECT_EQ(config.archive.dir, "");
  EXPECT_EQ(config.archive.public_url, "http://localhost:8080");
  EXPECT_EQ(config.archive.link_valid_days, 0);
  EXPECT_TRUE(config.archive.link_key.empty());
  std::string rendered = render_effective_config(config);
  EXPECT_NE(rendered.find("[archive]\n"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("public_url = \"http://localhost:8080\""), std::string::npos) << rendered;
}

TEST(ArchiveConfig, ValuesAndKeyFromEnvironment) {
  ::setenv("MAILPRUNE_TEST_LINK_KEY", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 1);
  Config config = parse_config(
      "[archive]\ndir = \"/srv/mailprune/archive\"\npublic_url = \"https://mailprune.example.org/\"\n"
      "link_valid_days = 3650\nlink_key_env = \"MAILPRUNE_TEST_LINK_KEY\"\n",
      "t.toml");
  ::unsetenv("MAILPRUNE_TEST_LINK_KEY");
  EXPECT_EQ(config.archive.dir, "/srv/mailprune/archive");
  EXPECT_EQ(config.archive.public_url, "https://mailprune.example.org");  // trailing '/' dropped
  EXPECT_EQ(config.archive.link_valid_days, 3650);
  EXPECT_EQ(config.archive.link_key.reveal().size(), 64u);
  std::string rendered = render_effective_config(config);
  EXPECT_EQ(rendered.find("0123456789abcdef"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("link_key = \"***\"  (from environment variable MAILPRUNE_TEST_LINK_KEY)"), std::string::npos)
      << rendered;
}

TEST(ArchiveConfig, BadValuesAreErrorsWithTheirKey) {
  auto errors = errors_of(
      "[archive]\ndir = \"relative/archive\"\npublic_url = \"ftp://x\"\nlink_valid_days = -1\nlink_key = \"inline\"\n"
      "colour = 1\n");
  std::set<std::string> keys;
  for (const auto& e : errors) keys.insert(e.key);
  EXPECT_TRUE(keys.count("archive.dir")) << errors.size();
  EXPECT_TRUE(keys.count("archive.public_url"));
  EXPECT_TRUE(keys.count("archive.link_valid_days"));
  EXPECT_TRUE(keys.count("archive.link_key"));
  EXPECT_TRUE(keys.count("archive.colour"));
  for (const auto& e : errors) EXPECT_EQ(e.to_string().find("inline\""), std::string::npos) << e.to_string();
  auto query = errors_of("[archive]\npublic_url = \"https://h/?x=1\"\n");
  ASSERT_EQ(query.size(), 1u);
  EXPECT_EQ(query[0].key, "archive.public_url");
  EXPECT_EQ(query[0].line, 2);
}

}  // namespace
}  // namespace mailprune::config
