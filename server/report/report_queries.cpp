// The report queries. Every query is restricted to the filtered mailboxes' ids ($1, an int[]),
// computed first from the small mailbox/team tables.
#include <fmt/format.h>

#include "report/report.hpp"

namespace mailprune::report {
namespace {

constexpr std::size_t kDefaultTop = 100;

std::string limit_clause(const ReportFilter& filter, bool limited_by_default) {
  std::size_t top = filter.top.value_or(limited_by_default ? kDefaultTop : 0);
  return top == 0 ? std::string() : fmt::format(" LIMIT {}", top);
}

// The filtered mailboxes as an array literal; throws ReportFilterError for unknown names.
std::string mailbox_scope(pqxx::transaction_base& tx, const ReportFilter& filter) {
  if (!filter.team.empty() && tx.exec_params("SELECT 1 FROM team WHERE name = $1", filter.team).empty()) {
    throw ReportFilterError("no team named '" + filter.team + "' in the inventory");
  }
  auto row = tx.exec_params1(
      "SELECT coalesce(array_agg(mb.id ORDER BY mb.id), '{}')::text, count(*) FROM mailbox mb"
      " LEFT JOIN team t ON t.id = mb.team_id"
      " WHERE ($1 = '' OR t.name = $1) AND ($2 = '' OR lower(mb.address) = lower($2))",
      filter.team, filter.mailbox);
  if (!filter.mailbox.empty() && row[1].as<std::int64_t>() == 0) {
    throw ReportFilterError("no mailbox '" + filter.mailbox + "' in the inventory" +
                            (filter.team.empty() ? std::string() : " for team '" + filter.team + "'"));
  }
  return row[0].as<std::string>();
}

Value text_or_null(const pqxx::field& field) {
  return field.is_null() ? Value::null() : Value::of_text(field.as<std::string>());
}
Value integer_or_null(const pqxx::field& field) {
  return field.is_null() ? Value::null() : Value::of_integer(field.as<std::int64_t>());
}

}  // namespace

ReportKind parse_kind(const std::string& text) {
  if (text == "summary") return ReportKind::summary;
  if (text == "mailboxes") return ReportKind::mailboxes;
  if (text == "folders") return ReportKind::folders;
  if (text == "attachments") return ReportKind::attachments;
  if (text == "duplicates") return ReportKind::duplicates;
  throw std::invalid_argument("unknown report '" + text + "'");
}

ReportFormat parse_format(const std::string& text) {
  if (text == "table") return ReportFormat::table;
  if (text == "json") return ReportFormat::json;
  if (text == "csv") return ReportFormat::csv;
  throw std::invalid_argument("unknown format '" + text + "'");
}

Summary query_summary(pqxx::connection& connection, const ReportFilter& filter) {
  pqxx::read_transaction tx(connection);
  const std::string scope = mailbox_scope(tx, filter);
  Summary s;
  // Totals come from the mailbox rows (rewritten when each mailbox's crawl commits).
  auto totals = tx.exec_params1(
      "SELECT count(*) FILTER (WHERE last_crawled_at IS NOT NULL), coalesce(sum(folder_count), 0),"
      " coalesce(sum(message_count), 0), coalesce(sum(message_bytes), 0), coalesce(sum(attachment_count), 0),"
      " coalesce(sum(attachment_bytes), 0) FROM mailbox WHERE id = ANY($1::int[])",
      scope);
  s.mailboxes = totals[0].as<std::int64_t>();
  s.folders = totals[1].as<std::int64_t>();
  s.messages = totals[2].as<std::int64_t>();
  s.message_bytes = totals[3].as<std::int64_t>();
  s.attachments = totals[4].as<std::int64_t>();
  s.attachment_bytes = totals[5].as<std::int64_t>();
  // Only hashed attachments can be in a group: the partial index on sha256 serves this.
  auto dup = tx.exec_params1(
      "SELECT count(*), coalesce(sum(n), 0), coalesce(sum((n - 1) * size), 0) FROM ("
      " SELECT count(*) AS n, max(size) AS size FROM attachment"
      " WHERE sha256 IS NOT NULL AND mailbox_id = ANY($1::int[]) GROUP BY sha256 HAVING count(*) >= 2) g",
      scope);
  s.duplicate_groups = dup[0].as<std::int64_t>();
  s.duplicate_attachments = dup[1].as<std::int64_t>();
  s.reclaimable_bytes = dup[2].as<std::int64_t>();
  return s;
}

Table query_mailboxes(pqxx::connection& connection, const ReportFilter& filter) {
  pqxx::read_transaction tx(connection);
  const std::string scope = mailbox_scope(tx, filter);
  Table table{{"source", "mailbox", "display_name", "team", "folders", "messages", "message_bytes", "attachments",
               "attachment_bytes", "last_crawled_at"},
              {}};
  for (const auto& r : tx.exec_params(
           "SELECT s.name, mb.address, mb.display_name, t.name, mb.folder_count, mb.message_count, mb.message_bytes,"
           " mb.attachment_count, mb.attachment_bytes,"
           " to_char(mb.last_crawled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
           " FROM mailbox mb JOIN source s ON s.id = mb.source_id LEFT JOIN team t ON t.id = mb.team_id"
           " WHERE mb.id = ANY($1::int[]) ORDER BY mb.attachment_bytes DESC, s.name, mb.address" +
               limit_clause(filter, false),
           scope)) {
    table.rows.push_back({Value::of_text(r[0].as<std::string>()), Value::of_text(r[1].as<std::string>()),
                          Value::of_text(r[2].as<std::string>()), text_or_null(r[3]),
                          Value::of_integer(r[4].as<std::int64_t>()), Value::of_integer(r[5].as<std::int64_t>()),
                          Value::of_bytes(r[6].as<std::int64_t>()), Value::of_integer(r[7].as<std::int64_t>()),
                          Value::of_bytes(r[8].as<std::int64_t>()), text_or_null(r[9])});
  }
  return table;
}

Table query_folders(pqxx::connection& connection, const ReportFilter& filter) {
  pqxx::read_transaction tx(connection);
  const std::string scope = mailbox_scope(tx, filter);
  Table table{{"mailbox", "folder", "special_use", "messages", "message_bytes", "attachments", "attachment_bytes"}, {}};
  for (const auto& r :
       tx.exec_params("SELECT mb.address, f.name, f.special_use, f.message_count, f.message_bytes, f.attachment_count,"
                      " f.attachment_bytes FROM folder f JOIN mailbox mb ON mb.id = f.mailbox_id"
                      " WHERE f.mailbox_id = ANY($1::int[]) ORDER BY f.message_bytes DESC, mb.address, f.name" +
                          limit_clause(filter, false),
                      scope)) {
    table.rows.push_back({Value::of_text(r[0].as<std::string>()), Value::of_text(r[1].as<std::string>()),
                          text_or_null(r[2]), Value::of_integer(r[3].as<std::int64_t>()),
                          Value::of_bytes(r[4].as<std::int64_t>()), Value::of_integer(r[5].as<std::int64_t>()),
                          Value::of_bytes(r[6].as<std::int64_t>())});
  }
  return table;
}

Table query_attachments(pqxx::connection& connection, const ReportFilter& filter) {
  pqxx::read_transaction tx(connection);
  const std::string scope = mailbox_scope(tx, filter);
  Table table{{"mailbox", "folder", "uid", "item_id", "section", "name", "content_type", "size", "size_exact", "inline",
               "damaged", "sha256"},
              {}};
  // Largest first: a backward scan of attachment_size_idx, stopping at the limit.
  for (const auto& r : tx.exec_params(
           "SELECT mb.address, f.name, m.uid, m.item_id, a.section, a.name, a.content_type, a.size, a.size_exact,"
           " a.is_inline, a.damaged, encode(a.sha256, 'hex')"
           " FROM attachment a JOIN message m ON m.id = a.message_id JOIN folder f ON f.id = m.folder_id"
           " JOIN mailbox mb ON mb.id = a.mailbox_id"
           " WHERE a.mailbox_id = ANY($1::int[]) ORDER BY a.size DESC, a.id" +
               limit_clause(filter, true),
           scope)) {
    table.rows.push_back({Value::of_text(r[0].as<std::string>()), Value::of_text(r[1].as<std::string>()),
                          integer_or_null(r[2]), text_or_null(r[3]), Value::of_text(r[4].as<std::string>()),
                          Value::of_text(r[5].as<std::string>()), Value::of_text(r[6].as<std::string>()),
                          Value::of_bytes(r[7].as<std::int64_t>()), Value::of_bool(r[8].as<bool>()),
                          Value::of_bool(r[9].as<bool>()), Value::of_bool(r[10].as<bool>()), text_or_null(r[11])});
  }
  return table;
}

std::vector<DuplicateGroup> query_duplicates(pqxx::connection& connection, const ReportFilter& filter) {
  pqxx::read_transaction tx(connection);
  const std::string scope = mailbox_scope(tx, filter);
  std::vector<DuplicateGroup> groups;
  for (const auto& r : tx.exec_params(
           "WITH g AS (SELECT sha256, count(*) AS n, max(size) AS size FROM attachment"
           "   WHERE sha256 IS NOT NULL AND mailbox_id = ANY($1::int[]) GROUP BY sha256 HAVING count(*) >= 2"
           "   ORDER BY (count(*) - 1) * max(size) DESC, sha256" +
               limit_clause(filter, true) +
               ")"
               " SELECT encode(g.sha256, 'hex'), g.size, g.n, (g.n - 1) * g.size, s.name, mb.address, f.name, m.uid,"
               " m.item_id, a.section, a.name"
               " FROM g JOIN attachment a ON a.sha256 = g.sha256 AND a.mailbox_id = ANY($1::int[])"
               " JOIN message m ON m.id = a.message_id JOIN folder f ON f.id = m.folder_id"
               " JOIN mailbox mb ON mb.id = a.mailbox_id JOIN source s ON s.id = mb.source_id"
               " ORDER BY (g.n - 1) * g.size DESC, g.sha256, s.name, mb.address, f.name, m.uid, m.item_id, a.section",
           scope)) {
    std::string sha = r[0].as<std::string>();
    if (groups.empty() || groups.back().sha256 != sha) {
      groups.push_back({sha, r[1].as<std::int64_t>(), r[2].as<std::int64_t>(), r[3].as<std::int64_t>(), {}});
    }
    DuplicateCopy copy{r[4].as<std::string>(),
                       r[5].as<std::string>(),
                       r[6].as<std::string>(),
                       r[9].as<std::string>(),
                       r[10].as<std::string>(),
                       r[8].is_null() ? "" : r[8].as<std::string>(),
                       std::nullopt};
    if (!r[7].is_null()) copy.uid = r[7].as<std::int64_t>();
    groups.back().copies.push_back(std::move(copy));
  }
  return groups;
}

std::string run_report(pqxx::connection& connection, ReportKind kind, ReportFormat format, const ReportFilter& filter) {
  switch (kind) {
    case ReportKind::summary:
      return render_summary(query_summary(connection, filter), format);
    case ReportKind::mailboxes:
      return render_table(query_mailboxes(connection, filter), format);
    case ReportKind::folders:
      return render_table(query_folders(connection, filter), format);
    case ReportKind::attachments:
      return render_table(query_attachments(connection, filter), format);
    case ReportKind::duplicates:
      return render_duplicates(query_duplicates(connection, filter), format);
  }
  return {};
}

}  // namespace mailprune::report
