#include "config/loader.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
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
  source.catenate = reader.boolean("catenate", true);
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

// "IP:PORT" or "[IPv6]:PORT", IP a literal address; "" when valid, else why not.
std::string listen_address_problem(const std::string& address) {
  std::string host;
  std::string port;
  if (!address.empty() && address.front() == '[') {
    auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return "an IPv6 address is written [ADDRESS]:PORT";
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
    in6_addr v6{};
    if (::inet_pton(AF_INET6, host.c_str(), &v6) != 1) return "'" + host + "' is not an IPv6 address";
  } else {
    auto colon = address.rfind(':');
    if (colon == std::string::npos) return "needs a port: IP:PORT";
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    in_addr v4{};
    if (::inet_pton(AF_INET, host.c_str(), &v4) != 1) {
      return "'" + host + "' is not an IPv4 address (IPv6: [ADDRESS]:PORT; host names are not resolved)";
    }
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535) {
    return "'" + port + "' is not a port (0 to 65535)";
  }
  return "";
}

void read_server(TableReader& server, const std::string& file, ServerConfig& out) {
  std::vector<std::string> listen = server.string_list("listen");
  if (!listen.empty()) out.listen = std::move(listen);
  for (const auto& address : out.listen) {
    std::string problem = listen_address_problem(address);
    if (!problem.empty()) server.error("listen", fmt::format("\"{}\": {}", address, problem));
  }
  out.threads = static_cast<int>(server.integer("threads", 2, 1, 256));
  auto resolve = [&](std::string path) {
    if (!path.empty() && fs::path(path).is_relative() && !file.empty()) {
      path = (fs::path(file).parent_path() / path).string();
    }
    return path;
  };
  out.tls_cert_file = resolve(server.string("tls_cert_file", ""));
  out.tls_key_file = resolve(server.string("tls_key_file", ""));
  if (out.tls_cert_file.empty() != out.tls_key_file.empty()) {
    server.error(out.tls_cert_file.empty() ? "tls_cert_file" : "tls_key_file",
                 "tls_cert_file and tls_key_file go together (both for HTTPS, neither for HTTP)");
  }
  out.header_timeout_seconds = static_cast<int>(server.integer("header_timeout_seconds", 10, 1, 3600));
  out.body_timeout_seconds = static_cast<int>(server.integer("body_timeout_seconds", 30, 1, 3600));
  out.idle_timeout_seconds = static_cast<int>(server.integer("idle_timeout_seconds", 60, 1, 86400));
  out.write_timeout_seconds = static_cast<int>(server.integer("write_timeout_seconds", 30, 1, 3600));
  out.shutdown_timeout_seconds = static_cast<int>(server.integer("shutdown_timeout_seconds", 10, 0, 3600));
  out.max_header_bytes = static_cast<int>(server.integer("max_header_bytes", 8192, 1024, 1048576));
  out.max_body_bytes = static_cast<int>(server.integer("max_body_bytes", 1048576, 0, 1073741824));
  out.max_requests_per_connection = static_cast<int>(server.integer("max_requests_per_connection", 1000, 1, 1000000));
  out.trusted_proxies = server.string_list("trusted_proxies");
  out.secure_cookies = server.boolean("secure_cookies", false);
  out.metrics_access = server.string("metrics_access", "open", {"open", "viewer"});
  for (const auto& proxy : out.trusted_proxies) {
    in_addr v4{};
    in6_addr v6{};
    if (::inet_pton(AF_INET, proxy.c_str(), &v4) != 1 && ::inet_pton(AF_INET6, proxy.c_str(), &v6) != 1) {
      server.error("trusted_proxies", fmt::format("\"{}\" is not an IP address", proxy));
    }
  }
  server.finish();
}

// [progress]. A frame-ancestors source is "'self'", "*" or an origin ("https://host[:port]", the
// host may start with "*."); nothing that could end the CSP directive or add another.
void read_progress(TableReader& progress, ProgressConfig& out) {
  out.refresh_seconds = static_cast<int>(progress.integer("refresh_seconds", 2, 1, 3600));
  out.frame_ancestors = progress.string_list("frame_ancestors");
  for (const auto& source : out.frame_ancestors) {
    const bool keyword = source == "'self'" || source == "*";
    const bool origin = (source.rfind("https://", 0) == 0 || source.rfind("http://", 0) == 0) &&
                        source.find_first_of(" ;,'\"\t\r\n") == std::string::npos &&
                        source.find('/', source.find("://") + 3) == std::string::npos;
    if (!keyword && !origin) {
      progress.error(
          "frame_ancestors",
          fmt::format("\"{}\": expected \"'self'\", \"*\" or an origin such as https://intranet.example.org", source));
    }
  }
  progress.finish();
}

