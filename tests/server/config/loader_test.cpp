// Configuration loading: every error names file, line and key; secrets never leak.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/loader.hpp"

namespace mailprune::config {
namespace {

namespace fs = std::filesystem;

std::vector<ConfigError> errors_of(const std::string& text) {
  try {
    parse_config(text, "test.toml");
  } catch (const ConfigException& e) {
    return e.errors();
  }
  return {};
}

// A unique name per test so tests can run in parallel.
std::string unique(const std::string& stem) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return stem + "_" + info->name() + "_" + std::to_string(::getpid());
}

struct ErrorCase {
  const char* name;
  const char* text;
  int line;
  const char* key;
  const char* message_part;
};

class ConfigErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrors, NameFileLineAndKey) {
  const ErrorCase& c = GetParam();
  auto errors = errors_of(c.text);
  ASSERT_EQ(errors.size(), 1u) << c.text;
  EXPECT_EQ(errors[0].file, "test.toml");
  EXPECT_EQ(errors[0].line, c.line);
  EXPECT_EQ(errors[0].key, c.key);
  EXPECT_NE(errors[0].message.find(c.message_part), std::string::npos) << errors[0].message;
  EXPECT_NE(errors[0].to_string().find(std::string("test.toml:") + std::to_string(c.line)), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigErrors,
    ::testing::Values(
        ErrorCase{"misspelt_section", "data_dir = \"/x\"\n\n[databse]\nurl = \"\"\n", 3, "databse",
                  "did you mean 'database'"},
        ErrorCase{"misspelt_key", "[database]\nulr = \"host=x\"\n", 2, "database.ulr", "did you mean 'database.url'"},
        ErrorCase{"unknown_key_far_from_any", "[log]\ncolour = true\n", 2, "log.colour", "unknown key"},
        ErrorCase{"wrong_type_string", "data_dir = 42\n", 1, "data_dir", "must be a string, not an integer"},
        ErrorCase{"wrong_type_table", "log = \"loud\"\n", 1, "log", "must be a table"},
        ErrorCase{"bad_choice", "[log]\nformat = \"xml\"\n", 2, "log.format", "not one of"},
        ErrorCase{"missing_secret_env",
                  "[database]\nurl = \"host=db\"\npassword_env = \"MAILPRUNE_TEST_SURELY_UNSET\"\n", 3,
                  "database.password_env", "MAILPRUNE_TEST_SURELY_UNSET is not set"},
        ErrorCase{"missing_secret_file", "[database]\npassword_file = \"/nonexistent/secret\"\n", 2,
                  "database.password_file", "cannot read secret file"},
        ErrorCase{"inline_secret", "[database]\npassword = \"s3cret-inline\"\n", 2, "database.password",
                  "not accepted inline"},
        ErrorCase{"password_in_url", "[database]\nurl = \"postgresql://u:pw@db/x\"\n", 2, "database.url",
                  "must not contain a password"},
        ErrorCase{"not_toml", "[database\nurl=1\n", 1, "", "not valid TOML"}),
    [](const auto& row) { return std::string(row.param.name); });

TEST(Config, EmptyFileGivesDefaults) {
  Config config = parse_config("", "empty.toml");
  EXPECT_EQ(config.log.level, "info");
  EXPECT_EQ(config.log.format, LogFormat::automatic);
  EXPECT_TRUE(config.database.url.empty());
  EXPECT_EQ(config.data_dir, default_data_dir());
  EXPECT_EQ(config.source_path, "empty.toml");
}

TEST(Config, AllErrorsReportedSortedByLine) {
  auto errors = errors_of("[log]\nlevel = \"loud\"\n[database]\nurl = 3\nbogus = 1\n");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[1].line, 4);
  EXPECT_EQ(errors[2].line, 5);
}

