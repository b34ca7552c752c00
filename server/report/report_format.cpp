// Rendering of reports as aligned tables, JSON (exact integers) and CSV (RFC 4180).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "inventory/progress.hpp"
#include "report/report.hpp"

namespace mailprune::report {
namespace {

using inventory::human_bytes;

std::string cell_text(const Value& v) {
  switch (v.type) {
    case Value::Type::text:
      return v.text;
    case Value::Type::integer:
      return std::to_string(v.number);
    case Value::Type::bytes:
      return human_bytes(static_cast<std::uint64_t>(std::max<std::int64_t>(v.number, 0)));
    case Value::Type::boolean:
      return v.number ? "yes" : "no";
    case Value::Type::null:
      return "";
  }
  return "";
}

std::string csv_text(const Value& v) {
  switch (v.type) {
    case Value::Type::integer:
    case Value::Type::bytes:
      return std::to_string(v.number);
    case Value::Type::boolean:
      return v.number ? "true" : "false";
    default:
      break;
  }
  const std::string& text = v.text;
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

nlohmann::json json_value(const Value& v) {
  switch (v.type) {
    case Value::Type::text:
      return v.text;
    case Value::Type::integer:
    case Value::Type::bytes:
      return v.number;
    case Value::Type::boolean:
      return v.number != 0;
    case Value::Type::null:
      return nullptr;
  }
  return nullptr;
}

// Display width: code points (UTF-8 continuation bytes do not count).
std::size_t width(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool right_aligned(const Value& v) {
  return v.type == Value::Type::integer || v.type == Value::Type::bytes;
}

std::string aligned(const Table& table) {
  std::vector<std::size_t> widths;
  for (const auto& c : table.columns) widths.push_back(width(c));
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : table.rows) {
    cells.emplace_back();
    for (std::size_t i = 0; i < row.size(); ++i) {
      cells.back().push_back(cell_text(row[i]));
      widths[i] = std::max(widths[i], width(cells.back().back()));
    }
  }
  auto pad = [](const std::string& text, std::size_t w, bool right) {
    std::string fill(w - std::min(w, width(text)), ' ');
    return right ? fill + text : text + fill;
  };
  auto line = [&](const std::vector<std::string>& values, const std::vector<Value>* row) {
    std::string out;
    for (std::size_t i = 0; i < values.size(); ++i) {
      bool right = row != nullptr && right_aligned((*row)[i]);
      std::string cell = pad(values[i], widths[i], right);
      out += (i ? "  " : "") + cell;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::vector<std::string> header;
  for (const auto& c : table.columns) {
    std::string upper = c;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char ch) { return std::toupper(ch); });
    header.push_back(upper);
  }
  std::string out = line(header, nullptr);
  for (std::size_t r = 0; r < cells.size(); ++r) out += line(cells[r], &table.rows[r]);
  if (table.rows.empty()) out += "(nothing)\n";
  return out;
}

std::string csv(const Table& table) {
  std::string out;
  for (std::size_t i = 0; i < table.columns.size(); ++i) out += (i ? "," : "") + table.columns[i];
  out += "\r\n";
  for (const auto& row : table.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + csv_text(row[i]);
    out += "\r\n";
  }
  return out;
}

}  // namespace

nlohmann::json summary_json(const Summary& s) {
  return {{"mailboxes", s.mailboxes},
          {"folders", s.folders},
          {"messages", s.messages},
          {"message_bytes", s.message_bytes},
          {"attachments", s.attachments},
          {"attachment_bytes", s.attachment_bytes},
          {"duplicate_groups", s.duplicate_groups},
          {"duplicate_attachments", s.duplicate_attachments},
          {"reclaimable_bytes", s.reclaimable_bytes}};
}

nlohmann::json table_json(const Table& table) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& row : table.rows) {
    nlohmann::json object = nlohmann::json::object();
    for (std::size_t i = 0; i < table.columns.size() && i < row.size(); ++i) {
      object[table.columns[i]] = json_value(row[i]);
    }
    array.push_back(std::move(object));
  }
  return array;
}