// A sender or reply-to as written in [smtp]; server/notify parses it fully, this catches typos.
bool looks_like_mailbox(const std::string& text) {
  if (text.find('@') == std::string::npos) return false;
  return std::none_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

void read_smtp(TableReader& smtp, SmtpConfig& out) {
  out.url = smtp.string("url", "smtp://127.0.0.1:25");
  const bool smtps = out.url.rfind("smtps://", 0) == 0;
  if (!smtps && out.url.rfind("smtp://", 0) != 0) {
    smtp.error("url", "must start with smtp:// (or smtps:// with tls = \"implicit\")");
  } else if (out.url.find_first_of(" \"\t\r\n") != std::string::npos) {
    smtp.error("url", "must not contain spaces or quotes");
  } else if (auto host = out.url.substr(out.url.find("://") + 3);
             host.substr(0, host.find('/')).find('@') != std::string::npos) {
    smtp.error("url", "must not contain an account or password: use smtp.user and smtp.password_env");
  }
  std::string tls = smtp.string("tls", "starttls", {"starttls", "opportunistic", "implicit", "none"});
  out.tls = tls == "opportunistic" ? SmtpTls::opportunistic
            : tls == "implicit"    ? SmtpTls::implicit
            : tls == "none"        ? SmtpTls::none
                                   : SmtpTls::starttls;
  if (smtps && out.tls != SmtpTls::implicit) {
    smtp.error("tls", "an smtps:// url means implicit TLS: set tls = \"implicit\"");
  } else if (!smtps && out.tls == SmtpTls::implicit) {
    smtp.error("url", "with tls = \"implicit\" the url starts with smtps:// (usually port 465)");
  }
  out.user = smtp.string("user", "");
  out.password = smtp.secret("password", !out.user.empty());
  if (out.user.empty() && !out.password.empty()) smtp.error("user", "is required when a password is given");
  out.from = smtp.string("from", "mailprune <mailprune@localhost>");
  if (!looks_like_mailbox(out.from)) smtp.error("from", "must be an address: \"Name <address>\" or \"address\"");
  out.reply_to = smtp.string("reply_to", "");
  if (!out.reply_to.empty() && !looks_like_mailbox(out.reply_to)) {
    smtp.error("reply_to", "must be an address: \"Name <address>\" or \"address\" (or empty)");
  }
  out.ca_file = smtp.string("ca_file", "");
  out.tls_verify = smtp.boolean("tls_verify", true);
  out.timeout_seconds = static_cast<int>(smtp.integer("timeout_seconds", 60, 1, 3600));
  out.rate_per_minute = static_cast<int>(smtp.integer("rate_per_minute", 60, 0, 100000));
  smtp.finish();
}

void read_nightly(TableReader& nightly, NightlyConfig& out) {
  out.schedule = nightly.string("schedule", "");
  const std::string& s = out.schedule;
  const bool clock = s.size() == 5 && std::isdigit(static_cast<unsigned char>(s[0])) &&
                     std::isdigit(static_cast<unsigned char>(s[1])) && s[2] == ':' &&
                     std::isdigit(static_cast<unsigned char>(s[3])) && std::isdigit(static_cast<unsigned char>(s[4]));
  if (!s.empty() && (!clock || std::stoi(s.substr(0, 2)) > 23 || std::stoi(s.substr(3, 2)) > 59)) {
    nightly.error("schedule", "must be a local time \"HH:MM\" (00:00 to 23:59), or \"\" for no schedule");
    out.schedule.clear();
  }
  out.reminder_days_before = static_cast<int>(nightly.integer("reminder_days_before", 3, 0, 365));
  nightly.finish();
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

  TableReader server = reader.table("server");
  read_server(server, file, config.server);

  TableReader archive = reader.table("archive");
  config.archive.dir = archive.string("dir", "");
  if (!config.archive.dir.empty() && config.archive.dir.front() != '/') {
    archive.error("dir", "must be an absolute path (or empty: <data_dir>/archive)");
  }
  config.archive.public_url = archive.string("public_url", "http://localhost:8080");
  while (config.archive.public_url.size() > 1 && config.archive.public_url.back() == '/') {
    config.archive.public_url.pop_back();
  }
  if (config.archive.public_url.rfind("https://", 0) != 0 && config.archive.public_url.rfind("http://", 0) != 0) {
    archive.error("public_url", "must start with https:// (or http://)");
  } else if (config.archive.public_url.find_first_of("?# \"\t\r\n") != std::string::npos) {
    archive.error("public_url", "must be a plain URL, without query, fragment, spaces or quotes");
  }
  config.archive.link_valid_days = static_cast<int>(archive.integer("link_valid_days", 0, 0, 36500));
  config.archive.link_key = archive.secret("link_key", false);
  archive.finish();

  TableReader progress = reader.table("progress");
  read_progress(progress, config.progress);

  std::set<std::string> names;
  for (TableReader& source : reader.array_of_tables("source")) {
    config.sources.push_back(read_source(source, file, errors));
    const std::string& name = config.sources.back().name;
    if (!name.empty() && !names.insert(name).second) {
      source.error("name", fmt::format("another [[source]] is already named \"{}\"", name));
    }
  }

  read_policy(reader, config.policy);

  TableReader smtp = reader.table("smtp");
  read_smtp(smtp, config.smtp);

  TableReader nightly = reader.table("nightly");
  read_nightly(nightly, config.nightly);

  reader.finish();
  if (config.data_dir.empty()) config.data_dir = default_data_dir();
  return config;
}

}  // namespace

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

