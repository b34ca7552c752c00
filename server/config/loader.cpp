#include "config/loader.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/agents_csv.hpp"
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

// Keys of an IMAP source (kind = "imap").
void read_imap_source(TableReader& reader, SourceConfig& source) {
  source.host = reader.string("host", "");
  if (source.host.empty()) reader.error("host", "is required");
  std::string tls = reader.string("tls", "implicit", {"implicit", "starttls", "none"});
  source.tls = tls == "starttls" ? TlsMode::starttls : tls == "none" ? TlsMode::none : TlsMode::implicit;
  source.port = static_cast<int>(reader.integer("port", source.tls == TlsMode::implicit ? 993 : 143, 1, 65535));
  std::string auth = reader.string("auth", "plain", {"plain", "login", "xoauth2"});
  source.auth = auth == "login" ? ImapAuth::login : auth == "xoauth2" ? ImapAuth::xoauth2 : ImapAuth::plain;
  source.user = reader.string("user", "");
  if (source.user.empty()) reader.error("user", "is required (the admin or master account)");
  source.password = reader.secret("password", true);
  std::string login_as = reader.string("login_as", "master", {"master", "authzid", "self"});
  source.login_as = login_as == "authzid" ? LoginAs::authzid : login_as == "self" ? LoginAs::self : LoginAs::master;
  source.master_separator = reader.string("master_separator", "*");
  source.compress = reader.boolean("compress", true);
}

// Keys of an Exchange Web Services source (kind = "ews").
void read_ews_source(TableReader& reader, SourceConfig& source) {
  source.url = reader.string("url", "");
  if (source.url.empty()) {
    reader.error("url", "is required (e.g. https://mail.example.org/EWS/Exchange.asmx)");
  } else if (source.url.rfind("https://", 0) != 0 && source.url.rfind("http://", 0) != 0) {
    reader.error("url", "must start with https:// (or http:// on a trusted network)");
  }
  std::string auth = reader.string("auth", "ntlm", {"basic", "ntlm", "oauth2"});
  source.ews_auth = auth == "basic" ? EwsAuth::basic : auth == "oauth2" ? EwsAuth::oauth2 : EwsAuth::ntlm;
  if (source.ews_auth == EwsAuth::oauth2) {
    source.token_url = reader.string("token_url", "");
    if (source.token_url.empty()) reader.error("token_url", "is required with auth = \"oauth2\"");
    source.client_id = reader.string("client_id", "");
    if (source.client_id.empty()) reader.error("client_id", "is required with auth = \"oauth2\"");
    source.client_secret = reader.secret("client_secret", true);
    source.scope = reader.string("scope", "");
    if (source.scope.empty()) reader.error("scope", "is required with auth = \"oauth2\"");
  } else {
    source.user = reader.string("user", "");
    if (source.user.empty()) reader.error("user", "is required (the service account)");
    source.password = reader.secret("password", true);
  }
  source.impersonation = reader.boolean("impersonation", true);
  source.attachment_sizes_exact = reader.boolean("attachment_sizes_exact", false);
  source.server_version =
      reader.string("server_version", "Exchange2013_SP1",
                    {"Exchange2010", "Exchange2010_SP1", "Exchange2010_SP2", "Exchange2013", "Exchange2013_SP1",
                     "Exchange2015", "Exchange2016", "V2015_10_05", "V2016_01_06", "V2016_04_13", "V2016_07_13",
                     "V2016_10_10", "V2017_01_07", "V2017_04_14", "V2017_07_11", "V2017_10_09", "V2018_01_08"});
}

