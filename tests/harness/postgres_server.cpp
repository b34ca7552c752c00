#include "harness/postgres_server.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace mailprune::test {
namespace fs = std::filesystem;

namespace {

// "15" < "9" as strings; compare dotted versions numerically.
bool version_less(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& v) {
    std::vector<long> out;
    std::size_t start = 0;
    while (start <= v.size()) {
      auto end = v.find('.', start);
      if (end == std::string::npos) end = v.size();
      out.push_back(std::strtol(v.substr(start, end - start).c_str(), nullptr, 10));
      start = end + 1;
    }
    return out;
  };
  return parts(a) < parts(b);
}

bool valid_database_name(const std::string& name) {
  return !name.empty() && name.size() < 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

std::string find_postgres_bindir() {
  std::string best_version;
  std::string best;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    std::string bin = entry.path().string() + "/bin";
    if (::access((bin + "/postgres").c_str(), X_OK) != 0 || ::access((bin + "/initdb").c_str(), X_OK) != 0) continue;
    std::string version = entry.path().filename().string();
    if (best.empty() || version_less(best_version, version)) {
      best_version = version;
      best = bin;
    }
  }
  if (!best.empty()) return best;
  std::string postgres = platform::find_in_path("postgres");
  if (!postgres.empty()) {
    std::string bin = fs::path(postgres).parent_path().string();
    if (::access((bin + "/initdb").c_str(), X_OK) == 0) return bin;
  }
  throw std::runtime_error(
      "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH); "
      "install them: apt-get install postgresql (run scripts/setup)");
}

PostgresServer::PostgresServer(PostgresOptions options) : options_(std::move(options)), dir_("pg") {
  bin_dir_ = find_postgres_bindir();
  const auto run_as = run_as_test_account();
  // The account owns everything PostgreSQL writes; the temp dir itself stays ours (mode 0711).
  const std::string home = dir_.make_subdir("pg", true, 0700);
  data_dir_ = home + "/data";
  socket_dir_ = dir_.make_subdir("pg/socket", true, 0700);
  password_ = random_hex(24);
  const std::string password_file = home + "/password";
  write_file(password_file, password_ + "\n", 0600);
  give_to_test_account(password_file);

  run_checked({bin_dir_ + "/initdb", "--pgdata=" + data_dir_, "--username=" + options_.superuser,
               "--pwfile=" + password_file, "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8",
               "--locale=C", "--no-sync", "--no-instructions"},
              run_as);
  fs::remove(password_file);

  // The port can be taken between free_port() and postgres binding it: then postgres exits and we
  // try another.
  for (int attempt = 1;; ++attempt) {
    port_ = free_port();
    platform::SpawnOptions spawn;
    spawn.argv = {bin_dir_ + "/postgres",
                  "-D",
                  data_dir_,
                  "-p",
                  std::to_string(port_),
                  "-c",
                  "listen_addresses=" + host_,
                  "-c",
                  "unix_socket_directories=" + socket_dir_,
                  "-c",
                  "fsync=off",
                  "-c",
                  "synchronous_commit=off",
                  "-c",
                  "full_page_writes=off",
                  "-c",
                  "max_connections=100",
                  "-c",
                  "shared_buffers=32MB",
                  "-c",
                  "log_min_messages=warning",
                  "-c",
                  "logging_collector=off"};
    for (const auto& setting : options_.settings) {
      spawn.argv.push_back("-c");
      spawn.argv.push_back(setting);
    }
    spawn.run_as = run_as;
    spawn.extra_env = {"LC_ALL=C"};
    // SIGQUIT to the postmaster on our death: immediate shutdown, backends included.
    server_.start(spawn, "postgres", dir_ / "postgres.log", SIGINT, SIGQUIT);
    if (server_.wait_until([this] { return ready(); }, options_.start_timeout) == ServerProcess::Outcome::ready) {
      return;
    }
    if (attempt == 5) server_.fail("exited during startup 5 times");
  }
}

PostgresServer::~PostgresServer() {
  stop();
}

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

bool PostgresServer::ready() const {
  // pg_isready answers 0 only once the server accepts connections (not while starting up).
  auto result = platform::run(
      {bin_dir_ + "/pg_isready", "--quiet", "--host=" + host_, "--port=" + std::to_string(port_), "--timeout=2"});
  return result.exit_code == 0;
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://" + options_.superuser + ":" + password_ + "@" + host_ + ":" + std::to_string(port_) + "/" +
         database;
}

std::string PostgresServer::socket_url(const std::string& database) const {
  return "host=" + socket_dir_ + " port=" + std::to_string(port_) + " user=" + options_.superuser +
         " dbname=" + database;
}

std::string PostgresServer::psql(const std::string& sql, const std::string& database) const {
  return run_checked({bin_dir_ + "/psql", "--no-psqlrc", "--quiet", "--tuples-only", "--no-align",
                      "--set=ON_ERROR_STOP=1", "--dbname=" + socket_url(database), "--command=" + sql});
}

std::string PostgresServer::create_database(const std::string& name) {
  std::string database = name.empty() ? make_name("test") : name;
  if (!valid_database_name(database)) throw std::invalid_argument("bad database name '" + database + "'");
  psql("CREATE DATABASE " + database + " TEMPLATE template0 ENCODING 'UTF8'");
  return url(database);
}

void PostgresServer::drop_database(const std::string& name) {
  if (!valid_database_name(name)) throw std::invalid_argument("bad database name '" + name + "'");
  psql("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

void PostgresServer::stop() {
  server_.stop();
}

}  // namespace mailprune::test
