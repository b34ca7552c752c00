// postgres_server.hpp: a throwaway PostgreSQL server for integration tests.
//
// initdb into a fresh temp dir (as the test account: PostgreSQL refuses root), then `postgres`
// listening on 127.0.0.1 at a free port and on a unix socket in the temp dir, with fsync off. Each
// test takes its own database from create_database(); the server is shared per test binary
// (PostgresServer::shared()), since ctest runs each test case as its own process anyway.
//
// Authentication: the superuser `mailprune_test` has a generated password (SCRAM-SHA-256) and TCP
// connections must give it, so the code under test handles a password the way it will in
// production. The unix socket (in a 0700 directory only root and the test account can enter) is
// trusted.
//
// Stopping is by PID: SIGINT (fast shutdown: disconnect clients, checkpoint, exit), SIGKILL after a
// grace period. Not thread-safe; create and stop from one thread (the parent-death signal belongs
// to the thread that started the server).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/server_process.hpp"
#include "harness/temp_dir.hpp"

namespace mailprune::test {

// The directory holding initdb, postgres and psql: the highest /usr/lib/postgresql/<version>/bin
// (Debian; `pg_config --bindir` there names the client-only /usr/bin), else the directory of
// `postgres` in PATH. Throws std::runtime_error naming the package to install.
std::string find_postgres_bindir();

struct PostgresOptions {
  std::string superuser = "mailprune_test";
  // Extra `-c name=value` server settings, e.g. "log_statement=all".
  std::vector<std::string> settings;
  std::chrono::milliseconds start_timeout = std::chrono::seconds(60);
};

class PostgresServer {
 public:
  // Runs initdb and starts the server; returns once it accepts connections. Throws
  // std::runtime_error (with the server log's tail) on failure.
  explicit PostgresServer(PostgresOptions options = {});
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  // Stops the server and removes its temp dir.
  ~PostgresServer();

  // One server per process, started on first use and stopped at exit (static destruction).
  static PostgresServer& shared();

  // A libpq connection URI over TCP, with the password: postgresql://user:pw@127.0.0.1:port/db.
  std::string url(const std::string& database = "postgres") const;
  // A libpq keyword/value string over the unix socket: "host=<dir> port=<p> user=<u> dbname=<db>".
  std::string socket_url(const std::string& database = "postgres") const;

  // Creates a fresh database and returns its url(). `name` "" makes a unique one (make_name).
  // Names must be lower-case letters, digits and '_'.
  std::string create_database(const std::string& name = "");
  void drop_database(const std::string& name);
  // Runs SQL with psql over the unix socket; returns its unaligned, tuples-only output. Throws
  // std::runtime_error with psql's output on error.
  std::string psql(const std::string& sql, const std::string& database = "postgres") const;

  // Stops the server by PID (SIGINT, then SIGKILL after 15 s); idempotent.
  void stop();

  pid_t pid() const { return server_.pid(); }
  std::uint16_t port() const { return port_; }
  const std::string& host() const { return host_; }
  const std::string& superuser() const { return options_.superuser; }
  const std::string& password() const { return password_; }
  const std::string& socket_dir() const { return socket_dir_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& bin_dir() const { return bin_dir_; }
  const std::string& temp_dir() const { return dir_.path(); }
  const std::string& log_path() const { return server_.log_path(); }

 private:
  bool ready() const;

  PostgresOptions options_;
  TempDir dir_;
  std::string bin_dir_;
  std::string data_dir_;
  std::string socket_dir_;
  std::string password_;
  std::string host_ = "127.0.0.1";
  std::uint16_t port_ = 0;
  ServerProcess server_;
};

}  // namespace mailprune::test
