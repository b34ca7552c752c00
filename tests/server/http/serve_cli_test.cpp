// `mailprune serve` as users run it: a child process with a configuration, answering /healthz,
// stopping with exit 0 on SIGTERM; the embedded PostgreSQL, and an external one that goes away.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "harness/logged_child.hpp"
#include "harness/postgres_server.hpp"
#include "harness/temp_dir.hpp"
#include "http/raw_client.hpp"
#include "platform/process.hpp"

namespace mailprune::testing {
namespace {

using namespace std::chrono_literals;

// A `mailprune serve` child whose output goes to <dir>/serve.log.
class ServeProcess : public test::LoggedChild {
 public:
  ServeProcess(const std::string& dir, const std::vector<std::string>& args, std::vector<std::string> env = {})
      : LoggedChild(dir + "/serve.log", with_binary(args), std::move(env)) {}

 private:
  static std::vector<std::string> with_binary(const std::vector<std::string>& args) {
    std::vector<std::string> argv{MAILPRUNE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
};

TEST(Serve, EmbeddedDatabaseHealthzThenExitZeroOnSigterm) {
  test::TempDir dir("serve");
  std::string data = dir / "data";
  std::string config = dir / "mailprune.toml";
  std::ofstream(config) << "data_dir = \"" << data << "\"\n[server]\nlisten = [\"127.0.0.1:1\"]\n";

  // --listen replaces the configured address (port 1 would need root and is not ours).
  ServeProcess serve(dir.path(), {"--config", config, "--log-format", "text", "serve", "--listen", "127.0.0.1:0"});
  std::uint16_t port = serve.wait_for_port();
  ASSERT_NE(port, 0) << serve.log();

  RawResponse health = fetch(port, get_request("/healthz"));
  EXPECT_EQ(health.status, 200) << serve.log();
  EXPECT_NE(health.body.find("\"database\":\"reachable\""), std::string::npos) << health.body;
  EXPECT_NE(health.body.find("\"version\":\""), std::string::npos) << health.body;
  EXPECT_EQ(health.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(fetch(port, get_request("/nothing")).status, 404);
  RawResponse archive = fetch(port, get_request("/archive/1/00/x.pdf?e=0&s=AAAA"));
  EXPECT_GE(archive.status, 400) << "the archive route answers (a bad link is refused)";
  EXPECT_LT(archive.status, 500) << archive.body;

  ASSERT_EQ(::kill(serve.process().pid(), SIGTERM), 0);
  auto status = serve.process().wait_for(30s);
  ASSERT_TRUE(status.has_value()) << serve.log();
  EXPECT_EQ(*status, 0) << serve.log();
  std::string log = serve.log();
  EXPECT_NE(log.find("GET /healthz 200"), std::string::npos) << log;
  EXPECT_NE(log.find("GET /archive/… "), std::string::npos) << log;
  EXPECT_EQ(log.find("s=AAAA"), std::string::npos) << "no query string in the log";
  EXPECT_NE(log.find("SIGTERM"), std::string::npos) << log;

  // serve leaves the embedded cluster running; the next one-shot command is its last user and stops it.
  EXPECT_TRUE(std::filesystem::exists(data + "/postgres/postmaster.pid"));
  auto status_run = platform::run({MAILPRUNE_BINARY, "--config", config, "db", "status"});
  EXPECT_EQ(status_run.exit_code, 0) << status_run.output;
  EXPECT_FALSE(std::filesystem::exists(data + "/postgres/postmaster.pid")) << "cluster left running";
}

TEST(Serve, HealthzSays503WhenTheDatabaseGoesAway) {
  test::PostgresServer postgres;
  std::string url = postgres.create_database();
  // The URL carries the password: pass it through the environment as users do.
  std::string password = postgres.password();
  std::string bare = "postgresql://" + postgres.superuser() + "@127.0.0.1:" + std::to_string(postgres.port()) + "/" +
                     url.substr(url.rfind('/') + 1);
  test::TempDir dir("serve-ext");
  std::string config = dir / "mailprune.toml";
  std::ofstream(config) << "data_dir = \"" << (dir / "data") << "\"\n[database]\nurl = \"" << bare
                        << "?connect_timeout=3\"\npassword_env = \"MAILPRUNE_TEST_SERVE_PASSWORD\"\n"
                        << "[server]\nlisten = [\"127.0.0.1:0\"]\nshutdown_timeout_seconds = 5\n";
  ServeProcess serve(dir.path(), {"--config", config, "--log-format", "text", "serve"},
                     {"MAILPRUNE_TEST_SERVE_PASSWORD=" + password});
  std::uint16_t port = serve.wait_for_port();
  ASSERT_NE(port, 0) << serve.log();
  EXPECT_EQ(fetch(port, get_request("/healthz")).status, 200) << serve.log();

  postgres.stop();
  std::this_thread::sleep_for(1100ms);  // past the one-second health cache
  RawResponse down = fetch(port, get_request("/healthz"), 20s);
  EXPECT_EQ(down.status, 503) << serve.log();
  EXPECT_NE(down.body.find("\"database\":\"unreachable\""), std::string::npos) << down.body;

  ASSERT_EQ(::kill(serve.process().pid(), SIGINT), 0);
  auto status = serve.process().wait_for(30s);
  ASSERT_TRUE(status.has_value()) << serve.log();
  EXPECT_EQ(*status, 0) << serve.log();
}

TEST(Serve, BadListenAddressIsAUsageError) {
  test::TempDir dir("serve-bad");
  std::string config = dir / "mailprune.toml";
  std::ofstream(config) << "data_dir = \"" << (dir / "data") << "\"\n";
  auto result = platform::run({MAILPRUNE_BINARY, "--config", config, "serve", "--listen", "localhost:8080"});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("localhost:8080"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "data/postgres")) << "nothing started for a usage error";

  auto help = platform::run({MAILPRUNE_BINARY, "serve", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--listen"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("/healthz"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("SIGTERM"), std::string::npos) << help.output;
}

}  // namespace
}  // namespace mailprune::testing
