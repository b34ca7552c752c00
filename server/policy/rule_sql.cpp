#include "policy/rule_sql.hpp"

#include <algorithm>
#include <optional>

#include "policy/glob.hpp"

namespace mailprune::policy {
namespace {

using config::Rule;
using config::RuleAction;

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : separator) + part;
  return out;
}

// Folder and mailbox criteria, evaluated once per folder instead of once per row: each becomes a
// boolean column of a folder table (FolderFlagsTable) joined as `f` (one hash probe per row for
// all of them). Its regular expressions are parameters of that table's statement, not the pass's.
class FolderFlags {
 public:
  // A column true for folders whose name matches `regex`.
  std::string folder(std::string regex) {
    return add(fmt::format("f.name ~ {}", params_.add(std::move(regex), "text")));
  }
  // A column true for folders of mailboxes whose address matches `regex` (case-insensitive).
  std::string mailbox(std::string regex) {
    return add(fmt::format("mb.address ~* {}", params_.add(std::move(regex), "text")));
  }
  FolderFlagsTable table() const {
    FolderFlagsTable out;
    out.select = "SELECT f.id, f.name";
    for (std::size_t i = 0; i < columns_.size(); ++i) out.select += fmt::format(", {} AS ff{}", columns_[i], i);
    out.select += " FROM folder f JOIN mailbox mb ON mb.id = f.mailbox_id";
    out.params = params_.values();
    return out;
  }

 private:
  std::string add(std::string expression) {
    columns_.push_back(std::move(expression));
    return fmt::format("f.ff{}", columns_.size() - 1);
  }
  std::vector<std::string> columns_;
  SqlParams params_;
};

// `now() - interval` computed once for the statement (an InitPlan), not once per row.
std::string cutoff(SqlParams& params, const std::string& interval) {
  return fmt::format("(SELECT now() - {})", params.add(interval, "interval"));
}

// The lowest id of the holds covering message `m` (dated `date`), or NULL.
std::string hold_sql(const MatchContext& context, SqlParams& params, FolderFlags& flags, const std::string& date) {
  if (context.holds.empty()) return "NULL::integer";
  std::string out = "CASE";
  for (const Hold& hold : context.holds) {
    std::vector<std::string> all;
    if (!hold.mailbox.empty()) {
      all.push_back(flags.mailbox(glob_to_regex(hold.mailbox, GlobKind::text)));
    }
    if (!hold.folder.empty()) {
      all.push_back(flags.folder(glob_to_regex(hold.folder, GlobKind::folder)));
    }
    if (!hold.sender.empty()) {
      all.push_back(
          fmt::format("m.from_address ~* {}", params.add(glob_to_regex(hold.sender, GlobKind::text), "text")));
    }
    // An undated message cannot be shown to lie outside a hold's dates: it is held.
    if (!hold.date_from.empty()) {
      all.push_back(fmt::format("({0} IS NULL OR {0} >= {1})", date, params.add(hold.date_from, "timestamptz")));
    }
    if (!hold.date_to.empty()) {
      all.push_back(fmt::format("({0} IS NULL OR {0} <= {1})", date, params.add(hold.date_to, "timestamptz")));
    }
    if (all.empty()) continue;  // the table's CHECK forbids it; never hold everything by accident
    out += fmt::format(" WHEN {} THEN {}", join(all, " AND "), hold.id);
  }
  return out == "CASE" ? "NULL::integer" : out + " END";
}

// The fixed part of an archive folder template before its first placeholder, cut at the last
// '/': "Archives/{year}" -> "Archives". "" when the template starts with a placeholder.
std::string archive_root(const std::string& folder_template) {
  auto brace = folder_template.find('{');
  if (brace == std::string::npos) return folder_template;
  auto slash = folder_template.rfind('/', brace);
  return slash == std::string::npos ? "" : folder_template.substr(0, slash);
}

}  // namespace

std::string archive_destination_sql(const std::string& template_placeholder, const std::string& date_sql) {
  // UTC, and an undated message files under the current year: as server/apply computes it.
  return fmt::format(
      "replace(replace({0}, '{{year}}', to_char(coalesce({1}, now()) AT TIME ZONE 'UTC', 'YYYY')), '{{month}}',"
      " to_char(coalesce({1}, now()) AT TIME ZONE 'UTC', 'MM'))",
      template_placeholder, date_sql);
}

