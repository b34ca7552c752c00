// [[source]] tables and the agents CSV file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/agents_csv.hpp"
#include "config/loader.hpp"

namespace mailprune::config {
namespace {

namespace fs = std::filesystem;

class SourceConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("MAILPRUNE_TEST_IMAP_PW", "imap-secret", 1); }
  void TearDown() override { ::unsetenv("MAILPRUNE_TEST_IMAP_PW"); }
};

TEST_F(SourceConfigTest, DefaultsFollowTheTlsMode) {
  Config config = parse_config(
      "[[source]]\nname = \"a\"\nhost = \"imap.example\"\nuser = \"admin\"\npassword_env = \"MAILPRUNE_TEST_IMAP_PW\"\n"
      "[[source]]\nname = \"b\"\nhost = \"imap2.example\"\ntls = \"starttls\"\nuser = \"admin\"\n"
      "password_env = \"MAILPRUNE_TEST_IMAP_PW\"\nmailboxes = [\"alice\", \"bob\"]\nlogin_as = \"authzid\"\n",
      "s.toml");
  ASSERT_EQ(config.sources.size(), 2u);
  EXPECT_EQ(config.sources[0].port, 993);
  EXPECT_EQ(config.sources[0].tls, TlsMode::implicit);
  EXPECT_TRUE(config.sources[0].tls_verify);
  EXPECT_EQ(config.sources[0].max_connections, 4);
  EXPECT_EQ(config.sources[1].port, 143);
  EXPECT_EQ(config.sources[1].login_as, LoginAs::authzid);
  ASSERT_EQ(config.sources[1].mailboxes.size(), 2u);
  EXPECT_EQ(config.sources[1].mailboxes[1].address, "bob");
  EXPECT_EQ(config.sources[1].mailboxes[1].language, "fr");
  EXPECT_EQ(config.sources[0].password.reveal(), "imap-secret");
  std::string rendered = render_effective_config(config);
  EXPECT_EQ(rendered.find("imap-secret"), std::string::npos);
  EXPECT_NE(rendered.find("[[source]]"), std::string::npos);
}

TEST_F(SourceConfigTest, CatenateIsOnUnlessTurnedOff) {
  Config config = parse_config(
      "[[source]]\nname = \"a\"\nhost = \"imap.example\"\nuser = \"admin\"\npassword_env = \"MAILPRUNE_TEST_IMAP_PW\"\n"
      "[[source]]\nname = \"b\"\nhost = \"imap.example\"\nuser = \"admin\"\npassword_env = \"MAILPRUNE_TEST_IMAP_PW\"\n"
      "catenate = false\n",
      "s.toml");
  ASSERT_EQ(config.sources.size(), 2u);
  EXPECT_TRUE(config.sources[0].catenate);
  EXPECT_FALSE(config.sources[1].catenate);
  EXPECT_NE(render_effective_config(config).find("catenate = false"), std::string::npos);
}

