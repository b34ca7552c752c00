// loader.hpp: finding, reading and validating the configuration file.
//
// Lookup order: the --config path, $MAILPRUNE_CONFIG, ./mailprune.toml,
// /etc/mailprune/mailprune.toml, then built-in defaults. Errors name the file, line and key; all
// of a file's errors are reported at once, not just the first. No secret value ever appears in
// an error message.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace mailprune::config {

struct ConfigError {
  std::string file;
  int line = 0;     // 1-based; 0 when unknown
  std::string key;  // dotted path, e.g. "database.password_env"; "" for file-level errors
  std::string message;

  // "FILE:LINE: key 'KEY': MESSAGE"
  std::string to_string() const;
};

class ConfigException : public std::runtime_error {
 public:
  explicit ConfigException(std::vector<ConfigError> errors);
  const std::vector<ConfigError>& errors() const { return errors_; }

 private:
  std::vector<ConfigError> errors_;
};

// Which file to read: `explicit_path` if given (it must exist), else the lookup order above.
// Returns "" when no file is found (built-in defaults apply). Throws ConfigException when an
// explicitly named file (option or $MAILPRUNE_CONFIG) does not exist.
std::string locate_config_file(const std::string& explicit_path);

// Reads and validates `path`; "" gives the built-in defaults. Throws ConfigException.
Config load_config(const std::string& path);

// Parses TOML text (for tests); `display_name` stands in for the file name in errors.
Config parse_config(const std::string& text, const std::string& display_name);

// The effective configuration as TOML, every key shown, secrets masked ("***" and their origin).
std::string render_effective_config(const Config& config);

// Writing TOML values, for render_effective_config() and the renderers of its sections
// (policy_config.hpp). toml_quote: a TOML basic string, `"` and `\` escaped with a backslash, other
// control characters as \uXXXX, every other byte (UTF-8 included) as it is. toml_list: an inline
// array of such strings, `["a", "b"]` (`[]` when empty). Pure functions; safe from any thread.
std::string toml_quote(const std::string& value);
std::string toml_list(const std::vector<std::string>& values);

}  // namespace mailprune::config
