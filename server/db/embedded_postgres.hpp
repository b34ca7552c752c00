// embedded_postgres.hpp: mailprune's private PostgreSQL cluster, used when database.url is empty.
//
// Layout under the data dir:
//   postgres/                 the cluster (PGDATA); its unix socket lives here too; no TCP at all
//   postgres.password         the generated password of role `mailprune` (0600)
//   postgres.log              the server's log
//   postgres.control.lock     held exclusively while a process starts or stops the cluster
//   postgres.users.lock       held shared by every process using the cluster
// The cluster is created on first use (initdb into a temporary folder, renamed when complete, so
// an interrupted initdb is simply redone) and started on demand. Any number of mailprune processes
// share it: each holds the users lock while it uses the cluster; the last one to leave stops it,
// unless told to keep it running. A process killed with -9 loses its lock with it, so the next
// one to leave stops the cluster. PostgreSQL refuses to run as root: as root the cluster belongs
// to an unprivileged account (database.embedded_account; `mailprune`, else `postgres`).
//
// Not thread-safe: one object per process, owned by main().
#pragma once

#include <stdexcept>
#include <string>

#include "platform/file_lock.hpp"
#include "platform/process.hpp"

namespace mailprune::db {

// The server programs are missing; the message says what to install.
class PostgresNotInstalled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct EmbeddedOptions {
  std::string data_dir;
  std::string bindir;   // "" searches /usr/lib/postgresql/*/bin (newest first), then PATH
  std::string account;  // as root: who runs the server; "" picks mailprune, then postgres
};

class EmbeddedPostgres {
 public:
  explicit EmbeddedPostgres(EmbeddedOptions options);
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;
  // Leaves the cluster (stopping it if this was its last user and keep_running() was not set).
  ~EmbeddedPostgres();

  // Creates the cluster if needed, starts it if needed, creates database `mailprune` in it if
  // needed, and joins its users. Returns the libpq connection string of database `mailprune`
  // (keyword form, password included: never log it). Throws
  // PostgresNotInstalled or std::runtime_error with the server log's last lines.
  std::string start();
  // Leaves now (same as the destructor). Idempotent.
  void leave();
  // `serve` sets this: the cluster stays up after this process leaves.
  void keep_running(bool keep) { keep_running_ = keep; }

  // Where the server programs were found (after start()).
  const std::string& bindir() const { return bindir_; }
  std::string cluster_dir() const;
  std::string socket_dir() const { return cluster_dir(); }
  // True when a postmaster is running on the cluster (pg_ctl status).
  bool running();

 private:
  void locate_programs();
  void initialise();
  void start_server();
  void stop_server();
  std::string read_or_make_password();
  platform::RunResult pg_ctl(const std::vector<std::string>& args);
  std::string conninfo_for(const std::string& database) const;

  EmbeddedOptions options_;
  std::string bindir_;
  std::optional<platform::Account> account_;
  platform::FileLock users_lock_;
  bool keep_running_ = false;
  std::string password_;
};

// Searches the usual places for initdb, pg_ctl and postgres. Returns the folder or throws
// PostgresNotInstalled. `configured` (non-empty) is the only place looked at.
std::string find_postgres_bindir(const std::string& configured);

}  // namespace mailprune::db
