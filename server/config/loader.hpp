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

}  // namespace mailprune::config
