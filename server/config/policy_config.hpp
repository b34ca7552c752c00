// policy_config.hpp: the policy part of the configuration: [policy] (protections, grace period,
// quarantine and archive folders), [[rule]] (what the planner proposes) and [[hold]] (what no rule
// may touch). docs/configuration.md and docs/policy.md document every key.
//
// Values are plain data once loaded. Sizes are bytes, ages keep their unit (a year is a calendar
// year, not 365 days), globs are kept as written: server/policy translates them to SQL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mailprune::config {

class TableReader;

// "2y", "18m", "90d", "6w": an age counted back from the time of planning.
struct Age {
  int amount = 0;
  char unit = 'd';  // y (calendar years) | m (calendar months) | w (weeks) | d (days)

  std::string to_string() const;        // "18m"
  std::string to_sql_interval() const;  // "18 months" (for a PostgreSQL interval)
  double approximate_days() const;      // for comparisons in validation only
  bool operator==(const Age& other) const = default;
};

// Parses "2y", "18m", "90d", "6w" (also "2 years", "18 months", "90 days", "6 weeks"); nullopt
// when the text is not an age.
std::optional<Age> parse_age(const std::string& text);

// Parses a size: an integer count of bytes, or a number with a unit: B, kB/KB, MB, GB, TB (powers
// of 1000) or KiB, MiB, GiB, TiB (powers of 1024), case-insensitive, with or without a space, the
// number possibly decimal ("1.5GB"). nullopt when not a size or out of the int64 range.
std::optional<std::int64_t> parse_size(const std::string& text);

enum class RuleAction { detach, archive, remove };   // remove is "delete" in TOML, JSON and SQL
enum class Approval { automatic, opt_out, opt_in };  // "auto" | "opt-out" | "opt-in"

const char* to_string(RuleAction action);
const char* to_string(Approval approval);

// One [[rule]]. Unset conditions match everything; set ones must all hold. Validation (in
// read_rule) guarantees: a name, at least one condition, no attachment condition on a message
// rule (archive/delete), archive_folder only on archive rules, sensible ranges.
struct Rule {
  std::string name;
  RuleAction action = RuleAction::detach;
  Approval approval = Approval::opt_in;
  int priority = 0;  // higher wins conflicts and is taken first towards a target

  // Attachment conditions (detach rules only).
  std::optional<std::int64_t> min_attachment_size;  // decoded bytes, inclusive
  std::optional<std::int64_t> max_attachment_size;  // decoded bytes, inclusive
  std::vector<std::string> content_types;           // globs, case-insensitive ("image/*")
  std::vector<std::string> file_names;              // globs, case-insensitive ("*.pdf")
  bool duplicates_only = false;                     // content seen more than once in the campaign's scope
  std::optional<bool> is_inline;                    // TOML/JSON key `inline`

  // Message conditions (every action).
  std::optional<std::int64_t> min_message_size;  // RFC822.SIZE, inclusive
  std::optional<Age> older_than;                 // message date before now - older_than
  std::optional<Age> newer_than;                 // message date after now - newer_than
  std::vector<std::string> folders;              // folder globs (case-sensitive, '/' separator)
  std::vector<std::string> exclude_folders;      // folder globs
  std::vector<std::string> senders;              // address globs, case-insensitive ("*@example.org")
  std::optional<bool> seen;                      // true: read messages only; false: unread only

  // A protection, recorded as a `retention` skip: mail younger than this many years is never
  // touched by this rule (0: none).
  int min_retention_years = 0;
  // Archive rules: the destination folder, {year} and {month} from the message date. "" takes
  // [policy] archive_folder.
  std::string archive_folder;
};

// One [[hold]]: a legal hold or retention that no rule may override. Unset fields match everything;
// at least one of mailbox, folder, sender, date_from, date_to is set.
struct HoldConfig {
  std::string mailbox;    // address glob, case-insensitive ("" none)
  std::string folder;     // folder glob, case-sensitive ("" none)
  std::string sender;     // from-address glob, case-insensitive ("" none)
  std::string date_from;  // "YYYY-MM-DD" (00:00 UTC) or an RFC 3339 date-time ("" none)
  std::string date_to;    // "YYYY-MM-DD" (the whole day, to 23:59:59.999999 UTC) or a date-time
  std::string reason;     // required
};

// [policy] and the rules and holds.
struct PolicyConfig {
  int grace_days = 30;                                     // quarantined mail is purged after this
  std::string quarantine_folder = "mailprune/Quarantine";  // where `delete` moves messages
  std::string archive_folder = "Archives/{year}";          // default destination of `archive` rules
  // Archive folders in the same mailbox free no quota, so archive proposals count 0 bytes; true
  // when archive folders live on storage that is not counted (then they count the message size).
  bool archive_frees_space = false;
  bool protect_flagged = true;
  bool protect_signed = true;
  bool protect_encrypted = true;
  bool protect_calendar = true;
  bool protect_tnef = true;
  std::vector<Rule> rules;
  std::vector<HoldConfig> holds;
};

// Reads one rule's keys from `reader` (a [[rule]] table, or a campaign's rule converted from
// JSON), validating them; errors go to the reader's error list. Calls reader.finish().
Rule read_rule(TableReader& reader);

// Reads [policy], [[rule]] and [[hold]] from the root table. Rule names must be unique.
void read_policy(TableReader& root, PolicyConfig& policy);

// Reads `[[rule]]` of `root` (every rule through read_rule); rule names must be unique. Used by
// read_policy and for a campaign's rules (JSON converted to a TOML table).
std::vector<Rule> read_rules(TableReader& root);

// The [policy] section and every rule and hold as TOML, for `config check`.
std::string render_policy_config(const PolicyConfig& policy);

// "YYYY-MM-DD" or an RFC 3339 date-time ("2020-01-31T12:00:00Z", "...+01:00"): the forms holds
// accept.
bool is_hold_date(const std::string& text);

}  // namespace mailprune::config