TEST(Config, SecretFromEnvironmentIsReadButNeverRendered) {
  const std::string variable = unique("MAILPRUNE_TEST_PW");
  const std::string value = "pw-" + unique("marker");
  ::setenv(variable.c_str(), value.c_str(), 1);
  Config config =
      parse_config("[database]\nurl = \"host=db.example dbname=mp\"\npassword_env = \"" + variable + "\"\n", "t.toml");
  ::unsetenv(variable.c_str());
  EXPECT_EQ(config.database.password.reveal(), value);
  std::string rendered = render_effective_config(config);
  EXPECT_EQ(rendered.find(value), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("***"), std::string::npos);
  EXPECT_NE(rendered.find(variable), std::string::npos);  // where it comes from is fine to show
  EXPECT_EQ(fmt::format("{}", config.database.password), "***");
}

TEST(Config, SecretFromFileDropsTrailingNewline) {
  fs::path path = fs::temp_directory_path() / unique("secret");
  {
    std::ofstream out(path);
    out << "from-file\n";
  }
  Config config = parse_config("[database]\npassword_file = \"" + path.string() + "\"\n", "t.toml");
  fs::remove(path);
  EXPECT_EQ(config.database.password.reveal(), "from-file");
}

TEST(Config, BothEnvAndFileIsAnError) {
  ::setenv("MAILPRUNE_TEST_BOTH", "x", 1);
  auto errors = errors_of("[database]\npassword_env = \"MAILPRUNE_TEST_BOTH\"\npassword_file = \"/etc/hostname\"\n");
  ::unsetenv("MAILPRUNE_TEST_BOTH");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "database.password_file");
}

TEST(Config, InlineSecretValueIsNotEchoed) {
  auto errors = errors_of("[database]\npassword = \"do-not-echo-me\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string().find("do-not-echo-me"), std::string::npos);
}

TEST(Config, LookupOrderExplicitThenEnvironment) {
  fs::path dir = fs::temp_directory_path() / unique("lookup");
  fs::create_directories(dir);
  fs::path a = dir / "a.toml";
  fs::path b = dir / "b.toml";
  std::ofstream(a) << "";
  std::ofstream(b) << "";
  ::setenv("MAILPRUNE_CONFIG", b.c_str(), 1);
  EXPECT_EQ(locate_config_file(a.string()), a.string());
  EXPECT_EQ(locate_config_file(""), b.string());
  ::setenv("MAILPRUNE_CONFIG", (dir / "missing.toml").c_str(), 1);
  EXPECT_THROW(locate_config_file(""), ConfigException);
  ::unsetenv("MAILPRUNE_CONFIG");
  EXPECT_THROW(locate_config_file((dir / "missing.toml").string()), ConfigException);
  // ./mailprune.toml comes next.
  fs::path old = fs::current_path();
  fs::current_path(dir);
  std::ofstream(dir / "mailprune.toml") << "";
  EXPECT_EQ(locate_config_file(""), "./mailprune.toml");
  fs::current_path(old);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mailprune::config

namespace mailprune::config {
namespace {

// config/mailprune.example.toml documents every key with its default: it must load, and give
// exactly what no file at all gives.
TEST(Config, ExampleFileLoadsAndMatchesBuiltInDefaults) {
  Config example = load_config(MAILPRUNE_EXAMPLE_CONFIG);
  Config defaults = load_config("");
  EXPECT_EQ(example.data_dir, defaults.data_dir);
  EXPECT_EQ(example.log.level, defaults.log.level);
  EXPECT_EQ(example.log.format, defaults.log.format);
  EXPECT_EQ(example.database.url, defaults.database.url);
  EXPECT_EQ(example.database.postgres_bindir, defaults.database.postgres_bindir);
  EXPECT_EQ(example.database.embedded_account, defaults.database.embedded_account);
  // Every key the effective configuration shows appears in the example.
  std::ifstream in(MAILPRUNE_EXAMPLE_CONFIG);
  std::stringstream text;
  text << in.rdbuf();
  std::istringstream rendered(render_effective_config(defaults));
  for (std::string line; std::getline(rendered, line);) {
    auto eq = line.find(" = ");
    if (line.empty() || line[0] == '#' || line[0] == '[' || eq == std::string::npos) continue;
    EXPECT_NE(text.str().find(line.substr(0, eq + 3)), std::string::npos) << "example lacks " << line;
  }
}

}  // namespace
}  // namespace mailprune::config
