// crawl_records.hpp: the bookkeeping rows around a crawl: source/team/mailbox rows from the
// configuration, crawl_run (one per source per run) and crawl_error.
//
// Each function runs its own short transaction on the given connection (which must be idle) and
// commits before returning, so what it records survives a mailbox transaction that fails later.
// Bulk rows (mailboxes, errors) go through COPY into a staging table and one set-based statement.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace mailprune::inventory {

struct MailboxEntry {
  int mailbox_id = 0;
  std::string address;
};

struct SourceRows {
  int source_id = 0;
  std::vector<MailboxEntry> mailboxes;  // in the configuration's order
};

// Upserts the source (by name), the teams named by its agents and one mailbox row per agent
// (display name, team and language follow the configuration). Mailboxes no longer configured are
// left as they are: their last inventory stays reportable. A mailbox row exists from here on;
// last_crawled_at stays NULL until its first crawl commits.
SourceRows sync_source(pqxx::connection& connection, const config::SourceConfig& source);

// Inserts a crawl_run row with status 'running'; returns its id.
std::int64_t begin_crawl_run(pqxx::connection& connection, int source_id, bool full);

struct RunTotals {
  int mailboxes = 0;  // mailboxes whose crawl committed
  std::uint64_t messages = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_hashed = 0;
  int errors = 0;
  std::string status = "done";  // done | failed | interrupted
  std::string error;            // for failed: why, in a sentence
};

void finish_crawl_run(pqxx::connection& connection, std::int64_t run_id, const RunTotals& totals);

// One per-item problem (a damaged message, a NO on a range, a mailbox that could not be opened).
struct ItemError {
  std::string folder_name;           // "" when not about a folder
  std::optional<std::uint64_t> uid;  // IMAP UID when about one message
  std::string item_id;               // EWS ItemId when about one message
  std::string message;
};

// Writes `errors` as crawl_error rows of `run_id` (mailbox_id NULL when not about one mailbox).
void record_errors(pqxx::connection& connection, std::int64_t run_id, std::optional<int> mailbox_id,
                   const std::vector<ItemError>& errors);

// Ids of every mailbox of the given sources (the duplicate-hashing scope), as a PostgreSQL array
// literal "{1,2,3}" for `= ANY($1::int[])`.
std::string scope_mailbox_ids(pqxx::connection& connection, const std::vector<int>& source_ids);

}  // namespace mailprune::inventory
