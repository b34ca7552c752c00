#include "config/loader.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/table_reader.hpp"

namespace mailprune::config {
namespace {

namespace fs = std::filesystem;


bool url_has_password(const std::string& url) {
  // URI form: postgresql://user:password@host/...
  auto scheme = url.find("://");
  if (scheme != std::string::npos) {
    auto at = url.find('@', scheme + 3);
    auto slash = url.find('/', scheme + 3);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      return url.substr(scheme + 3, at - scheme - 3).find(':') != std::string::npos;
    }
    return url.find("password=") != std::string::npos;
  }
  // keyword=value form
  return url.find("password") != std::string::npos;
}

Config read_root(const toml::table& root, const std::string& file, std::vector<ConfigError>& errors) {
  Config config;
  TableReader reader(root, "", file, errors);
  config.data_dir = reader.string("data_dir", "");

  TableReader log = reader.table("log");
  config.log.level = log.string("level", "info", {"trace", "debug", "info", "warn", "error", "off"});
  std::string format = log.string("format", "auto", {"auto", "text", "json"});
  config.log.format = format == "text" ? LogFormat::text : format == "json" ? LogFormat::json : LogFormat::automatic;
  log.finish();

  TableReader database = reader.table("database");
  config.database.url = database.string("url", "");
  if (url_has_password(config.database.url)) {
    database.error("url", "must not contain a password: put it in database.password_env or database.password_file");
    config.database.url.clear();
  }
  config.database.password = database.secret("password", false);
  config.database.postgres_bindir = database.string("postgres_bindir", "");
  config.database.embedded_account = database.string("embedded_account", "");
  database.finish();

  reader.finish();
  if (config.data_dir.empty()) config.data_dir = default_data_dir();
  return config;
}

std::string toml_quote(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string default_data_dir() {
  if (::geteuid() == 0) return "/var/lib/mailprune";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/mailprune";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.local/share/mailprune";
  }
  return "./mailprune-data";
}

std::string ConfigError::to_string() const {
  std::string where = file.empty() ? "<configuration>" : file;
  if (line > 0) where += fmt::format(":{}", line);
  if (key.empty()) return fmt::format("{}: {}", where, message);
  return fmt::format("{}: key '{}': {}", where, key, message);
}

static std::string join_errors(const std::vector<ConfigError>& errors) {
  std::string text;
  for (const auto& e : errors) text += (text.empty() ? "" : "\n") + e.to_string();
  return text;
}

ConfigException::ConfigException(std::vector<ConfigError> errors)
    : std::runtime_error(join_errors(errors)), errors_(std::move(errors)) {}

std::string locate_config_file(const std::string& explicit_path) {
  if (!explicit_path.empty()) {
    if (!fs::exists(explicit_path)) {
      throw ConfigException({ConfigError{explicit_path, 0, "", "no such file (given with --config)"}});
    }
    return explicit_path;
  }
  if (const char* env = std::getenv("MAILPRUNE_CONFIG"); env != nullptr && *env != '\0') {
    if (!fs::exists(env)) {
      throw ConfigException({ConfigError{env, 0, "", "no such file (named by $MAILPRUNE_CONFIG)"}});
    }
    return env;
  }
  for (const char* candidate : {"./mailprune.toml", "/etc/mailprune/mailprune.toml"}) {
    if (fs::exists(candidate)) return candidate;
  }
  return "";
}

Config parse_config(const std::string& text, const std::string& display_name) {
  toml::table root;
  try {
    root = toml::parse(text, display_name);
  } catch (const toml::parse_error& e) {
    throw ConfigException({ConfigError{display_name, static_cast<int>(e.source().begin.line), "",
                                       fmt::format("not valid TOML: {}", e.description())}});
  }
  std::vector<ConfigError> errors;
  Config config = read_root(root, display_name, errors);
  if (!errors.empty()) {
    std::stable_sort(errors.begin(), errors.end(),
                     [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
    throw ConfigException(std::move(errors));
  }
  config.source_path = display_name;
  return config;
}

Config load_config(const std::string& path) {
  if (path.empty()) {
    std::vector<ConfigError> errors;
    toml::table empty;
    return read_root(empty, "", errors);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigException({ConfigError{path, 0, "", "cannot read the file"}});
  std::ostringstream content;
  content << in.rdbuf();
  return parse_config(content.str(), path);
}

std::string render_effective_config(const Config& config) {
  std::string out;
  out += fmt::format("# effective configuration ({})\n",
                     config.source_path.empty() ? "built-in defaults, no file found" : "from " + config.source_path);
  out += fmt::format("data_dir = {}\n\n", toml_quote(config.data_dir));
  out += "[log]\n";
  out += fmt::format("level = {}\n", toml_quote(config.log.level));
  const char* format = config.log.format == LogFormat::text ? "text" : config.log.format == LogFormat::json ? "json" : "auto";
  out += fmt::format("format = {}\n\n", toml_quote(format));
  out += "[database]\n";
  out += fmt::format("url = {}{}\n", toml_quote(config.database.url),
                     config.database.url.empty() ? "  # embedded PostgreSQL under data_dir/postgres" : "");
  if (config.database.password.empty()) {
    out += "# password: none\n";
  } else {
    out += fmt::format("# password = \"***\"  (from {})\n", config.database.password.origin());
  }
  out += fmt::format("postgres_bindir = {}\n", toml_quote(config.database.postgres_bindir));
  out += fmt::format("embedded_account = {}\n", toml_quote(config.database.embedded_account));
  return out;
}

}  // namespace mailprune::config