namespace {

// The rule's own criteria, each a boolean SQL expression over a (detach), m and f (archive).
std::vector<std::string> criteria_sql(const Rule& rule, const MatchContext& context, SqlParams& params,
                                      FolderFlags& flags) {
  const config::PolicyConfig& policy = *context.policy;
  const std::string date = kMessageDate;
  std::vector<std::string> where;
  if (rule.min_attachment_size) {
    where.push_back(fmt::format("a.size >= {}", params.add(std::to_string(*rule.min_attachment_size), "bigint")));
  }
  if (rule.max_attachment_size) {
    where.push_back(fmt::format("a.size <= {}", params.add(std::to_string(*rule.max_attachment_size), "bigint")));
  }
  if (!rule.content_types.empty()) {
    where.push_back(
        fmt::format("a.content_type ~* {}", params.add(globs_to_regex(rule.content_types, GlobKind::text), "text")));
  }
  if (!rule.file_names.empty()) {
    where.push_back(fmt::format("a.name ~* {}", params.add(globs_to_regex(rule.file_names, GlobKind::text), "text")));
  }
  if (rule.is_inline) where.push_back(*rule.is_inline ? "a.is_inline" : "NOT a.is_inline");

  if (rule.min_message_size) {
    where.push_back(fmt::format("m.size >= {}", params.add(std::to_string(*rule.min_message_size), "bigint")));
  }
  if (rule.older_than) {
    where.push_back(fmt::format("{} < {}", date, cutoff(params, rule.older_than->to_sql_interval())));
  }
  if (rule.newer_than) {
    where.push_back(fmt::format("{} > {}", date, cutoff(params, rule.newer_than->to_sql_interval())));
  }
  if (!rule.folders.empty()) {
    where.push_back(flags.folder(globs_to_regex(rule.folders, GlobKind::folder)));
  }
  if (!rule.exclude_folders.empty()) {
    where.push_back("NOT " + flags.folder(globs_to_regex(rule.exclude_folders, GlobKind::folder)));
  }
  if (!rule.senders.empty()) {
    where.push_back(
        fmt::format("m.from_address ~* {}", params.add(globs_to_regex(rule.senders, GlobKind::text), "text")));
  }
  if (rule.seen) where.push_back(*rule.seen ? "m.seen" : "NOT m.seen");

  if (rule.action == RuleAction::archive) {
    const std::string& folder_template = rule.archive_folder.empty() ? policy.archive_folder : rule.archive_folder;
    // Never a no-op move, and never mail already filed under the archive tree.
    where.push_back(fmt::format("f.name <> {}", archive_destination_sql(params.add(folder_template, "text"), date)));
    std::string root = archive_root(folder_template);
    if (!root.empty()) {
      where.push_back("NOT " + flags.folder(glob_to_regex(root + "/**", GlobKind::folder)));
    }
  }
  // The duplicates table is joined to the attachments (match_pass_sql) as `d`.
  if (rule.duplicates_only) where.push_back("d.sha256 IS NOT NULL");
  if (where.empty()) where.push_back("true");
  return where;
}

// What keeps a target out whatever the rule (text, NULL when nothing): the first of hold:<id>,
// parse_error, damaged (detach), flagged, signed, encrypted, calendar, tnef.
std::string protection_sql(bool detach, const MatchContext& context, SqlParams& params, FolderFlags& flags) {
  const config::PolicyConfig& policy = *context.policy;
  std::vector<std::string> reasons;
  reasons.push_back("WHEN m.parse_error IS NOT NULL THEN 'parse_error'");
  if (detach) reasons.push_back("WHEN a.damaged THEN 'damaged'");
  if (policy.protect_flagged) reasons.push_back("WHEN m.flagged THEN 'flagged'");
  std::vector<std::string> protected_kinds;
  if (policy.protect_signed) protected_kinds.push_back("signed");
  if (policy.protect_encrypted) protected_kinds.push_back("encrypted");
  if (policy.protect_calendar) protected_kinds.push_back("calendar");
  if (policy.protect_tnef) protected_kinds.push_back("tnef");
  if (!protected_kinds.empty()) {
    reasons.push_back(fmt::format("WHEN m.protection = ANY({}) THEN m.protection",
                                  params.add(pg_text_array(protected_kinds), "text[]")));
  }
  std::string hold = hold_sql(context, params, flags, kMessageDate);
  return fmt::format("coalesce('hold:' || ({}), CASE {} END)", hold, join(reasons, " "));
}

// The bytes a proposal of `rule` frees, over the fenced row x.
std::string bytes_sql(const Rule& rule, const config::PolicyConfig& policy) {
  if (rule.action == RuleAction::detach) return "x.a_size";
  if (rule.action == RuleAction::archive && !policy.archive_frees_space) return "0::bigint";
  return "x.m_size";
}

}  // namespace

