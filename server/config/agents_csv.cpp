#include "config/agents_csv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace mailprune::config {
namespace {

// Splits one CSV record starting at `pos`; advances `pos` past its line end and counts lines
// (a quoted field may span lines).
bool next_record(const std::string& text, std::size_t& pos, int& line, std::vector<std::string>& fields,
                 std::string& problem) {
  fields.clear();
  std::string field;
  bool quoted = false;
  bool was_quoted = false;
  while (pos < text.size()) {
    char c = text[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < text.size() && text[pos] == '"') {
          field += '"';
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields.push_back(field);
      field.clear();
      was_quoted = false;
    } else if (c == '\r' && pos < text.size() && text[pos] == '\n') {
      continue;
    } else if (c == '\n') {
      fields.push_back(field);
      return true;
    } else {
      field += c;
    }
  }
  if (quoted) problem = "unterminated quoted field";
  fields.push_back(field);
  return true;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::vector<Agent> parse_agents_csv(const std::string& text, const std::string& display_name,
                                    std::vector<ConfigError>& errors) {
  std::vector<Agent> agents;
  std::size_t pos = 0;
  int line = 1;
  std::vector<std::string> fields;
  std::string problem;
  // Skip a UTF-8 byte order mark (spreadsheets write one).
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) pos = 3;
  if (pos >= text.size()) {
    errors.push_back({display_name, 1, "", "empty file: expected the header address,display_name,team,language"});
    return agents;
  }
  next_record(text, pos, line, fields, problem);
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string name = trim(fields[i]);
    static const std::set<std::string> known{"address", "display_name", "team", "language"};
    if (known.count(name) == 0) {
      errors.push_back({display_name, 1, "",
                        fmt::format("unknown column '{}' (expected address, display_name, team, language)", name)});
      return agents;
    }
    column[name] = i;
  }
  if (column.count("address") == 0) {
    errors.push_back({display_name, 1, "", "the header has no 'address' column"});
    return agents;
  }
  std::set<std::string> seen;
  while (pos < text.size()) {
    ++line;
    int record_line = line;
    problem.clear();
    next_record(text, pos, line, fields, problem);
    if (fields.size() == 1 && trim(fields[0]).empty()) continue;  // blank line
    if (!problem.empty()) {
      errors.push_back({display_name, record_line, "", problem});
      break;
    }
    if (fields.size() != column.size()) {
      errors.push_back(
          {display_name, record_line, "", fmt::format("{} field(s), the header has {}", fields.size(), column.size())});
      continue;
    }
    Agent agent;
    auto get = [&](const char* name) { return column.count(name) ? trim(fields[column[name]]) : std::string(); };
    agent.address = get("address");
    agent.display_name = get("display_name");
    agent.team = get("team");
    std::string language = get("language");
    if (!language.empty()) {
      std::transform(language.begin(), language.end(), language.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (language != "fr" && language != "en") {
        errors.push_back({display_name, record_line, "", fmt::format("language '{}' is not fr or en", language)});
        continue;
      }
      agent.language = language;
    }
    if (agent.address.empty()) {
      errors.push_back({display_name, record_line, "", "empty address"});
      continue;
    }
    if (!seen.insert(agent.address).second) {
      errors.push_back({display_name, record_line, "", fmt::format("address '{}' appears twice", agent.address)});
      continue;
    }
    agents.push_back(std::move(agent));
  }
  return agents;
}

std::vector<Agent> read_agents_csv(const std::string& path, std::vector<ConfigError>& errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.push_back({path, 0, "", "cannot read the agents file"});
    return {};
  }
  std::ostringstream content;
  content << in.rdbuf();
  return parse_agents_csv(content.str(), path, errors);
}

}  // namespace mailprune::config