nlohmann::json duplicates_json(const std::vector<DuplicateGroup>& groups, MissingItemId missing_item_id) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& g : groups) {
    nlohmann::json copies = nlohmann::json::array();
    for (const auto& c : g.copies) {
      const bool item_id_null = c.item_id.empty() && missing_item_id == MissingItemId::null;
      copies.push_back({{"source", c.source},
                        {"mailbox", c.mailbox},
                        {"folder", c.folder},
                        {"uid", c.uid ? nlohmann::json(*c.uid) : nlohmann::json(nullptr)},
                        {"item_id", item_id_null ? nlohmann::json(nullptr) : nlohmann::json(c.item_id)},
                        {"section", c.section},
                        {"name", c.name}});
    }
    array.push_back({{"sha256", g.sha256},
                     {"size", g.size},
                     {"count", g.count},
                     {"reclaimable_bytes", g.reclaimable_bytes},
                     {"copies", std::move(copies)}});
  }
  return array;
}

std::string render_table(const Table& table, ReportFormat format) {
  switch (format) {
    case ReportFormat::table:
      return aligned(table);
    case ReportFormat::json:
      return table_json(table).dump(2) + "\n";
    case ReportFormat::csv:
      return csv(table);
  }
  return {};
}

std::string render_summary(const Summary& s, ReportFormat format) {
  const std::vector<std::pair<std::string, Value>> fields = {
      {"mailboxes", Value::of_integer(s.mailboxes)},
      {"folders", Value::of_integer(s.folders)},
      {"messages", Value::of_integer(s.messages)},
      {"message_bytes", Value::of_bytes(s.message_bytes)},
      {"attachments", Value::of_integer(s.attachments)},
      {"attachment_bytes", Value::of_bytes(s.attachment_bytes)},
      {"duplicate_groups", Value::of_integer(s.duplicate_groups)},
      {"duplicate_attachments", Value::of_integer(s.duplicate_attachments)},
      {"reclaimable_bytes", Value::of_bytes(s.reclaimable_bytes)},
  };
  if (format == ReportFormat::json) return summary_json(s).dump(2) + "\n";
  Table table;
  for (const auto& [name, value] : fields) {
    table.columns.push_back(name);
  }
  table.rows.emplace_back();
  for (const auto& [name, value] : fields) table.rows.back().push_back(value);
  if (format == ReportFormat::csv) return csv(table);
  // A vertical table reads better for one record: name, human value, exact integer.
  Table vertical{{"figure", "value", "exact"}, {}};
  for (const auto& [name, value] : fields) {
    vertical.rows.push_back({Value::of_text(name), value, Value::of_integer(value.number)});
  }
  return aligned(vertical);
}

std::string render_duplicates(const std::vector<DuplicateGroup>& groups, ReportFormat format) {
  if (format == ReportFormat::json) return duplicates_json(groups, MissingItemId::null).dump(2) + "\n";
  const bool table_format = format == ReportFormat::table;
  Table table{{"sha256", "size", "count", "reclaimable_bytes", "mailbox", "folder", "uid", "item_id", "name"}, {}};
  for (const auto& g : groups) {
    for (const auto& c : g.copies) {
      // In a table the group's figures are shown on its first copy only, and the hash shortened.
      bool first = &c == &g.copies.front();
      bool show = !table_format || first;
      table.rows.push_back(
          {show ? Value::of_text(table_format ? g.sha256.substr(0, 12) : g.sha256) : Value::of_text(""),
           show ? Value::of_bytes(g.size) : Value::of_text(""), show ? Value::of_integer(g.count) : Value::of_text(""),
           show ? Value::of_bytes(g.reclaimable_bytes) : Value::of_text(""), Value::of_text(c.mailbox),
           Value::of_text(c.folder), c.uid ? Value::of_integer(*c.uid) : Value::null(),
           c.item_id.empty() ? Value::null() : Value::of_text(c.item_id), Value::of_text(c.name)});
    }
  }
  return render_table(table, format);
}

}  // namespace mailprune::report
