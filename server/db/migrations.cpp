#include "db/migrations.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <thread>

namespace mailprune::db {
namespace {

// pg_advisory_xact_lock key: "mailprun" as a 64-bit integer, unlikely to clash with anyone's.
constexpr std::int64_t kMigrationLockKey = 0x6d61696c7072756e;

void ensure_bookkeeping(pqxx::connection& connection) {
  pqxx::work tx(connection);
  tx.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockKey));
  tx.exec0(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version integer PRIMARY KEY,"
      " name text NOT NULL,"
      " checksum text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  tx.commit();
}

// Test hook (documented in docs/architecture.md): MAILPRUNE_FAULT_MIGRATION_PAUSE=N stops inside
// migration N's transaction, after its SQL ran and before COMMIT, so a test can kill -9 there.
void maybe_pause_inside(int version) {
  const char* hook = std::getenv("MAILPRUNE_FAULT_MIGRATION_PAUSE");
  if (hook == nullptr || std::atoi(hook) != version) return;
  std::fprintf(stderr, "fault hook: pausing inside migration %d\n", version);
  std::fflush(stderr);
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

}  // namespace

std::string migration_checksum(const std::string& sql) {
  // FNV-1a 64: a fingerprint to notice edits, not a security measure.
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : sql) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", hash);
}

SchemaStatus schema_status(pqxx::connection& connection) {
  SchemaStatus status;
  const auto& bundled = bundled_migrations();
  if (!bundled.empty()) status.binary_version = bundled.back().version;
  std::map<int, std::pair<std::string, std::string>> applied;  // version -> checksum, applied_at
  {
    pqxx::read_transaction tx(connection);
    pqxx::result exists = tx.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (exists[0][0].as<bool>()) {
      for (const auto& row :
           tx.exec("SELECT version, checksum, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                   "FROM schema_migrations ORDER BY version")) {
        applied[row[0].as<int>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
      }
    }
  }
  for (const auto& m : bundled) {
    MigrationState state{m.version, m.name, std::nullopt, false};
    if (auto it = applied.find(m.version); it != applied.end()) {
      state.applied_at = it->second.second;
      state.changed = it->second.first != migration_checksum(m.sql);
      applied.erase(it);
      status.database_version = std::max(status.database_version, m.version);
    }
    status.migrations.push_back(state);
  }
  for (const auto& [version, rest] : applied) {
    status.unknown_versions.push_back(version);
    status.database_version = std::max(status.database_version, version);
  }
  return status;
}

int migrate(pqxx::connection& connection, const std::function<void(const Migration&)>& on_applied) {
  ensure_bookkeeping(connection);
  SchemaStatus status = schema_status(connection);
  if (!status.unknown_versions.empty()) {
    throw SchemaTooNew(
        fmt::format("the database schema is at version {}, newer than this mailprune knows (up to {}): "
                    "upgrade mailprune, or use another database",
                    status.database_version, status.binary_version));
  }
  int applied = 0;
  for (const auto& m : bundled_migrations()) {
    pqxx::work tx(connection);
    tx.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockKey));
    // Re-check under the lock: another process may have applied it meanwhile.
    pqxx::result done = tx.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", m.version);
    if (!done.empty()) continue;
    try {
      tx.exec(m.sql);
    } catch (const pqxx::sql_error& e) {
      throw std::runtime_error(fmt::format("migration {:03d}_{} failed: {}", m.version, m.name, e.what()));
    }
    tx.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", m.version, m.name,
                   migration_checksum(m.sql));
    maybe_pause_inside(m.version);
    tx.commit();
    ++applied;
    spdlog::info("applied schema migration {:03d}_{}", m.version, m.name);
    if (on_applied) on_applied(m);
  }
  return applied;
}

}  // namespace mailprune::db