std::string toml_list(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const auto& value : values) out += (out.size() > 1 ? ", " : "") + toml_quote(value);
  return out + "]";
}

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
  out += "\n[server]\n";
  out += fmt::format("listen = {}\nthreads = {}\n", toml_list(config.server.listen), config.server.threads);
  out +=
      fmt::format("tls_cert_file = {}\ntls_key_file = {}{}\n", toml_quote(config.server.tls_cert_file),
                  toml_quote(config.server.tls_key_file), config.server.tls_cert_file.empty() ? "  # plain HTTP" : "");
  out += fmt::format(
      "header_timeout_seconds = {}\nbody_timeout_seconds = {}\nidle_timeout_seconds = {}\n"
      "write_timeout_seconds = {}\nshutdown_timeout_seconds = {}\n",
      config.server.header_timeout_seconds, config.server.body_timeout_seconds, config.server.idle_timeout_seconds,
      config.server.write_timeout_seconds, config.server.shutdown_timeout_seconds);
  out += fmt::format("max_header_bytes = {}\nmax_body_bytes = {}\nmax_requests_per_connection = {}\n",
                     config.server.max_header_bytes, config.server.max_body_bytes,
                     config.server.max_requests_per_connection);
  out += fmt::format("trusted_proxies = {}\n", toml_list(config.server.trusted_proxies));
  out += fmt::format("secure_cookies = {}\n", config.server.secure_cookies ? "true" : "false");
  out += fmt::format("metrics_access = {}\n", toml_quote(config.server.metrics_access));
  out += "\n[archive]\n";
  out += fmt::format("dir = {}{}\n", toml_quote(config.archive.dir),
                     config.archive.dir.empty() ? "  # data_dir/archive" : "");
  out += fmt::format("public_url = {}\n", toml_quote(config.archive.public_url));
  out += fmt::format("link_valid_days = {}{}\n", config.archive.link_valid_days,
                     config.archive.link_valid_days == 0 ? "  # links never expire" : "");
  if (config.archive.link_key.empty()) {
    out += "# link_key: none (generated once under data_dir/keys/links.key)\n";
  } else {
    out += fmt::format("# link_key = \"***\"  (from {})\n", config.archive.link_key.origin());
  }
  out += "\n[progress]\n";
  out += fmt::format("refresh_seconds = {}\n", config.progress.refresh_seconds);
  out += fmt::format("frame_ancestors = {}{}\n", toml_list(config.progress.frame_ancestors),
                     config.progress.frame_ancestors.empty() ? "  # no page may frame it" : "");
  const SmtpConfig& smtp = config.smtp;
  const char* smtp_tls = smtp.tls == SmtpTls::opportunistic ? "opportunistic"
                         : smtp.tls == SmtpTls::implicit    ? "implicit"
                         : smtp.tls == SmtpTls::none        ? "none"
                                                            : "starttls";
  out += "\n[smtp]\n";
  out +=
      fmt::format("url = {}\ntls = {}\nuser = {}\n", toml_quote(smtp.url), toml_quote(smtp_tls), toml_quote(smtp.user));
  if (!smtp.password.empty()) out += fmt::format("# password = \"***\"  (from {})\n", smtp.password.origin());
  out += fmt::format("from = {}\nreply_to = {}\nca_file = {}\ntls_verify = {}\n", toml_quote(smtp.from),
                     toml_quote(smtp.reply_to), toml_quote(smtp.ca_file), smtp.tls_verify ? "true" : "false");
  out += fmt::format("timeout_seconds = {}\nrate_per_minute = {}\n", smtp.timeout_seconds, smtp.rate_per_minute);
  out += "\n[nightly]\n";
  out += fmt::format("schedule = {}{}\nreminder_days_before = {}\n", toml_quote(config.nightly.schedule),
                     config.nightly.schedule.empty() ? "  # serve does not run it" : "",
                     config.nightly.reminder_days_before);
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
        "login_as = {}\nmaster_separator = {}\ncompress = {}\ncatenate = {}\nmax_connections = {}\n"
        "timeout_seconds = {}\n",
        toml_quote(login_as), toml_quote(source.master_separator), source.compress ? "true" : "false",
        source.catenate ? "true" : "false", source.max_connections, source.timeout_seconds);
    out += fmt::format("mailboxes_file = {}\n", toml_quote(source.mailboxes_file));
    out += fmt::format("# {} mailbox(es) in scope\n", source.mailboxes.size());
  }
  out += render_policy_config(config.policy);
  return out;
}

}  // namespace mailprune::config
