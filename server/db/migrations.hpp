// migrations.hpp: the database schema, as numbered SQL files in schema/ carried in the binary.
//
// Each migration runs in its own transaction together with the row that records it in
// `schema_migrations`, so a process killed at any moment leaves either the migration applied and
// recorded or neither. Concurrent migrators serialise on a PostgreSQL advisory lock. A database
// whose schema is newer than this binary is refused (SchemaTooNew), never touched.
#pragma once

#include <pqxx/pqxx>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mailprune::db {

struct Migration {
  int version;
  std::string name;  // from the file name: 001_inventory.sql -> "inventory"
  std::string sql;
};

// Every migration in schema/, ascending by version (generated at build time).
const std::vector<Migration>& bundled_migrations();

struct MigrationState {
  int version;
  std::string name;
  std::optional<std::string> applied_at;  // ISO 8601; nullopt while pending
  bool changed = false;                   // applied, but the bundled SQL differs from it
};

struct SchemaStatus {
  int database_version = 0;  // highest applied; 0 for an empty database
  int binary_version = 0;    // highest bundled
  std::vector<MigrationState> migrations;
  std::vector<int> unknown_versions;  // applied versions this binary does not know (newer binary ran)
};

class SchemaTooNew : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

SchemaStatus schema_status(pqxx::connection& connection);

// Applies pending migrations in order; `on_applied(migration)` is called after each commit.
// Returns how many were applied. Throws SchemaTooNew, or pqxx errors naming the failed migration.
int migrate(pqxx::connection& connection, const std::function<void(const Migration&)>& on_applied = {});

// Stable fingerprint of a migration's SQL, stored with it to notice files edited after landing.
std::string migration_checksum(const std::string& sql);

}  // namespace mailprune::db
