// agents.hpp: the people a campaign writes to (schema/006_campaigns.sql, table `agent`).
//
// An agent is a person with an e-mail address, a display name, a team and a language; their
// mailboxes are the `mailbox` rows with the same address (lower-cased) on any source. Agents come
// from agents.csv (config/agents_csv.hpp parses it) through `mailprune agents import`, or are
// derived from mailbox rows when a campaign needs one that was never imported (ensure_agents).
//
// Import is an upsert keyed by the lower-cased address: names, teams and languages are updated,
// ids stay, so review links, notifications and decisions already recorded keep pointing at the
// same agent. Agents absent from the file are kept (their decisions are history) and reported.
// An imported agent is authoritative for its mailboxes' display name, team and language (a trigger
// keeps mailbox rows in step even when a crawl rewrites them from the configuration).
//
// Every function runs on the caller's idle connection in its own transaction and commits before
// returning, unless it takes a transaction (then it writes in it and never commits, so the API
// commits an import together with its audit row). Not thread-safe (one connection, one thread).
#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace mailprune::campaign {

struct AgentImportReport {
  // Lower-cased addresses, sorted.
  std::vector<std::string> added;
  std::vector<std::string> updated;  // name, team or language changed (or taken over from the inventory)
  std::vector<std::string> unchanged;
  std::vector<std::string> missing;    // imported before, not in this file: kept
  int mailboxes_updated = 0;           // mailbox rows whose name/team/language followed
  std::vector<std::string> new_teams;  // teams created by this import, sorted
};

// Upserts `agents` (one transaction; addresses are lower-cased and must be unique once
// lower-cased, else std::invalid_argument before anything is written). The transaction form
// writes in `tx` (its staging table is dropped before returning, so it may run again in the same
// transaction) and never commits; the connection form commits its own transaction.
AgentImportReport import_agents(pqxx::transaction_base& tx, const std::vector<config::Agent>& agents);
AgentImportReport import_agents(pqxx::connection& connection, const std::vector<config::Agent>& agents);

struct AgentRow {
  int id = 0;
  std::string address;
  std::string display_name;
  std::string team;                             // "" none
  std::string language;                         // fr | en
  std::string origin;                           // import | inventory
  int mailboxes = 0;                            // mailbox rows with this address
  std::optional<std::string> last_imported_at;  // ISO 8601
};

// Every agent, by address; `team` "" for all, else only that team's.
std::vector<AgentRow> list_agents(pqxx::connection& connection, const std::string& team = "");

// Makes sure every mailbox in `mailbox_ids` (a PostgreSQL int array literal, "{1,2}") has an agent:
// missing ones are created from the mailbox row (origin 'inventory'), and agents of origin
// 'inventory' are refreshed from their mailbox (the configuration may have changed). Returns how
// many agents were created. Runs in the caller's transaction.
int ensure_agents(pqxx::transaction_base& tx, const std::string& mailbox_ids);

}  // namespace mailprune::campaign