TEST_F(SourceConfigTest, ErrorsNameTheSourceIndex) {
  try {
    parse_config(
        "[[source]]\nname = \"a\"\nhost = \"h\"\nuser = \"u\"\npassword_env = \"MAILPRUNE_TEST_IMAP_PW\"\n"
        "[[source]]\nname = \"a\"\nhost = \"h\"\nuser = \"u\"\nmax_conections = 3\n",
        "s.toml");
    FAIL() << "expected errors";
  } catch (const ConfigException& e) {
    std::string all = e.what();
    EXPECT_NE(all.find("s.toml:7: key 'source[1].name': another [[source]] is already named \"a\""), std::string::npos)
        << all;
    EXPECT_NE(all.find("key 'source[1].max_conections': unknown key (did you mean 'source[1].max_connections'?)"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("key 'source[1].password_env': a secret is required"), std::string::npos) << all;
  }
}

TEST_F(SourceConfigTest, MailboxesFileIsRelativeToTheConfigFile) {
  fs::path dir = fs::temp_directory_path() / ("mp-src-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "agents.csv") << "address,display_name,team,language\r\n"
                                       "alice@example.org,\"Martin, Alice\",DRH,fr\r\n"
                                       "bob@example.org,Bob,DSI,EN\r\n";
  std::ofstream(dir / "m.toml") << "[[source]]\nname = \"a\"\nhost = \"h\"\nuser = \"u\"\n"
                                   "password_env = \"MAILPRUNE_TEST_IMAP_PW\"\nmailboxes_file = \"agents.csv\"\n";
  Config config = load_config((dir / "m.toml").string());
  fs::remove_all(dir);
  ASSERT_EQ(config.sources.size(), 1u);
  ASSERT_EQ(config.sources[0].mailboxes.size(), 2u);
  EXPECT_EQ(config.sources[0].mailboxes[0].display_name, "Martin, Alice");
  EXPECT_EQ(config.sources[0].mailboxes[0].team, "DRH");
  EXPECT_EQ(config.sources[0].mailboxes[1].language, "en");
}

struct CsvCase {
  const char* name;
  const char* text;
  std::size_t agents;
  int error_line;  // 0: no error expected
  const char* message_part;
};

class AgentsCsv : public ::testing::TestWithParam<CsvCase> {};

TEST_P(AgentsCsv, Parses) {
  const CsvCase& c = GetParam();
  std::vector<ConfigError> errors;
  auto agents = parse_agents_csv(c.text, "agents.csv", errors);
  EXPECT_EQ(agents.size(), c.agents);
  if (c.error_line == 0) {
    EXPECT_TRUE(errors.empty()) << errors[0].to_string();
  } else {
    ASSERT_FALSE(errors.empty());
    EXPECT_EQ(errors[0].line, c.error_line) << errors[0].to_string();
    EXPECT_NE(errors[0].message.find(c.message_part), std::string::npos) << errors[0].message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, AgentsCsv,
    ::testing::Values(CsvCase{"excel_bom_crlf",
                              "\xEF\xBB\xBF"
                              "address,team\r\na@x,T1\r\nb@x,T2\r\n",
                              2, 0, ""},
                      CsvCase{"columns_any_order", "team,address\nT1,a@x\n", 1, 0, ""},
                      CsvCase{"quoted_comma_and_quote", "address,display_name\na@x,\"Dupont, \"\"Jo\"\"\"\n", 1, 0, ""},
                      CsvCase{"quoted_newline_counts_lines", "address,display_name\na@x,\"two\nlines\"\nb@x,,\n", 1, 4,
                              "3 field(s)"},
                      CsvCase{"blank_lines_skipped", "address\n\na@x\n\n", 1, 0, ""},
                      CsvCase{"unknown_column", "address,equipe\n", 0, 1, "unknown column 'equipe'"},
                      CsvCase{"no_address_column", "team\nT\n", 0, 1, "no 'address' column"},
                      CsvCase{"bad_language", "address,language\na@x,de\nb@x,fr\n", 1, 2, "not fr or en"},
                      CsvCase{"duplicate_address", "address\na@x\na@x\n", 1, 3, "appears twice"},
                      CsvCase{"empty_file", "", 0, 1, "empty file"}),
    [](const auto& row) { return std::string(row.param.name); });

}  // namespace
}  // namespace mailprune::config

namespace mailprune::config {
namespace {

TEST_F(SourceConfigTest, EwsSourceWithNtlmAndImpersonation) {
  Config config = parse_config(
      "[[source]]\nname = \"exchange\"\nkind = \"ews\"\nurl = \"https://mail.example.org/EWS/Exchange.asmx\"\n"
      "user = \"svc-mailprune\"\npassword_env = \"MAILPRUNE_TEST_IMAP_PW\"\nmax_connections = 2\n",
      "e.toml");
  ASSERT_EQ(config.sources.size(), 1u);
  const SourceConfig& s = config.sources[0];
  EXPECT_EQ(s.kind, "ews");
  EXPECT_EQ(s.ews_auth, EwsAuth::ntlm);
  EXPECT_TRUE(s.impersonation);
  EXPECT_EQ(s.server_version, "Exchange2013_SP1");
  EXPECT_EQ(s.max_connections, 2);
  EXPECT_EQ(s.password.reveal(), "imap-secret");
  EXPECT_EQ(render_effective_config(config).find("imap-secret"), std::string::npos);
}

TEST_F(SourceConfigTest, EwsOauth2NeedsItsKeysAndRejectsImapOnes) {
  try {
    parse_config(
        "[[source]]\nname = \"x\"\nkind = \"ews\"\nurl = \"https://h/EWS/Exchange.asmx\"\nauth = \"oauth2\"\n"
        "host = \"imap.example\"\n",
        "o.toml");
    FAIL() << "expected errors";
  } catch (const ConfigException& e) {
    std::string all = e.what();
    EXPECT_NE(all.find("key 'source[0].token_url': is required"), std::string::npos) << all;
    EXPECT_NE(all.find("key 'source[0].client_id': is required"), std::string::npos) << all;
    EXPECT_NE(all.find("key 'source[0].client_secret_env': a secret is required"), std::string::npos) << all;
    EXPECT_NE(all.find("o.toml:6: key 'source[0].host': unknown key"), std::string::npos) << all;
  }
}

}  // namespace
}  // namespace mailprune::config
