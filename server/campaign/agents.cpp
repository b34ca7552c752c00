#include "campaign/agents.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

#include "inventory/copy_stage.hpp"

namespace mailprune::campaign {
namespace {

std::string lower_ascii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

}  // namespace

AgentImportReport import_agents(pqxx::transaction_base& tx, const std::vector<config::Agent>& agents) {
  std::set<std::string> seen;
  for (const auto& agent : agents) {
    std::string address = lower_ascii(agent.address);
    if (address.empty()) throw std::invalid_argument("an agent has an empty address");
    if (!seen.insert(address).second) {
      throw std::invalid_argument(
          fmt::format("address '{}' appears twice (addresses are compared ignoring case)", address));
    }
  }

  AgentImportReport report;
  tx.exec0(
      "CREATE TEMP TABLE stage_import_agent (address text NOT NULL, display_name text NOT NULL, team text NOT NULL,"
      " language text NOT NULL) ON COMMIT DROP");
  inventory::CopyStage<4> stage(tx, "stage_import_agent", {"address", "display_name", "team", "language"});
  for (const auto& agent : agents) {
    stage.write({inventory::clean_text(lower_ascii(agent.address)), inventory::clean_text(agent.display_name),
                 inventory::clean_text(agent.team), agent.language.empty() ? "fr" : agent.language});
  }
  stage.complete();

  for (const auto& row : tx.exec("INSERT INTO team (name) SELECT DISTINCT team FROM stage_import_agent WHERE team <> ''"
                                 " ON CONFLICT (name) DO NOTHING RETURNING name")) {
    report.new_teams.push_back(row[0].as<std::string>());
  }
  std::sort(report.new_teams.begin(), report.new_teams.end());

  // Classify against what is stored before writing anything.
  for (const auto& row : tx.exec(
           "SELECT s.address, CASE WHEN a.id IS NULL THEN 'added'"
           " WHEN (a.display_name, a.team_id, a.language, a.origin)"
           "   IS NOT DISTINCT FROM (s.display_name, t.id, s.language, 'import') THEN 'unchanged'"
           " ELSE 'updated' END"
           " FROM stage_import_agent s LEFT JOIN team t ON t.name = s.team LEFT JOIN agent a ON a.address = s.address"
           " ORDER BY s.address")) {
    auto kind = row[1].as<std::string>();
    auto address = row[0].as<std::string>();
    (kind == "added" ? report.added : kind == "updated" ? report.updated : report.unchanged).push_back(address);
  }
  for (const auto& row :
       tx.exec("SELECT a.address FROM agent a WHERE a.origin = 'import'"
               " AND NOT EXISTS (SELECT 1 FROM stage_import_agent s WHERE s.address = a.address) ORDER BY a.address")) {
    report.missing.push_back(row[0].as<std::string>());
  }

  tx.exec0(
      "INSERT INTO agent (address, display_name, team_id, language, origin, last_imported_at)"
      " SELECT s.address, s.display_name, t.id, s.language, 'import', now()"
      " FROM stage_import_agent s LEFT JOIN team t ON t.name = s.team"
      " ON CONFLICT (address) DO UPDATE SET display_name = EXCLUDED.display_name, team_id = EXCLUDED.team_id,"
      "   language = EXCLUDED.language, origin = 'import', last_imported_at = now(),"
      "   updated_at = CASE WHEN (agent.display_name, agent.team_id, agent.language, agent.origin)"
      "     IS DISTINCT FROM (EXCLUDED.display_name, EXCLUDED.team_id, EXCLUDED.language, 'import')"
      "     THEN now() ELSE agent.updated_at END");

  // Write through to the mailboxes now (the trigger keeps them so on later crawls).
  report.mailboxes_updated = static_cast<int>(
      tx.exec0("UPDATE mailbox m SET display_name = CASE WHEN a.display_name <> '' THEN a.display_name"
               "   ELSE m.display_name END, team_id = a.team_id, language = a.language"
               " FROM agent a JOIN stage_import_agent s ON s.address = a.address"
               " WHERE lower(m.address) = a.address AND (m.display_name, m.team_id, m.language) IS DISTINCT FROM"
               "   (CASE WHEN a.display_name <> '' THEN a.display_name ELSE m.display_name END, a.team_id,"
               "    a.language)")
          .affected_rows());
  tx.exec0("DROP TABLE stage_import_agent");
  return report;
}

AgentImportReport import_agents(pqxx::connection& connection, const std::vector<config::Agent>& agents) {
  pqxx::work tx(connection);
  auto report = import_agents(tx, agents);
  tx.commit();
  return report;
}

std::vector<AgentRow> list_agents(pqxx::connection& connection, const std::string& team) {
  pqxx::read_transaction tx(connection);
  std::vector<AgentRow> rows;
  for (const auto& row :
       tx.exec_params("SELECT a.id, a.address, a.display_name, coalesce(t.name, ''), a.language, a.origin,"
                      " (SELECT count(*) FROM mailbox m WHERE lower(m.address) = a.address),"
                      " to_char(a.last_imported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                      " FROM agent a LEFT JOIN team t ON t.id = a.team_id"
                      " WHERE $1 = '' OR t.name = $1 ORDER BY a.address",
                      team)) {
    AgentRow agent;
    agent.id = row[0].as<int>();
    agent.address = row[1].as<std::string>();
    agent.display_name = row[2].as<std::string>();
    agent.team = row[3].as<std::string>();
    agent.language = row[4].as<std::string>();
    agent.origin = row[5].as<std::string>();
    agent.mailboxes = row[6].as<int>();
    if (!row[7].is_null()) agent.last_imported_at = row[7].as<std::string>();
    rows.push_back(std::move(agent));
  }
  return rows;
}

int ensure_agents(pqxx::transaction_base& tx, const std::string& mailbox_ids) {
  auto result = tx.exec_params(
      "WITH mb AS (SELECT DISTINCT ON (lower(address)) lower(address) AS address, display_name, team_id, language"
      "   FROM mailbox WHERE id = ANY($1::int[]) ORDER BY lower(address), id)"
      " INSERT INTO agent (address, display_name, team_id, language, origin)"
      " SELECT address, display_name, team_id, language, 'inventory' FROM mb"
      " ON CONFLICT (address) DO UPDATE SET display_name = EXCLUDED.display_name, team_id = EXCLUDED.team_id,"
      "   language = EXCLUDED.language, updated_at = now()"
      " WHERE agent.origin = 'inventory' AND (agent.display_name, agent.team_id, agent.language)"
      "   IS DISTINCT FROM (EXCLUDED.display_name, EXCLUDED.team_id, EXCLUDED.language)"
      " RETURNING (xmax = 0) AS inserted",
      mailbox_ids);
  int created = 0;
  for (const auto& row : result) created += row[0].as<bool>() ? 1 : 0;
  return created;
}

}  // namespace mailprune::campaign
