// rule_sql.hpp: one rule as a set-based SELECT over the inventory (internal to the planner).
//
// For a detach rule the SELECT yields one row per matching attachment, for an archive or delete
// rule one per matching message, each with the protection that keeps it out of the plan (NULL
// when none), in the column order of the planner's `plan_match` table:
//   rule_index, priority, mailbox_id, message_id, attachment_id, bytes, reason
// Reasons, first that applies: hold:<id> (lowest id), parse_error, damaged (detach), flagged,
// signed, encrypted, calendar, tnef (each unless its protect_* is false), retention.
// Globs become regular expressions (policy/glob.hpp) passed as bind parameters; folder and
// mailbox criteria are uncorrelated IN (SELECT ...) subqueries that PostgreSQL hashes once, so
// the per-row cost is a hash probe.
#pragma once

#include <string>
#include <vector>

#include "config/policy_config.hpp"
#include "policy/holds.hpp"
#include "policy/sql_text.hpp"

namespace mailprune::policy {

struct MatchContext {
  const config::PolicyConfig* policy = nullptr;
  std::string scope_ids;          // int[] literal of the mailboxes in scope; "" for every mailbox
  std::vector<Hold> holds;        // the hold registry
  bool duplicates_table = false;  // plan_duplicate(sha256) exists (some rule is duplicates_only)
};

// The SELECT of rule `index`; its parameters are appended to `params`.
std::string rule_match_sql(const config::Rule& rule, int index, const MatchContext& context, SqlParams& params);

// The destination folder of an archive rule for a message dated `date_sql` (an SQL expression),
// with {year} and {month} replaced (UTC; a message without a date takes the current ones).
std::string archive_destination_sql(const std::string& template_placeholder, const std::string& date_sql);

// The message date the planner uses: INTERNALDATE (delivery), else the Date: header.
inline constexpr const char* kMessageDate = "coalesce(m.internal_date, m.sent_date)";

}  // namespace mailprune::policy
