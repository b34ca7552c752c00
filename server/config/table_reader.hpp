// table_reader.hpp: typed, checked access to one TOML table of the configuration.
//
// Each getter marks its key as known; finish() then reports every key nobody asked for as
// unknown, with a "did you mean" suggestion. Type errors, out-of-range values and missing secrets
// are appended to the shared error list with file, line and dotted key, and the getter returns
// the default so that reading goes on and all errors are reported together.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/loader.hpp"
#include "config/secret.hpp"

namespace mailprune::config {

class TableReader {
 public:
  // `prefix` is the dotted path of this table ("" for the root, "database", "source[2]").
  TableReader(const toml::table& table, std::string prefix, std::string file, std::vector<ConfigError>& errors);

  std::string string(std::string_view key, std::string default_value,
                     std::initializer_list<std::string_view> allowed = {});
  std::int64_t integer(std::string_view key, std::int64_t default_value, std::int64_t min, std::int64_t max);
  bool boolean(std::string_view key, bool default_value);
  std::vector<std::string> string_list(std::string_view key);
  // The raw node of `key` (nullptr when absent), marked known: for values that may take several
  // types (a size as an integer or "5MB", a date as a TOML date or a string).
  const toml::node* node(std::string_view key) { return find(key); }

  // A secret named `base`: read from `<base>_env` (environment variable name) or `<base>_file`
  // (path). An inline `<base>` key is an error (secrets never sit in configuration files).
  // `required`: an error when neither key is set. Setting both is an error.
  Secret secret(std::string_view base, bool required);

  // Sub-table `key` (absent: an empty table). Wrong type: an error, and an empty table.
  TableReader table(std::string_view key);
  // Array of tables `[[key]]`.
  std::vector<TableReader> array_of_tables(std::string_view key);

  // Reports keys that no getter asked for. Call once, after all getters.
  void finish();

  // For callers' own checks: report an error about `key` of this table.
  void error(std::string_view key, std::string message);
  std::string path_of(std::string_view key) const;

 private:
  const toml::node* find(std::string_view key);
  int line_of(std::string_view key) const;

  const toml::table* table_;
  std::string prefix_;
  std::string file_;
  std::vector<ConfigError>* errors_;
  std::set<std::string, std::less<>> known_;
  std::vector<TableReader> owned_children_;
};

}  // namespace mailprune::config