SourceConfig read_source(TableReader& reader, const std::string& file, std::vector<ConfigError>& errors) {
  SourceConfig source;
  source.name = reader.string("name", "");
  if (source.name.empty()) reader.error("name", "every [[source]] needs a name");
  source.kind = reader.string("kind", "imap", {"imap", "ews"});
  if (source.kind == "ews") {
    read_ews_source(reader, source);
  } else {
    read_imap_source(reader, source);
  }
  source.tls_verify = reader.boolean("tls_verify", true);
  source.ca_file = reader.string("ca_file", "");
  source.max_connections = static_cast<int>(reader.integer("max_connections", 4, 1, 64));
  source.timeout_seconds = static_cast<int>(reader.integer("timeout_seconds", 60, 1, 3600));
  for (auto& address : reader.string_list("mailboxes")) {
    Agent agent;
    agent.address = address;
    source.mailboxes.push_back(std::move(agent));
  }
  source.mailboxes_file = reader.string("mailboxes_file", "");
  if (!source.mailboxes_file.empty()) {
    fs::path path = source.mailboxes_file;
    if (path.is_relative() && !file.empty()) path = fs::path(file).parent_path() / path;
    std::vector<ConfigError> csv_errors;
    auto agents = read_agents_csv(path.string(), csv_errors);
    for (auto& e : csv_errors) {
      if (e.line == 0) {
        reader.error("mailboxes_file", fmt::format("cannot read {}", path.string()));
      } else {
        errors.push_back(std::move(e));
      }
    }
    for (auto& agent : agents) source.mailboxes.push_back(std::move(agent));
  }
  reader.finish();
  return source;
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

  std::set<std::string> names;
  for (TableReader& source : reader.array_of_tables("source")) {
    config.sources.push_back(read_source(source, file, errors));
    const std::string& name = config.sources.back().name;
    if (!name.empty() && !names.insert(name).second) {
      source.error("name", fmt::format("another [[source]] is already named \"{}\"", name));
    }
  }

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
  const char* format = config.log.format == LogFormat::text   ? "text"
                       : config.log.format == LogFormat::json ? "json"
                                                              : "auto";
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
  for (const auto& source : config.sources) {
    if (source.kind == "ews") {
      const char* ews_auth = source.ews_auth == EwsAuth::basic  ? "basic"
                             : source.ews_auth == EwsAuth::ntlm ? "ntlm"
                                                                : "oauth2";
      out += "\n[[source]]\n";
      out += fmt::format("name = {}\nkind = \"ews\"\nurl = {}\nauth = {}\n", toml_quote(source.name),
                         toml_quote(source.url), toml_quote(ews_auth));
      if (source.ews_auth == EwsAuth::oauth2) {
        out += fmt::format("token_url = {}\nclient_id = {}\n# client_secret = \"***\"  (from {})\nscope = {}\n",
                           toml_quote(source.token_url), toml_quote(source.client_id), source.client_secret.origin(),
                           toml_quote(source.scope));
      } else {
        out += fmt::format("user = {}\n# password = \"***\"  (from {})\n", toml_quote(source.user),
                           source.password.origin());
      }
      out += fmt::format(
          "impersonation = {}\nattachment_sizes_exact = {}\nserver_version = {}\ntls_verify = {}\n"
          "ca_file = {}\n",
          source.impersonation ? "true" : "false", source.attachment_sizes_exact ? "true" : "false",
          toml_quote(source.server_version), source.tls_verify ? "true" : "false", toml_quote(source.ca_file));
      out += fmt::format("max_connections = {}\ntimeout_seconds = {}\nmailboxes_file = {}\n", source.max_connections,
                         source.timeout_seconds, toml_quote(source.mailboxes_file));
      out += fmt::format("# {} mailbox(es) in scope\n", source.mailboxes.size());
      continue;
    }
    const char* tls = source.tls == TlsMode::implicit   ? "implicit"
                      : source.tls == TlsMode::starttls ? "starttls"
                                                        : "none";
    const char* auth = source.auth == ImapAuth::plain ? "plain" : source.auth == ImapAuth::login ? "login" : "xoauth2";
    const char* login_as = source.login_as == LoginAs::master    ? "master"
                           : source.login_as == LoginAs::authzid ? "authzid"
                                                                 : "self";
    out += "\n[[source]]\n";
    out += fmt::format("name = {}\nkind = {}\nhost = {}\nport = {}\ntls = {}\ntls_verify = {}\nca_file = {}\n",
                       toml_quote(source.name), toml_quote(source.kind), toml_quote(source.host), source.port,
                       toml_quote(tls), source.tls_verify ? "true" : "false", toml_quote(source.ca_file));
    out += fmt::format("auth = {}\nuser = {}\n", toml_quote(auth), toml_quote(source.user));
    out += fmt::format("# password = \"***\"  (from {})\n", source.password.origin());
    out += fmt::format(
        "login_as = {}\nmaster_separator = {}\ncompress = {}\nmax_connections = {}\n"
        "timeout_seconds = {}\n",
        toml_quote(login_as), toml_quote(source.master_separator), source.compress ? "true" : "false",
        source.max_connections, source.timeout_seconds);
    out += fmt::format("mailboxes_file = {}\n", toml_quote(source.mailboxes_file));
    out += fmt::format("# {} mailbox(es) in scope\n", source.mailboxes.size());
  }
  return out;
}

}  // namespace mailprune::config
