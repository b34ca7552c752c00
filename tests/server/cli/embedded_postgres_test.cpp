// The embedded cluster shared by several users, and a database newer than the binary.
#include <pqxx/pqxx>

#include "cli/cli_test_support.hpp"
#include "db/embedded_postgres.hpp"
#include "db/migrations.hpp"

namespace mailprune::testing {
namespace {

TEST(EmbeddedPostgres, StaysUpUntilItsLastUserLeaves) {
  Scratch scratch;
  db::EmbeddedOptions options{(scratch.dir() / "data").string(), "", ""};
  db::EmbeddedPostgres first(options);
  db::EmbeddedPostgres second(options);
  std::string conninfo = first.start();
  EXPECT_EQ(second.start(), conninfo) << "same cluster, same credentials";
  EXPECT_TRUE(first.running());
  {
    pqxx::connection connection(conninfo);
    pqxx::work tx(connection);
    EXPECT_EQ(tx.exec("SELECT 1 + 1")[0][0].as<int>(), 2);
  }
  first.leave();
  EXPECT_TRUE(second.running()) << "another user still holds the cluster";
  second.leave();
  db::EmbeddedPostgres probe(options);
  EXPECT_FALSE(probe.running()) << "the last user stopped it";
}

TEST(EmbeddedPostgres, KeepRunningLeavesItUpForTheNextStart) {
  Scratch scratch;
  db::EmbeddedOptions options{(scratch.dir() / "data").string(), "", ""};
  {
    db::EmbeddedPostgres serve(options);
    serve.keep_running(true);
    serve.start();
  }
  db::EmbeddedPostgres probe(options);
  EXPECT_TRUE(probe.running());
  probe.start();
  probe.leave();  // last user, not keeping it: stops
  EXPECT_FALSE(probe.running());
}

TEST(EmbeddedPostgres, NoTcpListener) {
  Scratch scratch;
  db::EmbeddedOptions options{(scratch.dir() / "data").string(), "", ""};
  db::EmbeddedPostgres cluster(options);
  pqxx::connection connection(cluster.start());
  pqxx::work tx(connection);
  EXPECT_EQ(tx.exec("SHOW listen_addresses")[0][0].as<std::string>(), "");
}

TEST(CliDatabase, RefusesADatabaseNewerThanTheBinary) {
  Scratch scratch;
  std::string path = scratch.write("mailprune.toml", "data_dir = \"" + (scratch.dir() / "data").string() + "\"\n");
  ASSERT_EQ(mailprune({"--config", path, "db", "migrate"}).exit_code, 0);
  {
    db::EmbeddedPostgres cluster(db::EmbeddedOptions{(scratch.dir() / "data").string(), "", ""});
    std::string conninfo = cluster.start();
    pqxx::connection connection(conninfo);
    pqxx::work tx(connection);
    tx.exec0("INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'future', 'x')");
    tx.commit();
  }
  auto migrate = mailprune({"--config", path, "db", "migrate"});
  EXPECT_EQ(migrate.exit_code, 1) << migrate.output;
  EXPECT_TRUE(contains(migrate.output, "newer than this mailprune")) << migrate.output;
  auto status = mailprune({"--config", path, "db", "status"});
  EXPECT_EQ(status.exit_code, 1) << status.output;
  EXPECT_TRUE(contains(status.output, "applied by a newer mailprune")) << status.output;
}

}  // namespace
}  // namespace mailprune::testing
