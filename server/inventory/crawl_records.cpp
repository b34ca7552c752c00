#include "inventory/crawl_records.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "inventory/copy_stage.hpp"

namespace mailprune::inventory {
namespace {

std::string int_array(const std::vector<int>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + std::to_string(values[i]);
  return out + "}";
}

}  // namespace

SourceRows sync_source(pqxx::connection& connection, const config::SourceConfig& source) {
  pqxx::work tx(connection);
  SourceRows rows;
  rows.source_id = tx.exec_params1(
                         "INSERT INTO source (name, kind) VALUES ($1, $2) "
                         "ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind RETURNING id",
                         source.name, source.kind)[0]
                       .as<int>();

  tx.exec0(
      "CREATE TEMP TABLE stage_agent (ord text NOT NULL, address text NOT NULL, display_name text NOT NULL,"
      " team text NOT NULL, language text NOT NULL) ON COMMIT DROP");
  CopyStage<5> stage(tx, "stage_agent", {"ord", "address", "display_name", "team", "language"});
  for (std::size_t i = 0; i < source.mailboxes.size(); ++i) {
    const auto& agent = source.mailboxes[i];
    stage.write({std::to_string(i), clean_text(agent.address), clean_text(agent.display_name), clean_text(agent.team),
                 agent.language.empty() ? "fr" : agent.language});
  }
  stage.complete();

  tx.exec0(
      "INSERT INTO team (name) SELECT DISTINCT team FROM stage_agent WHERE team <> '' "
      "ON CONFLICT (name) DO NOTHING");
  // DISTINCT ON: an address listed twice (mailboxes and mailboxes_file) is one mailbox.
  pqxx::result result = tx.exec_params(
      "WITH agent AS ("
      "  SELECT DISTINCT ON (address) ord::int AS ord, address, display_name, team, language"
      "  FROM stage_agent ORDER BY address, ord::int),"
      " upserted AS ("
      "  INSERT INTO mailbox (source_id, address, display_name, team_id, language)"
      "  SELECT $1, a.address, a.display_name, t.id, a.language"
      "  FROM agent a LEFT JOIN team t ON t.name = a.team"
      "  ON CONFLICT (source_id, address) DO UPDATE SET display_name = EXCLUDED.display_name,"
      "    team_id = EXCLUDED.team_id, language = EXCLUDED.language"
      "  RETURNING id, address)"
      " SELECT u.id, u.address FROM upserted u JOIN agent a USING (address) ORDER BY a.ord",
      rows.source_id);
  for (const auto& row : result) rows.mailboxes.push_back({row[0].as<int>(), row[1].as<std::string>()});
  tx.commit();
  return rows;
}

std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

std::int64_t begin_crawl_run(pqxx::connection& connection, int source_id, bool full) {
  pqxx::work tx(connection);
  const std::string host = this_host();
  // Runs left 'running' by a process of this host that is gone were interrupted (kill -9, crash):
  // their mailboxes kept their previous inventory (one transaction each), so say so.
  for (const auto& row : tx.exec_params("SELECT id, pid FROM crawl_run WHERE status = 'running' AND host = $1 "
                                        "AND pid IS NOT NULL",
                                        host)) {
    auto pid = static_cast<pid_t>(row[1].as<int>());
    if (pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) {
      tx.exec_params(
          "UPDATE crawl_run SET status = 'interrupted', finished_at = now(), "
          "error = 'the crawling process ended without finishing this run' WHERE id = $1",
          row[0].as<std::int64_t>());
    }
  }
  auto id = tx.exec_params1("INSERT INTO crawl_run (source_id, mode, host, pid) VALUES ($1, $2, $3, $4) RETURNING id",
                            source_id, full ? "full" : "incremental", host, static_cast<int>(::getpid()))[0]
                .as<std::int64_t>();
  tx.commit();
  return id;
}

void finish_crawl_run(pqxx::connection& connection, std::int64_t run_id, const RunTotals& totals) {
  pqxx::work tx(connection);
  tx.exec_params0(
      "UPDATE crawl_run SET finished_at = now(), status = $2, mailboxes = $3, messages = $4,"
      " bytes_received = $5, bytes_hashed = $6, errors = $7, error = NULLIF($8, '') WHERE id = $1",
      run_id, totals.status, totals.mailboxes, static_cast<std::int64_t>(totals.messages),
      static_cast<std::int64_t>(totals.bytes_received), static_cast<std::int64_t>(totals.bytes_hashed), totals.errors,
      clean_text(totals.error));
  tx.commit();
}

void record_errors(pqxx::connection& connection, std::int64_t run_id, std::optional<int> mailbox_id,
                   const std::vector<ItemError>& errors) {
  if (errors.empty()) return;
  pqxx::work tx(connection);
  tx.exec0(
      "CREATE TEMP TABLE stage_error (folder_name text NOT NULL, uid text NOT NULL, item_id text NOT NULL,"
      " message text NOT NULL) ON COMMIT DROP");
  CopyStage<4> stage(tx, "stage_error", {"folder_name", "uid", "item_id", "message"});
  for (const auto& error : errors) {
    stage.write({clean_text(error.folder_name), optional_text(error.uid), clean_text(error.item_id),
                 clean_text(error.message)});
  }
  stage.complete();
  tx.exec_params0(
      "INSERT INTO crawl_error (crawl_run_id, mailbox_id, folder_name, uid, item_id, message)"
      " SELECT $1, NULLIF($2, '')::int, NULLIF(folder_name, ''), NULLIF(uid, '')::bigint, NULLIF(item_id, ''), message"
      " FROM stage_error",
      run_id, optional_text(mailbox_id));
  tx.commit();
}

std::string scope_mailbox_ids(pqxx::connection& connection, const std::vector<int>& source_ids) {
  pqxx::read_transaction tx(connection);
  auto row = tx.exec_params1(
      "SELECT coalesce(array_agg(id ORDER BY id), '{}')::text FROM mailbox WHERE source_id = ANY($1::int[])",
      int_array(source_ids));
  return row[0].as<std::string>();
}

}  // namespace mailprune::inventory
