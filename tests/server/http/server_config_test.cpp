// The [server] section of the configuration: defaults, values, and the errors it reports.
#include <gtest/gtest.h>

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

TEST(ServerConfig, DefaultsWithoutASection) {
  Config config = parse_config("", "t.toml");
  EXPECT_EQ(config.server.listen, std::vector<std::string>{"127.0.0.1:8080"});
  EXPECT_EQ(config.server.threads, 2);
  EXPECT_TRUE(config.server.tls_cert_file.empty());
  EXPECT_EQ(config.server.header_timeout_seconds, 10);
  EXPECT_EQ(config.server.max_header_bytes, 8192);
  EXPECT_EQ(config.server.max_body_bytes, 1048576);
}

TEST(ServerConfig, ReadsEveryKey) {
  Config config = parse_config(R"([server]
listen = ["0.0.0.0:80", "[::]:80", "[::1]:0"]
threads = 4
tls_cert_file = "cert.pem"
tls_key_file = "/etc/mailprune/key.pem"
header_timeout_seconds = 5
body_timeout_seconds = 6
idle_timeout_seconds = 7
write_timeout_seconds = 8
shutdown_timeout_seconds = 0
max_header_bytes = 16384
max_body_bytes = 0
max_requests_per_connection = 3
trusted_proxies = ["127.0.0.1", "::1"]
)",
                               "/etc/mailprune/mailprune.toml");
  EXPECT_EQ(config.server.listen.size(), 3u);
  EXPECT_EQ(config.server.threads, 4);
  EXPECT_EQ(config.server.tls_cert_file, "/etc/mailprune/cert.pem") << "relative to the file's folder";
  EXPECT_EQ(config.server.tls_key_file, "/etc/mailprune/key.pem");
  EXPECT_EQ(config.server.header_timeout_seconds, 5);
  EXPECT_EQ(config.server.body_timeout_seconds, 6);
  EXPECT_EQ(config.server.idle_timeout_seconds, 7);
  EXPECT_EQ(config.server.write_timeout_seconds, 8);
  EXPECT_EQ(config.server.shutdown_timeout_seconds, 0);
  EXPECT_EQ(config.server.max_header_bytes, 16384);
  EXPECT_EQ(config.server.max_body_bytes, 0);
  EXPECT_EQ(config.server.max_requests_per_connection, 3);
  EXPECT_EQ(config.server.trusted_proxies.size(), 2u);
  std::string rendered = render_effective_config(config);
  EXPECT_NE(rendered.find("listen = [\"0.0.0.0:80\", \"[::]:80\", \"[::1]:0\"]"), std::string::npos) << rendered;
}

TEST(ServerConfig, BadValuesAreErrorsNamingTheKey) {
  auto errors = errors_of(R"([server]
listen = ["localhost:8080", "127.0.0.1", "[::1]8080", "127.0.0.1:99999", "[::1]:80"]
tls_cert_file = "cert.pem"
threads = 0
trusted_proxies = ["proxy.example"]
max_header_bytes = 10
)");
  ASSERT_EQ(errors.size(), 8u);
  int listen = 0;
  for (const auto& e : errors) {
    if (e.key == "server.listen") ++listen;
  }
  EXPECT_EQ(listen, 4);
  auto has = [&](const std::string& key) {
    for (const auto& e : errors) {
      if (e.key == key) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("server.tls_key_file"));
  EXPECT_TRUE(has("server.threads"));
  EXPECT_TRUE(has("server.trusted_proxies"));
  EXPECT_TRUE(has("server.max_header_bytes"));
  EXPECT_TRUE(errors_of("[server]\nlistne = []\n").size() == 1) << "unknown keys are errors";
}

}  // namespace
}  // namespace mailprune::config
