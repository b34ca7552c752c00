#include "policy/rule_sql.hpp"

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

// The lowest id of the holds covering message `m` (dated `date`), or NULL.
std::string hold_sql(const MatchContext& context, SqlParams& params, const std::string& date) {
  if (context.holds.empty()) return "NULL::integer";
  std::string out = "CASE";
  for (const Hold& hold : context.holds) {
    std::vector<std::string> all;
    if (!hold.mailbox.empty()) {
      all.push_back(fmt::format("m.mailbox_id IN (SELECT id FROM mailbox WHERE address ~* {})",
                                params.add(glob_to_regex(hold.mailbox, GlobKind::text), "text")));
    }
    if (!hold.folder.empty()) {
      all.push_back(fmt::format("m.folder_id IN (SELECT id FROM folder WHERE name ~ {})",
                                params.add(glob_to_regex(hold.folder, GlobKind::folder), "text")));
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

std::string rule_match_sql(const Rule& rule, int index, const MatchContext& context, SqlParams& params) {
  const config::PolicyConfig& policy = *context.policy;
  const bool detach = rule.action == RuleAction::detach;
  const std::string date = kMessageDate;
  std::vector<std::string> where;
  std::string from = detach ? "attachment a JOIN message m ON m.id = a.message_id" : "message m";

  if (!context.scope_ids.empty()) {
    where.push_back(fmt::format("{}.mailbox_id = ANY({})", detach ? "a" : "m", params.add(context.scope_ids, "int[]")));
  }
  // mailprune's own quarantine is never a rule's to take.
  where.push_back(fmt::format("m.folder_id NOT IN (SELECT id FROM folder WHERE name ~ {})",
                              params.add(glob_to_regex(policy.quarantine_folder + "/**", GlobKind::folder), "text")));

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
  if (rule.duplicates_only) where.push_back("a.sha256 IN (SELECT sha256 FROM plan_duplicate)");
  if (rule.is_inline) where.push_back(*rule.is_inline ? "a.is_inline" : "NOT a.is_inline");

  if (rule.min_message_size) {
    where.push_back(fmt::format("m.size >= {}", params.add(std::to_string(*rule.min_message_size), "bigint")));
  }
  if (rule.older_than) {
    where.push_back(fmt::format("{} < now() - {}", date, params.add(rule.older_than->to_sql_interval(), "interval")));
  }
  if (rule.newer_than) {
    where.push_back(fmt::format("{} > now() - {}", date, params.add(rule.newer_than->to_sql_interval(), "interval")));
  }
  if (!rule.folders.empty()) {
    where.push_back(fmt::format("m.folder_id IN (SELECT id FROM folder WHERE name ~ {})",
                                params.add(globs_to_regex(rule.folders, GlobKind::folder), "text")));
  }
  if (!rule.exclude_folders.empty()) {
    where.push_back(fmt::format("m.folder_id NOT IN (SELECT id FROM folder WHERE name ~ {})",
                                params.add(globs_to_regex(rule.exclude_folders, GlobKind::folder), "text")));
  }
  if (!rule.senders.empty()) {
    where.push_back(
        fmt::format("m.from_address ~* {}", params.add(globs_to_regex(rule.senders, GlobKind::text), "text")));
  }
  if (rule.seen) where.push_back(*rule.seen ? "m.seen" : "NOT m.seen");

  std::string bytes = detach ? "a.size" : "m.size";
  if (rule.action == RuleAction::archive) {
    const std::string& folder_template = rule.archive_folder.empty() ? policy.archive_folder : rule.archive_folder;
    from += " JOIN folder f ON f.id = m.folder_id";
    // Never a no-op move, and never mail already filed under the archive tree.
    where.push_back(fmt::format("f.name <> {}", archive_destination_sql(params.add(folder_template, "text"), date)));
    std::string root = archive_root(folder_template);
    if (!root.empty()) {
      where.push_back(fmt::format("m.folder_id NOT IN (SELECT id FROM folder WHERE name ~ {})",
                                  params.add(glob_to_regex(root + "/**", GlobKind::folder), "text")));
    }
    if (!policy.archive_frees_space) bytes = "0::bigint";
  }

  std::vector<std::string> reasons;
  reasons.push_back("WHEN x.hold_id IS NOT NULL THEN 'hold:' || x.hold_id");
  reasons.push_back("WHEN x.parse_error THEN 'parse_error'");
  if (detach) reasons.push_back("WHEN x.damaged THEN 'damaged'");
  if (policy.protect_flagged) reasons.push_back("WHEN x.flagged THEN 'flagged'");
  std::vector<std::string> protected_kinds;
  if (policy.protect_signed) protected_kinds.push_back("signed");
  if (policy.protect_encrypted) protected_kinds.push_back("encrypted");
  if (policy.protect_calendar) protected_kinds.push_back("calendar");
  if (policy.protect_tnef) protected_kinds.push_back("tnef");
  if (!protected_kinds.empty()) {
    reasons.push_back(fmt::format("WHEN x.protection = ANY({}) THEN x.protection",
                                  params.add(pg_text_array(protected_kinds), "text[]")));
  }
  if (rule.min_retention_years > 0) {
    // Undated mail cannot be shown to be old enough.
    reasons.push_back(fmt::format("WHEN x.date IS NULL OR x.date > now() - {} THEN 'retention'",
                                  params.add(std::to_string(rule.min_retention_years) + " years", "interval")));
  }

  std::string inner = fmt::format(
      "SELECT m.mailbox_id, m.id AS message_id, {attachment} AS attachment_id, {bytes} AS bytes, {hold} AS hold_id,"
      " m.parse_error IS NOT NULL AS parse_error, {damaged} AS damaged, m.flagged, m.protection, {date} AS date"
      " FROM {from} WHERE {where}",
      fmt::arg("attachment", detach ? "a.id" : "NULL::bigint"), fmt::arg("bytes", bytes),
      fmt::arg("hold", hold_sql(context, params, date)), fmt::arg("damaged", detach ? "a.damaged" : "false"),
      fmt::arg("date", date), fmt::arg("from", from), fmt::arg("where", join(where, " AND ")));
  return fmt::format("SELECT {}, {}, x.mailbox_id, x.message_id, x.attachment_id, x.bytes, CASE {} END FROM ({}) x",
                     index, rule.priority, join(reasons, " "), inner);
}

}  // namespace mailprune::policy
