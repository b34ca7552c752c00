#include "config/table_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mailprune::config {
namespace {

const toml::table& empty_table() {
  static const toml::table empty;
  return empty;
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    default:
      return "nothing";
  }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

TableReader::TableReader(const toml::table& table, std::string prefix, std::string file,
                         std::vector<ConfigError>& errors)
    : table_(&table), prefix_(std::move(prefix)), file_(std::move(file)), errors_(&errors) {}

std::string TableReader::path_of(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

int TableReader::line_of(std::string_view key) const {
  if (const toml::node* node = table_->get(key)) {
    return static_cast<int>(node->source().begin.line);
  }
  return static_cast<int>(table_->source().begin.line);
}

void TableReader::error(std::string_view key, std::string message) {
  errors_->push_back(ConfigError{file_, line_of(key), path_of(key), std::move(message)});
}

const toml::node* TableReader::find(std::string_view key) {
  known_.emplace(key);
  return table_->get(key);
}

std::string TableReader::string(std::string_view key, std::string default_value,
                                std::initializer_list<std::string_view> allowed) {
  const toml::node* node = find(key);
  if (node == nullptr) return default_value;
  const auto* value = node->as_string();
  if (value == nullptr) {
    error(key, fmt::format("must be a string, not {}", type_name(*node)));
    return default_value;
  }
  std::string text = value->get();
  if (allowed.size() > 0 && std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
    std::string choices;
    for (auto a : allowed) choices += (choices.empty() ? "" : ", ") + fmt::format("\"{}\"", a);
    error(key, fmt::format("\"{}\" is not one of {}", text, choices));
    return default_value;
  }
  return text;
}

std::int64_t TableReader::integer(std::string_view key, std::int64_t default_value, std::int64_t min,
                                  std::int64_t max) {
  const toml::node* node = find(key);
  if (node == nullptr) return default_value;
  const auto* value = node->as_integer();
  if (value == nullptr) {
    error(key, fmt::format("must be an integer, not {}", type_name(*node)));
    return default_value;
  }
  std::int64_t number = value->get();
  if (number < min || number > max) {
    error(key, fmt::format("{} is out of range ({} to {})", number, min, max));
    return default_value;
  }
  return number;
}

bool TableReader::boolean(std::string_view key, bool default_value) {
  const toml::node* node = find(key);
  if (node == nullptr) return default_value;
  const auto* value = node->as_boolean();
  if (value == nullptr) {
    error(key, fmt::format("must be true or false, not {}", type_name(*node)));
    return default_value;
  }
  return value->get();
}

std::vector<std::string> TableReader::string_list(std::string_view key) {
  std::vector<std::string> out;
  const toml::node* node = find(key);
  if (node == nullptr) return out;
  const auto* array = node->as_array();
  if (array == nullptr) {
    error(key, fmt::format("must be an array of strings, not {}", type_name(*node)));
    return out;
  }
  for (const auto& element : *array) {
    if (const auto* s = element.as_string()) {
      out.push_back(s->get());
    } else {
      error(key, fmt::format("must be an array of strings, but holds {}", type_name(element)));
      return {};
    }
  }
  return out;
}

Secret TableReader::secret(std::string_view base, bool required) {
  std::string env_key = std::string(base) + "_env";
  std::string file_key = std::string(base) + "_file";
  if (find(base) != nullptr) {
    // Deliberately not echoing the value.
    error(base, fmt::format("secrets are not accepted inline: name an environment variable with {} "
                            "or a file with {}",
                            env_key, file_key));
  }
  std::string env_name = string(env_key, "");
  std::string file_name = string(file_key, "");
  if (!env_name.empty() && !file_name.empty()) {
    error(file_key, fmt::format("set either {} or {}, not both", env_key, file_key));
    return {};
  }
  if (!env_name.empty()) {
    const char* value = std::getenv(env_name.c_str());
    if (value == nullptr || *value == '\0') {
      error(env_key, fmt::format("environment variable {} is not set (or empty)", env_name));
      return {};
    }
    return Secret(value, "environment variable " + env_name);
  }
  if (!file_name.empty()) {
    std::ifstream in(file_name, std::ios::binary);
    if (!in) {
      error(file_key, fmt::format("cannot read secret file {}", file_name));
      return {};
    }
    std::ostringstream content;
    content << in.rdbuf();
    std::string value = content.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    if (value.empty()) {
      error(file_key, fmt::format("secret file {} is empty", file_name));
      return {};
    }
    return Secret(std::move(value), "file " + file_name);
  }
  if (required) {
    errors_->push_back(ConfigError{file_, static_cast<int>(table_->source().begin.line), path_of(env_key),
                                   fmt::format("a secret is required: set {} or {}", env_key, file_key)});
  }
  return {};
}

TableReader TableReader::table(std::string_view key) {
  const toml::node* node = find(key);
  if (node == nullptr) return TableReader(empty_table(), path_of(key), file_, *errors_);
  const auto* sub = node->as_table();
  if (sub == nullptr) {
    error(key, fmt::format("must be a table ([{}]), not {}", path_of(key), type_name(*node)));
    return TableReader(empty_table(), path_of(key), file_, *errors_);
  }
  return TableReader(*sub, path_of(key), file_, *errors_);
}

std::vector<TableReader> TableReader::array_of_tables(std::string_view key) {
  std::vector<TableReader> out;
  const toml::node* node = find(key);
  if (node == nullptr) return out;
  const auto* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    error(key, fmt::format("must be an array of tables ([[{}]]), not {}", path_of(key), type_name(*node)));
    return out;
  }
  std::size_t index = 0;
  for (const auto& element : *array) {
    out.emplace_back(*element.as_table(), fmt::format("{}[{}]", path_of(key), index++), file_, *errors_);
  }
  return out;
}

void TableReader::finish() {
  for (const auto& [key, node] : *table_) {
    std::string_view name = key.str();
    if (known_.count(name) != 0) continue;
    std::string suggestion;
    std::size_t best = 3;
    for (const auto& candidate : known_) {
      std::size_t d = edit_distance(name, candidate);
      if (d < best) {
        best = d;
        suggestion = candidate;
      }
    }
    std::string message = "unknown key";
    if (!suggestion.empty()) message += fmt::format(" (did you mean '{}'?)", path_of(suggestion));
    errors_->push_back(ConfigError{file_, static_cast<int>(key.source().begin.line), path_of(name), message});
  }
}

}  // namespace mailprune::config
