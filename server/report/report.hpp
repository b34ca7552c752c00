// report.hpp: `mailprune report KIND`: what the inventory says, as a table, JSON or CSV.
//
// Kinds (definitions: ../shared/INVENTORY.md):
//   summary      one record: mailboxes (crawled at least once), folders, messages, message_bytes,
//                attachments, attachment_bytes, duplicate_groups (hashes seen >= 2 times),
//                duplicate_attachments (sum of the groups' counts), reclaimable_bytes
//                (sum of (count - 1) * size);
//   mailboxes    one row per mailbox, largest attachment_bytes first;
//   folders      one row per folder, largest message_bytes first;
//   attachments  one row per attachment, largest first (default top 100; --top 0: all);
//   duplicates   duplicate groups, largest reclaimable_bytes first (default top 100; --top 0: all),
//                each with every copy's mailbox, folder, uid or item_id, section and name.
// Filters restrict the mailboxes taken into account (and so which copies make a duplicate group):
// `team` (team name) and `mailbox` (address, case-insensitive). A team or mailbox that is not in
// the database is a ReportFilterError.
//
// Queries are set-based and read only the mailbox/folder totals or the attachment table through its
// indexes (sha256, size, mailbox), so they stay fast at ten million attachments. JSON integers are
// exact; table output shows sizes in decimal units ("12.3 MB"); CSV gives raw integers.
// One read-only transaction on the given connection per call.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mailprune::report {

enum class ReportKind { summary, mailboxes, folders, attachments, duplicates };
enum class ReportFormat { table, json, csv };

struct ReportFilter {
  std::string team;                // "" all teams
  std::string mailbox;             // "" all mailboxes
  std::optional<std::size_t> top;  // rows (groups for duplicates); 0: all; nullopt: the kind's default
};

class ReportFilterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses "summary", "mailboxes", ...; "table", "json", "csv". Throw std::invalid_argument.
ReportKind parse_kind(const std::string& text);
ReportFormat parse_format(const std::string& text);

// A cell: text, an integer, a byte count (an integer shown as "12.3 MB" in tables), a boolean, or
// nothing (JSON null, empty in CSV and tables).
struct Value {
  enum class Type { text, integer, bytes, boolean, null };
  Type type = Type::null;
  std::string text;
  std::int64_t number = 0;

  static Value of_text(std::string t) { return {Type::text, std::move(t), 0}; }
  static Value of_integer(std::int64_t n) { return {Type::integer, {}, n}; }
  static Value of_bytes(std::int64_t n) { return {Type::bytes, {}, n}; }
  static Value of_bool(bool b) { return {Type::boolean, {}, b ? 1 : 0}; }
  static Value null() { return {}; }
};

// Rows with named columns: every report but duplicates (whose JSON nests the copies).
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

struct Summary {
  std::int64_t mailboxes = 0, folders = 0, messages = 0, message_bytes = 0, attachments = 0, attachment_bytes = 0,
               duplicate_groups = 0, duplicate_attachments = 0, reclaimable_bytes = 0;
};

struct DuplicateCopy {
  std::string source, mailbox, folder, section, name, item_id;
  std::optional<std::int64_t> uid;
};

struct DuplicateGroup {
  std::string sha256;  // lower-case hex
  std::int64_t size = 0, count = 0, reclaimable_bytes = 0;
  std::vector<DuplicateCopy> copies;
};

Summary query_summary(pqxx::connection& connection, const ReportFilter& filter);
Table query_mailboxes(pqxx::connection& connection, const ReportFilter& filter);
Table query_folders(pqxx::connection& connection, const ReportFilter& filter);
Table query_attachments(pqxx::connection& connection, const ReportFilter& filter);
std::vector<DuplicateGroup> query_duplicates(pqxx::connection& connection, const ReportFilter& filter);

// Rendering. Table output ends with a newline; JSON is one document (an object for summary, an
// array otherwise) followed by a newline; CSV has a header line. Duplicates in CSV and tables: one
// line per copy, the group's columns repeated.
std::string render_summary(const Summary& summary, ReportFormat format);
std::string render_table(const Table& table, ReportFormat format);
std::string render_duplicates(const std::vector<DuplicateGroup>& groups, ReportFormat format);

// The JSON of the reports, one builder for `report --format json` (render_*()) and the HTTP API
// (GET /api/v1/reports/..., docs/openapi.json). Numbers are exact integers (bytes too), a null
// Value is JSON null, booleans are true/false.
// summary_json: an object of the nine figures of Summary, named as its members.
nlohmann::json summary_json(const Summary& summary);
// table_json: an array of objects, one per row, keyed by the column names.
nlohmann::json table_json(const Table& table);
// duplicates_json: an array of groups {sha256, size, count, reclaimable_bytes, copies}, each copy
// {source, mailbox, folder, section, name, item_id, uid}; uid is null for EWS copies. An IMAP copy
// has no item_id: null on the command line, "" in the API (whose schema declares a string).
enum class MissingItemId { null, empty_string };
nlohmann::json duplicates_json(const std::vector<DuplicateGroup>& groups, MissingItemId missing_item_id);

// The whole report: query and render.
std::string run_report(pqxx::connection& connection, ReportKind kind, ReportFormat format, const ReportFilter& filter);

}  // namespace mailprune::report