std::string match_pass_sql(const std::vector<Rule>& rules, const MatchPass& pass, const MatchContext& context,
                           SqlParams& params, FolderFlagsTable& folders) {
  const config::PolicyConfig& policy = *context.policy;
  // Rules in the order they win: highest priority first, ties to the one listed first.
  std::vector<std::size_t> order = pass.rules;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t l, std::size_t r) { return rules[l].priority > rules[r].priority; });

  std::vector<std::string> where;
  if (!context.scope_ids.empty()) {
    where.push_back(
        fmt::format("{}.mailbox_id = ANY({})", pass.detach ? "a" : "m", params.add(context.scope_ids, "int[]")));
  }
  FolderFlags flags;
  // mailprune's own quarantine is never a rule's to take.
  where.push_back("NOT " + flags.folder(glob_to_regex(policy.quarantine_folder + "/**", GlobKind::folder)));
  if (pass.detach) {
    // A size bound every rule shares lets the scan start from attachment_size_idx.
    std::optional<std::int64_t> floor;
    for (std::size_t i : order) {
      if (!rules[i].min_attachment_size) {
        floor.reset();
        break;
      }
      floor = floor ? std::min(*floor, *rules[i].min_attachment_size) : *rules[i].min_attachment_size;
    }
    if (floor) where.push_back(fmt::format("a.size >= {}", params.add(std::to_string(*floor), "bigint")));
  }

  std::vector<std::string> columns, any, best_free, skip_retained, skip_any, priority, bytes, skip_bytes, counts;
  for (std::size_t i : order) {
    const Rule& rule = rules[i];
    std::string criteria = "(" + join(criteria_sql(rule, context, params, flags), " AND ") + ")";
    any.push_back(criteria);
    columns.push_back(fmt::format("coalesce({}, false) AS c{}", criteria, i));  // NULL (no hash) is no match
    std::string free = fmt::format("x.c{}", i);
    if (rule.min_retention_years > 0) {
      // Undated mail cannot be shown to be old enough.
      columns.push_back(fmt::format("({0} IS NULL OR {0} > {1}) AS r{2}", kMessageDate,
                                    cutoff(params, std::to_string(rule.min_retention_years) + " years"), i));
      free += fmt::format(" AND NOT x.r{}", i);
      skip_retained.push_back(fmt::format("WHEN x.c{0} AND x.r{0} THEN {0}", i));
    }
    best_free.push_back(fmt::format("WHEN {} THEN {}", free, i));
    skip_any.push_back(fmt::format("WHEN x.c{0} THEN {0}", i));
    priority.push_back(fmt::format("WHEN {} THEN {}", i, rule.priority));
    bytes.push_back(fmt::format("WHEN {} THEN {}", i, bytes_sql(rule, policy)));
    counts.push_back(fmt::format("x.c{}::int", i));
  }
  std::string protection = protection_sql(pass.detach, context, params, flags);
  folders = flags.table();
  bool duplicates = false;
  for (std::size_t i : order) duplicates = duplicates || rules[i].duplicates_only;
  std::string from = pass.detach ? "attachment a JOIN message m ON m.id = a.message_id" : "message m";
  // One row per hash in that table: the join adds no rows.
  if (pass.detach && duplicates)
    from += fmt::format(" LEFT JOIN {} d ON d.sha256 = a.sha256", context.duplicates_table);
  from += fmt::format(" JOIN {} f ON f.id = m.folder_id", context.folder_table);
  std::string skip_retention = skip_retained.empty() ? "NULL::int" : "CASE " + join(skip_retained, " ") + " END";

  std::string inner = fmt::format(
      "SELECT {attachment} AS attachment_id, m.id AS message_id, m.mailbox_id, {a_size} AS a_size, m.size AS m_size,"
      " {protection} AS protection, {columns} FROM {from} WHERE {where} AND ({any}) OFFSET 0",
      fmt::arg("attachment", pass.detach ? "a.id" : "NULL::bigint"),
      fmt::arg("a_size", pass.detach ? "a.size" : "NULL::bigint"), fmt::arg("protection", protection),
      fmt::arg("columns", join(columns, ", ")), fmt::arg("from", from), fmt::arg("where", join(where, " AND ")),
      fmt::arg("any", join(any, " OR ")));
  std::string decided = fmt::format(
      "SELECT x.*, CASE WHEN x.protection IS NULL THEN CASE {best} END END AS rule_index,"
      " CASE WHEN x.protection IS NOT NULL THEN CASE {skip_any} END ELSE {skip_retention} END AS skip_rule_index"
      " FROM ({inner}) x",
      fmt::arg("best", join(best_free, " ")), fmt::arg("skip_any", join(skip_any, " ")),
      fmt::arg("skip_retention", skip_retention), fmt::arg("inner", inner));
  return fmt::format(
      "SELECT x.attachment_id, x.message_id, x.mailbox_id, x.rule_index, CASE x.rule_index {priority} END AS priority,"
      " CASE x.rule_index {bytes} END AS bytes, x.skip_rule_index,"
      " CASE WHEN x.skip_rule_index IS NOT NULL THEN coalesce(x.protection, 'retention') END AS reason,"
      " CASE x.skip_rule_index {bytes} END AS skip_bytes, {counts} AS matches FROM ({decided}) x",
      fmt::arg("priority", join(priority, " ")), fmt::arg("bytes", join(bytes, " ")),
      fmt::arg("counts", join(counts, " + ")), fmt::arg("decided", decided));
}

}  // namespace mailprune::policy
