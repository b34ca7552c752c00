// database.hpp: where mailprune's PostgreSQL is, and connections to it.
//
// With database.url set, that server is used (password from database.password_env/_file).
// Otherwise the embedded cluster under <data_dir>/postgres is created/started on first use and
// database `mailprune` is created in it. Connections are one per thread (libpqxx rule); this
// object itself is owned by main() and used from one thread.
#pragma once

#include <pqxx/pqxx>

#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "db/embedded_postgres.hpp"
#include "db/migrations.hpp"

namespace mailprune::db {

class Database {
 public:
  explicit Database(const config::Config& config);

  // Opens a new connection (starting the embedded cluster on first call). The connection
  // string holds the password: it is never logged.
  std::unique_ptr<pqxx::connection> connect();

  // Connects and applies pending migrations (what commands that need the database call first).
  // Throws SchemaTooNew when the database is newer than this binary.
  std::unique_ptr<pqxx::connection> connect_migrated();

  // For humans and logs: "embedded PostgreSQL in DIR" or the URL's host/database, no secret.
  std::string describe() const;
  bool embedded() const { return config_.database.url.empty(); }
  // For `serve`: leave the embedded cluster running at exit.
  void keep_running(bool keep);

 private:
  std::string connection_string();

  config::Config config_;
  std::optional<EmbeddedPostgres> embedded_;
  std::string conninfo_;
};

// Adds `password` to a libpq URI or keyword string, returning a keyword string.
std::string conninfo_with_password(const std::string& url, const std::string& password);

// The URL without any secret, for display.
std::string describe_url(const std::string& url);

}  // namespace mailprune::db
