// The [smtp] section of mailprune.toml: defaults, a full valid section, every error with its key,
// secrets kept out of errors and `config check`, and the example file matching the defaults.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

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

bool has_error(const std::vector<ConfigError>& errors, const std::string& key) {
  for (const auto& e : errors) {
    if (e.key == key) return true;
  }
  return false;
}

std::string keys_of(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.to_string() + "\n";
  return out;
}

TEST(SmtpConfig, Defaults) {
  const Config config = load_config("");
  EXPECT_EQ(config.smtp.url, "smtp://127.0.0.1:25");
  EXPECT_EQ(config.smtp.tls, SmtpTls::starttls);
  EXPECT_EQ(config.smtp.user, "");
  EXPECT_TRUE(config.smtp.password.empty());
  EXPECT_EQ(config.smtp.from, "mailprune <mailprune@localhost>");
  EXPECT_EQ(config.smtp.reply_to, "");
  EXPECT_EQ(config.smtp.ca_file, "");
  EXPECT_TRUE(config.smtp.tls_verify);
  EXPECT_EQ(config.smtp.timeout_seconds, 60);
  EXPECT_EQ(config.smtp.rate_per_minute, 60);
}

TEST(SmtpConfig, FullSection) {
  ::setenv("MAILPRUNE_TEST_SMTP_PASSWORD", "smtp-secret-value", 1);
  const Config config = parse_config(
      "[smtp]\n"
      "url = \"smtps://smtp.departement.example:465\"\n"
      "tls = \"implicit\"\n"
      "user = \"mailprune\"\n"
      "password_env = \"MAILPRUNE_TEST_SMTP_PASSWORD\"\n"
      "from = \"Direction du numérique <dsi@departement.example>\"\n"
      "reply_to = \"support@departement.example\"\n"
      "ca_file = \"/etc/ssl/certs/ca-certificates.crt\"\n"
      "tls_verify = false\n"
      "timeout_seconds = 20\n"
      "rate_per_minute = 0\n",
      "t.toml");
  ::unsetenv("MAILPRUNE_TEST_SMTP_PASSWORD");
  EXPECT_EQ(config.smtp.url, "smtps://smtp.departement.example:465");
  EXPECT_EQ(config.smtp.tls, SmtpTls::implicit);
  EXPECT_EQ(config.smtp.password.reveal(), "smtp-secret-value");
  EXPECT_EQ(config.smtp.from, "Direction du numérique <dsi@departement.example>");
  EXPECT_FALSE(config.smtp.tls_verify);
  EXPECT_EQ(config.smtp.timeout_seconds, 20);
  EXPECT_EQ(config.smtp.rate_per_minute, 0);
  const std::string rendered = render_effective_config(config);
  EXPECT_NE(rendered.find("[smtp]\nurl = \"smtps://smtp.departement.example:465\"\ntls = \"implicit\""),
            std::string::npos)
      << rendered;
  EXPECT_NE(rendered.find("# password = \"***\"  (from"), std::string::npos) << rendered;
  EXPECT_EQ(rendered.find("smtp-secret-value"), std::string::npos) << rendered;

  EXPECT_EQ(parse_config("[smtp]\ntls = \"opportunistic\"\n", "t.toml").smtp.tls, SmtpTls::opportunistic);
  EXPECT_EQ(parse_config("[smtp]\ntls = \"none\"\n", "t.toml").smtp.tls, SmtpTls::none);
}

TEST(SmtpConfig, EveryErrorNamesItsKey) {
  struct Case {
    const char* text;
    const char* key;
  };
  const Case cases[] = {
      {"[smtp]\nurl = \"http://mail.example.org\"\n", "smtp.url"},
      {"[smtp]\nurl = \"smtp://user:pw@mail.example.org\"\n", "smtp.url"},
      {"[smtp]\nurl = \"smtps://mail.example.org\"\n", "smtp.tls"},
      {"[smtp]\ntls = \"implicit\"\n", "smtp.url"},
      {"[smtp]\ntls = \"ssl\"\n", "smtp.tls"},
      {"[smtp]\nuser = \"mailprune\"\n", "smtp.password_env"},
      {"[smtp]\npassword_file = \"/etc/hostname\"\n", "smtp.user"},
      {"[smtp]\npassword = \"inline\"\n", "smtp.password"},
      {"[smtp]\nfrom = \"nobody\"\n", "smtp.from"},
      {"[smtp]\nfrom = \"a@b\\nBcc: x@y\"\n", "smtp.from"},
      {"[smtp]\nreply_to = \"support\"\n", "smtp.reply_to"},
      {"[smtp]\ntimeout_seconds = 0\n", "smtp.timeout_seconds"},
      {"[smtp]\nrate_per_minute = -1\n", "smtp.rate_per_minute"},
      {"[smtp]\ntls_verify = \"no\"\n", "smtp.tls_verify"},
      {"[smtp]\nhots = \"x\"\n", "smtp.hots"},
  };
  for (const auto& c : cases) {
    const auto errors = errors_of(c.text);
    EXPECT_TRUE(has_error(errors, c.key)) << c.text << "\ngot:\n" << keys_of(errors);
  }
  // The password in a URL is not echoed.
  for (const auto& e : errors_of("[smtp]\nurl = \"smtp://user:hunter2@mail.example.org\"\n")) {
    EXPECT_EQ(e.to_string().find("hunter2"), std::string::npos) << e.to_string();
  }
}

TEST(SmtpConfig, ExampleFileMatchesTheDefaults) {
  const Config example = load_config(MAILPRUNE_EXAMPLE_CONFIG);
  const Config defaults = load_config("");
  EXPECT_EQ(example.smtp.url, defaults.smtp.url);
  EXPECT_EQ(example.smtp.tls, defaults.smtp.tls);
  EXPECT_EQ(example.smtp.user, defaults.smtp.user);
  EXPECT_EQ(example.smtp.from, defaults.smtp.from);
  EXPECT_EQ(example.smtp.reply_to, defaults.smtp.reply_to);
  EXPECT_EQ(example.smtp.ca_file, defaults.smtp.ca_file);
  EXPECT_EQ(example.smtp.tls_verify, defaults.smtp.tls_verify);
  EXPECT_EQ(example.smtp.timeout_seconds, defaults.smtp.timeout_seconds);
  EXPECT_EQ(example.smtp.rate_per_minute, defaults.smtp.rate_per_minute);
}

}  // namespace
}  // namespace mailprune::config
