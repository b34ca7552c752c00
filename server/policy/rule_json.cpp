#include "policy/rule_json.hpp"

#include <toml++/toml.h>

#include "config/loader.hpp"
#include "config/table_reader.hpp"

namespace mailprune::policy {
namespace {

// A JSON value as a TOML node of the same kind; JSON null becomes nothing (the key is left out).
std::optional<toml::array> to_toml_array(const nlohmann::json& array);

void insert(toml::table& table, const std::string& key, const nlohmann::json& value) {
  if (value.is_string()) {
    table.insert(key, value.get<std::string>());
  } else if (value.is_boolean()) {
    table.insert(key, value.get<bool>());
  } else if (value.is_number_integer()) {
    table.insert(key, value.get<std::int64_t>());
  } else if (value.is_number_float()) {
    table.insert(key, value.get<double>());
  } else if (value.is_array()) {
    if (auto array = to_toml_array(value)) table.insert(key, std::move(*array));
  } else if (value.is_object()) {
    toml::table sub;
    for (const auto& [k, v] : value.items()) insert(sub, k, v);
    table.insert(key, std::move(sub));
  }
}

std::optional<toml::array> to_toml_array(const nlohmann::json& array) {
  toml::array out;
  for (const auto& value : array) {
    if (value.is_string()) {
      out.push_back(value.get<std::string>());
    } else if (value.is_boolean()) {
      out.push_back(value.get<bool>());
    } else if (value.is_number_integer()) {
      out.push_back(value.get<std::int64_t>());
    } else if (value.is_number_float()) {
      out.push_back(value.get<double>());
    } else if (value.is_object()) {
      toml::table sub;
      for (const auto& [k, v] : value.items()) insert(sub, k, v);
      out.push_back(std::move(sub));
    }
  }
  return out;
}

}  // namespace

nlohmann::json rule_to_json(const config::Rule& rule) {
  nlohmann::json out = nlohmann::json::object();
  out["name"] = rule.name;
  out["action"] = config::to_string(rule.action);
  out["approval"] = config::to_string(rule.approval);
  out["priority"] = rule.priority;
  if (rule.min_attachment_size) out["min_attachment_size"] = *rule.min_attachment_size;
  if (rule.max_attachment_size) out["max_attachment_size"] = *rule.max_attachment_size;
  if (!rule.content_types.empty()) out["content_types"] = rule.content_types;
  if (!rule.file_names.empty()) out["file_names"] = rule.file_names;
  if (rule.duplicates_only) out["duplicates_only"] = true;
  if (rule.is_inline) out["inline"] = *rule.is_inline;
  if (rule.min_message_size) out["min_message_size"] = *rule.min_message_size;
  if (rule.older_than) out["older_than"] = rule.older_than->to_string();
  if (rule.newer_than) out["newer_than"] = rule.newer_than->to_string();
  if (!rule.folders.empty()) out["folders"] = rule.folders;
  if (!rule.exclude_folders.empty()) out["exclude_folders"] = rule.exclude_folders;
  if (!rule.senders.empty()) out["senders"] = rule.senders;
  if (rule.seen) out["seen"] = *rule.seen;
  if (rule.min_retention_years > 0) out["min_retention_years"] = rule.min_retention_years;
  if (!rule.archive_folder.empty()) out["archive_folder"] = rule.archive_folder;
  return out;
}

nlohmann::json rules_to_json(const std::vector<config::Rule>& rules) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& rule : rules) out.push_back(rule_to_json(rule));
  return out;
}

std::vector<config::Rule> rules_from_json(const nlohmann::json& rules, const std::string& display_name) {
  std::vector<config::ConfigError> errors;
  if (!rules.is_array()) {
    throw config::ConfigException({config::ConfigError{display_name, 0, "rule", "must be a JSON array of rules"}});
  }
  toml::array tables;
  for (const auto& rule : rules) {
    if (!rule.is_object()) {
      throw config::ConfigException(
          {config::ConfigError{display_name, 0, "rule", "every element must be a JSON object (one rule)"}});
    }
    toml::table table;
    for (const auto& [key, value] : rule.items()) insert(table, key, value);
    tables.push_back(std::move(table));
  }
  toml::table root;
  if (!tables.empty()) root.insert("rule", std::move(tables));
  config::TableReader reader(root, "", display_name, errors);
  std::vector<config::Rule> out = config::read_rules(reader);
  reader.finish();
  if (!errors.empty()) throw config::ConfigException(std::move(errors));
  return out;
}

}  // namespace mailprune::policy
