#include "db/embedded_postgres.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mailprune::db {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRole = "mailprune";
// A unix socket path must fit sockaddr_un.sun_path (108 bytes with the terminating NUL).
constexpr std::size_t kMaxSocketPath = 107;

bool has_programs(const fs::path& dir) {
  for (const char* program : {"initdb", "pg_ctl", "postgres"}) {
    if (::access((dir / program).c_str(), X_OK) != 0) return false;
  }
  return true;
}

std::string tail_of_file(const std::string& path, std::size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += "\n  " + all[i];
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  std::size_t filled = 0;
  while (filled < bytes) {
    ssize_t n = ::getrandom(raw.data() + filled, bytes - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    filled += static_cast<std::size_t>(n);
  }
  std::string hex;
  for (unsigned char c : raw) hex += fmt::format("{:02x}", c);
  return hex;
}

void chown_tree(const fs::path& path, const platform::Account& account) {
  if (::chown(path.c_str(), account.uid, account.gid) != 0) {
    throw std::system_error(errno, std::generic_category(), "chown " + path.string());
  }
}

std::string quote_conninfo(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string find_postgres_bindir(const std::string& configured) {
  const std::string hint =
      "install the PostgreSQL server (Debian: apt-get install postgresql), set database.postgres_bindir, "
      "or set database.url to use an existing server";
  if (!configured.empty()) {
    if (has_programs(configured)) return configured;
    throw PostgresNotInstalled(fmt::format(
        "database.postgres_bindir = \"{}\" does not hold initdb, pg_ctl and postgres: {}", configured, hint));
  }
  std::vector<fs::path> candidates;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    candidates.push_back(entry.path() / "bin");
  }
  // Newest major version first: numeric, so 16 sorts before 9.6.
  std::sort(candidates.begin(), candidates.end(), [](const fs::path& a, const fs::path& b) {
    return std::atof(a.parent_path().filename().c_str()) > std::atof(b.parent_path().filename().c_str());
  });
  for (const auto& dir : candidates) {
    if (has_programs(dir)) return dir.string();
  }
  std::string initdb = platform::find_in_path("initdb");
  if (!initdb.empty() && has_programs(fs::path(initdb).parent_path())) return fs::path(initdb).parent_path().string();
  throw PostgresNotInstalled(
      "PostgreSQL server programs (initdb, pg_ctl, postgres) not found in "
      "/usr/lib/postgresql/*/bin or PATH: " +
      hint);
}

EmbeddedPostgres::EmbeddedPostgres(EmbeddedOptions options) : options_(std::move(options)) {}

EmbeddedPostgres::~EmbeddedPostgres() {
  try {
    leave();
  } catch (const std::exception& e) {
    spdlog::warn("stopping the embedded PostgreSQL failed: {}", e.what());
  }
}

std::string EmbeddedPostgres::cluster_dir() const {
  return (fs::path(options_.data_dir) / "postgres").string();
}

void EmbeddedPostgres::locate_programs() {
  bindir_ = find_postgres_bindir(options_.bindir);
  if (platform::running_as_root()) {
    if (!options_.account.empty()) {
      account_ = platform::find_account(options_.account);
      if (!account_) {
        throw std::runtime_error(fmt::format("database.embedded_account: no such account '{}'", options_.account));
      }
    } else {
      account_ = platform::find_account("mailprune");
      if (!account_) account_ = platform::find_account("postgres");
      if (!account_) {
        throw std::runtime_error(
            "PostgreSQL refuses to run as root, and neither account 'mailprune' nor 'postgres' exists: create one "
            "(useradd --system mailprune) or set database.embedded_account");
      }
    }
    if (account_->uid == 0) throw std::runtime_error("database.embedded_account must not be root");
  }
}

platform::RunResult EmbeddedPostgres::pg_ctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{(fs::path(bindir_) / "pg_ctl").string(), "-D", cluster_dir()};
  argv.insert(argv.end(), args.begin(), args.end());
  return platform::run(argv, account_, {"LC_ALL=C"});
}

bool EmbeddedPostgres::running() {
  if (!fs::exists(fs::path(cluster_dir()) / "PG_VERSION")) return false;
  if (bindir_.empty()) locate_programs();
  return pg_ctl({"status"}).exit_code == 0;
}

std::string EmbeddedPostgres::read_or_make_password() {
  fs::path path = fs::path(options_.data_dir) / "postgres.password";
  if (fs::exists(path)) {
    std::ifstream in(path);
    std::string value;
    std::getline(in, value);
    if (!value.empty()) return value;
  }
  std::string value = random_hex(24);
  fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << value << "\n";
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write);
  fs::rename(tmp, path);
  return value;
}

