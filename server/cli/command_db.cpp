// db migrate, db status.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "db/database.hpp"
#include "db/migrations.hpp"

namespace mailprune::cli {

int command_db_migrate(const Context& context) {
  db::Database database(context.config);
  auto connection = database.connect();
  int applied =
      db::migrate(*connection, [](const db::Migration& m) { fmt::print("applied {:03d}_{}\n", m.version, m.name); });
  db::SchemaStatus status = db::schema_status(*connection);
  fmt::print("{}: schema at version {}{}\n", database.describe(), status.database_version,
             applied == 0 ? " (already up to date)" : fmt::format(" ({} migration(s) applied)", applied));
  return 0;
}

int command_db_status(const Context& context) {
  db::Database database(context.config);
  auto connection = database.connect();
  db::SchemaStatus status = db::schema_status(*connection);
  fmt::print("{}\n", database.describe());
  fmt::print("{:<8} {:<24} {}\n", "VERSION", "NAME", "APPLIED");
  int pending = 0;
  for (const auto& m : status.migrations) {
    std::string applied = m.applied_at ? *m.applied_at : "pending";
    if (!m.applied_at) ++pending;
    if (m.changed) applied += "  (the bundled SQL differs from what was applied)";
    fmt::print("{:<8} {:<24} {}\n", fmt::format("{:03d}", m.version), m.name, applied);
  }
  for (int version : status.unknown_versions) {
    fmt::print("{:<8} {:<24} {}\n", fmt::format("{:03d}", version), "?", "applied by a newer mailprune");
  }
  fmt::print("schema at version {}, this binary knows up to {}; {} pending\n", status.database_version,
             status.binary_version, pending);
  if (!status.unknown_versions.empty()) {
    fmt::print(stderr, "the database is newer than this mailprune: upgrade mailprune\n");
    return 1;
  }
  return 0;
}

}  // namespace mailprune::cli
