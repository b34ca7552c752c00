// `mailprune config check`, `db migrate`, `db status` as a user runs them.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/cli_test_support.hpp"
#include "db/migrations.hpp"

namespace mailprune::testing {
namespace {

// "schema at version N" for the newest migration this binary carries.
std::string latest_schema_text() {
  return "schema at version " + std::to_string(mailprune::db::bundled_migrations().back().version);
}

using namespace std::chrono_literals;

std::string config_for(const Scratch& scratch, const std::string& extra = "") {
  return scratch.write("mailprune.toml", "data_dir = \"" + (scratch.dir() / "data").string() + "\"\n" + extra);
}

bool cluster_running(const Scratch& scratch) {
  // postmaster.pid exists exactly while a postmaster runs (it removes it on clean shutdown).
  return std::filesystem::exists(scratch.dir() / "data" / "postgres" / "postmaster.pid");
}

TEST(CliConfig, MisspeltKeyExitsWithUsageErrorNamingFileLineKey) {
  Scratch scratch;
  std::string path = scratch.write("bad.toml", "[log]\nlevel = \"info\"\nformt = \"json\"\n");
  auto result = mailprune({"--config", path, "config", "check"});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(contains(result.output, path + ":3: key 'log.formt'")) << result.output;
  EXPECT_TRUE(contains(result.output, "did you mean 'log.format'")) << result.output;
}

TEST(CliConfig, SecretsReachNeitherOutputNorLogs) {
  Scratch scratch;
  const std::string marker = "secret-marker-" + std::to_string(::getpid()) + "-xyzzy";
  // Port 1 on loopback: nothing listens, so `db status` fails after logging what it tried.
  std::string path = config_for(scratch,
                                "[database]\nurl = \"host=127.0.0.1 port=1 dbname=mp user=mp connect_timeout=2\"\n"
                                "password_env = \"MAILPRUNE_TEST_DB_PASSWORD\"\n");
  std::vector<std::string> env{"MAILPRUNE_TEST_DB_PASSWORD=" + marker};

  auto check = mailprune({"--config", path, "--log-level", "trace", "config", "check"}, env);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_TRUE(contains(check.output, "***")) << check.output;
  EXPECT_FALSE(contains(check.output, marker)) << check.output;

  for (const char* format : {"text", "json"}) {
    auto status = mailprune({"--config", path, "--log-level", "trace", "--log-format", format, "db", "status"}, env);
    EXPECT_EQ(status.exit_code, 1) << status.output;
    EXPECT_TRUE(contains(status.output, "cannot connect to PostgreSQL mp@127.0.0.1:1/mp")) << status.output;
    EXPECT_FALSE(contains(status.output, marker)) << status.output;
  }
}

TEST(CliConfig, MissingSecretIsAConfigurationError) {
  Scratch scratch;
  std::string path =
      config_for(scratch, "[database]\nurl = \"host=db\"\npassword_env = \"MAILPRUNE_TEST_NOT_SET_ANYWHERE\"\n");
  auto result = mailprune({"--config", path, "db", "migrate"});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(contains(result.output, path + ":4: key 'database.password_env'")) << result.output;
}

TEST(CliDatabase, EmbeddedMigrateCreatesThenChangesNothing) {
  Scratch scratch;
  std::string path = config_for(scratch);
  auto first = mailprune({"--config", path, "db", "migrate"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_TRUE(contains(first.output, "applied 001_inventory")) << first.output;
  EXPECT_TRUE(contains(first.output, latest_schema_text())) << first.output;
  EXPECT_FALSE(cluster_running(scratch)) << "a one-shot command stops the cluster when it leaves";

  auto second = mailprune({"--config", path, "db", "migrate"});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_TRUE(contains(second.output, "already up to date")) << second.output;
  EXPECT_FALSE(contains(second.output, "applied 001")) << second.output;

  auto status = mailprune({"--config", path, "db", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_TRUE(contains(status.output, "0 pending")) << status.output;
  EXPECT_FALSE(cluster_running(scratch));
}

TEST(CliDatabase, KilledDuringMigrationLeavesADatabaseTheNextRunMigrates) {
  Scratch scratch;
  std::string path = config_for(scratch);
  std::string log = (scratch.dir() / "killed.log").string();
  platform::SpawnOptions options;
  options.argv = {MAILPRUNE_BINARY, "--config", path, "db", "migrate"};
  options.extra_env = {"MAILPRUNE_FAULT_MIGRATION_PAUSE=1"};
  options.stdout_path = log;
  options.stderr_path = "=stdout";
  platform::Process victim = platform::spawn(options);
  auto deadline = std::chrono::steady_clock::now() + 60s;
  std::string seen;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(log);
    std::stringstream content;
    content << in.rdbuf();
    seen = content.str();
    if (contains(seen, "pausing inside migration 1")) break;
    ASSERT_TRUE(victim.running()) << seen;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(contains(seen, "pausing inside migration 1")) << seen;
  ::kill(victim.pid(), SIGKILL);
  EXPECT_EQ(victim.wait(), 128 + SIGKILL);

  // The killed transaction rolled back: nothing half-applied.
  auto status = mailprune({"--config", path, "db", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_TRUE(contains(status.output, "schema at version 0")) << status.output;
  EXPECT_TRUE(contains(status.output, std::to_string(db::bundled_migrations().size()) + " pending")) << status.output;

  auto rerun = mailprune({"--config", path, "db", "migrate"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_TRUE(contains(rerun.output, "applied 001_inventory")) << rerun.output;
  auto after = mailprune({"--config", path, "db", "status"});
  EXPECT_TRUE(contains(after.output, "0 pending")) << after.output;
  EXPECT_FALSE(cluster_running(scratch)) << "the last user stops the cluster the killed process left running";
}

TEST(CliDatabase, ConcurrentMigratorsShareOneCluster) {
  Scratch scratch;
  std::string path = config_for(scratch);
  std::vector<platform::Process> runs;
  for (int i = 0; i < 3; ++i) {
    platform::SpawnOptions options;
    options.argv = {MAILPRUNE_BINARY, "--config", path, "--log-format", "text", "db", "migrate"};
    options.stdout_path = (scratch.dir() / ("run" + std::to_string(i) + ".log")).string();
    options.stderr_path = "=stdout";
    runs.push_back(platform::spawn(options));
  }
  int applied = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(runs[i].wait(), 0);
    std::ifstream in(scratch.dir() / ("run" + std::to_string(i) + ".log"));
    std::stringstream content;
    content << in.rdbuf();
    EXPECT_TRUE(contains(content.str(), latest_schema_text())) << content.str();
    if (contains(content.str(), "applied 001_inventory")) ++applied;
  }
  EXPECT_EQ(applied, 1) << "exactly one process applies the migration";
  EXPECT_FALSE(cluster_running(scratch));
}

TEST(CliDatabase, MissingServerProgramsSayWhatToInstall) {
  Scratch scratch;
  std::string path = config_for(scratch, "[database]\npostgres_bindir = \"/nonexistent/bin\"\n");
  auto result = mailprune({"--config", path, "db", "migrate"});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(contains(result.output, "apt-get install postgresql")) << result.output;
}

}  // namespace
}  // namespace mailprune::testing