void EmbeddedPostgres::initialise() {
  fs::path final_dir = cluster_dir();
  if (fs::exists(final_dir / "PG_VERSION")) return;
  std::string socket = (final_dir / ".s.PGSQL.5432").string();
  if (socket.size() > kMaxSocketPath) {
    throw std::runtime_error(fmt::format("data_dir is too long for a unix socket path ({} > {} bytes): {}",
                                         socket.size(), kMaxSocketPath, socket));
  }
  fs::path work_dir = fs::path(options_.data_dir) / "postgres.initdb-tmp";
  fs::remove_all(work_dir);  // a previous initdb that was interrupted
  fs::create_directories(work_dir);
  fs::path pwfile = work_dir / "pwfile";
  {
    std::ofstream out(pwfile);
    out << password_ << "\n";
  }
  fs::path cluster = work_dir / "cluster";
  if (account_) {
    chown_tree(work_dir, *account_);
    chown_tree(pwfile, *account_);
  }
  fs::permissions(pwfile, fs::perms::owner_read | fs::perms::owner_write);
  spdlog::info("creating the embedded PostgreSQL cluster in {}", final_dir.string());
  auto result = platform::run(
      {(fs::path(bindir_) / "initdb").string(), "-D", cluster.string(), "-U", kRole, "--pwfile=" + pwfile.string(),
       "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-instructions"},
      account_, {"LC_ALL=C"});
  fs::remove(pwfile);
  if (result.exit_code != 0) {
    throw std::runtime_error(fmt::format("initdb failed (exit {}):\n{}", result.exit_code, result.output));
  }
  {
    std::ofstream conf(cluster / "postgresql.conf", std::ios::app);
    conf << "\n# Written by mailprune: private cluster, unix socket only.\n"
         << "listen_addresses = ''\n"
         << "unix_socket_directories = '" << final_dir.string() << "'\n"
         << "unix_socket_permissions = 0700\n"
         << "port = 5432\n";
    if (!conf) throw std::runtime_error("cannot write postgresql.conf");
  }
  fs::rename(cluster, final_dir);
  fs::remove_all(work_dir);
}

void EmbeddedPostgres::start_server() {
  if (running()) return;
  std::string log = (fs::path(options_.data_dir) / "postgres.log").string();
  if (account_ && !fs::exists(log)) {
    std::ofstream touch(log);
    touch.close();
    chown_tree(log, *account_);
  }
  spdlog::info("starting the embedded PostgreSQL ({})", cluster_dir());
  auto result = pg_ctl({"-l", log, "-w", "-t", "60", "start"});
  if (result.exit_code != 0) {
    throw std::runtime_error(
        fmt::format("the embedded PostgreSQL did not start (pg_ctl exit {}): {}\nlast lines of {}:{}", result.exit_code,
                    result.output, log, tail_of_file(log, 15)));
  }
}

void EmbeddedPostgres::stop_server() {
  if (!running()) return;
  spdlog::info("stopping the embedded PostgreSQL (last user left)");
  auto result = pg_ctl({"-m", "fast", "-w", "-t", "60", "stop"});
  if (result.exit_code != 0) spdlog::warn("pg_ctl stop failed (exit {}): {}", result.exit_code, result.output);
}

std::string EmbeddedPostgres::start() {
  locate_programs();
  fs::create_directories(options_.data_dir);
  if (account_) {
    // The account must be able to reach its cluster inside our data dir.
    fs::permissions(options_.data_dir, fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add);
  }
  std::string control = (fs::path(options_.data_dir) / "postgres.control.lock").string();
  std::string users = (fs::path(options_.data_dir) / "postgres.users.lock").string();
  {
    auto control_lock = platform::FileLock::acquire(control, platform::FileLock::Mode::exclusive);
    password_ = read_or_make_password();
    initialise();
    start_server();
    users_lock_ = platform::FileLock::acquire(users, platform::FileLock::Mode::shared);
    // mailprune's own database, created once; under the control lock, so no two processes race.
    pqxx::connection connection(conninfo_for("postgres"));
    pqxx::nontransaction tx(connection);
    if (tx.exec("SELECT 1 FROM pg_database WHERE datname = 'mailprune'").empty()) {
      tx.exec0("CREATE DATABASE mailprune");
    }
  }
  return conninfo_for("mailprune");
}

std::string EmbeddedPostgres::conninfo_for(const std::string& database) const {
  return fmt::format("host={} port=5432 dbname={} user={} password={} application_name=mailprune",
                     quote_conninfo(socket_dir()), database, kRole, quote_conninfo(password_));
}

void EmbeddedPostgres::leave() {
  if (!users_lock_.locked()) return;
  std::string control = (fs::path(options_.data_dir) / "postgres.control.lock").string();
  std::string users = (fs::path(options_.data_dir) / "postgres.users.lock").string();
  auto control_lock = platform::FileLock::acquire(control, platform::FileLock::Mode::exclusive);
  users_lock_.release();
  if (keep_running_) return;
  // Nobody else holds the users lock shared: we were the last user.
  auto last = platform::FileLock::try_acquire(users, platform::FileLock::Mode::exclusive);
  if (last.locked()) stop_server();
}

}  // namespace mailprune::db
