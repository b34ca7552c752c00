// holds.hpp: the hold registry (table `hold`, schema/002_policy.sql): mailboxes, folders, senders
// and date ranges under legal hold or retention, which no rule may touch.
//
// A hold matches a message when every criterion it has matches: mailbox (address glob,
// case-insensitive), folder (folder glob, case-sensitive, '/' separator), sender (From address glob,
// case-insensitive), date_from <= message date <= date_to. A message without a date is held by any
// hold with a date bound (it cannot be shown to fall outside). Holds come from the CLI
// (origin 'cli'), the configuration's [[hold]] (origin 'config', mirrored by sync_config_holds
// before each plan) and later the HTTP API ('api').
// Functions run inside the caller's transaction and never commit.
#pragma once

#include <pqxx/pqxx>

#include <stdexcept>
#include <string>
#include <vector>

#include "config/policy_config.hpp"

namespace mailprune::policy {

struct Hold {
  int id = 0;
  std::string mailbox, folder, sender;  // "" when unset
  std::string date_from, date_to;       // UTC, "2021-03-01 00:00:00.000000+00"; "" when unset
  std::string reason;
  std::string origin;  // cli | config | api
  std::string created_by;
  std::string created_at;
};

// A hold that cannot be added as given (no criterion, no reason, a bad date, to before from).
class HoldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The bound a hold date stands for, as a timestamptz literal: "YYYY-MM-DD" is 00:00:00 UTC of that
// day as a start and 23:59:59.999999 UTC as an end; a date-time is taken as it is.
std::string hold_date_bound(const std::string& date, bool end_of_day);

// Makes the origin 'config' rows equal to `holds`, keeping the id of every hold that did not change
// (so skip reasons 'hold:<id>' stay meaningful) and removing those no longer configured.
void sync_config_holds(pqxx::transaction_base& tx, const std::vector<config::HoldConfig>& holds);

// Adds a hold with origin 'cli'; returns its id. Throws HoldError.
int add_hold(pqxx::transaction_base& tx, const config::HoldConfig& hold, const std::string& created_by);

// Every hold, by id.
std::vector<Hold> list_holds(pqxx::transaction_base& tx);

enum class RemoveHoldResult { removed, not_found, from_config };
// Removes a hold; refuses one that comes from the configuration (it would come back at the next
// plan: remove it from the [[hold]] list instead).
RemoveHoldResult remove_hold(pqxx::transaction_base& tx, int id);

}  // namespace mailprune::policy
