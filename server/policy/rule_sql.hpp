// rule_sql.hpp: the campaign's rules as set-based SELECTs over the inventory (internal to the
// planner), one pass per kind of target.
//
// match_pass_sql() builds ONE statement for every rule of a kind: detach rules read the
// attachments (with their messages) once, archive and delete rules read the messages once. Each
// row is a target at least one rule matches, with, already decided in the row:
//   - the rule that takes it: among the rules whose criteria match and that no protection stops,
//     the highest priority, ties to the rule listed first (NULL when every match is protected);
//   - the skip: the highest-priority matching rule that a protection stops, and its reason
//     (NULL when none), so that plan_skip needs no sort;
//   - how many rules matched (protected ones included), for the plan's statistics.
// Columns, in order:
//   attachment_id (NULL for messages), message_id, mailbox_id, rule_index, priority, bytes,
//   skip_rule_index, reason, skip_bytes, matches
// Reasons, first that applies: hold:<id> (lowest id), parse_error, damaged (detach), flagged,
// signed, encrypted, calendar, tnef (each unless its protect_* is false), retention (per rule).
// Globs become regular expressions (policy/glob.hpp) passed as bind parameters. Folder and
// mailbox criteria (rule folders, holds, the quarantine, the archive tree) are evaluated once per
// folder, as boolean columns of a folder table the planner writes first (FolderFlagsTable) and
// each message joins (one hash probe per row for all of them); date cut-offs are computed once per
// statement; duplicates are a join to the table of duplicated hashes. The statement only reads
// ordinary tables, so PostgreSQL can run it with parallel workers (they cannot read TEMP tables). The per-row
// expressions are computed once per row behind an OFFSET 0 fence, whatever the number of rules.
#pragma once

#include <string>
#include <vector>

#include "config/policy_config.hpp"
#include "policy/holds.hpp"
#include "policy/sql_text.hpp"

namespace mailprune::policy {

struct MatchContext {
  const config::PolicyConfig* policy = nullptr;
  std::string scope_ids;         // int[] literal of the mailboxes in scope; "" for every mailbox
  std::vector<Hold> holds;       // the hold registry
  std::string duplicates_table;  // a table of sha256 seen more than once ("" when no rule is duplicates_only)
  std::string folder_table;      // the name under which the pass reads its FolderFlagsTable
};

// The rules of one pass: indexes into the campaign's rule list (all detach, or all archive/delete).
struct MatchPass {
  bool detach = false;
  std::vector<std::size_t> rules;
};

// Every folder with the boolean columns a pass tests (ff0, ff1, ...): `select` and its own
// parameters. The planner writes it to context.folder_table before running the pass.
struct FolderFlagsTable {
  std::string select;
  std::vector<std::string> params;
};

// The SELECT of one pass over `rules` (the campaign's, by index); its parameters are appended to
// `params`, and the folder table it reads is returned in `folders`. `pass.rules` must not be empty.
std::string match_pass_sql(const std::vector<config::Rule>& rules, const MatchPass& pass, const MatchContext& context,
                           SqlParams& params, FolderFlagsTable& folders);

// The destination folder of an archive rule for a message dated `date_sql` (an SQL expression),
// with {year} and {month} replaced (UTC; a message without a date takes the current ones).
std::string archive_destination_sql(const std::string& template_placeholder, const std::string& date_sql);

// The message date the planner uses: INTERNALDATE (delivery), else the Date: header.
inline constexpr const char* kMessageDate = "coalesce(m.internal_date, m.sent_date)";

}  // namespace mailprune::policy
